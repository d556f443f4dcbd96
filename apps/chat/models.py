"""Customer contacts synced by a tenant's backend through the Server API.

Identity within a tenant (see ``apps.chat.services.contact_upsert``):

* ``external_id`` — the customer's own id; unique per tenant when set;
* otherwise ``email_normalized`` — unique per tenant among contacts without an external id;
* otherwise ``phone_normalized`` (E.164 when parseable) — unique per tenant among contacts
  with neither.

These are partial unique constraints, so concurrent upserts of the same key end as one
row: the loser of the race hits the constraint and retries as an update.

Tags live twice, on purpose: ``Contact.tags`` (a JSON list, the order the customer gave)
is what responses show, with no extra query; ``ContactTag`` rows (normalized, indexed by
``(tenant, tag)``) are what the ``tags=`` filter uses, portably on SQLite and PostgreSQL,
with an index instead of a scan of JSON. ``apps.chat.services`` keeps the two in sync.
"""

from django.db import models
from django.db.models import Q

from apps.tenants import ids
from apps.tenants.tenancy import TenantOwnedModel

# str.lower() can make a string longer ('İ' becomes 'i' + a combining dot), never more than twice as
# long: the lowercased copies of validated input get twice the room, or a valid value fails to save.
LOWERCASE_GROWTH = 2
EMAIL_MAX_LENGTH = 254
TAG_MAX_LENGTH = 50


def contact_public_id() -> str:
    return ids.new_public_id("con")


class Contact(TenantOwnedModel):
    public_id = models.CharField(max_length=32, unique=True, default=contact_public_id, editable=False)
    external_id = models.CharField(max_length=200, blank=True)
    name = models.CharField(max_length=200)
    phone = models.CharField(max_length=40)
    phone_normalized = models.CharField(max_length=40, blank=True)
    email = models.CharField(max_length=EMAIL_MAX_LENGTH, blank=True)
    email_normalized = models.CharField(max_length=EMAIL_MAX_LENGTH * LOWERCASE_GROWTH, blank=True)
    company = models.CharField(max_length=200, blank=True)
    tags = models.JSONField(default=list, blank=True)
    notes = models.TextField(blank=True)
    source = models.CharField(max_length=32, default="server_api")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "external_id"], condition=~Q(external_id=""), name="contact_external_id_per_tenant"
            ),
            models.UniqueConstraint(
                fields=["tenant", "email_normalized"],
                condition=Q(external_id="") & ~Q(email_normalized=""),
                name="contact_email_per_tenant",
            ),
            models.UniqueConstraint(
                fields=["tenant", "phone_normalized"],
                condition=Q(external_id="") & Q(email_normalized="") & ~Q(phone_normalized=""),
                name="contact_phone_per_tenant",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "-created_at", "-id"], name="contact_tenant_created"),
            models.Index(fields=["tenant", "email_normalized"], name="contact_tenant_email"),
            models.Index(fields=["tenant", "phone_normalized"], name="contact_tenant_phone"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.public_id})"


class ContactTag(TenantOwnedModel):
    """One normalized (lowercase) tag of one contact, for the ``tags=`` filter."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="tag_rows")
    tag = models.CharField(max_length=TAG_MAX_LENGTH * LOWERCASE_GROWTH)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["contact", "tag"], name="contact_tag_unique")]
        indexes = [models.Index(fields=["tenant", "tag"], name="contact_tag_tenant_tag")]
