"""The widget's files as the server sends them: bytes and an ETag, read again when the file changes.

The widget is plain JavaScript with no build step: ``static/widget/v1.js`` is served as it is in the
repository, and so are its strings tables (``static/widget/strings/<lang>.json``, one file per language).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

WIDGET_DIR = Path(__file__).resolve().parent / "static" / "widget"
SCRIPT = WIDGET_DIR / "v1.js"
STRINGS_DIR = WIDGET_DIR / "strings"
DEFAULT_LANGUAGE = "en"
#: ``en``, ``pt-br``: the name of a strings table (lowercase; nothing else reaches the file system).
LANGUAGE = re.compile(r"^[a-z]{2,3}(?:-[a-z0-9]{2,8})?$")


@dataclass(frozen=True)
class Asset:
    body: bytes
    etag: str


_cache: dict[Path, tuple[float, Asset]] = {}


def asset(path: Path) -> Asset | None:
    """The file's bytes and ETag; None when it does not exist."""
    try:
        mtime = path.stat().st_mtime
    except OSError:
        return None
    cached = _cache.get(path)
    if cached is not None and cached[0] == mtime:
        return cached[1]
    body = path.read_bytes()
    found = Asset(body, f'"{hashlib.sha256(body).hexdigest()[:32]}"')
    _cache[path] = (mtime, found)
    return found


def strings_path(language: str) -> Path | None:
    """The strings table of ``language`` (``pt-BR`` reads ``pt-br.json``), None for a malformed name."""
    language = language.lower()
    return STRINGS_DIR / f"{language}.json" if LANGUAGE.match(language) else None


def languages() -> list[str]:
    """The languages the widget speaks: one strings table each."""
    return sorted(path.stem for path in STRINGS_DIR.glob("*.json"))
