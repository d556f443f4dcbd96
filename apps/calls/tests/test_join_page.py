"""``/call/join/<token>``: every state of a call link is a clear page, joining is single use, and the
credential it hands the browser works for that call session only."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from apps.calls import link_services, services
from apps.calls.models import CallLink, CallSession
from apps.calls.tests.factories import agent_headers, call_tenant, conversation_for, visitor_actor, visitor_for
from apps.chat.models import ConversationStatus
from apps.developer.models import ServiceToggle
from apps.runtime.tokens import TokenKind, token_decode
from ringnity.testing.ci import require_postgresql
from ringnity.testing.concurrency import run_parallel

pytestmark = pytest.mark.django_db


@pytest.fixture
def tenant():
    return call_tenant(name="Acme Shoes")


@pytest.fixture
def conversation(tenant):
    visitor = visitor_for(tenant)
    visitor.name = "Ada Lovelace"
    visitor.save(update_fields=["name"])
    return conversation_for(tenant, visitor)


def _link(conversation, service="voice_call") -> tuple[CallLink, str]:
    return link_services.call_link_create(
        tenant=conversation.tenant,
        actor=visitor_actor(conversation.visitor),
        conversation_id=conversation.public_id,
        service=service,
    )


def _path(token: str) -> str:
    return link_services.CALL_LINK_PATH + token


def _data(response) -> dict:
    """The ``data-*`` attributes of the page's ``<main id="call-join">``."""
    html = response.content.decode()
    start = html.index('<main id="call-join"')
    return dict(re.findall(r'data-([a-z-]+)="([^"]*)"', html[start : html.index(">", start)]))


def test_a_valid_link_shows_the_call_and_a_join_button_and_changes_nothing(client, conversation):
    link, token = _link(conversation, service="video_call")
    response = client.get(_path(token))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Acme Shoes" in html
    assert "Video call" in html
    assert "Ada Lovelace invites you" in html
    assert '<form method="post">' in html
    assert _data(response)["state"] == "valid"
    policy = response["Content-Security-Policy"]
    assert "script-src 'self';" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert "<script" not in html  # no inline script, no CDN
    assert response["Cache-Control"] == "no-store"
    link.refresh_from_db()
    assert link.used_at is None
    assert not CallSession.objects.exists()


@pytest.mark.parametrize(
    ("spoil", "status", "state", "words"),
    [
        ("forged", 404, "not_found", "does not exist"),
        ("expired", 410, "expired", "has expired"),
        ("revoked", 410, "revoked", "was withdrawn"),
        ("used", 410, "used", "already used"),
        ("closed", 410, "ended", "conversation has ended"),
    ],
)
def test_a_link_that_cannot_be_joined_is_a_clear_page_with_its_status(
    client, conversation, spoil, status, state, words
):
    link, token = _link(conversation)
    if spoil == "forged":
        token = token[:-3] + ("xyz" if not token.endswith("xyz") else "abc")
    elif spoil == "expired":
        CallLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    elif spoil == "revoked":
        link_services.call_link_revoke(tenant=conversation.tenant, link_id=link.public_id)
    elif spoil == "used":
        assert client.post(_path(token)).status_code == 200
    else:
        conversation.status = ConversationStatus.CLOSED
        conversation.save(update_fields=["status"])
    for response in (client.get(_path(token)), client.post(_path(token))):
        assert response.status_code == status
        assert response["Content-Type"].startswith("text/html")
        assert words in response.content.decode()
        assert _data(response)["state"] == state
        assert "Traceback" not in response.content.decode()
    assert CallSession.objects.count() == (1 if spoil == "used" else 0)


def test_joining_starts_the_call_and_hands_the_browser_a_credential_for_it_and_the_gateway(
    client, tenant, conversation
):
    link, token = _link(conversation)
    response = client.post(_path(token))
    assert response.status_code == 200
    data = _data(response)
    call = CallSession.objects.get()
    assert data["state"] == "joined"
    assert (data["call-session-id"], data["conversation-id"], data["call-type"]) == (
        call.public_id,
        conversation.public_id,
        "audio",
    )
    assert (call.status, call.direction, call.started_by_kind) == ("started", "inbound", "visitor")
    assert call.metadata == {"callLinkId": link.public_id}
    assert data["realtime-url"] == link_services.realtime_url()
    assert data["realtime-url"].startswith("ws://")
    assert data["realtime-url"].endswith("/realtime/v1")
    assert data["credential-header"] == "X-Ringnity-SDK-Session"
    claims = token_decode(data["credential"], kinds={TokenKind.VISITOR})
    assert claims["scp"] == ["visitor:calls"]
    assert claims["ctx"]["callSession"] == call.public_id
    assert claims["sub"] == conversation.visitor.subject
    assert claims["exp"] - claims["iat"] == link_services.CALL_JOIN_TTL_SECONDS
    link.refresh_from_db()
    assert link.used_at is not None
    assert link.call_session_id == call.pk
    assert client.post(_path(token)).status_code == 410


def test_the_credential_acts_on_its_call_session_only(api_client, assert_contract, tenant, conversation):
    _, token = _link(conversation)
    credential = _data(Client().post(_path(token)))["credential"]
    call = CallSession.objects.get()
    sdk = {"HTTP_X_RINGNITY_SDK_SESSION": credential}
    read = api_client.get(f"/api/calls/sessions/{call.public_id}", **sdk)
    assert assert_contract(read, "getCallSession", status=200)["data"]["callSession"]["id"] == call.public_id
    other = services.call_session_create(
        tenant=tenant,
        actor=visitor_actor(conversation.visitor),
        conversation_id=conversation.public_id,
        call_type="audio",
    )
    assert_contract(api_client.get(f"/api/calls/sessions/{other.public_id}", **sdk), "getCallSession", status=404)
    created = api_client.post(
        "/api/calls/sessions", {"conversationId": conversation.public_id, "type": "audio"}, format="json", **sdk
    )
    assert assert_contract(created, "createCallSession", status=403)["code"] == "CALL_PERMISSION_DENIED"
    linked = api_client.post(
        f"/api/chat/visitor/conversations/{conversation.public_id}/call-links", {}, format="json", **sdk
    )
    assert assert_contract(linked, "createVisitorConversationCallLink", status=403)["code"] == "CALL_PERMISSION_DENIED"
    chat = api_client.get(f"/api/chat/visitor/conversations/{conversation.public_id}", **sdk)
    assert assert_contract(chat, "getVisitorConversation", status=403)["code"] == "PERMISSION_DENIED"
    ended = api_client.patch(f"/api/calls/sessions/{call.public_id}/end", {"reason": "bye"}, format="json", **sdk)
    assert assert_contract(ended, "endCallSession", status=200)["data"]["callSession"]["status"] == "ended"


def test_an_agent_answers_the_joined_call_and_the_caller_cannot(api_client, assert_contract, tenant, conversation):
    _, token = _link(conversation)
    credential = _data(Client().post(_path(token)))["credential"]
    call = CallSession.objects.get()
    url = f"/api/calls/sessions/{call.public_id}/answer"
    own = api_client.patch(url, {}, format="json", HTTP_X_RINGNITY_SDK_SESSION=credential)
    assert assert_contract(own, "answerCallSession", status=403)["code"] == "CALL_PERMISSION_DENIED"
    answered = api_client.patch(url, {}, format="json", **agent_headers(tenant))
    body = assert_contract(answered, "answerCallSession", status=200)["data"]["callSession"]
    assert body["status"] == "answered"
    assert "answeredAt" in body
    again = api_client.patch(url, {}, format="json", **agent_headers(tenant))
    assert assert_contract(again, "answerCallSession", status=409)["code"] == "CONFLICT"
    fail = api_client.patch(
        f"/api/calls/sessions/{call.public_id}/fail", {"status": "missed"}, format="json", **agent_headers(tenant)
    )
    assert assert_contract(fail, "failCallSession", status=409)["code"] == "CONFLICT"


@pytest.mark.parametrize(("status", "event"), [("missed", "call.missed"), ("failed", "call.ended")])
def test_a_call_nobody_answered_is_missed_or_failed(
    api_client, assert_contract, monkeypatch, tenant, conversation, status, event
):
    emitted = []
    monkeypatch.setattr(
        "apps.calls.services.event_emit", lambda *, tenant, event_type, payload: emitted.append(event_type)
    )
    _, token = _link(conversation)
    credential = _data(Client().post(_path(token)))["credential"]
    call = CallSession.objects.get()
    response = api_client.patch(
        f"/api/calls/sessions/{call.public_id}/fail",
        {"status": status, "reason": "no agent online"},
        format="json",
        HTTP_X_RINGNITY_SDK_SESSION=credential,
    )
    body = assert_contract(response, "failCallSession", status=200)["data"]["callSession"]
    assert (body["status"], body["endReason"]) == (status, "no agent online")
    assert emitted == ["call.started", event]
    bad = api_client.patch(
        f"/api/calls/sessions/{call.public_id}/fail", {"status": "ended"}, format="json", **agent_headers(tenant)
    )
    assert assert_contract(bad, "failCallSession", status=400)["details"][0].startswith("status:")


def test_a_join_the_plan_no_longer_allows_is_a_page_and_leaves_the_link_unused(client, tenant, conversation):
    link, token = _link(conversation)
    ServiceToggle.objects.create(tenant=tenant, service="voice_call", admin_enabled=False)
    response = client.post(_path(token))
    assert response.status_code == 403
    assert _data(response)["state"] == "unavailable"
    assert "Voice call is not available" in response.content.decode()
    link.refresh_from_db()
    assert link.used_at is None
    assert not CallSession.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_parallel_joins_of_one_link_start_one_call():
    require_postgresql()
    conversation = conversation_for(call_tenant())
    _, token = _link(conversation)
    run = run_parallel(lambda _: Client().post(_path(token)).status_code, 8)
    assert run.errors == []
    assert sorted(run.results) == [200] + [410] * 7
    assert CallSession.objects.count() == 1
    assert CallLink.objects.get().call_session_id == CallSession.objects.get().pk


def test_the_answer_and_fail_routes_are_documented_extensions():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path, operation_id in (("answer", "answerCallSession"), ("fail", "failCallSession")):
        operation = schema["paths"][f"/api/calls/sessions/{{callSessionId}}/{path}"]["patch"]
        assert operation["operationId"] == operation_id
        assert operation["x-ringnity-extension"] is True
        assert {"ChatSession": []} in operation["security"]
