"""``@idempotent``: the view-method decorator that gives an operation the ``Idempotency-Key`` header.

It runs inside the handler, after authentication, permissions, the rate limit and the plan checks, so a
request refused by any of them uses no key. Without the header the operation runs as always.
"""

from __future__ import annotations

import functools

from rest_framework.response import Response

from apps.idempotency.services import idempotent_run, stored_answer
from ringnity.api.idempotency import MARKER, REPLAYED_HEADER, idempotency_key, request_fingerprint


def idempotent(handler):
    """Decorates a Server API or Admin SDK ``post`` (under its ``@extend_schema``)."""

    @functools.wraps(handler)
    def wrapper(view, request, *args, **kwargs):
        key = idempotency_key(request)
        if key is None:
            return handler(view, request, *args, **kwargs)
        principal = request.auth
        answer, replay = idempotent_run(
            tenant=principal.tenant,
            credential=principal.credential_reference,
            method=request.method,
            path=request.path,
            key=key,
            fingerprint=request_fingerprint(request),
            run=lambda: handler(view, request, *args, **kwargs),
        )
        if replay is None:
            return answer
        data, headers = stored_answer(replay)
        return Response(data, status=replay.status_code, headers={**headers, REPLAYED_HEADER: "true"})

    setattr(wrapper, MARKER, True)
    return wrapper
