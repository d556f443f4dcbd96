"""Input and output shapes of the Dashboard Auth operations."""

from __future__ import annotations

from rest_framework import serializers

from apps.identity.services import workspace_base_url
from apps.identity.sessions import SessionTokens
from apps.plans import entitlements
from apps.tenants.models import StaffRole, Tenant, User
from ringnity.api.serializers import InputSerializer, QuerySerializer

# --- Input ------------------------------------------------------------------


class OwnerLoginInput(InputSerializer):
    email = serializers.CharField(max_length=254, trim_whitespace=True)
    password = serializers.CharField(max_length=1024, trim_whitespace=False, style={"input_type": "password"})


class OwnerGoogleLoginInput(InputSerializer):
    idToken = serializers.CharField(max_length=8192)


class RefreshTokenInput(InputSerializer):
    refreshToken = serializers.CharField(required=False, allow_blank=True, max_length=4096)


class WorkspaceLoginInput(InputSerializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=1024, trim_whitespace=False, style={"input_type": "password"})


class AutoLoginQuery(QuerySerializer):
    token = serializers.CharField(max_length=256)


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


class OwnerGoogleLoginOutput(serializers.Serializer):
    """A session for a known owner, or only the Google profile when the e-mail has no owner yet."""

    requiresRegistration = serializers.BooleanField()
    client = OwnerClientOutput(required=False)
    admin = OwnerAdminOutput(required=False)
    subscription = OwnerSubscriptionOutput(required=False)
    accessToken = serializers.CharField(required=False)
    refreshToken = serializers.CharField(required=False)
    expiresIn = serializers.IntegerField(required=False)
    sessionToken = serializers.CharField(required=False, help_text="Deprecated alias of accessToken.")
    dashboardUrl = serializers.URLField(required=False)
    googleProfile = serializers.DictField(required=False)


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
