"""Reads of Login with Ringnity: the client registry, the widget key, the discovery document."""

from __future__ import annotations

from django.conf import settings

from apps.developer.selectors import allowed_domains_list
from apps.oauth import scopes as catalog
from apps.oauth.models import OAuthClient
from apps.plans import entitlements
from apps.tenants.models import Tenant

CLIENT_TYPES = [OAuthClient.CLIENT_CONFIDENTIAL, OAuthClient.CLIENT_PUBLIC]
OAUTH_PATH = "/api/oauth"


def public_url(path: str = "") -> str:
    return f"{settings.RINGNITY_PUBLIC_URL}{path}"


def issuer() -> str:
    return public_url()


def discovery_url() -> str:
    return public_url("/.well-known/openid-configuration")


def oauth_client_list(*, tenant: Tenant):
    """Active and revoked clients of the tenant, newest first."""
    return OAuthClient.objects.filter(tenant=tenant).order_by("-created", "-id")


def oauth_client_registry(*, tenant: Tenant) -> dict:
    return {
        "clients": list(oauth_client_list(tenant=tenant)),
        "availableScopes": list(catalog.AVAILABLE_SCOPES),
        "recommendedScopes": list(catalog.RECOMMENDED_SCOPES),
        "scopeCatalog": catalog.catalog_items(),
        "clientTypes": CLIENT_TYPES,
        "discoveryUrl": discovery_url(),
    }


def openid_configuration() -> dict:
    base = public_url(OAUTH_PATH)
    return {
        "issuer": issuer(),
        "authorization_endpoint": f"{base}/authorize",
        "token_endpoint": f"{base}/token",
        "userinfo_endpoint": f"{base}/userinfo",
        "jwks_uri": f"{base}/jwks.json",
        "revocation_endpoint": f"{base}/revoke",
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": list(catalog.AVAILABLE_SCOPES),
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": ["sub", "name", "email", "email_verified", "tenant_id", "tenant_slug", "roles"],
        "authorization_response_iss_parameter_supported": True,
        "prompt_values_supported": ["none", "login", "consent"],
    }


def widget_key(*, tenant: Tenant) -> dict:
    domains = allowed_domains_list(tenant=tenant)
    limit = entitlements.for_tenant(tenant).quota("allowed_domains").enforced_limit
    return {
        "tenantId": tenant.public_id,
        "tenantSlug": tenant.slug,
        "publicWidgetKey": tenant.public_widget_key,
        "allowedDomains": domains,
        "allowedDomainsLimit": limit,
        "allowedDomainsUsed": len(domains),
        "allowedDomainsRemaining": None if limit is None else max(0, limit - len(domains)),
        "dashboardDeveloperUrl": f"{settings.RINGNITY_DASHBOARD_URL.rstrip('/')}/developer",
    }
