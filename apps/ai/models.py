"""AI data: per-tenant routing settings, the knowledge base (documents + searchable chunks).

The knowledge base keeps the original bytes of every upload (``source_bytes``) in the
database rather than on local disk: extraction runs in a Celery worker that may live on
another machine, and a reindex must re-extract from the same source. URL items keep the
URL and are fetched again on reindex.

``KnowledgeChunk.search_vector`` is a PostgreSQL ``tsvector`` (GIN-indexed, built with
``settings.AI_KNOWLEDGE_SEARCH_CONFIG``); on SQLite the column exists but stays empty
and search scores chunks in Python (see ``apps.ai.knowledge.search``).
"""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils import timezone

from apps.tenants.ids import new_public_id
from apps.tenants.tenancy import TenantOwnedModel


def knowledge_public_id() -> str:
    return new_public_id("kn")


def ai_conversation_public_id() -> str:
    return new_public_id("aic")


def voice_session_public_id() -> str:
    return new_public_id("avs")


def draft_public_id() -> str:
    return new_public_id("aid")


class RoutingMode(models.TextChoices):
    HUMAN_ONLY = "human_only", "Humans only"
    AI_FIRST = "ai_first", "AI first, humans on hand-off"
    AI_ASSISTED = "ai_assisted", "AI assists, humans answer"


class AiSettings(TenantOwnedModel):
    """One row per tenant (created on first use); the default is ``human_only``."""

    routing_mode = models.CharField(max_length=16, choices=RoutingMode.choices, default=RoutingMode.HUMAN_ONLY)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "AI settings"
        verbose_name_plural = "AI settings"
        constraints = [models.UniqueConstraint(fields=["tenant"], name="ai_settings_one_per_tenant")]

    def __str__(self) -> str:
        return f"AI settings ({self.routing_mode})"


class KnowledgeKind(models.TextChoices):
    FILE = "file", "Uploaded file"
    URL = "url", "Web page"


class KnowledgeStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


class KnowledgeDocument(TenantOwnedModel):
    public_id = models.CharField(max_length=32, unique=True, default=knowledge_public_id, editable=False)
    kind = models.CharField(max_length=8, choices=KnowledgeKind.choices)
    title = models.CharField(max_length=300, blank=True)
    source = models.CharField(max_length=2048, help_text="File name or URL.")
    content_type = models.CharField(max_length=40, blank=True, help_text="Detected from the content.")
    size_bytes = models.PositiveBigIntegerField(default=0)
    source_bytes = models.BinaryField(null=True, blank=True, editable=False)
    status = models.CharField(max_length=8, choices=KnowledgeStatus.choices, default=KnowledgeStatus.QUEUED)
    status_reason = models.CharField(max_length=500, blank=True)
    chunk_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    indexed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["tenant", "status"], name="ai_knowledge_tenant_status")]

    def __str__(self) -> str:
        return self.title or self.source


class KnowledgeChunk(TenantOwnedModel):
    """One overlapping passage of a document; ``tenant`` is denormalised so search filters on it first."""

    document = models.ForeignKey(KnowledgeDocument, on_delete=models.CASCADE, related_name="chunks")
    position = models.PositiveIntegerField()
    content = models.TextField()
    search_vector = SearchVectorField(null=True, editable=False)

    class Meta:
        ordering = ["document_id", "position"]
        indexes = [
            models.Index(fields=["tenant", "document"], name="ai_chunk_tenant_doc"),
            GinIndex(fields=["search_vector"], name="ai_chunk_search_gin"),
        ]
        constraints = [models.UniqueConstraint(fields=["document", "position"], name="ai_chunk_doc_position")]

    def __str__(self) -> str:
        return f"{self.document_id}#{self.position}"


class AiConversation(TenantOwnedModel):
    """The AI side of a chat conversation (channel ``ai``): its public id and hand-off state.

    The transcript lives in ``chat.Message`` (visitor messages and ``ai`` replies), so agents
    and reports see AI conversations like any other.
    """

    public_id = models.CharField(max_length=32, unique=True, default=ai_conversation_public_id, editable=False)
    conversation = models.OneToOneField("chat.Conversation", on_delete=models.CASCADE, related_name="ai")
    visitor = models.ForeignKey("chat.Visitor", on_delete=models.CASCADE, related_name="+")
    reply_count = models.PositiveIntegerField(default=0)
    handed_off_at = models.DateTimeField(null=True, blank=True)
    handoff_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["tenant", "visitor", "-created_at"], name="ai_conv_tenant_visitor")]

    def __str__(self) -> str:
        return self.public_id


class VoiceEndReason(models.TextChoices):
    ENDED = "ended", "Ended by the caller"
    CAP = "cap", "Reached its maximum length"


class AiVoiceSession(TenantOwnedModel):
    """One AI voice call, recorded at the SDP exchange (``POST /ai/visitor/realtime/call``).

    ``hold`` set aside its included minutes and money before the provider was called; ``max_seconds``
    is what the plan's ``maxCallMinutes`` and the hold allow. It ends by an explicit end or at
    ``ends_at`` (the cap) and is metered once through that hold (``apps.ai.voice_services``).
    """

    public_id = models.CharField(max_length=32, unique=True, default=voice_session_public_id, editable=False)
    visitor = models.ForeignKey("chat.Visitor", on_delete=models.CASCADE, related_name="+")
    conversation = models.ForeignKey("chat.Conversation", on_delete=models.CASCADE, related_name="ai_voice_sessions")
    provider_session_id = models.CharField(max_length=128, blank=True)
    hold = models.OneToOneField("billing.AiHold", on_delete=models.PROTECT, related_name="voice_session")
    started_at = models.DateTimeField()
    max_seconds = models.PositiveIntegerField()
    ends_at = models.DateTimeField(help_text="started_at + max_seconds: the cap.")
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=8, choices=VoiceEndReason.choices, blank=True)
    duration_seconds = models.PositiveIntegerField(null=True, blank=True, help_text="Measured, capped.")
    billed_seconds = models.PositiveIntegerField(null=True, blank=True, help_text="At least one voice unit.")

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["tenant", "visitor", "-started_at"], name="ai_voice_tenant_visitor"),
            models.Index(fields=["ends_at"], condition=models.Q(ended_at__isnull=True), name="ai_voice_open_ends_at"),
        ]

    def __str__(self) -> str:
        return self.public_id


class DraftStatus(models.TextChoices):
    PENDING = "pending", "Being written"
    READY = "ready", "Ready"
    SKIPPED = "skipped", "Skipped"
    FAILED = "failed", "Failed"


class AiDraft(TenantOwnedModel):
    """A reply the AI suggests to the agents (routing mode ``ai_assisted``), for one visitor message.

    Never a ``chat.Message``: the visitor never sees it, no event is emitted for it. An agent reads it
    (``listAgentConversationAiDrafts``) and sends it, edited or not, as its own message. One per visitor
    message (the unique ``message`` claims it, so a task that runs twice writes once); ``skipped`` and
    ``failed`` say why there is no text (plan, balance, provider).
    """

    public_id = models.CharField(max_length=32, unique=True, default=draft_public_id, editable=False)
    conversation = models.ForeignKey("chat.Conversation", on_delete=models.CASCADE, related_name="ai_drafts")
    message = models.OneToOneField("chat.Message", on_delete=models.CASCADE, related_name="ai_draft")
    status = models.CharField(max_length=8, choices=DraftStatus.choices, default=DraftStatus.PENDING)
    body = models.TextField(blank=True)
    reason = models.CharField(max_length=300, blank=True)
    provider = models.CharField(max_length=40, blank=True)
    model = models.CharField(max_length=80, blank=True)
    sources = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["tenant", "conversation", "-created_at"], name="ai_draft_tenant_conv")]

    def __str__(self) -> str:
        return self.public_id
