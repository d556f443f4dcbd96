"""The CSV form of a report: three sections (summary, agents, daily series) in one file.

Spreadsheets run a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and, in some, a tab or
carriage return) as a formula: an agent named ``=HYPERLINK(...)`` would otherwise execute in
the reader's spreadsheet. Every text cell starting with one of those is prefixed with a single
quote (OWASP's advice); numbers are written as numbers, so a negative figure would not be
touched (and none of ours is negative).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

SUMMARY_FIELDS = [
    ("calls", "totalIncoming"),
    ("calls", "totalAnswered"),
    ("calls", "totalMissed"),
    ("calls", "answerRate"),
    ("calls", "avgDurationSeconds"),
    ("calls", "totalHandled"),
    ("calls", "currentQueueCount"),
    ("chat", "totalConversations"),
    ("chat", "openConversations"),
    ("chat", "pendingConversations"),
    ("chat", "resolvedConversations"),
    ("chat", "closedConversations"),
    ("chat", "totalMessages"),
    ("chat", "agentMessages"),
    ("chat", "visitorMessages"),
    ("chat", "conversationResolutionRate"),
    ("satisfaction", "avgRatingScore"),
    ("satisfaction", "totalRatings"),
    ("satisfaction", "satisfactionRate"),
]
AGENT_FIELDS = [
    "agentId",
    "agentName",
    "username",
    "callsHandled",
    "avgDurationSeconds",
    "avgRating",
    "totalRatings",
    "conversationsAssigned",
]
SERIES_FIELDS = [
    "date",
    "callsTotal",
    "callsAnswered",
    "callsMissed",
    "conversations",
    "conversationsResolved",
    "messages",
]
LATENCY_FIELDS = ["firstResponseSeconds", "resolutionSeconds"]


def escape_cell(value):
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _latency_cells(item: dict) -> list:
    cells = []
    for name in LATENCY_FIELDS:
        figure = item.get(name) or {}
        cells += [figure.get("median"), figure.get("p90")]
    return cells


def _latency_headers() -> list[str]:
    return [f"{name}{suffix}" for name in LATENCY_FIELDS for suffix in ("Median", "P90")]


def report_csv_rows(report: dict, *, tenant_slug: str) -> Iterator[list]:
    period = report["period"]
    summary = report["summary"]
    yield ["section", "report"]
    yield ["tenant", tenant_slug]
    yield ["period", period["type"]]
    yield ["start", period["start"]]
    yield ["end", period["end"]]
    yield []
    yield ["section", "summary"]
    yield ["group", "figure", "value"]
    for group, name in SUMMARY_FIELDS:
        yield [group, name, summary[group][name]]
    for name in LATENCY_FIELDS:
        figure = summary["chat"].get(name) or {}
        yield ["chat", f"{name}Median", figure.get("median")]
        yield ["chat", f"{name}P90", figure.get("p90")]
    yield []
    yield ["section", "agents"]
    yield AGENT_FIELDS + _latency_headers()
    for agent in report["agentBreakdown"]:
        yield [agent.get(name) for name in AGENT_FIELDS] + _latency_cells(agent)
    yield []
    yield ["section", "daily"]
    yield SERIES_FIELDS + _latency_headers()
    for point in report["timeseries"]:
        yield [point.get(name) for name in SERIES_FIELDS] + _latency_cells(point)


def write_csv(rows: Iterable[list]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow([escape_cell(cell) for cell in row])
    return buffer.getvalue()


def report_csv(report: dict, *, tenant_slug: str) -> str:
    return write_csv(report_csv_rows(report, tenant_slug=tenant_slug))
