"""Readiness checks: what a request needs. The database answers, every migration is applied, the
cache (Redis) and the Celery broker answer; each with its own deadline. Served by
``ringnity.ops.views.HealthReadyView``.
"""

from collections.abc import Callable

from celery import current_app
from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor

#: Once every migration is applied it stays so for this process's code; the check reads the
#: migration files once (a few hundred ms) instead of on every probe.
_migrations_applied = False


def _database() -> None:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT 1")


def _migrations() -> None:
    global _migrations_applied
    if _migrations_applied:
        return
    connection = connections[DEFAULT_DB_ALIAS]
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        names = ", ".join(f"{m.app_label}.{m.name}" for m, _ in plan[:3])
        raise RuntimeError(f"{len(plan)} not applied ({names}{', ...' if len(plan) > 3 else ''}): run migrate")
    _migrations_applied = True


def _cache() -> None:
    cache.set("health:probe", 1, timeout=10)
    if cache.get("health:probe") != 1:
        raise RuntimeError("the cache did not keep a value")


def _broker() -> None:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return  # tasks run in-process: there is no broker to reach
    with current_app.connection_for_write() as connection:
        connection.ensure_connection(
            max_retries=1, interval_start=0, interval_step=0, timeout=settings.HEALTH_CHECK_TIMEOUT_SECONDS
        )


CHECKS: dict[str, Callable[[], None]] = {
    "database": _database,
    "migrations": _migrations,
    "redis": _cache,
    "broker": _broker,
}


def readiness() -> tuple[dict[str, str], list[str]]:
    """(``{check: "ok" | "failed"}``, one ``"check: reason"`` per failure). Migrations need the database."""
    results, failures = {}, []
    for name, check in CHECKS.items():
        if name == "migrations" and results.get("database") == "failed":
            results[name] = "failed"
            failures.append("migrations: not checked, the database is unreachable")
            continue
        try:
            check()
        except Exception as exc:  # any failure is the answer, named
            results[name] = "failed"
            reason = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
            failures.append(f"{name}: {type(exc).__name__}{': ' + reason if reason else ''}")
        else:
            results[name] = "ok"
    return results, failures
