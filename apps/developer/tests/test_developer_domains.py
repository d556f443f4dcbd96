"""Allowed-domain normalization (unit) and PUT /sdk/developer/allowed-domains."""

import pytest

from apps.developer.domains import DomainError, normalize_domain, normalize_domains, origin_allowed, parse_origin
from apps.developer.models import AllowedDomain
from apps.identity.sessions import SessionScope, session_issue
from apps.plans.tests.factories import subscribe
from apps.runtime import services as runtime_services
from apps.tenants.tests.factories import OwnerFactory, StaffFactory, TenantFactory

URL = "/api/sdk/developer/allowed-domains"


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("example.com", "example.com"),
        ("  App.Example.COM  ", "app.example.com"),
        ("example.com.", "example.com"),
        ("https://shop.example.com", "shop.example.com"),
        ("https://shop.example.com/cart?x=1#top", "shop.example.com"),
        ("shop.example.com/cart", "shop.example.com"),
        ("app.example.com:8443", "app.example.com:8443"),
        ("https://example.com:443", "example.com"),
        ("http://example.com:80/", "example.com"),
        ("*.example.com", "*.example.com"),
        ("*.Example.com:3000", "*.example.com:3000"),
        ("localhost", "localhost"),
        ("http://localhost:3000", "localhost:3000"),
        ("127.0.0.1:8080", "127.0.0.1:8080"),
        ("[::1]:3000", "[::1]:3000"),
        ("Bücher.example", "xn--bcher-kva.example"),
        ("*.bücher.example", "*.xn--bcher-kva.example"),
        ("xn--bcher-kva.example", "xn--bcher-kva.example"),
    ],
)
def test_entries_are_normalized(raw, stored):
    assert normalize_domain(raw) == stored


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "intranet",
        "*",
        "*.com",
        "a.*.example.com",
        "ftp://example.com",
        "javascript://example.com",
        "user@example.com",
        "https://user:pw@example.com",
        "ex_ample.com",
        "-bad.example.com",
        "a..example.com",
        "example.com:0",
        "example.com:70000",
        "example.com:http",
        "::1",
        "*.127.0.0.1",
        "x" * 64 + ".example.com",
        "example.com:\u00b2",  # a superscript two: str.isdigit() says yes, int() says no
        "[::1]:\u00b2",
        "\ud800.example.com",
    ],
)
def test_invalid_entries_are_refused(raw):
    with pytest.raises(DomainError):
        normalize_domain(raw)


def test_duplicates_fold_after_normalization_and_errors_name_each_index():
    values, errors = normalize_domains(["Example.com", "https://example.com/", "bad domain", "b.example.com", 7])
    assert values == ["example.com", "b.example.com"]
    assert [e.split(":")[0] for e in errors] == ["allowedDomains[2]", "allowedDomains[4]"]


def test_origin_matching_rules():
    stored = ["example.com", "*.shop.example", "localhost:3000"]
    assert origin_allowed("https://example.com", stored) == "example.com"
    assert origin_allowed("https://example.com:8443", stored) == "example.com"  # no port in the entry: any port
    assert origin_allowed("https://a.b.shop.example", stored) == "*.shop.example"
    assert origin_allowed("https://shop.example", stored) is None  # a wildcard does not cover the apex
    assert origin_allowed("http://localhost:3000", stored) == "localhost:3000"
    assert origin_allowed("http://localhost:3001", stored) is None
    assert origin_allowed("https://evil-example.com", stored) is None
    assert origin_allowed("https://example.com.evil.net", stored) is None
    assert origin_allowed("null", stored) is None


@pytest.mark.parametrize("origin", ["https://example.com:\u00b2", "http://[::1", "http://[zz]", "https://[::1]:\u00b2"])
def test_malformed_origins_are_no_origin(origin):
    assert parse_origin(origin) is None
    assert origin_allowed(origin, ["example.com", "[::1]"]) is None


def test_a_malformed_origin_header_is_refused_by_the_public_runtime_not_a_500(api_client, assert_contract, db):
    TenantFactory(slug="acme")
    api_client.raise_request_exception = False
    for origin in ("https://example.com:\u00b2", "http://[::1"):
        response = api_client.get("/api/sdk/bootstrap", {"slug": "acme"}, HTTP_ORIGIN=origin)
        assert response.status_code < 500
        assert_contract(response, "bootstrapRuntime", status=response.status_code)
        assert "Access-Control-Allow-Origin" not in response


# --- API -----------------------------------------------------------------------


def _bearer(user, scope=SessionScope.OWNER):
    return {"HTTP_AUTHORIZATION": f"Bearer {session_issue(user=user, scope=scope).access}"}


@pytest.fixture
def owner(db):
    tenant = TenantFactory(slug="acme")
    subscribe(tenant, features={"chat": True}, quotas={"allowed_domains": 3})
    return OwnerFactory(tenant=tenant)


def test_put_replaces_the_list_with_normalized_entries(api_client, assert_contract, owner):
    AllowedDomain.objects.create(tenant=owner.tenant, domain="old.example.com")
    response = api_client.put(
        URL, {"allowedDomains": ["HTTPS://Shop.Example.com/", "shop.example.com", "*.acme.test"]}, **_bearer(owner)
    )
    data = assert_contract(response, "updateDeveloperAllowedDomains", status=200)["data"]
    assert data["allowedDomains"] == ["*.acme.test", "shop.example.com"]
    stored = AllowedDomain.objects.for_tenant(owner.tenant).values_list("domain", flat=True)
    assert sorted(stored) == ["*.acme.test", "shop.example.com"]


def test_empty_list_clears_the_domains(api_client, assert_contract, owner):
    AllowedDomain.objects.create(tenant=owner.tenant, domain="old.example.com")
    response = api_client.put(URL, {"allowedDomains": []}, **_bearer(owner))
    assert assert_contract(response, "updateDeveloperAllowedDomains", status=200)["data"]["allowedDomains"] == []


def test_any_invalid_entry_lists_each_and_changes_nothing(api_client, assert_contract, owner):
    AllowedDomain.objects.create(tenant=owner.tenant, domain="keep.example.com")
    response = api_client.put(
        URL, {"allowedDomains": ["ok.example.com", "ftp://bad.example.com", "no_underscores.com"]}, **_bearer(owner)
    )
    body = assert_contract(response, "updateDeveloperAllowedDomains", status=400)
    assert body["code"] == "VALIDATION_FAILED"
    assert [d.split(":")[0] for d in body["details"]] == ["allowedDomains[1]", "allowedDomains[2]"]
    assert list(AllowedDomain.objects.for_tenant(owner.tenant).values_list("domain", flat=True)) == ["keep.example.com"]


def test_unencodable_and_odd_entries_are_each_reported_not_a_500(api_client, assert_contract, owner):
    AllowedDomain.objects.create(tenant=owner.tenant, domain="keep.example.com")
    api_client.raise_request_exception = False
    # A lone surrogate is valid JSON ("\\ud800") but cannot be encoded as UTF-8; the error must still render.
    entries = '"ok.example.com", "\\ud800.example.com", "example.com:\u00b2", 7, "a.example.com:\\udfff"'
    raw = '{"allowedDomains": [' + entries + "]}"
    response = api_client.put(URL, raw.encode(), content_type="application/json", **_bearer(owner))
    body = assert_contract(response, "updateDeveloperAllowedDomains", status=400)
    assert [d.split(":")[0] for d in body["details"]] == [f"allowedDomains[{i}]" for i in (1, 2, 3, 4)]
    assert list(AllowedDomain.objects.for_tenant(owner.tenant).values_list("domain", flat=True)) == ["keep.example.com"]


def test_more_than_the_plan_quota_is_refused_naming_the_limit(api_client, assert_contract, owner):
    AllowedDomain.objects.create(tenant=owner.tenant, domain="keep.example.com")
    entries = ["a.example.com", "b.example.com", "c.example.com", "d.example.com"]
    body = assert_contract(
        api_client.put(URL, {"allowedDomains": entries}, **_bearer(owner)), "updateDeveloperAllowedDomains", 400
    )
    assert body["code"] == "QUOTA_EXCEEDED"
    assert "allowed_domains" in body["details"][0]
    assert "3" in body["details"][0]
    assert AllowedDomain.objects.for_tenant(owner.tenant).count() == 1


def test_duplicates_do_not_count_against_the_quota(api_client, assert_contract, owner):
    entries = ["a.example.com", "A.example.com", "https://a.example.com/", "b.example.com", "c.example.com"]
    response = api_client.put(URL, {"allowedDomains": entries}, **_bearer(owner))
    assert len(assert_contract(response, "updateDeveloperAllowedDomains", status=200)["data"]["allowedDomains"]) == 3


def test_missing_body_field_is_a_validation_error(api_client, assert_contract, owner):
    body = assert_contract(api_client.put(URL, {}, **_bearer(owner)), "updateDeveloperAllowedDomains", status=400)
    assert body["details"][0].startswith("allowedDomains:")


def test_workspace_admin_may_update_but_an_agent_may_not(api_client, assert_contract, owner):
    admin = StaffFactory(tenant=owner.tenant, role="admin")
    agent = StaffFactory(tenant=owner.tenant, role="agent")
    response = api_client.put(URL, {"allowedDomains": ["a.example.com"]}, **_bearer(admin, SessionScope.WORKSPACE))
    assert_contract(response, "updateDeveloperAllowedDomains", status=200)
    response = api_client.put(URL, {"allowedDomains": []}, **_bearer(agent, SessionScope.WORKSPACE))
    assert assert_contract(response, "updateDeveloperAllowedDomains", status=403)["code"] == "PERMISSION_DENIED"
    assert AllowedDomain.objects.for_tenant(owner.tenant).count() == 1


def test_another_tenants_token_changes_only_its_own_domains(api_client, assert_contract, owner):
    AllowedDomain.objects.create(tenant=owner.tenant, domain="acme.example.com")
    other = OwnerFactory(tenant=TenantFactory(slug="beta"))
    subscribe(other.tenant, quotas={"allowed_domains": 5})
    response = api_client.put(URL, {"allowedDomains": ["beta.example.com"]}, **_bearer(other))
    data = assert_contract(response, "updateDeveloperAllowedDomains", status=200)["data"]
    assert data["allowedDomains"] == ["beta.example.com"]
    assert data["tenant"]["clientId"] == other.tenant.public_id
    assert list(AllowedDomain.objects.for_tenant(owner.tenant).values_list("domain", flat=True)) == ["acme.example.com"]


def test_without_a_token_is_401(api_client, assert_contract, db):
    assert_contract(api_client.put(URL, {"allowedDomains": []}), "updateDeveloperAllowedDomains", status=401)


def test_replacing_the_list_takes_a_constant_number_of_queries(
    api_client, assert_contract, owner, django_assert_max_num_queries
):
    subscribe(owner.tenant, features={"chat": True}, quotas={"allowed_domains": 100})
    headers = _bearer(owner)
    response = api_client.put(URL, {"allowedDomains": ["old.example.com"]}, format="json", **headers)
    assert_contract(response, "updateDeveloperAllowedDomains", status=200)
    # Each replacement below deletes one entry and inserts the rest: 1 row, then 60.
    with django_assert_max_num_queries(30) as few:
        response = api_client.put(URL, {"allowedDomains": ["a.example.com"]}, format="json", **headers)
        assert_contract(response, "updateDeveloperAllowedDomains", status=200)
    many = [f"d{n}.example.com" for n in range(60)]
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = api_client.put(URL, {"allowedDomains": many}, format="json", **headers)
        assert (
            len(assert_contract(response, "updateDeveloperAllowedDomains", status=200)["data"]["allowedDomains"]) == 60
        )


def test_a_null_entry_is_reported_with_every_other_bad_entry(api_client, assert_contract, owner):
    response = api_client.put(
        URL, {"allowedDomains": ["bad domain", None, "ok.example.com", {"host": "x"}]}, format="json", **_bearer(owner)
    )
    body = assert_contract(response, "updateDeveloperAllowedDomains", status=400)
    assert [d.split(":")[0] for d in body["details"]] == ["allowedDomains[0]", "allowedDomains[1]", "allowedDomains[3]"]
    assert not AllowedDomain.objects.for_tenant(owner.tenant).exists()


@pytest.mark.parametrize("raw", ["co.uk", "*.co.uk", "https://*.com.au", "*.github.io", "github.io", "*.herokuapp.com"])
def test_a_public_suffix_is_never_an_allowed_domain(raw):
    """Every site under a public suffix belongs to someone else: allowing one would allow them all."""
    with pytest.raises(DomainError, match="public suffix"):
        normalize_domain(raw)


@pytest.mark.parametrize("raw", ["shop.co.uk", "*.shop.co.uk", "me.github.io", "app.herokuapp.com", "localhost"])
def test_a_domain_under_a_public_suffix_is_fine(raw):
    assert normalize_domain(raw) == raw


def test_a_public_suffix_entry_is_refused_by_the_api_and_a_stored_one_allows_nothing(
    api_client, assert_contract, owner
):
    response = api_client.put(URL, {"allowedDomains": ["shop.co.uk", "*.co.uk"]}, **_bearer(owner))
    body = assert_contract(response, "updateDeveloperAllowedDomains", status=400)
    assert body["details"][0].startswith("allowedDomains[1]: '*.co.uk' is a public suffix")
    AllowedDomain.objects.create(tenant=owner.tenant, domain="*.co.uk")  # stored before this rule
    assert not origin_allowed("https://victim.co.uk", ["*.co.uk"])
    assert not runtime_services.origin_allowed_for_tenant(tenant=owner.tenant, origin="https://victim.co.uk")
