"""A database with at least one row behind every console page, made the way the product makes them."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.models import Group
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from apps.ai.models import AiConversation
from apps.ai.services import routing_mode_set
from apps.ai.tests.factories import indexed_document, voice_session_for
from apps.billing.models import AiPricing
from apps.billing.tests.factories import AiUsageLogFactory, fund_ai
from apps.calls.models import CallActorKind, CallLink
from apps.calls.tests.factories import call_for, conversation_for, visitor_for
from apps.chat.conversation_services import conversation_assign
from apps.chat.models import Message
from apps.developer.models import AllowedDomain, ServiceToggle
from apps.developer.tests.factories import ServerApiKeyFactory
from apps.identity.services import workspace_entry_token_create
from apps.identity.sessions import SessionScope, session_issue
from apps.oauth.tests.factories import exchange, get_code, make_client
from apps.plans.tests.factories import subscribe
from apps.reports.models import ConversationRating
from apps.reports.periods import period_resolve
from apps.reports.services import export_request
from apps.runtime.models import DevicePushToken
from apps.tenants.models import Position, StaffRole
from apps.tenants.tests.factories import DepartmentFactory, OwnerFactory, StaffFactory, TenantFactory
from apps.webhooks.events import event_emit
from apps.webhooks.models import WebhookAttempt, WebhookDelivery
from apps.webhooks.tests.factories import endpoint_make


def console_world() -> None:
    """One tenant with rows in every model the console shows (a test asserts none is left empty)."""
    call_command("seed_plans", verbosity=0)
    tenant = TenantFactory(slug="world")
    subscribe(
        tenant,
        plan_slug="professional",
        features={"chat": True, "webhooks": True, "server_api": True, "oauth_login": True, "knowledge_base": True},
        quotas={
            key: "unlimited"
            for key in ("webhooks", "oauth_clients", "server_api_keys", "knowledge_documents", "ai_voice_minutes")
        },
    )
    owner = OwnerFactory(tenant=tenant)
    department = DepartmentFactory(tenant=tenant)
    agent = StaffFactory(tenant=tenant, role=StaffRole.AGENT, department=department)
    Position.objects.create(tenant=tenant, name="Lead")
    Group.objects.create(name="unused")
    # sessions, refresh tokens, entry tokens
    session_issue(user=owner, scope=SessionScope.OWNER)
    BlacklistedToken.objects.create(token=OutstandingToken.objects.first())
    workspace_entry_token_create(owner=owner)
    # billing
    AiPricing.objects.get_or_create(pk=1)
    fund_ai(tenant, 500)
    AiUsageLogFactory(tenant=tenant)
    # developer and runtime
    ServerApiKeyFactory(tenant=tenant)
    ServiceToggle.objects.create(tenant=tenant, service="voice_call", admin_enabled=True)
    AllowedDomain.objects.create(tenant=tenant, domain="shop.example.com")
    DevicePushToken.objects.create(tenant=tenant, platform="web", token="t" * 20, token_digest="d" * 64)
    # chat and calls
    visitor = visitor_for(tenant)
    conversation = conversation_for(tenant, visitor)
    Message.objects.create(tenant=tenant, conversation=conversation, sender_type="visitor", body="Hello")
    Message.objects.create(tenant=tenant, conversation=conversation, sender_type="agent", sender_agent=agent, body="Hi")
    conversation_assign(tenant=tenant, agent=agent, conversation_id=conversation.public_id)
    call_for(conversation)
    CallLink.objects.create(
        tenant=tenant,
        conversation=conversation,
        service="voice_call",
        created_by_kind=CallActorKind.VISITOR,
        expires_at=timezone.now() + timedelta(minutes=30),
    )
    ConversationRating.objects.create(tenant=tenant, conversation=conversation, score=5, agent=agent)
    # webhooks
    endpoint, _secret = endpoint_make(tenant)
    event_emit(tenant=tenant, event_type="contact.created", payload={"id": "con_world"})
    delivery = WebhookDelivery.objects.for_tenant(tenant).first()
    WebhookAttempt.objects.create(
        tenant=tenant,
        delivery=delivery,
        endpoint=endpoint,
        event_type=delivery.event_type,
        number=1,
        url=endpoint.url,
        started_at=timezone.now(),
    )
    # Login with Ringnity: a whole flow (access, refresh and ID tokens, a consent) and an unused code
    oauth_client, secret = make_client(tenant)
    browser = Client()
    code, verifier = get_code(browser, oauth_client, owner)
    exchange(browser, oauth_client, code, verifier, secret=secret)
    get_code(browser, oauth_client, owner)
    # reports and AI
    export_request(tenant=tenant, period=period_resolve(tenant=tenant, period="7days"), fmt="csv")
    routing_mode_set(tenant=tenant, mode="ai_first")
    indexed_document(tenant, "returns.md", "You can return any item within 30 days.")
    ai_visitor = visitor_for(tenant)
    ai_conversation = conversation_for(tenant, ai_visitor)
    AiConversation.objects.create(tenant=tenant, conversation=ai_conversation, visitor=ai_visitor)
    voice_session_for(ai_conversation)
