"""Text extraction for knowledge sources, with the type decided by the bytes, not the name.

``detect_type`` looks at the content (``%PDF-`` magic, HTML markup, valid UTF-8 text); the
file extension must agree with it, so a PDF renamed ``notes.txt`` or a binary called
``page.html`` is refused instead of being indexed as garbage.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from html.parser import HTMLParser

from pypdf import PdfReader
from pypdf.errors import PdfReadError

PDF, HTML, MARKDOWN, TEXT = "application/pdf", "text/html", "text/markdown", "text/plain"
#: Extension -> content types it may carry (markdown and plain text are both "text" by content).
EXTENSIONS = {
    ".pdf": {PDF},
    ".html": {HTML},
    ".htm": {HTML},
    ".md": {TEXT},
    ".markdown": {TEXT},
    ".txt": {TEXT},
}
_HTML_SNIFF = re.compile(rb"<\s*(!doctype\s+html|html|head|body|title|p|div|article|main|h[1-6])[\s>]", re.I)
MAX_PDF_PAGES = 500


class ExtractionError(ValueError):
    """The content cannot be turned into text; the message is shown to the tenant as the reason."""


@dataclass(frozen=True)
class Extracted:
    title: str
    text: str
    content_type: str


def _decode_text(data: bytes) -> str | None:
    if b"\x00" in data:
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


def detect_type(data: bytes) -> str | None:
    """``application/pdf`` | ``text/html`` | ``text/plain`` by content; None when it is none of them."""
    if data.startswith(b"%PDF-"):
        return PDF
    if _decode_text(data) is None:
        return None
    return HTML if _HTML_SNIFF.search(data[:4096]) else TEXT


def extension_of(name: str) -> str:
    match = re.search(r"\.[A-Za-z0-9]+$", name or "")
    return match.group(0).lower() if match else ""


class _MainTextParser(HTMLParser):
    """Visible text of a page; when it has ``<main>`` or ``<article>``, only that part.

    Scripts, styles, navigation, headers, footers, asides and forms are boilerplate, not
    knowledge. Block-level tags end a line so paragraphs stay apart for chunking.
    """

    SKIP = {"script", "style", "noscript", "template", "svg", "nav", "header", "footer", "aside", "form"}
    BLOCK = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "main", "pre"}
    VOID = {"br", "img", "hr", "meta", "link", "input", "source", "wbr", "area", "col", "embed", "track"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.skip_depth = 0
        self.main_depth = 0
        self.in_title = False
        self.title_parts: list[str] = []
        self.all_parts: list[str] = []
        self.main_parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.VOID:
            if tag == "br":
                self._emit("\n")
            return
        if tag in self.SKIP:
            self.skip_depth += 1
        elif tag in ("main", "article"):
            self.main_depth += 1
        elif tag == "title":
            self.in_title = True
        if tag in self.BLOCK:
            self._emit("\n")

    def handle_endtag(self, tag):
        if tag in self.SKIP and self.skip_depth:
            self.skip_depth -= 1
        elif tag in ("main", "article") and self.main_depth:
            self.main_depth -= 1
        elif tag == "title":
            self.in_title = False
        if tag in self.BLOCK:
            self._emit("\n")

    def handle_data(self, data):
        if self.in_title:
            self.title_parts.append(data)
        elif not self.skip_depth:
            self._emit(data)

    def _emit(self, text: str) -> None:
        self.all_parts.append(text)
        if self.main_depth:
            self.main_parts.append(text)


def _tidy(text: str) -> str:
    lines = [re.sub(r"[ \t\r\f\v]+", " ", line).strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def html_text(markup: str) -> tuple[str, str]:
    """``(title, main text)`` of an HTML document."""
    parser = _MainTextParser()
    parser.feed(markup)
    parser.close()
    main = _tidy("".join(parser.main_parts))
    body = main if len(main) >= 40 else _tidy("".join(parser.all_parts))
    return _tidy(" ".join(parser.title_parts)).replace("\n", " "), body


def _markdown_heading(text: str) -> str:
    """The first ``#`` heading of a markdown text, or ""."""
    for line in text.splitlines():
        if line.startswith("#"):
            return line.lstrip("#").strip()[:200]
    return ""


def pdf_text(data: bytes) -> tuple[str, str]:
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise ExtractionError("The PDF is encrypted.")
        if len(reader.pages) > MAX_PDF_PAGES:
            raise ExtractionError(f"The PDF has more than {MAX_PDF_PAGES} pages.")
        pages = [page.extract_text() or "" for page in reader.pages]
        title = str((reader.metadata or {}).get("/Title") or "").strip()
    except ExtractionError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ExtractionError("The PDF could not be read.") from exc
    return title, _tidy("\n\n".join(pages))


def extract(data: bytes, *, name: str = "", content_type: str | None = None) -> Extracted:
    """Text and title of ``data``; raises ExtractionError with a reason fit for the tenant."""
    kind = content_type or detect_type(data)
    if kind == PDF:
        title, text = pdf_text(data)
    elif kind == HTML:
        title, text = html_text(_decode_text(data) or "")
    elif kind in (TEXT, MARKDOWN):
        decoded = _decode_text(data)
        if decoded is None:
            raise ExtractionError("The file is not UTF-8 text.")
        text = _tidy(decoded)
        kind = MARKDOWN if extension_of(name) in (".md", ".markdown") else TEXT
        title = _markdown_heading(text) if kind == MARKDOWN else ""
    else:
        raise ExtractionError("Unsupported content: upload a .txt, .md, .html or .pdf file.")
    if not text.strip():
        raise ExtractionError("No text could be extracted.")
    return Extracted(title=(title or name)[:300], text=text, content_type=kind)
