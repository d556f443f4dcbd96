import io
import json

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from ringnity.api.errors import ApiError, ErrorCode


class SafeJSONParser(JSONParser):
    """DRF's JSON parser with the guards and messages DRF does not have.

    * Size: DRF reads the body stream itself, bypassing Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE``;
      here at most that many bytes are read (chunked bodies too) and a larger body is a 413.
    * Depth: absurd nesting (``[[[[...``) raises RecursionError in ``json``; here it is a 400.
    * Bad JSON names the line and column of the first error (``json``'s own reason, never the input).
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
        except ParseError as exc:
            raise malformed_json(exc.__context__) from exc


def malformed_json(cause: BaseException | None) -> ApiError:
    """The 400 for a body that is not JSON: where it breaks and why, in ``json``'s words."""
    if isinstance(cause, json.JSONDecodeError):
        where = f"line {cause.lineno}, column {cause.colno}"
        return ApiError(
            ErrorCode.VALIDATION_FAILED,
            f"Malformed JSON body at {where}: {cause.msg}.",
            details=[f"body: {cause.msg} at {where} (character {cause.pos})"],
        )
    if isinstance(cause, UnicodeDecodeError):
        reason = f"not valid {cause.encoding} at byte {cause.start}"
    elif isinstance(cause, ValueError):
        reason = "NaN and Infinity are not JSON" if "compliant" in str(cause) else "not valid JSON"
    else:
        reason = "not valid JSON"
    return ApiError(ErrorCode.VALIDATION_FAILED, f"Malformed JSON body: {reason}.", details=[f"body: {reason}"])
