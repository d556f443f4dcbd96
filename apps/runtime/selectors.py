"""Reads for SDK runtimes, the Server API tenant endpoints and the Admin SDK.

Each selector that builds one response reads each thing once: entitlements once, service
capabilities once (AI readiness is computed inside them and reused), so the query counts are
fixed (``tests/test_selector_queries.py``).
"""

from __future__ import annotations

from collections import Counter

from apps.developer.capabilities import ai_readiness, service_capabilities
from apps.developer.models import AllowedDomain
from apps.plans import entitlements
from apps.tenants.models import Presence, StaffRole, Tenant, User

AI_SERVICES = ("ai_chat", "ai_voice", "ai_video")
QUOTA_KEYS = (
    "agents",
    "allowed_domains",
    "server_api_keys",
    "oauth_clients",
    "webhooks",
    "contacts",
    "ai_chat_replies",
    "ai_voice_minutes",
    "knowledge_documents",
    "attachment_mb",
    "attachment_storage_mb",
)
_COUNTED_QUOTAS = ("contacts", "ai_chat_replies", "ai_voice_minutes", "attachment_storage_mb")


# --- shapes -------------------------------------------------------------------------


def allowed_domains(*, tenant: Tenant) -> list[str]:
    return list(AllowedDomain.objects.for_tenant(tenant).order_by("domain").values_list("domain", flat=True))


# --- readiness and admin reads ------------------------------------------------------


def tenant_readiness(*, tenant: Tenant) -> dict:
    """The contract's ``Readiness``: services, AI and reports, plus SDK set-up facts."""
    ent = entitlements.for_tenant(tenant)
    domains = allowed_domains(tenant=tenant)
    ai = ai_readiness(tenant)
    return {
        "services": service_capabilities(tenant, readiness=ai),
        "ai": ai,
        "reports": {"available": True, "exportEnabled": ent.feature_enabled("reports_export")},
        "sdk": {
            "tenantActive": tenant.is_active,
            "allowedDomainCount": len(domains),
            "webReady": tenant.is_active and bool(domains),
            "planSlug": ent.plan_slug,
        },
    }


def admin_services(*, tenant: Tenant) -> dict:
    services = service_capabilities(tenant)
    capabilities = {
        s["key"]: {"status": s["status"], "allowed": s["allowed"], "adminEnabled": s["adminEnabled"]} for s in services
    }
    return {"services": services, "capabilities": capabilities}


def admin_subscription(*, tenant: Tenant) -> dict:
    ent = entitlements.for_tenant(tenant)
    quotas = {}
    for key in QUOTA_KEYS:
        quota = ent.quota(key)
        item = {"valueType": quota.value_type, "limit": quota.limit, "resetPeriod": quota.reset_period or None}
        if key in _COUNTED_QUOTAS:
            item["usage"] = ent.usage(key)
            item["remaining"] = ent.remaining(key, usage=item["usage"])
        quotas[key] = item
    return {
        "planId": ent.plan_id,
        "planSlug": ent.plan_slug,
        "planName": ent.plan_name,
        "status": ent.subscription_status,
        "features": ent.enabled_features(),
        "quotas": quotas,
    }


def admin_ai_readiness(*, tenant: Tenant) -> dict:
    ai = ai_readiness(tenant)  # one read of balance, knowledge and included quotas
    ent = entitlements.for_tenant(tenant)
    can_use = any(ent.feature_enabled(key) and ai["services"][key]["ready"] for key in AI_SERVICES)
    return {"ai": ai, "canUseAiFeature": can_use}


def staff_summary(*, tenant: Tenant) -> dict:
    """Active staff by role, department and presence, in one grouped query."""
    rows = (
        User.objects.filter(tenant=tenant, is_active=True)
        .values_list("role", "presence", "department__public_id", "department__name")
        .order_by()
    )
    by_role: Counter = Counter()
    by_presence: Counter = Counter()
    departments: dict[str | None, dict] = {}
    agents_online = 0
    for role, presence, dep_id, dep_name in rows:
        by_role[role] += 1
        by_presence[presence] += 1
        dep = departments.setdefault(
            dep_id, {"departmentId": dep_id, "name": dep_name or "Unassigned", "staff": 0, "online": 0}
        )
        dep["staff"] += 1
        if presence == Presence.ONLINE:
            dep["online"] += 1
            if role in (StaffRole.AGENT, StaffRole.SUPERVISOR):
                agents_online += 1
    return {
        "totalStaff": sum(by_role.values()),
        "byRole": {role: by_role.get(role, 0) for role in StaffRole.values},
        "byPresence": {presence: by_presence.get(presence, 0) for presence in Presence.values},
        "departments": sorted(departments.values(), key=lambda d: (d["departmentId"] is None, d["name"])),
        "agentsOnline": agents_online,
        "agentsTotal": by_role.get(StaffRole.AGENT, 0) + by_role.get(StaffRole.SUPERVISOR, 0),
    }
