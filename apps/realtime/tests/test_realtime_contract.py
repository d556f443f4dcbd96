"""The AsyncAPI document itself, the event log's cursors, and the topic rule, without a server process."""

from __future__ import annotations

import itertools

import pytest
import yaml
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.chat.conversation_services import agent_sees, agent_visible_conversations
from apps.chat.models import Conversation, Visitor
from apps.chat.tests.chat_fixtures import CHAT_FEATURES, make_agent, make_department
from apps.realtime.durable import items_after, publish_committed
from apps.realtime.protocol import Close
from apps.runtime.tests.fixtures import ready_tenant
from apps.tenants.models import StaffRole
from apps.webhooks import events
from apps.webhooks.models import EventSequence, WebhookEvent
from ringnity.api.errors import ErrorCode
from ringnity.testing.realtime_contract import ASYNCAPI_PATH, _resolve, load_asyncapi, message_index


def _conversation(tenant, **fields) -> Conversation:
    number = Conversation.objects.for_tenant(tenant).count() + 1
    visitor = Visitor.objects.create(tenant=tenant, subject=f"vis_{number}")
    return Conversation.objects.create(
        tenant=tenant, number=number, visitor=visitor, last_message_at=timezone.now(), **fields
    )


def _refs(node):
    if isinstance(node, dict):
        if "$ref" in node:
            yield node["$ref"]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def test_the_document_is_asyncapi_3_and_every_reference_resolves():
    document = load_asyncapi()
    assert document["asyncapi"] == "3.0.0"
    for ref in _refs(document):
        _resolve(document, ref)
    assert set(message_index("sendServerFrames")) >= {"ready", "resumed", "resync_required", "error", "message.created"}
    assert set(message_index("receiveClientFrames")) >= {"auth", "resume", "subscribe", "typing", "call.offer"}
    codes = document["components"]["schemas"]["ErrorCode"]["enum"]
    assert set(codes) <= {code.value for code in ErrorCode}
    described = document["info"]["description"]
    for code in Close:
        assert str(int(code)) in described, f"close code {code} is not documented"


def test_the_document_is_served_beside_the_openapi_docs_and_linked(client):
    response = client.get("/api/docs/realtime.asyncapi.yaml")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/yaml")
    assert yaml.safe_load(response.content) == yaml.safe_load(ASYNCAPI_PATH.read_text())
    schema = client.get("/api/schema/?format=json").json()
    assert "/api/docs/realtime.asyncapi.yaml" in schema["info"]["description"]


@pytest.mark.django_db
def test_agent_sees_matches_the_query():
    """The realtime gateway's in-memory rule and the chat CRM's query agree on every kind of conversation."""
    tenant = ready_tenant(features=CHAT_FEATURES)
    sales, support = make_department(tenant, "Sales"), make_department(tenant, "Support")
    agents = [
        make_agent(tenant, role=StaffRole.AGENT, department=sales),
        make_agent(tenant, role=StaffRole.AGENT),
        make_agent(tenant, role=StaffRole.SUPERVISOR, department=support),
    ]
    for assignee, department in itertools.product([None, *agents], [None, sales, support]):
        _conversation(tenant, assigned_agent=assignee, department=department, status="closed")
    for agent in agents:
        visible = set(agent_visible_conversations(tenant=tenant, agent=agent).values_list("pk", flat=True))
        for conversation in Conversation.objects.for_tenant(tenant):
            seen = agent_sees(
                agent_id=agent.pk,
                supervising=agent.role == StaffRole.SUPERVISOR,
                agent_department_id=agent.department_id,
                assigned_agent_id=conversation.assigned_agent_id,
                department_id=conversation.department_id,
            )
            assert seen == (conversation.pk in visible), (agent.role, conversation.assigned_agent_id)


@pytest.mark.django_db(transaction=True)
def test_events_are_numbered_after_commit_without_gaps_and_a_rollback_takes_no_number():
    tenant = ready_tenant(features=CHAT_FEATURES)
    conversation = _conversation(tenant)
    payload = {"conversationId": conversation.public_id, "status": "open"}
    events.event_emit(tenant=tenant, event_type="conversation.updated", payload=payload)
    with transaction.atomic():
        events.event_emit(tenant=tenant, event_type="conversation.updated", payload=payload)
        transaction.set_rollback(True)
    events.event_emit(tenant=tenant, event_type="conversation.closed", payload=payload)
    rows = list(WebhookEvent.objects.filter(tenant=tenant).order_by("seq").values_list("seq", "event_type"))
    assert rows == [(1, "conversation.updated"), (2, "conversation.closed")]
    assert EventSequence.objects.get(tenant=tenant).last_seq == 2
    items = items_after(tenant_id=tenant.pk, after=0)
    assert [item["seq"] for item in items] == [1, 2]
    assert items[0]["aud"][0] == conversation.public_id


@pytest.mark.django_db(transaction=True)
def test_a_straggler_is_numbered_and_published_by_the_sweep(monkeypatch):
    tenant = ready_tenant(features=CHAT_FEATURES)
    published = []
    monkeypatch.setitem(
        events._outlets, "realtime", events.Outlet("realtime", lambda _: True, lambda batch: published.append(batch))
    )
    # A process that died between its commit and the numbering leaves an event without a cursor.
    WebhookEvent.objects.create(tenant=tenant, event_type="message.created", payload={"conversationId": "cnv_x"})
    WebhookEvent.objects.filter(tenant=tenant).update(
        created_at=WebhookEvent.objects.get().created_at.replace(year=2020)
    )
    assert events.events_publish_stragglers() == 1
    assert [event.seq for event in published[0]] == [1]
    assert events.events_publish_stragglers() == 0


@pytest.mark.django_db
def test_publishing_a_batch_reads_the_audience_once(django_capture_on_commit_callbacks):
    tenant = ready_tenant(features=CHAT_FEATURES)
    conversation = _conversation(tenant)
    batch = [
        WebhookEvent.objects.create(
            tenant=tenant, event_type="message.created", payload={"conversationId": conversation.public_id}, seq=n
        )
        for n in range(1, 21)
    ]
    with CaptureQueriesContext(connection) as queries:
        publish_committed(batch)
    assert len(queries) == 1  # one audience query for twenty events
