"""Deny by default: a view opens itself only to the principal kinds and scopes it names.

A view declares::

    accepted_principals = {PrincipalKind.SERVER_KEY}
    required_scopes = {"GET": {"server:contacts:read"}, "POST": {"server:contacts:write"}}
    scope_denied_code = ErrorCode.SERVER_API_SCOPE_DENIED  # optional, area's code

A view without ``accepted_principals`` is closed to everybody, including
public callers; public views say ``accepted_principals = PUBLIC``.
"""

from rest_framework import exceptions
from rest_framework.permissions import BasePermission

from ringnity.api.errors import ApiError, ErrorCode
from ringnity.api.principal import Principal

PUBLIC = "public"


class PrincipalPermission(BasePermission):
    def has_permission(self, request, view) -> bool:
        accepted = getattr(view, "accepted_principals", None)
        if accepted is None:
            raise ApiError(ErrorCode.PERMISSION_DENIED, "This operation is not open to any caller.", status=403)
        if accepted == PUBLIC:
            return True
        principal = request.auth
        if not isinstance(principal, Principal):
            raise exceptions.NotAuthenticated()
        if principal.kind not in accepted:
            # A token of another kind is not a credential for this operation at all.
            raise ApiError(
                ErrorCode.AUTH_TOKEN_INVALID,
                "This credential is not accepted for this operation.",
                status=401,
            )
        required = (getattr(view, "required_scopes", None) or {}).get(request.method, set())
        if not principal.has_scopes(required):
            missing = sorted(set(required) - principal.scopes)
            code = getattr(view, "scope_denied_code", ErrorCode.PERMISSION_DENIED)
            raise ApiError(
                code,
                "The credential lacks a required scope.",
                status=403,
                details=[f"missing scope: {s}" for s in missing],
            )
        return True
