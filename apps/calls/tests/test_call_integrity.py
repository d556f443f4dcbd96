"""What a caller may claim about a call: when it started, which way it went (security probe F4), and
that its conversation is still open (F5)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.calls import services
from apps.calls.models import CallLink, CallSession
from apps.calls.tests.factories import (
    agent_headers,
    call_tenant,
    chat_session_headers,
    conversation_for,
    owner_headers,
    visitor_for,
    visitor_headers,
)
from apps.chat.conversation_services import conversation_close
from apps.chat.models import Conversation, ConversationStatus
from apps.tenants.models import StaffRole
from apps.tenants.tests.factories import StaffFactory

pytestmark = pytest.mark.django_db
URL = "/api/calls/sessions"


@pytest.fixture
def tenant():
    return call_tenant()


@pytest.fixture
def visitor(tenant):
    return visitor_for(tenant)


@pytest.fixture
def conversation(tenant, visitor):
    return conversation_for(tenant, visitor)


def _create(client, headers, conversation, **body):
    return client.post(
        URL, {"conversationId": conversation.public_id, "type": "audio", **body}, format="json", **headers
    )


def _iso(value) -> str:
    return value.isoformat().replace("+00:00", "Z")


# --- startedAt --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers_for",
    [
        pytest.param(lambda t, v: visitor_headers(v), id="visitor"),
        pytest.param(lambda t, v: agent_headers(t), id="agent"),
        pytest.param(lambda t, v: owner_headers(t), id="owner"),
    ],
)
def test_a_call_cannot_start_before_its_conversation_existed(
    api_client, assert_contract, tenant, visitor, conversation, headers_for
):
    response = _create(api_client, headers_for(tenant, visitor), conversation, startedAt="1970-01-01T00:00:00Z")
    body = assert_contract(response, "createCallSession", 400)
    assert body["code"] == "VALIDATION_FAILED"
    assert [d.split(":")[0] for d in body["details"]] == ["startedAt"]
    assert not CallSession.objects.exists()


def test_a_backdated_start_cannot_inflate_the_duration_of_the_end(
    api_client, assert_contract, tenant, visitor, conversation
):
    """The probe's sequence: backdate, then end; the end's duration must be the real one."""
    Conversation.objects.filter(pk=conversation.pk).update(created_at=timezone.now() - timedelta(hours=1))
    backdated = _create(api_client, visitor_headers(visitor), conversation, startedAt="1970-01-01T00:00:00Z")
    assert assert_contract(backdated, "createCallSession", 400)["code"] == "VALIDATION_FAILED"
    created = _create(api_client, visitor_headers(visitor), conversation)
    call = assert_contract(created, "createCallSession", 201)["data"]["callSession"]
    ended = api_client.patch(f"{URL}/{call['id']}/end", {}, format="json", **visitor_headers(visitor))
    assert assert_contract(ended, "endCallSession", 200)["data"]["callSession"]["durationSeconds"] < 60


def test_a_start_within_the_clock_skew_before_the_conversation_is_kept(
    api_client, assert_contract, tenant, conversation
):
    created_at = Conversation.objects.get(pk=conversation.pk).created_at
    started = (created_at - services.STARTED_AT_BEFORE_CONVERSATION_SKEW + timedelta(seconds=5)).replace(microsecond=0)
    response = _create(api_client, agent_headers(tenant), conversation, startedAt=started.isoformat())
    call = assert_contract(response, "createCallSession", 201)["data"]["callSession"]
    assert call["startedAt"] == _iso(started)


def test_a_start_just_beyond_the_clock_skew_before_the_conversation_is_400(
    api_client, assert_contract, tenant, conversation
):
    created_at = Conversation.objects.get(pk=conversation.pk).created_at
    started = created_at - services.STARTED_AT_BEFORE_CONVERSATION_SKEW - timedelta(seconds=1)
    response = _create(api_client, agent_headers(tenant), conversation, startedAt=started.isoformat())
    assert assert_contract(response, "createCallSession", 400)["details"][0].startswith("startedAt:")
    assert not CallSession.objects.exists()


def test_a_start_between_the_conversation_and_now_is_kept_for_staff(api_client, assert_contract, tenant, conversation):
    Conversation.objects.filter(pk=conversation.pk).update(created_at=timezone.now() - timedelta(days=2))
    started = (timezone.now() - timedelta(days=1)).replace(microsecond=0)
    response = _create(api_client, owner_headers(tenant), conversation, startedAt=started.isoformat())
    assert assert_contract(response, "createCallSession", 201)["data"]["callSession"]["startedAt"] == _iso(started)


# --- direction --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers_for",
    [
        pytest.param(lambda v: visitor_headers(v), id="visitor-runtime"),
        pytest.param(lambda v: chat_session_headers(v), id="chat-session-header"),
    ],
)
def test_a_visitor_cannot_choose_an_outbound_direction(api_client, assert_contract, visitor, conversation, headers_for):
    response = _create(api_client, headers_for(visitor), conversation, direction="outbound")
    body = assert_contract(response, "createCallSession", 403)
    assert (body["code"], body["details"]) == (
        "CALL_PERMISSION_DENIED",
        ["direction: outbound is not allowed for a visitor"],
    )
    assert not CallSession.objects.exists()


def test_a_visitor_may_name_the_inbound_direction_its_calls_have(api_client, assert_contract, visitor, conversation):
    response = _create(api_client, visitor_headers(visitor), conversation, direction="inbound")
    assert assert_contract(response, "createCallSession", 201)["data"]["callSession"]["direction"] == "inbound"


def test_staff_choose_either_direction(api_client, assert_contract, tenant, conversation):
    for direction in ("outbound", "inbound"):
        response = _create(api_client, agent_headers(tenant), conversation, direction=direction)
        assert assert_contract(response, "createCallSession", 201)["data"]["callSession"]["direction"] == direction


# --- closed conversations (probe F5) ----------------------------------------------------------


def _closed(tenant, conversation):
    """Closed the way an agent closes it (the chat app's ``conversation_close``)."""
    conversation_close(
        tenant=tenant, agent=StaffFactory(tenant=tenant, role=StaffRole.ADMIN), conversation_id=conversation.public_id
    )
    conversation.refresh_from_db()
    assert conversation.status == ConversationStatus.CLOSED
    return conversation


@pytest.mark.parametrize(
    "headers_for",
    [
        pytest.param(lambda t, v: visitor_headers(v), id="visitor"),
        pytest.param(lambda t, v: agent_headers(t), id="agent"),
        pytest.param(lambda t, v: owner_headers(t), id="owner"),
    ],
)
def test_no_call_starts_on_a_closed_conversation(
    api_client, assert_contract, tenant, visitor, conversation, headers_for
):
    _closed(tenant, conversation)
    response = _create(api_client, headers_for(tenant, visitor), conversation)
    assert assert_contract(response, "createCallSession", 409)["code"] == "CONFLICT"
    assert not CallSession.objects.exists()


def test_no_call_link_is_issued_for_a_closed_conversation(api_client, assert_contract, tenant, visitor, conversation):
    _closed(tenant, conversation)
    response = api_client.post(
        f"/api/chat/visitor/conversations/{conversation.public_id}/call-links",
        {},
        format="json",
        **visitor_headers(visitor),
    )
    assert assert_contract(response, "createVisitorConversationCallLink", 409)["code"] == "CONFLICT"
    assert not CallLink.objects.exists()


def test_a_pending_conversation_still_takes_calls_and_links(api_client, assert_contract, tenant, visitor):
    conversation = conversation_for(tenant, visitor, status=ConversationStatus.PENDING)
    assert assert_contract(_create(api_client, visitor_headers(visitor), conversation), "createCallSession", 201)
    response = api_client.post(
        f"/api/chat/visitor/conversations/{conversation.public_id}/call-links",
        {},
        format="json",
        **visitor_headers(visitor),
    )
    assert_contract(response, "createVisitorConversationCallLink", 201)
