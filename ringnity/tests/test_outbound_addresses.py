"""The outbound address policy, decided once for every caller: this table is the decision."""

import pytest

from ringnity.outbound import Deadline, Refused, address_problem, resolve

# (address, refused without loopback allowed, refused with loopback allowed)
TABLE = [
    # IPv4 special ranges
    ("0.0.0.0", True, True),  # noqa: S104 (refused, not bound)
    ("0.1.2.3", True, True),
    ("10.0.0.1", True, True),
    ("100.64.0.1", True, True),
    ("100.127.255.254", True, True),
    ("127.0.0.1", True, False),
    ("127.8.9.10", True, False),
    ("169.254.169.254", True, True),
    ("172.16.0.1", True, True),
    ("172.31.255.255", True, True),
    ("192.0.0.1", True, True),
    ("192.0.0.8", True, True),
    ("192.0.0.9", True, True),
    ("192.0.0.10", True, True),
    ("192.0.0.170", True, True),
    ("192.0.2.1", True, True),
    ("192.88.99.1", True, True),
    ("192.168.1.10", True, True),
    ("198.18.0.1", True, True),
    ("198.51.100.7", True, True),
    ("203.0.113.9", True, True),
    ("224.0.0.1", True, True),
    ("239.255.255.250", True, True),
    ("240.0.0.1", True, True),
    ("255.255.255.255", True, True),
    # IPv6 outside global unicast, and the special parts inside it
    ("::", True, True),
    ("::1", True, False),
    ("::ffff:127.0.0.1", True, True),
    ("::ffff:8.8.8.8", True, True),
    ("::127.0.0.1", True, True),
    ("fe80::1", True, True),
    ("fe80::1%1", True, True),
    ("fec0::1", True, True),
    ("fc00::1", True, True),
    ("fd12:3456::1", True, True),
    ("ff02::1", True, True),
    ("100::1", True, True),
    ("64:ff9b:1::1", True, True),
    ("5f00::1", True, True),
    ("2001::1", True, True),  # Teredo
    ("2001:0:4136:e378:8000:63bf:3fff:fdd2", True, True),  # Teredo
    ("2001:2::1", True, True),
    ("2001:db8::1", True, True),
    ("2002:7f00:1::", True, True),  # 6to4 of 127.0.0.1 (issue 22, finding 8)
    ("2002:a00:1::1", True, True),  # 6to4 of 10.0.0.1
    ("2002:808:808::1", True, True),  # 6to4 of a public address: refused all the same
    ("3fff::1", True, True),
    # NAT64 well-known prefix: judged by the IPv4 address it embeds
    ("64:ff9b::7f00:1", True, True),
    ("64:ff9b::a00:1", True, True),
    ("64:ff9b::c0a8:101", True, True),
    ("64:ff9b::808:808", False, False),
    # public
    ("8.8.8.8", False, False),
    ("1.1.1.1", False, False),
    ("93.184.216.34", False, False),
    ("192.0.1.1", False, False),
    ("2606:4700:4700::1111", False, False),
    ("2a00:1450:4001:82a::200e", False, False),
]


@pytest.mark.parametrize(("address", "refused", "refused_with_loopback"), TABLE)
def test_the_special_ranges_are_decided_once(address, refused, refused_with_loopback):
    assert (address_problem(address) is not None) is refused
    assert (address_problem(address, loopback_ok=True) is not None) is refused_with_loopback


def test_a_name_is_refused_when_any_of_its_addresses_is(monkeypatch):
    from ringnity.outbound import addresses

    monkeypatch.setattr(
        addresses.socket,
        "getaddrinfo",
        lambda *a, **k: [(0, 0, 0, "", ("8.8.8.8", 443)), (0, 0, 0, "", ("10.0.0.1", 443))],
    )
    with pytest.raises(Refused, match=r"mixed\.example: 10\.0\.0\.1 is a private address"):
        resolve("mixed.example", 443, deadline=Deadline(2), public_only=True)
    assert resolve("mixed.example", 443, deadline=Deadline(2), public_only=False) == ["8.8.8.8", "10.0.0.1"]


def test_ip_literals_are_checked_without_a_lookup(monkeypatch):
    from ringnity.outbound import addresses

    monkeypatch.setattr(addresses.socket, "getaddrinfo", None)  # any lookup would fail loudly
    assert resolve("8.8.8.8", 443, deadline=Deadline(1), public_only=True) == ["8.8.8.8"]
    with pytest.raises(Refused, match="loopback"):
        resolve("::1", 443, deadline=Deadline(1), public_only=True)
