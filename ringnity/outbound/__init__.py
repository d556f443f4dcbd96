"""Outbound HTTP for every caller (webhooks, knowledge pages, the AI provider, Google's key set).

Plumbing that knows no app: the address policy (``addresses``), one deadline for a whole exchange
(``deadline``) and the pinned, deadline-bound HTTP/1.1 transport with keep-alive reuse
(``transport``). See each module's docstring.
"""

from ringnity.outbound.addresses import Refused, Unresolved, address_problem, resolve
from ringnity.outbound.deadline import Deadline, DeadlineExceeded
from ringnity.outbound.transport import (
    OPERATOR_CONFIGURED,
    Exchange,
    Policy,
    Pool,
    Response,
    TransportError,
    exchange,
    request,
    target_of,
)

__all__ = [
    "OPERATOR_CONFIGURED",
    "Deadline",
    "DeadlineExceeded",
    "Exchange",
    "Policy",
    "Pool",
    "Refused",
    "Response",
    "TransportError",
    "Unresolved",
    "address_problem",
    "exchange",
    "request",
    "resolve",
    "target_of",
]
