"""Helpers for the live chat tests: a chat-enabled tenant, visitor and agent headers."""

from __future__ import annotations

from apps.runtime.tests.fixtures import ready_tenant, runtime_headers
from apps.runtime.tokens import TokenKind
from apps.tenants.models import StaffRole
from apps.tenants.tests.factories import DepartmentFactory, StaffFactory

CHAT_FEATURES = {"chat": True, "voice_call": True, "video_call": False, "server_api": True}


def chat_tenant(*, features=None, attachment_mb=1, attachment_storage_mb=100, **fields):
    """A tenant whose plan has chat, a 1 MB attachment quota and 100 MB of attachment storage."""
    quotas = {"contacts": "unlimited", "attachment_mb": attachment_mb, "attachment_storage_mb": attachment_storage_mb}
    return ready_tenant(features=features or CHAT_FEATURES, quotas=quotas, **fields)


def visitor_headers(tenant, subject: str = "vis_test", **kw) -> dict:
    return runtime_headers(tenant, TokenKind.VISITOR, subject=subject, **kw)


def make_agent(tenant, *, role=StaffRole.AGENT, department=None, **fields):
    return StaffFactory(tenant=tenant, role=role, department=department, **fields)


def make_department(tenant, name="Support"):
    return DepartmentFactory(tenant=tenant, name=name)


def agent_headers(agent, **kw) -> dict:
    return runtime_headers(agent.tenant, TokenKind.AGENT, subject=agent.public_id, **kw)


def start_conversation(client, headers, **body) -> dict:
    response = client.post("/api/chat/visitor/conversations", body, format="json", **headers)
    assert response.status_code == 201, response.content
    return response.json()["data"]["conversation"]


def send_message(client, headers, conversation_id: str, body="Hello", **fields) -> dict:
    response = client.post(
        f"/api/chat/visitor/conversations/{conversation_id}/messages",
        {"body": body, **fields},
        format="json",
        **headers,
    )
    assert response.status_code == 201, response.content
    return response.json()["data"]["message"]
