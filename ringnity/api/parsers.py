import io

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from ringnity.api.errors import ApiError, ErrorCode


class SafeJSONParser(JSONParser):
    """DRF's JSON parser with two guards DRF does not have.

    * Size: DRF reads the body stream itself, bypassing Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE``;
      here at most that many bytes are read (chunked bodies too) and a larger body is a 413.
    * Depth: absurd nesting (``[[[[...``) raises RecursionError in ``json``; here it is a 400.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None:
            raw = stream.read(limit + 1)
            if len(raw) > limit:
                raise ApiError(ErrorCode.PAYLOAD_TOO_LARGE, f"Request body larger than {limit} bytes.", status=413)
            stream = io.BytesIO(raw)
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError("JSON nested too deeply.") from exc
