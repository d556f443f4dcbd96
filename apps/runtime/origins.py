"""Origin matching for SDK runtimes as indexed lookups: which stored entries would allow an ``Origin``?

The entry format and the matching rule are ``apps.developer.domains``' (the dashboard-auth
side, which normalizes what is stored in ``AllowedDomain.domain``):

* ``host``          — that exact host on any port;
* ``host:port``     — that exact host on that port only (default ports 80/443 are never stored);
* ``*.host``        — any subdomain of ``host`` at any depth, not ``host`` itself, any port
                      (never a public suffix such as ``*.co.uk``);
* ``*.host:port``   — the same, on that port only.

``domains.origin_allowed`` checks an origin against a loaded list. Here we go the other way
round: ``origin_candidates`` lists the few entries that *would* allow the origin, so a check
is one ``domain IN (...)`` query on the ``(tenant, domain)`` unique index — also across
tenants, for CORS preflights that cannot name their tenant. ``test_runtime_origins`` proves
both give the same answers.
"""

from __future__ import annotations

import ipaddress

from apps.developer.domains import is_public_suffix, parse_origin


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def origin_candidates(origin: str | None) -> set[str]:
    """Every normalized allowed-domain entry that would allow ``origin`` (empty when not an origin)."""
    parsed = parse_origin(origin or "")
    if parsed is None:
        return set()
    suffixes = [""] + ([f":{parsed.port}"] if parsed.port else [])
    hosts = [parsed.host]
    if not _is_ip(parsed.host):
        labels = parsed.host.split(".")
        parents = (".".join(labels[index:]) for index in range(1, len(labels)))
        hosts += [f"*.{parent}" for parent in parents if not is_public_suffix(parent)]
    return {f"{host}{suffix}" for host in hosts for suffix in suffixes}


def origin_allowed(origin: str | None, allowed_domains) -> bool:
    """True when one of the normalized ``allowed_domains`` entries allows ``origin``."""
    candidates = origin_candidates(origin)
    return bool(candidates) and not candidates.isdisjoint(allowed_domains)
