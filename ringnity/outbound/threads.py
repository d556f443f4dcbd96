"""Thread pools that belong to one process: a forked worker (Celery prefork) gets its own.

A ``ThreadPoolExecutor`` inherited through ``fork`` believes its threads still run and never starts
new ones, so work submitted to it in the child would wait forever.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

_pools: dict[tuple[str, int], ThreadPoolExecutor] = {}
_lock = threading.Lock()


def process_executor(name: str, workers: int) -> ThreadPoolExecutor:
    """This process's pool called ``name`` (created with ``workers`` threads on first use)."""
    key = (name, os.getpid())
    with _lock:
        pool = _pools.get(key)
        if pool is None:
            pool = _pools[key] = ThreadPoolExecutor(workers, thread_name_prefix=name)
        return pool
