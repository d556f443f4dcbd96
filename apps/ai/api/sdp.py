"""Plain-text SDP bodies in and out (``application/sdp`` and ``text/plain``), size-bounded.

Errors of these routes stay JSON envelopes whatever the client accepts: the renderers
render a string (the SDP answer) as text and anything else (an error envelope) as JSON.
"""

from rest_framework.parsers import BaseParser
from rest_framework.renderers import BaseRenderer

from ringnity.api.errors import ApiError, ErrorCode
from ringnity.api.renderers import EnvelopeJSONRenderer

MAX_SDP_BYTES = 32 * 1024


class _TextParser(BaseParser):
    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read(MAX_SDP_BYTES + 1) if stream is not None else b""
        if len(raw) > MAX_SDP_BYTES:
            raise ApiError(ErrorCode.PAYLOAD_TOO_LARGE, f"The SDP offer is larger than {MAX_SDP_BYTES} bytes.", 413)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ApiError(ErrorCode.VALIDATION_FAILED, "The SDP offer is not UTF-8 text.", 400) from exc


class SdpParser(_TextParser):
    media_type = "application/sdp"


class PlainTextParser(_TextParser):
    media_type = "text/plain"


class _TextRenderer(BaseRenderer):
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, str):
            return data.encode("utf-8")
        response = (renderer_context or {}).get("response")
        if response is not None:
            response["Content-Type"] = "application/json"
        return EnvelopeJSONRenderer().render(data, "application/json", renderer_context)


class SdpRenderer(_TextRenderer):
    media_type = "application/sdp"
    format = "sdp"


class PlainTextRenderer(_TextRenderer):
    media_type = "text/plain"
    format = "txt"
