"""The one envelope renderer: ``{"success": true, "data": ...}`` around every successful body, in orjson.

orjson renders a page of rows several times faster than the standard library encoder. What it does
not know natively (times, decimals, lazy strings, ...) goes to DRF's own encoder, so every value
renders as it did with ``JSONRenderer`` (times as ISO 8601 with ``Z``, milliseconds). Text is
UTF-8; a string orjson refuses (a lone surrogate such as ``"\\ud800"``, valid JSON that UTF-8 cannot
hold, echoed from client input) makes the whole body fall back to DRF's ASCII-escaped rendering, so
it still renders instead of failing.
"""

import orjson
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.encoders import JSONEncoder

_ORJSON_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS
_encoder = JSONEncoder()


class EnvelopeJSONRenderer(JSONRenderer):
    """Wraps successful responses as ``{"success": true, "data": ...}``.

    Error responses are already envelopes built by the exception handler
    (``response.exception`` is set), and are rendered as they are.
    """

    # The fallback's output: ASCII escapes, which any string survives.
    ensure_ascii = True

    def render(self, data, accepted_media_type=None, renderer_context=None):
        response = (renderer_context or {}).get("response")
        if response is not None and not getattr(response, "exception", False) and response.status_code < 400:
            data = {"success": True, "data": {} if data is None else data}
        if data is None:
            return b""
        if self.get_indent(accepted_media_type or "", renderer_context or {}) is None:
            try:
                return orjson.dumps(data, default=_encoder.default, option=_ORJSON_OPTIONS)
            except orjson.JSONEncodeError:
                pass  # rendered below, escaped
        return super().render(data, accepted_media_type, renderer_context)
