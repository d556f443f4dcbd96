"""Origin matching: the candidate lookup agrees with the stored-entry rule of apps.developer.domains."""

import pytest

from apps.developer import domains
from apps.runtime.origins import origin_allowed, origin_candidates

CASES = [
    # (origin, stored entries, allowed?)
    ("https://example.com", ["example.com"], True),
    ("https://example.com:8443", ["example.com"], True),  # an entry without a port allows any port
    ("https://example.com:8443", ["example.com:8443"], True),
    ("https://example.com:9443", ["example.com:8443"], False),
    ("https://example.com", ["example.com:8443"], False),
    ("https://app.example.com", ["example.com"], False),  # exact host only
    ("https://app.example.com", ["*.example.com"], True),
    ("https://a.b.example.com", ["*.example.com"], True),  # any depth
    ("https://example.com", ["*.example.com"], False),  # not the apex
    ("https://evil-example.com", ["*.example.com"], False),
    ("https://example.com.evil.io", ["example.com", "*.example.com"], False),
    ("https://app.example.com:3000", ["*.example.com:3000"], True),
    ("https://app.example.com:4000", ["*.example.com:3000"], False),
    ("http://localhost:3000", ["localhost:3000"], True),
    ("http://localhost:3001", ["localhost:3000"], False),
    ("http://localhost:3001", ["localhost"], True),
    ("http://127.0.0.1:8080", ["127.0.0.1:8080"], True),
    ("https://EXAMPLE.com", ["example.com"], True),
    ("https://xn--bcher-kva.example", ["xn--bcher-kva.example"], True),
    ("https://example.com:443", ["example.com"], True),
    ("null", ["example.com"], False),
    ("", ["example.com"], False),
    ("ftp://example.com", ["example.com"], False),
    ("https://user@example.com", ["example.com"], False),
]


@pytest.mark.parametrize(("origin", "stored", "expected"), CASES)
def test_origin_match_is_exact_host_wildcard_subdomain_and_port_aware(origin, stored, expected):
    assert origin_allowed(origin, stored) is expected


@pytest.mark.parametrize(("origin", "stored", "expected"), CASES)
def test_candidate_lookup_agrees_with_the_stored_entry_rule(origin, stored, expected):
    assert (domains.origin_allowed(origin, stored) is not None) is origin_allowed(origin, stored)


def test_candidates_are_few_and_never_a_bare_tld_wildcard_for_single_labels():
    assert origin_candidates("http://localhost:3000") == {"localhost", "localhost:3000"}
    assert origin_candidates("https://a.example.com") == {"a.example.com", "*.example.com", "*.com"}


@pytest.mark.parametrize("origin", ["http://[", "https://[::1", "http://[zz]:80", "https://a]b.example.com"])
def test_a_malformed_origin_allows_nothing_and_never_raises(origin):
    assert origin_candidates(origin) == set()
    assert origin_allowed(origin, ["example.com", "[::1]"]) is False
