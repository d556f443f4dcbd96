"""The console's developer-settings pages write through the API's services and refuse what the API refuses."""

import pytest
from django.urls import reverse

from apps.developer.models import AllowedDomain, ServerApiKey
from apps.developer.tests.factories import ServerApiKeyFactory
from apps.plans.tests.factories import subscribe
from apps.tenants.models import PlatformRole
from apps.tenants.tests.factories import PlatformOperatorFactory, TenantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def console(client):
    client.force_login(PlatformOperatorFactory(platform_role=PlatformRole.ADMIN))
    return client


def _key_form(key, **changes):
    data = {"name": key.name, "scopes": '["server:health"]', "is_active": "on" if key.is_active else ""}
    data.update(changes)
    return {name: value for name, value in data.items() if value != ""}


def test_console_key_page_shows_the_environment_read_only(console):
    key = ServerApiKeyFactory(environment="test")
    response = console.get(reverse("admin:developer_serverapikey_change", args=[key.pk]))
    assert response.status_code == 200
    assert "environment" not in response.context["adminform"].form.fields
    assert "secret_digest" not in response.context["adminform"].form.fields


def test_console_key_environment_cannot_be_changed_by_a_post(console):
    key = ServerApiKeyFactory(environment="test")
    url = reverse("admin:developer_serverapikey_change", args=[key.pk])
    response = console.post(url, {**_key_form(key), "environment": "live"})
    assert response.status_code == 302
    key.refresh_from_db()
    assert key.environment == "test"


def test_console_reactivating_a_key_respects_the_key_quota(console):
    tenant = TenantFactory()
    subscribe(tenant, features={"server_api": True}, quotas={"server_api_keys": 1})
    ServerApiKeyFactory(tenant=tenant)
    disabled = ServerApiKeyFactory(tenant=tenant, is_active=False)
    url = reverse("admin:developer_serverapikey_change", args=[disabled.pk])
    response = console.post(url, _key_form(disabled, is_active="on"))
    assert response.status_code == 200
    errors = response.context["adminform"].form.non_field_errors()
    assert any("server_api_keys" in error for error in errors)
    disabled.refresh_from_db()
    assert disabled.is_active is False


def test_console_key_scopes_are_checked_by_the_service(console):
    key = ServerApiKeyFactory(scopes=["server:health"])
    url = reverse("admin:developer_serverapikey_change", args=[key.pk])
    response = console.post(url, _key_form(key, scopes='["server:everything"]'))
    assert response.status_code == 200
    assert "unknown scope 'server:everything'" in response.context["adminform"].form.errors["scopes"][0]
    key.refresh_from_db()
    assert key.scopes == ["server:health"]


def test_console_key_change_saves_through_the_service(console):
    key = ServerApiKeyFactory(scopes=["server:health"])
    url = reverse("admin:developer_serverapikey_change", args=[key.pk])
    response = console.post(
        url, _key_form(key, name="  Renamed  ", scopes='["server:tenant:read", "server:tenant:read"]')
    )
    assert response.status_code == 302
    key = ServerApiKey.objects.get(pk=key.pk)
    assert (key.name, key.scopes) == ("Renamed", ["server:tenant:read"])  # trimmed and de-duplicated like the API


def test_console_domain_page_respects_the_allowed_domains_quota(console):
    tenant = TenantFactory()
    subscribe(tenant, quotas={"allowed_domains": 1})
    AllowedDomain.objects.create(tenant=tenant, domain="one.example.com")
    response = console.post(
        reverse("admin:developer_alloweddomain_add"), {"tenant": tenant.pk, "domain": "two.example"}
    )
    assert response.status_code == 200
    assert any("allowed_domains" in e for e in response.context["adminform"].form.non_field_errors())
    assert list(AllowedDomain.objects.for_tenant(tenant).values_list("domain", flat=True)) == ["one.example.com"]


def test_console_tenant_page_domains_inline_respects_the_quota_for_all_new_rows_together(console):
    tenant = TenantFactory()
    subscribe(tenant, quotas={"allowed_domains": 2})
    AllowedDomain.objects.create(tenant=tenant, domain="one.example.com")
    page = console.get(reverse("admin:tenants_tenant_change", args=[tenant.pk]))
    data = {}
    for formset in page.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        data.update({management.add_prefix(k): v for k, v in management.initial.items()})
        for form in formset.formset.initial_forms:
            data.update({form.add_prefix(k): v for k, v in form.initial.items() if v is not None and k != "config"})
    prefix = next(f.formset.prefix for f in page.context["inline_admin_formsets"] if f.formset.model is AllowedDomain)
    data.update(
        {f"{prefix}-TOTAL_FORMS": "3", f"{prefix}-1-domain": "two.example", f"{prefix}-2-domain": "three.example"}
    )
    data.update({"slug": tenant.slug, "name": tenant.name, "email": tenant.email, "timezone": "UTC", "is_active": "on"})
    response = console.post(reverse("admin:tenants_tenant_change", args=[tenant.pk]), data)
    assert response.status_code == 200
    domains = next(f.formset for f in response.context["inline_admin_formsets"] if f.formset.model is AllowedDomain)
    assert any("allowed_domains" in error for error in domains.non_form_errors())
    assert AllowedDomain.objects.for_tenant(tenant).count() == 1
