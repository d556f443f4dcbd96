"""An OpenAI-compatible HTTP provider (``/chat/completions`` and the WebRTC ``/realtime`` SDP exchange).

Configured by ``AI_PROVIDER_BASE_URL`` (e.g. ``https://api.openai.com/v1``) and
``AI_PROVIDER_API_KEY``; model names, ``maxOutputTokens`` and ``maxRetries`` come from the
platform's AI pricing settings (``Limits``). Token usage is read from the provider's
``usage`` block, never estimated. Retries cover connection errors, 429 and 5xx, with a short
backoff; a 4xx other than 429 is not retried.

The HTTP transport is the shared one (``ringnity.outbound``, operator-configured URL: any address
the operator chose): ``AI_PROVIDER_TIMEOUT_SECONDS`` is one deadline for the whole call, DNS,
connect, TLS, send, every read, retries and their backoff included, whatever the provider does
(a provider that drips its answer ends there too). ``stream`` yields a streamed answer's lines
under the same kind of deadline. Connections are kept alive between calls.

The model is told to answer only from the supplied passages and to start its answer
with ``[HANDOFF]`` when they do not contain the answer or the visitor asks for a person;
the marker is removed and becomes ``handoff_recommended``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote

from apps.ai.providers.base import DeltaStream, Limits, Passage, ProviderError, Reply
from ringnity import outbound

NAME = "openai-compatible"
HANDOFF_MARKER = "[HANDOFF]"
SYSTEM_PROMPT = (
    "You are the AI assistant of a customer-support team. Answer the visitor's last message using only the "
    "knowledge passages below; cite the passage title you used. Never invent facts, prices or policies. If the "
    f"passages do not contain the answer, or the visitor asks for a human, start your answer with {HANDOFF_MARKER} "
    "and say that a team member will help."
)
_RETRY_STATUSES = {429, 500, 502, 503, 504}
#: The most of an answer read (a chat completion is a few KB, an SDP answer less).
MAX_ANSWER_BYTES = 4 * 1024 * 1024
_KEEP_ALIVE = outbound.Pool()


class OpenAICompatibleProvider:
    name = NAME
    realtime = True
    handoff_marker = HANDOFF_MARKER

    def __init__(self, *, base_url: str, api_key: str, timeout: float = 30.0, backoff_seconds: float = 0.5) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.timeout = timeout
        self.backoff_seconds = backoff_seconds

    def _headers(self, content_type: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}", "Content-Type": content_type}

    def _post(self, path: str, body: bytes, content_type: str, limits: Limits) -> tuple[bytes, str]:
        """The answer's body and content type; ProviderError after the retries or at the deadline."""
        deadline = outbound.Deadline(self.timeout)
        attempts = 1 + max(0, int(limits.max_retries))
        for attempt in range(attempts):
            try:
                answer = outbound.request(
                    "POST",
                    f"{self.base_url}{path}",
                    headers=self._headers(content_type),
                    body=body,
                    deadline=deadline,
                    policy=outbound.OPERATOR_CONFIGURED,
                    max_body_bytes=MAX_ANSWER_BYTES,
                    pool=_KEEP_ALIVE,
                )
            except outbound.DeadlineExceeded as exc:
                raise ProviderError(f"The AI provider did not answer within {self.timeout:g} s.") from exc
            except (outbound.TransportError, outbound.Refused) as exc:
                failure = ProviderError("The AI provider could not be reached.")
                failure.__cause__ = exc
            else:
                if 200 <= answer.status < 300 and not answer.truncated:
                    return answer.body, answer.headers.get("content-type", "")
                failure = ProviderError(
                    "The AI provider's answer is too large."
                    if answer.truncated
                    else f"The AI provider answered HTTP {answer.status}."
                )
                if answer.status not in _RETRY_STATUSES:
                    raise failure
            pause = self.backoff_seconds * (2**attempt)
            if attempt == attempts - 1 or deadline.at - time.monotonic() <= pause:
                raise failure
            time.sleep(pause)
        raise ProviderError("The AI provider could not be reached.")

    @contextmanager
    def stream(self, path: str, payload: dict) -> Iterator[Iterator[bytes]]:
        """POSTs ``payload`` as JSON and yields the answer's lines as they come (server-sent events),
        all within ``AI_PROVIDER_TIMEOUT_SECONDS``; no retries (part of the answer may be used)."""
        deadline = outbound.Deadline(self.timeout)
        try:
            with outbound.exchange(
                "POST",
                f"{self.base_url}{path}",
                headers={**self._headers("application/json"), "Accept": "text/event-stream"},
                body=json.dumps(payload).encode(),
                deadline=deadline,
                policy=outbound.OPERATOR_CONFIGURED,
                pool=_KEEP_ALIVE,
            ) as answer:
                if not 200 <= answer.status < 300:
                    raise ProviderError(f"The AI provider answered HTTP {answer.status}.")
                yield answer.lines()
        except outbound.DeadlineExceeded as exc:
            raise ProviderError(f"The AI provider did not answer within {self.timeout:g} s.") from exc
        except (outbound.TransportError, outbound.Refused) as exc:
            raise ProviderError("The AI provider could not be reached.") from exc

    def _chat_payload(self, messages: list[dict], knowledge: list[Passage], limits: Limits) -> dict:
        context = "\n\n".join(f"[{p.title or p.source}] ({p.source})\n{p.text}" for p in knowledge)
        return {
            "model": limits.chat_model,
            "max_tokens": limits.max_output_tokens,
            "messages": [
                {"role": "system", "content": f"{SYSTEM_PROMPT}\n\nKnowledge passages:\n{context or '(none)'}"},
                *messages,
            ],
        }

    @staticmethod
    def _reply(text: str, usage: dict, model: str, knowledge: list[Passage], handoff: bool) -> Reply:
        try:
            input_tokens = int(usage.get("prompt_tokens", 0))
            output_tokens = int(usage.get("completion_tokens", 0))
            cached = int((usage.get("prompt_tokens_details") or {}).get("cached_tokens", 0))
        except (ValueError, TypeError, AttributeError) as exc:
            raise ProviderError("The AI provider sent an answer we could not read.") from exc
        sources = [{"documentId": p.document_id, "title": p.title, "source": p.source} for p in knowledge]
        return Reply(
            text=text,
            input_tokens=max(0, input_tokens - cached),
            cached_input_tokens=max(0, cached),
            output_tokens=max(0, output_tokens),
            provider=NAME,
            model=str(model)[:80],
            handoff_recommended=handoff,
            sources=sources,
        )

    def reply(self, messages: list[dict], knowledge: list[Passage], limits: Limits) -> Reply:
        payload = self._chat_payload(messages, knowledge, limits)
        raw, _ = self._post("/chat/completions", json.dumps(payload).encode(), "application/json", limits)
        try:
            answer = json.loads(raw)
            text = answer["choices"][0]["message"]["content"] or ""
            usage = answer.get("usage") or {}
            model = str(answer.get("model") or limits.chat_model)
        except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
            raise ProviderError("The AI provider sent an answer we could not read.") from exc
        handoff = text.lstrip().startswith(HANDOFF_MARKER)
        return self._reply(text.replace(HANDOFF_MARKER, "").strip(), usage, model, knowledge, handoff)

    def reply_stream(
        self, messages: list[dict], knowledge: list[Passage], limits: Limits, stream: DeltaStream
    ) -> Reply:
        """The provider's streaming API (server-sent events, usage in the last chunk) through ``stream`` above:
        the whole exchange within the timeout, nothing retried once bytes arrived."""
        payload = self._chat_payload(messages, knowledge, limits) | {
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        usage, model = {}, limits.chat_model
        with self.stream("/chat/completions", payload) as lines:
            try:
                for raw_line in lines:
                    line = raw_line.decode("utf-8", errors="replace").strip()
                    if not line.startswith("data:"):
                        continue
                    data = line[len("data:") :].strip()
                    if data == "[DONE]":
                        break
                    chunk = json.loads(data)
                    usage = chunk.get("usage") or usage
                    model = chunk.get("model") or model
                    for choice in chunk.get("choices") or []:
                        piece = (choice.get("delta") or {}).get("content")
                        if piece:
                            stream.feed(piece)
            except (ValueError, TypeError, AttributeError) as exc:
                raise ProviderError("The AI provider sent a stream we could not read.") from exc
        return self._reply(stream.finish(), usage, model, knowledge, stream.handoff)

    def realtime_answer(self, sdp_offer: str, limits: Limits) -> str:
        path = f"/realtime?model={quote(limits.voice_model)}"
        raw, _ = self._post(path, sdp_offer.encode(), "application/sdp", limits)
        answer = raw.decode("utf-8", errors="replace")
        if not answer.startswith("v="):
            raise ProviderError("The AI provider did not answer with an SDP description.")
        return answer
