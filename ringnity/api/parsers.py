import io
import json

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from ringnity.api.errors import ApiError, ErrorCode

MAX_DEPTH = 512


def nesting_depth_exceeds(raw: bytes, limit: int) -> bool:
    """Whether arrays/objects nest deeper than ``limit`` (brackets inside strings do not count)."""
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False
    depth, in_string, escaped = 0, False, False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            if depth > limit:
                return True
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return False


class SafeJSONParser(JSONParser):
    """DRF's JSON parser with the guards and messages DRF does not have.

    * Size: DRF reads the body stream itself, bypassing Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE``;
      here at most that many bytes are read (chunked bodies too) and a larger body is a 413.
    * Depth: more than ``MAX_DEPTH`` nested arrays/objects is a 400 naming the body, checked before
      ``json`` parses (its recursion limit depends on how deep the call stack already is, so a
      RecursionError would come at different depths behind different middleware).
    * Bad JSON names the line and column of the first error (``json``'s own reason, never the input).
    """

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None:
            raw = stream.read(limit + 1)
            if len(raw) > limit:
                raise ApiError(ErrorCode.PAYLOAD_TOO_LARGE, f"Request body larger than {limit} bytes.", status=413)
            stream = io.BytesIO(raw)
            if nesting_depth_exceeds(raw, MAX_DEPTH):
                raise ApiError(
                    ErrorCode.VALIDATION_FAILED,
                    f"JSON nested too deeply (more than {MAX_DEPTH} levels).",
                    details=[f"body: nested more than {MAX_DEPTH} levels deep"],
                )
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
