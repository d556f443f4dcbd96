"""Writes for tenants and their staff. Keyword-only, atomic, raising ApiError on bad input."""

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction

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
    return tenant


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
    department = None
    if department_name:
        department, _ = Department.objects.get_or_create(tenant=tenant, name=department_name.strip())
    user = User(
        tenant=tenant, username=username, role=role, name=name or username, email=email.lower(), department=department
    )
    user.set_password(password)
    user.save()
    return user


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
    if created:
        user = User(email=email, name=name or email.split("@")[0])
    user.platform_role = role
    user.is_staff = True
    user.is_superuser = role == PlatformRole.OWNER
    user.is_active = True
    user.set_password(password)
    user.save()
    return user, created


def tenant_row_lock(tenant: Tenant) -> None:
    """Locks the tenant row until the transaction ends: quota checks and the writes they guard run under it,
    so two concurrent requests cannot both pass a check that only one of them may pass."""
    Tenant.objects.select_for_update().filter(pk=tenant.pk).values_list("pk", flat=True).first()


@transaction.atomic
def tenant_set_active(*, tenant: Tenant, active: bool) -> Tenant:
    """Suspends or reactivates a tenant (sessions and keys of an inactive tenant are refused).

    Saved with ``save()`` (not ``update()``) so receivers above (runtime bootstrap) drop their caches.
    """
    tenant.is_active = active
    tenant.save(update_fields=["is_active", "updated_at"])
    return tenant
