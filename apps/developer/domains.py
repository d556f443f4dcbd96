"""Allowed-domain entries: one normal form, and the origin match the SDK runtime uses.

An entry names a host the tenant's SDKs may run on. Accepted input, and what is stored
in ``AllowedDomain.domain`` (lowercase, ASCII):

* ``example.com``, ``app.example.com``      -> ``app.example.com`` (any port matches)
* ``app.example.com:8443``                  -> ``app.example.com:8443`` (only that port matches)
* ``*.example.com``                         -> ``*.example.com`` (any subdomain, not the apex)
* ``localhost``, ``localhost:3000``, ``127.0.0.1:8080``, ``[::1]:3000``
* ``Bücher.example``                        -> ``xn--bcher-kva.example`` (IDNA 2008 / UTS 46)

A public suffix (``co.uk``, ``com.au``, ``github.io``: the Public Suffix List, ICANN and private
sections, from the snapshot bundled with the ``publicsuffixlist`` package; no network at run time)
is refused, with or without ``*.``: every site under it belongs to someone else. A stored entry from
before this rule no longer allows anything (``parse_domain`` refuses it, and ``apps.runtime.origins``
offers no wildcard candidate on a public suffix).

Input is read the same way with or without a scheme: an ``http``/``https`` scheme, a path,
query and fragment are stripped (``https://shop.example.com/cart`` -> ``shop.example.com``),
because an origin has none of them. Any other scheme and any ``user@`` part are refused. The
default web ports 80 and 443 are dropped: a browser ``Origin`` never carries them.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

import idna
from publicsuffixlist import PublicSuffixList

MAX_ENTRY_LENGTH = 300
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_DEFAULT_PORTS = {"80", "443"}
_SINGLE_LABEL_HOSTS = {"localhost"}


@lru_cache(maxsize=1)
def _public_suffixes() -> PublicSuffixList:
    return PublicSuffixList()  # the bundled list; parsed once per process


def is_public_suffix(host: str) -> bool:
    """Is the punycode ``host`` a public suffix (``co.uk``)? ``localhost`` and IP literals are not."""
    return "." in host and _public_suffixes().is_public(host)


class DomainError(ValueError):
    """An entry that is not a valid allowed domain; the message says why."""


@dataclass(frozen=True)
class DomainEntry:
    host: str  # punycode, lowercase; IPv6 in brackets
    port: str = ""  # digits, or "" for any port
    wildcard: bool = False

    def __str__(self) -> str:
        text = f"*.{self.host}" if self.wildcard else self.host
        return f"{text}:{self.port}" if self.port else text


def _split_input(raw: str) -> tuple[str, str]:
    """``(hostport, scheme)`` of an entry with scheme, path, query and fragment removed."""
    text = raw.strip()
    scheme = ""
    if "://" in text:
        scheme, _, text = text.partition("://")
        scheme = scheme.lower()
        if scheme not in ("http", "https"):
            raise DomainError(f"scheme '{scheme}' is not allowed; use a host name (http/https are stripped)")
    text = re.split(r"[/?#]", text, maxsplit=1)[0]
    if "@" in text:
        raise DomainError("must not contain a user name ('@')")
    return text, scheme


def _split_port(hostport: str) -> tuple[str, str]:
    if hostport.startswith("["):
        end = hostport.find("]")
        if end == -1:
            raise DomainError("has an unclosed '[' (IPv6 addresses are written [::1])")
        host, rest = hostport[: end + 1], hostport[end + 1 :]
        if rest and not rest.startswith(":"):
            raise DomainError("has text after the IPv6 address")
        return host, rest[1:] if rest else ""
    if hostport.count(":") > 1:
        raise DomainError("IPv6 addresses must be written in brackets, e.g. [::1]:3000")
    host, _, port = hostport.partition(":")
    if _ and not port:
        raise DomainError("has an empty port")
    return host, port


def _check_port(port: str) -> str:
    if not port:
        return ""
    # isascii(): str.isdigit() is also true for digits int() refuses, such as a superscript two.
    if not (port.isascii() and port.isdigit()) or not 1 <= int(port) <= 65535:
        raise DomainError(f"port '{port}' must be a number from 1 to 65535")
    port = str(int(port))
    return "" if port in _DEFAULT_PORTS else port


def _ascii_host(host: str) -> str:
    """Lowercase punycode of a DNS name; raises DomainError for anything else."""
    host = host.rstrip(".")
    if not host:
        raise DomainError("has no host name")
    try:
        ascii_host = idna.encode(host, uts46=True).decode("ascii")
    except idna.IDNAError as exc:
        raise DomainError(f"is not a valid host name ({exc})") from exc
    ascii_host = ascii_host.lower()
    if len(ascii_host) > 253:
        raise DomainError("is longer than 253 characters")
    labels = ascii_host.split(".")
    if not all(_LABEL.match(label) for label in labels):
        raise DomainError("is not a valid host name (letters, digits and hyphens only)")
    if len(labels) == 1 and ascii_host not in _SINGLE_LABEL_HOSTS:
        raise DomainError("needs a domain with a dot (e.g. example.com); only 'localhost' may be a single name")
    if labels[-1].isdigit():
        raise DomainError("is not a valid host name or IP address")
    return ascii_host


def _ip_host(host: str) -> str | None:
    """The normal text of an IP literal, or None when ``host`` is not one."""
    candidate = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    try:
        address = ipaddress.ip_address(candidate)
    except ValueError:
        if host.startswith("["):
            raise DomainError("is not a valid IPv6 address") from None
        return None
    return f"[{address.compressed}]" if address.version == 6 else address.compressed


def parse_domain(raw: str) -> DomainEntry:
    """The normal form of one entry; raises ``DomainError`` with the reason."""
    if not isinstance(raw, str):
        raise DomainError("must be a string")
    if not raw.strip():
        raise DomainError("must not be empty")
    if len(raw) > MAX_ENTRY_LENGTH:
        raise DomainError(f"is longer than {MAX_ENTRY_LENGTH} characters")
    hostport, _scheme = _split_input(raw)
    host, port = _split_port(hostport)
    port = _check_port(port)
    wildcard = False
    if host.startswith("*."):
        wildcard, host = True, host[2:]
    if "*" in host:
        raise DomainError("may only use '*' as the whole first label, as in *.example.com")
    ip = _ip_host(host)
    if ip is not None:
        if wildcard:
            raise DomainError("cannot put a wildcard in front of an IP address")
        return DomainEntry(host=ip, port=port)
    ascii_host = _ascii_host(host)
    if wildcard and "." not in ascii_host and ascii_host != "localhost":
        raise DomainError("wildcard needs a registrable domain, as in *.example.com")
    if is_public_suffix(ascii_host):
        raise DomainError(
            f"is a public suffix ({ascii_host}): every site under it belongs to someone else; "
            f"name your own domain, e.g. shop.{ascii_host} or *.shop.{ascii_host}"
        )
    return DomainEntry(host=ascii_host, port=port, wildcard=wildcard)


def normalize_domain(raw: str) -> str:
    return str(parse_domain(raw))


def _encodable(message: str) -> str:
    """An error message that echoes input, with lone surrogates (valid JSON, not UTF-8) escaped."""
    return message.encode("utf-8", "backslashreplace").decode("utf-8")


def normalize_domains(entries: list) -> tuple[list[str], list[str]]:
    """``(normalized entries without duplicates, in input order; errors as 'allowedDomains[i]: ...')``."""
    normalized: list[str] = []
    seen: set[str] = set()
    errors: list[str] = []
    for index, raw in enumerate(entries):
        try:
            value = normalize_domain(raw)
        except DomainError as exc:
            shown = raw if isinstance(raw, str) else repr(raw)
            errors.append(_encodable(f"allowedDomains[{index}]: '{shown[:100]}' {exc}."))
            continue
        if value not in seen:
            seen.add(value)
            normalized.append(value)
    return normalized, errors


def parse_origin(origin: str) -> DomainEntry | None:
    """The host and port of a browser ``Origin`` (``https://app.example.com:8443``), or None."""
    if not origin or "://" not in origin:
        return None
    try:
        parts = urlsplit(origin.strip())
    except ValueError:  # e.g. an unbalanced or invalid bracketed host: "http://[::1"
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or parts.username:
        return None
    try:
        entry = parse_domain(parts.netloc)
    except DomainError:
        return None
    return None if entry.wildcard else entry


def domain_matches_origin(stored: str, origin: DomainEntry) -> bool:
    """Does the stored (normalized) entry allow ``origin``? Entries without a port allow any port."""
    try:
        entry = parse_domain(stored)
    except DomainError:
        return False
    if entry.port and entry.port != origin.port:
        return False
    if entry.wildcard:
        return origin.host.endswith("." + entry.host)
    return origin.host == entry.host


def origin_allowed(origin: str, stored_domains: list[str]) -> str | None:
    """The first stored entry that allows ``origin``, or None."""
    parsed = parse_origin(origin)
    if parsed is None:
        return None
    return next((domain for domain in stored_domains if domain_matches_origin(domain, parsed)), None)
