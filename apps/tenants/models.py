from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from apps.tenants import ids
from apps.tenants.tenancy import TenantOwnedModel

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
        # Natural key = platform operator e-mail (the console's login population).
        return self.get(tenant__isnull=True, email__iexact=email)


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


class AllowedDomain(TenantOwnedModel):
    """An origin host the tenant's SDKs may run on: ``example.com``, ``app.example.com:8443``, ``*.example.com``."""

    domain = models.CharField(max_length=260)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["domain"]
        constraints = [models.UniqueConstraint(fields=["tenant", "domain"], name="allowed_domain_per_tenant")]
        # CORS preflights cannot name their tenant (no SDK header on OPTIONS): they ask whether any
        # active tenant allows the origin, a lookup by domain alone (runtime_services).
        indexes = [models.Index(fields=["domain"], name="allowed_domain_domain")]

    def __str__(self) -> str:
        return self.domain


class ServiceKey(models.TextChoices):
    CHAT = "chat", "Live chat"
    VOICE_CALL = "voice_call", "Voice call"
    VIDEO_CALL = "video_call", "Video call"
    AI_CHAT = "ai_chat", "AI chat"
    AI_VOICE = "ai_voice", "AI voice"
    AI_VIDEO = "ai_video", "AI video"


class ServiceToggle(TenantOwnedModel):
    """The tenant admin's on/off switch for one service; no row means enabled."""

    service = models.CharField(max_length=20, choices=ServiceKey.choices)
    admin_enabled = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "service"], name="service_toggle_per_tenant")]


class ServerApiEnvironment(models.TextChoices):
    LIVE = "live", "Live"
    TEST = "test", "Test"


class ServerApiKey(TenantOwnedModel):
    """A Server API credential. The secret is shown once; only its SHA-256 digest is stored.

    SHA-256 (not a password hash) is right here: the secret has >= 190 bits of
    randomness, so there is nothing to brute-force, and the lookup by digest
    must be fast on every request.
    """

    public_id = models.CharField(max_length=32, unique=True, default=ids.server_key_public_id, editable=False)
    name = models.CharField(max_length=120)
    environment = models.CharField(
        max_length=4, choices=ServerApiEnvironment.choices, default=ServerApiEnvironment.LIVE
    )
    scopes = models.JSONField(default=list)
    secret_digest = models.CharField(max_length=64, unique=True, editable=False)
    secret_last4 = models.CharField(max_length=4, editable=False)
    is_active = models.BooleanField(default=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["tenant", "is_active"], name="server_key_tenant_active")]

    def __str__(self) -> str:
        return f"{self.name} ({self.secret_preview})"

    @property
    def secret_preview(self) -> str:
        return f"rn_sk_{self.environment}_…{self.secret_last4}"


class WorkspaceEntryToken(TenantOwnedModel):
    """A one-time, short-lived ticket from an owner session into the workspace dashboard."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    token_digest = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["tenant", "expires_at"], name="entry_token_tenant_exp")]


class SessionFamily(models.Model):
    """All refresh tokens descended from one login. Reusing a rotated token revokes the family."""

    id = models.UUIDField(primary_key=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="session_families")
    scope = models.CharField(max_length=20)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["user", "scope"], name="session_family_user_scope")]

    def __str__(self) -> str:
        return f"{self.scope} session of {self.user_id}"


class DevicePlatform(models.TextChoices):
    IOS = "ios", "iOS"
    ANDROID = "android", "Android"
    WEB = "web", "Web"


class DevicePushToken(TenantOwnedModel):
    """A mobile/web push token registered by an SDK runtime session."""

    public_id = models.CharField(max_length=32, unique=True, default=ids.device_public_id, editable=False)
    platform = models.CharField(max_length=16)
    provider = models.CharField(max_length=16, default="fcm")
    token = models.CharField(max_length=4096)
    token_digest = models.CharField(max_length=64, help_text="SHA-256 of the token, for the unique lookup.")
    audience = models.CharField(max_length=16, default="visitor")
    device_id = models.CharField(max_length=200, blank=True)
    app_id = models.CharField(max_length=200, blank=True)
    external_id = models.CharField(max_length=200, blank=True)
    agent_id = models.CharField(max_length=64, blank=True)
    call_mode = models.CharField(max_length=16, default="basic")
    metadata = models.JSONField(default=dict, blank=True)
    subject = models.CharField(max_length=200, help_text="Runtime subject (visitor or agent) that registered it.")
    enabled = models.BooleanField(default=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "provider", "token_digest"], name="device_token_per_tenant"),
        ]
        indexes = [models.Index(fields=["tenant", "device_id"], name="device_tenant_device_id")]
