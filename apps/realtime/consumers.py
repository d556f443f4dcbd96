"""The gateway socket ``/realtime/v1`` (the protocol: ``docs/contract/ringnity-realtime.asyncapi.yaml``).

A socket has no channel-layer channel of its own: the process's feed (``apps.realtime.feed``) routes
to it. What the socket owns is its send queue, drained by one writer task: the feed only ever puts
frames in it, so a slow client never slows fan-out to the others, and a queue that grows past
``REALTIME_SEND_QUEUE_LIMIT`` closes the socket with 4009 (the client resumes from its cursor).

Durable frames carry their cursor (``seq``); ``push`` drops a cursor the socket already had (replayed,
or already live) so a resume merges the database replay with the live stream without a duplicate.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from urllib.parse import urlsplit

from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from apps.runtime.services import origin_allowed_for_any_tenant
from ringnity.api.errors import ErrorCode
from ringnity.ops import metrics

from . import actions
from .connections import agent_key, ip_key, registry, tenant_key
from .feed import feed
from .listeners import AuthRefused, Listener, listener_authenticate
from .protocol import (
    Close,
    FrameError,
    ProtocolViolation,
    decode,
    encode,
    error_frame,
)
from .protocol import token as token_field
from .threads import db

logger = logging.getLogger("apps.realtime")
_CLOSE = object()


class Outbox:
    """A socket's send queue: one writer takes, the feed and handlers put (never blocking).

    A list and, while the writer waits, one future: an ``asyncio.Queue`` holds four deques (its items,
    getters, putters and an Event's waiters), about 2.5 KB of every idle socket (bench/realtime.py).
    """

    __slots__ = ("items", "waiter")

    def __init__(self) -> None:
        self.items: list = []
        self.waiter: asyncio.Future | None = None

    def qsize(self) -> int:
        return len(self.items)

    def put_nowait(self, item) -> None:
        self.items.append(item)
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)

    async def get(self):
        while not self.items:
            self.waiter = asyncio.get_running_loop().create_future()
            try:
                await self.waiter
            finally:
                self.waiter = None
        return self.items.pop(0)


def _header(scope, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return ""


class GatewayConsumer(AsyncWebsocketConsumer):
    channel_layer_alias = None  # no channel per socket: the process feed routes to it

    async def connect(self) -> None:
        self.listener: Listener | None = None
        self.auth_received = False
        self.connection_id = "rtc_" + secrets.token_hex(12)
        self.principal_key = ""
        self.subscriptions: set[str] = set()
        self.audiences: dict = {}
        self.typing_sent: dict = {}
        self.settings_ping = settings.REALTIME_PING_SECONDS
        self.queue_limit = settings.REALTIME_SEND_QUEUE_LIMIT
        self.closing = False
        self.queue = Outbox()
        self.opened_at = self.last_frame_at = self.last_ping_at = time.monotonic()
        # Resume bookkeeping: while `held` is a list, frames wait there (auth, replay); `covered` is the
        # newest cursor a replay delivered; `live_seqs` the cursors delivered live before a resume.
        self.held: list | None = None
        self.covered = 0
        self.live_seqs: set[int] | None = set()
        self.origin = _header(self.scope, b"origin")
        self.host = _header(self.scope, b"host")
        self.ip = (self.scope.get("client") or ["unknown"])[0]
        self.admitted_keys: list[str] = []
        self.feed = feed()
        if self.origin and not self.same_origin() and not await db(origin_allowed_for_any_tenant)(origin=self.origin):
            await self.close()  # before accept: the upgrade is answered 403
            return
        await self.accept()
        metrics.realtime_connection_opened()
        self.counted = True
        self.writer = asyncio.create_task(self._write_loop())
        self.feed.track(self)
        full = await registry().admit(self.connection_id, {ip_key(self.ip): settings.REALTIME_MAX_CONNECTIONS_PER_IP})
        if full:
            await self.close_with(
                Close.RATE_LIMITED,
                "Too many connections from this address.",
                error_frame(ErrorCode.RATE_LIMITED, "Too many realtime connections from this address."),
            )
            return
        self.admitted_keys = [ip_key(self.ip)]

    def same_origin(self) -> bool:
        return bool(self.host) and urlsplit(self.origin).netloc.lower() == self.host.lower()

    # --- frames in ------------------------------------------------------------------------------

    async def receive(self, text_data=None, bytes_data=None) -> None:
        if self.closing:
            return
        self.last_frame_at = time.monotonic()
        try:
            frame = decode(text_data, bytes_data)
        except ProtocolViolation as exc:
            await self.close_with(Close.POLICY, str(exc), error_frame(ErrorCode.VALIDATION_FAILED, str(exc)))
            return
        kind = frame["type"]
        if kind == "pong":
            return
        if kind == "ping":
            self.push(encode({"type": "pong"}))
            return
        if kind == "auth":
            self.auth_received = True  # the deadline is for sending it; checking it may take longer under load
            await self.authenticate(frame)
            return
        if self.listener is None:
            message = 'The first frame must be {"type": "auth", "token": ...}.'
            await self.close_with(Close.AUTH_FAILED, message, error_frame(ErrorCode.AUTH_REQUIRED, message))
            return
        try:
            await actions.handle(self, kind, frame)
        except FrameError as exc:
            self.push(encode(error_frame(exc.code, exc.message, request_id=exc.request_id, details=exc.details)))

    async def authenticate(self, frame: dict) -> None:
        try:
            raw = token_field(frame)
            listener = await db(listener_authenticate)(raw)
            if self.listener is not None:
                await self.reauthenticate(listener)
                return
            limit = await db(actions.admission)(listener, origin=self.origin, same_origin=self.same_origin())
        except FrameError as exc:
            await self.close_with(Close.AUTH_FAILED, exc.message, error_frame(ErrorCode.AUTH_REQUIRED, exc.message))
            return
        except AuthRefused as refusal:
            await self.close_with(refusal.close, refusal.message, error_frame(refusal.code, refusal.message))
            return
        limits = {tenant_key(listener.tenant_pk): limit}
        if listener.agent_pk:
            limits[agent_key(listener.agent_pk)] = -1
        if await registry().admit(self.connection_id, limits):
            message = "The plan's realtime_connections quota allows no more sockets for this tenant."
            await self.close_with(Close.RATE_LIMITED, message, error_frame(ErrorCode.QUOTA_EXCEEDED, message))
            return
        self.admitted_keys += list(limits)
        self.listener = listener
        self.principal_key = f"{listener.kind}:{listener.subject}"
        self.held = []
        try:
            cursor = await self.feed.attach(self)
            self.enqueue(encode(actions.ready_frame(self, cursor)))
        finally:
            self.release_held()

    async def reauthenticate(self, listener: Listener) -> None:
        """A new token for the same principal extends the socket (``expiresAt``); another principal is 4001."""
        if not listener.same_principal(self.listener):
            message = "A socket stays with the principal it authenticated first."
            await self.close_with(Close.AUTH_FAILED, message, error_frame(ErrorCode.AUTH_TOKEN_INVALID, message))
            return
        self.listener.expires_at = listener.expires_at
        self.listener.chat_session_id = listener.chat_session_id
        self.listener.issued_by_key, self.listener.key_version = listener.issued_by_key, listener.key_version
        self.listener.issued_by_session = listener.issued_by_session
        self.push(encode(actions.ready_frame(self, self.feed.tenants[listener.tenant_pk].last_seq)))

    # --- frames out -----------------------------------------------------------------------------

    def push(self, text: str, seq: int | None = None) -> None:
        """Queues a frame (from the feed or a handler); never blocks."""
        if self.closing:
            return
        if seq is not None:
            if self.held is not None:
                self.held.append((seq, text))
                return
            if seq <= self.covered or (self.live_seqs is not None and seq in self.live_seqs):
                return
            if self.live_seqs is not None:
                self.live_seqs.add(seq)
        elif self.held is not None:
            self.held.append((None, text))
            return
        self.enqueue(text)

    def enqueue(self, text: str) -> None:
        if self.queue.qsize() >= self.queue_limit:
            self.close_soon(Close.RESYNC_REQUIRED, "Too far behind: resume from your cursor.")
            return
        self.queue.put_nowait(text)

    def release_held(self) -> None:
        held, self.held = self.held or [], None
        for seq, text in held:
            self.push(text, seq)

    async def _write_loop(self) -> None:
        while True:
            item = await self.queue.get()
            if isinstance(item, tuple) and item[0] is _CLOSE:
                await self._close_now(item[1], item[2])
                return
            try:
                await self.send(text_data=item)
            except Exception:  # the transport is gone; the disconnect event follows
                return

    async def close_with(self, code: Close, reason: str, frame: dict | None = None) -> None:
        """Closes after the frames already queued (and ``frame``); a slow socket is closed at once."""
        if self.closing:
            return
        self.closing = True
        if code == Close.RESYNC_REQUIRED or code == Close.HEARTBEAT_MISSED or not hasattr(self, "writer"):
            if hasattr(self, "writer"):
                self.writer.cancel()
            await self._close_now(code, reason)
            return
        if frame is not None:
            self.queue.put_nowait(encode(frame))
        self.queue.put_nowait((_CLOSE, code, reason))

    def close_soon(self, code: Close, reason: str, frame: dict | None = None) -> None:
        """``close_with`` from code that cannot wait (the feed's routing, the upkeep)."""
        if not self.closing:
            self.closer = asyncio.create_task(self.close_with(code, reason, frame))

    async def _close_now(self, code: int, reason: str) -> None:
        try:
            await asyncio.wait_for(self.close(code=int(code), reason=reason.encode()[:120].decode(errors="ignore")), 5)
        except Exception:
            logger.debug("realtime: close of %s failed", self.connection_id, exc_info=True)

    # --- upkeep (called by the feed every second) -----------------------------------------------

    def tick(self, now: float) -> None:
        if self.closing:
            return
        if self.listener is None:
            if not self.auth_received and now - self.opened_at > settings.REALTIME_AUTH_TIMEOUT_SECONDS:
                message = f"No auth frame within {settings.REALTIME_AUTH_TIMEOUT_SECONDS} s."
                self.close_soon(Close.AUTH_FAILED, message, error_frame(ErrorCode.AUTH_REQUIRED, message))
            return
        interval = self.settings_ping
        if now - self.last_frame_at > 2 * interval + 1:
            self.close_soon(Close.HEARTBEAT_MISSED, "Two pings went unanswered.")
        elif now - self.last_ping_at >= interval:
            self.last_ping_at = now
            self.push(encode({"type": "ping"}))

    def registry_entries(self) -> list[tuple[str, str]]:
        return [(key, self.connection_id) for key in self.admitted_keys]

    async def disconnect(self, code) -> None:
        self.closing = True
        if getattr(self, "counted", False):
            self.counted = False
            metrics.realtime_connection_closed()
        if hasattr(self, "writer"):
            self.writer.cancel()
        if not hasattr(self, "feed"):
            return
        await self.feed.release(self)
        if self.admitted_keys:
            await registry().remove(self.connection_id, self.admitted_keys)
        if self.listener is not None:
            await actions.disconnected(self)
