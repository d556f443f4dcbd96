"""The platform console: role-based access, read-only ledger, tenant page, actions, usage chart."""

from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.contrib import admin
from django.db.models import Sum
from django.db.models.signals import pre_save
from django.urls import reverse
from django.utils import timezone

from apps.billing.models import AiBalance, AiLedgerEntry, AiUsageKind
from apps.billing.services import ai_balance_top_up
from apps.billing.tests.factories import AiUsageLogFactory, fund_ai
from apps.developer.models import AllowedDomain
from apps.plans import entitlements
from apps.plans.tests.factories import plan_with, subscribe
from apps.tenants.models import PlatformRole, Tenant
from apps.tenants.tests.factories import OwnerFactory, PlatformOperatorFactory, StaffFactory, TenantFactory
from ringnity.api.errors import ApiError

pytestmark = pytest.mark.django_db


@pytest.fixture
def tenant():
    owner = OwnerFactory()
    StaffFactory(tenant=owner.tenant, username="jane")
    AllowedDomain.objects.create(tenant=owner.tenant, domain="shop.example.com")
    subscribe(owner.tenant, plan_slug="starter", features={"chat": True})
    fund_ai(owner.tenant, 1234)
    return owner.tenant


def _console(client, role):
    client.force_login(PlatformOperatorFactory(platform_role=role))
    return client


@pytest.fixture
def admin_console(client):
    return _console(client, PlatformRole.ADMIN)


@pytest.fixture
def support_console(client):
    return _console(client, PlatformRole.SUPPORT)


def test_tenant_staff_cannot_use_the_console(client, tenant):
    client.force_login(tenant.users.get(role="owner"))
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_every_registered_model_lists_and_opens_for_support(support_console, tenant):
    """Models holding credentials (``HiddenSecrets``) list their rows but open no row page."""
    from apps.platform.console import HiddenSecrets

    for model, model_admin in list(admin.site._registry.items()):
        opts = model._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        assert support_console.get(url).status_code == 200, url
        row = model.objects.first()
        if row is not None:
            change = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[row.pk])
            expected = 403 if isinstance(model_admin, HiddenSecrets) else 200
            assert support_console.get(change).status_code == expected, change


def test_tenant_page_shows_subscription_staff_domains_balance_and_ledger(admin_console, tenant):
    response = admin_console.get(reverse("admin:tenants_tenant_change", args=[tenant.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    for text in ("Starter", "jane", "shop.example.com", 'id="ai-balance">$12.34', "test funding", "AI ledger"):
        assert text in html, text


def test_support_sees_but_cannot_change(support_console, tenant):
    url = reverse("admin:tenants_tenant_change", args=[tenant.pk])
    page = support_console.get(url).content.decode()
    assert 'name="_save"' not in page
    assert "top-up-link" not in page
    assert "AI usage (30 days)" in page
    assert support_console.post(url, {"name": "Hacked"}).status_code == 403
    assert support_console.get(reverse("admin:tenants_tenant_top_up", args=[tenant.pk])).status_code == 403
    changelist = support_console.get(reverse("admin:tenants_tenant_changelist")).content.decode()
    assert "top_up_ai_balance" not in changelist
    response = support_console.post(
        reverse("admin:tenants_tenant_changelist"),
        {"action": "suspend_tenants", "_selected_action": [tenant.pk]},
    )
    assert response.status_code in (200, 302)
    assert Tenant.objects.get(pk=tenant.pk).is_active is True
    assert Tenant.objects.get(pk=tenant.pk).name != "Hacked"


def test_ledger_is_read_only_even_for_owners(client, tenant):
    _console(client, PlatformRole.OWNER)
    entry = AiLedgerEntry.objects.for_tenant(tenant).first()
    assert client.get(reverse("admin:billing_ailedgerentry_add")).status_code == 403
    change_url = reverse("admin:billing_ailedgerentry_change", args=[entry.pk])
    assert 'name="_save"' not in client.get(change_url).content.decode()
    assert client.post(change_url, {"amount_cents": 1}).status_code == 403
    assert client.get(reverse("admin:billing_ailedgerentry_delete", args=[entry.pk])).status_code == 403


def test_top_up_page_uses_the_service_and_a_double_submit_tops_up_once(admin_console, tenant):
    url = reverse("admin:tenants_tenant_top_up", args=[tenant.pk])
    form = admin_console.get(url)
    token = form.context["form"]["request_token"].value()
    data = {"amount_usd": "19.99", "note": "wire 7", "request_token": token}
    response = admin_console.post(url, data)
    assert response.status_code == 302
    admin_console.post(url, data)
    balance = AiBalance.objects.get(tenant=tenant)
    assert balance.balance_cents == 1234 + 1999
    entry = AiLedgerEntry.objects.for_tenant(tenant).first()
    assert (entry.amount_cents, entry.note, entry.kind) == (1999, "wire 7", "top_up")
    page = admin_console.get(response["Location"]).content.decode()
    assert 'id="ai-balance">$32.33' in page


def test_top_up_page_rejects_bad_amounts(admin_console, tenant):
    url = reverse("admin:tenants_tenant_top_up", args=[tenant.pk])
    response = admin_console.post(url, {"amount_usd": "0", "request_token": "x"})
    assert response.status_code == 200
    assert "amount_usd" in response.context["form"].errors
    assert AiLedgerEntry.objects.for_tenant(tenant).count() == 1


def test_top_up_action_for_several_tenants(admin_console, tenant):
    other = TenantFactory()
    changelist = reverse("admin:tenants_tenant_changelist")
    selected = {"action": "top_up_ai_balance", "_selected_action": [tenant.pk, other.pk]}
    assert admin_console.post(changelist, selected).status_code == 200  # the intermediate form
    response = admin_console.post(
        changelist, {**selected, "apply": "1", "amount_usd": "5", "note": "promo", "request_token": "t1"}
    )
    assert response.status_code == 302
    assert AiBalance.objects.get(tenant=other).balance_cents == 500
    assert AiBalance.objects.get(tenant=tenant).balance_cents == 1234 + 500


def test_suspend_and_reactivate_actions(admin_console, tenant):
    changelist = reverse("admin:tenants_tenant_changelist")
    admin_console.post(changelist, {"action": "suspend_tenants", "_selected_action": [tenant.pk]})
    assert Tenant.objects.get(pk=tenant.pk).is_active is False
    admin_console.post(changelist, {"action": "reactivate_tenants", "_selected_action": [tenant.pk]})
    assert Tenant.objects.get(pk=tenant.pk).is_active is True


def test_change_plan_action_changes_entitlements_at_once(admin_console, tenant):
    plan = plan_with(slug="big", features={"chat": True, "webhooks": True})
    assert not entitlements.for_tenant(tenant).feature_enabled("webhooks")
    changelist = reverse("admin:tenants_tenant_changelist")
    response = admin_console.post(
        changelist, {"action": "change_plan", "_selected_action": [tenant.pk], "apply": "1", "plan": plan.pk}
    )
    assert response.status_code == 302
    assert entitlements.for_tenant(tenant).feature_enabled("webhooks")


def test_editing_a_plan_contract_in_the_console_invalidates_entitlements(admin_console, tenant):
    assert entitlements.for_tenant(tenant).feature_enabled("chat")
    from apps.plans.models import PlanFeature

    row = PlanFeature.objects.get(plan__slug="starter", feature__key="chat")
    row.enabled = False
    row.save()  # what the console's inline does
    assert not entitlements.for_tenant(tenant).feature_enabled("chat")


def test_ai_usage_page_draws_30_days_as_svg(support_console, tenant):
    AiUsageLogFactory(tenant=tenant)
    AiUsageLogFactory(tenant=tenant)
    AiUsageLogFactory(tenant=tenant, kind=AiUsageKind.VOICE, audio_seconds=125)
    AiUsageLogFactory(tenant=tenant, created_at=timezone.now() - timedelta(days=3))
    AiUsageLogFactory(tenant=tenant, created_at=timezone.now() - timedelta(days=45))  # outside the window
    response = support_console.get(reverse("admin:tenants_tenant_ai_usage", args=[tenant.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('data-series="chat_replies"') == 30
    today = timezone.now().strftime("%Y-%m-%d")
    assert f'data-day="{today}" data-series="chat_replies" data-value="2"' in html
    assert f'data-day="{today}" data-series="voice_minutes" data-value="3"' in html
    assert "<strong>3</strong> AI chat replies" in html


def test_platform_admin_cannot_grant_console_roles(admin_console):
    support = PlatformOperatorFactory(platform_role=PlatformRole.SUPPORT)
    url = reverse("admin:tenants_user_change", args=[support.pk])
    form = admin_console.get(url)
    assert form.status_code == 200
    assert 'name="platform_role"' not in form.content.decode()


def test_top_up_page_accepts_one_cent(admin_console, tenant):
    url = reverse("admin:tenants_tenant_top_up", args=[tenant.pk])
    response = admin_console.post(url, {"amount_usd": "0.01", "request_token": "cent"})
    assert response.status_code == 302, response.context["form"].errors
    assert AiBalance.objects.get(tenant=tenant).balance_cents == 1234 + 1


@contextmanager
def top_up_lands_during_the_next_balance_save(tenant, cents: int):
    """Another request's top-up commits after the console loaded the balance row and before it saves it."""
    fired = []

    def receiver(sender, instance, **kwargs):
        if not fired and instance.tenant_id == tenant.pk:
            fired.append(True)
            ai_balance_top_up(tenant=tenant, amount_cents=cents, note="concurrent")

    pre_save.connect(receiver, sender=AiBalance, weak=False)
    try:
        yield fired
    finally:
        pre_save.disconnect(receiver, sender=AiBalance)


def _balance_matches_ledger(tenant) -> int:
    balance = AiBalance.objects.get(tenant=tenant).balance_cents
    assert balance == AiLedgerEntry.objects.for_tenant(tenant).aggregate(s=Sum("amount_cents"))["s"]
    return balance


def test_balance_page_save_keeps_a_concurrent_top_up(admin_console, tenant):
    balance = AiBalance.objects.get(tenant=tenant)
    url = reverse("admin:billing_aibalance_change", args=[balance.pk])
    data = {"overage_enabled": "on", "block_on_zero": "on", "auto_top_up_threshold_cents": "0"}
    with top_up_lands_during_the_next_balance_save(tenant, 500) as fired:
        response = admin_console.post(url, {**data, "auto_top_up_amount_cents": "0"})
    assert response.status_code == 302
    assert fired
    assert _balance_matches_ledger(tenant) == 1234 + 500
    assert AiBalance.objects.get(tenant=tenant).overage_enabled is True


def _balance_inline(request, tenant):
    """The balance inline as the console's tenant page builds it (with the console's role rules)."""
    return next(i for i in admin.site._registry[Tenant].get_inline_instances(request, tenant) if i.model is AiBalance)


def test_tenant_page_balance_inline_save_keeps_a_concurrent_top_up(rf, tenant):
    request = rf.post("/")
    request.user = PlatformOperatorFactory(platform_role=PlatformRole.ADMIN)
    inline = _balance_inline(request, tenant)
    formset_class = inline.get_formset(request, tenant)
    prefix = formset_class.get_default_prefix()
    balance = AiBalance.objects.get(tenant=tenant)
    data = {
        f"{prefix}-TOTAL_FORMS": "1",
        f"{prefix}-INITIAL_FORMS": "1",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1",
        f"{prefix}-0-id": str(balance.pk),
        f"{prefix}-0-tenant": str(tenant.pk),
        f"{prefix}-0-overage_enabled": "on",
        f"{prefix}-0-block_on_zero": "on",
        f"{prefix}-0-auto_top_up_threshold_cents": "0",
        f"{prefix}-0-auto_top_up_amount_cents": "0",
    }
    formset = formset_class(data, instance=tenant, prefix=prefix)
    assert formset.is_valid(), formset.errors  # the balance row is loaded here, at 1234
    with top_up_lands_during_the_next_balance_save(tenant, 500) as fired:
        admin.site._registry[Tenant].save_formset(request, None, formset, change=True)
    assert fired
    assert _balance_matches_ledger(tenant) == 1234 + 500
    assert AiBalance.objects.get(tenant=tenant).overage_enabled is True


def test_tenant_page_balance_inline_can_create_the_balance_row(rf):
    tenant = TenantFactory()
    request = rf.post("/")
    request.user = PlatformOperatorFactory(platform_role=PlatformRole.ADMIN)
    formset_class = _balance_inline(request, tenant).get_formset(request, tenant)
    prefix = formset_class.get_default_prefix()
    data = {
        f"{prefix}-TOTAL_FORMS": "1",
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-0-tenant": str(tenant.pk),
        f"{prefix}-0-auto_top_up_enabled": "on",
        f"{prefix}-0-auto_top_up_threshold_cents": "100",
        f"{prefix}-0-auto_top_up_amount_cents": "2500",
    }
    formset = formset_class(data, instance=tenant, prefix=prefix)
    assert formset.is_valid(), formset.errors
    admin.site._registry[Tenant].save_formset(request, None, formset, change=True)
    balance = AiBalance.objects.get(tenant=tenant)
    assert (balance.balance_cents, balance.auto_top_up_enabled, balance.auto_top_up_amount_cents) == (0, True, 2500)


@pytest.mark.parametrize("role", [PlatformRole.SUPPORT, PlatformRole.ADMIN, PlatformRole.OWNER])
def test_console_never_shows_a_live_refresh_token(client, role):
    """Outstanding refresh JWTs (here a platform owner's) are signed credentials: listed by jti, never shown."""
    from rest_framework_simplejwt.token_blacklist.models import OutstandingToken
    from rest_framework_simplejwt.tokens import RefreshToken

    from apps.identity.sessions import SessionScope, session_issue

    victim = PlatformOperatorFactory(platform_role=PlatformRole.OWNER)
    issued = session_issue(user=victim, scope=SessionScope.PLATFORM).refresh
    row = OutstandingToken.objects.get(jti=RefreshToken(issued)["jti"])
    refresh = row.token
    _console(client, role)
    changelist = reverse("admin:token_blacklist_outstandingtoken_changelist")
    listing = client.get(changelist)
    assert listing.status_code == 200
    assert row.jti in listing.content.decode()
    assert refresh not in listing.content.decode()
    change = client.get(reverse("admin:token_blacklist_outstandingtoken_change", args=[row.pk]))
    assert refresh not in change.content.decode()
    assert client.get(f"{changelist}?q={refresh[:40]}").content.decode().count(row.jti) == 0


def test_console_never_shows_oauth_tokens_or_codes_and_cannot_mint_them(client, tenant):
    from datetime import timedelta as td

    from oauth2_provider.models import get_access_token_model, get_grant_model, get_refresh_token_model

    from apps.oauth.tests.factories import allow_clients, make_client

    AccessToken, Grant, RefreshToken = get_access_token_model(), get_grant_model(), get_refresh_token_model()
    user = tenant.users.get(role="owner")
    allow_clients(tenant)
    app, _secret = make_client(tenant)
    expires = timezone.now() + td(hours=1)
    access = AccessToken.objects.create(user=user, application=app, token="at-SECRET-123456", expires=expires)
    RefreshToken.objects.create(user=user, application=app, token="rt-SECRET-123456", access_token=access)
    Grant.objects.create(
        user=user,
        application=app,
        code="gc-SECRET-123456",
        expires=expires,
        redirect_uri="https://a.example/cb",
        auth_time=timezone.now(),
        tenant=tenant,
    )
    _console(client, PlatformRole.OWNER)
    for model in (AccessToken, RefreshToken, Grant):
        opts = model._meta
        changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        for url in (changelist, f"{changelist}?q=SECRET", reverse(f"admin:{opts.app_label}_{opts.model_name}_add")):
            assert "SECRET-123456" not in client.get(url).content.decode(), url
        row = model.objects.get()
        assert (
            "SECRET-123456"
            not in client.get(
                reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[row.pk])
            ).content.decode()
        )
        assert client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add")).status_code == 403
    assert AccessToken.objects.count() == 1


def test_tenant_list_shows_the_balance_as_money(admin_console, tenant):
    TenantFactory()  # no balance row yet
    html = admin_console.get(reverse("admin:tenants_tenant_changelist")).content.decode()
    assert ">$12.34</td>" in html
    assert ">$0.00</td>" in html
    assert "AI balance $" not in html
    fund_ai(TenantFactory(), 100)
    ordered = admin_console.get(reverse("admin:tenants_tenant_changelist") + "?o=6").content.decode()
    assert ordered.index(">$1.00<") < ordered.index(">$12.34<")


def test_platform_admin_cannot_deactivate_or_re_address_another_operator(admin_console):
    owner = PlatformOperatorFactory(platform_role=PlatformRole.OWNER, email="boss@ringnity.example")
    url = reverse("admin:tenants_user_change", args=[owner.pk])
    page = admin_console.get(url).content.decode()
    assert 'name="is_active"' not in page
    assert 'name="email"' not in page
    admin_console.post(url, {"email": "mine@evil.example", "username": "", "name": "x", "presence": "offline"})
    owner.refresh_from_db()
    assert (owner.is_active, owner.email) == (True, "boss@ringnity.example")


def test_platform_admin_can_still_deactivate_tenant_staff(admin_console, tenant):
    jane = tenant.users.get(username="jane")
    url = reverse("admin:tenants_user_change", args=[jane.pk])
    data = {"email": "jane@shop.example", "username": "jane", "name": "Jane", "presence": "offline"}
    assert admin_console.post(url, data).status_code == 302
    jane.refresh_from_db()
    assert (jane.is_active, jane.email) == (False, "jane@shop.example")


@pytest.mark.parametrize(
    "field", ["input_cost_per_1m_usd", "cached_input_cost_per_1m_usd", "output_cost_per_1m_usd", "risk_buffer_percent"]
)
def test_console_pricing_form_refuses_negative_costs_like_the_api(rf, field):
    from django.forms.models import model_to_dict

    from apps.billing.models import AiPricing

    request = rf.post("/")
    request.user = PlatformOperatorFactory(platform_role=PlatformRole.OWNER)
    form_class = admin.site._registry[AiPricing].get_form(request)
    data = {k: v for k, v in model_to_dict(AiPricing()).items() if v is not None}
    form = form_class({**data, field: "-0.5"})
    assert not form.is_valid()
    assert field in form.errors or "__all__" in form.errors, form.errors


def test_pricing_rows_cannot_hold_negative_costs():
    from django.db import IntegrityError, transaction

    from apps.billing.models import AiPricing

    with pytest.raises(IntegrityError), transaction.atomic():
        AiPricing.objects.create(pk=1, voice_cost_per_minute_usd=-1)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0, "$0.00"),
        (1999, "$19.99"),
        (-5, "-$0.05"),
        (123456789, "$1,234,567.89"),
        (10**17 + 1, "$1,000,000,000,000,000.01"),
    ],
)
def test_money_is_formatted_from_whole_cents_without_floats(value, text):
    from apps.platform.console import cents

    assert cents(value) == text
    assert str(AiBalance(balance_cents=value)) == f"AI balance {text}"


def test_secret_columns_are_recognised_by_name():
    from apps.platform.console import _is_secret

    assert all(map(_is_secret, ["token", "code", "client_secret", "signing_secret", "secret", "push_token"]))
    assert not any(map(_is_secret, ["jti", "token_family", "name", "client_id", "secret_last4", "created"]))


def test_console_top_up_has_the_api_ceiling(admin_console, tenant):
    url = reverse("admin:tenants_tenant_top_up", args=[tenant.pk])
    response = admin_console.post(url, {"amount_usd": "1000000000.01", "request_token": "big"})
    assert response.status_code == 200
    assert "amount_usd" in response.context["form"].errors
    with pytest.raises(ApiError):
        ai_balance_top_up(tenant=tenant, amount_cents=10**11 + 1)
    assert AiLedgerEntry.objects.for_tenant(tenant).count() == 1


@pytest.mark.parametrize(("model_name", "field"), [("featurekey", "key"), ("quotakey", "key"), ("plan", "slug")])
def test_console_keys_follow_the_api_key_rule(rf, model_name, field):
    """A key the console accepted must survive a GET → PUT round trip of the plan catalog (lowercase keys)."""
    from django.apps import apps as django_apps

    model = django_apps.get_model("plans", model_name)
    request = rf.post("/")
    request.user = PlatformOperatorFactory(platform_role=PlatformRole.OWNER)
    form_class = admin.site._registry[model].get_form(request)
    base = {"name": "X", "category": "core", "status": "stable", "unit": "item", "sort_order": "1", "is_active": "on"}
    assert not form_class({**base, field: "AI-Chat"}).is_valid()
    assert form_class({**base, field: "ai-chat_2"}).is_valid()


@pytest.mark.parametrize("config", ['{"x": 1e400}', '{"x": "a\\u0000b"}', '{"x": ' + "[" * 12 + "]" * 12 + "}"])
def test_console_contract_config_refuses_what_jsonb_cannot_store(rf, config):
    from django.forms.models import modelform_factory

    from apps.plans.models import PlanFeature

    form_class = modelform_factory(PlanFeature, fields=("plan", "feature", "enabled", "config"))
    plan = plan_with(slug="console-json", features={"chat": True})
    feature = plan.features.get().feature
    form = form_class({"plan": plan.pk, "feature": feature.pk, "enabled": "on", "config": config})
    assert not form.is_valid()
    assert "config" in form.errors


@pytest.mark.parametrize("branding", ['{"color": 1e400}', '{"color": "a\\u0000b"}'])
def test_console_tenant_branding_refuses_what_jsonb_cannot_store(rf, tenant, branding):
    request = rf.post("/")
    request.user = PlatformOperatorFactory(platform_role=PlatformRole.OWNER)
    form_class = admin.site._registry[Tenant].get_form(request, tenant, change=True)
    data = {
        "slug": tenant.slug,
        "name": tenant.name,
        "company_name": "",
        "email": "",
        "phone": "",
        "is_active": "on",
        "timezone": "UTC",
        "industry": "",
        "logo_url": "",
        "branding": branding,
    }
    form = form_class(data, instance=tenant)
    assert not form.is_valid()
    assert "branding" in form.errors


@pytest.mark.parametrize(
    "scopes", ["5", '"server:tenant:read"', '{"server:tenant:read": true}', '["server:everything"]']
)
def test_console_server_key_scopes_must_be_known_scopes(rf, tenant, scopes):
    """A key whose scopes are not a list of catalog scopes would break (or widen) every request made with it."""
    from apps.developer.models import ServerApiKey
    from apps.developer.tests.factories import ServerApiKeyFactory

    key = ServerApiKeyFactory(tenant=tenant, scopes=["server:tenant:read"])
    request = rf.post("/")
    request.user = PlatformOperatorFactory(platform_role=PlatformRole.OWNER)
    form_class = admin.site._registry[ServerApiKey].get_form(request, key, change=True)
    data = {"name": key.name, "environment": key.environment, "is_active": "on"}
    assert form_class({**data, "scopes": '["server:tenant:read"]'}, instance=key).is_valid()
    form = form_class({**data, "scopes": scopes}, instance=key)
    assert not form.is_valid()
    assert "scopes" in form.errors


def test_console_allowed_domains_are_normalised_like_the_developer_api(admin_console, tenant):
    subscribe(tenant, quotas={"allowed_domains": "unlimited"})
    add = reverse("admin:developer_alloweddomain_add")
    response = admin_console.post(add, {"tenant": tenant.pk, "domain": "https://Shop2.Example.com/"})
    assert response.status_code == 302
    assert AllowedDomain.objects.filter(tenant=tenant, domain="shop2.example.com").exists()
    response = admin_console.post(add, {"tenant": tenant.pk, "domain": "*"})
    assert response.status_code == 200
    assert "domain" in response.context["adminform"].form.errors
    assert not AllowedDomain.objects.filter(domain="*").exists()
