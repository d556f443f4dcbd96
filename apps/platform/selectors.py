"""Reads for the platform. Cross-tenant reads are named as such (platform console and API only)."""

from __future__ import annotations

from datetime import UTC, datetime

from django.db.models import Sum
from django.utils import timezone

from apps.platform.models import AiUsageKind, AiUsageLog


def month_start(now: datetime | None = None) -> datetime:
    """The first instant of the current calendar month, UTC (monthly quotas reset here)."""
    now = now or timezone.now()
    return now.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def ai_chat_replies_this_month(tenant) -> int:
    return (
        AiUsageLog.objects.for_tenant(tenant).filter(kind=AiUsageKind.CHAT_REPLY, created_at__gte=month_start()).count()
    )


def ai_voice_minutes_this_month(tenant) -> int:
    """Whole minutes, rounded up, of voice and video AI audio this month."""
    seconds = (
        AiUsageLog.objects.for_tenant(tenant)
        .filter(kind__in=[AiUsageKind.VOICE, AiUsageKind.VIDEO], created_at__gte=month_start())
        .aggregate(total=Sum("audio_seconds"))["total"]
        or 0
    )
    return -(-seconds // 60)
