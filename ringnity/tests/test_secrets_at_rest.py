"""Secrets at rest: what a client sends or receives once is stored only as a digest.

Each test obtains a secret through the API, then scans every text column of the row that holds it
(whatever its field names) for the plaintext, so a new column that copies the secret fails too.
"""

import pytest
from django.db import models

from apps.developer.models import ServerApiKey
from apps.identity.models import WorkspaceEntryToken
from apps.identity.sessions import SessionScope, session_issue
from apps.plans.tests.factories import subscribe
from apps.runtime.models import DevicePushToken
from apps.runtime.tests.fixtures import ready_tenant, runtime_headers
from apps.tenants.tests.factories import OwnerFactory
from ringnity.api.secrets import secret_digest

pytestmark = pytest.mark.django_db


def _text_values(row) -> list[str]:
    return [
        str(getattr(row, field.attname) or "")
        for field in row._meta.concrete_fields
        if isinstance(field, (models.CharField, models.TextField, models.JSONField))
    ]


def _assert_not_stored(row, secret: str) -> None:
    assert secret
    for value in _text_values(row):
        assert secret not in value, f"{type(row).__name__} stores the plaintext secret"


@pytest.fixture
def owner_headers():
    tenant = ready_tenant()
    subscribe(tenant, features={"server_api": True, "chat": True}, quotas={"server_api_keys": 5})
    owner = OwnerFactory(tenant=tenant)
    return owner, {"HTTP_AUTHORIZATION": f"Bearer {session_issue(user=owner, scope=SessionScope.OWNER).access}"}


def test_a_server_api_key_is_shown_once_and_stored_as_its_digest(api_client, assert_contract, owner_headers):
    owner, headers = owner_headers
    payload = {"name": "Backend", "scopes": ["server:health"]}
    response = api_client.post("/api/sdk/developer/server-api-credentials", payload, format="json", **headers)
    secret = assert_contract(response, "createServerApiCredential", status=201)["data"]["secret"]
    key = ServerApiKey.objects.for_tenant(owner.tenant).get()
    assert key.secret_digest == secret_digest(secret)
    _assert_not_stored(key, secret)
    listed = api_client.get("/api/sdk/developer/server-api-credentials", **headers)
    assert secret not in listed.content.decode()


def test_a_workspace_entry_token_is_stored_as_its_digest(api_client, assert_contract, owner_headers):
    owner, headers = owner_headers
    response = api_client.post("/api/auth/workspace-entry-token", **headers)
    token = assert_contract(response, "createWorkspaceEntryToken", status=200)["data"]["autoLoginToken"]
    _assert_not_stored(WorkspaceEntryToken.objects.get(tenant=owner.tenant), token)


def test_a_device_push_token_is_kept_for_delivery_but_never_answered(api_client, assert_contract):
    """Push tokens are the exception: the server must send them to FCM/APNs, so the row keeps them
    (looked up by digest); no API answer ever carries one back."""
    tenant = ready_tenant()
    token = "fcm-secret-push-token-0123456789"
    body = {"platform": "android", "token": token, "deviceId": "device-1"}
    headers = runtime_headers(tenant)
    response = api_client.post("/api/sdk/devices/push-token", body, format="json", **headers)
    assert_contract(response, "registerDevicePushToken", status=201)
    assert token not in response.content.decode()
    row = DevicePushToken.objects.for_tenant(tenant).get()
    assert row.token_digest == secret_digest(token)
    response = api_client.delete("/api/sdk/devices/push-token", {"token": token}, format="json", **headers)
    assert_contract(response, "unregisterDevicePushToken", status=200)
    assert token not in response.content.decode()
