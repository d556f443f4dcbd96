"""Shared fixtures. Under CI=true the session refuses to run without PostgreSQL and Redis."""

from contextlib import contextmanager

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from ringnity.testing.ci import running_in_ci
from ringnity.testing.contract import assert_contract as _assert_contract


def _check_services() -> list[str]:
    problems = []
    engine = settings.DATABASES["default"]["ENGINE"]
    if "postgresql" not in engine:
        problems.append(f"DATABASE_URL must point at PostgreSQL under CI (engine is {engine})")
    else:
        import psycopg

        db = settings.DATABASES["default"]
        try:
            psycopg.connect(
                host=db["HOST"] or None,
                port=db["PORT"] or None,
                user=db["USER"] or None,
                password=db["PASSWORD"] or None,
                dbname="postgres",
                connect_timeout=3,
            ).close()
        except psycopg.Error as exc:
            problems.append(f"PostgreSQL unreachable: {exc}")
    if not settings.REDIS_URL:
        problems.append("REDIS_URL must be set under CI")
    else:
        import redis

        try:
            redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=3).ping()
        except redis.RedisError as exc:
            problems.append(f"Redis unreachable: {exc}")
    return problems


def pytest_sessionstart(session):
    if running_in_ci():
        problems = _check_services()
        if problems:
            pytest.exit("CI=true but the test services are missing:\n  " + "\n  ".join(problems), returncode=1)


@pytest.fixture(autouse=True)
def _clean_cache():
    """Each test starts with an empty cache (only this project's key prefix in Redis) and no tenant's
    request limits remembered in this process."""
    from django.core.cache import cache

    from ringnity.api.throttling import forget_tenant_rate_limits

    forget_tenant_rate_limits()

    if hasattr(cache, "delete_pattern"):
        cache.delete_pattern("*")
    else:
        cache.clear()
    return


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def assert_contract():
    return _assert_contract


@contextmanager
def _chromium(monkeypatch, extra_args=()):
    """Headless Debian chromium (see ``ringnity.testing.browser``).

    Playwright's sync API runs an asyncio loop in this thread, and Django refuses ORM calls
    from a thread with a running loop. The test's own ORM calls run in this same thread and
    never concurrently with the loop, so the guard is lifted for this test only.
    """
    from django.db import connections
    from playwright.sync_api import sync_playwright

    from ringnity.testing.browser import CHROMIUM_ARGS, require_chromium

    executable = require_chromium()
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, args=[*CHROMIUM_ARGS, *extra_args], headless=True
        )
        try:
            yield browser
        finally:
            browser.close()
            # ORM calls made while the loop ran opened a context-local connection of their own;
            # close it, or PostgreSQL refuses to drop the test database at the end.
            connections.close_all()


@pytest.fixture
def chromium_page(monkeypatch):
    """A fresh page in headless Debian chromium."""
    with _chromium(monkeypatch) as browser:
        page = browser.new_page()
        page.set_default_timeout(15_000)
        yield page


@pytest.fixture
def media_browser(monkeypatch):
    """Headless chromium with fake media devices (a test tone for the microphone, no permission prompt), for
    WebRTC calls; each ``browser.new_context()`` is a separate user."""
    from ringnity.testing.browser import FAKE_MEDIA_ARGS

    with _chromium(monkeypatch, FAKE_MEDIA_ARGS) as browser:
        yield browser
