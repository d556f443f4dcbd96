"""Agent CRM: profile, presence, conversation list/read, messages, assignment, closing; and the extensions the
web inbox needed (teammates, reopen, the conversation's contact)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.chat.models import Assignment, Contact, Conversation, Message, Visitor
from apps.chat.tests.chat_fixtures import (
    agent_headers,
    chat_tenant,
    make_agent,
    make_department,
    send_message,
    start_conversation,
    visitor_headers,
)
from apps.tenants.models import StaffRole
from apps.webhooks.models import WebhookEvent

pytestmark = pytest.mark.django_db

AGENT = "/api/agent-sdk"


def _url(conversation_id, tail=""):
    return f"{AGENT}/conversations/{conversation_id}{tail}"


def test_profile_names_agent_department_and_tenant(api_client, assert_contract):
    tenant = chat_tenant()
    agent = make_agent(tenant, department=make_department(tenant, "Sales"))
    data = assert_contract(api_client.get(f"{AGENT}/me", **agent_headers(agent)), "getAgentProfile", status=200)["data"]
    assert data["agent"]["agentId"] == agent.public_id
    assert data["agent"]["departmentName"] == "Sales"
    assert data["tenant"]["clientId"] == tenant.public_id


def test_visitor_token_is_refused_on_agent_routes(api_client, assert_contract):
    tenant = chat_tenant()
    assert_contract(api_client.get(f"{AGENT}/me", **visitor_headers(tenant)), "getAgentProfile", status=401)
    assert_contract(api_client.get(f"{AGENT}/conversations"), "listAgentConversations", status=401)


def test_presence_synonyms_and_last_activity(api_client, assert_contract):
    agent = make_agent(chat_tenant())
    headers = agent_headers(agent)
    start = assert_contract(api_client.get(f"{AGENT}/presence", **headers), "getAgentPresence", status=200)["data"]
    assert start["status"] == "offline"
    online = api_client.patch(f"{AGENT}/presence", {"status": "online"}, format="json", **headers)
    data = assert_contract(online, "updateAgentPresence", status=200)["data"]
    assert data["status"] == "available"
    assert data["online"] is True
    assert data["lastActivityAt"]
    busy = api_client.patch(f"{AGENT}/presence", {"status": "unavailable"}, format="json", **headers)
    assert assert_contract(busy, "updateAgentPresence", status=200)["data"]["status"] == "busy"
    bad = api_client.patch(f"{AGENT}/presence", {"status": "sleeping"}, format="json", **headers)
    assert "status" in " ".join(assert_contract(bad, "updateAgentPresence", status=400)["details"])
    agent.refresh_from_db()
    assert agent.presence == "busy"


def test_agent_sees_own_and_queue_supervisor_sees_all(api_client, assert_contract):
    tenant = chat_tenant()
    sales, support = make_department(tenant, "Sales"), make_department(tenant, "Support")
    agent = make_agent(tenant, department=sales)
    other = make_agent(tenant, department=support)
    supervisor = make_agent(tenant, role=StaffRole.SUPERVISOR)
    ids = [start_conversation(api_client, visitor_headers(tenant, f"vis_{i}"))["conversationId"] for i in range(4)]
    Conversation.objects.filter(public_id=ids[0]).update(assigned_agent=agent)
    Conversation.objects.filter(public_id=ids[1]).update(assigned_agent=other)
    Conversation.objects.filter(public_id=ids[2]).update(department=support)
    # ids[3]: unassigned, no department: the general queue
    seen = assert_contract(
        api_client.get(f"{AGENT}/conversations", **agent_headers(agent)), "listAgentConversations", status=200
    )
    assert {c["conversationId"] for c in seen["data"]["conversations"]} == {ids[0], ids[3]}
    everything = api_client.get(f"{AGENT}/conversations", **agent_headers(supervisor)).json()["data"]["conversations"]
    assert {c["conversationId"] for c in everything} == set(ids)
    hidden = api_client.get(_url(ids[1]), **agent_headers(agent))
    assert_contract(hidden, "getAgentConversation", status=404)
    filtered = api_client.get(f"{AGENT}/conversations?departmentId={support.public_id}", **agent_headers(supervisor))
    assert [c["conversationId"] for c in filtered.json()["data"]["conversations"]] == [ids[2]]
    bad = api_client.get(f"{AGENT}/conversations?status=nope&limit=0&cursor=zzz", **agent_headers(supervisor))
    details = " ".join(assert_contract(bad, "listAgentConversations", status=400)["details"])
    assert "status" in details
    assert "limit" in details


def test_cursor_pages_are_stable_while_messages_arrive(api_client, assert_contract):
    tenant = chat_tenant()
    supervisor = make_agent(tenant, role=StaffRole.SUPERVISOR)
    visitors = [visitor_headers(tenant, f"vis_{i}") for i in range(7)]
    ids = [start_conversation(api_client, headers)["conversationId"] for headers in visitors]
    headers = agent_headers(supervisor)
    first = assert_contract(
        api_client.get(f"{AGENT}/conversations?limit=3", **headers), "listAgentConversations", status=200
    )
    page = [c["conversationId"] for c in first["data"]["conversations"]]
    # New activity on a conversation already seen moves it to the top: no duplicate on later pages.
    send_message(api_client, visitors[ids.index(page[0])], page[0], "again")
    seen = list(page)
    cursor = first["data"]["nextCursor"]
    while cursor:
        body = api_client.get(f"{AGENT}/conversations?limit=3&cursor={cursor}", **headers).json()["data"]
        seen += [c["conversationId"] for c in body["conversations"]]
        cursor = body.get("nextCursor")
    assert sorted(seen) == sorted(ids)


def test_list_query_count_does_not_grow_with_page_size(api_client):
    tenant = chat_tenant()
    supervisor = make_agent(tenant, role=StaffRole.SUPERVISOR, department=make_department(tenant))
    headers = agent_headers(supervisor)
    for i in range(3):
        start_conversation(api_client, visitor_headers(tenant, f"vis_a{i}", context={"visitor": {"name": "A"}}))
    api_client.get(f"{AGENT}/conversations", **headers)  # warm the entitlement cache
    with CaptureQueriesContext(connection) as small:
        api_client.get(f"{AGENT}/conversations", **headers)
    for i in range(20):
        conversation = start_conversation(api_client, visitor_headers(tenant, f"vis_b{i}"))
        Conversation.objects.filter(public_id=conversation["conversationId"]).update(
            assigned_agent=supervisor, department=supervisor.department
        )
    with CaptureQueriesContext(connection) as large:
        response = api_client.get(f"{AGENT}/conversations", **headers)
    assert len(response.json()["data"]["conversations"]) == 23
    assert len(large.captured_queries) == len(small.captured_queries) <= 4


def test_messages_list_send_and_read(api_client, assert_contract):
    tenant = chat_tenant()
    visitor = visitor_headers(tenant)
    conversation = start_conversation(api_client, visitor)
    cid = conversation["conversationId"]
    for i in range(5):
        send_message(api_client, visitor, cid, f"m{i}")
    headers = agent_headers(make_agent(tenant))
    sent = api_client.post(_url(cid, "/messages"), {"body": "Hi", "clientMessageId": "a-1"}, format="json", **headers)
    message = assert_contract(sent, "sendAgentConversationMessage", status=201)["data"]["message"]
    assert message["senderType"] == "agent"
    page = api_client.get(_url(cid, "/messages?limit=4"), **headers)
    data = assert_contract(page, "listAgentConversationMessages", status=200)["data"]
    assert [m["body"] for m in data["messages"]] == ["m2", "m3", "m4", "Hi"]
    older = api_client.get(_url(cid, f"/messages?limit=4&before={data['nextCursor']}"), **headers).json()["data"]
    assert [m["body"] for m in older["messages"]] == ["m0", "m1"]
    assert "nextCursor" not in older
    read = api_client.post(_url(cid, f"/messages/{data['messages'][0]['messageId']}/read"), **headers)
    assert assert_contract(read, "markAgentMessageRead", status=200)["data"]["receipt"]["readAt"]
    empty = api_client.post(_url(cid, "/messages"), {"body": ""}, format="json", **headers)
    assert_contract(empty, "sendAgentConversationMessage", status=400)


def test_accept_transfer_and_conflict(api_client, assert_contract):
    tenant = chat_tenant()
    cid = start_conversation(api_client, visitor_headers(tenant))["conversationId"]
    first, second = make_agent(tenant), make_agent(tenant)
    accepted = api_client.post(_url(cid, "/assign"), {}, format="json", **agent_headers(first))
    data = assert_contract(accepted, "assignAgentConversation", status=200)["data"]
    assert data["assignment"]["assignedAgentId"] == first.public_id
    late = api_client.post(_url(cid, "/assign"), {}, format="json", **agent_headers(second))
    # It left the second agent's queue, but it was there: the documented 409, as for a concurrent accept.
    assert assert_contract(late, "assignAgentConversation", status=409)["code"] == "CONFLICT"
    transfer = api_client.post(
        _url(cid, "/assign"),
        {"assignedAgentId": second.public_id, "isTransfer": True},
        format="json",
        **agent_headers(first),
    )
    assert (
        assert_contract(transfer, "assignAgentConversation", status=200)["data"]["conversation"]["assignedAgentId"]
        == second.public_id
    )
    assert list(Assignment.objects.values_list("kind", flat=True).order_by("id")) == ["accept", "transfer"]
    supervisor = make_agent(tenant, role=StaffRole.SUPERVISOR)
    taken = api_client.post(_url(cid, "/assign"), {}, format="json", **agent_headers(supervisor))
    assert assert_contract(taken, "assignAgentConversation", status=409)["code"] == "CONFLICT"
    bad = api_client.post(
        _url(cid, "/assign"), {"assignedAgentId": "usr_nobody"}, format="json", **agent_headers(supervisor)
    )
    assert_contract(bad, "assignAgentConversation", status=400)
    other_tenant_agent = make_agent(chat_tenant())
    foreign = api_client.post(
        _url(cid, "/assign"),
        {"assignedAgentId": other_tenant_agent.public_id},
        format="json",
        **agent_headers(supervisor),
    )
    assert_contract(foreign, "assignAgentConversation", status=400)
    assert Assignment.objects.count() == 2


def test_plain_agent_cannot_reassign_someone_elses_conversation(api_client, assert_contract):
    tenant = chat_tenant()
    cid = start_conversation(api_client, visitor_headers(tenant))["conversationId"]
    owner_agent, intruder = make_agent(tenant), make_agent(tenant)
    Conversation.objects.update(assigned_agent=owner_agent)
    supervisor = make_agent(tenant, role=StaffRole.ADMIN)
    moved = api_client.post(
        _url(cid, "/assign"), {"assignedAgentId": intruder.public_id}, format="json", **agent_headers(supervisor)
    )
    assert_contract(moved, "assignAgentConversation", status=200)
    back = api_client.post(
        _url(cid, "/assign"), {"assignedAgentId": intruder.public_id}, format="json", **agent_headers(owner_agent)
    )
    assert_contract(back, "assignAgentConversation", status=404)


def test_close_twice_is_fine_and_blocks_new_messages(api_client, assert_contract):
    tenant = chat_tenant()
    visitor = visitor_headers(tenant)
    cid = start_conversation(api_client, visitor)["conversationId"]
    headers = agent_headers(make_agent(tenant))
    closed = assert_contract(api_client.post(_url(cid, "/close"), **headers), "closeAgentConversation", status=200)
    assert closed["data"]["conversation"]["status"] == "closed"
    again = assert_contract(api_client.post(_url(cid, "/close"), **headers), "closeAgentConversation", status=200)
    assert again["data"]["conversation"]["updatedAt"] == closed["data"]["conversation"]["updatedAt"]
    late = api_client.post(f"/api/chat/visitor/conversations/{cid}/messages", {"body": "hi"}, format="json", **visitor)
    assert_contract(late, "sendVisitorConversationMessage", status=409)
    fresh = start_conversation(api_client, visitor)
    assert fresh["conversationId"] != cid
    assert fresh["conversationNumber"] == "2"


def test_another_tenants_agent_gets_404_on_every_conversation_route(api_client, assert_contract):
    tenant = chat_tenant()
    visitor = visitor_headers(tenant)
    cid = start_conversation(api_client, visitor)["conversationId"]
    mid = send_message(api_client, visitor, cid)["messageId"]
    stranger = agent_headers(make_agent(chat_tenant(), role=StaffRole.OWNER))
    checks = [
        (api_client.get(_url(cid), **stranger), "getAgentConversation"),
        (api_client.get(_url(cid, "/messages"), **stranger), "listAgentConversationMessages"),
        (
            api_client.post(_url(cid, "/messages"), {"body": "x"}, format="json", **stranger),
            "sendAgentConversationMessage",
        ),
        (api_client.post(_url(cid, f"/messages/{mid}/read"), **stranger), "markAgentMessageRead"),
        (api_client.delete(_url(cid, f"/messages/{mid}/attachment"), **stranger), "deleteAgentConversationAttachment"),
        (api_client.post(_url(cid, "/assign"), {}, format="json", **stranger), "assignAgentConversation"),
        (api_client.post(_url(cid, "/close"), **stranger), "closeAgentConversation"),
        (api_client.post(f"/api/chat/conversations/{cid}/messages/{mid}/read", **stranger), "markChatMessageRead"),
    ]
    for response, operation in checks:
        assert assert_contract(response, operation, status=404)["code"] == "NOT_FOUND", operation
    listed = api_client.get(f"{AGENT}/conversations", **stranger).json()["data"]["conversations"]
    assert listed == []
    assert Message.objects.count() == 1
    assert Conversation.objects.get().status == "open"


def test_message_list_query_count_does_not_grow_with_page_size(api_client):
    tenant = chat_tenant()
    visitor = visitor_headers(tenant, context={"visitor": {"externalId": "c-1", "email": "c@example.com"}})
    api_client.post("/api/chat/visitor/sessions", {}, format="json", **visitor)
    cid = start_conversation(api_client, visitor)["conversationId"]
    agent = make_agent(tenant)
    headers = agent_headers(agent)
    send_message(api_client, visitor, cid, "first")
    api_client.get(_url(cid, "/messages"), **headers)
    with CaptureQueriesContext(connection) as small:
        api_client.get(_url(cid, "/messages"), **headers)
    for i in range(15):
        send_message(api_client, visitor, cid, f"v{i}")
        api_client.post(_url(cid, "/messages"), {"body": f"a{i}"}, format="json", **headers)
    with CaptureQueriesContext(connection) as large:
        response = api_client.get(_url(cid, "/messages"), **headers)
    assert len(response.json()["data"]["messages"]) == 31
    assert len(large.captured_queries) == len(small.captured_queries)


def test_an_accept_of_another_departments_taken_conversation_stays_404(api_client, assert_contract):
    tenant = chat_tenant()
    sales, support = make_department(tenant, "Sales"), make_department(tenant, "Support")
    cid = start_conversation(api_client, visitor_headers(tenant))["conversationId"]
    Conversation.objects.filter(public_id=cid).update(department=sales)
    seller = make_agent(tenant, department=sales)
    assert_contract(
        api_client.post(_url(cid, "/assign"), {}, format="json", **agent_headers(seller)),
        "assignAgentConversation",
        status=200,
    )
    outsider = api_client.post(
        _url(cid, "/assign"), {}, format="json", **agent_headers(make_agent(tenant, department=support))
    )
    assert_contract(outsider, "assignAgentConversation", status=404)


# --- extensions the web inbox needed ---------------------------------------------------------------


def _conversation(api_client, tenant, subject="vis_x"):
    conversation = start_conversation(api_client, visitor_headers(tenant, subject=subject), subject="Help")
    send_message(api_client, visitor_headers(tenant, subject=subject), conversation["conversationId"], "Hi")
    return conversation["conversationId"]


def test_teammates_list_the_tenants_active_staff_with_presence(api_client, assert_contract):
    tenant = chat_tenant()
    sales = make_department(tenant, "Sales")
    me = make_agent(tenant, name="Ann")
    other = make_agent(tenant, name="Bob", department=sales, role=StaffRole.SUPERVISOR)
    make_agent(tenant, name="Gone", is_active=False)
    make_agent(chat_tenant(), name="Elsewhere")
    api_client.patch(f"{AGENT}/presence", {"status": "available"}, format="json", **agent_headers(other))

    response = api_client.get(f"{AGENT}/agents", **agent_headers(me))
    agents = assert_contract(response, "listAgentTeammates", status=200)["data"]["agents"]
    assert [(a["name"], a["presence"]) for a in agents] == [("Ann", "offline"), ("Bob", "available")]
    assert (agents[1]["departmentName"], agents[1]["role"]) == ("Sales", "supervisor")
    assert "scopes" not in agents[0]
    assert_contract(api_client.get(f"{AGENT}/agents", **visitor_headers(tenant)), "listAgentTeammates", status=401)


def test_an_agent_reopens_what_it_closed_and_the_visitors_other_open_conversation_is_a_conflict(
    api_client, assert_contract
):
    tenant = chat_tenant()
    agent = make_agent(tenant)
    headers = agent_headers(agent)
    conversation_id = _conversation(api_client, tenant)
    assert_contract(api_client.post(_url(conversation_id, "/close"), **headers), "closeAgentConversation", status=200)

    reopened = assert_contract(
        api_client.post(_url(conversation_id, "/reopen"), **headers), "reopenAgentConversation", status=200
    )["data"]["conversation"]
    assert reopened["status"] == "open"
    assert Conversation.objects.get(public_id=conversation_id).closed_at is None
    assert WebhookEvent.objects.filter(tenant=tenant, event_type="conversation.updated").exists()
    again = api_client.post(_url(conversation_id, "/reopen"), **headers)
    assert assert_contract(again, "reopenAgentConversation", status=200)["data"]["conversation"]["status"] == "open"

    api_client.post(_url(conversation_id, "/close"), **headers)
    start_conversation(api_client, visitor_headers(tenant, subject="vis_x"), subject="Another")
    conflict = api_client.post(_url(conversation_id, "/reopen"), **headers)
    assert assert_contract(conflict, "reopenAgentConversation", status=409)["code"] == "CONFLICT"
    assert Conversation.objects.get(public_id=conversation_id).status == "closed"


def test_reopen_is_404_for_what_the_agent_does_not_see(api_client, assert_contract):
    tenant = chat_tenant()
    conversation_id = _conversation(api_client, tenant)
    outsider = make_agent(chat_tenant())
    response = api_client.post(_url(conversation_id, "/reopen"), **agent_headers(outsider))
    assert_contract(response, "reopenAgentConversation", status=404)
    no_scope = agent_headers(make_agent(tenant), scopes=["agent:conversations:read"])
    refused = api_client.post(_url(conversation_id, "/reopen"), **no_scope)
    assert_contract(refused, "reopenAgentConversation", status=403)


def test_the_contact_panel_creates_links_and_then_edits_the_contact(api_client, assert_contract):
    tenant = chat_tenant()
    headers = agent_headers(make_agent(tenant))
    conversation_id = _conversation(api_client, tenant)
    empty = assert_contract(api_client.get(_url(conversation_id, "/contact"), **headers), "getAgentConversationContact")
    assert empty["data"]["contact"] is None
    assert empty["data"]["visitor"]["verified"] is False

    missing_phone = api_client.patch(_url(conversation_id, "/contact"), {"name": "Ada"}, format="json", **headers)
    body = assert_contract(missing_phone, "updateAgentConversationContact", status=400)
    assert body["code"] == "SERVER_CONTACT_VALIDATION_FAILED"
    assert "phone" in " ".join(body["details"])
    assert not Contact.objects.filter(tenant=tenant).exists()

    created = api_client.patch(
        _url(conversation_id, "/contact"),
        {"name": "Ada Lovelace", "phone": "+14155550100", "tags": ["vip"], "notes": "Prefers email."},
        format="json",
        **headers,
    )
    contact = assert_contract(created, "updateAgentConversationContact", status=200)["data"]["contact"]
    assert (contact["tags"], contact["notes"]) == (["vip"], "Prefers email.")
    conversation = Conversation.objects.get(public_id=conversation_id)
    assert conversation.contact.public_id == contact["id"]
    assert Visitor.objects.get(pk=conversation.visitor_id).contact_id == conversation.contact_id

    change = {"notes": "Call after 5pm.", "tags": ["vip", "late"]}
    edited = api_client.patch(_url(conversation_id, "/contact"), change, format="json", **headers)
    data = assert_contract(edited, "updateAgentConversationContact", status=200)["data"]["contact"]
    assert (data["id"], data["name"], data["notes"], data["tags"]) == (
        contact["id"],
        "Ada Lovelace",
        "Call after 5pm.",
        ["vip", "late"],
    )
    bad = api_client.patch(_url(conversation_id, "/contact"), {"email": "nope"}, format="json", **headers)
    assert "email" in " ".join(assert_contract(bad, "updateAgentConversationContact", status=400)["details"])
    assert Contact.objects.get(public_id=contact["id"]).email == ""


def test_the_contact_of_another_tenants_conversation_is_404(api_client, assert_contract):
    conversation_id = _conversation(api_client, chat_tenant())
    outsider = agent_headers(make_agent(chat_tenant()))
    assert_contract(api_client.get(_url(conversation_id, "/contact"), **outsider), "getAgentConversationContact", 404)
    patch = api_client.patch(
        _url(conversation_id, "/contact"), {"name": "X", "phone": "+14155550100"}, format="json", **outsider
    )
    assert_contract(patch, "updateAgentConversationContact", status=404)
