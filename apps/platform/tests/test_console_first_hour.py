"""The console a new operator sees: humane names, compact plan pages, usage on the tenant page, a dashboard."""

import re

import pytest
from django.contrib import admin
from django.core.management import call_command

from apps.billing.tests.factories import AiUsageLogFactory
from apps.plans.models import Plan
from apps.plans.tests.factories import subscribe
from apps.platform.console import plural
from apps.platform.dashboard import operator_dashboard
from apps.tenants.models import PlatformRole
from apps.tenants.tests.factories import DEFAULT_PASSWORD, OwnerFactory, PlatformOperatorFactory, TenantFactory

pytestmark = pytest.mark.django_db

#: What Django's default naming makes of a compound class name.
DEFAULT_PLURAL = re.compile(r"[^aeiou]ys$|(?:s|x|ch|sh)s$")
LOWERCASE_ACRONYM = re.compile(r"\b(?:api|ai|sdk|oauth|o auth|jwt|url|id)\b")


@pytest.fixture
def operator_client(client):
    client.force_login(PlatformOperatorFactory(platform_role=PlatformRole.ADMIN))
    return client


def test_every_console_model_has_a_humane_plural():
    names = {model._meta.label: str(model._meta.verbose_name_plural) for model in admin.site._registry}
    wrong = {
        label: name for label, name in names.items() if DEFAULT_PLURAL.search(name) or LOWERCASE_ACRONYM.search(name)
    }
    assert wrong == {}
    assert names["identity.SessionFamily"] == "session families"
    assert names["developer.ServerApiKey"] == "server API keys"


@pytest.mark.parametrize(
    ("singular", "expected"),
    [("session family", "session families"), ("address", "addresses"), ("key", "keys"), ("AI pricing", "AI pricing")],
)
def test_plural_of_the_last_word(singular, expected):
    assert plural(singular) == expected


def test_plan_rows_are_one_line_each_with_config_collapsed(operator_client):
    call_command("seed_plans", verbosity=0)
    plan = Plan.objects.get(slug="professional")
    html = operator_client.get(f"/admin/plans/plan/{plan.pk}/change/").content.decode()
    rows = plan.features.count() + plan.quotas.count()
    assert rows > 10
    # Every config (plus the empty "add another" templates) sits closed in a <details>, none is a tall textarea.
    assert html.count('<details class="collapsed-json">') >= rows
    assert not re.search(r'<textarea[^>]*rows="10"', html)
    assert '<summary title="Edit">{}</summary>' in html


def test_tenant_page_shows_the_30_day_ai_usage_chart(operator_client):
    tenant = TenantFactory()
    AiUsageLogFactory(tenant=tenant)
    html = operator_client.get(f"/admin/tenants/tenant/{tenant.pk}/change/").content.decode()
    chart = html[html.index('id="ai-usage-inline"') :]
    assert "<svg" in chart[:300]
    assert 'data-series="chat_replies" data-value="1"' in chart
    assert "1 AI chat replies" in html


def test_operator_index_shows_the_dashboard(operator_client, django_assert_max_num_queries):
    pro = TenantFactory()
    subscribe(pro, plan_slug="professional")
    TenantFactory()
    AiUsageLogFactory(tenant=pro, retail_charge_micros=1_234_567)
    with django_assert_max_num_queries(4):
        figures = operator_dashboard()
    assert figures["tenants_by_plan"] == [
        {"plan": "free (no subscription)", "tenants": 1},
        {"plan": "professional", "tenants": 1},
    ]
    assert figures["ai_spend_month"] == "$1.23"
    html = operator_client.get("/admin/").content.decode()
    assert 'id="operator-dashboard"' in html
    assert re.search(r'id="dashboard-conversations">0<', html)
    assert re.search(r'id="dashboard-webhooks">0<', html)
    assert "$1.23" in html


def test_a_tenant_owner_at_the_console_is_told_where_to_sign_in(client):
    owner = OwnerFactory()
    response = client.post("/admin/login/", {"username": owner.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 200
    assert "tenant owners and staff sign in to their workspace dashboard" in response.content.decode()
