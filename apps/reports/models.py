"""Report storage: daily rollups, latency histograms, export records and visitor ratings.

Rollups are a cache of the raw chat and call tables, never a source of truth:

* ``DailyRollup`` holds, per (tenant, local day, agent), every count and sum a report figure
  is built from (see ``apps.reports.figures``); ``agent`` null is "no agent" (unassigned
  conversations, unanswered calls).
* ``DailyLatencyBucket`` holds first-response and resolution times as mergeable histogram
  buckets per (tenant, day, agent) (see ``apps.reports.histogram`` for why buckets and not a
  per-conversation fact table).
* ``RollupState.rolled_through`` is the last local day whose rows are complete; later days,
  and days in ``RollupDirtyDay`` (an old conversation changed since it was rolled up), are
  computed live from the raw tables by the same SQL that fills the rollups. So a report is
  never wrong because the periodic task is late, only slower.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from apps.tenants import ids
from apps.tenants.tenancy import TenantOwnedModel


def export_public_id() -> str:
    return ids.new_public_id("rpx")


class DailyRollup(TenantOwnedModel):
    day = models.DateField()
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    calls_total = models.PositiveIntegerField(default=0)
    calls_incoming = models.PositiveIntegerField(default=0)
    calls_answered = models.PositiveIntegerField(default=0)
    calls_missed = models.PositiveIntegerField(default=0)
    calls_handled = models.PositiveIntegerField(default=0)
    call_duration_sum = models.BigIntegerField(default=0)
    call_duration_count = models.PositiveIntegerField(default=0)
    conversations = models.PositiveIntegerField(default=0)
    conversations_open = models.PositiveIntegerField(default=0)
    conversations_pending = models.PositiveIntegerField(default=0)
    conversations_resolved = models.PositiveIntegerField(default=0)
    conversations_closed = models.PositiveIntegerField(default=0)
    messages = models.PositiveIntegerField(default=0)
    messages_agent = models.PositiveIntegerField(default=0)
    messages_visitor = models.PositiveIntegerField(default=0)
    ratings = models.PositiveIntegerField(default=0)
    rating_sum = models.PositiveIntegerField(default=0)
    ratings_positive = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["tenant", "day", "agent"], name="rollup_tenant_day_agent"),
            models.Index(fields=["tenant", "agent", "day"], name="rollup_tenant_agent_day"),
        ]


class DailyLatencyBucket(TenantOwnedModel):
    """One histogram bucket: ``count`` conversations of ``day`` whose latency falls in ``floor``.

    Rows with ``all_agents`` hold the day's tenant-wide histogram (agent null), so the summary
    and the daily series read one row per bucket and day instead of one per agent as well.
    """

    day = models.DateField()
    all_agents = models.BooleanField(default=False)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    metric = models.PositiveSmallIntegerField()  # histogram.FIRST_RESPONSE | histogram.RESOLUTION
    floor = models.PositiveIntegerField()
    count = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["tenant", "all_agents", "day", "agent"], name="latency_tenant_day")]


class RollupState(TenantOwnedModel):
    rolled_through = models.DateField(null=True, blank=True)
    refreshed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant"], name="rollup_state_per_tenant")]


class RollupDirtyDay(TenantOwnedModel):
    """A rolled-up day whose raw data changed afterwards (a late close, a reassignment, a rating)."""

    day = models.DateField()
    marked_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "day"], name="rollup_dirty_day_unique")]


class ExportFormat(models.TextChoices):
    JSON = "json"
    CSV = "csv"


class ExportStatus(models.TextChoices):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class ReportExport(TenantOwnedModel):
    """One requested export file: who asked, for what, and where the finished file is."""

    public_id = models.CharField(max_length=32, unique=True, default=export_public_id, editable=False)
    period_type = models.CharField(max_length=16)
    first_day = models.DateField()
    last_day = models.DateField()
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    format = models.CharField(max_length=8, choices=ExportFormat.choices)
    status = models.CharField(max_length=16, choices=ExportStatus.choices, default=ExportStatus.PENDING)
    file = models.FileField(upload_to="reports/exports/", blank=True, max_length=255)
    size_bytes = models.PositiveBigIntegerField(default=0)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_via = models.CharField(max_length=16, default="console")
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["tenant", "-created_at"], name="report_export_tenant_created")]
        constraints = [
            models.CheckConstraint(condition=Q(last_day__gte=models.F("first_day")), name="report_export_days_order")
        ]

    def __str__(self) -> str:
        return f"{self.public_id} {self.format} {self.first_day}..{self.last_day} ({self.status})"


class ConversationRating(TenantOwnedModel):
    """A visitor's rating (1-5, optional comment) of one of its closed conversations; one per conversation.

    ``agent`` is the conversation's assignee when the visitor rated: a later transfer does not
    move the rating to another agent's figures.
    """

    conversation = models.OneToOneField("chat.Conversation", on_delete=models.CASCADE, related_name="rating")
    score = models.PositiveSmallIntegerField()
    comment = models.TextField(blank=True)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["tenant", "created_at"], name="rating_tenant_created")]
        constraints = [models.CheckConstraint(condition=Q(score__gte=1, score__lte=5), name="rating_score_1_to_5")]

    def __str__(self) -> str:
        return f"rating {self.score}/5 of {self.created_at:%Y-%m-%d}"
