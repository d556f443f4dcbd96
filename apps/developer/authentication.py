"""Server API key authentication: recognised by its ``rn_sk_`` prefix and its stored digest.

The lookup is cached in two layers, so a busy key costs no query and (mostly) no Redis round trip:

* **Redis** (shared by every process): ``server-key:<digest>`` holds the key row with its tenant,
  tagged with the *generation* current when it was read from the database. Any save or delete of a
  Server API key, and any save of a tenant, bumps the generation (``server_key_cache_invalidate``,
  now and again on commit), so every entry read before the change stops matching. One ``MGET``
  (generation + entry) answers a lookup.
* **This process**, for at most ``LOCAL_SECONDS`` (1 s): the last answer per digest. It is what
  bounds the staleness: a rotated or disabled key stops working in every worker within one second
  (``apps/developer/tests/test_key_cache.py`` proves it across two processes).

``lastUsedAt`` is written at most once a minute per key: a per-process clock first, then the shared
``cache.add`` gate, then one ``UPDATE``.
"""

from __future__ import annotations

import pickle
import threading
import time
from collections import OrderedDict
from datetime import timedelta

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from apps.developer.credentials import SECRET_PREFIX
from apps.developer.models import ServerApiKey
from ringnity.api.authentication import PrincipalAuthentication, bearer_token
from ringnity.api.errors import ApiError, ErrorCode
from ringnity.api.principal import Principal, PrincipalKind
from ringnity.api.secrets import digests_match, secret_digest

LOCAL_SECONDS = 1.0
LOCAL_ENTRIES = 1024
REDIS_SECONDS = 300
LAST_USED_RESOLUTION = timedelta(minutes=1)
_GENERATION_KEY = "server-key:generation"
_MISSING = b"-"  # cached answer for "no such active key": a wrong secret costs no query either


def _entry_key(digest: str) -> str:
    return f"server-key:{digest}"


class _LocalCache:
    """digest -> (monotonic time, pickled key or _MISSING); least recently used entries go first."""

    def __init__(self):
        self._entries: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, digest: str, now: float) -> bytes | None:
        with self._lock:
            found = self._entries.get(digest)
            if found is None or now - found[0] >= LOCAL_SECONDS:
                return None
            self._entries.move_to_end(digest)
            return found[1]

    def put(self, digest: str, blob: bytes, now: float) -> None:
        with self._lock:
            self._entries[digest] = (now, blob)
            self._entries.move_to_end(digest)
            while len(self._entries) > LOCAL_ENTRIES:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


_local = _LocalCache()
_last_touched: dict[str, float] = {}  # digest -> monotonic time of this process's last lastUsedAt gate


def _generation_now() -> None:
    try:
        cache.incr(_GENERATION_KEY)
    except ValueError:  # not set yet (or evicted): any fresh value orphans every entry
        cache.set(_GENERATION_KEY, time.time_ns(), timeout=None)


def server_key_cache_invalidate() -> None:
    """Every cached key lookup stops matching (after this process's local second). Now and on commit."""
    _local.clear()
    _generation_now()
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(_generation_now)


def _load(digest: str) -> bytes:
    key = ServerApiKey.objects.cross_tenant().select_related("tenant").filter(secret_digest=digest).first()
    if key is None or not key.is_active or not key.tenant.is_active:
        return _MISSING
    return pickle.dumps(key, protocol=pickle.HIGHEST_PROTOCOL)


def cached_active_key(digest: str) -> ServerApiKey | None:
    """The active key (with its active tenant) whose secret has ``digest``; a fresh object per call."""
    now = time.monotonic()
    blob = _local.get(digest, now)
    if blob is None:
        found = cache.get_many([_GENERATION_KEY, _entry_key(digest)])
        generation = found.get(_GENERATION_KEY)
        if generation is None:
            cache.add(_GENERATION_KEY, time.time_ns(), timeout=None)
            generation = cache.get(_GENERATION_KEY)
        entry = found.get(_entry_key(digest))
        if entry is not None and entry[0] == generation:
            blob = entry[1]
        else:
            # Tagged with the generation read before the query: a change committed meanwhile bumped it.
            blob = _load(digest)
            cache.set(_entry_key(digest), (generation, blob), timeout=REDIS_SECONDS)
        _local.put(digest, blob, now)
    return None if blob == _MISSING else pickle.loads(blob)  # noqa: S301 - our own cache's bytes


class ServerApiKeyAuthentication(PrincipalAuthentication):
    """``Authorization: Bearer rn_sk_<env>_<secret>``: a tenant's backend."""

    security_scheme = "ServerApiKey"

    missing_credentials_code = ErrorCode.SERVER_API_KEY_INVALID
    www_authenticate = 'Bearer realm="server-api"'

    def authenticate(self, request):
        raw = bearer_token(request)
        if raw is None:
            return None
        if not raw.startswith(SECRET_PREFIX):
            raise ApiError(
                ErrorCode.SERVER_API_KEY_INVALID,
                f"The bearer token is not a Server API key (keys start with `{SECRET_PREFIX}`).",
                status=401,
            )
        # The secret names its tenant: the lookup is by digest across tenants, before any principal exists.
        key = cached_active_key(secret_digest(raw))
        if key is None or not digests_match(key.secret_digest, raw):
            raise ApiError(
                ErrorCode.SERVER_API_KEY_INVALID,
                "No active Server API key matches this secret (unknown, disabled or rotated).",
                status=401,
            )
        self._touch(key)
        return None, Principal(
            kind=PrincipalKind.SERVER_KEY,
            tenant=key.tenant,
            credential=key,
            subject=key.public_id,
            scopes=frozenset(key.scopes),
        )

    def _touch(self, key: ServerApiKey) -> None:
        """Records ``lastUsedAt`` at most once a minute per key (this process's clock, the shared gate, one UPDATE)."""
        now = time.monotonic()
        seconds = LAST_USED_RESOLUTION.total_seconds()
        if now - _last_touched.get(key.secret_digest, -seconds) < seconds:
            return
        if len(_last_touched) > LOCAL_ENTRIES:
            _last_touched.clear()
        _last_touched[key.secret_digest] = now
        if cache.add(f"server-key-used:{key.pk}", 1, timeout=int(seconds)):
            used_at = timezone.now()
            ServerApiKey.objects.filter(pk=key.pk).update(last_used_at=used_at)
            key.last_used_at = used_at
