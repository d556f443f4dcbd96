"""Input validation of the Server API contacts (the output is ``apps.chat.api.outputs.ContactOutput``)."""

from rest_framework import serializers

from apps.chat.api.outputs import ContactFields
from apps.chat.models import EMAIL_MAX_LENGTH
from apps.chat.selectors import parse_tag_filter
from ringnity.api.errors import ApiError, ErrorCode, validation_failed
from ringnity.api.exceptions import flatten_errors
from ringnity.api.pagination import PageParams
from ringnity.api.phones import PhoneNumberInvalid, phone_e164, phone_region
from ringnity.api.serializers import InputSerializer, QuerySerializer


class ContactInputSerializer(ContactFields, InputSerializer):
    """The contract's ``ContactInput`` (``partial=True`` for ``ContactPatchInput``)."""

    def validate_phone(self, value: str) -> str:
        """E.164, read in the region of ``context["tenant"]`` (``ringnity.api.phones``)."""
        try:
            return phone_e164(value, region=phone_region(self.context.get("tenant")))
        except PhoneNumberInvalid as exc:
            raise serializers.ValidationError(str(exc)) from exc


class ContactListQuery(QuerySerializer):
    """``search`` and ``tags`` of ``listContacts``; ``page``/``limit`` are read by ``PageParams``."""

    search = serializers.CharField(max_length=EMAIL_MAX_LENGTH, required=False, allow_blank=True, default="")
    tags = serializers.CharField(max_length=4096, required=False, allow_blank=True, default="")


def contact_list_params(query_params) -> tuple[PageParams, str, list[str]]:
    """``(page params, search, tags)``; every bad parameter in one 400 SERVER_CONTACT_VALIDATION_FAILED."""
    errors: list[str] = []
    try:
        page = PageParams.from_query(query_params, error_code=ErrorCode.SERVER_CONTACT_VALIDATION_FAILED)
    except ApiError as exc:
        page, errors = None, list(exc.details)
    filters = ContactListQuery(data=query_params)
    if not filters.is_valid():
        errors.extend(flatten_errors(filters.errors))
    if errors:
        raise validation_failed(errors, code=ErrorCode.SERVER_CONTACT_VALIDATION_FAILED)
    return page, filters.validated_data["search"], parse_tag_filter(filters.validated_data["tags"])
