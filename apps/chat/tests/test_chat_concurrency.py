"""Races on PostgreSQL (real threads, real transactions, through the HTTP API)."""

import threading

import pytest
from django.db import close_old_connections, connection
from rest_framework.test import APIClient

from apps.chat.models import Assignment, Conversation, Message
from apps.chat.tests.chat_fixtures import agent_headers, chat_tenant, make_agent, start_conversation, visitor_headers
from ringnity.testing.ci import require_postgresql
from ringnity.testing.contract import assert_contract


def _race(requests) -> list:
    """Runs each ``request(client)`` in its own thread, all released at once; returns the responses."""
    barrier = threading.Barrier(len(requests))
    responses, errors = [None] * len(requests), []

    def work(index, request):
        try:
            client = APIClient()
            barrier.wait(timeout=10)
            responses[index] = request(client)
        except Exception as exc:  # reported by the assertion below
            errors.append(repr(exc))
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=work, args=(i, r)) for i, r in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return responses


@pytest.mark.django_db(transaction=True)
def test_twenty_parallel_starts_by_twenty_visitors_get_numbers_one_to_twenty():
    require_postgresql()
    tenant = chat_tenant()
    headers = [visitor_headers(tenant, f"vis_race_{i}") for i in range(20)]
    responses = _race(
        [lambda c, h=h: c.post("/api/chat/visitor/conversations", {}, format="json", **h) for h in headers]
    )
    assert [r.status_code for r in responses] == [201] * 20
    numbers = sorted(int(r.json()["data"]["conversation"]["conversationNumber"]) for r in responses)
    assert numbers == list(range(1, 21))
    assert Conversation.objects.for_tenant(tenant).count() == 20


@pytest.mark.django_db(transaction=True)
def test_parallel_starts_by_one_visitor_return_one_conversation():
    require_postgresql()
    tenant = chat_tenant()
    headers = visitor_headers(tenant, "vis_twice")
    responses = _race(
        [lambda c: c.post("/api/chat/visitor/conversations", {}, format="json", **headers) for _ in range(5)]
    )
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["data"]["conversation"]["conversationId"] for r in responses}) == 1
    assert Conversation.objects.for_tenant(tenant).get().number == 1


@pytest.mark.django_db(transaction=True)
def test_two_parallel_accepts_one_wins_one_conflicts():
    require_postgresql()
    tenant = chat_tenant()
    conversation = start_conversation(APIClient(), visitor_headers(tenant))
    url = f"/api/agent-sdk/conversations/{conversation['conversationId']}/assign"
    agents = [make_agent(tenant) for _ in range(2)]
    headers = [agent_headers(agent) for agent in agents]
    responses = _race([lambda c, h=h: c.post(url, {}, format="json", **h) for h in headers])
    assert sorted(r.status_code for r in responses) == [200, 409]
    loser = next(r for r in responses if r.status_code == 409)
    assert loser.json()["code"] == "CONFLICT"
    assert Assignment.objects.for_tenant(tenant).count() == 1
    winner = Assignment.objects.for_tenant(tenant).get().assigned_agent
    assert Conversation.objects.for_tenant(tenant).get().assigned_agent == winner


@pytest.mark.django_db(transaction=True)
def test_ten_parallel_sends_of_one_client_message_id_make_one_message():
    require_postgresql()
    tenant = chat_tenant()
    headers = visitor_headers(tenant)
    conversation = start_conversation(APIClient(), headers)
    url = f"/api/chat/visitor/conversations/{conversation['conversationId']}/messages"
    body = {"body": "Hello", "clientMessageId": "retry-me"}
    responses = _race([lambda c: c.post(url, body, format="json", **headers) for _ in range(10)])
    assert [r.status_code for r in responses] == [201] * 10
    assert len({r.json()["data"]["message"]["messageId"] for r in responses}) == 1
    assert Message.objects.for_tenant(tenant).count() == 1


@pytest.mark.django_db(transaction=True)
def test_ten_parallel_accepts_by_plain_agents_one_wins_nine_conflict():
    """The losers see the winner's agent under the row lock (409), never a 404 because the
    conversation left their queue while they waited."""
    require_postgresql()
    tenant = chat_tenant()
    conversation = start_conversation(APIClient(), visitor_headers(tenant))
    url = f"/api/agent-sdk/conversations/{conversation['conversationId']}/assign"
    headers = [agent_headers(make_agent(tenant)) for _ in range(10)]
    responses = _race([lambda c, h=h: c.post(url, {}, format="json", **h) for h in headers])
    assert sorted(r.status_code for r in responses) == [200] + [409] * 9, [r.content for r in responses]
    for response in responses:
        assert_contract(response, "assignAgentConversation", status=response.status_code)
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"CONFLICT"}
    assert Assignment.objects.for_tenant(tenant).count() == 1
