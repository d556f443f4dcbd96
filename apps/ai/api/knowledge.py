"""Admin SDK knowledge base (RuntimeBearer of kind admin, scope ``admin:knowledge:write``)."""

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from apps.ai import knowledge_services as services
from apps.ai.api.serializers import (
    KnowledgeDeletedOutput,
    KnowledgeItemOutput,
    KnowledgeUploadInput,
    KnowledgeUrlInput,
)
from apps.idempotency.http import idempotent
from apps.runtime.tokens import RuntimeBearerAuthentication
from ringnity.api.errors import validation_failed
from ringnity.api.principal import PrincipalKind
from ringnity.api.views import TenantAPIView, validate_input

TAGS = ["AI"]
KNOWLEDGE_WRITE = "admin:knowledge:write"


class AdminKnowledgeView(TenantAPIView):
    authentication_classes = [RuntimeBearerAuthentication]
    accepted_principals = {PrincipalKind.ADMIN_SDK}
    required_scopes = {"POST": {KNOWLEDGE_WRITE}, "DELETE": {KNOWLEDGE_WRITE}}


class KnowledgeDocumentsView(AdminKnowledgeView):
    parser_classes = [MultiPartParser]

    @extend_schema(
        operation_id="uploadAdminKnowledgeDocument",
        tags=TAGS,
        summary="Upload an AI knowledge document for the tenant.",
        description="A .txt, .md, .html or .pdf file (type checked by content). Indexing runs in the "
        "background: the item is `queued`, then `ready` or `failed` with `statusReason`.",
        request={"multipart/form-data": KnowledgeUploadInput},
        responses={201: KnowledgeItemOutput},
    )
    @idempotent
    def post(self, request):
        if "file" not in request.FILES:
            raise validation_failed(["file: a file part is required."])
        upload = validate_input(KnowledgeUploadInput, request.data)["file"]
        data = upload.read(settings.AI_KNOWLEDGE_MAX_UPLOAD_BYTES + 1)
        document = services.knowledge_document_upload(tenant=self.tenant, name=upload.name, data=data)
        return Response(KnowledgeItemOutput(document).data, status=201)


class KnowledgeUrlsView(AdminKnowledgeView):
    @extend_schema(
        operation_id="ingestAdminKnowledgeUrl",
        tags=TAGS,
        summary="Ingest an AI knowledge URL for the tenant.",
        description="The page is fetched in the background with outbound safety (public addresses only, "
        "redirects re-checked, time, size and content-type limits).",
        request=KnowledgeUrlInput,
        responses={201: KnowledgeItemOutput},
    )
    @idempotent
    def post(self, request):
        url = validate_input(KnowledgeUrlInput, request.data)["url"]
        document = services.knowledge_url_add(tenant=self.tenant, url=url)
        return Response(KnowledgeItemOutput(document).data, status=201)


class KnowledgeReindexView(AdminKnowledgeView):
    @extend_schema(
        operation_id="reindexAdminKnowledge",
        tags=TAGS,
        summary="Reindex an AI knowledge item.",
        request=None,
        responses={200: KnowledgeItemOutput},
    )
    @idempotent
    def post(self, request, knowledge_item_id: str):
        document = services.knowledge_document_reindex(tenant=self.tenant, document_id=knowledge_item_id)
        return Response(KnowledgeItemOutput(document).data)


class KnowledgeItemView(AdminKnowledgeView):
    @extend_schema(
        operation_id="deleteAdminKnowledge",
        tags=TAGS,
        summary="Delete an AI knowledge item.",
        responses={200: KnowledgeDeletedOutput},
    )
    def delete(self, request, knowledge_item_id: str):
        public_id = services.knowledge_document_delete(tenant=self.tenant, document_id=knowledge_item_id)
        return Response(KnowledgeDeletedOutput({"id": public_id, "deleted": True}).data)
