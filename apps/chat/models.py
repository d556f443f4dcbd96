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
from ringnity.api.errors import ApiError, ErrorCode

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


class ContactTotal(models.Model):
    """How many contacts a tenant has, kept by PostgreSQL triggers on ``chat_contact`` (migration 0005).

    Statement-level ``AFTER INSERT`` / ``AFTER DELETE`` triggers add each statement's rows per tenant
    in the writing transaction, so every path (services, ``bulk_create``, cascades) keeps it exact and
    a reader's snapshot sees the total that matches the contacts it sees. The unfiltered contacts list
    reads it instead of counting the tenant's rows on every page (``apps.chat.selectors.contact_total``).
    On SQLite there are no triggers and the list counts.
    """

    tenant = models.OneToOneField("tenants.Tenant", on_delete=models.CASCADE, primary_key=True)
    total = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.total} contacts of tenant {self.tenant_id}"


# --- Live chat: visitors, conversations, messages ------------------------------------------
#
# Every list/lookup query of this app has an index that starts with ``tenant``. Public ids are
# random and prefixed; database keys never leave the server.


def visitor_public_id() -> str:
    return ids.new_public_id("vis")


def chat_session_public_id() -> str:
    return ids.new_public_id("chs")


def conversation_public_id() -> str:
    return ids.new_public_id("cnv")


def message_public_id() -> str:
    return ids.new_public_id("msg")


def attachment_public_id() -> str:
    return ids.new_public_id("att")


def assignment_public_id() -> str:
    return ids.new_public_id("asg")


class Visitor(TenantOwnedModel):
    """A website/app visitor of one tenant.

    ``subject`` is the runtime-token subject that names this visitor (``vis_<hex>`` for an
    anonymous SDK session, ``ext:<externalId>`` for one verified by a context token, or
    ``chat:<public id>`` for a visitor that only ever used a chat session token); unique
    per tenant, so concurrent first requests of one visitor end as one row.
    """

    public_id = models.CharField(max_length=32, unique=True, default=visitor_public_id, editable=False)
    subject = models.CharField(max_length=200)
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="visitors")
    external_id = models.CharField(max_length=200, blank=True)
    name = models.CharField(max_length=200, blank=True)
    email = models.CharField(max_length=EMAIL_MAX_LENGTH, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    verified = models.BooleanField(default=False, help_text="Identity asserted by the tenant's backend.")
    metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "subject"], name="visitor_subject_per_tenant")]
        indexes = [models.Index(fields=["tenant", "-created_at"], name="visitor_tenant_created")]

    def __str__(self) -> str:
        return self.name or self.email or self.public_id


class ChatSession(TenantOwnedModel):
    """The widget's long-lived chat session token (``X-Ringnity-Chat-Session``).

    Opaque and random; only its SHA-256 digest is stored. It expires ``expires_at`` (30
    days, sliding: each use pushes it forward) and can be revoked (``revoked_at``).
    """

    public_id = models.CharField(max_length=32, unique=True, default=chat_session_public_id, editable=False)
    visitor = models.ForeignKey(Visitor, on_delete=models.CASCADE, related_name="chat_sessions")
    token_digest = models.CharField(max_length=64, unique=True, editable=False)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["tenant", "visitor"], name="chatsession_tenant_visitor")]


class ConversationCounter(TenantOwnedModel):
    """The per-tenant conversation number sequence: one row, locked while numbering.

    A new conversation takes ``last_number + 1`` under ``SELECT ... FOR UPDATE`` of this
    row in the same transaction, so numbers are sequential, unique and gap-free (a rolled
    back start also rolls back its increment).
    """

    last_number = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant"], name="conversation_counter_per_tenant")]


class ConversationStatus(models.TextChoices):
    OPEN = "open", "Open"
    PENDING = "pending", "Pending"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"


ACTIVE_STATUSES = (ConversationStatus.OPEN, ConversationStatus.PENDING)


class ConversationPriority(models.TextChoices):
    LOW = "low", "Low"
    NORMAL = "normal", "Normal"
    HIGH = "high", "High"
    URGENT = "urgent", "Urgent"


class Conversation(TenantOwnedModel):
    """One chat between a visitor and the tenant's agents (a "ticket").

    At most one active (open/pending) conversation per visitor: a partial unique
    constraint, so two concurrent starts by one visitor end with the same conversation.
    The agent list pages by ``(last_message_at, id)`` descending.
    """

    public_id = models.CharField(max_length=32, unique=True, default=conversation_public_id, editable=False)
    number = models.PositiveBigIntegerField()
    visitor = models.ForeignKey(Visitor, on_delete=models.CASCADE, related_name="conversations")
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    department = models.ForeignKey(
        "tenants.Department", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assigned_agent = models.ForeignKey(
        "tenants.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    channel = models.CharField(max_length=32, default="web")
    status = models.CharField(max_length=16, choices=ConversationStatus.choices, default=ConversationStatus.OPEN)
    priority = models.CharField(
        max_length=16, choices=ConversationPriority.choices, default=ConversationPriority.NORMAL
    )
    subject = models.CharField(max_length=500, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    last_message_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "number"], name="conversation_number_per_tenant"),
            models.UniqueConstraint(
                fields=["tenant", "visitor"],
                condition=Q(status__in=["open", "pending"]),
                name="conversation_one_active_per_visitor",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "-last_message_at", "-id"], name="conv_tenant_last"),
            models.Index(fields=["tenant", "status", "-last_message_at", "-id"], name="conv_tenant_status_last"),
            models.Index(fields=["tenant", "assigned_agent", "-last_message_at", "-id"], name="conv_tenant_agent_last"),
            models.Index(fields=["tenant", "department", "-last_message_at", "-id"], name="conv_tenant_dept_last"),
            models.Index(fields=["tenant", "visitor", "-created_at"], name="conv_tenant_visitor"),
        ]

    def __str__(self) -> str:
        return f"#{self.number} ({self.public_id})"

    def require_active(self) -> None:
        """A resolved or closed conversation takes nothing new (messages, attachments, assignments,
        calls, call links): 409 ``CONFLICT``."""
        if self.status not in ACTIVE_STATUSES:
            raise ApiError(ErrorCode.CONFLICT, "This conversation is closed.", status=409)


class SenderType(models.TextChoices):
    VISITOR = "visitor", "Visitor"
    AGENT = "agent", "Agent"
    SYSTEM = "system", "System"
    AI = "ai", "AI"


class Message(TenantOwnedModel):
    """One chat message. Deletion is soft: ``deleted_at`` set, body emptied in every read.

    ``client_message_id`` makes a send idempotent: unique per conversation *and sender* when given
    (the visitor, each agent, the AI or the system keep their own keys, so one sender's id never
    names another sender's message).
    """

    public_id = models.CharField(max_length=32, unique=True, default=message_public_id, editable=False)
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    sender_type = models.CharField(max_length=16, choices=SenderType.choices)
    sender_agent = models.ForeignKey("tenants.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    sender_visitor = models.ForeignKey(Visitor, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    body = models.TextField(blank=True)
    message_type = models.CharField(max_length=32, default="text")
    metadata = models.JSONField(default=dict, blank=True)
    client_message_id = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by_agent = models.ForeignKey(
        "tenants.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    delete_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "conversation", "sender_visitor", "client_message_id"],
                condition=~Q(client_message_id="") & Q(sender_type="visitor"),
                name="message_client_id_per_visitor",
            ),
            models.UniqueConstraint(
                fields=["tenant", "conversation", "sender_agent", "client_message_id"],
                condition=~Q(client_message_id="") & Q(sender_type="agent"),
                name="message_client_id_per_agent",
            ),
            models.UniqueConstraint(
                fields=["tenant", "conversation", "sender_type", "client_message_id"],
                condition=~Q(client_message_id="") & Q(sender_type__in=["ai", "system"]),
                name="message_client_id_per_automatic_sender",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "conversation", "-created_at", "-id"], name="msg_tenant_conv_created")
        ]

    def __str__(self) -> str:
        return f"{self.get_sender_type_display()} message {self.public_id}"


class AttachmentStatus(models.TextChoices):
    PENDING = "pending", "Metadata only"
    UPLOADED = "uploaded", "Uploaded"
    DELETED = "deleted", "Deleted"


class Attachment(TenantOwnedModel):
    """A file of a conversation. The stored name and path are chosen by the server; the
    content type is what the file's own bytes are (sniffed), never the client's claim."""

    public_id = models.CharField(max_length=32, unique=True, default=attachment_public_id, editable=False)
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="attachments")
    message = models.ForeignKey(Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="attachments")
    uploaded_by_visitor = models.ForeignKey(Visitor, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    file = models.FileField(max_length=300, blank=True)
    original_filename = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    declared_content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    metadata = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=AttachmentStatus.choices, default=AttachmentStatus.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["tenant", "conversation", "-created_at"], name="att_tenant_conv")]


class AssignmentKind(models.TextChoices):
    ACCEPT = "accept", "Accepted"
    ASSIGN = "assign", "Assigned"
    TRANSFER = "transfer", "Transferred"


class Assignment(TenantOwnedModel):
    """History: one row per accept/assign/transfer of a conversation."""

    public_id = models.CharField(max_length=32, unique=True, default=assignment_public_id, editable=False)
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="assignments")
    kind = models.CharField(max_length=16, choices=AssignmentKind.choices)
    assigned_agent = models.ForeignKey(
        "tenants.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assigned_department = models.ForeignKey(
        "tenants.Department", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assigned_by = models.ForeignKey("tenants.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["tenant", "conversation", "-created_at"], name="asg_tenant_conv")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.public_id}"


class ParticipantType(models.TextChoices):
    VISITOR = "visitor", "Visitor"
    AGENT = "agent", "Agent"


class Receipt(TenantOwnedModel):
    """Delivered/read state of one message for one participant (visitor or agent public id)."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="receipts")
    participant_type = models.CharField(max_length=16, choices=ParticipantType.choices)
    participant_id = models.CharField(max_length=64)
    delivered_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "message", "participant_type", "participant_id"], name="receipt_per_participant"
            )
        ]


class AgentPresenceStatus(models.TextChoices):
    AVAILABLE = "available", "Available"
    BUSY = "busy", "Busy"
    OFFLINE = "offline", "Offline"


class AgentPresence(TenantOwnedModel):
    """An agent's chat presence; ``online``≡``available`` and ``unavailable``≡``busy`` on input."""

    agent = models.OneToOneField("tenants.User", on_delete=models.CASCADE, related_name="chat_presence")
    status = models.CharField(max_length=16, choices=AgentPresenceStatus.choices, default=AgentPresenceStatus.OFFLINE)
    last_activity_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["tenant", "status"], name="presence_tenant_status")]
