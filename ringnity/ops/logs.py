"""Structured logs: one JSON object per line, with the request id of the request or task behind it.

``LOG_FORMAT=json`` (the production default) uses ``JsonFormatter``; ``plain`` keeps one readable
line (the ``DEBUG`` default). Both get ``request_id`` from ``ringnity.api.middleware``'s context,
which the request sets and a Celery task inherits from the request that enqueued it
(``ringnity.ops.task_context``).
"""

import logging
from datetime import UTC, datetime

import orjson

#: Attributes every LogRecord has; anything else was passed with ``extra=`` and goes into the object.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "request_id"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()
