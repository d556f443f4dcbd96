"""Every report figure, defined once, computed from summed rollup counters.

Counters (one ``DailyRollup`` column each; a row is one tenant, local day, agent):

* calls — a call session counts on the local day it started; its agent is the call's agent.
  ``calls_total``: every call session. ``calls_incoming``: direction ``inbound``.
  ``calls_answered``: inbound calls with an answer time. ``calls_missed``: inbound calls that
  ended unanswered (status ``missed`` or ``failed``, or ``ended`` without an answer).
  ``calls_handled``: calls of either direction that were answered (per agent: answered by
  that agent). ``call_duration_sum``/``call_duration_count``: duration of answered calls that
  have one (the calls app computes it from answer to end).
* conversations — count on the local day they were created, under their current assignee.
  ``conversations``: created. ``conversations_<status>``: of those, by current status
  (open, pending, resolved, closed).
* messages — count on the local day they were sent, under the conversation's current
  assignee. ``messages``: every sender type (visitor, agent, system, ai), soft-deleted ones
  included (they were sent). ``messages_agent``/``messages_visitor``: by sender type.
* ratings — count on the local day the visitor rated, under the agent the conversation was
  assigned to at that moment. ``ratings``, ``rating_sum``, ``ratings_positive`` (score >= 4).

Figures (the contract's ``ReportSummary``; rates are whole percentages, rounded half up):

* ``totalIncoming`` = calls_incoming; ``totalAnswered`` = calls_answered; ``totalMissed`` =
  calls_missed; ``answerRate`` = 100 x answered / incoming (0 without calls);
  ``avgDurationSeconds`` = call_duration_sum / call_duration_count, rounded (0 without);
  ``totalHandled`` = calls_handled; ``currentQueueCount`` = inbound calls ringing right now
  (status ``started``), for the whole tenant, whatever the period or agent filter.
* ``totalConversations`` = conversations; ``open``/``pending``/``resolved``/``closedConversations``
  by status; ``totalMessages``, ``agentMessages``, ``visitorMessages``;
  ``conversationResolutionRate`` = 100 x (resolved + closed) / conversations.
* ``avgRatingScore`` = rating_sum / ratings, two decimals (0 without ratings);
  ``totalRatings`` = ratings; ``satisfactionRate`` = 100 x ratings_positive / ratings.
* Beyond the contract: ``firstResponseSeconds`` (conversation creation to the first agent
  message) and ``resolutionSeconds`` (creation to close, for resolved/closed conversations),
  each ``{median, p90, count}`` from the histogram buckets (``apps.reports.histogram``),
  attributed like conversations. Nulls when there is nothing to measure.

Agent breakdown (``ReportAgentBreakdownItem``): ``callsHandled``, ``avgDurationSeconds``,
``avgRating``, ``totalRatings``, ``conversationsAssigned`` (conversations created in the period
currently assigned to the agent) and the two latency figures, from that agent's rows.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from apps.reports.histogram import METRICS, latency_summary

COUNTERS = (
    "calls_total",
    "calls_incoming",
    "calls_answered",
    "calls_missed",
    "calls_handled",
    "call_duration_sum",
    "call_duration_count",
    "conversations",
    "conversations_open",
    "conversations_pending",
    "conversations_resolved",
    "conversations_closed",
    "messages",
    "messages_agent",
    "messages_visitor",
    "ratings",
    "rating_sum",
    "ratings_positive",
)


def zero() -> dict:
    return dict.fromkeys(COUNTERS, 0)


def add(into: dict, other: dict) -> dict:
    for name in COUNTERS:
        into[name] += other.get(name) or 0
    return into


def _ratio(part: int, whole: int) -> Decimal:
    return Decimal(part) / Decimal(whole) if whole else Decimal(0)


def rate(part: int, whole: int) -> int:
    return int((_ratio(part, whole) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def average(total: int, count: int, places: int = 0) -> float | int:
    value = _ratio(total, count).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return int(value) if places == 0 else float(value)


def latency(buckets_by_metric: dict) -> dict:
    return {name: latency_summary(buckets_by_metric.get(metric, [])) for metric, name in METRICS.items()}


def call_summary(c: dict, *, queue: int) -> dict:
    return {
        "totalIncoming": c["calls_incoming"],
        "totalAnswered": c["calls_answered"],
        "totalMissed": c["calls_missed"],
        "answerRate": rate(c["calls_answered"], c["calls_incoming"]),
        "avgDurationSeconds": average(c["call_duration_sum"], c["call_duration_count"]),
        "totalHandled": c["calls_handled"],
        "currentQueueCount": queue,
    }


def chat_summary(c: dict, latency_figures: dict) -> dict:
    return {
        "totalConversations": c["conversations"],
        "openConversations": c["conversations_open"],
        "pendingConversations": c["conversations_pending"],
        "resolvedConversations": c["conversations_resolved"],
        "closedConversations": c["conversations_closed"],
        "totalMessages": c["messages"],
        "agentMessages": c["messages_agent"],
        "visitorMessages": c["messages_visitor"],
        "conversationResolutionRate": rate(c["conversations_resolved"] + c["conversations_closed"], c["conversations"]),
        **latency_figures,
    }


def satisfaction_summary(c: dict) -> dict:
    return {
        "avgRatingScore": average(c["rating_sum"], c["ratings"], places=2),
        "totalRatings": c["ratings"],
        "satisfactionRate": rate(c["ratings_positive"], c["ratings"]),
    }


def report_summary(c: dict, latency_figures: dict, *, queue: int) -> dict:
    """The contract's ``ReportSummary``: every figure flat and again nested by group."""
    calls, chat, satisfaction = call_summary(c, queue=queue), chat_summary(c, latency_figures), satisfaction_summary(c)
    return {**calls, **chat, **satisfaction, "calls": calls, "chat": chat, "satisfaction": satisfaction}


def agent_item(user, c: dict, latency_figures: dict) -> dict:
    return {
        "agentId": user.public_id,
        "agentName": user.display_name,
        "username": user.username,
        "callsHandled": c["calls_handled"],
        "avgDurationSeconds": average(c["call_duration_sum"], c["call_duration_count"]),
        "avgRating": average(c["rating_sum"], c["ratings"], places=2),
        "totalRatings": c["ratings"],
        "conversationsAssigned": c["conversations"],
        **latency_figures,
    }


def series_point(day, c: dict, latency_figures: dict) -> dict:
    return {
        "date": day.isoformat(),
        "callsTotal": c["calls_total"],
        "callsAnswered": c["calls_answered"],
        "callsMissed": c["calls_missed"],
        "conversations": c["conversations"],
        "conversationsResolved": c["conversations_resolved"] + c["conversations_closed"],
        "messages": c["messages"],
        **latency_figures,
    }
