"""Writes for tenants and their staff. Keyword-only, atomic, raising ApiError on bad input.

Staff seats: ``staff_create`` and ``staff_set_active`` (re-activation) take the tenant row lock, count
the active non-owner staff and ask every registered seat guard before they write. This app knows no
plans; the plans app registers the guard that enforces the plan's ``agents`` quota
(``register_staff_seat_guard`` in its ``AppConfig.ready()``), so every path that adds a seat — the
``create_staff`` command, the console, the demo, any future API — is refused the same way.
"""

from collections.abc import Callable

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction

from apps.audit.services import audit_record, audited, snapshot, stored
from apps.tenants import selectors
from apps.tenants.models import (
    RESERVED_SLUGS,
    SLUG_VALIDATOR,
    USERNAME_VALIDATOR,
    Department,
    PlatformRole,
    StaffRole,
    Tenant,
    User,
)
from ringnity.api.errors import validation_failed

#: ``guard(tenant=..., seats=...)`` raises ``ApiError`` when ``tenant`` may not have ``seats`` active
#: non-owner staff.
_seat_guards: list[Callable[..., None]] = []

TENANT_FIELDS = ("slug", "name", "email", "is_active")
USER_FIELDS = ("email", "username", "name", "role", "platform_role", "is_active", "is_staff", "is_superuser")


def register_staff_seat_guard(guard: Callable[..., None]) -> None:
    """Adds a seat guard (call from ``AppConfig.ready()``; registering the same function twice keeps one)."""
    if guard not in _seat_guards:
        _seat_guards.append(guard)


def staff_seat_require(*, tenant: Tenant) -> None:
    """Locks the tenant row (until the caller's transaction ends) and refuses one more active staff seat
    beyond what the registered guards allow. Call inside the transaction that adds the seat."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("staff_seat_require must run inside the transaction that adds the seat")
    tenant_row_lock(tenant)
    seats = selectors.staff_seat_count(tenant) + 1
    for guard in _seat_guards:
        guard(tenant=tenant, seats=seats)


def _check(validator, value, field: str, errors: list[str]) -> None:
    try:
        validator(value)
    except DjangoValidationError as exc:
        errors.extend(f"{field}: {message}" for message in exc.messages)


def _check_password(password: str, errors: list[str], user: User | None = None) -> None:
    try:
        validate_password(password, user=user)
    except DjangoValidationError as exc:
        errors.extend(f"password: {message}" for message in exc.messages)


def slug_errors(slug: str) -> list[str]:
    errors: list[str] = []
    if slug != slug.lower():
        errors.append("slug: must be lowercase.")
    _check(SLUG_VALIDATOR, slug, "slug", errors)
    if slug in RESERVED_SLUGS:
        errors.append(f"slug: '{slug}' is reserved.")
    return errors


@audited("tenant.create")
@transaction.atomic
def tenant_create(
    *,
    slug: str,
    name: str,
    owner_email: str,
    owner_password: str,
    owner_name: str = "",
    company_name: str = "",
    timezone: str = "UTC",
) -> Tenant:
    """Creates a tenant with its owner (role ``owner``, username ``owner``)."""
    slug = (slug or "").strip()
    owner_email = (owner_email or "").strip().lower()
    errors = slug_errors(slug)
    if not (name or "").strip():
        errors.append("name: must not be empty.")
    _check(validate_email, owner_email, "ownerEmail", errors)
    _check_password(owner_password or "", errors)
    if not errors and Tenant.objects.filter(slug=slug).exists():
        errors.append(f"slug: a tenant with slug '{slug}' already exists.")
    if not errors and User.objects.filter(role=StaffRole.OWNER, email__iexact=owner_email).exists():
        errors.append("ownerEmail: already the owner of another tenant.")
    if errors:
        raise validation_failed(errors)
    tenant = Tenant.objects.create(
        slug=slug, name=name.strip(), company_name=company_name or name.strip(), email=owner_email, timezone=timezone
    )
    owner = User(
        tenant=tenant, email=owner_email, username="owner", name=owner_name or name.strip(), role=StaffRole.OWNER
    )
    owner.set_password(owner_password)
    owner.save()
    audit_record(action="tenant.create", target=tenant, after=snapshot(tenant, TENANT_FIELDS), tenant=tenant)
    audit_record(action="staff.create", target=owner, after=snapshot(owner, USER_FIELDS), tenant=tenant)
    return tenant


@audited("staff.create")
@transaction.atomic
def staff_create(
    *,
    tenant: Tenant,
    username: str,
    password: str,
    role: str,
    name: str = "",
    email: str = "",
    department_name: str | None = None,
) -> User:
    username = (username or "").strip()
    errors: list[str] = []
    _check(USERNAME_VALIDATOR, username, "username", errors)
    if role not in StaffRole.values or role == StaffRole.OWNER:
        allowed = ", ".join(r for r in StaffRole.values if r != StaffRole.OWNER)
        errors.append(f"role: must be one of {allowed}.")
    if email:
        _check(validate_email, email, "email", errors)
    _check_password(password or "", errors)
    if not errors and User.objects.filter(tenant=tenant, username=username).exists():
        errors.append(f"username: '{username}' already exists in this tenant.")
    if errors:
        raise validation_failed(errors)
    staff_seat_require(tenant=tenant)
    department = None
    if department_name:
        department, _ = Department.objects.get_or_create(tenant=tenant, name=department_name.strip())
    user = User(
        tenant=tenant, username=username, role=role, name=name or username, email=email.lower(), department=department
    )
    user.set_password(password)
    user.save()
    audit_record(action="staff.create", target=user, after=snapshot(user, USER_FIELDS), tenant=tenant)
    return user


@audited("staff.set_active")
@transaction.atomic
def staff_set_active(*, user: User, active: bool) -> User:
    """Deactivates or re-activates a staff member; re-activating a non-owner needs a free seat."""
    if user.tenant_id is None:
        raise validation_failed(["user: not a member of a tenant's staff."])
    if active and user.role != StaffRole.OWNER:
        tenant_row_lock(user.tenant)  # before the re-read: two re-activations of one user take one seat
        if not User.objects.filter(pk=user.pk, is_active=True).exists():
            staff_seat_require(tenant=user.tenant)
    before = snapshot(user, USER_FIELDS)
    if user.is_active != active:
        user.is_active = active
        user.save(update_fields=["is_active"])
    audit_record(
        action="staff.set_active", target=user, before=before, after=snapshot(user, USER_FIELDS), tenant=user.tenant_id
    )
    return user


@audited("user.update")
@transaction.atomic
def user_console_save(*, user: User) -> User:
    """Saves a user edited in the console (role, platform role, active, e-mail ...), with its audit row."""
    before = stored(user, USER_FIELDS)
    user.save()
    audit_record(
        action="user.update", target=user, before=before, after=snapshot(user, USER_FIELDS), tenant=user.tenant_id
    )
    return user


@audited("platform_operator.create")
@transaction.atomic
def platform_operator_create(*, email: str, password: str, role: str, name: str = "") -> tuple[User, bool]:
    """Creates a platform operator, or updates the role/password of an existing one.

    Returns ``(user, created)``. Operators may sign in to the console (``is_staff``).
    """
    email = (email or "").strip().lower()
    errors: list[str] = []
    _check(validate_email, email, "email", errors)
    if role not in PlatformRole.values:
        errors.append(f"role: must be one of {', '.join(PlatformRole.values)}.")
    _check_password(password or "", errors)
    if errors:
        raise validation_failed(errors)
    user = User.objects.select_for_update().filter(tenant__isnull=True, email__iexact=email).first()
    created = user is None
    before = None if created else snapshot(user, USER_FIELDS)
    if created:
        user = User(email=email, name=name or email.split("@")[0])
    user.platform_role = role
    user.is_staff = True
    user.is_superuser = role == PlatformRole.OWNER
    user.is_active = True
    user.set_password(password)
    user.save()
    after = {**snapshot(user, USER_FIELDS), "password": "set"}
    audit_record(action="platform_operator.create", target=user, before=before, after=after)
    return user, created


def tenant_row_lock(tenant: Tenant) -> None:
    """Locks the tenant row until the transaction ends: quota checks and the writes they guard run under it,
    so two concurrent requests cannot both pass a check that only one of them may pass."""
    Tenant.objects.select_for_update().filter(pk=tenant.pk).values_list("pk", flat=True).first()


@audited("tenant.set_active")
@transaction.atomic
def tenant_set_active(*, tenant: Tenant, active: bool) -> Tenant:
    """Suspends or reactivates a tenant (sessions and keys of an inactive tenant are refused).

    Saved with ``save()`` (not ``update()``) so receivers above (runtime bootstrap) drop their caches.
    """
    before = {"is_active": tenant.is_active}
    tenant.is_active = active
    tenant.save(update_fields=["is_active", "updated_at"])
    audit_record(action="tenant.set_active", target=tenant, before=before, after={"is_active": active}, tenant=tenant)
    return tenant
