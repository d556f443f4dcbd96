"""Tenants with the webhooks plan, Server API headers, endpoints."""

from apps.developer.tests.factories import ServerApiKeyFactory, server_key_headers
from apps.plans.tests.factories import subscribe
from apps.webhooks import services

WEBHOOK_SCOPES = ["server:webhook:read", "server:webhook:write", "server:contacts:write"]
FEATURES = {"server_api": True, "webhooks": True}


def webhook_tenant(*, quota="unlimited", features=None):
    """A tenant on a plan with the Server API and webhooks (``quota`` active endpoints) and unlimited contacts."""
    tenant = ServerApiKeyFactory(scopes=["server:health"]).tenant
    subscribe(tenant, features=features or FEATURES, quotas={"webhooks": quota, "contacts": "unlimited"})
    return tenant


def webhook_headers(tenant, scopes=None) -> dict:
    return server_key_headers(ServerApiKeyFactory(tenant=tenant, scopes=scopes or WEBHOOK_SCOPES))


def endpoint_make(tenant, url="https://hooks.example.com/in", events=("*",), **kw):
    """An endpoint through the service (bypassing URL resolution checks of the API); ``(endpoint, secret)``."""
    return services.endpoint_create(tenant=tenant, url=url, events=list(events), **kw)
