"""Device push tokens: upsert, unregister, and only the session's own tenant and subject."""

import pytest

from apps.developer.models import AllowedDomain
from apps.runtime.models import DevicePushToken
from apps.runtime.tests.fixtures import ready_tenant, runtime_headers, server_headers
from apps.runtime.tokens import TokenKind
from apps.tenants.tests.factories import StaffFactory
from ringnity.testing.contract import assert_contract

pytestmark = pytest.mark.django_db
URL = "/api/sdk/devices/push-token"


@pytest.fixture
def tenant():
    return ready_tenant()


def _register(client, headers, **body):
    """POST the push token; whatever the status, the answer must match the contract."""
    payload = {"platform": "android", "token": "fcm-token-1", "deviceId": "device-1", **body}
    response = client.post(URL, payload, format="json", **headers)
    assert_contract(response, "registerDevicePushToken")
    return response


def _unregister(client, headers, **body):
    """DELETE the push token; whatever the status, the answer must match the contract."""
    response = client.delete(URL, body, format="json", **headers)
    assert_contract(response, "unregisterDevicePushToken")
    return response


def test_register_creates_an_enabled_device_without_echoing_the_token(api_client, assert_contract, tenant):
    headers = runtime_headers(tenant, subject="vis_a")
    body = assert_contract(_register(api_client, headers, appId="com.shop"), "registerDevicePushToken", status=201)
    device = body["data"]["device"]
    assert device["clientId"] == tenant.public_id
    assert device["enabled"] is True
    assert device["provider"] == "fcm"
    assert device["audience"] == "visitor"
    assert device["appId"] == "com.shop"
    assert "fcm-token-1" not in str(body)
    row = DevicePushToken.objects.for_tenant(tenant).get()
    assert row.subject == "vis_a"
    assert row.last_seen_at is not None


def test_register_again_upserts_by_token_and_by_device_id_refreshing_last_seen(api_client, assert_contract, tenant):
    headers = runtime_headers(tenant, subject="vis_a")
    first = _register(api_client, headers).json()["data"]["device"]
    again = assert_contract(_register(api_client, headers), "registerDevicePushToken", status=201)["data"]["device"]
    assert again["id"] == first["id"]
    assert again["lastSeenAt"] >= first["lastSeenAt"]
    rotated = _register(api_client, headers, token="fcm-token-2")  # same deviceId, new push token
    assert rotated.json()["data"]["device"]["id"] == first["id"]
    assert DevicePushToken.objects.for_tenant(tenant).count() == 1


def test_unregister_by_device_id_or_token_returns_how_many_were_disabled(api_client, assert_contract, tenant):
    headers = runtime_headers(tenant, subject="vis_a")
    _register(api_client, headers)
    _register(api_client, headers, token="fcm-token-2", deviceId="device-2")
    body = assert_contract(
        _unregister(api_client, headers, deviceId="device-1"), "unregisterDevicePushToken", status=200
    )
    assert body["data"]["disabled"] == 1
    body = assert_contract(
        _unregister(api_client, headers, token="fcm-token-2"), "unregisterDevicePushToken", status=200
    )
    assert body["data"]["disabled"] == 1
    assert not DevicePushToken.objects.for_tenant(tenant).filter(enabled=True).exists()
    assert _unregister(api_client, headers, deviceId="device-1").json()["data"]["disabled"] == 0


def test_unregister_with_neither_device_id_nor_token_is_400(api_client, assert_contract, tenant):
    response = _unregister(api_client, runtime_headers(tenant))
    assert_contract(response, "unregisterDevicePushToken", status=400)
    assert response.json()["code"] == "SDK_DEVICE_TOKEN_INVALID"


def test_register_validation_lists_each_bad_field(api_client, assert_contract, tenant):
    response = api_client.post(URL, {"platform": "palm", "provider": "x"}, format="json", **runtime_headers(tenant))
    assert_contract(response, "registerDevicePushToken", status=400)
    body = response.json()
    assert body["code"] == "SDK_DEVICE_TOKEN_INVALID"
    assert {d.split(":")[0] for d in body["details"]} == {"platform", "provider", "token"}
    assert not DevicePushToken.objects.exists()


def test_a_visitor_cannot_register_an_agent_device(api_client, tenant):
    response = _register(api_client, runtime_headers(tenant), audience="agent")
    assert response.status_code == 400
    assert response.json()["code"] == "SDK_DEVICE_TOKEN_INVALID"


def test_an_agent_device_is_bound_to_the_agent_of_the_token(api_client, assert_contract, tenant):
    agent = StaffFactory(tenant=tenant)
    headers = runtime_headers(tenant, TokenKind.AGENT, subject=agent.public_id)
    body = _register(api_client, headers, audience="agent", agentId="usr_someone_else").json()
    assert body["data"]["device"]["agentId"] == agent.public_id


def test_devices_require_a_session(api_client, assert_contract):
    response = _register(api_client, {})
    assert_contract(response, "registerDevicePushToken", status=401)
    assert response.json()["code"] == "SDK_SESSION_REQUIRED"


def test_another_subject_cannot_unregister_my_devices(api_client, tenant):
    _register(api_client, runtime_headers(tenant, subject="vis_a"))
    other = runtime_headers(tenant, subject="vis_b")
    assert _unregister(api_client, other, deviceId="device-1").json()["data"]["disabled"] == 0
    assert _unregister(api_client, other, token="fcm-token-1").json()["data"]["disabled"] == 0
    assert DevicePushToken.objects.for_tenant(tenant).get().enabled is True


def test_another_subject_reusing_my_device_id_gets_its_own_row(api_client, tenant):
    _register(api_client, runtime_headers(tenant, subject="vis_a"))
    _register(api_client, runtime_headers(tenant, subject="vis_b"), token="fcm-token-b")
    assert set(DevicePushToken.objects.for_tenant(tenant).values_list("subject", flat=True)) == {"vis_a", "vis_b"}


def test_another_tenant_never_touches_my_devices(api_client, assert_contract, tenant):
    _register(api_client, runtime_headers(tenant, subject="vis_a"))
    other = ready_tenant()
    same_subject = runtime_headers(other, subject="vis_a")
    response = _unregister(api_client, same_subject, deviceId="device-1")
    assert_contract(response, "unregisterDevicePushToken", status=200)
    assert response.json()["data"]["disabled"] == 0
    # Registering the same push token in the other tenant makes that tenant's own row.
    created = _register(api_client, same_subject).json()["data"]["device"]
    assert created["clientId"] == other.public_id
    assert DevicePushToken.objects.for_tenant(tenant).get().enabled is True
    assert DevicePushToken.objects.for_tenant(other).count() == 1


def test_device_responses_allow_the_tenants_origin(api_client, tenant):
    AllowedDomain.objects.create(tenant=tenant, domain="shop.example.com")
    headers = {**runtime_headers(tenant), "HTTP_ORIGIN": "https://shop.example.com"}
    assert _register(api_client, headers)["Access-Control-Allow-Origin"] == "https://shop.example.com"
    foreign = {**runtime_headers(tenant), "HTTP_ORIGIN": "https://evil.example.net"}
    assert "Access-Control-Allow-Origin" not in _register(api_client, foreign)


def test_a_device_external_id_is_the_verified_one_never_a_claimed_one(api_client, tenant):
    claimed = _register(api_client, runtime_headers(tenant, subject="vis_x"), externalId="cust-42").json()
    assert claimed["data"]["device"]["externalId"] is None
    verified = runtime_headers(
        tenant, subject="ext:cust-42", context={"verified": True, "visitor": {"externalId": "cust-42"}}
    )
    device = _register(api_client, verified, token="fcm-verified", externalId="someone-else").json()["data"]["device"]
    assert device["externalId"] == "cust-42"


@pytest.mark.parametrize(
    "visitor", [{"externalId": "e" * 200}, {"email": "a" * 64 + "@" + ("b" * 58 + ".") * 3 + "example.com"}]
)
def test_a_long_verified_identity_registers_devices_under_one_stable_subject(
    api_client, assert_contract, tenant, visitor
):
    context = api_client.post(
        "/api/server/visitor-context-token", {"visitor": visitor}, format="json", **server_headers(tenant)
    ).json()["data"]["token"]

    def session_headers():
        response = api_client.post("/api/sdk/session", {"slug": tenant.slug, "contextToken": context}, format="json")
        return {"HTTP_X_RINGNITY_SDK_SESSION": response.json()["data"]["sessionToken"]}

    first = assert_contract(_register(api_client, session_headers()), "registerDevicePushToken", status=201)
    again = assert_contract(
        _register(api_client, session_headers(), token="fcm-token-2"), "registerDevicePushToken", status=201
    )
    assert again["data"]["device"]["id"] == first["data"]["device"]["id"]
    assert first["data"]["device"]["externalId"] == visitor.get("externalId")


def test_device_metadata_is_bounded(api_client, assert_contract, tenant):
    response = _register(api_client, runtime_headers(tenant), metadata={"blob": "x" * 5000})
    assert_contract(response, "registerDevicePushToken", status=400)
    assert response.json()["details"][0].startswith("metadata:")
    assert not DevicePushToken.objects.exists()


def _raw(client, method, headers, raw: str):
    """Sends ``raw`` as the JSON body as is: a lone surrogate such as "\\ud800" is valid JSON, not UTF-8."""
    return getattr(client, method)(URL, raw.encode(), content_type="application/json", **headers)


@pytest.mark.parametrize("field", ["platform", "provider", "audience", "callMode"])
def test_an_unencodable_choice_is_a_400_not_a_500(api_client, assert_contract, tenant, field):
    headers = runtime_headers(tenant)
    response = _raw(api_client, "post", headers, f'{{"platform": "ios", "token": "t", "{field}": "\\ud800"}}')
    assert_contract(response, "registerDevicePushToken", status=400)
    assert response.json()["details"][0].startswith(f"{field}:")
    response = _raw(api_client, "delete", headers, '{"token": "t", "provider": "\\ud800"}')
    assert_contract(response, "unregisterDevicePushToken", status=400)


@pytest.mark.parametrize(
    "metadata", ['{"a": "\\ud800"}', '{"\\ud800": 1}', '{"a": ["x\\u0000"]}', '{"a": ' * 40 + "1" + "}" * 40]
)
def test_metadata_the_database_cannot_store_is_a_400(api_client, assert_contract, tenant, metadata):
    response = _raw(
        api_client, "post", runtime_headers(tenant), f'{{"platform": "ios", "token": "t", "metadata": {metadata}}}'
    )
    assert_contract(response, "registerDevicePushToken", status=400)
    assert response.json()["details"][0].startswith("metadata:")
    assert not DevicePushToken.objects.exists()
