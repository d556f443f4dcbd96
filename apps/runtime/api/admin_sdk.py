"""Admin SDK reads (RuntimeBearer of kind admin, scope ``admin:read``), each scoped to the token's tenant."""

from django.urls import path
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response

from apps.developer.api.serializers import TenantOutput
from apps.runtime import selectors
from apps.runtime.api.serializers import RuntimeReadinessOutput, RuntimeServiceCapabilityOutput
from apps.runtime.tokens import ADMIN_READ, RuntimeBearerAuthentication
from ringnity.api.principal import PrincipalKind
from ringnity.api.views import TenantAPIView

TAGS = ["Admin Reports"]


class AdminSdkView(TenantAPIView):
    authentication_classes = [RuntimeBearerAuthentication]
    accepted_principals = {PrincipalKind.ADMIN_SDK}
    required_scopes = {"GET": {ADMIN_READ}}


class AdminTenantView(AdminSdkView):
    @extend_schema(
        operation_id="getAdminTenant",
        tags=TAGS,
        summary="Read tenant and admin identity for admin/reporting SDKs.",
        responses={200: inline_serializer("AdminTenant", {"tenant": TenantOutput(), "admin": serializers.DictField()})},
    )
    def get(self, request):
        principal = self.principal
        context = principal.claims.get("ctx", {})
        admin = {
            "actorId": principal.subject,
            "name": context.get("name", ""),
            "role": context.get("role", ""),
            "scopes": sorted(principal.scopes),
        }
        return Response({"tenant": TenantOutput(self.tenant).data, "admin": admin})


class AdminReadinessView(AdminSdkView):
    @extend_schema(
        operation_id="getAdminReadiness",
        tags=TAGS,
        summary="Read tenant readiness for admin/reporting SDKs.",
        responses={200: RuntimeReadinessOutput},
    )
    def get(self, request):
        return Response(selectors.tenant_readiness(tenant=self.tenant))


class AdminDomainsView(AdminSdkView):
    @extend_schema(
        operation_id="getAdminDomains",
        tags=TAGS,
        summary="Read allowed SDK domains.",
        responses={
            200: inline_serializer(
                "AdminDomains", {"allowedDomains": serializers.ListField(child=serializers.CharField())}
            )
        },
    )
    def get(self, request):
        return Response({"allowedDomains": selectors.allowed_domains(tenant=self.tenant)})


class AdminServicesView(AdminSdkView):
    @extend_schema(
        operation_id="getAdminServices",
        tags=TAGS,
        summary="Read service capabilities and admin enablement.",
        responses={
            200: inline_serializer(
                "AdminServices",
                {"capabilities": serializers.DictField(), "services": RuntimeServiceCapabilityOutput(many=True)},
            )
        },
    )
    def get(self, request):
        return Response(selectors.admin_services(tenant=self.tenant))


class AdminSubscriptionView(AdminSdkView):
    @extend_schema(
        operation_id="getAdminSubscription",
        tags=TAGS,
        summary="Read subscription and plan data.",
        responses={200: inline_serializer("AdminSubscription", {"subscription": serializers.DictField()})},
    )
    def get(self, request):
        return Response({"subscription": selectors.admin_subscription(tenant=self.tenant)})


class AdminAiReadinessView(AdminSdkView):
    @extend_schema(
        operation_id="getAdminAiReadiness",
        tags=TAGS,
        summary="Read AI readiness for the tenant.",
        responses={
            200: inline_serializer(
                "AdminAiReadiness", {"ai": serializers.DictField(), "canUseAiFeature": serializers.BooleanField()}
            )
        },
    )
    def get(self, request):
        return Response(selectors.admin_ai_readiness(tenant=self.tenant))


class AdminStaffSummaryView(AdminSdkView):
    @extend_schema(
        operation_id="getAdminStaffSummary",
        tags=TAGS,
        summary="Read staff and department summary data.",
        responses={
            200: inline_serializer(
                "AdminStaffSummary",
                {
                    "totalStaff": serializers.IntegerField(),
                    "byRole": serializers.DictField(child=serializers.IntegerField()),
                    "byPresence": serializers.DictField(child=serializers.IntegerField()),
                    "departments": serializers.ListField(child=serializers.DictField()),
                    "agentsOnline": serializers.IntegerField(),
                    "agentsTotal": serializers.IntegerField(),
                },
            )
        },
    )
    def get(self, request):
        return Response(selectors.staff_summary(tenant=self.tenant))


urlpatterns = [
    path("admin-sdk/tenant", AdminTenantView.as_view(), name="admin-sdk-tenant"),
    path("admin-sdk/readiness", AdminReadinessView.as_view(), name="admin-sdk-readiness"),
    path("admin-sdk/domains", AdminDomainsView.as_view(), name="admin-sdk-domains"),
    path("admin-sdk/services", AdminServicesView.as_view(), name="admin-sdk-services"),
    path("admin-sdk/subscription", AdminSubscriptionView.as_view(), name="admin-sdk-subscription"),
    path("admin-sdk/ai-readiness", AdminAiReadinessView.as_view(), name="admin-sdk-ai-readiness"),
    path("admin-sdk/staff-summary", AdminStaffSummaryView.as_view(), name="admin-sdk-staff-summary"),
]
