"""Service capabilities: can this tenant use chat, calls, AI? Computed here and only here.

For each service the status is the FIRST rule that applies (precedence):

1. ``not_in_plan``       a required plan feature is not enabled (``entitlements``);
2. ``disabled_by_admin`` the tenant admin switched it off (``tenants.ServiceToggle``; no row = on);
3. ``not_configured``    something the service needs is not set up on this deployment
                         (AI voice needs a real model provider: ``ai_readiness``), or this server has
                         no code for it at all (``ai_video``: ``UNSUPPORTED_SERVICES``), whatever the
                         plan sells;
4. ``ai_not_ready``      AI services only: the tenant cannot be served yet (``ai_readiness``:
                         empty balance with block-on-zero and no overage, empty knowledge base
                         for the built-in provider);
5. ``beta``              a required feature key has status ``beta``: usable, flagged;
6. ``available``.

``allowed`` is true for ``available`` and ``beta``. The plan comes first so a tenant
is told to upgrade before being told to switch something on.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings

from apps.billing.models import AiBalance
from apps.developer.models import ServiceToggle
from apps.plans import entitlements
from ringnity.api.errors import ApiError, ErrorCode

SERVICES: list[tuple[str, str, list[str]]] = [
    ("chat", "Live chat", ["chat"]),
    ("voice_call", "Voice call", ["voice_call"]),
    ("video_call", "Video call", ["video_call"]),
    ("ai_chat", "AI chat", ["ai_chat"]),
    ("ai_voice", "AI voice", ["ai_voice"]),
    ("ai_video", "AI video", ["ai_video"]),
]
AI_SERVICES = ("ai_chat", "ai_voice", "ai_video")
#: Services a plan may name but this server cannot run: always ``not_configured`` (missing ``not_supported``).
#: Remove a key only together with the code that serves it (and a test that uses it end to end).
UNSUPPORTED_SERVICES = frozenset({"ai_video"})
#: The plan quota that includes each AI service's usage.
AI_QUOTAS = {"ai_chat": "ai_chat_replies", "ai_voice": "ai_voice_minutes", "ai_video": "ai_voice_minutes"}

_REASONS = {
    "available": "",
    "beta": "Available as a beta feature.",
    "not_in_plan": "Not included in the current plan.",
    "disabled_by_admin": "Switched off by a workspace administrator.",
}


def _provider_configured() -> bool:
    """A real model provider: ``AI_PROVIDER_BASE_URL`` and ``AI_PROVIDER_API_KEY`` settings (owned by apps.ai)."""
    return bool(settings.AI_PROVIDER_BASE_URL and settings.AI_PROVIDER_API_KEY)


#: ``counter(tenant) -> int``: the tenant's indexed (ready) knowledge documents. The AI app, a layer
#: above, registers it in its ``AppConfig.ready()``; until then the count is None (not "missing").
_sources: dict[str, Callable[[object], int]] = {}


def register_knowledge_counter(counter: Callable[[object], int]) -> None:
    _sources["knowledge_documents"] = counter


def _knowledge_document_count(tenant) -> int | None:
    counter = _sources.get("knowledge_documents")
    return counter(tenant) if counter is not None else None


def ai_readiness(tenant) -> dict:
    """What AI services need and what is missing, per service.

    Checked:

    * ``providerConfigured``: a real (OpenAI-compatible) provider is configured. Without one
      ``ai_chat`` runs on the built-in extractive provider, which needs a non-empty knowledge
      base; ``ai_voice`` cannot run at all (``not_configured``). ``ai_video`` has no code on this
      server: never configured, never ready (``not_supported``).
    * ``knowledgeDocuments``: the tenant's knowledge documents (None until apps.ai has them;
      then not counted as missing).
    * ``includedRemaining``: what is left of the plan's included monthly AI quota
      (``ai_chat_replies`` for chat, ``ai_voice_minutes`` for voice and video; None = unlimited).
    * ``balanceCents`` / ``blockOnZero`` / ``overageEnabled``: once the included quota is used
      up, an empty prepaid balance with block-on-zero and no overage stops the service
      (``balance_empty`` → ``ai_not_ready``).
    """
    balance = AiBalance.objects.filter(tenant_id=tenant.pk).first()
    balance_cents = balance.balance_cents if balance else 0
    block_on_zero = balance.block_on_zero if balance else True
    overage = balance.overage_enabled if balance else False
    provider = _provider_configured()
    documents = _knowledge_document_count(tenant)

    ent = entitlements.for_tenant(tenant)
    balance_blocks = balance_cents <= 0 and block_on_zero and not overage
    remaining = {quota: ent.remaining(quota) for quota in set(AI_QUOTAS.values())}
    services: dict[str, dict] = {}
    for key in AI_SERVICES:
        if key in UNSUPPORTED_SERVICES:
            missing_config = ["not_supported"]
        else:
            missing_config = [] if provider or key == "ai_chat" else ["provider_not_configured"]
        missing = []
        if balance_blocks and remaining[AI_QUOTAS[key]] == 0:
            missing.append("balance_empty")
        if key == "ai_chat" and not provider and documents == 0:
            missing.append("knowledge_base_empty")
        services[key] = {
            "configured": not missing_config,
            "ready": not missing_config and not missing,
            "missing": missing_config + missing,
        }
    return {
        "provider": "openai-compatible" if provider else "extractive",
        "providerConfigured": provider,
        "knowledgeDocuments": documents,
        "balanceCents": balance_cents,
        "blockOnZero": block_on_zero,
        "overageEnabled": overage,
        "includedRemaining": remaining,
        "ready": any(s["ready"] for s in services.values()),
        "missing": sorted({item for s in services.values() for item in s["missing"]}),
        "services": services,
    }


_MISSING_TEXT = {
    "not_supported": "This server has no code for this service yet, whatever the plan includes.",
    "provider_not_configured": "No AI model provider is configured for this deployment.",
    "balance_empty": "The AI balance is empty.",
    "knowledge_base_empty": "The knowledge base has no documents yet.",
}


def service_capabilities(tenant, *, include_reasons: bool = True, readiness: dict | None = None) -> list[dict]:
    """One dict per service (contract ``ServiceCapability``), in the order of ``SERVICES``.

    ``readiness``: the tenant's ``ai_readiness`` when the caller has it already (read once per response).
    """
    ent = entitlements.for_tenant(tenant)
    toggles = dict(ServiceToggle.objects.for_tenant(tenant).values_list("service", "admin_enabled"))
    out = []
    for order, (key, label, required) in enumerate(SERVICES, start=1):
        admin_enabled = toggles.get(key, True)
        reason = ""
        if not all(ent.feature_enabled(f) for f in required):
            status = "not_in_plan"
        elif not admin_enabled:
            status = "disabled_by_admin"
        else:
            status = "available"
            if key in AI_SERVICES:
                readiness = readiness or ai_readiness(tenant)
                info = readiness["services"][key]
                if not info["configured"]:
                    status = "not_configured"
                elif not info["ready"]:
                    status = "ai_not_ready"
                reason = " ".join(_MISSING_TEXT[m] for m in info["missing"])
            if status == "available" and any(ent.feature_status(f) == "beta" for f in required):
                status = "beta"
        if not reason:
            reason = _REASONS.get(status, "")
        out.append(
            {
                "key": key,
                "label": label,
                "status": status,
                "allowed": status in ("available", "beta"),
                "reason": reason if include_reasons else "",
                "requiredFeatures": list(required),
                "adminEnabled": admin_enabled,
                "sortOrder": order * 10,
            }
        )
    return out


def require_service(tenant, key: str) -> dict:
    """Raises unless service ``key`` is allowed now; returns its capability dict otherwise.

    ``not_in_plan`` / ``disabled_by_admin`` → 403 ``FEATURE_NOT_AVAILABLE``;
    ``not_configured`` / ``ai_not_ready`` → 403 ``AI_NOT_READY``. ``reason`` is the message.
    """
    capability = next((c for c in service_capabilities(tenant) if c["key"] == key), None)
    if capability is None:
        raise ValueError(f"unknown service {key!r}")
    if capability["allowed"]:
        return capability
    code = (
        ErrorCode.AI_NOT_READY
        if capability["status"] in ("not_configured", "ai_not_ready")
        else (ErrorCode.FEATURE_NOT_AVAILABLE)
    )
    raise ApiError(
        code,
        capability["reason"] or "This service is not available.",
        status=403,
        details=[f"{key}: {capability['status']}"],
    )
