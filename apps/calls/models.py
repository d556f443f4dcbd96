"""Product-level call sessions and call links, both tied to one chat conversation.

``CallSession`` is the record of one internet audio/video call: no media transport details,
only who, what, when and how it ended. Its status follows one machine
(``apps.calls.services.TRANSITIONS``)::

    started ──> answered ──> ended
       │  └───────────────────^
       └──> missed | failed

``ended``, ``missed`` and ``failed`` are terminal and carry ``ended_at``; the database
refuses a terminal row without it (and a live row with it).

``CallLink`` is a signed, expiring, single-use invitation to join a call about one conversation.
Only the row's facts are stored; the token handed out is ``django.core.signing`` over the row's
public id, so it cannot be forged or re-pointed at another conversation, and the row can
still be revoked before it expires. Joining it (``apps.calls.link_services``) marks it used and
records the call it started.
"""

from django.db import models
from django.db.models import Q

from apps.tenants import ids
from apps.tenants.tenancy import TenantOwnedModel


def call_session_public_id() -> str:
    return ids.new_public_id("call")


def call_link_public_id() -> str:
    return ids.new_public_id("clk")


class CallType(models.TextChoices):
    AUDIO = "audio", "Audio"
    VIDEO = "video", "Video"


class CallDirection(models.TextChoices):
    INBOUND = "inbound", "Inbound"
    OUTBOUND = "outbound", "Outbound"


class CallStatus(models.TextChoices):
    STARTED = "started", "Started"
    ANSWERED = "answered", "Answered"
    ENDED = "ended", "Ended"
    MISSED = "missed", "Missed"
    FAILED = "failed", "Failed"


TERMINAL_STATUSES = (CallStatus.ENDED, CallStatus.MISSED, CallStatus.FAILED)


class CallActorKind(models.TextChoices):
    """Who started or ended a call (the principal kind of the request)."""

    VISITOR = "visitor", "Visitor"
    AGENT = "agent", "Agent"
    OWNER = "owner", "Owner"
    WORKSPACE = "workspace", "Workspace staff"
    SYSTEM = "system", "System"


class CallService(models.TextChoices):
    VOICE = "voice_call", "Voice call"
    VIDEO = "video_call", "Video call"


#: The plan feature / service capability each call type needs.
SERVICE_FOR_TYPE = {CallType.AUDIO: CallService.VOICE, CallType.VIDEO: CallService.VIDEO}


class CallSession(TenantOwnedModel):
    public_id = models.CharField(max_length=32, unique=True, default=call_session_public_id, editable=False)
    conversation = models.ForeignKey("chat.Conversation", on_delete=models.CASCADE, related_name="call_sessions")
    type = models.CharField(max_length=16, choices=CallType.choices)
    direction = models.CharField(max_length=16, choices=CallDirection.choices, default=CallDirection.INBOUND)
    status = models.CharField(max_length=16, choices=CallStatus.choices, default=CallStatus.STARTED)
    started_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    end_reason = models.CharField(max_length=255, null=True, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    started_by_kind = models.CharField(max_length=16, choices=CallActorKind.choices)
    started_by_user = models.ForeignKey(
        "tenants.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    ended_by_kind = models.CharField(max_length=16, choices=CallActorKind.choices, blank=True)
    ended_by_user = models.ForeignKey(
        "tenants.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["tenant", "conversation", "-started_at"], name="call_tenant_conversation"),
            models.Index(fields=["tenant", "-started_at"], name="call_tenant_started"),
            models.Index(fields=["tenant", "status", "-started_at"], name="call_tenant_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(status__in=TERMINAL_STATUSES) & Q(ended_at__isnull=False))
                | (~Q(status__in=TERMINAL_STATUSES) & Q(ended_at__isnull=True)),
                name="call_ended_at_iff_terminal",
            ),
            models.CheckConstraint(
                condition=Q(answered_at__isnull=True) | Q(status__in=[CallStatus.ANSWERED, CallStatus.ENDED]),
                name="call_answered_at_only_when_answered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type} call {self.public_id} ({self.status})"

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES


class CallLink(TenantOwnedModel):
    public_id = models.CharField(max_length=32, unique=True, default=call_link_public_id, editable=False)
    conversation = models.ForeignKey("chat.Conversation", on_delete=models.CASCADE, related_name="call_links")
    service = models.CharField(max_length=16, choices=CallService.choices)
    metadata = models.JSONField(default=dict, blank=True)
    created_by_kind = models.CharField(max_length=16, choices=CallActorKind.choices)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    #: Single use: set when the join page starts the link's call (``link_services.call_link_join``).
    used_at = models.DateTimeField(null=True, blank=True)
    call_session = models.ForeignKey(
        CallSession,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The call it started.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["tenant", "conversation", "-created_at"], name="calllink_tenant_conversation"),
        ]

    def __str__(self) -> str:
        return f"{self.service} link {self.public_id}"
