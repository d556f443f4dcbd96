"""Base views: public, and tenant-scoped (the tenant comes only from the principal)."""

from rest_framework.views import APIView

from ringnity.api.errors import ApiError, ErrorCode
from ringnity.api.permissions import PUBLIC


class PublicAPIView(APIView):
    """An operation anyone may call (health, login, bootstrap)."""

    authentication_classes: list = []
    accepted_principals = PUBLIC


class TenantAPIView(APIView):
    """An operation on one tenant's data.

    ``self.tenant`` is the authenticated principal's tenant; views pass it to
    selectors and services as ``tenant=`` so a query cannot forget the scope.
    Subclasses set ``authentication_classes`` and ``accepted_principals``.
    """

    @property
    def principal(self):
        return self.request.auth

    @property
    def tenant(self):
        tenant = getattr(self.request.auth, "tenant", None)
        if tenant is None:
            # Fail closed: a tenant view reached without a tenant-bound principal.
            raise ApiError(ErrorCode.PERMISSION_DENIED, "No tenant is bound to this credential.", status=403)
        return tenant


def validate_input(serializer_class, data, **context) -> dict:
    """Runs an Input serializer; its errors become the one 400 envelope listing every bad field."""
    serializer = serializer_class(data=data, context=context)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
