"""Live connections across gateway processes: the connection limits and who is online.

Each live socket is a member of a few sorted sets (per tenant, per client IP, per agent) whose score is
the time its entry lapses. Every gateway process refreshes the entries of its own sockets each upkeep
round, so the entries of a process that died lapse by themselves within ``ENTRY_TTL`` seconds. A new
connection is admitted by one atomic Lua script (drop lapsed entries, count, add if below the limit),
so concurrent connects across processes never pass a limit together.

With Redis (``REDIS_URL``) the sets are in Redis; in the embedded default (one process) they are in
memory with the same rules.
"""

from __future__ import annotations

import asyncio
import time
from functools import cache

import redis
import redis.asyncio as aioredis
from django.conf import settings

ENTRY_TTL = 30.0

_ADMIT = """
local now = tonumber(ARGV[1])
local lapse = tonumber(ARGV[2])
for i, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
  local limit = tonumber(ARGV[2 + i])
  if limit >= 0 and redis.call('ZCARD', key) >= limit then
    return i
  end
end
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, lapse, ARGV[2 + #KEYS + 1])
  redis.call('EXPIRE', key, math.ceil(lapse - now) + 60)
end
return 0
"""


def _key(kind: str, value) -> str:
    return f"{settings.CACHE_KEY_PREFIX}:rt:conns:{kind}:{value}"


def tenant_key(tenant_pk: int) -> str:
    return _key("t", tenant_pk)


def ip_key(ip: str) -> str:
    return _key("ip", ip)


def agent_key(agent_pk: int) -> str:
    return _key("a", agent_pk)


def presence_key() -> str:
    """The agents whose presence the gateway drives (their last socket's close makes them offline)."""
    return _key("presence", "agents")


class MemoryRegistry:
    def __init__(self) -> None:
        self.sets: dict[str, dict[str, float]] = {}

    def _live(self, key: str, now: float) -> dict[str, float]:
        entries = self.sets.setdefault(key, {})
        for member in [m for m, lapse in entries.items() if lapse <= now]:
            del entries[member]
        return entries

    async def admit(self, member: str, limits: dict[str, int]) -> str | None:
        """Adds ``member`` to every key unless one is at its limit (-1: none); the full key or None."""
        now = time.time()
        for key, limit in limits.items():
            if limit >= 0 and len(self._live(key, now)) >= limit:
                return key
        for key in limits:
            self._live(key, now)[member] = now + ENTRY_TTL
        return None

    async def add(self, member: str, keys: list[str]) -> None:
        await self.admit(member, dict.fromkeys(keys, -1))

    async def refresh(self, entries: list[tuple[str, str]]) -> None:
        lapse = time.time() + ENTRY_TTL
        for key, member in entries:
            if member in self.sets.get(key, {}):
                self.sets[key][member] = lapse

    async def remove(self, member: str, keys: list[str]) -> None:
        for key in keys:
            self.sets.get(key, {}).pop(member, None)

    async def count(self, key: str) -> int:
        return len(self._live(key, time.time()))

    async def presence_track(self, agent_pk: int) -> None:
        self.sets.setdefault(presence_key(), {})[str(agent_pk)] = float("inf")

    async def presence_untrack(self, agent_pk: int) -> None:
        self.sets.get(presence_key(), {}).pop(str(agent_pk), None)

    async def presence_tracked(self) -> list[int]:
        return [int(member) for member in self.sets.get(presence_key(), {})]

    def count_sync(self, key: str) -> int:
        return len(self._live(key, time.time()))


class RedisRegistry:
    def __init__(self, url: str) -> None:
        self.url = url
        self.clients: dict[int, aioredis.Redis] = {}

    def _client(self) -> aioredis.Redis:
        # One client per event loop (a redis.asyncio connection belongs to the loop that opened it).
        loop = id(asyncio.get_running_loop())
        if loop not in self.clients:
            self.clients[loop] = aioredis.Redis.from_url(self.url, socket_timeout=5, socket_connect_timeout=5)
        return self.clients[loop]

    async def admit(self, member: str, limits: dict[str, int]) -> str | None:
        keys = list(limits)
        now = time.time()
        full = await self._client().eval(
            _ADMIT, len(keys), *keys, now, now + ENTRY_TTL, *[limits[key] for key in keys], member
        )
        return keys[int(full) - 1] if int(full) else None

    async def add(self, member: str, keys: list[str]) -> None:
        await self.admit(member, dict.fromkeys(keys, -1))

    async def refresh(self, entries: list[tuple[str, str]]) -> None:
        if entries:
            lapse = time.time() + ENTRY_TTL
            pipe = self._client().pipeline(transaction=False)
            for key, member in entries:
                pipe.zadd(key, {member: lapse}, xx=True)
            await pipe.execute()

    async def remove(self, member: str, keys: list[str]) -> None:
        pipe = self._client().pipeline(transaction=False)
        for key in keys:
            pipe.zrem(key, member)
        await pipe.execute()

    async def count(self, key: str) -> int:
        return int(await self._client().zcount(key, time.time(), "+inf"))

    async def presence_track(self, agent_pk: int) -> None:
        await self._client().sadd(presence_key(), agent_pk)

    async def presence_untrack(self, agent_pk: int) -> None:
        await self._client().srem(presence_key(), agent_pk)

    async def presence_tracked(self) -> list[int]:
        return [int(member) for member in await self._client().smembers(presence_key())]

    def count_sync(self, key: str) -> int:
        return int(_sync_client(self.url).zcount(key, time.time(), "+inf"))


@cache
def _sync_client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)


@cache
def registry() -> MemoryRegistry | RedisRegistry:
    return RedisRegistry(settings.REDIS_URL) if settings.REDIS_URL else MemoryRegistry()


def realtime_connection_count(tenant) -> int:
    """The ``realtime_connections`` quota's usage counter: the tenant's live sockets, all processes."""
    return registry().count_sync(tenant_key(tenant.pk))
