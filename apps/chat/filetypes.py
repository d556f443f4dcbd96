"""What a file is, decided from its own bytes (never the client's name or Content-Type), read in
bounded pieces (at most ``PIECE`` bytes at a time, never the whole upload).

Allowlist: PNG, JPEG, GIF, WebP, PDF, plain text and DOCX/XLSX. A file must be its type all
through and carry nothing a browser or viewer would run:

* **Images** are decoded by Pillow (``load()``: every byte of pixel data must decode; at most
  ``IMAGE_MAX_PIXELS``; a JPEG is decoded at an eighth of its size, which still reads every
  block). The container must end where its format ends (PNG at ``IEND`` with every chunk's CRC
  right, JPEG at EOI, GIF at its trailer, WebP at its RIFF size), and its metadata — PNG ancillary
  chunks, JPEG APPn/COM segments, GIF extensions, WebP EXIF/XMP and unknown chunks — must hold no
  active markup (``ACTIVE_MARKUP``: HTML elements that render or run, namespaced ``svg``/``script``,
  any tag with an ``on…=`` handler). The compressed pixel data itself is not scanned: random bytes
  would match a short tag name too often.
* **Text** is UTF-8 without NUL and without markup (``TEXT_MARKUP``: the active markup plus a
  doctype, an XML declaration or CDATA), so no browser could take it for a page.
* **PDF** is parsed by pypdf from the trailer through every reachable object; refused when it
  carries JavaScript (``/JS``, ``/JavaScript`` actions or name tree), a launch, import, submit or
  rich-media action (also as ``/OpenAction`` or ``/AA``), an embedded file, an XFA form, or a
  password. Links (``/URI``) and ``GoTo`` destinations are fine.
* **DOCX/XLSX**: ZIP containers with ``[Content_Types].xml`` and a ``word/`` or ``xl/`` part,
  without a VBA project (macros).

``sniff(file)`` returns the ``FileType`` or raises ``FileRefused`` whose text says why.
"""

from __future__ import annotations

import codecs
import re
import struct
import warnings
import zipfile
import zlib
from dataclasses import dataclass

from PIL import Image
from pypdf import PdfReader
from pypdf.errors import PyPdfError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

PIECE = 64 * 1024
IMAGE_MAX_PIXELS = 40_000_000
PDF_MAX_NODES = 200_000
GIF_EXTENSION_MAX_BYTES = 1024 * 1024

_RENDERING = (
    r"html|head|body|script|style|iframe|frame|frameset|object|embed|applet|svg|math|img|image|video|audio"
    r"|source|link|meta|base|form|input|button|textarea|select|template|marquee|isindex|foreignobject"
)
# Namespaced only the names XML documents run (<s:svg>, <h:script>); XMP metadata is full of harmless
# namespaced names such as <photoshop:Source> and <xmpGImg:image>.
_ACTIVE = (
    rf"<\s*/?\s*(?:{_RENDERING})\b"
    r"|<\s*/?\s*[a-z][\w.-]*:(?:script|svg|html|body|iframe|object|embed|foreignobject)\b"
    r"|<!doctype\s+html\b"
    r"|<[a-z][\w.:-]*\s[^<>]{0,500}?\bon[a-z]{3,}\s*="
)
ACTIVE_MARKUP = re.compile(_ACTIVE.encode(), re.IGNORECASE)
TEXT_MARKUP = re.compile(_ACTIVE + r"|<!doctype\b|<\?xml\b|<!\[cdata\[|<!entity\b", re.IGNORECASE)
# A match never spans more than this, so pieces overlapping by it miss none.
_MATCH_SPAN = 600


class FileRefused(ValueError):
    """The upload is not an allowed file; ``str(exc)`` says why (one line for the 400's details)."""


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
NOT_ALLOWED = "this file type is not allowed (png, jpeg, gif, webp, pdf, text, docx, xlsx)."


# --- reading in pieces ------------------------------------------------------------------------


def _size(file) -> int:
    file.seek(0, 2)
    return file.tell()


def _read_at(file, offset: int, length: int) -> bytes:
    file.seek(offset)
    return file.read(length)


def _pieces(file, offset: int, length: int, overlap: int = 0):
    """``length`` bytes from ``offset`` in pieces of at most ``PIECE``, each starting with the last
    ``overlap`` bytes of the one before."""
    file.seek(offset)
    tail, left = b"", length
    while left > 0:
        piece = file.read(min(PIECE, left))
        if not piece:
            raise FileRefused("the file ends before its structure does.")
        left -= len(piece)
        yield tail + piece
        tail = (tail + piece)[-overlap:] if overlap else b""


def _no_active_markup(file, offset: int, length: int, where: str) -> None:
    for window in _pieces(file, offset, length, overlap=_MATCH_SPAN):
        _no_markup_in(window, where)


def _no_markup_in(data: bytes, where: str) -> None:
    if ACTIVE_MARKUP.search(data):
        raise FileRefused(f"the {where} holds HTML/SVG markup or an event handler; such files are not accepted.")


# --- images -------------------------------------------------------------------------------


def _png_structure(file, size: int) -> None:
    """A chain of chunks with correct CRCs ending exactly with ``IEND``; ancillary chunks scanned."""
    offset = 8
    while offset + 12 <= size:
        length, kind = struct.unpack(">I4s", _read_at(file, offset, 8))
        if not kind.isalpha() or offset + 12 + length > size:
            break
        crc = zlib.crc32(kind)
        for piece in _pieces(file, offset + 8, length):
            crc = zlib.crc32(piece, crc)
        if struct.unpack(">I", file.read(4))[0] != crc:
            raise FileRefused("the PNG is damaged (a chunk's checksum is wrong).")
        if kind[0:1].islower():  # ancillary: text, EXIF, unknown — never pixels
            _no_active_markup(file, offset + 8, length, "image's metadata")
        offset += 12 + length
        if kind == b"IEND":
            if offset == size:
                return
            break
    raise FileRefused(NOT_ALLOWED)


def _gif_structure(file, size: int) -> None:
    """Blocks from the header to the trailer, which must be the last byte; extensions scanned."""
    flags = _read_at(file, 10, 1)[0]
    offset = 13 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0)
    while offset < size:
        introducer = _read_at(file, offset, 1)
        if introducer == b";":
            if offset + 1 == size:
                return
            break
        if introducer == b"!":
            offset, data = _gif_sub_blocks(file, offset + 2, size, keep=True)
            _no_markup_in(data, "image's metadata")
        elif introducer == b",":
            local = _read_at(file, offset + 9, 1)[0]
            offset += 10 + (3 << ((local & 7) + 1) if local & 0x80 else 0) + 1  # descriptor, table, LZW size
            offset, _ = _gif_sub_blocks(file, offset, size, keep=False)
        else:
            break
    raise FileRefused(NOT_ALLOWED)


def _gif_sub_blocks(file, offset: int, size: int, *, keep: bool) -> tuple[int, bytes]:
    data = bytearray()
    while offset < size:
        length = _read_at(file, offset, 1)[0]
        offset += 1
        if length == 0:
            return offset, bytes(data)
        if keep:
            data += file.read(length)
            if len(data) > GIF_EXTENSION_MAX_BYTES:
                raise FileRefused("the GIF carries an oversized extension block.")
        offset += length
    raise FileRefused(NOT_ALLOWED)


_WEBP_IMAGE_CHUNKS = {b"VP8 ", b"VP8L", b"VP8X", b"ALPH", b"ANIM", b"ANMF"}


def _webp_structure(file, size: int) -> None:
    """The RIFF size is the file's; every chunk but the image data (EXIF, XMP, unknown) scanned."""
    if struct.unpack("<I", _read_at(file, 4, 4))[0] + 8 != size:
        raise FileRefused(NOT_ALLOWED)
    offset = 12
    while offset + 8 <= size:
        kind, length = struct.unpack("<4sI", _read_at(file, offset, 8))
        if offset + 8 + length > size:
            break
        if kind not in _WEBP_IMAGE_CHUNKS:
            _no_active_markup(file, offset + 8, length, "image's metadata")
        offset += 8 + length + (length & 1)
    if offset != size:
        raise FileRefused(NOT_ALLOWED)


def _jpeg_structure(file, size: int) -> None:
    if _read_at(file, size - 2, 2) != b"\xff\xd9":
        raise FileRefused(NOT_ALLOWED)


def _decode(file, fmt: str) -> None:
    """Pillow decodes the whole image (at most ``IMAGE_MAX_PIXELS``); JPEG segments are scanned."""
    file.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(file, formats=[fmt]) as image:
                if image.width * image.height > IMAGE_MAX_PIXELS:
                    raise FileRefused(f"the image has more than {IMAGE_MAX_PIXELS} pixels.")
                for _, segment in getattr(image, "applist", []):
                    _no_markup_in(segment, "image's metadata")
                if fmt == "JPEG":
                    image.draft(image.mode, (max(1, image.width // 8), max(1, image.height // 8)))
                image.load()
    except FileRefused:
        raise
    except (OSError, SyntaxError, ValueError, EOFError, struct.error, Image.DecompressionBombError,
            Image.DecompressionBombWarning) as exc:  # fmt: skip
        raise FileRefused(f"the file is not a valid {fmt} image.") from exc


_IMAGES = (
    (lambda head: head.startswith(b"\x89PNG\r\n\x1a\n") and head[12:16] == b"IHDR", PNG, "PNG", _png_structure),
    (lambda head: head.startswith(b"\xff\xd8\xff"), JPEG, "JPEG", _jpeg_structure),
    (lambda head: head[:6] in (b"GIF87a", b"GIF89a"), GIF, "GIF", _gif_structure),
    (lambda head: head[:4] == b"RIFF" and head[8:12] == b"WEBP", WEBP, "WEBP", _webp_structure),
)


# --- PDF ------------------------------------------------------------------------------------

_ACTIVE_PDF_KEYS = {"/JS", "/JavaScript", "/EmbeddedFiles", "/EF", "/XFA", "/RichMedia"}
_ACTIVE_PDF_ACTIONS = {
    "/JavaScript",
    "/Launch",
    "/ImportData",
    "/SubmitForm",
    "/RichMediaExecute",
    "/GoToE",
    "/Rendition",
}


def _pdf(file, size: int) -> None:
    if b"%%EOF" not in _read_at(file, max(0, size - 1024), 1024):
        raise FileRefused(NOT_ALLOWED)
    try:
        reader = PdfReader(file)
        if reader.is_encrypted and not reader.decrypt(""):
            raise FileRefused("the PDF is password-protected, so its content cannot be checked.")
        if len(reader.pages) < 1:
            raise FileRefused("the PDF has no page.")
        found = _pdf_active_content(reader)
    except FileRefused:
        raise
    except (PyPdfError, OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
        raise FileRefused("the file is not a valid PDF.") from exc
    if found:
        raise FileRefused(f"the PDF carries {found}; PDFs with scripts, actions or embedded files are not accepted.")


def _pdf_active_content(reader: PdfReader) -> str | None:
    """The first active thing reachable from the trailer (``/JS``, a launch action, ...), or None."""
    stack, seen, nodes = [reader.trailer], set(), 0
    while stack:
        node = stack.pop()
        if isinstance(node, IndirectObject):
            if (node.idnum, node.generation) in seen:
                continue
            seen.add((node.idnum, node.generation))
            node = node.get_object()
        nodes += 1
        if nodes > PDF_MAX_NODES:
            raise FileRefused("the PDF has too many objects to check.")
        if isinstance(node, DictionaryObject):
            keys = set(map(str, node.keys()))
            if keys & _ACTIVE_PDF_KEYS:
                return sorted(keys & _ACTIVE_PDF_KEYS)[0]
            action = dict.get(node, "/S")
            if isinstance(action, NameObject) and str(action) in _ACTIVE_PDF_ACTIONS:
                return f"a {action} action"
            stack.extend(value for key, value in dict.items(node) if key != "/Parent")
        elif isinstance(node, ArrayObject):
            stack.extend(list.__iter__(node))
    return None


# --- text and office -----------------------------------------------------------------------


def _text(file, size: int) -> None:
    decoder = codecs.getincrementaldecoder("utf-8")()
    tail = ""
    try:
        for piece in _pieces(file, 0, size):
            if b"\x00" in piece:
                raise FileRefused(NOT_ALLOWED)
            window = tail + decoder.decode(piece)
            if TEXT_MARKUP.search(window):
                raise FileRefused("the text holds HTML/SVG/XML markup; such files are not accepted.")
            tail = window[-_MATCH_SPAN:]
        decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        raise FileRefused(NOT_ALLOWED) from exc


def _office(file) -> FileType:
    try:
        with zipfile.ZipFile(file) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise FileRefused(NOT_ALLOWED) from exc
    if any(name.lower().endswith("vbaproject.bin") for name in names):
        raise FileRefused("the document carries macros (a VBA project); such files are not accepted.")
    if "[Content_Types].xml" in names:
        if any(name.startswith("word/") for name in names):
            return DOCX
        if any(name.startswith("xl/") for name in names):
            return XLSX
    raise FileRefused(NOT_ALLOWED)


def sniff(file) -> FileType:
    """The allowlisted type of ``file`` (a seekable binary file), or ``FileRefused`` saying why."""
    size = _size(file)
    head = _read_at(file, 0, 16)
    try:
        for matches, kind, fmt, structure in _IMAGES:
            if matches(head):
                structure(file, size)
                _decode(file, fmt)
                return kind
        if head.startswith(b"%PDF-"):
            _pdf(file, size)
            return PDF
        if head.startswith(b"PK\x03\x04"):
            return _office(file)
        _text(file, size)
        return TEXT
    finally:
        file.seek(0)
