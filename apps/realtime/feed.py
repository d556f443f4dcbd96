"""One feed per gateway process: the channel-layer side of every socket the process holds.

The process has one channel-layer channel. It joins the group of each tenant it holds a socket of
(``rt.t<pk>``), receives that tenant's durable events and ephemeral signals once, and routes each
to its local sockets by the topic rules (``apps.realtime.topics``): one Redis message per process
and event, not one per socket.

**No gap, no duplicate.** The channel layer is lossy by design (channels-redis drops messages when a
process's queue is over ``capacity`` or older than ``expiry``, and a Redis restart loses what was in
flight), so it is never trusted for completeness. Cursors are per tenant and gap-free
(``apps.webhooks.events``), so the feed knows the next cursor it must see: an event further ahead
makes it read the missing ones from the database first, one behind is a duplicate and dropped, and
each upkeep round compares with the database's newest cursor to catch a lost tail. Delivery order is
cursor order.

**Upkeep** (one task per process, every second; never one timer per socket): pings, heartbeat and
auth deadlines, slow sockets; every ``REALTIME_REVALIDATE_SECONDS`` the revocation check of all
sockets, the lost-tail repair and the refresh of the connection registry.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field

from channels.layers import get_channel_layer
from django.conf import settings

from apps.webhooks.events import latest_seqs

from . import actions, durable
from .connections import registry
from .ephemeral import SIGNAL_MESSAGE
from .listeners import listeners_revoked
from .threads import db
from .topics import Audience, hears_call, hears_durable, may_read

logger = logging.getLogger("apps.realtime")
REPAIR_PAGE = 1000
#: How often a process looks for agents left "online" by a gateway process that died.
PRESENCE_SWEEP_SECONDS = 30
#: channels-redis forgets a group member after ``group_expiry`` (a day): the feed joins its groups again hourly.
GROUP_REFRESH_SECONDS = 3600


@dataclass
class TenantFeed:
    tenant_pk: int
    last_seq: int
    conns: set = field(default_factory=set)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


def hears_signal(conn, rule: str, audience: Audience | None, call: str | None = None) -> bool:
    """Who hears an ephemeral signal: presence goes to staff; the rest to the conversation's participants
    (its visitor, and the agents that may read it and have it open: ``subscribe``d); a call-bound socket
    its call's signalling only."""
    listener = conn.listener
    if listener.call_session_id:
        return rule == "call" and hears_call(listener, call)
    if rule == "presence":
        return listener.kind in ("agent", "admin")
    if audience is None or not may_read(listener, audience):
        return False
    return listener.kind == "visitor" or audience.conversation_id in conn.subscriptions


class Feed:
    def __init__(self) -> None:
        self.layer = get_channel_layer()
        self.channel: str | None = None
        self.tenants: dict[int, TenantFeed] = {}
        self.conns: set = set()
        self.lock = asyncio.Lock()
        self.tasks: list[asyncio.Task] = []
        self.last_revalidation = 0.0
        self.last_presence_sweep = self.last_group_refresh = time.monotonic()

    # --- sockets -------------------------------------------------------------------------------

    def track(self, conn) -> None:
        """A socket exists (before auth): the upkeep enforces its auth deadline and heartbeat."""
        self._start()
        self.conns.add(conn)

    async def attach(self, conn) -> int:
        """The socket's listener hears its tenant from now on; the tenant's newest cursor."""
        tenant_pk = conn.listener.tenant_pk
        async with self.lock:
            feed = self.tenants.get(tenant_pk)
            if feed is None:
                last, _ = await db(durable.cursor_window)(tenant_id=tenant_pk)
                feed = self.tenants[tenant_pk] = TenantFeed(tenant_pk, last)
                await self.layer.group_add(durable.tenant_group(tenant_pk), await self._channel())
            feed.conns.add(conn)
            return feed.last_seq

    async def release(self, conn) -> None:
        self.conns.discard(conn)
        if conn.listener is None:
            return
        async with self.lock:
            feed = self.tenants.get(conn.listener.tenant_pk)
            if feed is not None and conn in feed.conns:
                feed.conns.discard(conn)
                if not feed.conns:
                    del self.tenants[feed.tenant_pk]
                    await self.layer.group_discard(durable.tenant_group(feed.tenant_pk), await self._channel())

    # --- the channel layer ---------------------------------------------------------------------

    async def _channel(self) -> str:
        if self.channel is None:
            self.channel = await self.layer.new_channel("rt")
            self.tasks.append(asyncio.create_task(self._receive_loop()))
        return self.channel

    def _start(self) -> None:
        if not self.tasks or self.tasks[0].done():
            self.tasks.insert(0, asyncio.create_task(self._upkeep_loop()))

    async def _receive_loop(self) -> None:
        while True:
            try:
                message = await self.layer.receive(self.channel)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("realtime feed: channel layer receive failed; retrying")
                await asyncio.sleep(1)
                continue
            try:
                if message.get("type") == durable.DURABLE_MESSAGE:
                    await self._durable(message["t"], message["events"])
                elif message.get("type") == SIGNAL_MESSAGE:
                    self._signal(message)
            except Exception:
                logger.exception("realtime feed: a message could not be routed")

    async def _durable(self, tenant_pk: int, items: list[dict]) -> None:
        feed = self.tenants.get(tenant_pk)
        if feed is None or not items:
            return
        async with feed.lock:
            if items[0]["seq"] > feed.last_seq + 1:
                await self._repair(feed, upto=items[0]["seq"] - 1)
            self._route(feed, items)

    async def _repair(self, feed: TenantFeed, upto: int | None) -> None:
        """Reads and routes what the channel layer lost: cursors after ``feed.last_seq`` up to ``upto``."""
        while True:
            items = await db(durable.items_after)(
                tenant_id=feed.tenant_pk, after=feed.last_seq, upto=upto, limit=REPAIR_PAGE
            )
            self._route(feed, items)
            if len(items) < REPAIR_PAGE:
                return

    def _route(self, feed: TenantFeed, items: list[dict]) -> None:
        for item in items:
            if item["seq"] <= feed.last_seq:
                continue  # a duplicate (already read back from the database)
            feed.last_seq = item["seq"]
            if item["text"] is None:
                continue
            audience = Audience.from_list(item["aud"])
            for conn in list(feed.conns):
                if hears_durable(conn.listener, item["kind"], audience, item.get("call")):
                    conn.push(item["text"], seq=item["seq"])

    def _signal(self, message: dict) -> None:
        feed = self.tenants.get(message["t"])
        if feed is None:
            return
        audience = Audience.from_list(message.get("aud"))
        sender = message.get("from")
        for conn in list(feed.conns):
            if sender and conn.principal_key == sender:
                continue  # never echoed to the sender (any of its sockets)
            if hears_signal(conn, message["rule"], audience, message.get("call")):
                conn.push(message["text"])

    # --- upkeep ---------------------------------------------------------------------------------

    async def _upkeep_loop(self) -> None:
        while True:
            await asyncio.sleep(1)
            try:
                await self._upkeep()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("realtime feed: upkeep failed")

    async def _upkeep(self) -> None:
        now = time.monotonic()
        for conn in list(self.conns):
            conn.tick(now)
        if now - self.last_revalidation < settings.REALTIME_REVALIDATE_SECONDS:
            return
        self.last_revalidation = now
        authenticated = [conn for conn in list(self.conns) if conn.listener is not None]
        if authenticated:
            revoked = await db(listeners_revoked)([conn.listener for conn in authenticated])
            for index, (code, reason) in revoked.items():
                await authenticated[index].close_with(code, reason)
            await registry().refresh([entry for conn in authenticated for entry in conn.registry_entries()])
        if now - self.last_group_refresh >= GROUP_REFRESH_SECONDS and self.channel is not None:
            self.last_group_refresh = now
            for tenant_pk in list(self.tenants):
                await self.layer.group_add(durable.tenant_group(tenant_pk), self.channel)
        if now - self.last_presence_sweep >= PRESENCE_SWEEP_SECONDS:
            self.last_presence_sweep = now
            await actions.presence_sweep()
        if self.tenants:
            newest = await db(latest_seqs)(tenant_ids=list(self.tenants))
            for tenant_pk, last in newest.items():
                feed = self.tenants.get(tenant_pk)
                if feed is not None and last > feed.last_seq:
                    async with feed.lock:
                        await self._repair(feed, upto=last)


_feeds: dict[int, Feed] = {}


def feed() -> Feed:
    """This process's feed (one per event loop)."""
    loop = id(asyncio.get_running_loop())
    if loop not in _feeds:
        _feeds[loop] = Feed()
    return _feeds[loop]
