"""Reads for contacts and attachment totals, and what chat outputs load with a row. Every function takes
``tenant=`` and never crosses it."""

import math

from django.db import connection
from django.db.models import BigIntegerField, Count, Exists, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from apps.chat.models import Attachment, AttachmentStatus, Contact, ContactTag, ContactTotal
from apps.tenants.models import User
from ringnity.api.errors import not_found

#: The related rows an output of each needs (``select_related``): a page costs no query per row.
CONVERSATION_RELATED = ("visitor", "contact", "department", "assigned_agent")
MESSAGE_RELATED = ("conversation", "sender_agent", "sender_visitor__contact", "deleted_by_agent")


def parse_tag_filter(raw: str | None) -> list[str]:
    return sorted({tag.strip().lower() for tag in (raw or "").split(",") if tag.strip()})


def contact_list(*, tenant, search: str = "", tags: list[str] | None = None) -> QuerySet:
    """Contacts newest first (``-created_at, -id``: stable under ties); ``tags`` is any-of."""
    contacts = Contact.objects.for_tenant(tenant)
    search = (search or "").strip()
    if search:
        contacts = contacts.filter(
            Q(name__icontains=search)
            | Q(email__icontains=search)
            | Q(phone__icontains=search)
            | Q(phone_normalized__icontains=search)
            | Q(company__icontains=search)
        )
    if tags:
        contacts = contacts.filter(
            Exists(ContactTag.objects.for_tenant(tenant).filter(contact=OuterRef("pk"), tag__in=tags))
        )
    return contacts.order_by("-created_at", "-id")


#: What ``apps.chat.api.outputs.ContactOutput`` reads: a list page loads these columns as plain rows, no models.
CONTACT_OUTPUT_FIELDS = (
    "public_id",
    "external_id",
    "name",
    "phone",
    "email",
    "company",
    "tags",
    "notes",
    "source",
    "created_at",
    "updated_at",
)


def contact_total(*, tenant, search: str = "", tags: list[str] | None = None):
    """The total of an unfiltered list as an expression reading ``ContactTotal`` (PostgreSQL keeps it by
    trigger), so a page does not count the tenant's contacts; None when the list is filtered or on SQLite."""
    if search.strip() or tags or connection.vendor != "postgresql":
        return None
    kept = ContactTotal.objects.filter(tenant_id=tenant.pk).values("total")[:1]
    return Coalesce(Subquery(kept), Value(0), output_field=BigIntegerField())


def contact_list_rows(*, tenant, search: str = "", tags: list[str] | None = None) -> QuerySet:
    """``contact_list`` as ``.values()`` rows of ``CONTACT_OUTPUT_FIELDS`` (a page renders 50 without a model)."""
    return contact_list(tenant=tenant, search=search, tags=tags).values(*CONTACT_OUTPUT_FIELDS)


def contact_get(*, tenant, public_id: str) -> Contact:
    """The tenant's contact; another tenant's or an unknown id is the same 404."""
    # An id with NUL (which PostgreSQL refuses outright) or longer than any public id names no contact.
    if "\x00" in public_id or len(public_id) > Contact._meta.get_field("public_id").max_length:
        raise not_found("Contact")
    contact = Contact.objects.for_tenant(tenant).filter(public_id=public_id).first()
    if contact is None:
        raise not_found("Contact")
    return contact


#: The plan quota on a tenant's stored chat attachments, in megabytes (counter: ``attachment_storage_mb``).
STORAGE_QUOTA = "attachment_storage_mb"


def attachment_totals(*, tenant, conversation=None) -> dict:
    """``{"files", "bytes"}`` the tenant (or one of its conversations) holds: ``files`` counts pending
    and uploaded attachments, ``bytes`` the uploaded ones (one aggregate query)."""
    attachments = Attachment.objects.for_tenant(tenant).exclude(status=AttachmentStatus.DELETED)
    if conversation is not None:
        attachments = attachments.filter(conversation=conversation)
    totals = attachments.aggregate(
        files=Count("id"), bytes=Sum("size", filter=Q(status=AttachmentStatus.UPLOADED), default=0)
    )
    return {"files": totals["files"], "bytes": totals["bytes"]}


def attachment_storage_mb(tenant) -> int:
    """Usage counter of ``attachment_storage_mb``: stored attachment megabytes, rounded up."""
    return math.ceil(attachment_totals(tenant=tenant)["bytes"] / (1024 * 1024))


def agent_teammates(*, tenant) -> QuerySet:
    """The tenant's active staff (every role), with department and chat presence loaded, by name."""
    return (
        User.objects.filter(tenant=tenant, is_active=True)
        .exclude(role="")
        .select_related("department", "chat_presence")
        .order_by("name", "username")
    )
