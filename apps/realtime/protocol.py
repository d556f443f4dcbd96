"""The wire protocol of ``/realtime/v1``: close codes, client frame validation and the server frames.

The document of record is ``docs/contract/ringnity-realtime.asyncapi.yaml``; every frame the server
builds comes from a function here, and the test suite validates every frame it receives against that
document (``ringnity.testing.realtime_contract``).
"""

from __future__ import annotations

import json
from enum import IntEnum

from ringnity.api.errors import ErrorCode

PATH = "realtime/v1"
MAX_FRAME_BYTES = 64 * 1024
REQUEST_ID_MAX = 100
ID_MAX = 64
CALL_SIGNALS = ("call.offer", "call.answer", "call.ice", "call.hangup")
PRESENCE_INPUT = ("available", "online", "busy", "unavailable", "offline")
SDP_MAX = 32 * 1024
REASON_MAX = 255


class Close(IntEnum):
    GOING_AWAY = 1001
    HEARTBEAT_MISSED = 4000
    AUTH_FAILED = 4001
    REVOKED = 4002
    FORBIDDEN = 4003
    TOKEN_EXPIRED = 4004
    POLICY = 4008
    RESYNC_REQUIRED = 4009
    RATE_LIMITED = 4029


class FrameError(Exception):
    """A client frame that is refused with an ``error`` frame (the socket stays open)."""

    def __init__(self, code: ErrorCode, message: str, *, request_id: str | None = None, details=None):
        super().__init__(message)
        self.code, self.message, self.request_id, self.details = code, message, request_id, details


class ProtocolViolation(Exception):
    """A frame that is not a JSON object of acceptable size: the socket is closed with 4008."""


def encode(frame: dict) -> str:
    return json.dumps(frame, separators=(",", ":"), ensure_ascii=False)


def decode(text: str | None, raw: bytes | None) -> dict:
    """The client frame as a dict; ``ProtocolViolation`` for binary, oversized or non-object frames."""
    if text is None or raw is not None:
        raise ProtocolViolation("Frames are JSON text.")
    if len(text) > MAX_FRAME_BYTES or len(text.encode("utf-8", "surrogatepass")) > MAX_FRAME_BYTES:
        raise ProtocolViolation("The frame is larger than 64 KiB.")
    try:
        frame = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ProtocolViolation("The frame is not JSON.") from exc
    if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
        raise ProtocolViolation("A frame is a JSON object with a string `type`.")
    return frame


def _string(frame: dict, key: str, *, max_length: int, required: bool = True) -> str | None:
    value = frame.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value or len(value) > max_length or "\x00" in value:
        raise FrameError(
            ErrorCode.VALIDATION_FAILED,
            f"`{key}` must be a non-empty string of at most {max_length} characters.",
            request_id=request_id(frame),
            details=[f"{key}: invalid"],
        )
    return value


def request_id(frame: dict) -> str | None:
    value = frame.get("requestId")
    return value if isinstance(value, str) and 0 < len(value) <= REQUEST_ID_MAX else None


def conversation_id(frame: dict) -> str:
    return _string(frame, "conversationId", max_length=ID_MAX)


def token(frame: dict) -> str:
    return _string(frame, "token", max_length=4096)


def cursor(frame: dict) -> int:
    value = frame.get("cursor")
    if not isinstance(value, str) or not value.isascii() or not value.isdigit() or len(value) > 19:
        raise FrameError(ErrorCode.VALIDATION_FAILED, "`cursor` is the string of a cursor the server sent.")
    return int(value)


def boolean(frame: dict, key: str) -> bool:
    value = frame.get(key)
    if not isinstance(value, bool):
        raise FrameError(ErrorCode.VALIDATION_FAILED, f"`{key}` must be true or false.", details=[f"{key}: invalid"])
    return value


def call_signal(frame: dict) -> dict:
    """The relayable part of a ``call.*`` signalling frame (validated)."""
    call_session_id = _string(frame, "callSessionId", max_length=ID_MAX)
    relayed = {"callSessionId": call_session_id}
    if frame["type"] in ("call.offer", "call.answer"):
        relayed["sdp"] = _string(frame, "sdp", max_length=SDP_MAX)
    elif frame["type"] == "call.ice":
        candidate = frame.get("candidate")
        if not isinstance(candidate, dict) or len(encode(candidate)) > SDP_MAX:
            raise FrameError(ErrorCode.VALIDATION_FAILED, "`candidate` must be an object (RTCIceCandidateInit).")
        relayed["candidate"] = candidate
    else:
        reason = _string(frame, "reason", max_length=REASON_MAX, required=False)
        if reason is not None:
            relayed["reason"] = reason
    return relayed


def presence_status(frame: dict) -> str:
    value = frame.get("status")
    if value not in PRESENCE_INPUT:
        raise FrameError(ErrorCode.VALIDATION_FAILED, f"`status` must be one of {', '.join(PRESENCE_INPUT)}.")
    return value


# --- server frames ---------------------------------------------------------------------------


def error_frame(code: ErrorCode, message: str, *, request_id: str | None = None, details=None) -> dict:
    frame = {"type": "error", "code": str(code), "message": message}
    if request_id:
        frame["requestId"] = request_id
    if details:
        frame["details"] = list(details)
    return frame


def ack_frame(kind: str, conversation: str, rid: str | None) -> dict:
    frame = {"type": kind, "conversationId": conversation}
    if rid:
        frame["requestId"] = rid
    return frame


def cursor_text(seq: int) -> str:
    return str(int(seq))
