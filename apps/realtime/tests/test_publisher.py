"""Durable events leave a web worker on the process's publisher loop, over the real Redis channel layer."""

import asyncio

import pytest
from channels.layers import get_channel_layer

from apps.realtime import publisher
from ringnity.testing.servers import require_database_and_redis


def test_sends_arrive_in_call_order_without_the_caller_waiting_and_one_loop_serves_the_process():
    require_database_and_redis("the publisher", "the Redis channel layer")
    layer = get_channel_layer()
    if type(layer).__name__ != "RedisChannelLayer":
        pytest.fail("the test settings use the Redis channel layer when REDIS_URL is set")
    group = "rt.publisher-test"

    async def listen() -> list[int]:
        channel = await layer.new_channel("rt")
        await layer.group_add(group, channel)
        try:
            for n in range(30):
                publisher.send_later(group, {"type": "rt.probe", "n": n})
            return [(await asyncio.wait_for(layer.receive(channel), 10))["n"] for _ in range(30)]
        finally:
            await layer.group_discard(group, channel)

    assert asyncio.run(listen()) == list(range(30))
    first = publisher._current()
    assert publisher._current() is first
    assert first.loop.is_running()
    first.drain(2)
    assert first.queue.qsize() == 0
