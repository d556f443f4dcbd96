"""Server API contacts: ``/server/contacts`` and ``/server/contacts/{id}`` (ServerApiKey)."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from apps.chat import selectors, services
from apps.chat.api import outputs
from apps.chat.api.serializers import ContactInputSerializer, contact_list_params
from apps.developer.api.base import ServerAPIView
from apps.idempotency.http import idempotent
from ringnity.api.errors import ErrorCode
from ringnity.api.pagination import MAX_PAGE, paginate_page

READ = "server:contacts:read"
WRITE = "server:contacts:write"

UPSERT_RULE = (
    "Upsert rule, within the key's tenant only: with `externalId`, the contact with that externalId "
    "(or, when none has it, a contact without externalId having the same normalized email, else phone, "
    "which then gets the externalId); without `externalId`, the contact with the same normalized email "
    "(lowercased); without email, the same phone. Otherwise a new contact. `phone` is stored E.164, read in "
    "the tenant's region without a country code; what is not a valid phone number is a 400 naming `phone`. "
    "Returns 200 with the contact and `created`. Concurrent upserts of one key make one contact."
)


class ContactAPIView(ServerAPIView):
    validation_error_code = ErrorCode.SERVER_CONTACT_VALIDATION_FAILED


class ContactCollectionView(ContactAPIView):
    required_scopes = {"GET": {READ}, "POST": {WRITE}}

    @extend_schema(
        operation_id="listContacts",
        tags=["Server API"],
        summary="List synced customer contacts.",
        parameters=[
            OpenApiParameter("page", int, description=f"Page number, from 1 (at most {MAX_PAGE})."),
            OpenApiParameter("limit", int, description="Page size, default 50, capped at 100."),
            OpenApiParameter(
                "search", str, description="Case-insensitive match on name, email, phone, company (≤ 254 characters)."
            ),
            OpenApiParameter("tags", str, description="Comma-separated tags; a contact with any of them matches."),
        ],
        responses={200: outputs.ContactListResult},
    )
    def get(self, request):
        params, search, tags = contact_list_params(request.query_params)
        contacts = selectors.contact_list_rows(tenant=self.tenant, search=search, tags=tags)
        total = selectors.contact_total(tenant=self.tenant, search=search, tags=tags)
        rows, pagination = paginate_page(contacts, params, total=total)
        return Response(outputs.ContactListResult({"contacts": rows, "pagination": pagination}).data)

    @extend_schema(
        operation_id="upsertContact",
        tags=["Server API"],
        summary="Create or update a customer contact.",
        description=UPSERT_RULE,
        request=ContactInputSerializer,
        responses={200: outputs.ContactUpsertResult},
    )
    @idempotent
    def post(self, request):
        serializer = ContactInputSerializer(data=request.data, context={"tenant": self.tenant})
        serializer.is_valid(raise_exception=True)
        contact, created = services.contact_upsert(tenant=self.tenant, fields=serializer.validated_data)
        return Response(outputs.ContactUpsertResult({"contact": contact, "created": created}).data)


class ContactDetailView(ContactAPIView):
    required_scopes = {"GET": {READ}, "PATCH": {WRITE}, "DELETE": {WRITE}}

    @extend_schema(
        operation_id="getContact",
        tags=["Server API"],
        summary="Read one customer contact.",
        responses={200: outputs.ContactResult},
    )
    def get(self, request, id):
        contact = selectors.contact_get(tenant=self.tenant, public_id=id)
        return Response(outputs.ContactResult({"contact": contact}).data)

    @extend_schema(
        operation_id="updateContact",
        tags=["Server API"],
        summary="Update one customer contact.",
        request=ContactInputSerializer(partial=True),
        responses={200: outputs.ContactResult},
    )
    def patch(self, request, id):
        contact = selectors.contact_get(tenant=self.tenant, public_id=id)
        serializer = ContactInputSerializer(data=request.data, partial=True, context={"tenant": self.tenant})
        serializer.is_valid(raise_exception=True)
        contact = services.contact_update(contact=contact, fields=serializer.validated_data)
        return Response(outputs.ContactResult({"contact": contact}).data)

    @extend_schema(
        operation_id="deleteContact",
        tags=["Server API"],
        summary="Delete one customer contact.",
        responses={200: outputs.ContactDeletedResult},
    )
    def delete(self, request, id):
        contact = selectors.contact_get(tenant=self.tenant, public_id=id)
        return Response(
            outputs.ContactDeletedResult({"deleted": True, "id": services.contact_delete(contact=contact)}).data
        )
