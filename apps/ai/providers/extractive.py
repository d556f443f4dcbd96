"""The built-in provider: answers by quoting the tenant's own knowledge base.

It runs no model, so its answers say so: they are introduced as quotes from the
knowledge base, name their sources, report ``provider: "extractive"`` and zero tokens.
When no passage covers enough of the question it recommends a hand-off to a person
instead of guessing.
"""

from __future__ import annotations

from apps.ai.knowledge.text import snippet
from apps.ai.providers.base import DeltaStream, Limits, Passage, RealtimeNotSupported, Reply, stream_whole

NAME = "extractive"
#: A passage must contain at least this share of the question's content words to be quoted.
MIN_COVERAGE = 0.5
MAX_QUOTES = 2
#: A streamed answer (``stream: true``) goes out this many words per ``ai.delta``.
WORDS_PER_DELTA = 6
NO_MATCH_TEXT = "I could not find this in our help articles. I can pass your question to a member of our team."


class ExtractiveProvider:
    name = NAME
    realtime = False
    uses_tokens = False

    def reply(self, messages: list[dict], knowledge: list[Passage], limits: Limits) -> Reply:
        question = next((m["content"] for m in reversed(messages) if m["role"] == "user"), "")
        quotes: list[Passage] = []
        for passage in knowledge:
            if passage.coverage >= MIN_COVERAGE and all(q.document_id != passage.document_id for q in quotes):
                quotes.append(passage)
            if len(quotes) == MAX_QUOTES:
                break
        if not quotes:
            return Reply(NO_MATCH_TEXT, 0, 0, NAME, NAME, handoff_recommended=True)
        lines = ["Here is what our help articles say:"]
        for quote in quotes:
            lines.append(f"“{snippet(quote.text, question, width=400)}” (source: {quote.title or quote.source})")
        sources = [{"documentId": q.document_id, "title": q.title, "source": q.source} for q in quotes]
        return Reply("\n\n".join(lines), 0, 0, NAME, NAME, sources=sources)

    def reply_stream(
        self, messages: list[dict], knowledge: list[Passage], limits: Limits, stream: DeltaStream
    ) -> Reply:
        """The passage, a few words at a time."""
        return stream_whole(self.reply(messages, knowledge, limits), stream, words_per_delta=WORDS_PER_DELTA)

    def realtime_answer(self, sdp_offer: str, limits: Limits) -> str:
        raise RealtimeNotSupported("The extractive provider has no voice.")
