import pytest

from apps.plans import entitlements
from apps.plans.entitlements import QuotaLimit
from apps.plans.models import PlanFeature, PlanQuota, Subscription
from apps.plans.services import subscription_set
from apps.plans.tests.factories import plan_with, subscribe
from apps.tenants.tests.factories import TenantFactory
from ringnity.api.errors import ApiError, ErrorCode

pytestmark = pytest.mark.django_db


def test_tenant_without_subscription_or_free_plan_gets_nothing():
    ent = entitlements.for_tenant(TenantFactory())
    assert ent.plan_slug is None
    assert ent.subscription_status == "none"
    assert not ent.feature_enabled("chat")
    assert ent.quota("agents") == QuotaLimit("agents", "disabled", None, "")
    assert ent.remaining("agents") == 0


def test_tenant_without_subscription_falls_back_to_free_plan():
    plan_with(slug="free", features={"chat": True}, quotas={"agents": 1})
    ent = entitlements.for_tenant(TenantFactory())
    assert ent.plan_slug == "free"
    assert ent.feature_enabled("chat")
    assert ent.quota("agents").limit == 1


def test_canceled_subscription_falls_back_to_free_plan():
    plan_with(slug="free", features={"chat": True})
    subscription = subscribe(TenantFactory(), features={"chat": True, "webhooks": True})
    Subscription.objects.filter(pk=subscription.pk).update(status="canceled")
    entitlements.invalidate(subscription.tenant)
    ent = entitlements.for_tenant(subscription.tenant)
    assert ent.plan_slug == "free"
    assert ent.subscription_status == "canceled"
    assert not ent.feature_enabled("webhooks")


def test_subscribe_sets_exactly_the_given_contracts():
    tenant = TenantFactory()
    subscribe(tenant, features={"chat": True, "ai_chat": False}, quotas={"agents": 3, "contacts": "unlimited"})
    ent = entitlements.for_tenant(tenant)
    assert ent.feature_enabled("chat")
    assert not ent.feature_enabled("ai_chat")
    assert not ent.feature_enabled("webhooks")
    assert ent.quota("agents") == QuotaLimit("agents", "number", 3, "")
    assert ent.quota("contacts").value_type == "unlimited"
    assert ent.remaining("contacts") is None


def test_feature_config_is_returned_only_when_enabled():
    tenant = TenantFactory()
    plan = subscribe(tenant, features={"video_call": True, "voice_call": False}).plan
    PlanFeature.objects.filter(plan=plan, feature__key="video_call").update(config={"maxParticipants": 4})
    PlanFeature.objects.filter(plan=plan, feature__key="voice_call").update(config={"x": 1})
    entitlements.invalidate()
    ent = entitlements.for_tenant(tenant)
    assert ent.feature_config("video_call") == {"maxParticipants": 4}
    assert ent.feature_config("voice_call") == {}


def test_require_feature_raises_feature_not_available_403():
    tenant = TenantFactory()
    subscribe(tenant, features={"chat": True})
    ent = entitlements.for_tenant(tenant)
    ent.require_feature("chat")
    with pytest.raises(ApiError) as info:
        ent.require_feature("webhooks")
    assert info.value.code == ErrorCode.FEATURE_NOT_AVAILABLE
    assert info.value.status == 403


@pytest.mark.parametrize(
    ("value", "requested", "raises", "limit_text"),
    [
        (3, 3, False, None),
        (3, 4, True, "3"),
        ("disabled", 0, False, None),
        ("disabled", 1, True, "0"),
        ("unlimited", 10**9, False, None),
        ("custom", 10**9, False, None),
    ],
)
def test_require_quota_by_value_type(value, requested, raises, limit_text):
    tenant = TenantFactory()
    subscribe(tenant, quotas={"agents": value})
    ent = entitlements.for_tenant(tenant)
    if not raises:
        ent.require_quota("agents", requested_total=requested)
        return
    with pytest.raises(ApiError) as info:
        ent.require_quota("agents", requested_total=requested)
    assert info.value.code == ErrorCode.QUOTA_EXCEEDED
    assert info.value.status == 400
    assert info.value.details == [f"agents: the plan allows at most {limit_text}"]


def test_usage_and_remaining_use_the_registered_counter():
    tenant = TenantFactory()
    subscribe(tenant, quotas={"widgets": 5})
    entitlements.register_usage_counter("widgets", lambda t: 2 if t.pk == tenant.pk else 0)
    ent = entitlements.for_tenant(tenant)
    assert ent.usage("widgets") == 2
    assert ent.remaining("widgets") == 3
    with pytest.raises(entitlements.UsageCounterMissing):
        ent.usage("never_registered")


def test_cached_answer_costs_no_query(django_assert_num_queries):
    tenant = TenantFactory()
    subscribe(tenant, features={"chat": True})
    entitlements.for_tenant(tenant)
    with django_assert_num_queries(0):
        assert entitlements.for_tenant(tenant).feature_enabled("chat")


def test_contract_change_is_visible_on_the_next_call():
    tenant = TenantFactory()
    plan = subscribe(tenant, features={"chat": True}).plan
    assert entitlements.for_tenant(tenant).feature_enabled("chat")
    PlanFeature.objects.filter(plan=plan).update(enabled=False)
    entitlements.invalidate()
    assert not entitlements.for_tenant(tenant).feature_enabled("chat")


def test_subscription_change_is_visible_on_the_next_call():
    tenant = TenantFactory()
    plan_with(slug="bigger", features={"webhooks": True}, quotas={"agents": 50})
    subscribe(tenant, features={"chat": True}, quotas={"agents": 1})
    assert entitlements.for_tenant(tenant).quota("agents").limit == 1
    subscription_set(tenant=tenant, plan_slug="bigger")
    ent = entitlements.for_tenant(tenant)
    assert ent.plan_slug == "bigger"
    assert ent.quota("agents").limit == 50
    assert ent.feature_enabled("webhooks")


def test_invalidate_one_tenant_keeps_others_cached(django_assert_num_queries):
    first, second = TenantFactory(), TenantFactory()
    subscribe(first, plan_slug="shared", features={"chat": True})
    subscribe(second, plan_slug="shared", features={"chat": True})
    entitlements.for_tenant(first)
    entitlements.for_tenant(second)
    entitlements.invalidate(first)
    with django_assert_num_queries(0):
        entitlements.for_tenant(second)


def test_subscription_set_unknown_plan_is_a_validation_error():
    with pytest.raises(ApiError) as info:
        subscription_set(tenant=TenantFactory(), plan_slug="nope")
    assert info.value.details == ["plan: unknown plan 'nope'."]


def test_plan_quota_row_rejects_limit_for_non_number_type():
    from django.db import IntegrityError, transaction

    plan = plan_with(slug="x", quotas={"agents": 1})
    row = PlanQuota.objects.get(plan=plan)
    row.value_type = "unlimited"
    with pytest.raises(IntegrityError), transaction.atomic():
        row.save()


@pytest.mark.django_db
def test_a_quota_refusal_names_the_plan_the_limit_and_how_to_get_further():
    tenant = TenantFactory()
    subscribe(tenant, plan_slug="starter-test", quotas={"server_api_keys": 0})
    with pytest.raises(ApiError) as info:
        entitlements.for_tenant(tenant).require_quota("server_api_keys", requested_total=1)
    assert info.value.message.startswith("The 'starter-test' plan allows at most 0 server api keys.")
    assert "Change plan" in info.value.message
    assert info.value.details == ["server_api_keys: the plan allows at most 0"]
