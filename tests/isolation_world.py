"""One tenant with one object of every kind the isolation matrix names and one credential of every form.

``tenant_world()`` makes them the way the product does (services where one exists, the apps' test
factories otherwise); ``fingerprint(tenant)`` is every row that belongs to the tenant, to prove that a
refused write changed nothing. The kinds and forms are the strings of ``ringnity.testing.isolation``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from django.apps import apps as django_apps
from django.core.files.base import ContentFile
from django.utils import timezone
from oauth2_provider.models import get_access_token_model

from apps.ai.models import AiConversation
from apps.ai.tests.factories import indexed_document, voice_session_for
from apps.billing.tests.factories import fund_ai
from apps.calls.link_services import call_join_credential
from apps.calls.models import CallActorKind, CallLink
from apps.calls.tests.factories import call_for, chat_session_token, conversation_for, visitor_for
from apps.chat.models import Attachment, AttachmentStatus, Contact, Message
from apps.developer.tests.factories import ServerApiKeyFactory, server_key_headers
from apps.identity.sessions import SessionScope, session_issue
from apps.oauth.tests.factories import make_client
from apps.plans.tests.factories import subscribe
from apps.runtime.tests.fixtures import ALL_SERVER_SCOPES, runtime_headers
from apps.runtime.tokens import TokenKind
from apps.tenants.models import StaffRole, Tenant
from apps.tenants.tests.factories import OwnerFactory, PlatformOperatorFactory, StaffFactory, TenantFactory
from apps.webhooks.tests.factories import WEBHOOK_SCOPES, endpoint_make

FEATURES = {
    key: True
    for key in (
        "chat",
        "voice_call",
        "video_call",
        "server_api",
        "webhooks",
        "oauth_login",
        "knowledge_base",
        "ai_chat",
        "ai_voice",
        "reports_export",
    )
}
QUOTAS = {
    key: "unlimited"
    for key in (
        "contacts",
        "webhooks",
        "oauth_clients",
        "server_api_keys",
        "knowledge_documents",
        "ai_voice_minutes",
        "ai_chat_replies",
    )
} | {"attachment_mb": 1, "attachment_storage_mb": 100, "realtime_connections": 100}


@dataclass
class Credential:
    headers: dict
    body: dict = field(default_factory=dict)  # fields the credential travels in (``sessionToken``)


@dataclass
class World:
    tenant: Tenant
    ids: dict[str, str]  # object kind -> public id
    credentials: dict[str, Credential]  # credential form -> how to send it


def _bearer(token: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def tenant_world(slug: str) -> World:
    tenant = TenantFactory(slug=slug, name=slug.title())
    subscribe(tenant, features=FEATURES, quotas=QUOTAS)
    fund_ai(tenant, 10_000)
    owner = OwnerFactory(tenant=tenant)
    staff = StaffFactory(tenant=tenant, role=StaffRole.ADMIN)  # sees every conversation of its tenant
    visitor = visitor_for(tenant)
    conversation = conversation_for(tenant, visitor)
    message = Message.objects.create(
        tenant=tenant, conversation=conversation, sender_type="visitor", sender_visitor=visitor, body="Hello"
    )
    attachment = Attachment.objects.create(
        tenant=tenant,
        conversation=conversation,
        message=message,
        uploaded_by_visitor=visitor,
        file=ContentFile(b"plain text", name=f"{slug}.txt"),
        original_filename="note.txt",
        content_type="text/plain",
        size=10,
        status=AttachmentStatus.UPLOADED,
    )
    call = call_for(conversation)
    link = CallLink.objects.create(
        tenant=tenant,
        conversation=conversation,
        service="voice_call",
        created_by_kind=CallActorKind.VISITOR,
        expires_at=timezone.now() + timedelta(minutes=30),
    )
    AiConversation.objects.create(tenant=tenant, conversation=conversation, visitor=visitor)
    voice = voice_session_for(conversation)
    contact = Contact.objects.create(tenant=tenant, name=f"{slug} contact", email=f"contact@{slug}.example.com")
    endpoint, _secret = endpoint_make(tenant)
    key = ServerApiKeyFactory(tenant=tenant, scopes=sorted({*ALL_SERVER_SCOPES, *WEBHOOK_SCOPES}))
    oauth_client, _secret = make_client(tenant)
    oauth_token = secrets.token_urlsafe(32)
    get_access_token_model().objects.create(
        user=owner,
        application=oauth_client,
        token=oauth_token,
        expires=timezone.now() + timedelta(hours=1),
        scope="openid profile email tenant.read",
    )
    document = indexed_document(tenant, f"{slug}.md", "Returns are accepted within 30 days.")
    chat_session = chat_session_token(visitor)
    ids = {
        "tenant": tenant.public_id,
        "server_api_key": key.public_id,
        "oauth_client": oauth_client.public_id,
        "contact": contact.public_id,
        "webhook_endpoint": endpoint.public_id,
        "conversation": conversation.public_id,
        "message": message.public_id,
        "attachment": attachment.public_id,
        "call_session": call.public_id,
        "ai_voice_session": voice.public_id,
        "knowledge_document": document.public_id,
    }
    credentials = {
        "owner_session": Credential(_bearer(session_issue(user=owner, scope=SessionScope.OWNER).access)),
        "workspace_session": Credential(_bearer(session_issue(user=staff, scope=SessionScope.WORKSPACE).access)),
        "platform_session": Credential(
            _bearer(session_issue(user=PlatformOperatorFactory(), scope=SessionScope.PLATFORM).access)
        ),
        "server_api_key": Credential(server_key_headers(key)),
        "oauth_access_token": Credential(_bearer(oauth_token)),
        "visitor_runtime": Credential(runtime_headers(tenant, TokenKind.VISITOR, subject=visitor.subject)),
        "visitor_call_token": Credential(
            {"HTTP_X_RINGNITY_SDK_SESSION": call_join_credential(link=link, call=call).token}
        ),
        "visitor_chat_session": Credential({"HTTP_X_RINGNITY_CHAT_SESSION": chat_session}),
        "visitor_body_session": Credential({}, {"sessionToken": chat_session}),
        "agent_runtime": Credential(runtime_headers(tenant, TokenKind.AGENT, subject=staff.public_id)),
        "admin_runtime": Credential(runtime_headers(tenant, TokenKind.ADMIN, subject=f"adm_{slug}")),
    }
    return World(tenant, ids, credentials)


def _tenant_models():
    for model in django_apps.get_models():
        field_names = {f.name for f in model._meta.concrete_fields}
        if "tenant" in field_names and model._meta.get_field("tenant").related_model is Tenant:
            yield model


def fingerprint(tenant: Tenant) -> dict:
    """Every row of the tenant (its own and each tenant-owned model's), to compare before and after."""
    rows = {"tenant": list(Tenant.objects.filter(pk=tenant.pk).values())}
    for model in _tenant_models():
        rows[model._meta.label] = list(model._default_manager.filter(tenant=tenant).order_by("pk").values())
    return rows
