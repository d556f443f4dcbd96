"""Fixtures for the tests that start real processes next to the suite."""

import os

import pytest
import redis

from ringnity.testing.ci import missing

REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"


@pytest.fixture
def redis_available() -> str:
    """The Redis URL the suite uses; fails under CI without one, skips otherwise."""
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        missing(f"needs Redis at {REDIS_URL}: {exc}")
    return REDIS_URL
