"""The default plan catalog and its idempotent seeding (``manage.py seed_plans``).

Seeding creates what is missing and keeps what exists: a contract an operator
edited is never overwritten, unless ``reset=True``, which puts every default
key, plan and contract back to the values below (rows the defaults do not name
are left alone, except contracts of a default plan for keys it does not list,
which are removed so the plan matches the defaults exactly).

A plan that already exists only gets contracts for keys created in the same run
(a default key new in this release). A missing contract for a key that already
existed is an operator's removal (no contract = disabled), and ``make run``
reseeding must not switch that feature back on.
"""

from __future__ import annotations

from django.db import transaction

from apps.plans import entitlements
from apps.plans.models import FeatureKey, Plan, PlanFeature, PlanQuota, QuotaKey

FEATURE_KEYS = [
    # key, name, category, status, description
    ("chat", "Live chat", "communication", "stable", "Visitor live chat with agents."),
    ("voice_call", "Voice calls", "communication", "stable", "Visitor and agent voice calls."),
    ("video_call", "Video calls", "communication", "stable", "Visitor video calls and video escalation."),
    ("ai_chat", "AI chat", "ai", "stable", "AI replies in chat, grounded in the knowledge base."),
    ("ai_voice", "AI voice", "ai", "stable", "AI voice agent on calls."),
    ("ai_video", "AI video", "ai", "beta", "AI agent on video calls."),
    ("knowledge_base", "Knowledge base", "ai", "stable", "Documents and URLs the AI answers from."),
    ("webhooks", "Webhooks", "developer", "stable", "Signed event deliveries to customer endpoints."),
    ("server_api", "Server API", "developer", "stable", "Server-to-server REST API with API keys."),
    ("oauth_login", "Login with Ringnity", "developer", "stable", "OAuth 2.0 / OIDC clients."),
    ("reports_export", "Report exports", "analytics", "stable", "CSV and JSON report exports."),
]

QUOTA_KEYS = [
    # key, name, unit, category, description
    ("agents", "Agents", "agent", "core", "Non-owner staff accounts allowed by the plan."),
    ("allowed_domains", "Allowed domains", "domain", "core", "Origins the SDKs may run on."),
    ("contacts", "Contacts", "contact", "core", "Stored contacts."),
    ("attachment_mb", "Attachment size", "MB", "core", "Largest single attachment, in megabytes."),
    ("attachment_storage_mb", "Attachment storage", "MB", "core", "Chat attachments stored in all, in megabytes."),
    ("server_api_keys", "Server API keys", "key", "developer", "Active Server API keys."),
    ("oauth_clients", "OAuth clients", "client", "developer", "Registered OAuth clients."),
    ("webhooks", "Webhook endpoints", "endpoint", "developer", "Webhook endpoints."),
    (
        "realtime_connections",
        "Realtime connections",
        "connection",
        "core",
        "Open realtime gateway sockets (widgets, agent consoles, Admin SDK) at one time.",
    ),
    ("ai_chat_replies", "AI chat replies", "reply", "ai", "AI chat replies included per month."),
    ("ai_voice_minutes", "AI voice minutes", "minute", "ai", "AI voice minutes included per month."),
    ("knowledge_documents", "Knowledge documents", "document", "ai", "Documents in the knowledge base."),
    (
        "api_requests_per_minute",
        "API requests per credential",
        "request/minute",
        "developer",
        "API requests a minute per credential (Server API key, token, session); RateLimit-* headers, then 429.",
    ),
    (
        "api_requests_per_minute_per_ip",
        "API requests per address",
        "request/minute",
        "developer",
        "API requests a minute per client address within the tenant, all credentials together.",
    ),
]
MONTHLY_QUOTAS = {"ai_chat_replies", "ai_voice_minutes"}
#: Quotas that bound one item (an attachment's size), not a running total: nothing to count. Every other
#: key needs a usage counter (``entitlements.register_usage_counter``; start-up check ``plans.E001``).
ITEM_LIMIT_QUOTAS = {"attachment_mb"}
#: Quotas that bound a rate (requests a minute, ``ringnity.api.throttling``): counted in the cache, not stored.
RATE_QUOTAS = {"api_requests_per_minute", "api_requests_per_minute_per_ip"}

U, C, D = "unlimited", "custom", "disabled"
PLANS = [
    # slug, name, enabled features, quotas (int = number limit)
    (
        "free",
        "Free",
        {"chat"},
        {
            "agents": 1,
            "realtime_connections": 100,
            "allowed_domains": 1,
            "contacts": 500,
            "attachment_mb": 5,
            "attachment_storage_mb": 500,
            "server_api_keys": D,
            "oauth_clients": D,
            "webhooks": D,
            "ai_chat_replies": D,
            "ai_voice_minutes": D,
            "knowledge_documents": D,
            "api_requests_per_minute": 120,
            "api_requests_per_minute_per_ip": 600,
        },
    ),
    (
        "starter",
        "Starter",
        {"chat", "voice_call", "ai_chat", "knowledge_base", "webhooks", "server_api"},
        {
            "agents": 3,
            "realtime_connections": 1_000,
            "allowed_domains": 3,
            "contacts": 5_000,
            "attachment_mb": 10,
            "attachment_storage_mb": 5_000,
            "server_api_keys": 2,
            "oauth_clients": D,
            "webhooks": 2,
            "ai_chat_replies": 1_000,
            "ai_voice_minutes": D,
            "knowledge_documents": 20,
            "api_requests_per_minute": 600,
            "api_requests_per_minute_per_ip": 2_400,
        },
    ),
    (
        "professional",
        "Professional",
        {
            "chat",
            "voice_call",
            "video_call",
            "ai_chat",
            "ai_voice",
            "knowledge_base",
            "webhooks",
            "server_api",
            "oauth_login",
            "reports_export",
        },
        {
            "agents": 15,
            "realtime_connections": 10_000,
            "allowed_domains": 10,
            "contacts": 50_000,
            "attachment_mb": 25,
            "attachment_storage_mb": 50_000,
            "server_api_keys": 10,
            "oauth_clients": 5,
            "webhooks": 10,
            "ai_chat_replies": 5_000,
            "ai_voice_minutes": 300,
            "knowledge_documents": 200,
            "api_requests_per_minute": 1_200,
            "api_requests_per_minute_per_ip": 6_000,
        },
    ),
    (
        "enterprise",
        "Enterprise",
        {key for key, *_ in FEATURE_KEYS},
        {
            "agents": C,
            "realtime_connections": U,
            "allowed_domains": U,
            "contacts": U,
            "attachment_mb": 100,
            "attachment_storage_mb": 250_000,
            "server_api_keys": U,
            "oauth_clients": U,
            "webhooks": U,
            "ai_chat_replies": C,
            "ai_voice_minutes": C,
            "knowledge_documents": U,
            "api_requests_per_minute": 6_000,
            "api_requests_per_minute_per_ip": 30_000,
        },
    ),
]


def _quota_fields(key: str, value) -> dict:
    is_number = isinstance(value, int)
    return {
        "value_type": "number" if is_number else value,
        "limit_value": value if is_number else None,
        "reset_period": "monthly" if key in MONTHLY_QUOTAS else "",
        "config": {},
    }


def _put(model, lookup: dict, defaults: dict, *, reset: bool, label: str, report: list, create: bool = True) -> object:
    row = model.objects.filter(**lookup).first()
    if row is None and not create:
        report.append(("kept", f"{label} (removed by an operator)"))
        return None
    if row is None:
        row = model.objects.create(**lookup, **defaults)
        report.append(("created", label))
    elif reset and any(getattr(row, field) != value for field, value in defaults.items()):
        for field, value in defaults.items():
            setattr(row, field, value)
        row.save()
        report.append(("reset", label))
    else:
        report.append(("kept", label))
    return row


@transaction.atomic
def catalog_seed(*, reset: bool = False) -> list[tuple[str, str]]:
    """Creates the default catalog; returns ``[(created|kept|reset|removed, what), ...]``."""
    report: list[tuple[str, str]] = []
    features, quotas = {}, {}
    for order, (key, name, category, status, description) in enumerate(FEATURE_KEYS, start=1):
        defaults = {"name": name, "category": category, "status": status, "description": description}
        defaults["sort_order"] = order * 10
        features[key] = _put(FeatureKey, {"key": key}, defaults, reset=reset, label=f"feature {key}", report=report)
    for order, (key, name, unit, category, description) in enumerate(QUOTA_KEYS, start=1):
        defaults = {"name": name, "unit": unit, "category": category, "description": description}
        defaults["sort_order"] = order * 10
        quotas[key] = _put(QuotaKey, {"key": key}, defaults, reset=reset, label=f"quota {key}", report=report)
    created = {what for action, what in report if action == "created"}
    for order, (slug, name, enabled, limits) in enumerate(PLANS, start=1):
        defaults = {"name": name, "sort_order": order * 10, "is_active": True}
        plan = _put(Plan, {"slug": slug}, defaults, reset=reset, label=f"plan {slug}", report=report)
        new_plan = report[-1][0] == "created"
        for key, feature in features.items():
            _put(
                PlanFeature,
                {"plan": plan, "feature": feature},
                {"enabled": key in enabled, "config": {}},
                reset=reset,
                label=f"{slug}.features.{key}",
                report=report,
                create=reset or new_plan or f"feature {key}" in created,
            )
        for key, value in limits.items():
            _put(
                PlanQuota,
                {"plan": plan, "quota": quotas[key]},
                _quota_fields(key, value),
                reset=reset,
                label=f"{slug}.quotas.{key}",
                report=report,
                create=reset or new_plan or f"quota {key}" in created,
            )
        if reset:
            extra_f = PlanFeature.objects.filter(plan=plan).exclude(feature__key__in=features)
            extra_q = PlanQuota.objects.filter(plan=plan).exclude(quota__key__in=limits)
            report += [("removed", f"{slug}.features.{k}") for k in extra_f.values_list("feature__key", flat=True)]
            report += [("removed", f"{slug}.quotas.{k}") for k in extra_q.values_list("quota__key", flat=True)]
            extra_f.delete()
            extra_q.delete()
    entitlements.invalidate()
    return report
