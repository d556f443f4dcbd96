"""How many of each production process, from the core count; every number overridable by environment.

One place for the sizing rule, read by ``make serve`` (``ringnity.ops.serve``) and by gunicorn's
config (``ringnity.ops.gunicorn_conf``) when gunicorn is started on its own.
"""

import os


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def defaults(core_count: int) -> dict[str, str]:
    """The sizing per machine (see README, Production): web is CPU-bound, webhook deliveries wait on the network."""
    return {
        # gunicorn: sync measured best (bench/servers.py: more requests/s than gthread and uvicorn workers at
        # 32 and 128 connections, zero errors), 2 processes per core + 1; WEB_THREADS matters for gthread only.
        "WEB_WORKER_CLASS": "sync",
        "WEB_CONCURRENCY": str(2 * core_count + 1),
        "WEB_THREADS": "1",
        # Celery, default queue: reports, exports, ingestion, sweeps: CPU and database work.
        "CELERY_WORKER_CONCURRENCY": str(core_count),
        # Celery, webhooks queue: each delivery may wait up to WEBHOOKS_TIMEOUT_SECONDS on a receiver.
        "WEBHOOKS_WORKER_CONCURRENCY": str(4 * core_count),
        # SIGTERM: in-flight requests and tasks get this long before the hard stop.
        "SHUTDOWN_GRACE_SECONDS": "25",
    }


def setting(name: str) -> str:
    """The environment's value of ``name``, else this machine's default."""
    return os.environ.get(name) or defaults(cores())[name]
