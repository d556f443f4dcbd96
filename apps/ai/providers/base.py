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

    def reply_stream(
        self, messages: list[dict], knowledge: list[Passage], limits: Limits, stream: DeltaStream
    ) -> Reply:
        """The same reply, its text fed piece by piece to ``stream`` as the provider produces it."""
        ...

    def realtime_answer(self, sdp_offer: str, limits: Limits) -> str: ...


def estimate_tokens(text: str) -> int:
    """A conservative token estimate (about four characters per token) for input guardrails."""
    return max(1, -(-len(text or "") // 4))


class DeltaStream:
    """The pieces of a streamed reply as the visitor sees them, shaped so that their concatenation is exactly
    the stored reply: a leading ``marker`` (the provider's hand-off flag) is taken off and the text is
    stripped, as ``reply`` strips it. ``on_delta`` gets each non-empty piece."""

    def __init__(self, on_delta, marker: str = "") -> None:
        self.on_delta, self.marker = on_delta, marker
        self.head = ""
        self.decided = not marker
        self.started = False
        self.trailing = ""
        self.sent: list[str] = []
        self.handoff = False

    def feed(self, piece: str) -> None:
        if not self.decided:
            self.head += piece
            stripped = self.head.lstrip()
            if len(stripped) < len(self.marker) and self.marker.startswith(stripped):
                return  # could still be the marker
            self.decided = True
            if stripped.startswith(self.marker):
                self.handoff, stripped = True, stripped[len(self.marker) :]
            piece = stripped
        if not self.started:
            piece = piece.lstrip()
            if not piece:
                return
            self.started = True
        text = self.trailing + piece
        body = text.rstrip()
        self.trailing = text[len(body) :]
        if body:
            self.sent.append(body)
            self.on_delta(body)

    def finish(self) -> str:
        """The whole reply (what was sent); call once the provider is done."""
        if not self.decided:
            self.decided = True
            stripped = self.head.lstrip()
            if stripped == self.marker:
                self.handoff, stripped = True, ""
            self.feed(stripped)
        return "".join(self.sent)


def stream_whole(reply: Reply, stream: DeltaStream, *, words_per_delta: int = 0) -> Reply:
    """Streams a reply that was made in one piece: in pieces of ``words_per_delta`` words (0: one piece)."""
    if words_per_delta <= 0:
        stream.feed(reply.text)
    else:
        words = reply.text.split(" ")
        for start in range(0, len(words), words_per_delta):
            stream.feed(
                " ".join(words[start : start + words_per_delta]) + (" " if start + words_per_delta < len(words) else "")
            )
    stream.finish()
    return reply
