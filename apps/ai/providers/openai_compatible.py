"""An OpenAI-compatible HTTP provider (``/chat/completions`` and the WebRTC ``/realtime`` SDP exchange).

Configured by ``AI_PROVIDER_BASE_URL`` (e.g. ``https://api.openai.com/v1``) and
``AI_PROVIDER_API_KEY``; model names, ``maxOutputTokens`` and ``maxRetries`` come from the
platform's AI pricing settings (``Limits``). Token usage is read from the provider's
``usage`` block, never estimated. Retries cover timeouts, connection errors, 429 and 5xx,
with a short backoff; a 4xx other than 429 is not retried.

The model is told to answer only from the supplied passages and to start its answer
with ``[HANDOFF]`` when they do not contain the answer or the visitor asks for a person;
the marker is removed and becomes ``handoff_recommended``.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

from apps.ai.providers.base import Limits, Passage, ProviderError, Reply

NAME = "openai-compatible"
HANDOFF_MARKER = "[HANDOFF]"
SYSTEM_PROMPT = (
    "You are the AI assistant of a customer-support team. Answer the visitor's last message using only the "
    "knowledge passages below; cite the passage title you used. Never invent facts, prices or policies. If the "
    f"passages do not contain the answer, or the visitor asks for a human, start your answer with {HANDOFF_MARKER} "
    "and say that a team member will help."
)
_RETRY_STATUSES = {429, 500, 502, 503, 504}


class OpenAICompatibleProvider:
    name = NAME
    realtime = True

    def __init__(self, *, base_url: str, api_key: str, timeout: float = 30.0, backoff_seconds: float = 0.5) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.timeout = timeout
        self.backoff_seconds = backoff_seconds

    def _post(self, path: str, body: bytes, content_type: str, limits: Limits) -> tuple[bytes, str]:
        request = urllib.request.Request(  # noqa: S310 - the operator-configured provider URL, http(s) only
            f"{self.base_url}{path}",
            data=body,
            method="POST",
            headers={"Authorization": f"Bearer {self.api_key}", "Content-Type": content_type},
        )
        attempts = 1 + max(0, int(limits.max_retries))
        for attempt in range(attempts):
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                    return response.read(), response.headers.get("Content-Type", "")
            except urllib.error.HTTPError as exc:
                if exc.code not in _RETRY_STATUSES or attempt == attempts - 1:
                    raise ProviderError(f"The AI provider answered HTTP {exc.code}.") from exc
            except (urllib.error.URLError, TimeoutError, OSError) as exc:
                if attempt == attempts - 1:
                    raise ProviderError("The AI provider could not be reached.") from exc
            time.sleep(self.backoff_seconds * (2**attempt))
        raise ProviderError("The AI provider could not be reached.")

    def reply(self, messages: list[dict], knowledge: list[Passage], limits: Limits) -> Reply:
        context = "\n\n".join(f"[{p.title or p.source}] ({p.source})\n{p.text}" for p in knowledge)
        payload = {
            "model": limits.chat_model,
            "max_tokens": limits.max_output_tokens,
            "messages": [
                {"role": "system", "content": f"{SYSTEM_PROMPT}\n\nKnowledge passages:\n{context or '(none)'}"},
                *messages,
            ],
        }
        raw, _ = self._post("/chat/completions", json.dumps(payload).encode(), "application/json", limits)
        try:
            answer = json.loads(raw)
            text = answer["choices"][0]["message"]["content"] or ""
            usage = answer.get("usage") or {}
            input_tokens = int(usage.get("prompt_tokens", 0))
            output_tokens = int(usage.get("completion_tokens", 0))
            cached = int((usage.get("prompt_tokens_details") or {}).get("cached_tokens", 0))
            model = str(answer.get("model") or limits.chat_model)
        except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
            raise ProviderError("The AI provider sent an answer we could not read.") from exc
        handoff = text.lstrip().startswith(HANDOFF_MARKER)
        text = text.replace(HANDOFF_MARKER, "").strip()
        sources = [{"documentId": p.document_id, "title": p.title, "source": p.source} for p in knowledge]
        return Reply(
            text=text,
            input_tokens=max(0, input_tokens - cached),
            cached_input_tokens=max(0, cached),
            output_tokens=max(0, output_tokens),
            provider=NAME,
            model=model[:80],
            handoff_recommended=handoff,
            sources=sources,
        )

    def realtime_answer(self, sdp_offer: str, limits: Limits) -> str:
        path = f"/realtime?model={urllib.request.quote(limits.voice_model)}"
        raw, _ = self._post(path, sdp_offer.encode(), "application/sdp", limits)
        answer = raw.decode("utf-8", errors="replace")
        if not answer.startswith("v="):
            raise ProviderError("The AI provider did not answer with an SDP description.")
        return answer
