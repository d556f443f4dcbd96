"""createVisitorConversationCallLink: a signed, expiring link tied to the visitor's own conversation."""

import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import signing
from django.utils import timezone

from apps.calls import link_services
from apps.calls.link_services import CallLinkState
from apps.calls.models import CallLink
from apps.calls.tests.factories import (
    agent_headers,
    call_tenant,
    chat_session_headers,
    conversation_for,
    owner_headers,
    visitor_for,
    visitor_headers,
)
from apps.developer.models import AllowedDomain, ServiceToggle
from apps.plans.tests.factories import subscribe

pytestmark = pytest.mark.django_db
OPERATION = "createVisitorConversationCallLink"


def url(conversation) -> str:
    return f"/api/chat/visitor/conversations/{conversation.public_id}/call-links"


@pytest.fixture
def tenant():
    return call_tenant()


@pytest.fixture
def visitor(tenant):
    return visitor_for(tenant)


@pytest.fixture
def conversation(tenant, visitor):
    return conversation_for(tenant, visitor)


def _link(client, conversation, headers, **body):
    return client.post(url(conversation), body, format="json", **headers)


def test_visitor_gets_a_voice_link_by_default_that_resolves_to_its_conversation(
    api_client, assert_contract, tenant, visitor, conversation
):
    response = _link(api_client, conversation, visitor_headers(visitor))
    link = assert_contract(response, OPERATION, 201)["data"]["callLink"]
    assert link["conversationId"] == conversation.public_id
    assert link["service"] == "voice_call"
    assert link["url"] == settings.RINGNITY_PUBLIC_URL + link_services.CALL_LINK_PATH + link["token"]
    expires = timezone.datetime.fromisoformat(link["expiresAt"])
    assert timedelta(minutes=29) < expires - timezone.now() <= link_services.CALL_LINK_TTL
    check = link_services.call_link_resolve(token=link["token"])
    assert check.state == CallLinkState.VALID
    resolved = check.link
    assert resolved.public_id == link["id"]
    assert resolved.conversation_id == conversation.pk
    assert resolved.tenant_id == tenant.pk


def test_video_link_with_metadata_through_the_chat_session_header(api_client, assert_contract, visitor, conversation):
    response = _link(api_client, conversation, chat_session_headers(visitor), service="video_call", metadata={"a": 1})
    link = assert_contract(response, OPERATION, 201)["data"]["callLink"]
    assert (link["service"], link["metadata"]) == ("video_call", {"a": 1})


def test_a_bad_service_or_metadata_is_400_listing_both_and_nothing_is_written(
    api_client, assert_contract, visitor, conversation
):
    response = _link(api_client, conversation, visitor_headers(visitor), service="fax", metadata="x")
    body = assert_contract(response, OPERATION, 400)
    assert body["code"] == "VALIDATION_FAILED"
    assert sorted(d.split(":")[0] for d in body["details"]) == ["metadata", "service"]
    assert not CallLink.objects.exists()


@pytest.mark.parametrize("service", ["voice_call", "video_call"])
def test_a_service_outside_the_plan_is_403_feature_not_available(
    api_client, assert_contract, tenant, visitor, conversation, service
):
    subscribe(tenant, features={"chat": True, "voice_call": service != "voice_call", "video_call": False})
    response = _link(api_client, conversation, visitor_headers(visitor), service=service)
    body = assert_contract(response, OPERATION, 403)
    assert (body["code"], body["details"]) == ("FEATURE_NOT_AVAILABLE", [f"{service}: not_in_plan"])
    assert not CallLink.objects.exists()


def test_a_service_switched_off_by_the_admin_is_403(api_client, assert_contract, tenant, visitor, conversation):
    ServiceToggle.objects.create(tenant=tenant, service="voice_call", admin_enabled=False)
    body = assert_contract(_link(api_client, conversation, visitor_headers(visitor)), OPERATION, 403)
    assert body["details"] == ["voice_call: disabled_by_admin"]


def test_another_visitors_conversation_is_404(api_client, assert_contract, tenant, visitor):
    other = conversation_for(tenant, visitor_for(tenant))
    for headers in (visitor_headers(visitor), chat_session_headers(visitor)):
        assert assert_contract(_link(api_client, other, headers), OPERATION, 404)["code"] == "NOT_FOUND"
    assert not CallLink.objects.exists()


def test_another_tenants_conversation_is_404(api_client, assert_contract, visitor):
    foreign = conversation_for(call_tenant())
    assert assert_contract(_link(api_client, foreign, visitor_headers(visitor)), OPERATION, 404)["code"] == "NOT_FOUND"
    assert not CallLink.objects.exists()


def test_without_a_visitor_credential_it_is_401(api_client, assert_contract, conversation):
    body = assert_contract(_link(api_client, conversation, {}), OPERATION, 401)
    assert body["code"] == "SDK_SESSION_REQUIRED"


def test_agent_and_dashboard_credentials_are_refused(api_client, assert_contract, tenant, conversation):
    assert assert_contract(_link(api_client, conversation, agent_headers(tenant)), OPERATION, 401)["code"] == (
        "AUTH_TOKEN_INVALID"
    )
    # A dashboard JWT is no credential of this visitor route at all.
    assert assert_contract(_link(api_client, conversation, owner_headers(tenant)), OPERATION, 401)["code"] == (
        "SDK_SESSION_REQUIRED"
    )


def test_a_visitor_token_without_the_calls_scope_is_403(api_client, assert_contract, visitor, conversation):
    response = _link(api_client, conversation, visitor_headers(visitor, scopes=["visitor:chat"]))
    assert assert_contract(response, OPERATION, 403)["code"] == "CALL_PERMISSION_DENIED"


# --- the token -----------------------------------------------------------------------------


def _token(tenant, visitor, conversation) -> tuple[CallLink, str]:
    actor = link_services.CallActor(kind="visitor", visitor=visitor)
    return link_services.call_link_create(
        tenant=tenant, actor=actor, conversation_id=conversation.public_id, service="voice_call"
    )


def _refused(token: str, state: CallLinkState = CallLinkState.NOT_FOUND) -> None:
    assert link_services.call_link_resolve(token=token).state == state


def test_a_tampered_or_foreign_salt_token_is_refused(tenant, visitor, conversation):
    link, token = _token(tenant, visitor, conversation)
    _refused(token[:-2] + ("AA" if not token.endswith("AA") else "BB"))
    forged = {"lnk": link.public_id, "cnv": conversation_for(tenant).public_id, "tid": tenant.public_id}
    _refused(signing.dumps(forged, salt="some.other.salt"))
    _refused("not-a-token")


def test_a_token_re_pointed_at_another_conversation_is_refused(tenant, visitor, conversation):
    link, _ = _token(tenant, visitor, conversation)
    other = conversation_for(tenant)
    _refused(
        signing.dumps(
            {"lnk": link.public_id, "cnv": other.public_id, "tid": tenant.public_id}, salt=link_services.CALL_LINK_SALT
        )
    )


def test_an_expired_or_revoked_link_is_refused(tenant, visitor, conversation):
    link, token = _token(tenant, visitor, conversation)
    CallLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    _refused(token, CallLinkState.EXPIRED)
    link, token = _token(tenant, visitor, conversation)
    link_services.call_link_revoke(tenant=tenant, link_id=link.public_id)
    _refused(token, CallLinkState.REVOKED)


class _SignedLongAgo(signing.TimestampSigner):
    """Signs with a timestamp just past the link TTL (a genuine signature, only old)."""

    def timestamp(self):
        return signing.b62_encode(int(time.time() - link_services.CALL_LINK_TTL.total_seconds() - 5))


def test_a_genuine_signature_older_than_the_ttl_is_refused(tenant, visitor, conversation):
    link, _ = _token(tenant, visitor, conversation)
    claims = {"lnk": link.public_id, "cnv": conversation.public_id, "tid": tenant.public_id}
    _refused(_SignedLongAgo(salt=link_services.CALL_LINK_SALT).sign_object(claims), CallLinkState.EXPIRED)


def test_the_widget_origin_of_the_tenant_gets_cors_and_others_do_not(
    api_client, assert_contract, tenant, visitor, conversation
):
    AllowedDomain.objects.create(tenant=tenant, domain="shop.example.com")
    preflight = api_client.options(
        url(conversation), HTTP_ORIGIN="https://shop.example.com", HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST"
    )
    assert preflight.status_code == 204
    assert preflight["Access-Control-Allow-Origin"] == "https://shop.example.com"
    assert "X-Ringnity-Chat-Session" in preflight["Access-Control-Allow-Headers"]
    ok = _link(api_client, conversation, {**visitor_headers(visitor), "HTTP_ORIGIN": "https://shop.example.com"})
    assert_contract(ok, OPERATION, 201)
    assert ok["Access-Control-Allow-Origin"] == "https://shop.example.com"
    foreign = _link(api_client, conversation, {**visitor_headers(visitor), "HTTP_ORIGIN": "https://evil.example.net"})
    assert_contract(foreign, OPERATION, 201)
    assert "Access-Control-Allow-Origin" not in foreign
