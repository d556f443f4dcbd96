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


BODY_REQUIRED_DETAIL = "body: This operation needs a JSON request body (Content-Type: application/json)."


def has_body(request) -> bool:
    """Whether the request carried a body at all (``{}`` is a body; no bytes is not)."""
    return bool(request.META.get("CONTENT_LENGTH") not in (None, "", "0") or request.META.get("HTTP_TRANSFER_ENCODING"))


def require_body(request, *, code: ErrorCode = ErrorCode.VALIDATION_FAILED) -> None:
    """A 400 naming the body when an operation whose contract requires one got none.

    DRF parses an absent body as ``{}``, and a serializer whose fields are all optional would accept
    it; the contract's ``requestBody.required: true`` says the caller must send the object.
    """
    if not has_body(request):
        raise ApiError(code, "A request body is required.", status=400, details=[BODY_REQUIRED_DETAIL])


def validate_body(serializer_class, request, *, code: ErrorCode = ErrorCode.VALIDATION_FAILED, **context) -> dict:
    """``validate_input`` for an operation whose contract requires a JSON body (``code``: the area's)."""
    require_body(request, code=code)
    return validate_input(serializer_class, request.data, **context)
