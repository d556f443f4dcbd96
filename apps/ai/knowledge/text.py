"""Plain-text helpers shared by indexing, search and the extractive provider.

``chunk_text`` cuts a document into overlapping passages of bounded size, preferring
paragraph and sentence boundaries, so an answer found near a boundary is still whole in
one passage. ``terms`` is a small, deterministic normaliser (lower case, stop words out,
light suffix stripping) used for SQLite scoring, for match coverage and for snippets; on
PostgreSQL the ranking itself uses the database's text-search configuration.
"""

from __future__ import annotations

import re

CHUNK_CHARS = 900
OVERLAP_CHARS = 150
MAX_CHUNKS_PER_DOCUMENT = 2000

STOP_WORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "me",
        "more",
        "most",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "get",
        "got",
        "please",
        "tell",
        "know",
        "want",
        "need",
        "let",
        "us",
        "may",
        "might",
        "must",
        "shall",
        "also",
    ]
)
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def words(text: str) -> list[str]:
    return _WORD.findall((text or "").lower())


def stem(word: str) -> str:
    """A light English suffix stripper: refund/refunds/refunded, ship/shipping, day/days, take/takes match."""
    if len(word) <= 3 or word.isdigit():
        return word
    for suffix in ("ations", "ation", "ings", "ing", "edly", "ed", "ly"):
        if len(word) > len(suffix) + 2 and word.endswith(suffix):
            word = word[: -len(suffix)]
            if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "lsz":
                word = word[:-1]  # shipp -> ship, stopp -> stop
            return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes", "zes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def terms(text: str) -> list[str]:
    """Normalised content terms of ``text`` (duplicates kept, in order)."""
    return [stem(w) for w in words(text) if w not in STOP_WORDS and (len(w) > 1 or w.isdigit())]


def query_words(query: str, limit: int = 32) -> list[str]:
    """Distinct content words of a query, in order (for building the database query)."""
    seen: dict[str, None] = {}
    for word in words(query):
        if word not in STOP_WORDS and (len(word) > 1 or word.isdigit()):
            seen.setdefault(word, None)
    return list(seen)[:limit]


def coverage(query: str, passage: str) -> float:
    """Share of the query's distinct content terms that occur in ``passage`` (0..1)."""
    wanted = set(terms(query))
    if not wanted:
        return 0.0
    return len(wanted & set(terms(passage))) / len(wanted)


def _split_long(piece: str, size: int) -> list[str]:
    out = []
    while len(piece) > size:
        cut = piece.rfind(" ", 0, size)
        cut = cut if cut > size // 2 else size
        out.append(piece[:cut].strip())
        piece = piece[cut:].strip()
    if piece:
        out.append(piece)
    return out


def chunk_text(text: str, *, size: int = CHUNK_CHARS, overlap: int = OVERLAP_CHARS) -> list[str]:
    """Overlapping passages of at most ``size`` characters (plus at most ``overlap`` carried over)."""
    units: list[str] = []
    for paragraph in re.split(r"\n\s*\n", text or ""):
        paragraph = " ".join(paragraph.split())
        if not paragraph:
            continue
        for sentence in _SENTENCE_END.split(paragraph):
            units.extend(_split_long(sentence, size))
    chunks: list[str] = []
    current = ""
    for unit in units:
        if current and len(current) + 1 + len(unit) > size:
            chunks.append(current)
            tail = current[-overlap:]
            space = tail.find(" ")
            current = tail[space + 1 :] if 0 <= space < len(tail) - 1 else ""
        current = f"{current} {unit}".strip()
        if len(chunks) >= MAX_CHUNKS_PER_DOCUMENT:
            break
    if current and len(chunks) < MAX_CHUNKS_PER_DOCUMENT:
        chunks.append(current)
    return chunks


def snippet(passage: str, query: str, width: int = 240) -> str:
    """A window of ``passage`` around its first match of a query term (the start when none matches)."""
    wanted = set(terms(query))
    start = 0
    for match in _WORD.finditer(passage):
        if stem(match.group(0).lower()) in wanted:
            start = max(0, match.start() - width // 4)
            break
    if start:
        space = passage.find(" ", start)
        start = space + 1 if 0 <= space < start + 20 else start
    window = passage[start : start + width]
    if start + width < len(passage):
        cut = window.rfind(" ")
        window = (window[:cut] if cut > width // 2 else window) + " …"
    return ("… " if start else "") + window.strip()
