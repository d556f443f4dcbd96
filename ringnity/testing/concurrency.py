"""Real threads against the real database, for the tests that prove money and quotas hold under concurrency.

Such a test starts with ``ringnity.testing.ci.require_postgresql()`` (one writer at a time on SQLite
proves nothing: it skips there, and fails under ``CI=true``). ``run_parallel(work, n)`` starts ``n``
threads at one barrier and collects results, ``ApiError`` codes and unexpected errors, closing each
thread's database connection.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import close_old_connections, connection

from ringnity.api.errors import ApiError


@dataclass
class ParallelRun:
    results: list = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # ApiError codes
    errors: list[str] = field(default_factory=list)  # anything else, as repr


def run_parallel(work: Callable[[int], object], n: int, *, timeout: float = 60) -> ParallelRun:
    """Runs ``work(i)`` for i in range(n) in n threads released together."""
    run = ParallelRun()
    barrier = threading.Barrier(n)
    lock = threading.Lock()

    def target(index: int) -> None:
        try:
            barrier.wait(timeout=timeout)
            result = work(index)
            with lock:
                run.results.append(result)
        except ApiError as exc:
            with lock:
                run.refused.append(exc.code)
        except Exception as exc:  # reported by the caller's assertion
            with lock:
                run.errors.append(repr(exc))
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return run
