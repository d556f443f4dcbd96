"""The one shape of an audit row (``AuditLogEntry``) and of a page of them."""

from rest_framework import serializers

from ringnity.api.outputs import OutputSerializer, UTCDateTimeField, result


class AuditActorOutput(OutputSerializer):
    kind = serializers.CharField(source="actor_kind")
    id = serializers.CharField(source="actor_id", required=False)
    label = serializers.CharField(source="actor_label", required=False)

    class Meta:
        ref_name = "AuditLogActor"


class AuditTargetOutput(OutputSerializer):
    type = serializers.CharField(source="target_type")
    id = serializers.CharField(source="target_id", required=False)

    class Meta:
        ref_name = "AuditLogTarget"


class AuditEntryOutput(OutputSerializer):
    id = serializers.CharField()
    createdAt = UTCDateTimeField(source="created_at")
    action = serializers.CharField(help_text="`<entity>.<verb>`, e.g. `server_api_key.rotate`.")
    clientId = serializers.CharField(source="tenant.public_id", allow_null=True, help_text="null: platform-level.")
    actor = AuditActorOutput(source="*")
    target = AuditTargetOutput(source="*")
    before = serializers.DictField(allow_null=True, help_text="Secrets, digests and tokens are `[redacted]`.")
    after = serializers.DictField(allow_null=True)
    ip = serializers.CharField(required=False)
    requestId = serializers.CharField(source="request_id", required=False)

    class Meta:
        ref_name = "AuditLogEntry"


AuditPaginationOutput = result(
    "AuditLogPagination",
    total=serializers.IntegerField(),
    page=serializers.IntegerField(),
    limit=serializers.IntegerField(),
    hasMore=serializers.BooleanField(),
)

AuditEntryListResult = result("AuditLogList", entries=AuditEntryOutput(many=True), pagination=AuditPaginationOutput())
