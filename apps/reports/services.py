"""Report writes: visitor ratings and export files.

An export is rendered by one function, ``export_render``, whichever way it is asked for: the
API streams small exports directly from it, and ``reports.generate_export`` (Celery) writes
the same bytes to storage for a ``ReportExport`` the platform console requested.
"""

from __future__ import annotations

from django.db import transaction

from apps.chat.models import Conversation, ConversationStatus
from apps.chat.visitor_services import visitor_conversation_get
from apps.reports.models import ConversationRating, ReportExport
from apps.reports.periods import ReportPeriod
from apps.reports.rollups import mark_dirty
from apps.reports.tasks import generate_export
from ringnity.api.errors import ApiError, ErrorCode

RATABLE_STATUSES = (ConversationStatus.RESOLVED, ConversationStatus.CLOSED)


@transaction.atomic
def rating_create(*, visitor, conversation_id: str, score: int, comment: str = "") -> ConversationRating:
    """Rates the visitor's own resolved or closed conversation, once.

    Another visitor's conversation is 404; an open one, or a second rating, is 409 ``CONFLICT``.
    """
    conversation: Conversation = visitor_conversation_get(
        visitor=visitor, conversation_id=conversation_id, for_update=True
    )
    if conversation.status not in RATABLE_STATUSES:
        raise ApiError(ErrorCode.CONFLICT, "Only a resolved or closed conversation can be rated.", status=409)
    if ConversationRating.objects.filter(conversation=conversation).exists():
        raise ApiError(ErrorCode.CONFLICT, "This conversation has already been rated.", status=409)
    rating = ConversationRating.objects.create(
        tenant_id=conversation.tenant_id,
        conversation=conversation,
        score=score,
        comment=comment,
        agent_id=conversation.assigned_agent_id,
    )
    mark_dirty(tenant_id=conversation.tenant_id, moments=[rating.created_at])
    return rating


@transaction.atomic
def export_request(*, tenant, period: ReportPeriod, fmt: str, agent=None, requested_by=None, via: str = "console"):
    """Records an export and enqueues ``reports.generate_export`` after commit."""
    export = ReportExport.objects.create(
        tenant=tenant,
        period_type=period.type,
        first_day=period.first_day,
        last_day=period.last_day,
        agent=agent,
        format=fmt,
        requested_by=requested_by,
        requested_via=via,
    )
    transaction.on_commit(lambda: generate_export.delay(export.pk))
    return export
