"""Input and output shapes of the Dashboard Auth and Developer Settings operations."""

from __future__ import annotations

from rest_framework import serializers

from apps.platform import entitlements
from apps.tenants.auth_services import workspace_base_url
from apps.tenants.models import ServiceKey, StaffRole, Tenant, User
from apps.tenants.sessions import SessionTokens

# --- Input ------------------------------------------------------------------


class OwnerLoginInput(serializers.Serializer):
    email = serializers.CharField(max_length=254, trim_whitespace=True)
    password = serializers.CharField(max_length=1024, trim_whitespace=False, style={"input_type": "password"})


class OwnerGoogleLoginInput(serializers.Serializer):
    idToken = serializers.CharField(max_length=8192)


class RefreshTokenInput(serializers.Serializer):
    refreshToken = serializers.CharField(required=False, allow_blank=True, max_length=4096)


class WorkspaceLoginInput(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=1024, trim_whitespace=False, style={"input_type": "password"})


class AutoLoginQuery(serializers.Serializer):
    token = serializers.CharField(max_length=256)


class AllowedDomainsInput(serializers.Serializer):
    # Entries of any JSON type (null too) reach the service, which reports every bad one in one answer.
    allowedDomains = serializers.ListField(child=serializers.JSONField(allow_null=True), allow_empty=True)


class DeveloperTestInput(serializers.Serializer):
    origin = serializers.CharField(required=False, allow_blank=True, max_length=500)
    slug = serializers.CharField(required=False, allow_blank=True, max_length=100)
    service = serializers.ChoiceField(
        required=False,
        choices=ServiceKey.values,
        # DRF's default message echoes the input, which may hold a lone surrogate that cannot be rendered.
        error_messages={"invalid_choice": f"Not a known service; use one of {', '.join(ServiceKey.values)}."},
    )


class ServerCredentialCreateInput(serializers.Serializer):
    """Shape only (null too); the service checks every value so every bad field is reported together."""

    name = serializers.JSONField(allow_null=True)
    environment = serializers.JSONField(required=False, default="live", allow_null=True)
    scopes = serializers.JSONField(allow_null=True)


class ServerCredentialUpdateInput(serializers.Serializer):
    name = serializers.JSONField(required=False, allow_null=True)
    environment = serializers.JSONField(required=False, allow_null=True)
    scopes = serializers.JSONField(required=False, allow_null=True)
    isActive = serializers.JSONField(required=False, allow_null=True)


# --- Output: owner and workspace sessions -----------------------------------


class OwnerClientOutput(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField(allow_null=True)
    email = serializers.EmailField()
    slug = serializers.CharField()
    companyName = serializers.CharField(allow_null=True)
    logoUrl = serializers.CharField(allow_null=True)
    phone = serializers.CharField(allow_null=True)
    industry = serializers.CharField(allow_null=True)
    isActive = serializers.BooleanField()
    onboardingCompleted = serializers.BooleanField()
    apiKey = serializers.CharField(help_text="The tenant's public widget key.")


class OwnerAdminOutput(serializers.Serializer):
    agentId = serializers.CharField()
    username = serializers.CharField()
    name = serializers.CharField()


class OwnerSubscriptionOutput(serializers.Serializer):
    planName = serializers.CharField()
    planSlug = serializers.CharField()
    status = serializers.CharField()


class OwnerMeOutput(serializers.Serializer):
    client = OwnerClientOutput()
    admin = OwnerAdminOutput(allow_null=True)
    subscription = OwnerSubscriptionOutput()
    dashboardUrl = serializers.URLField()


class OwnerRefreshOutput(serializers.Serializer):
    accessToken = serializers.CharField()
    refreshToken = serializers.CharField()
    expiresIn = serializers.IntegerField()
    sessionToken = serializers.CharField(help_text="Deprecated alias of accessToken.")


class OwnerSessionOutput(OwnerMeOutput, OwnerRefreshOutput):
    pass


class OwnerGoogleLoginOutput(OwnerSessionOutput):
    requiresRegistration = serializers.BooleanField()
    googleProfile = serializers.DictField()


class WorkspaceAgentOutput(serializers.Serializer):
    agentId = serializers.CharField()
    username = serializers.CharField()
    name = serializers.CharField()
    isOwner = serializers.BooleanField()
    isAdmin = serializers.BooleanField()
    role = serializers.ChoiceField(choices=StaffRole.values)
    clientId = serializers.CharField()
    clientSlug = serializers.CharField()
    profileImage = serializers.CharField(allow_null=True)
    typeCall = serializers.CharField(allow_null=True)
    department = serializers.DictField(required=False)
    position = serializers.DictField(required=False)


class WorkspaceRefreshOutput(serializers.Serializer):
    accessToken = serializers.CharField()
    refreshToken = serializers.CharField()
    expiresIn = serializers.IntegerField()


class WorkspaceSessionOutput(WorkspaceRefreshOutput):
    token = serializers.CharField(help_text="Deprecated alias of accessToken.")
    agent = WorkspaceAgentOutput()
    agentId = serializers.CharField()
    username = serializers.CharField()
    name = serializers.CharField()


class WorkspaceEntryTokenOutput(serializers.Serializer):
    autoLoginToken = serializers.CharField()
    dashboardUrl = serializers.URLField()
    expiresIn = serializers.IntegerField()


def owner_client_data(tenant: Tenant, owner: User) -> dict:
    return {
        "id": tenant.public_id,
        "name": tenant.name or None,
        "email": tenant.email or owner.email,
        "slug": tenant.slug,
        "companyName": tenant.company_name or None,
        "logoUrl": tenant.logo_url or None,
        "phone": tenant.phone or None,
        "industry": tenant.industry or None,
        "isActive": tenant.is_active,
        "onboardingCompleted": tenant.onboarding_completed,
        "apiKey": tenant.public_widget_key,
    }


def owner_profile_data(owner: User) -> dict:
    tenant = owner.tenant
    ent = entitlements.for_tenant(tenant)
    return {
        "client": owner_client_data(tenant, owner),
        "admin": {"agentId": owner.public_id, "username": owner.username, "name": owner.display_name},
        "subscription": {
            "planName": ent.plan_name or "No plan",
            "planSlug": ent.plan_slug or "none",
            "status": ent.subscription_status,
        },
        "dashboardUrl": workspace_base_url(tenant),
    }


def token_pair_data(tokens: SessionTokens) -> dict:
    return {"accessToken": tokens.access, "refreshToken": tokens.refresh, "expiresIn": tokens.expires_in}


def owner_session_data(tokens: SessionTokens) -> dict:
    return {**owner_profile_data(tokens.user), **token_pair_data(tokens), "sessionToken": tokens.access}


def workspace_agent_data(user: User) -> dict:
    data = {
        "agentId": user.public_id,
        "username": user.username,
        "name": user.display_name,
        "isOwner": user.role == StaffRole.OWNER,
        "isAdmin": user.role in (StaffRole.OWNER, StaffRole.ADMIN),
        "role": user.role,
        "clientId": user.tenant.public_id,
        "clientSlug": user.tenant.slug,
        "profileImage": user.profile_image or None,
        "typeCall": None,
    }
    if user.department_id:
        data["department"] = {"id": user.department.public_id, "name": user.department.name}
    if user.position_id:
        data["position"] = {"id": user.position.public_id, "name": user.position.name}
    return data


def workspace_session_data(tokens: SessionTokens) -> dict:
    user = tokens.user
    return {
        **token_pair_data(tokens),
        "token": tokens.access,
        "agent": workspace_agent_data(user),
        "agentId": user.public_id,
        "username": user.username,
        "name": user.display_name,
    }


# --- Output: developer settings ---------------------------------------------


class TenantOutput(serializers.Serializer):
    clientId = serializers.CharField(source="public_id")
    slug = serializers.CharField()
    name = serializers.CharField()
    companyName = serializers.CharField(source="company_name")
    email = serializers.EmailField(required=False)
    phone = serializers.CharField()
    timezone = serializers.CharField()
    isActive = serializers.BooleanField(source="is_active")

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not data.get("email"):
            data.pop("email", None)  # the contract's `format: email` has no empty value
        return data


class ServiceCapabilityOutput(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    status = serializers.CharField()
    allowed = serializers.BooleanField()
    reason = serializers.CharField()
    requiredFeatures = serializers.ListField(child=serializers.CharField())
    adminEnabled = serializers.BooleanField()
    sortOrder = serializers.IntegerField()


class DeveloperSettingsOutput(serializers.Serializer):
    tenant = TenantOutput()
    allowedDomains = serializers.ListField(child=serializers.CharField(), source="allowed_domains")
    publicKey = serializers.CharField(source="public_key")
    services = ServiceCapabilityOutput(many=True)


class ReadinessOutput(serializers.Serializer):
    ready = serializers.BooleanField()
    services = ServiceCapabilityOutput(many=True)
    ai = serializers.DictField()
    reports = serializers.DictField()
    tenant = serializers.DictField()
    origin = serializers.DictField(required=False)


class ServerCredentialOutput(serializers.Serializer):
    id = serializers.CharField(source="public_id")
    name = serializers.CharField()
    environment = serializers.CharField()
    scopes = serializers.ListField(child=serializers.CharField())
    isActive = serializers.BooleanField(source="is_active")
    secretPreview = serializers.CharField(source="secret_preview")
    lastUsedAt = serializers.DateTimeField(source="last_used_at", required=False)
    createdAt = serializers.DateTimeField(source="created_at")
    updatedAt = serializers.DateTimeField(source="updated_at")

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if data.get("lastUsedAt") is None:
            data.pop("lastUsedAt", None)  # never used: absent (the contract's date-time is not nullable)
        return data


class ServerCredentialEnvelopeOutput(serializers.Serializer):
    credential = ServerCredentialOutput()


class ServerCredentialSecretOutput(serializers.Serializer):
    credential = ServerCredentialOutput()
    secret = serializers.CharField(help_text="Returned once. Store only on your backend servers.")


class ServerCredentialListOutput(serializers.Serializer):
    credentials = ServerCredentialOutput(many=True)
