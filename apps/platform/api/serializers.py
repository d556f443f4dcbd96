"""Input/Output serializers of the platform API (field names as in the contract)."""

from decimal import Decimal

from rest_framework import serializers

from apps.billing.pricing import SETTINGS_FIELDS
from apps.billing.services import MAX_TOP_UP_CENTS
from apps.plans.models import FeatureStatus, QuotaValueType, validate_config
from apps.tenants.models import PlatformRole
from ringnity.api.outputs import UTCDateTimeField
from ringnity.api.serializers import InputSerializer

KEY_REGEX = r"^[a-z0-9][a-z0-9_-]{0,63}$"
KEY_MESSAGE = "Use lowercase letters, digits, '_' or '-' (at most 64)."
#: The columns' ranges (PostgreSQL integer / bigint): a larger number is a 400, not a database error.
INT32 = {"min_value": -(2**31), "max_value": 2**31 - 1}
BIGINT_MAX = 2**63 - 1


# --- sessions ----------------------------------------------------------------


class PlatformLoginInput(InputSerializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=256, trim_whitespace=False)


class PlatformRefreshInput(InputSerializer):
    refreshToken = serializers.CharField(max_length=4096)


class PlatformSessionOutput(serializers.Serializer):
    adminId = serializers.CharField()
    email = serializers.EmailField()
    name = serializers.CharField()
    role = serializers.ChoiceField(choices=PlatformRole.choices)
    accessToken = serializers.CharField()
    refreshToken = serializers.CharField()
    expiresIn = serializers.IntegerField()


def session_data(tokens) -> dict:
    user = tokens.user
    return {
        "adminId": user.public_id,
        "email": user.email,
        "name": user.display_name,
        "role": user.platform_role,
        "accessToken": tokens.access,
        "refreshToken": tokens.refresh,
        "expiresIn": tokens.expires_in,
    }


# --- plan contracts ------------------------------------------------------------


class FeatureKeyIO(serializers.Serializer):
    featureKey = serializers.RegexField(KEY_REGEX, error_messages={"invalid": KEY_MESSAGE})
    name = serializers.CharField(max_length=120)
    category = serializers.CharField(max_length=64)
    description = serializers.CharField(allow_blank=True, max_length=2000)
    status = serializers.ChoiceField(choices=FeatureStatus.choices)
    sortOrder = serializers.IntegerField(**INT32)


class QuotaKeyIO(serializers.Serializer):
    quotaKey = serializers.RegexField(KEY_REGEX, error_messages={"invalid": KEY_MESSAGE})
    name = serializers.CharField(max_length=120)
    unit = serializers.CharField(max_length=40)
    category = serializers.CharField(max_length=64)
    description = serializers.CharField(allow_blank=True, max_length=2000)
    sortOrder = serializers.IntegerField(**INT32)


class PlanFeatureContractIO(serializers.Serializer):
    planId = serializers.CharField(required=False)
    featureKey = serializers.CharField(required=False)
    enabled = serializers.BooleanField()
    config = serializers.DictField(required=False, default=dict, validators=[validate_config])


class PlanQuotaContractIO(serializers.Serializer):
    planId = serializers.CharField(required=False)
    quotaKey = serializers.CharField(required=False)
    valueType = serializers.ChoiceField(choices=QuotaValueType.choices)
    limitValue = serializers.IntegerField(required=False, allow_null=True, default=None, max_value=BIGINT_MAX)
    resetPeriod = serializers.CharField(required=False, allow_null=True, allow_blank=True, max_length=20, default=None)
    config = serializers.DictField(required=False, default=dict, validators=[validate_config])


class PlanContractPlanIO(serializers.Serializer):
    planId = serializers.CharField(required=False, help_text="Ignored on input: plans are matched by slug.")
    slug = serializers.RegexField(KEY_REGEX, error_messages={"invalid": KEY_MESSAGE})
    name = serializers.CharField(max_length=120)
    sortOrder = serializers.IntegerField(**INT32)
    isActive = serializers.BooleanField()
    features = serializers.DictField(child=PlanFeatureContractIO())
    quotas = serializers.DictField(child=PlanQuotaContractIO())


class PlanContractCatalogIO(InputSerializer):
    featureKeys = FeatureKeyIO(many=True)
    quotaKeys = QuotaKeyIO(many=True)
    plans = PlanContractPlanIO(many=True)


# --- AI pricing ------------------------------------------------------------------

_MONEY = {"max_digits": 12, "decimal_places": 6, "coerce_to_string": False, "min_value": Decimal(0)}


class AiPricingSettingsUpdateInput(InputSerializer):
    """Partial: omitted fields keep their value. Validated per contract (markup >= 1.1, ...)."""

    provider = serializers.CharField(required=False, max_length=40)
    currency = serializers.RegexField(r"^[A-Z]{3}$", required=False)
    chatModel = serializers.CharField(required=False, max_length=80)
    voiceModel = serializers.CharField(required=False, max_length=80)
    inputCostPer1mUsd = serializers.DecimalField(required=False, **_MONEY)
    cachedInputCostPer1mUsd = serializers.DecimalField(required=False, **_MONEY)
    outputCostPer1mUsd = serializers.DecimalField(required=False, **_MONEY)
    voiceCostPerMinuteUsd = serializers.DecimalField(required=False, **_MONEY)
    markupMultiplier = serializers.DecimalField(
        required=False, min_value=Decimal("1.1"), max_digits=8, decimal_places=4, coerce_to_string=False
    )
    riskBufferPercent = serializers.DecimalField(
        required=False,
        min_value=Decimal(0),
        max_value=Decimal(1000),
        max_digits=8,
        decimal_places=4,
        coerce_to_string=False,
    )
    replyUnitInputTokens = serializers.IntegerField(required=False, min_value=0, max_value=10**9)
    replyUnitOutputTokens = serializers.IntegerField(required=False, min_value=0, max_value=10**9)
    voiceUnitSeconds = serializers.IntegerField(required=False, min_value=1, max_value=86400)
    maxInputTokens = serializers.IntegerField(required=False, min_value=0, max_value=10**9)
    maxOutputTokens = serializers.IntegerField(required=False, min_value=0, max_value=10**9)
    maxContextMessages = serializers.IntegerField(required=False, min_value=0, max_value=10**6)
    maxKnowledgeChunks = serializers.IntegerField(required=False, min_value=0, max_value=10**6)
    maxRetries = serializers.IntegerField(required=False, min_value=0, max_value=100)
    maxToolCalls = serializers.IntegerField(required=False, min_value=0, max_value=1000)
    dailySpendLimitCents = serializers.IntegerField(required=False, min_value=0, max_value=10**12)
    monthlySpendLimitCents = serializers.IntegerField(required=False, min_value=0, max_value=10**12)
    lowBalanceThresholdCents = serializers.IntegerField(required=False, min_value=0, max_value=10**12)

    def to_model_changes(self) -> dict:
        return {SETTINGS_FIELDS[name]: value for name, value in self.validated_data.items()}


# --- AI balance ------------------------------------------------------------------


class AiBalanceTopUpInput(InputSerializer):
    amountCents = serializers.IntegerField(required=False, min_value=1, max_value=MAX_TOP_UP_CENTS)
    amountUsd = serializers.DecimalField(
        required=False,
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=Decimal(MAX_TOP_UP_CENTS) / 100,
        coerce_to_string=False,
    )
    notes = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")

    def validate(self, attrs):
        has_cents, has_usd = "amountCents" in attrs, "amountUsd" in attrs
        if has_cents == has_usd:
            raise serializers.ValidationError({"amountCents": ["Send exactly one of amountCents or amountUsd."]})
        if has_usd:
            # Decimal from the JSON text: 19.99 -> Decimal("19.99") -> 1999, no float drift.
            attrs["amountCents"] = int(attrs.pop("amountUsd") * 100)
        return attrs


class AiBalanceTopUpOutput(serializers.Serializer):
    clientId = serializers.CharField()
    amountCents = serializers.IntegerField()
    balanceBeforeCents = serializers.IntegerField()
    balanceAfterCents = serializers.IntegerField()


class AiBalanceTenantSettingsInput(InputSerializer):
    overageEnabled = serializers.BooleanField(required=False)
    blockOnZero = serializers.BooleanField(required=False)
    autoTopUpEnabled = serializers.BooleanField(required=False)
    autoTopUpThresholdCents = serializers.IntegerField(required=False, min_value=0, max_value=10**11)
    autoTopUpAmountCents = serializers.IntegerField(required=False, min_value=0, max_value=10**11)

    FIELD_MAP = {
        "overageEnabled": "overage_enabled",
        "blockOnZero": "block_on_zero",
        "autoTopUpEnabled": "auto_top_up_enabled",
        "autoTopUpThresholdCents": "auto_top_up_threshold_cents",
        "autoTopUpAmountCents": "auto_top_up_amount_cents",
    }

    def to_model_changes(self) -> dict:
        return {self.FIELD_MAP[name]: value for name, value in self.validated_data.items()}


# --- output shapes for the generated schema (views return plain dicts of this shape) ---------------


class AiPricingSettingsOutput(AiPricingSettingsUpdateInput):
    updatedAt = UTCDateTimeField(allow_null=True)

    def get_fields(self):
        fields = super().get_fields()
        for field in fields.values():
            field.required = True
        return fields


class AiPricingDerivedOutput(serializers.Serializer):
    internalReplyUsd = serializers.FloatField()
    retailReplyUsd = serializers.FloatField()
    retailPer1000RepliesUsd = serializers.FloatField()
    internalVoiceMinuteUsd = serializers.FloatField()
    retailVoiceMinuteUsd = serializers.FloatField()
    grossMarginPercent = serializers.FloatField()


class AiPricingCatalogOutput(serializers.Serializer):
    settings = AiPricingSettingsOutput()
    derived = AiPricingDerivedOutput()


class AiTenantUsageOutput(serializers.Serializer):
    chatReplies = serializers.IntegerField()
    voiceMinutes = serializers.IntegerField()
    voiceEvents = serializers.IntegerField()
    audioSeconds = serializers.IntegerField()
    inputTokens = serializers.IntegerField()
    outputTokens = serializers.IntegerField()
    totalTokens = serializers.IntegerField()


class AiTenantIncludedOutput(serializers.Serializer):
    chatReplies = serializers.IntegerField(allow_null=True, help_text="Null: unlimited or custom.")
    chatLabel = serializers.CharField()
    voiceMinutes = serializers.IntegerField(allow_null=True, help_text="Null: unlimited or custom.")
    voiceLabel = serializers.CharField()


class AiTenantOverageOutput(serializers.Serializer):
    chatReplies = serializers.IntegerField()
    voiceMinutes = serializers.IntegerField()
    estimatedInternalCostCents = serializers.IntegerField()
    estimatedRetailChargeCents = serializers.IntegerField()
    estimatedOverageChargeCents = serializers.IntegerField()
    projectedBalanceAfterCents = serializers.IntegerField()


class AiTenantBalanceOutput(serializers.Serializer):
    tenantId = serializers.CharField()
    tenantName = serializers.CharField()
    tenantEmail = serializers.EmailField()
    tenantSlug = serializers.CharField()
    planId = serializers.CharField(allow_null=True)
    planSlug = serializers.CharField()
    planName = serializers.CharField()
    currency = serializers.CharField()
    balanceCents = serializers.IntegerField()
    totalTopUpCents = serializers.IntegerField()
    totalUsageCents = serializers.IntegerField()
    overageEnabled = serializers.BooleanField()
    blockOnZero = serializers.BooleanField()
    autoTopUpEnabled = serializers.BooleanField()
    autoTopUpThresholdCents = serializers.IntegerField()
    autoTopUpAmountCents = serializers.IntegerField()
    lastTopUpAt = UTCDateTimeField(allow_null=True)
    usage = AiTenantUsageOutput()
    included = AiTenantIncludedOutput()
    overage = AiTenantOverageOutput()
    alertLevel = serializers.ChoiceField(choices=["ok", "low", "critical", "empty"])


class AiBalanceSummaryOutput(serializers.Serializer):
    totalTenants = serializers.IntegerField()
    totalBalanceCents = serializers.IntegerField()
    totalEstimatedOverageCents = serializers.IntegerField()
    totalEstimatedRetailChargeCents = serializers.IntegerField()
    totalEstimatedInternalCostCents = serializers.IntegerField()
    totalChatReplies = serializers.IntegerField()
    totalVoiceMinutes = serializers.IntegerField()
    emptyCount = serializers.IntegerField()
    criticalCount = serializers.IntegerField()
    lowCount = serializers.IntegerField()


class AiBalanceOverviewOutput(serializers.Serializer):
    summary = AiBalanceSummaryOutput()
    tenants = AiTenantBalanceOutput(many=True)
    pricing = AiPricingCatalogOutput()
    checkedAt = UTCDateTimeField()


class AiBalanceTenantSettingsResultOutput(serializers.Serializer):
    clientId = serializers.CharField()
