"""Capabilities and readiness never promise what this server cannot do (issue 18).

Every service and readiness flag is checked on a tenant whose plan includes everything, with a model
provider configured, a knowledge document and a funded balance: what the server has code for is
``available``/ready, and ``ai_video`` (a plan feature this server has no code for) is ``not_configured``.
"""

import pytest

from apps.ai.tests.factories import indexed_document
from apps.billing.tests.factories import fund_ai
from apps.developer import capabilities
from apps.developer.models import AllowedDomain
from apps.plans.models import FeatureKey
from apps.plans.tests.factories import subscribe
from apps.runtime import selectors
from apps.runtime.tests.fixtures import runtime_headers
from apps.runtime.tokens import TokenKind
from apps.tenants.tests.factories import TenantFactory
from ringnity.api.errors import ApiError

pytestmark = pytest.mark.django_db

EVERYTHING = {key: True for key, *_ in capabilities.SERVICES} | {"reports_export": True, "knowledge_base": True}
SERVED = {"chat", "voice_call", "video_call", "ai_chat", "ai_voice"}


@pytest.fixture
def provider(settings):
    settings.AI_PROVIDER_BASE_URL = "http://127.0.0.1:9/v1"
    settings.AI_PROVIDER_API_KEY = "sk-test"


def _tenant(features=None):
    tenant = TenantFactory()
    subscribe(
        tenant,
        features=features or EVERYTHING,
        quotas={"ai_chat_replies": "unlimited", "ai_voice_minutes": "unlimited", "knowledge_documents": 5},
    )
    fund_ai(tenant, 1000)
    indexed_document(tenant, "faq.txt", "Our opening hours are nine to five.")
    return tenant


@pytest.mark.parametrize("service", [key for key, *_ in capabilities.SERVICES])
def test_each_service_is_available_only_if_the_server_can_run_it(provider, service):
    capability = next(c for c in capabilities.service_capabilities(_tenant()) if c["key"] == service)
    if service in SERVED:
        assert (capability["status"], capability["allowed"]) == ("available", True)
    else:
        assert (capability["status"], capability["allowed"]) == ("not_configured", False)
        assert "no code for this service" in capability["reason"]


def test_the_unsupported_set_is_exactly_what_has_no_code():
    assert {key for key, *_ in capabilities.SERVICES} - SERVED == capabilities.UNSUPPORTED_SERVICES


@pytest.mark.parametrize("service", capabilities.AI_SERVICES)
def test_each_ai_readiness_flag_is_ready_only_if_the_server_can_run_it(provider, service):
    info = capabilities.ai_readiness(_tenant())["services"][service]
    ready = service in SERVED
    assert (info["configured"], info["ready"]) == (ready, ready)
    assert info["missing"] == ([] if ready else ["not_supported"])


def test_a_beta_key_does_not_make_an_unsupported_service_allowed(provider):
    tenant = _tenant()
    FeatureKey.objects.filter(key="ai_video").update(status="beta")
    capability = next(c for c in capabilities.service_capabilities(tenant) if c["key"] == "ai_video")
    assert capability["status"] == "not_configured"


def test_a_require_of_an_unsupported_service_is_refused(provider):
    with pytest.raises(ApiError) as refused:
        capabilities.require_service(_tenant(), "ai_video")
    assert (refused.value.code, refused.value.status) == ("AI_NOT_READY", 403)


def test_can_use_ai_feature_is_false_when_the_plan_sells_only_ai_video(provider, api_client, assert_contract):
    tenant = _tenant(features={"ai_video": True})
    headers = runtime_headers(tenant, TokenKind.ADMIN, subject="adm_truth")
    data = assert_contract(api_client.get("/api/admin-sdk/ai-readiness", **headers), "getAdminAiReadiness", 200)
    assert data["data"]["canUseAiFeature"] is False
    assert data["data"]["ai"]["services"]["ai_video"]["ready"] is False


def test_the_other_readiness_flags_follow_what_exists(provider):
    tenant = _tenant(features={"chat": True})
    readiness = selectors.tenant_readiness(tenant=tenant)
    assert readiness["reports"] == {"available": True, "exportEnabled": False}  # reports ship; export is a plan feature
    assert readiness["sdk"]["webReady"] is False  # no allowed domain yet
    AllowedDomain.objects.create(tenant=tenant, domain="shop.example.com")
    assert selectors.tenant_readiness(tenant=tenant)["sdk"]["webReady"] is True
    assert {s["key"]: s["status"] for s in readiness["services"]}["ai_video"] == "not_in_plan"
