"""What a file is, decided from its own bytes (never the client's name or Content-Type).

Allowlist: PNG, JPEG, GIF, WebP, PDF, plain text (UTF-8, no NUL, no markup) and
DOCX/XLSX (ZIP containers with ``[Content_Types].xml`` and a ``word/`` or ``xl/`` part).
Image checks look at the structure, not just the first bytes: a PNG must be a chain of
chunks ending exactly with ``IEND``, a JPEG must end with EOI, a GIF with its trailer, a
WebP's RIFF size must match the file — so a valid header followed by ``<script>`` is refused.
Text that looks like HTML/SVG/XML is refused too (a browser could render it as a page).
"""

from __future__ import annotations

import re
import struct
import zipfile
from dataclasses import dataclass

_MARKUP = re.compile(rb"<\s*(!doctype|html|script|svg|iframe|\?xml|body|head|object|embed)\b", re.IGNORECASE)


@dataclass(frozen=True)
class FileType:
    content_type: str
    extension: str


PNG = FileType("image/png", ".png")
JPEG = FileType("image/jpeg", ".jpg")
GIF = FileType("image/gif", ".gif")
WEBP = FileType("image/webp", ".webp")
PDF = FileType("application/pdf", ".pdf")
TEXT = FileType("text/plain", ".txt")
DOCX = FileType("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx")
XLSX = FileType("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx")
ALLOWED = (PNG, JPEG, GIF, WEBP, PDF, TEXT, DOCX, XLSX)
ALLOWED_CONTENT_TYPES = frozenset(t.content_type for t in ALLOWED)


def _png(data: bytes) -> bool:
    if not data.startswith(b"\x89PNG\r\n\x1a\n") or data[12:16] != b"IHDR":
        return False
    offset = 8
    while offset + 12 <= len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        if not kind.isalpha():
            return False
        offset += 12 + length
        if kind == b"IEND":
            return offset == len(data)
    return False


def _jpeg(data: bytes) -> bool:
    return data.startswith(b"\xff\xd8\xff") and data.endswith(b"\xff\xd9")


def _gif(data: bytes) -> bool:
    return data[:6] in (b"GIF87a", b"GIF89a") and data.endswith(b"\x3b") and len(data) > 13


def _webp(data: bytes) -> bool:
    if len(data) < 16 or data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        return False
    (size,) = struct.unpack("<I", data[4:8])
    return size + 8 == len(data) and data[12:15] == b"VP8"


def _pdf(data: bytes) -> bool:
    return data.startswith(b"%PDF-") and b"%%EOF" in data[-1024:]


def _text(data: bytes) -> bool:
    if b"\x00" in data or _MARKUP.search(data):
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _office(file) -> FileType | None:
    try:
        with zipfile.ZipFile(file) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    if any(name.startswith("word/") for name in names):
        return DOCX
    if any(name.startswith("xl/") for name in names):
        return XLSX
    return None


def sniff(file) -> FileType | None:
    """The allowlisted type of ``file`` (a seekable binary file), or None. Reads it whole: callers
    check the size limit first."""
    file.seek(0)
    data = file.read()
    file.seek(0)
    for check, kind in ((_png, PNG), (_jpeg, JPEG), (_gif, GIF), (_webp, WEBP), (_pdf, PDF)):
        if check(data):
            return kind
    if data.startswith(b"PK\x03\x04"):
        kind = _office(file)
        file.seek(0)
        return kind
    return TEXT if _text(data) else None
