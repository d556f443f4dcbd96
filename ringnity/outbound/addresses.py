"""Which addresses an outbound call may reach: the one table of special ranges, and DNS with a deadline.

A tenant-given URL (a webhook endpoint, a knowledge page) may only reach *public* addresses. The
ranges below are decided here once, for every caller (``ringnity/tests/test_outbound_addresses.py``
pins the table):

* IPv4: everything in ``REFUSED_V4`` (private, loopback, link-local, shared/CGNAT, "this network",
  the ``192.0.0.0/24`` protocol assignments — ``192.0.0.8``, ``.9``, ``.10``, ``.170`` included —,
  documentation, benchmarking, the old 6to4 relay anycast, multicast, reserved, broadcast).
* IPv6: only global unicast ``2000::/3`` minus ``REFUSED_V6`` (IETF protocol assignments with
  Teredo, documentation, 6to4 ``2002::/16`` whatever it embeds). Everything outside ``2000::/3`` is
  refused: loopback, unspecified, IPv4-mapped and -compatible, ULA, link- and site-local,
  multicast, discard-only, local-use NAT64, SRv6 SIDs. The one exception is the NAT64 well-known
  prefix ``64:ff9b::/96``, judged by the IPv4 address it embeds (public: allowed).
* As a last guard the address (or the embedded IPv4 address) must also be ``is_global`` for
  Python's ``ipaddress``: a range this table missed is refused, never allowed.

``loopback_ok`` (tests and local development only) allows ``127.0.0.0/8`` and ``::1``; never a
private range, and never loopback wrapped in IPv6.
"""

from __future__ import annotations

import ipaddress
import socket
from concurrent.futures import TimeoutError as FutureTimeout

from ringnity.outbound.deadline import Deadline, DeadlineExceeded
from ringnity.outbound.threads import process_executor

REFUSED_V4 = [
    (ipaddress.ip_network(network), reason)
    for network, reason in (
        ("0.0.0.0/8", "a 'this network' address"),
        ("10.0.0.0/8", "a private address"),
        ("100.64.0.0/10", "a shared (carrier-grade NAT) address"),
        ("127.0.0.0/8", "a loopback address"),
        ("169.254.0.0/16", "a link-local address"),
        ("172.16.0.0/12", "a private address"),
        ("192.0.0.0/24", "an IETF protocol assignment address"),
        ("192.0.2.0/24", "a documentation address"),
        ("192.88.99.0/24", "a 6to4 relay address"),
        ("192.168.0.0/16", "a private address"),
        ("198.18.0.0/15", "a benchmarking address"),
        ("198.51.100.0/24", "a documentation address"),
        ("203.0.113.0/24", "a documentation address"),
        ("224.0.0.0/4", "a multicast address"),
        ("240.0.0.0/4", "a reserved address"),
    )
]
GLOBAL_UNICAST_V6 = ipaddress.ip_network("2000::/3")
NAT64_WELL_KNOWN = ipaddress.ip_network("64:ff9b::/96")
REFUSED_V6 = [
    (ipaddress.ip_network(network), reason)
    for network, reason in (
        ("2001::/23", "an IETF protocol assignment address (Teredo included)"),
        ("2001:db8::/32", "a documentation address"),
        ("2002::/16", "a 6to4 address (IPv4 wrapped in IPv6)"),
        ("3fff::/20", "a documentation address"),
    )
]
V6_OUTSIDE_GLOBAL_UNICAST = [
    (ipaddress.ip_network(network), reason)
    for network, reason in (
        ("::/128", "the unspecified address"),
        ("::1/128", "a loopback address"),
        ("::ffff:0:0/96", "an IPv4-mapped address (IPv4 wrapped in IPv6)"),
        ("::/96", "an IPv4-compatible address (IPv4 wrapped in IPv6)"),
        ("fe80::/10", "a link-local address"),
        ("fc00::/7", "a unique local (private) address"),
        ("ff00::/8", "a multicast address"),
    )
]


def address_problem(address: str, *, loopback_ok: bool = False) -> str | None:
    """Why the IP literal ``address`` may not be reached, or None when it may (see the module doc)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if ip == ipaddress.IPv6Address("::1") and loopback_ok:
            return None
        if ip in NAT64_WELL_KNOWN:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
            problem = _v4_problem(embedded, loopback_ok=False)
            return f"{address} is a NAT64 address of {embedded}, {problem}" if problem else None
        if ip not in GLOBAL_UNICAST_V6:
            reason = next((r for network, r in V6_OUTSIDE_GLOBAL_UNICAST if ip in network), "not a global address")
            return f"{address} is {reason}"
        reason = next((r for network, r in REFUSED_V6 if ip in network), None)
        if reason is None and not ip.is_global:
            reason = "not a global address"
        return f"{address} is {reason}" if reason else None
    problem = _v4_problem(ip, loopback_ok=loopback_ok)
    return f"{address} is {problem}" if problem else None


def _v4_problem(ip: ipaddress.IPv4Address, *, loopback_ok: bool) -> str | None:
    if loopback_ok and ip.is_loopback:
        return None
    reason = next((r for network, r in REFUSED_V4 if ip in network), None)
    if reason is None and not ip.is_global:
        reason = "not a global address"
    return reason


class Refused(Exception):
    """The URL may not be called: its scheme or shape, or an address its host resolves to."""


class Unresolved(Refused):
    """The host name does not resolve (maybe only for now)."""


# getaddrinfo has no timeout of its own: it runs on these threads and the caller waits at most its
# deadline, so a hung resolver costs a bounded number of threads, never an unbounded wait.
RESOLVER_THREADS = 8


def _getaddrinfo(host: str, port: int) -> list[str]:
    """Every address of ``host`` (in the resolver's order, duplicates dropped)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise Unresolved(f"{host} does not resolve") from exc
    return list(dict.fromkeys(info[4][0] for info in infos))


def resolve(host: str, port: int, *, deadline: Deadline, public_only: bool, loopback_ok: bool = False) -> list[str]:
    """The addresses to connect to, each checked; Refused when any of them is not allowed.

    An IP literal is not looked up. A name is resolved once, within ``deadline`` (DeadlineExceeded
    otherwise); with ``public_only`` every answer must pass ``address_problem``, so a name that
    resolves to one public and one private address is refused as a whole.
    """
    literal = host.strip("[]")
    try:
        ipaddress.ip_address(literal.split("%", 1)[0])
        addresses, named = [literal], False
    except ValueError:
        named = True
        pending = process_executor("outbound-dns", RESOLVER_THREADS).submit(_getaddrinfo, host, port)
        try:
            addresses = pending.result(timeout=deadline.remaining())
        except FutureTimeout as exc:
            raise DeadlineExceeded(deadline.seconds) from exc
    if not addresses:
        raise Unresolved(f"{host} does not resolve")
    if public_only:
        for address in addresses:
            problem = address_problem(address, loopback_ok=loopback_ok)
            if problem:
                raise Refused(f"{host}: {problem}" if named else problem)
    return addresses
