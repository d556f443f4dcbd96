from rest_framework.renderers import JSONRenderer


class EnvelopeJSONRenderer(JSONRenderer):
    """Wraps successful responses as ``{"success": true, "data": ...}``.

    Error responses are already envelopes built by the exception handler
    (``response.exception`` is set), and are rendered as they are.
    """

    def render(self, data, accepted_media_type=None, renderer_context=None):
        response = (renderer_context or {}).get("response")
        if response is not None and not getattr(response, "exception", False) and response.status_code < 400:
            data = {"success": True, "data": {} if data is None else data}
        return super().render(data, accepted_media_type, renderer_context)
