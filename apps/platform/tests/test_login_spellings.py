"""No spelling of an address gets sign-in attempts of its own (issue 9, finding 1).

After the account limit of wrong passwords for ``boss@…``, every other spelling that would reach the
same account — U+017F long s, U+0131 dotless i, the U+212A Kelvin sign, full-width letters, other case —
is locked too, on the owner API, the platform API and the console's sign-in form. Spellings that fold
to another account or to no ASCII address at all name nobody (the same 401 as a wrong password).
"""

import pytest

from apps.platform.console import console_login_throttle
from apps.tenants.tests.factories import DEFAULT_PASSWORD, OwnerFactory, PlatformOperatorFactory, TenantFactory
from ringnity.api.identifiers import fold, login_email

pytestmark = pytest.mark.django_db

WRONG = "not-the-password-1"
# Each is a spelling of the address on its left that some case-folding rule maps onto it.
SPELLINGS = [
    ("boss@acme.test", "bo\u017fs@acme.test"),  # long s: NFKC → s
    ("kit@acme.test", "\u212ait@acme.test"),  # Kelvin sign: NFKC → K
    ("boss@acme.test", "\uff42\uff4f\uff53\uff53@acme.test"),  # full-width letters
    ("boss@acme.test", "BOSS@ACME.TEST"),
]


def test_fold_and_login_email_share_one_form():
    assert fold("bo\u017fs@Acme.test") == "boss@acme.test"
    assert login_email(" \u212aIT@acme.test ") == "kit@acme.test"
    assert login_email("user@b\u00fccher.example") == "user@xn--bcher-kva.example"
    # Dotless i has no ASCII fold: it names nobody (PostgreSQL's UPPER() would have folded it to I).
    assert login_email("adm\u0131n@acme.test") is None
    assert login_email(42) is None


@pytest.mark.parametrize(("address", "spelling"), SPELLINGS)
def test_owner_lockout_holds_for_every_spelling(api_client, assert_contract, address, spelling):
    OwnerFactory(tenant=TenantFactory(), email=address)
    for _ in range(5):
        response = api_client.post("/api/auth/owner-login", {"email": address, "password": WRONG}, format="json")
        assert_contract(response, "loginOwner", status=401)
    response = api_client.post(
        "/api/auth/owner-login", {"email": spelling, "password": DEFAULT_PASSWORD}, format="json"
    )
    assert_contract(response, "loginOwner", status=429)


@pytest.mark.parametrize(("address", "spelling"), SPELLINGS)
def test_owner_failures_under_a_spelling_count_for_the_account(api_client, address, spelling):
    OwnerFactory(tenant=TenantFactory(), email=address)
    for _ in range(5):
        api_client.post("/api/auth/owner-login", {"email": spelling, "password": WRONG}, format="json")
    response = api_client.post("/api/auth/owner-login", {"email": address, "password": DEFAULT_PASSWORD}, format="json")
    assert response.status_code == 429


def test_dotless_i_never_signs_in_as_the_plain_i_owner(api_client, assert_contract):
    OwnerFactory(tenant=TenantFactory(), email="admin@acme.test")
    response = api_client.post(
        "/api/auth/owner-login", {"email": "adm\u0131n@acme.test", "password": DEFAULT_PASSWORD}, format="json"
    )
    assert_contract(response, "loginOwner", status=401)


@pytest.mark.parametrize(("address", "spelling"), [s for s in SPELLINGS if "\uff42" not in s[1]])
def test_platform_lockout_holds_for_every_spelling(api_client, assert_contract, address, spelling):
    PlatformOperatorFactory(email=address)
    for _ in range(5):
        response = api_client.post("/api/platform/auth/login", {"email": address, "password": WRONG}, format="json")
        assert_contract(response, "loginPlatformAdmin", status=401)
    response = api_client.post(
        "/api/platform/auth/login", {"email": spelling, "password": DEFAULT_PASSWORD}, format="json"
    )
    assert_contract(response, "loginPlatformAdmin", status=429)


def test_platform_full_width_address_is_refused_as_malformed(api_client, assert_contract):
    """The platform API validates the e-mail format first: a full-width address is a 400, never a sign-in."""
    PlatformOperatorFactory(email="boss@acme.test")
    body = {"email": "\uff42\uff4f\uff53\uff53@acme.test", "password": DEFAULT_PASSWORD}
    assert_contract(api_client.post("/api/platform/auth/login", body, format="json"), "loginPlatformAdmin", status=400)


def test_platform_dotless_i_names_nobody(api_client, assert_contract):
    PlatformOperatorFactory(email="admin@ringnity.example")
    response = api_client.post(
        "/api/platform/auth/login",
        {"email": "adm\u0131n@ringnity.example", "password": DEFAULT_PASSWORD},
        format="json",
    )
    assert_contract(response, "loginPlatformAdmin", status=401)


@pytest.mark.parametrize(("address", "spelling"), SPELLINGS)
def test_console_lockout_holds_for_every_spelling(client, address, spelling):
    PlatformOperatorFactory(email=address)
    for _ in range(console_login_throttle.limits["account"]):
        client.post("/admin/login/", {"username": address, "password": WRONG})
    response = client.post("/admin/login/", {"username": spelling, "password": DEFAULT_PASSWORD})
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_console_dotless_i_names_nobody(client):
    PlatformOperatorFactory(email="admin@ringnity.example")
    client.post("/admin/login/", {"username": "adm\u0131n@ringnity.example", "password": DEFAULT_PASSWORD})
    assert "_auth_user_id" not in client.session
