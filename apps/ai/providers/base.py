"""The provider interface: what ``apps.ai`` needs from a model, whoever serves it.

``reply(messages, knowledge, limits)`` answers a conversation grounded in knowledge
passages and reports the tokens it used; ``realtime_answer(sdp_offer)`` turns a WebRTC SDP
offer into the provider's SDP answer (voice), for providers with ``realtime = True``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


class ProviderError(Exception):
    """The provider failed (network, timeout, bad answer) after its retries."""


class RealtimeNotSupported(ProviderError):
    """This provider has no realtime (voice) endpoint."""


@dataclass(frozen=True)
class Limits:
    """Guardrails from the platform's AI pricing settings, applied to one reply."""

    max_input_tokens: int
    max_output_tokens: int
    max_retries: int
    chat_model: str = ""
    voice_model: str = ""


@dataclass(frozen=True)
class Passage:
    """One knowledge passage offered to the provider."""

    document_id: str
    title: str
    source: str
    text: str
    coverage: float


@dataclass(frozen=True)
class Reply:
    text: str
    input_tokens: int
    output_tokens: int
    provider: str
    model: str
    cached_input_tokens: int = 0
    handoff_recommended: bool = False
    sources: list[dict] = field(default_factory=list)


class Provider(Protocol):
    name: str
    realtime: bool
    #: False for a provider that runs no model (its replies cost no tokens, so a reply's hold needs no money).
    uses_tokens: bool

    def reply(self, messages: list[dict], knowledge: list[Passage], limits: Limits) -> Reply: ...

    def realtime_answer(self, sdp_offer: str, limits: Limits) -> str: ...


def estimate_tokens(text: str) -> int:
    """A conservative token estimate (about four characters per token) for input guardrails."""
    return max(1, -(-len(text or "") // 4))
