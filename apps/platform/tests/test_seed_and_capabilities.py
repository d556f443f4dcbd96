import io

import pytest
from django.core.management import call_command

from apps.billing.models import AiBalance
from apps.billing.tests.factories import AiUsageLogFactory, fund_ai
from apps.developer import capabilities
from apps.developer.models import ServiceToggle
from apps.plans import catalog, entitlements
from apps.plans.models import FeatureKey, PlanFeature, PlanQuota
from apps.plans.seed import FEATURE_KEYS, QUOTA_KEYS
from apps.plans.tests.factories import subscribe
from apps.tenants.tests.factories import TenantFactory

pytestmark = pytest.mark.django_db

ALL_SERVICES = ["chat", "voice_call", "video_call", "ai_chat", "ai_voice", "ai_video"]


def _seed(*args) -> str:
    out = io.StringIO()
    call_command("seed_plans", *args, stdout=out)
    return out.getvalue()


def test_seed_plans_twice_changes_nothing_and_reports_kept():
    first = _seed()
    catalog_after_first = catalog.catalog_read()
    second = _seed()
    assert "0 kept" in first
    assert "0 created" in second
    assert catalog.catalog_read() == catalog_after_first
    slugs = [p["slug"] for p in catalog_after_first["plans"]]
    assert slugs == ["free", "starter", "professional", "enterprise"]
    assert {f["featureKey"] for f in catalog_after_first["featureKeys"]} >= {k for k, *_ in FEATURE_KEYS}
    assert {q["quotaKey"] for q in catalog_after_first["quotaKeys"]} >= {k for k, *_ in QUOTA_KEYS}


def test_seed_plans_keeps_operator_edits_unless_reset():
    _seed()
    PlanQuota.objects.filter(plan__slug="starter", quota__key="agents").update(limit_value=7)
    _seed()
    assert PlanQuota.objects.get(plan__slug="starter", quota__key="agents").limit_value == 7
    out = _seed("--reset")
    assert "reset    starter.quotas.agents" in out
    assert PlanQuota.objects.get(plan__slug="starter", quota__key="agents").limit_value == 3


def test_seeded_plans_increase():
    _seed()
    limits = {
        slug: PlanQuota.objects.get(plan__slug=slug, quota__key="agents")
        for slug in ("free", "starter", "professional", "enterprise")
    }
    assert limits["free"].limit_value < limits["starter"].limit_value < limits["professional"].limit_value
    assert limits["enterprise"].value_type == "custom"


def test_capabilities_shape_and_order_for_a_tenant_with_no_plan():
    caps = capabilities.service_capabilities(TenantFactory())
    assert [c["key"] for c in caps] == ALL_SERVICES
    assert all(c["status"] == "not_in_plan" and c["allowed"] is False for c in caps)
    assert set(caps[0]) == {
        "key",
        "label",
        "status",
        "allowed",
        "reason",
        "requiredFeatures",
        "adminEnabled",
        "sortOrder",
    }


def test_capability_precedence_plan_before_admin_toggle():
    tenant = TenantFactory()
    subscribe(tenant, features={"chat": True, "voice_call": False})
    ServiceToggle.objects.create(tenant=tenant, service="chat", admin_enabled=False)
    ServiceToggle.objects.create(tenant=tenant, service="voice_call", admin_enabled=False)
    caps = {c["key"]: c for c in capabilities.service_capabilities(tenant)}
    assert caps["chat"]["status"] == "disabled_by_admin"
    assert caps["chat"]["adminEnabled"] is False
    assert caps["voice_call"]["status"] == "not_in_plan"


def test_ai_voice_without_provider_is_not_configured(settings):
    settings.AI_PROVIDER_BASE_URL = ""
    tenant = TenantFactory()
    subscribe(tenant, features={"ai_voice": True}, quotas={"ai_voice_minutes": 100})
    caps = {c["key"]: c for c in capabilities.service_capabilities(tenant)}
    assert caps["ai_voice"]["status"] == "not_configured"


def test_ai_chat_ready_within_included_quota_and_not_ready_when_used_up_with_empty_balance(settings):
    settings.AI_PROVIDER_BASE_URL = "http://127.0.0.1:9"
    settings.AI_PROVIDER_API_KEY = "k"
    tenant = TenantFactory()
    subscribe(tenant, features={"ai_chat": True}, quotas={"ai_chat_replies": 1})
    assert capabilities.service_capabilities(tenant)[3]["status"] == "available"
    AiUsageLogFactory(tenant=tenant)
    cap = capabilities.service_capabilities(tenant)[3]
    assert cap["status"] == "ai_not_ready"
    assert "balance is empty" in cap["reason"]
    fund_ai(tenant, 500)
    assert capabilities.service_capabilities(tenant)[3]["status"] == "available"
    AiBalance.objects.filter(tenant=tenant).update(balance_cents=0, overage_enabled=True)
    assert capabilities.service_capabilities(tenant)[3]["status"] == "available"


def test_beta_feature_key_surfaces_as_beta_and_allowed(settings):
    settings.AI_PROVIDER_BASE_URL = "http://127.0.0.1:9"
    settings.AI_PROVIDER_API_KEY = "k"
    tenant = TenantFactory()
    subscribe(tenant, features={"ai_voice": True}, quotas={"ai_voice_minutes": "unlimited"})
    FeatureKey.objects.filter(key="ai_voice").update(status="beta")
    cap = capabilities.service_capabilities(tenant)[4]
    assert cap["status"] == "beta"
    assert cap["allowed"] is True


def test_ai_readiness_reports_what_is_missing(settings):
    settings.AI_PROVIDER_BASE_URL = ""
    tenant = TenantFactory()
    subscribe(tenant, features={"ai_chat": True}, quotas={"ai_chat_replies": "disabled"})
    readiness = capabilities.ai_readiness(tenant)
    assert readiness["providerConfigured"] is False
    assert readiness["provider"] == "extractive"
    assert "balance_empty" in readiness["services"]["ai_chat"]["missing"]
    assert readiness["services"]["ai_voice"]["missing"][0] == "provider_not_configured"


def test_capabilities_follow_plan_changes_immediately():
    tenant = TenantFactory()
    subscribe(tenant, features={"chat": True})
    assert capabilities.service_capabilities(tenant)[0]["allowed"] is True
    subscribe(tenant, features={"chat": False})
    assert capabilities.service_capabilities(tenant)[0]["status"] == "not_in_plan"
    assert entitlements.for_tenant(tenant).feature_enabled("chat") is False


def test_require_service_raises_the_matching_code(settings):
    from apps.developer.capabilities import require_service
    from ringnity.api.errors import ApiError

    settings.AI_PROVIDER_BASE_URL = ""
    tenant = TenantFactory()
    subscribe(tenant, features={"chat": True, "ai_voice": True}, quotas={"ai_voice_minutes": 10})
    assert require_service(tenant, "chat")["status"] == "available"
    with pytest.raises(ApiError) as info:
        require_service(tenant, "video_call")
    assert (info.value.code, info.value.status, info.value.details) == (
        "FEATURE_NOT_AVAILABLE",
        403,
        ["video_call: not_in_plan"],
    )
    with pytest.raises(ApiError) as info:
        require_service(tenant, "ai_voice")
    assert info.value.code == "AI_NOT_READY"
    ServiceToggle.objects.create(tenant=tenant, service="chat", admin_enabled=False)
    with pytest.raises(ApiError) as info:
        require_service(tenant, "chat")
    assert info.value.details == ["chat: disabled_by_admin"]


def test_usage_chart_svg_with_no_usage_has_30_empty_bars():
    from apps.billing.selectors import ai_usage_daily
    from apps.platform.charts import daily_usage_svg

    svg = daily_usage_svg(ai_usage_daily(tenant=TenantFactory(), days=30))
    assert svg.startswith("<svg")
    assert svg.count('data-value="0"') == 60


def test_capabilities_query_count_is_small_and_fixed(django_assert_max_num_queries):
    tenant = TenantFactory()
    subscribe(tenant, features=dict.fromkeys(ALL_SERVICES, True), quotas={"ai_chat_replies": 5})
    capabilities.service_capabilities(tenant)  # warms the entitlement cache
    # toggles + balance + two monthly AI usage counters (+ knowledge documents once apps.ai has them)
    with django_assert_max_num_queries(5):
        capabilities.service_capabilities(tenant)


def test_seed_plans_does_not_bring_back_a_contract_an_operator_removed():
    """Removing a contract (PUT without it) disables the feature; a later seed (make run) must not re-enable it."""
    _seed()
    PlanFeature.objects.filter(plan__slug="starter", feature__key="webhooks").delete()
    PlanQuota.objects.filter(plan__slug="starter", quota__key="webhooks").delete()
    before = catalog.catalog_read()
    out = _seed("--verbose-rows")
    assert catalog.catalog_read() == before
    assert "0 created" in out
    assert "kept     starter.features.webhooks (removed by an operator)" in out
    _seed("--reset")
    assert PlanFeature.objects.get(plan__slug="starter", feature__key="webhooks").enabled is True


def test_seed_plans_adds_a_new_default_key_to_existing_plans():
    _seed()
    FeatureKey.objects.filter(key="reports_export").delete()  # as if an older release had not had it
    _seed()
    assert PlanFeature.objects.get(plan__slug="professional", feature__key="reports_export").enabled is True
    assert PlanFeature.objects.get(plan__slug="free", feature__key="reports_export").enabled is False
