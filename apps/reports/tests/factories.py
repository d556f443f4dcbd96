"""Report fixtures: chat and call rows with exact timestamps (auto_now_add values are overwritten)."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from apps.calls.models import CallSession
from apps.chat.models import Conversation, Message, Visitor
from apps.reports.models import ConversationRating

_numbers = itertools.count(1)
BERLIN = ZoneInfo("Europe/Berlin")


def local(text: str, zone=BERLIN) -> datetime:
    """``"2026-01-10 09:00"`` in ``zone`` as an aware datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=zone)


def visitor(tenant, subject: str | None = None) -> Visitor:
    return Visitor.objects.create(tenant=tenant, subject=subject or f"vis_{next(_numbers):08x}")


def conversation(tenant, *, at: datetime, agent=None, status="open", closed_after=None, who=None) -> Conversation:
    conv = Conversation.objects.create(
        tenant=tenant,
        number=next(_numbers),
        visitor=who or visitor(tenant),
        assigned_agent=agent,
        status=status,
        last_message_at=at,
        closed_at=at + timedelta(seconds=closed_after) if closed_after is not None else None,
    )
    Conversation.objects.filter(pk=conv.pk).update(created_at=at)
    conv.created_at = at
    return conv


def message(conv: Conversation, *, after: int, sender="visitor") -> Message:
    at = conv.created_at + timedelta(seconds=after)
    msg = Message.objects.create(
        tenant_id=conv.tenant_id,
        conversation=conv,
        sender_type=sender,
        sender_agent=conv.assigned_agent if sender == "agent" else None,
        body="hello",
    )
    Message.objects.filter(pk=msg.pk).update(created_at=at)
    if at > conv.last_message_at:
        Conversation.objects.filter(pk=conv.pk).update(last_message_at=at)
        conv.last_message_at = at
    return msg


def call(
    conv: Conversation,
    *,
    at: datetime,
    direction="inbound",
    status="ended",
    answered_after=None,
    duration=None,
    started_by=None,
) -> CallSession:
    terminal = status in ("ended", "missed", "failed")
    return CallSession.objects.create(
        tenant_id=conv.tenant_id,
        conversation=conv,
        type="audio",
        direction=direction,
        status=status,
        started_at=at,
        answered_at=at + timedelta(seconds=answered_after) if answered_after is not None else None,
        ended_at=at + timedelta(seconds=(answered_after or 0) + (duration or 0) + 1) if terminal else None,
        duration_seconds=duration,
        started_by_kind="agent" if started_by else "visitor",
        started_by_user=started_by,
    )


def rating(conv: Conversation, *, score: int, at: datetime, agent=None) -> ConversationRating:
    item = ConversationRating.objects.create(
        tenant_id=conv.tenant_id, conversation=conv, score=score, agent=agent or conv.assigned_agent
    )
    ConversationRating.objects.filter(pk=item.pk).update(created_at=at)
    return item


def scenario(tenant, alice, bob) -> dict:
    """The hand-counted fixture of ``test_figures`` (tenant in Europe/Berlin, 10-12 January 2026).

    Conversations (local creation day): c1 Jan 10 alice closed; c2 Jan 11 00:30 (= Jan 10
    23:30 UTC) bob resolved; c3 Jan 11 23:30 alice open, with a visitor message at Jan 12
    00:30; c4 Jan 12 unassigned pending. Calls: k1 Jan 10 inbound answered 120 s (alice via
    c1); k2 Jan 10 inbound missed (alice); k3 Jan 11 00:15 (= Jan 10 23:15 UTC) inbound
    answered 60 s (bob); k4 Jan 12 outbound by alice answered 300 s; k5 Jan 12 inbound ringing.
    Ratings: 5 for c1 (alice, Jan 10), 3 for c2 (bob, Jan 11).
    """
    c1 = conversation(tenant, at=local("2026-01-10 09:00"), agent=alice, status="closed", closed_after=80)
    message(c1, after=0)
    message(c1, after=30, sender="agent")
    message(c1, after=60)
    c2 = conversation(tenant, at=local("2026-01-11 00:30"), agent=bob, status="resolved", closed_after=95)
    message(c2, after=0)
    message(c2, after=90, sender="agent")
    c3 = conversation(tenant, at=local("2026-01-11 23:30"), agent=alice, status="open")
    message(c3, after=0)
    message(c3, after=45, sender="agent")
    message(c3, after=3600)
    c4 = conversation(tenant, at=local("2026-01-12 10:00"), status="pending")
    message(c4, after=0)
    call(c1, at=local("2026-01-10 10:00"), answered_after=10, duration=120)
    call(c1, at=local("2026-01-10 11:00"), status="missed")
    call(c2, at=local("2026-01-11 00:15"), answered_after=5, duration=60)
    call(c4, at=local("2026-01-12 09:00"), direction="outbound", answered_after=3, duration=300, started_by=alice)
    call(c4, at=local("2026-01-12 09:30"), status="started")
    rating(c1, score=5, at=local("2026-01-10 12:00"))
    rating(c2, score=3, at=local("2026-01-11 12:00"))
    return {"c1": c1, "c2": c2, "c3": c3, "c4": c4}
