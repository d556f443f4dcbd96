from rest_framework.renderers import JSONRenderer


class EnvelopeJSONRenderer(JSONRenderer):
    # ASCII output: error details may echo client input, and a lone surrogate ("\ud800" is valid
    # JSON) cannot be encoded as UTF-8; escaped it renders, unescaped it would be a 500.
    ensure_ascii = True

    """Wraps successful responses as ``{"success": true, "data": ...}``.

    Error responses are already envelopes built by the exception handler
    (``response.exception`` is set), and are rendered as they are.
    """

    def render(self, data, accepted_media_type=None, renderer_context=None):
        response = (renderer_context or {}).get("response")
        if response is not None and not getattr(response, "exception", False) and response.status_code < 400:
            data = {"success": True, "data": {} if data is None else data}
        return super().render(data, accepted_media_type, renderer_context)
