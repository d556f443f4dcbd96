"""Query parameters of the audit-log reads (``page``/``limit`` are read by ``PageParams``)."""

from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

from apps.audit.models import ActorKind
from ringnity.api.errors import ApiError, validation_failed
from ringnity.api.exceptions import flatten_errors
from ringnity.api.pagination import MAX_PAGE, PageParams
from ringnity.api.serializers import QuerySerializer

#: The documented query parameters of every audit-log read.
FILTERS = [
    OpenApiParameter("page", int, description=f"Page number, from 1 (at most {MAX_PAGE})."),
    OpenApiParameter("limit", int, description="Page size, default 50, at most 100."),
    OpenApiParameter("action", str, description="One action (`server_api_key.rotate`), or a prefix ending in `.`"),
    OpenApiParameter("actorKind", str, enum=ActorKind.values, description="Who wrote: the kind of credential."),
    OpenApiParameter("actorId", str, description="The public id of the user or key (or the command's name)."),
    OpenApiParameter("targetId", str, description="The public id of the changed object."),
    OpenApiParameter("since", str, description="ISO 8601 time, inclusive."),
    OpenApiParameter("until", str, description="ISO 8601 time, exclusive."),
]


class AuditLogQuery(QuerySerializer):
    action = serializers.CharField(max_length=64, required=False, allow_blank=True)
    actorKind = serializers.ChoiceField(choices=ActorKind.values, required=False, allow_blank=True)
    actorId = serializers.CharField(max_length=150, required=False, allow_blank=True)
    targetId = serializers.CharField(max_length=150, required=False, allow_blank=True)
    since = serializers.DateTimeField(required=False)
    until = serializers.DateTimeField(required=False)

    def to_filters(self) -> dict:
        data = self.validated_data
        return {
            "action": data.get("action", ""),
            "actor_kind": data.get("actorKind", ""),
            "actor_id": data.get("actorId", ""),
            "target_id": data.get("targetId", ""),
            "since": data.get("since"),
            "until": data.get("until"),
        }


class PlatformAuditLogQuery(AuditLogQuery):
    clientId = serializers.CharField(max_length=64, required=False, allow_blank=True)
    scope = serializers.ChoiceField(choices=["all", "platform"], required=False, default="all")


def audit_log_params(query_params, query_class=AuditLogQuery) -> tuple[PageParams, AuditLogQuery]:
    """``(page params, validated query)``; every bad parameter in one 400 ``VALIDATION_FAILED``."""
    errors: list[str] = []
    try:
        page = PageParams.from_query(query_params)
    except ApiError as exc:
        page, errors = None, list(exc.details)
    query = query_class(data=query_params)
    if not query.is_valid():
        errors += flatten_errors(query.errors)
    if errors:
        raise validation_failed(errors)
    return page, query
