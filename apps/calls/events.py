"""Call events (``call.*``): their types and the serializer that renders each one's ``data``.

``CallsConfig.ready()`` registers ``EVENTS`` with ``apps.webhooks.catalog``. ``call.ended`` also
announces a ``failed`` call (its ``status`` says which).
"""

from __future__ import annotations

from apps.calls.api.outputs import CallSessionOutput

#: (event type, the serializer of its ``data``, what happened)
EVENTS = (
    ("call.started", CallSessionOutput, "A call session started ringing."),
    ("call.answered", CallSessionOutput, "A call session was answered."),
    ("call.ended", CallSessionOutput, "A call session ended (also when it failed: see `status`)."),
    ("call.missed", CallSessionOutput, "A call session was not answered."),
)
