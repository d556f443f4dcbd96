"""Channel-layer sends from synchronous code (web workers, Celery) without waiting for them.

``async_to_sync(layer.group_send)`` in a web worker runs each send on a fresh event loop, and
channels-redis keeps its connections per loop: every publish opened (and dropped) a Redis connection
inside the request, after the commit (benchmark 3, the visitor message POST). Here each process has
one event loop on a daemon thread, started on first use (after a fork too); ``send_later`` queues a
``group_send`` on it and returns at once, and one sender task sends in queue order over the
connections that loop keeps.

Nothing is lost by not waiting: the event log is the source of truth, and a gateway process that
misses a message (a failed send, a worker killed with sends queued) reads it back from the database
(``apps.realtime.feed``: gap repair and the lost-tail check). At exit the queue gets
``DRAIN_SECONDS`` to empty. The in-memory layer of the embedded default is not thread-safe and is
sent to as before, on the caller's thread.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import os
import threading

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer

logger = logging.getLogger("apps.realtime")
DRAIN_SECONDS = 2.0


class _Sender:
    def __init__(self) -> None:
        self.pid = os.getpid()
        self.loop = asyncio.new_event_loop()
        self.queue: asyncio.Queue | None = None
        self.started = threading.Event()
        thread = threading.Thread(target=self._run, name="realtime-publisher", daemon=True)
        thread.start()
        self.started.wait(5)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.queue = asyncio.Queue()
        self.loop.create_task(self._send_loop())
        self.loop.call_soon(self.started.set)
        self.loop.run_forever()

    async def _send_loop(self) -> None:
        layer = get_channel_layer()
        while True:
            group, message = await self.queue.get()
            try:
                await layer.group_send(group, message)
            except Exception:  # the gateways repair from the event log
                logger.exception("realtime: group_send to %s failed", group)
            finally:
                self.queue.task_done()

    def put(self, group: str, message: dict) -> None:
        self.loop.call_soon_threadsafe(self.queue.put_nowait, (group, message))

    def drain(self, timeout: float) -> None:
        if self.queue is None or not self.loop.is_running():
            return
        try:
            asyncio.run_coroutine_threadsafe(asyncio.wait_for(self.queue.join(), timeout), self.loop).result(
                timeout + 0.5
            )
        except Exception:
            logger.warning("realtime: %d channel-layer sends left unsent at exit", self.queue.qsize())


_sender: _Sender | None = None
_lock = threading.Lock()


def _current() -> _Sender:
    global _sender
    with _lock:
        if _sender is None or _sender.pid != os.getpid():  # a forked child has no thread of its parent
            _sender = _Sender()
        return _sender


def send_later(group: str, message: dict) -> None:
    """``group_send(group, message)`` in the background, in call order within this process."""
    layer = get_channel_layer()
    if isinstance(layer, InMemoryChannelLayer):
        async_to_sync(layer.group_send)(group, message)
        return
    _current().put(group, message)


@atexit.register
def _drain_at_exit() -> None:
    if _sender is not None and _sender.pid == os.getpid():
        _sender.drain(DRAIN_SECONDS)
