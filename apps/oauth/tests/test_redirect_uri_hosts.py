"""Redirect URIs name one real host (security probe F8): a DNS name, an IP literal, or a loopback
host; wildcards, empty labels and labels with a leading or trailing hyphen are refused."""

import pytest

from apps.identity.sessions import SessionScope, session_issue
from apps.oauth.models import OAuthClient
from apps.oauth.services import redirect_uri_problem
from apps.oauth.tests.factories import allow_clients
from apps.tenants.tests.factories import OwnerFactory, TenantFactory

pytestmark = pytest.mark.django_db
LIST = "/api/sdk/developer/oauth-clients"
BAD_HOSTS = [
    "https://*.evil.com/cb",
    "https://*/cb",
    "https://a*.evil.com/cb",
    "https://a..com/cb",
    "https://.example.com/cb",
    "https://-bad-.com/cb",
    "https://bad-.example.com/cb",
    "https://-bad.example.com/cb",
    "https://under_score.example.com/cb",
    "https://" + "a" * 64 + ".example.com/cb",
    "https://exa%20mple.com/cb",
    "https://example.com!/cb",
]


@pytest.fixture
def owner():
    tenant = TenantFactory()
    allow_clients(tenant, 3)
    return OwnerFactory(tenant=tenant)


def _create(api_client, owner, uris):
    token = session_issue(user=owner, scope=SessionScope.OWNER).access
    body = {"name": "Shop", "redirectUris": uris}
    return api_client.post(LIST, body, format="json", HTTP_AUTHORIZATION=f"Bearer {token}")


@pytest.mark.parametrize("uri", BAD_HOSTS)
def test_a_redirect_uri_with_an_invalid_host_is_400_naming_the_entry(api_client, assert_contract, owner, uri):
    response = _create(api_client, owner, ["https://shop.example.com/cb", uri])
    body = assert_contract(response, "createOAuthClient", status=400)
    assert body["code"] == "VALIDATION_FAILED"
    assert len(body["details"]) == 1
    assert body["details"][0].startswith(f"redirectUris: [1] '{uri[:100]}' has an invalid host: ")
    assert not OAuthClient.objects.exists()


def test_every_bad_entry_is_listed(api_client, assert_contract, owner):
    uris = ["https://*.evil.com/cb", "https://ok.example.com/cb", "https://a..com/cb", "https://-bad-.com/cb"]
    body = assert_contract(_create(api_client, owner, uris), "createOAuthClient", status=400)
    assert [d.split("'")[0] for d in body["details"]] == [
        "redirectUris: [0] ",
        "redirectUris: [2] ",
        "redirectUris: [3] ",
    ]


@pytest.mark.parametrize(
    "uri",
    [
        "https://shop.example.com/cb",
        "https://a-b.c-d.example.co.uk:8443/oauth/cb?x=1",
        "https://" + "a" * 63 + ".example.com/cb",
        "https://xn--bcher-kva.example/cb",
        "https://93.184.216.34/cb",
        "https://[2001:db8::1]/cb",
        "http://127.0.0.1:53682/cb",
        "http://localhost:3000/cb",
        "http://[::1]:8080/cb",
        "https://localhost/cb",
    ],
)
def test_dns_names_ip_literals_and_loopback_hosts_are_accepted(uri):
    assert redirect_uri_problem(uri) is None


def test_an_update_with_an_invalid_host_is_400_and_keeps_the_old_uris(api_client, assert_contract, owner):
    created = assert_contract(_create(api_client, owner, ["https://app.example.com/cb"]), "createOAuthClient", 201)
    client_id = created["data"]["oauthClient"]["id"]
    token = session_issue(user=owner, scope=SessionScope.OWNER).access
    response = api_client.patch(
        f"{LIST}/{client_id}",
        {"redirectUris": ["https://*.evil.com/cb"]},
        format="json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    body = assert_contract(response, "updateOAuthClient", status=400)
    assert body["details"][0].startswith("redirectUris: [0] 'https://*.evil.com/cb' has an invalid host: ")
    assert OAuthClient.objects.get().redirect_uris == "https://app.example.com/cb"
