from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from apps.tenants import ids
from apps.tenants.tenancy import TenantOwnedModel
from ringnity.api.identifiers import login_email

RESERVED_SLUGS = frozenset(
    {
        "www",
        "api",
        "admin",
        "app",
        "apps",
        "platform",
        "static",
        "media",
        "docs",
        "auth",
        "oauth",
        "mail",
        "status",
        "help",
        "support",
        "dashboard",
        "console",
        "ringnity",
    }
)
SLUG_VALIDATOR = RegexValidator(
    r"^[a-z0-9](?:[a-z0-9-]{1,48}[a-z0-9])$",
    "Use 3-50 lowercase letters, digits or hyphens, starting and ending with a letter or digit.",
)
USERNAME_VALIDATOR = RegexValidator(r"^[A-Za-z0-9._@+-]{2,150}$", "Use 2-150 letters, digits or . _ @ + - characters.")


class Tenant(models.Model):
    """A business using Ringnity. ``slug`` is also its dashboard subdomain."""

    public_id = models.CharField(max_length=32, unique=True, default=ids.tenant_public_id, editable=False)
    slug = models.CharField(max_length=50, unique=True, validators=[SLUG_VALIDATOR])
    name = models.CharField(max_length=200)
    company_name = models.CharField(max_length=200, blank=True)
    email = models.EmailField(help_text="Billing/contact e-mail; the contract requires one for every tenant.")
    phone = models.CharField(max_length=40, blank=True)
    timezone = models.CharField(max_length=64, default="UTC")
    industry = models.CharField(max_length=100, blank=True)
    logo_url = models.URLField(max_length=500, blank=True)
    branding = models.JSONField(default=dict, blank=True)
    is_active = models.BooleanField(default=True)
    onboarding_completed = models.BooleanField(default=False)
    public_widget_key = models.CharField(max_length=64, unique=True, default=ids.widget_key)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["slug"]
        constraints = [models.CheckConstraint(condition=Q(slug=Lower("slug")), name="tenant_slug_lowercase")]

    def __str__(self) -> str:
        return f"{self.name} ({self.slug})"


class StaffRole(models.TextChoices):
    OWNER = "owner", "Owner"
    ADMIN = "admin", "Admin"
    SUPERVISOR = "supervisor", "Supervisor"
    AGENT = "agent", "Agent"


class PlatformRole(models.TextChoices):
    OWNER = "platform_owner", "Platform owner"
    ADMIN = "platform_admin", "Platform admin"
    SUPPORT = "platform_support", "Platform support (read-only)"


#: The platform roles that change things (console writes, the platform API's write scope); support reads.
PLATFORM_WRITE_ROLES = frozenset({PlatformRole.OWNER, PlatformRole.ADMIN})


def console_operator(user) -> bool:
    """May use the platform console: an active platform operator with ``is_staff`` (any user object)."""
    return bool(user and user.is_active and user.is_staff and getattr(user, "is_platform_operator", False))


def platform_writer(user) -> bool:
    """A console operator whose role changes things (``PLATFORM_WRITE_ROLES``)."""
    return console_operator(user) and user.platform_role in PLATFORM_WRITE_ROLES


class Department(TenantOwnedModel):
    public_id = models.CharField(max_length=32, unique=True, default=ids.department_public_id, editable=False)
    name = models.CharField(max_length=120)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["tenant", "name"], name="department_name_per_tenant")]

    def __str__(self) -> str:
        return self.name


class Position(TenantOwnedModel):
    public_id = models.CharField(max_length=32, unique=True, default=ids.position_public_id, editable=False)
    name = models.CharField(max_length=120)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["tenant", "name"], name="position_name_per_tenant")]

    def __str__(self) -> str:
        return self.name


class Presence(models.TextChoices):
    ONLINE = "online", "Online"
    AWAY = "away", "Away"
    BUSY = "busy", "Busy"
    OFFLINE = "offline", "Offline"


class UserManager(BaseUserManager):
    use_in_migrations = True

    def get_by_natural_key(self, email):
        # Natural key = platform operator e-mail (the console's login population), in its sign-in form.
        address = login_email(email)
        if address is None:
            raise self.model.DoesNotExist
        return self.get(tenant__isnull=True, email__iexact=address)


class User(AbstractBaseUser, PermissionsMixin):
    """One user model for everybody.

    * Platform operators: ``tenant`` is null, ``platform_role`` set, ``role`` empty.
    * Tenant staff: ``tenant`` set, ``role`` in owner/admin/supervisor/agent,
      ``username`` unique within the tenant; owners log in by e-mail (unique among owners).
    """

    public_id = models.CharField(max_length=32, unique=True, default=ids.user_public_id, editable=False)
    tenant = models.ForeignKey(Tenant, null=True, blank=True, on_delete=models.CASCADE, related_name="users")
    email = models.EmailField(blank=True)
    username = models.CharField(max_length=150, blank=True, validators=[USERNAME_VALIDATOR])
    name = models.CharField(max_length=200, blank=True)
    role = models.CharField(max_length=20, choices=StaffRole.choices, blank=True)
    platform_role = models.CharField(max_length=20, choices=PlatformRole.choices, blank=True)
    department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.SET_NULL, related_name="staff")
    position = models.ForeignKey(Position, null=True, blank=True, on_delete=models.SET_NULL, related_name="staff")
    profile_image = models.URLField(max_length=500, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="May sign in to the platform console (/admin/).")
    presence = models.CharField(max_length=10, choices=Presence.choices, default=Presence.OFFLINE)
    presence_updated_at = models.DateTimeField(null=True, blank=True)
    date_joined = models.DateTimeField(auto_now_add=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "username"], condition=Q(tenant__isnull=False), name="user_username_per_tenant"
            ),
            models.UniqueConstraint(Lower("email"), condition=Q(tenant__isnull=True), name="user_platform_email"),
            models.UniqueConstraint(Lower("email"), condition=Q(role="owner"), name="user_owner_email"),
            models.CheckConstraint(
                condition=(Q(tenant__isnull=True) & ~Q(platform_role="") & Q(role=""))
                | (Q(tenant__isnull=False) & ~Q(role="") & Q(platform_role="")),
                name="user_is_operator_xor_staff",
            ),
        ]
        indexes = [models.Index(fields=["tenant", "role"], name="user_tenant_role")]

    def __str__(self) -> str:
        if self.tenant_id:
            return f"{self.username}@{self.tenant.slug}" if self.username else self.email
        return self.email

    @property
    def is_platform_operator(self) -> bool:
        return self.tenant_id is None and bool(self.platform_role)

    @property
    def display_name(self) -> str:
        return self.name or self.username or self.email
