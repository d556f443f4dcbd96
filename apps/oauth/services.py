"""Writes of Login with Ringnity: the client registry, consents, token revocation, widget domains.

Client registry rules (the contract's Developer Settings operations):

* ``clientId`` is ``rn_oauth_`` + 24 random characters; a confidential client gets a secret that is
  returned once and stored as a SHA-256 digest (``OAuthClient.set_secret``); a public client has no
  secret and always requires PKCE.
* only scopes the catalog marks ``available`` (``scopes``); redirect URIs absolute, ``https`` except
  on a loopback host, without a fragment, on one real host (``redirect_uri_host_problem``);
  matched exactly at ``/oauth/authorize``.
* revoking kills every access and refresh token of the client at once; only a revoked client can be
  deleted. Quota ``oauth_clients`` counts active clients.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import get_access_token_model, get_id_token_model, get_refresh_token_model

from apps.audit.services import audit_record, audited, snapshot
from apps.developer.domains import DomainEntry, DomainError, parse_domain
from apps.developer.selectors import allowed_domains_list
from apps.developer.services import allowed_domains_replace
from apps.oauth import scopes as catalog
from apps.oauth.models import AuthorizationCode, ClientStatus, OAuthClient, OAuthConsent
from apps.plans import entitlements
from apps.tenants.models import Tenant, User
from apps.tenants.services import tenant_row_lock
from ringnity.api.errors import ApiError, ErrorCode, not_found, validation_failed

AccessToken = get_access_token_model()
RefreshToken = get_refresh_token_model()
IDToken = get_id_token_model()

MAX_REDIRECT_URIS = 20
MAX_REDIRECT_URI_LENGTH = 2000
LOOPBACK_HOSTS = frozenset({"localhost"})
CLIENT_FIELDS = ("client_id", "name", "client_type", "redirect_uris", "allowed_scopes", "require_pkce", "status")


def active_client_count(tenant) -> int:
    return OAuthClient.objects.filter(tenant=tenant, status=ClientStatus.ACTIVE).count()


def _is_loopback(host: str) -> bool:
    if host in LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def redirect_uri_host_problem(uri: str) -> str | None:
    """Why the host of an absolute http(s) ``uri`` is not one real host, or None.

    The allowed-domain host rule (``apps.developer.domains.parse_domain``): a DNS name of labels of
    1-63 letters, digits and hyphens, none starting or ending with a hyphen, none empty; an IP
    literal; or ``localhost``. Unlike an allowed domain a redirect URI is matched exactly, so a
    ``*`` wildcard is refused too (it would never match, and reads as a promise it cannot keep).
    """
    try:
        entry = parse_domain(uri)
    except DomainError as exc:
        return f"has an invalid host: {exc}"
    if entry.wildcard:
        return "has an invalid host: '*' is not allowed, a redirect URI names one host"
    return None


def redirect_uri_problem(uri: str) -> str | None:
    """Why ``uri`` cannot be registered, or None."""
    if len(uri) > MAX_REDIRECT_URI_LENGTH:
        return f"is longer than {MAX_REDIRECT_URI_LENGTH} characters"
    if any(ch.isspace() for ch in uri):
        return "must not contain spaces"
    try:
        parts = urlsplit(uri)
        host = parts.hostname or ""
        parts.port  # noqa: B018  (raises ValueError on a bad port)
    except ValueError:
        return "is not a valid URL"
    if parts.scheme not in ("https", "http") or not host:
        return "must be an absolute http(s) URL"
    if "#" in uri:
        return "must not contain a fragment"
    if parts.username or parts.password:
        return "must not contain credentials"
    host_problem = redirect_uri_host_problem(uri)
    if host_problem:
        return host_problem
    if parts.scheme == "http" and not _is_loopback(host):
        return "must use https (http only on a loopback host such as 127.0.0.1)"
    return None


def _clean_redirect_uris(uris: list[str], errors: list[str]) -> list[str]:
    if not uris:
        errors.append("redirectUris: at least one redirect URI is required.")
    if len(uris) > MAX_REDIRECT_URIS:
        errors.append(f"redirectUris: at most {MAX_REDIRECT_URIS} entries.")
    for index, uri in enumerate(uris):
        problem = redirect_uri_problem(uri)
        if problem:
            errors.append(f"redirectUris[{index}]: '{uri[:100]}' {problem}.")
    return list(dict.fromkeys(uris))


def _clean_scopes(scopes: list[str], errors: list[str]) -> list[str]:
    for index, scope in enumerate(scopes):
        if catalog.status(scope) == "planned":
            errors.append(f"allowedScopes[{index}]: '{scope}' is planned, not available yet.")
    if "openid" not in scopes:
        errors.append("allowedScopes: must include 'openid' (Login with Ringnity is OpenID Connect).")
    return list(dict.fromkeys(scopes))


@audited("oauth_client.create")
@transaction.atomic
def oauth_client_create(
    *, tenant: Tenant, name: str, client_type: str, redirect_uris: list[str], allowed_scopes, require_pkce
) -> tuple[OAuthClient, str | None]:
    """Returns ``(client, plain secret or None)``; the plain secret is never stored."""
    errors: list[str] = []
    if allowed_scopes is None:
        allowed_scopes = [s for s in catalog.DEFAULT_CLIENT_SCOPES if catalog.status(s) == "available"]
    uris = _clean_redirect_uris(redirect_uris, errors)
    scopes = _clean_scopes(allowed_scopes, errors)
    public = client_type == OAuthClient.CLIENT_PUBLIC
    if public and require_pkce is False:
        errors.append("requirePkce: public clients always require PKCE.")
    if errors:
        raise validation_failed(errors)
    tenant_row_lock(tenant)
    entitlements.for_tenant(tenant).require_quota("oauth_clients", requested_total=active_client_count(tenant) + 1)
    secret = None if public else generate_client_secret()
    client = OAuthClient(
        tenant=tenant,
        name=name.strip(),
        client_type=client_type,
        authorization_grant_type=OAuthClient.GRANT_AUTHORIZATION_CODE,
        algorithm=OAuthClient.RS256_ALGORITHM,
        redirect_uris=" ".join(uris),
        allowed_scopes=scopes,
        require_pkce=True if public or require_pkce is None else require_pkce,
    )
    client.set_secret(secret)
    client.save()
    audit_record(action="oauth_client.create", target=client, after=snapshot(client, CLIENT_FIELDS), tenant=tenant)
    return client, secret


def _get_for_update(tenant: Tenant, public_id: str) -> OAuthClient:
    client = OAuthClient.objects.select_for_update().filter(tenant=tenant, public_id=public_id).first()
    if client is None:
        raise not_found("OAuth client")
    return client


@audited("oauth_client.update")
@transaction.atomic
def oauth_client_update(*, tenant: Tenant, public_id: str, changes: dict) -> OAuthClient:
    client = _get_for_update(tenant, public_id)
    before = snapshot(client, CLIENT_FIELDS)
    errors: list[str] = []
    if "type" in changes and changes["type"] != client.client_type:
        errors.append("type: a client's type cannot change; create a new client instead.")
    if changes.get("status") == ClientStatus.ACTIVE and client.status == ClientStatus.REVOKED:
        errors.append("status: a revoked client cannot be re-activated; create a new client instead.")
    if "redirectUris" in changes:
        client.redirect_uris = " ".join(_clean_redirect_uris(changes["redirectUris"], errors))
    if "allowedScopes" in changes:
        client.allowed_scopes = _clean_scopes(changes["allowedScopes"], errors)
    if "requirePkce" in changes:
        if client.is_public and changes["requirePkce"] is False:
            errors.append("requirePkce: public clients always require PKCE.")
        client.require_pkce = changes["requirePkce"] or client.is_public
    if "name" in changes:
        client.name = changes["name"].strip()
    if errors:
        raise validation_failed(errors)
    client.save()
    after = snapshot(client, CLIENT_FIELDS)
    audit_record(action="oauth_client.update", target=client, before=before, after=after, tenant=tenant)
    if changes.get("status") == ClientStatus.REVOKED and client.status != ClientStatus.REVOKED:
        return oauth_client_revoke(tenant=tenant, public_id=public_id)
    return client


def _client_tokens_revoke(client: OAuthClient) -> None:
    now = timezone.now()
    AccessToken.objects.filter(application=client).delete()
    RefreshToken.objects.filter(application=client, revoked__isnull=True).update(revoked=now, access_token=None)
    IDToken.objects.filter(application=client).delete()
    AuthorizationCode.objects.filter(application=client, used_at__isnull=True).update(used_at=now)


@audited("oauth_client.revoke")
@transaction.atomic
def oauth_client_revoke(*, tenant: Tenant, public_id: str) -> OAuthClient:
    """Idempotent: revoking a revoked client changes nothing and answers the same."""
    client = _get_for_update(tenant, public_id)
    before = snapshot(client, CLIENT_FIELDS)
    if client.status != ClientStatus.REVOKED:
        client.status = ClientStatus.REVOKED
        client.revoked_at = timezone.now()
        client.save(update_fields=["status", "revoked_at", "updated"])
    _client_tokens_revoke(client)
    after = snapshot(client, CLIENT_FIELDS)
    audit_record(action="oauth_client.revoke", target=client, before=before, after=after, tenant=tenant)
    return client


@audited("oauth_client.secret_rotate")
@transaction.atomic
def oauth_client_secret_rotate(*, tenant: Tenant, public_id: str) -> tuple[OAuthClient, str]:
    client = _get_for_update(tenant, public_id)
    if client.is_public:
        raise validation_failed(["type: public clients have no secret to rotate."])
    if client.status == ClientStatus.REVOKED:
        raise ApiError(ErrorCode.CONFLICT, "A revoked client has no secret to rotate.", status=409)
    secret = generate_client_secret()
    client.set_secret(secret)  # the old secret stops working with this save
    client.save(update_fields=["client_secret", "hash_client_secret", "updated"])
    audit_record(action="oauth_client.secret_rotate", target=client, after={"client_secret": "new"}, tenant=tenant)
    return client, secret


@audited("oauth_client.delete")
@transaction.atomic
def oauth_client_delete(*, tenant: Tenant, public_id: str) -> str:
    client = _get_for_update(tenant, public_id)
    if client.status != ClientStatus.REVOKED:
        raise ApiError(
            ErrorCode.CONFLICT, "Revoke the OAuth client before deleting it.", status=409, details=["status: active"]
        )
    audit_record(action="oauth_client.delete", target=client, before=snapshot(client, CLIENT_FIELDS), tenant=tenant)
    client.delete()
    return public_id


# --- consent and tokens --------------------------------------------------------------------


def _scope_key(scopes) -> str:
    return " ".join(sorted(set(scopes)))


def consent_remembered(*, user: User, client: OAuthClient, scopes) -> bool:
    return OAuthConsent.objects.filter(
        tenant=client.tenant, user=user, client=client, scopes=_scope_key(scopes)
    ).exists()


def consent_remember(*, user: User, client: OAuthClient, scopes) -> None:
    OAuthConsent.objects.get_or_create(tenant=client.tenant, user=user, client=client, scopes=_scope_key(scopes))


@transaction.atomic
def token_family_revoke(*, family) -> int:
    """Ends a refresh-token family: every refresh token revoked, every access token they made deleted."""
    if family is None:
        return 0
    refresh = RefreshToken.objects.filter(token_family=family)
    access = AccessToken.objects.filter(Q(source_refresh_token__in=refresh) | Q(refresh_token__in=refresh))
    deleted, _ = access.delete()
    refresh.filter(revoked__isnull=True).update(revoked=timezone.now(), access_token=None)
    return deleted


# --- the tenant's widget domains (OAuth access token with tenant.domains.write) ------------


def _covering_entry(new: DomainEntry, stored: list[str]) -> str | None:
    """The stored entry that already allows everything ``new`` would (exactly or by a wildcard)."""
    for value in stored:
        try:
            entry = parse_domain(value)
        except DomainError:
            continue
        if entry.port and entry.port != new.port:
            continue
        if entry.wildcard and new.host.endswith("." + entry.host):
            return value
        if not entry.wildcard and not new.wildcard and entry.host == new.host:
            return value
        if entry.wildcard and new.wildcard and entry.host == new.host:
            return value
    return None


@audited("oauth_allowed_domain.add")
@transaction.atomic
def oauth_allowed_domain_add(*, tenant: Tenant, domain: str) -> dict:
    """Adds one widget domain with the dashboard's normalisation and quota, under the tenant lock.

    Returns ``{"domain": normalized, "added": bool, "already_allowed": bool}``. Raises a 400
    ``VALIDATION_FAILED`` for an invalid entry and the plan's ``QUOTA_EXCEEDED`` when full.
    """
    try:
        entry = parse_domain(domain)
    except DomainError as exc:
        raise validation_failed([f"domain: '{str(domain)[:100]}' {exc}."]) from exc
    tenant_row_lock(tenant)
    current = allowed_domains_list(tenant=tenant)
    if _covering_entry(entry, current) is not None:
        return {"domain": str(entry), "added": False, "already_allowed": True}
    allowed_domains_replace(tenant=tenant, entries=[*current, str(entry)])
    return {"domain": str(entry), "added": True, "already_allowed": False}
