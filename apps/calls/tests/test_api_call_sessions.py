"""createCallSession / getCallSession / endCallSession: every caller kind, every error, tenancy."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.calls import services
from apps.calls.models import CallSession, CallStatus
from apps.calls.tests.factories import (
    agent_headers,
    call_for,
    call_tenant,
    chat_session_headers,
    chat_session_token,
    conversation_for,
    owner_headers,
    visitor_for,
    visitor_headers,
    workspace_headers,
)
from apps.developer.models import ServiceToggle
from apps.identity.sessions import SessionScope, session_issue
from apps.plans.tests.factories import subscribe
from apps.runtime.tests.fixtures import runtime_headers, server_headers
from apps.runtime.tokens import TokenKind
from apps.tenants.tests.factories import PlatformOperatorFactory, StaffFactory

pytestmark = pytest.mark.django_db
URL = "/api/calls/sessions"


def detail_url(call_id: str) -> str:
    return f"{URL}/{call_id}"


def end_url(call_id: str) -> str:
    return f"{URL}/{call_id}/end"


@pytest.fixture
def tenant():
    return call_tenant()


@pytest.fixture
def visitor(tenant):
    return visitor_for(tenant)


@pytest.fixture
def conversation(tenant, visitor):
    return conversation_for(tenant, visitor)


@pytest.fixture
def events(monkeypatch):
    emitted = []
    monkeypatch.setattr(
        services, "event_emit", lambda *, tenant, event_type, payload: emitted.append((tenant.pk, event_type, payload))
    )
    return emitted


def _create(client, headers, conversation, **body):
    return client.post(
        URL, {"conversationId": conversation.public_id, "type": "audio", **body}, format="json", **headers
    )


# --- create -----------------------------------------------------------------------------------


def test_visitor_creates_a_call_on_its_conversation_and_call_started_is_emitted(
    api_client, assert_contract, tenant, visitor, conversation, events
):
    response = _create(api_client, visitor_headers(visitor), conversation, metadata={"device": "web"})
    call = assert_contract(response, "createCallSession", 201)["data"]["callSession"]
    assert call["conversationId"] == conversation.public_id
    assert (call["type"], call["direction"], call["status"]) == ("audio", "inbound", "started")
    assert call["durationSeconds"] is None
    assert call["endReason"] is None
    assert "answeredAt" not in call
    assert "endedAt" not in call
    assert call["metadata"] == {"device": "web"}
    row = CallSession.objects.for_tenant(tenant).get(public_id=call["id"])
    assert row.started_by_kind == "visitor"
    assert events == [(tenant.pk, "call.started", call)]


@pytest.mark.parametrize(
    "headers_for",
    [
        pytest.param(lambda t, v: agent_headers(t), id="agent-runtime"),
        pytest.param(lambda t, v: owner_headers(t), id="owner-jwt"),
        pytest.param(lambda t, v: workspace_headers(t), id="workspace-jwt"),
    ],
)
def test_staff_callers_create_outbound_video_calls(
    api_client, assert_contract, tenant, visitor, conversation, headers_for
):
    response = _create(api_client, headers_for(tenant, visitor), conversation, type="video", direction="outbound")
    call = assert_contract(response, "createCallSession", 201)["data"]["callSession"]
    assert (call["type"], call["direction"]) == ("video", "outbound")


def test_chat_session_callers_create_inbound_video_calls(api_client, assert_contract, visitor, conversation):
    response = _create(api_client, chat_session_headers(visitor), conversation, type="video")
    call = assert_contract(response, "createCallSession", 201)["data"]["callSession"]
    assert (call["type"], call["direction"]) == ("video", "inbound")


def test_visitor_creates_with_the_session_token_body_field(api_client, assert_contract, visitor, conversation):
    response = _create(api_client, {}, conversation, sessionToken=chat_session_token(visitor))
    assert assert_contract(response, "createCallSession", 201)["data"]["callSession"]["status"] == "started"


def test_a_bad_session_token_body_field_is_401(api_client, assert_contract, conversation):
    response = _create(api_client, {}, conversation, sessionToken="rn_cs_forged")
    assert assert_contract(response, "createCallSession", 401)["code"] == "AUTH_TOKEN_INVALID"
    assert not CallSession.objects.exists()


def test_without_any_credential_create_is_401_sdk_session_required(api_client, assert_contract, conversation):
    response = _create(api_client, {}, conversation)
    assert assert_contract(response, "createCallSession", 401)["code"] == "SDK_SESSION_REQUIRED"


def test_admin_sdk_tokens_are_refused(api_client, assert_contract, tenant, conversation):
    response = _create(api_client, runtime_headers(tenant, TokenKind.ADMIN), conversation)
    assert assert_contract(response, "createCallSession", 401)["code"] == "AUTH_TOKEN_INVALID"


def test_a_runtime_token_without_the_calls_scope_is_403(api_client, assert_contract, tenant, visitor, conversation):
    response = _create(api_client, visitor_headers(visitor, scopes=["visitor:chat"]), conversation)
    assert assert_contract(response, "createCallSession", 403)["code"] == "CALL_PERMISSION_DENIED"
    agent = agent_headers(tenant, scopes=["agent:conversations:read"])
    assert assert_contract(_create(api_client, agent, conversation), "createCallSession", 403)["code"] == (
        "CALL_PERMISSION_DENIED"
    )


def test_staff_record_a_call_with_a_given_start_time_as_answered(
    api_client, assert_contract, tenant, conversation, events
):
    started = (timezone.now() - timedelta(seconds=30)).replace(microsecond=0)
    response = _create(
        api_client, agent_headers(tenant), conversation, status="answered", startedAt=started.isoformat()
    )
    call = assert_contract(response, "createCallSession", 201)["data"]["callSession"]
    assert call["status"] == "answered"
    assert call["startedAt"] == started.isoformat().replace("+00:00", "Z")
    assert "answeredAt" in call
    assert [e[1] for e in events] == ["call.started", "call.answered"]


@pytest.mark.parametrize(("status", "event"), [("missed", "call.missed"), ("failed", "call.ended")])
def test_staff_record_a_missed_or_failed_call_with_its_end(
    api_client, assert_contract, tenant, conversation, events, status, event
):
    response = _create(api_client, owner_headers(tenant), conversation, status=status)
    assert [e[1] for e in events] == ["call.started", event]
    call = assert_contract(response, "createCallSession", 201)["data"]["callSession"]
    assert call["status"] == status
    assert "endedAt" in call
    assert call["durationSeconds"] is None


@pytest.mark.parametrize("status", ["answered", "missed", "failed"])
def test_a_visitor_only_starts_calls(api_client, assert_contract, visitor, conversation, events, status):
    response = _create(api_client, visitor_headers(visitor), conversation, status=status)
    body = assert_contract(response, "createCallSession", 403)
    assert (body["code"], body["details"]) == (
        "CALL_PERMISSION_DENIED",
        [f"status: {status} is not allowed for a visitor"],
    )
    assert not CallSession.objects.exists()
    assert events == []


def test_create_as_ended_is_409(api_client, assert_contract, visitor, conversation):
    response = _create(api_client, visitor_headers(visitor), conversation, status="ended")
    assert assert_contract(response, "createCallSession", 409)["code"] == "CONFLICT"
    assert not CallSession.objects.exists()


def test_an_invalid_type_is_400_call_session_type_invalid(api_client, assert_contract, visitor, conversation):
    response = _create(api_client, visitor_headers(visitor), conversation, type="hologram")
    body = assert_contract(response, "createCallSession", 400)
    assert body["code"] == "CALL_SESSION_TYPE_INVALID"
    assert [d.split(":")[0] for d in body["details"]] == ["type"]
    assert not CallSession.objects.exists()


def test_a_missing_conversation_is_400_conversation_required_listing_every_bad_field(
    api_client, assert_contract, visitor
):
    body = {"type": 7, "direction": "sideways", "startedAt": "2999-01-01T00:00:00Z", "metadata": [1]}
    response = api_client.post(URL, body, format="json", **visitor_headers(visitor))
    body = assert_contract(response, "createCallSession", 400)
    assert body["code"] == "CALL_SESSION_CONVERSATION_REQUIRED"
    fields = sorted(d.split(":")[0] for d in body["details"])
    assert fields == ["conversationId", "direction", "metadata", "startedAt", "type"]
    assert not CallSession.objects.exists()


def test_an_unknown_conversation_is_404_conversation_required(api_client, assert_contract, visitor):
    response = api_client.post(
        URL, {"conversationId": "cnv_nope", "type": "audio"}, format="json", **visitor_headers(visitor)
    )
    assert assert_contract(response, "createCallSession", 404)["code"] == "CALL_SESSION_CONVERSATION_REQUIRED"


def test_another_tenants_conversation_is_404_for_every_caller_kind(api_client, assert_contract, tenant, visitor):
    foreign = conversation_for(call_tenant())
    for headers in (visitor_headers(visitor), agent_headers(tenant), owner_headers(tenant)):
        response = _create(api_client, headers, foreign)
        assert assert_contract(response, "createCallSession", 404)["code"] == "CALL_SESSION_CONVERSATION_REQUIRED"
    assert not CallSession.objects.exists()


def test_another_visitors_conversation_is_404(api_client, assert_contract, tenant, visitor):
    other = conversation_for(tenant, visitor_for(tenant))
    for headers in (visitor_headers(visitor), chat_session_headers(visitor)):
        response = _create(api_client, headers, other)
        assert assert_contract(response, "createCallSession", 404)["code"] == "CALL_SESSION_CONVERSATION_REQUIRED"
    response = _create(api_client, {}, other, sessionToken=chat_session_token(visitor))
    assert assert_contract(response, "createCallSession", 404)["code"] == "CALL_SESSION_CONVERSATION_REQUIRED"
    assert not CallSession.objects.exists()


@pytest.mark.parametrize(
    ("features", "call_type"),
    [
        ({"chat": True, "voice_call": False, "video_call": True}, "audio"),
        ({"chat": True, "voice_call": True, "video_call": False}, "video"),
    ],
)
def test_a_call_type_outside_the_plan_is_403_call_permission_denied(
    api_client, assert_contract, tenant, visitor, conversation, features, call_type
):
    subscribe(tenant, features=features)
    response = _create(api_client, visitor_headers(visitor), conversation, type=call_type)
    body = assert_contract(response, "createCallSession", 403)
    assert body["code"] == "CALL_PERMISSION_DENIED"
    assert body["details"] == [f"{'voice_call' if call_type == 'audio' else 'video_call'}: not_in_plan"]
    assert not CallSession.objects.exists()


def test_a_call_service_switched_off_by_the_admin_is_403(api_client, assert_contract, tenant, visitor, conversation):
    ServiceToggle.objects.create(tenant=tenant, service="voice_call", admin_enabled=False)
    response = _create(api_client, owner_headers(tenant), conversation)
    body = assert_contract(response, "createCallSession", 403)
    assert (body["code"], body["details"]) == ("CALL_PERMISSION_DENIED", ["voice_call: disabled_by_admin"])


# --- get --------------------------------------------------------------------------------------


def test_get_reads_the_call_for_its_visitor_and_for_staff(api_client, assert_contract, tenant, visitor, conversation):
    call = call_for(conversation)
    for headers in (
        visitor_headers(visitor),
        chat_session_headers(visitor),
        agent_headers(tenant),
        owner_headers(tenant),
    ):
        body = assert_contract(api_client.get(detail_url(call.public_id), **headers), "getCallSession", 200)
        assert body["data"]["callSession"]["id"] == call.public_id


def test_get_of_an_unknown_call_is_404(api_client, assert_contract, visitor):
    for call_id in ("call_nope", "x" * 300):
        response = api_client.get(detail_url(call_id), **visitor_headers(visitor))
        assert assert_contract(response, "getCallSession", 404)["code"] == "CALL_SESSION_NOT_FOUND"


def test_get_of_another_tenants_call_is_404(api_client, assert_contract, tenant, visitor):
    foreign = call_for(conversation_for(call_tenant()))
    for headers in (visitor_headers(visitor), agent_headers(tenant), owner_headers(tenant)):
        response = api_client.get(detail_url(foreign.public_id), **headers)
        body = assert_contract(response, "getCallSession", 404)
        assert body["code"] == "CALL_SESSION_NOT_FOUND"
        assert foreign.public_id not in response.content.decode()


def test_get_of_another_visitors_call_is_404(api_client, assert_contract, tenant, visitor):
    other = call_for(conversation_for(tenant, visitor_for(tenant)))
    for headers in (visitor_headers(visitor), chat_session_headers(visitor)):
        response = api_client.get(detail_url(other.public_id), **headers)
        assert assert_contract(response, "getCallSession", 404)["code"] == "CALL_SESSION_NOT_FOUND"


def test_get_without_credentials_is_401(api_client, assert_contract, conversation):
    response = api_client.get(detail_url(call_for(conversation).public_id))
    assert assert_contract(response, "getCallSession", 401)["code"] == "SDK_SESSION_REQUIRED"


# --- end --------------------------------------------------------------------------------------


def test_end_of_an_answered_call_counts_from_the_answer_and_is_idempotent(
    api_client, assert_contract, tenant, visitor, conversation, events
):
    now = timezone.now()
    call = call_for(
        conversation,
        status=CallStatus.ANSWERED,
        started_at=now - timedelta(seconds=100),
        answered_at=now - timedelta(seconds=40),
    )
    response = api_client.patch(
        end_url(call.public_id), {"reason": "hangup"}, format="json", **visitor_headers(visitor)
    )
    ended = assert_contract(response, "endCallSession", 200)["data"]["callSession"]
    assert ended["status"] == "ended"
    assert ended["endReason"] == "hangup"
    assert 40 <= ended["durationSeconds"] <= 42
    assert [e[1] for e in events] == ["call.ended"]
    assert events[0][2] == ended

    again = api_client.patch(end_url(call.public_id), {"reason": "other"}, format="json", **owner_headers(tenant))
    assert assert_contract(again, "endCallSession", 200)["data"]["callSession"] == ended
    assert len(events) == 1  # no second call.ended


def test_end_of_an_unanswered_call_counts_from_the_start_without_a_body(
    api_client, assert_contract, tenant, conversation
):
    call = call_for(conversation, started_at=timezone.now() - timedelta(seconds=20))
    response = api_client.patch(end_url(call.public_id), **agent_headers(tenant))
    ended = assert_contract(response, "endCallSession", 200)["data"]["callSession"]
    assert ended["status"] == "ended"
    assert ended["endReason"] is None
    assert 20 <= ended["durationSeconds"] <= 22
    assert CallSession.objects.get(pk=call.pk).ended_by_kind == "agent"


def test_end_with_the_session_token_body_field(api_client, assert_contract, visitor, conversation):
    call = call_for(conversation)
    body = {"sessionToken": chat_session_token(visitor), "reason": "visitor left"}
    response = api_client.patch(end_url(call.public_id), body, format="json")
    assert assert_contract(response, "endCallSession", 200)["data"]["callSession"]["endReason"] == "visitor left"


@pytest.mark.parametrize("status", [CallStatus.MISSED, CallStatus.FAILED])
def test_end_of_a_missed_or_failed_call_is_409(api_client, assert_contract, visitor, conversation, status):
    call = call_for(conversation, status=status, ended_at=timezone.now())
    response = api_client.patch(end_url(call.public_id), format="json", **visitor_headers(visitor))
    assert assert_contract(response, "endCallSession", 409)["code"] == "CONFLICT"


def test_end_with_a_bad_reason_is_400_and_changes_nothing(api_client, assert_contract, visitor, conversation):
    call = call_for(conversation)
    for reason in ("x" * 256, 12, "a\x00b"):
        response = api_client.patch(
            end_url(call.public_id), {"reason": reason}, format="json", **visitor_headers(visitor)
        )
        body = assert_contract(response, "endCallSession", 400)
        assert body["code"] == "VALIDATION_FAILED"
        assert body["details"][0].startswith("reason:")
    assert CallSession.objects.get(pk=call.pk).status == "started"


def test_end_of_another_tenants_call_is_404_and_leaves_it_running(api_client, assert_contract, tenant, visitor):
    foreign = call_for(conversation_for(call_tenant()))
    for headers in (visitor_headers(visitor), agent_headers(tenant), owner_headers(tenant)):
        response = api_client.patch(end_url(foreign.public_id), format="json", **headers)
        assert assert_contract(response, "endCallSession", 404)["code"] == "CALL_SESSION_NOT_FOUND"
    assert CallSession.objects.get(pk=foreign.pk).status == "started"


def test_end_of_another_visitors_call_is_404_and_leaves_it_running(api_client, assert_contract, tenant, visitor):
    other = call_for(conversation_for(tenant, visitor_for(tenant)))
    response = api_client.patch(end_url(other.public_id), format="json", **visitor_headers(visitor))
    assert assert_contract(response, "endCallSession", 404)["code"] == "CALL_SESSION_NOT_FOUND"
    body = {"sessionToken": chat_session_token(visitor)}
    response = api_client.patch(end_url(other.public_id), body, format="json")
    assert assert_contract(response, "endCallSession", 404)["code"] == "CALL_SESSION_NOT_FOUND"
    assert CallSession.objects.get(pk=other.pk).status == "started"


def test_a_header_credential_wins_over_the_body_session_token(api_client, assert_contract, tenant, visitor):
    """Another visitor's token in the body cannot widen what the header's visitor may end."""
    other_visitor = visitor_for(tenant)
    other = call_for(conversation_for(tenant, other_visitor))
    body = {"sessionToken": chat_session_token(other_visitor)}
    response = api_client.patch(end_url(other.public_id), body, format="json", **visitor_headers(visitor))
    assert assert_contract(response, "endCallSession", 404)["code"] == "CALL_SESSION_NOT_FOUND"


def test_bodies_of_the_wrong_json_type_are_400_listing_each_field(api_client, assert_contract, visitor, conversation):
    raw = '{"conversationId": 12, "type": "audio", "sessionToken": 5, "metadata": {"k": 1e400}}'
    response = api_client.post(URL, raw, content_type="application/json", **visitor_headers(visitor))
    body = assert_contract(response, "createCallSession", 400)
    assert body["code"] == "CALL_SESSION_CONVERSATION_REQUIRED"
    assert sorted(d.split(":")[0] for d in body["details"]) == ["conversationId", "metadata", "sessionToken"]
    assert not CallSession.objects.exists()


# --- staff visibility (the chat CRM's rules) --------------------------------------------------


def test_an_agent_cannot_call_about_or_read_calls_of_a_conversation_it_does_not_see(
    api_client, assert_contract, tenant
):
    colleague = StaffFactory(tenant=tenant, role="agent")
    theirs = conversation_for(tenant, assigned_agent=colleague)
    call = call_for(theirs)
    agent = agent_headers(tenant)
    response = _create(api_client, agent, theirs)
    assert assert_contract(response, "createCallSession", 404)["code"] == "CALL_SESSION_CONVERSATION_REQUIRED"
    for response, operation in (
        (api_client.get(detail_url(call.public_id), **agent), "getCallSession"),
        (api_client.patch(end_url(call.public_id), format="json", **agent), "endCallSession"),
    ):
        assert assert_contract(response, operation, 404)["code"] == "CALL_SESSION_NOT_FOUND"
    assert CallSession.objects.get(pk=call.pk).status == "started"
    # A supervisor (and an owner) sees the whole tenant.
    supervisor = workspace_headers(tenant, role="supervisor")
    assert_contract(api_client.get(detail_url(call.public_id), **supervisor), "getCallSession", 200)
    assert_contract(_create(api_client, owner_headers(tenant), theirs), "createCallSession", 201)


def test_the_agent_who_started_a_call_still_ends_it_after_a_transfer(api_client, assert_contract, tenant, conversation):
    agent = StaffFactory(tenant=tenant, role="agent")
    headers = runtime_headers(tenant, TokenKind.AGENT, subject=agent.public_id)
    started = assert_contract(_create(api_client, headers, conversation), "createCallSession", 201)
    conversation.assigned_agent = StaffFactory(tenant=tenant, role="agent")
    conversation.save()
    call_id = started["data"]["callSession"]["id"]
    response = api_client.patch(end_url(call_id), format="json", **headers)
    assert assert_contract(response, "endCallSession", 200)["data"]["callSession"]["status"] == "ended"


def test_platform_jwts_and_server_api_keys_are_no_credential_for_calls(
    api_client, assert_contract, tenant, conversation
):
    platform = session_issue(user=PlatformOperatorFactory(), scope=SessionScope.PLATFORM).access
    for headers in ({"HTTP_AUTHORIZATION": f"Bearer {platform}"}, server_headers(tenant)):
        response = _create(api_client, headers, conversation)
        assert assert_contract(response, "createCallSession", 401)["code"] == "AUTH_TOKEN_INVALID"
    assert not CallSession.objects.exists()
