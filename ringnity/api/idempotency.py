"""The ``Idempotency-Key`` request header (draft-ietf-httpapi-idempotency-key-header): what a key may be,
what "the same request" means, and how an operation says it takes one. Storage and replay live in
``apps.idempotency``; this plumbing knows no app.

* A key is 1-255 printable ASCII characters (``0x20``-``0x7E``, so no NUL and nothing non-ASCII); anything
  else is a 400 ``VALIDATION_FAILED`` naming ``Idempotency-Key`` (and nothing runs).
* The same request: the same query string and the same body as canonical JSON, so key order and
  whitespace do not matter while values do (``1`` and ``1.0`` differ). A form or multipart body is its
  fields, with each file as its name, size and SHA-256.
"""

from __future__ import annotations

import hashlib
import json

from drf_spectacular.utils import OpenApiParameter

from ringnity.api.errors import validation_failed

HEADER = "Idempotency-Key"
KEY_MAX_LENGTH = 255
REPLAYED_HEADER = "Idempotent-Replayed"
#: Set on a view method by ``apps.idempotency.http.idempotent``; the schema documents the header from it.
MARKER = "takes_idempotency_key"

PARAMETER = OpenApiParameter(
    HEADER,
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="Up to 255 printable ASCII characters. A repeat with the same key and the same request (query "
    "and canonical JSON body) from the same credential within 24 hours returns the first 2xx answer again "
    f"(status, body, headers; marked `{REPLAYED_HEADER}: true`) and does nothing; the same key with another "
    "request is 409 `IDEMPOTENCY_KEY_REUSED`. A repeat sent while the first is still running waits for its "
    "answer (409 `CONFLICT` after 30 s). An error answer is not kept: a retry with the key runs again.",
)


def idempotency_key(request) -> str | None:
    """The request's key, None without the header; 400 for a key that is empty, too long or not printable ASCII."""
    key = request.META.get("HTTP_IDEMPOTENCY_KEY")
    if key is None:
        return None
    if not key.strip():
        raise validation_failed([f"{HEADER}: must not be empty."])
    if len(key) > KEY_MAX_LENGTH:
        raise validation_failed([f"{HEADER}: at most {KEY_MAX_LENGTH} characters."])
    if not all(" " <= char <= "~" for char in key):
        raise validation_failed([f"{HEADER}: use printable ASCII characters only."])
    return key


def _canonical(value):
    if hasattr(value, "chunks"):  # an uploaded file
        digest = hashlib.sha256()
        for chunk in value.chunks():
            digest.update(chunk)
        value.seek(0)
        return {"file": getattr(value, "name", ""), "size": value.size, "sha256": digest.hexdigest()}
    if hasattr(value, "lists"):  # a QueryDict: form or multipart fields
        return {name: [_canonical(item) for item in items] for name, items in value.lists()}
    return value


def request_fingerprint(request) -> str:
    """SHA-256 of the request as the key binds it: sorted query, canonical body."""
    canonical = {"query": sorted(request.query_params.lists()), "body": _canonical(request.data)}
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()
