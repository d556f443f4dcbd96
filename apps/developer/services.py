"""Writes for the dashboard's Developer settings: allowed domains and Server API credentials.

Quota checks and the writes they guard run under a lock on the tenant row, so two
concurrent requests cannot both pass a check that only one of them may pass.
"""

from __future__ import annotations

from django.db import transaction

from apps.audit.services import audit_record, audited, snapshot, stored
from apps.developer.credentials import server_secret_generate
from apps.developer.domains import normalize_domains
from apps.developer.models import AllowedDomain, ServerApiEnvironment, ServerApiKey, ServiceToggle
from apps.developer.signals import developer_settings_changed
from apps.plans import entitlements
from apps.tenants.models import Tenant, User
from apps.tenants.services import tenant_row_lock
from ringnity.api.errors import not_found, validation_failed
from ringnity.api.secrets import secret_digest
from ringnity.api.storable import storable_text

#: The contract's ``ServerApiScope`` enum: the only scopes a credential may hold.
SERVER_API_SCOPES = (
    "server:health",
    "server:tenant:read",
    "server:visitor-context:write",
    "server:agent-token:write",
    "server:admin-token:write",
    "server:reports:read",
    "server:webhook:read",
    "server:webhook:write",
    "server:contacts:read",
    "server:contacts:write",
)
MAX_ALLOWED_DOMAIN_ENTRIES = 500
NAME_MAX_LENGTH = 120
MAX_SCOPE_ENTRIES = 50
KEY_FIELDS = ("name", "scopes", "environment", "is_active")


# --- Allowed domains --------------------------------------------------------


def active_server_key_count(tenant) -> int:
    return ServerApiKey.objects.for_tenant(tenant).filter(is_active=True).count()


def allowed_domain_count(tenant) -> int:
    return AllowedDomain.objects.for_tenant(tenant).count()


@audited("allowed_domains.replace")
@transaction.atomic
def allowed_domains_replace(*, tenant: Tenant, entries: list) -> list[str]:
    """Replaces the tenant's list; every entry normalized (see ``domains``), duplicates folded.

    All-or-nothing: one bad entry, or more entries than the ``allowed_domains`` quota, and
    nothing changes.
    """
    if len(entries) > MAX_ALLOWED_DOMAIN_ENTRIES:
        raise validation_failed([f"allowedDomains: at most {MAX_ALLOWED_DOMAIN_ENTRIES} entries."])
    normalized, errors = normalize_domains(entries)
    if errors:
        raise validation_failed(errors)
    tenant_row_lock(tenant)
    entitlements.for_tenant(tenant).require_quota("allowed_domains", requested_total=len(normalized))
    existing = set(AllowedDomain.objects.for_tenant(tenant).values_list("domain", flat=True))
    wanted = set(normalized)
    if existing - wanted:
        AllowedDomain.objects.for_tenant(tenant).filter(domain__in=existing - wanted).delete()
    AllowedDomain.objects.bulk_create([AllowedDomain(tenant=tenant, domain=d) for d in normalized if d not in existing])
    audit_record(
        action="allowed_domains.replace",
        target=("tenant", tenant.public_id),
        before={"domains": sorted(existing)},
        after={"domains": sorted(wanted)},
        tenant=tenant,
    )
    # bulk_create and queryset deletes send no model signals: invalidate the runtime bootstrap here.
    developer_settings_changed.send(sender=AllowedDomain, tenant_pk=tenant.pk)
    return sorted(wanted)


def allowed_domain_normalize(value) -> str:
    """One console or API entry in its stored form (see ``domains``); 400 naming the problem."""
    normalized, errors = normalize_domains([value])
    if errors:
        raise validation_failed(errors)
    return normalized[0]


def allowed_domains_check_room(*, tenant: Tenant, adding: int) -> None:
    """Raises 409 ``QUOTA_EXCEEDED`` unless ``adding`` more entries fit the ``allowed_domains`` quota."""
    entitlements.for_tenant(tenant).require_quota(
        "allowed_domains", requested_total=allowed_domain_count(tenant) + adding
    )


@audited("allowed_domain.save")
@transaction.atomic
def allowed_domain_save(*, tenant: Tenant, value, instance: AllowedDomain | None = None) -> AllowedDomain:
    """Adds one entry (``instance`` None) or changes one, normalized and within the quota (the console's write)."""
    domain = allowed_domain_normalize(value)
    tenant_row_lock(tenant)
    if instance is None or instance.pk is None:
        allowed_domains_check_room(tenant=tenant, adding=1)
        instance = instance or AllowedDomain(tenant=tenant)
    duplicate = AllowedDomain.objects.for_tenant(tenant).filter(domain=domain).exclude(pk=instance.pk).exists()
    if duplicate:
        raise validation_failed([f"domain: '{domain}' is already allowed."])
    before = stored(instance, ("domain",))
    instance.tenant, instance.domain = tenant, domain
    instance.save()
    audit_record(action="allowed_domain.save", target=instance, before=before, after={"domain": domain}, tenant=tenant)
    return instance


@audited("allowed_domain.delete")
@transaction.atomic
def allowed_domain_delete(*, domain: AllowedDomain) -> None:
    """Removes one entry (the console's delete)."""
    audit_record(
        action="allowed_domain.delete", target=domain, before={"domain": domain.domain}, tenant=domain.tenant_id
    )
    domain.delete()


# --- Service toggles (console) ---------------------------------------------


@audited("service_toggle.save")
@transaction.atomic
def service_toggle_save(*, toggle: ServiceToggle) -> ServiceToggle:
    """Adds or changes the tenant's switch for one service (the console's write)."""
    before = stored(toggle, ("service", "admin_enabled"))
    toggle.save()
    after = snapshot(toggle, ("service", "admin_enabled"))
    audit_record(action="service_toggle.save", target=toggle, before=before, after=after, tenant=toggle.tenant_id)
    return toggle


@audited("service_toggle.delete")
@transaction.atomic
def service_toggle_delete(*, toggle: ServiceToggle) -> None:
    """No row means enabled: removing the switch turns the service back on."""
    before = snapshot(toggle, ("service", "admin_enabled"))
    audit_record(action="service_toggle.delete", target=toggle, before=before, tenant=toggle.tenant_id)
    toggle.delete()


# --- Server API credentials -------------------------------------------------


def _shown(value) -> str:
    """Input echoed in an error: at most 100 characters, a lone surrogate escaped so the answer still encodes."""
    text = value if isinstance(value, str) else repr(value)
    return text[:100].encode("utf-8", "backslashreplace").decode("utf-8")


def _clean_name(name, errors: list[str]) -> str:
    if not isinstance(name, str):
        errors.append("name: must be a string.")
        return ""
    name = name.strip()
    if not name:
        errors.append("name: must not be empty.")
    elif len(name) > NAME_MAX_LENGTH:
        errors.append(f"name: at most {NAME_MAX_LENGTH} characters.")
    elif not storable_text(name):
        errors.append("name: must not contain NUL or unpaired surrogate characters.")
    return name


def _clean_scopes(scopes, errors: list[str]) -> list[str]:
    if not isinstance(scopes, list) or not scopes:
        errors.append("scopes: give at least one scope.")
        return []
    if len(scopes) > MAX_SCOPE_ENTRIES:  # each unknown entry gets its own line below: bound the answer
        errors.append(f"scopes: at most {MAX_SCOPE_ENTRIES} entries.")
        return []
    unknown = [s for s in scopes if s not in SERVER_API_SCOPES]
    for scope in unknown:
        errors.append(f"scopes: unknown scope '{_shown(scope)}'; allowed: {', '.join(SERVER_API_SCOPES)}.")
    return list(dict.fromkeys(s for s in scopes if s in SERVER_API_SCOPES))


def _clean_environment(environment, errors: list[str]) -> str:
    if environment not in ServerApiEnvironment.values:
        errors.append(f"environment: must be one of {', '.join(ServerApiEnvironment.values)}.")
    return environment


def _require_key_quota(tenant: Tenant, *, extra: int) -> None:
    total = active_server_key_count(tenant) + extra
    entitlements.for_tenant(tenant).require_quota("server_api_keys", requested_total=total)


def _set_secret(key: ServerApiKey) -> str:
    secret = server_secret_generate(key.environment)
    key.secret_digest = secret_digest(secret)
    key.secret_last4 = secret[-4:]
    return secret


@audited("server_api_key.create")
@transaction.atomic
def server_api_key_create(
    *, tenant: Tenant, name: str, scopes: list, environment: str = "live", created_by: User | None = None
) -> tuple[ServerApiKey, str]:
    """Returns ``(key, secret)``; the secret exists only in this return value."""
    errors: list[str] = []
    name = _clean_name(name, errors)
    scopes = _clean_scopes(scopes, errors)
    environment = _clean_environment(environment, errors)
    if errors:
        raise validation_failed(errors)
    tenant_row_lock(tenant)
    _require_key_quota(tenant, extra=1)
    key = ServerApiKey(tenant=tenant, name=name, scopes=scopes, environment=environment, created_by=created_by)
    secret = _set_secret(key)
    key.save()
    audit_record(action="server_api_key.create", target=key, after=snapshot(key, KEY_FIELDS), tenant=tenant)
    return key, secret


def _get_for_update(tenant: Tenant, public_id: str) -> ServerApiKey:
    if not storable_text(public_id):  # no stored id has one; PostgreSQL would refuse the query
        raise not_found("Server API credential")
    key = ServerApiKey.objects.for_tenant(tenant).select_for_update().filter(public_id=public_id).first()
    if key is None:
        raise not_found("Server API credential")
    return key


def _changes_apply(tenant: Tenant, key: ServerApiKey, changes: dict) -> None:
    """Validates ``changes`` (``name``, ``scopes``, ``environment``, ``is_active``) onto ``key``, unsaved.

    The environment is written into the secret (``rn_sk_live_`` / ``rn_sk_test_``), so it
    cannot change under an existing secret: asking for another one is refused; create a
    credential in the other environment instead. Re-activating counts against the quota.
    """
    errors: list[str] = []
    if "name" in changes:
        key.name = _clean_name(changes["name"], errors)
    if "scopes" in changes:
        key.scopes = _clean_scopes(changes["scopes"], errors)
    if "environment" in changes:
        environment = _clean_environment(changes["environment"], errors)
        if environment in ServerApiEnvironment.values and environment != key.environment:
            errors.append(
                f"environment: this credential's secret is a '{key.environment}' secret; "
                f"create a new credential for '{environment}'."
            )
    activate = changes.get("is_active")
    if "is_active" in changes and not isinstance(activate, bool):
        errors.append("isActive: must be a boolean.")
    if errors:
        raise validation_failed(errors)
    if activate is True and not key.is_active:
        _require_key_quota(tenant, extra=1)
    if activate is not None:
        key.is_active = activate


def server_api_key_changes_check(*, tenant: Tenant, public_id: str, changes: dict) -> None:
    """Raises the ``ApiError`` that ``server_api_key_update`` would raise for ``changes``; writes nothing.

    For forms that want the service's answer before they save (the console).
    """
    key = ServerApiKey.objects.for_tenant(tenant).filter(public_id=public_id).first()
    if key is None:
        raise not_found("Server API credential")
    _changes_apply(tenant, key, changes)


@audited("server_api_key.update")
@transaction.atomic
def server_api_key_update(*, tenant: Tenant, public_id: str, changes: dict) -> ServerApiKey:
    """Applies the given fields (see ``_changes_apply``) under the tenant lock."""
    tenant_row_lock(tenant)
    key = _get_for_update(tenant, public_id)
    before = snapshot(key, KEY_FIELDS)
    _changes_apply(tenant, key, changes)
    key.save()
    audit_record(
        action="server_api_key.update", target=key, before=before, after=snapshot(key, KEY_FIELDS), tenant=tenant
    )
    return key


@audited("server_api_key.disable")
@transaction.atomic
def server_api_key_disable(*, tenant: Tenant, public_id: str) -> ServerApiKey:
    """Disables the credential at once; the record stays (``isActive: false``). Idempotent."""
    key = _get_for_update(tenant, public_id)
    before = snapshot(key, KEY_FIELDS)
    if key.is_active:
        key.is_active = False
        key.save(update_fields=["is_active", "updated_at"])
    audit_record(
        action="server_api_key.disable", target=key, before=before, after=snapshot(key, KEY_FIELDS), tenant=tenant
    )
    return key


@audited("server_api_key.delete")
@transaction.atomic
def server_api_key_delete(*, key: ServerApiKey) -> None:
    """Removes the credential (the console's delete; the API disables instead)."""
    audit_record(action="server_api_key.delete", target=key, before=snapshot(key, KEY_FIELDS), tenant=key.tenant_id)
    key.delete()


@audited("server_api_key.rotate")
@transaction.atomic
def server_api_key_rotate(*, tenant: Tenant, public_id: str) -> tuple[ServerApiKey, str]:
    """A new secret replaces the old one immediately (the old one answers 401 from now on)."""
    key = _get_for_update(tenant, public_id)
    secret = _set_secret(key)
    key.save(update_fields=["secret_digest", "secret_last4", "updated_at"])
    audit_record(action="server_api_key.rotate", target=key, after={"secret": "rotated"}, tenant=tenant)
    return key, secret
