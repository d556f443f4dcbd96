"""The contract's Platform Administration operations.

Sessions are platform-scope simplejwt tokens (``apps.identity.sessions``); every other
operation accepts only a ``PlatformBearer`` principal. Reads need ``platform:read``;
writes also need ``platform:write``, which ``platform_support`` operators lack (403).
"""

from django.contrib.auth import authenticate
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.billing import pricing
from apps.billing import selectors as billing_selectors
from apps.billing import services as billing_services
from apps.identity.authentication import PLATFORM_READ, PLATFORM_WRITE, PlatformJWTAuthentication
from apps.identity.sessions import SessionScope, session_issue, session_refresh
from apps.plans import catalog
from apps.plans import services as plan_services
from apps.platform.api import serializers as s
from apps.tenants.selectors import tenant_by_client_id_cross_tenant
from ringnity.api.errors import ApiError, ErrorCode, validation_failed
from ringnity.api.exceptions import flatten_errors
from ringnity.api.identifiers import login_email
from ringnity.api.principal import PrincipalKind
from ringnity.api.throttling import LoginThrottle, client_ip
from ringnity.api.views import PublicAPIView, require_body

TAGS = ["Platform Administration"]
login_throttle = LoginThrottle("platform-login")
READ = {PLATFORM_READ}
WRITE = {PLATFORM_READ, PLATFORM_WRITE}


class PlatformLoginView(PublicAPIView):
    @extend_schema(
        operation_id="loginPlatformAdmin",
        tags=TAGS,
        request=s.PlatformLoginInput,
        responses={200: s.PlatformSessionOutput},
    )
    def post(self, request):
        data = s.PlatformLoginInput(data=request.data)
        data.is_valid(raise_exception=True)
        # Counted under the address the operator lookup uses (ringnity.api.identifiers).
        email, ip = data.validated_data["email"], client_ip(request)
        account = login_email(email) or email
        login_throttle.check(ip=ip, account=account)
        user = authenticate(request, username=email, password=data.validated_data["password"])
        if user is None:
            login_throttle.record_failure(ip=ip, account=account)
            # One answer for unknown e-mail, wrong password and disabled operator: no enumeration.
            raise ApiError(ErrorCode.AUTH_INVALID_CREDENTIALS, "Invalid e-mail or password.", status=401)
        login_throttle.reset(account=account)
        return Response(s.session_data(session_issue(user=user, scope=SessionScope.PLATFORM)))


class PlatformRefreshView(PublicAPIView):
    @extend_schema(
        operation_id="refreshPlatformAdminSession",
        tags=TAGS,
        request=s.PlatformRefreshInput,
        responses={200: s.PlatformSessionOutput},
    )
    def post(self, request):
        data = s.PlatformRefreshInput(data=request.data)
        data.is_valid(raise_exception=True)
        tokens = session_refresh(refresh_token=data.validated_data["refreshToken"], scope=SessionScope.PLATFORM)
        return Response(s.session_data(tokens))


class PlatformAPIView(APIView):
    """PlatformBearer only; GET needs platform:read, writes platform:write."""

    authentication_classes = [PlatformJWTAuthentication]
    accepted_principals = {PrincipalKind.PLATFORM}
    required_scopes = {"GET": READ, "POST": WRITE, "PUT": WRITE, "PATCH": WRITE, "DELETE": WRITE}

    @property
    def operator(self):
        return self.request.auth.user


class PlanContractsView(PlatformAPIView):
    @extend_schema(operation_id="getPlatformPlanContracts", tags=TAGS, responses={200: s.PlanContractCatalogIO})
    def get(self, request):
        return Response(catalog.catalog_read())

    @extend_schema(
        operation_id="updatePlatformPlanContracts",
        tags=TAGS,
        request=s.PlanContractCatalogIO,
        responses={200: s.PlanContractCatalogIO},
    )
    def put(self, request):
        data = s.PlanContractCatalogIO(data=request.data)
        if not data.is_valid():
            # Shape errors and the catalog's cross-field problems in one answer.
            details = flatten_errors(data.errors) + catalog.catalog_problems(request.data)
            raise validation_failed(list(dict.fromkeys(details)))
        return Response(plan_services.plan_catalog_replace(catalog_data=data.validated_data))


_PRICING_SCHEMA = s.AiPricingCatalogOutput


class AiPricingView(PlatformAPIView):
    @extend_schema(operation_id="getPlatformAiPricing", tags=TAGS, responses={200: _PRICING_SCHEMA})
    def get(self, request):
        return Response(pricing.catalog_data(billing_selectors.ai_pricing()))

    @extend_schema(
        operation_id="updatePlatformAiPricing",
        tags=TAGS,
        request=s.AiPricingSettingsUpdateInput,
        responses={200: _PRICING_SCHEMA},
    )
    def put(self, request):
        require_body(request)
        data = s.AiPricingSettingsUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        row = billing_services.ai_pricing_update(changes=data.to_model_changes(), actor=self.operator)
        return Response(pricing.catalog_data(row))


class AiBalanceOverviewView(PlatformAPIView):
    @extend_schema(
        operation_id="getPlatformAiBalance",
        tags=TAGS,
        responses={200: s.AiBalanceOverviewOutput},
    )
    def get(self, request):
        return Response(billing_selectors.ai_balance_overview_cross_tenant())


CLIENT_ID = OpenApiParameter("clientId", str, OpenApiParameter.PATH, description="The tenant's public id.")
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="A repeat with the same key returns the first result and adds nothing.",
)


class AiBalanceTopUpView(PlatformAPIView):
    @extend_schema(
        operation_id="topUpPlatformAiBalance",
        tags=TAGS,
        parameters=[CLIENT_ID, IDEMPOTENCY_KEY],
        request=s.AiBalanceTopUpInput,
        responses={200: s.AiBalanceTopUpOutput},
    )
    def post(self, request, clientId: str):
        tenant = tenant_by_client_id_cross_tenant(clientId)
        data = s.AiBalanceTopUpInput(data=request.data)
        data.is_valid(raise_exception=True)
        change = billing_services.ai_balance_top_up(
            tenant=tenant,
            amount_cents=data.validated_data["amountCents"],
            note=data.validated_data["notes"],
            actor=self.operator,
            idempotency_key=request.headers.get("Idempotency-Key", ""),
        )
        return Response(
            {
                "clientId": change.client_id,
                "amountCents": change.amount_cents,
                "balanceBeforeCents": change.balance_before_cents,
                "balanceAfterCents": change.balance_after_cents,
            }
        )


class AiBalanceSettingsView(PlatformAPIView):
    @extend_schema(
        operation_id="updatePlatformAiBalanceTenantSettings",
        tags=TAGS,
        parameters=[CLIENT_ID],
        request=s.AiBalanceTenantSettingsInput,
        responses={200: s.AiBalanceTenantSettingsResultOutput},
    )
    def put(self, request, clientId: str):
        tenant = tenant_by_client_id_cross_tenant(clientId)
        data = s.AiBalanceTenantSettingsInput(data=request.data)
        data.is_valid(raise_exception=True)
        billing_services.ai_balance_settings_update(tenant=tenant, changes=data.to_model_changes())
        return Response({"clientId": tenant.public_id})
