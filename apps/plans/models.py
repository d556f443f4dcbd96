"""The plan catalog (the entitlement engine's rules) and tenant subscriptions.

Catalog rows (``FeatureKey``, ``QuotaKey``, ``Plan``, ``PlanFeature``, ``PlanQuota``) span all
tenants; ``Subscription`` belongs to one tenant. Other apps do not read these rows: they ask
``apps.plans.entitlements.for_tenant(tenant)``.
"""

import json
import secrets

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q

from apps.tenants.tenancy import TenantOwnedModel
from ringnity.api.storable import validate_jsonb

#: Catalog keys and plan slugs, as the platform API accepts them (so a console edit survives a GET → PUT).
key_validator = RegexValidator(
    r"^[a-z0-9][a-z0-9_-]{0,63}\Z",
    "Use lowercase letters, digits, '_' or '-' (at most 64), starting with a letter or digit.",
)


CONFIG_MAX_DEPTH = 10
CONFIG_MAX_CHARS = 16_000


def validate_config(value) -> None:
    """A contract's free-form ``config``: storable as ``jsonb`` and small."""
    validate_jsonb(value, max_depth=CONFIG_MAX_DEPTH)
    if len(json.dumps(value)) > CONFIG_MAX_CHARS:
        raise ValidationError(f"At most {CONFIG_MAX_CHARS} characters of JSON.")


def plan_public_id() -> str:
    return f"pln_{secrets.token_hex(8)}"


class FeatureStatus(models.TextChoices):
    STABLE = "stable", "Stable"
    BETA = "beta", "Beta"
    DEPRECATED = "deprecated", "Deprecated"


class FeatureKey(models.Model):
    """A switchable capability (``chat``, ``webhooks``, ...). ``status=beta`` surfaces as capability ``beta``."""

    key = models.SlugField(max_length=64, unique=True, validators=[key_validator])
    name = models.CharField(max_length=120)
    category = models.CharField(max_length=64, default="core")
    description = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=FeatureStatus.choices, default=FeatureStatus.STABLE)
    sort_order = models.IntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "key"]

    def __str__(self) -> str:
        return self.key


class QuotaKey(models.Model):
    """A countable limit (``agents``, ``ai_chat_replies``, ...)."""

    key = models.SlugField(max_length=64, unique=True, validators=[key_validator])
    name = models.CharField(max_length=120)
    unit = models.CharField(max_length=40, default="item")
    category = models.CharField(max_length=64, default="core")
    description = models.TextField(blank=True)
    sort_order = models.IntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "key"]

    def __str__(self) -> str:
        return self.key


class Plan(models.Model):
    """A plan; inactive plans are no longer offered but keep serving their subscribers."""

    public_id = models.CharField(max_length=32, unique=True, default=plan_public_id, editable=False)
    slug = models.SlugField(max_length=64, unique=True, validators=[key_validator])
    name = models.CharField(max_length=120)
    sort_order = models.IntegerField(default=0)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["sort_order", "slug"]

    def __str__(self) -> str:
        return self.name


class PlanFeature(models.Model):
    """Whether ``plan`` includes ``feature``, plus free-form config (e.g. ``{"maxParticipants": 4}``)."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="features")
    feature = models.ForeignKey(FeatureKey, on_delete=models.CASCADE, related_name="plan_contracts")
    enabled = models.BooleanField(default=False)
    config = models.JSONField(default=dict, blank=True, validators=[validate_config])

    class Meta:
        ordering = ["plan__sort_order", "feature__sort_order"]
        constraints = [models.UniqueConstraint(fields=["plan", "feature"], name="plan_feature_unique")]

    def __str__(self) -> str:
        return f"{self.plan_id}:{self.feature_id}"


class QuotaValueType(models.TextChoices):
    NUMBER = "number", "Number"
    UNLIMITED = "unlimited", "Unlimited"
    CUSTOM = "custom", "Custom (negotiated, not enforced)"
    DISABLED = "disabled", "Disabled"


class PlanQuota(models.Model):
    """A plan's limit for one quota key. ``limit_value`` is set exactly when ``value_type`` is ``number``."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="quotas")
    quota = models.ForeignKey(QuotaKey, on_delete=models.CASCADE, related_name="plan_contracts")
    value_type = models.CharField(max_length=12, choices=QuotaValueType.choices)
    limit_value = models.BigIntegerField(null=True, blank=True)
    reset_period = models.CharField(max_length=20, blank=True, help_text="e.g. monthly; blank = never resets")
    config = models.JSONField(default=dict, blank=True, validators=[validate_config])

    class Meta:
        ordering = ["plan__sort_order", "quota__sort_order"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "quota"], name="plan_quota_unique"),
            models.CheckConstraint(
                condition=(Q(value_type="number") & Q(limit_value__isnull=False) & Q(limit_value__gte=0))
                | (~Q(value_type="number") & Q(limit_value__isnull=True)),
                name="plan_quota_limit_matches_type",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan_id}:{self.quota_id}"


class SubscriptionStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    TRIALING = "trialing", "Trialing"
    PAST_DUE = "past_due", "Past due (grace)"
    CANCELED = "canceled", "Canceled"


#: Statuses whose plan the tenant gets; any other status falls back to the ``free`` plan.
GRANTING_STATUSES = frozenset({SubscriptionStatus.ACTIVE, SubscriptionStatus.TRIALING, SubscriptionStatus.PAST_DUE})


class Subscription(TenantOwnedModel):
    """The tenant's current plan (one row per tenant)."""

    tenant = models.OneToOneField("tenants.Tenant", on_delete=models.CASCADE, related_name="subscription")
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="subscriptions")
    status = models.CharField(max_length=12, choices=SubscriptionStatus.choices, default=SubscriptionStatus.ACTIVE)
    current_period_start = models.DateTimeField(null=True, blank=True)
    current_period_end = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["plan", "status"], name="subscription_plan_status")]

    def __str__(self) -> str:
        return f"{self.plan} ({self.get_status_display().lower()})"
