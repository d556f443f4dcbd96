"""Where the contacts list's time goes, next to the bare view (a profile, not a test).

In one process, through Django's real WSGI handler (production settings, PostgreSQL + Redis, the
benchmark's bare view mounted), it alternates ``GET /api/server/contacts?limit=50`` and the bare
view N times and prints, per request: wall time, SQL queries, Redis commands, and the time inside
each stage of the API path (key lookup, entitlements, COUNT, page query, row shaping, rendering;
the rest is middleware and DRF). Stages are timed by wrapping the functions that do them, so the
table names the code to look at.

    DATABASE_URL=postgres://... REDIS_URL=redis://... .venv/bin/python bench/profile_contacts.py [--requests 500]
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.contacts_list import seed  # noqa: E402
from bench.harness import production_env, throwaway_postgres  # noqa: E402

#: (stage, dotted path of the function whose time is the stage). Missing paths are skipped, so the
#: profile runs before and after a refactoring that moves a stage.
STAGES = [
    ("key lookup", "apps.developer.authentication.ServerApiKeyAuthentication.authenticate"),
    ("entitlements", "apps.plans.entitlements.for_tenant"),
    ("rate limit", "ringnity.api.throttling.RequestRateThrottle.allow_request"),
    ("COUNT(*)", "django.db.models.query.QuerySet.count"),
    ("page query", "ringnity.api.pagination.paginate_page"),  # minus the COUNT inside it
    ("row shaping", "apps.chat.api.outputs.ContactOutput.to_representation"),
    ("row shaping", "apps.chat.selectors.contact_rows"),
    ("rendering", "ringnity.api.renderers.EnvelopeJSONRenderer.render"),
]


def _resolve(dotted: str):
    import importlib

    parts = dotted.split(".")
    for split in range(len(parts) - 1, 0, -1):
        try:
            owner = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        for name in parts[split:-1]:
            owner = getattr(owner, name, None)
        return (owner, parts[-1]) if owner is not None and hasattr(owner, parts[-1]) else None
    return None


class Recorder:
    def __init__(self):
        self.stage_ms: dict[str, float] = defaultdict(float)
        self.queries = 0
        self.redis_commands = 0
        self._depth: dict[str, int] = defaultdict(int)

    def wrap(self, stage: str, owner, name: str) -> None:
        original = getattr(owner, name)
        recorder = self

        def timed(*args, **kwargs):
            recorder._depth[stage] += 1
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                recorder._depth[stage] -= 1
                if recorder._depth[stage] == 0:
                    recorder.stage_ms[stage] += (time.perf_counter() - start) * 1000

        setattr(owner, name, timed)

    def reset(self):
        self.stage_ms.clear()
        self.queries = 0
        self.redis_commands = 0


def _install(recorder: Recorder) -> None:
    import redis
    from django.db import connection

    for stage, dotted in STAGES:
        found = _resolve(dotted)
        if found:
            recorder.wrap(stage, *found)
    original_execute = redis.Redis.execute_command

    def counted(self, *args, **kwargs):
        recorder.redis_commands += 1
        return original_execute(self, *args, **kwargs)

    redis.Redis.execute_command = counted

    def count_query(execute, sql, params, many, context):
        recorder.queries += 1
        return execute(sql, params, many, context)

    connection.execute_wrappers.append(count_query)


@contextmanager
def _quiet():
    saved = sys.stderr
    sys.stderr = io.StringIO()
    try:
        yield
    finally:
        sys.stderr = saved


def _call(app, path: str, headers: dict) -> tuple[int, bytes]:
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path.split("?")[0],
        "QUERY_STRING": path.partition("?")[2],
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.input": io.BytesIO(),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
        "HTTP_HOST": "127.0.0.1",
        **{f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()},
    }
    status = []
    body = b"".join(app(environ, lambda s, h, exc_info=None: status.append(s)))
    return int(status[0].split()[0]), body


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=5000)
    parser.add_argument("--requests", type=int, default=500)
    args = parser.parse_args(argv)
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("needs DATABASE_URL=postgres://... (a throwaway database is made next to it)")
    env = production_env()
    env["DATABASE_URL"], drop = throwaway_postgres(os.environ["DATABASE_URL"])
    os.environ.update(env)
    try:
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)
        tenant, secret = seed(args.contacts)
        os.environ["BENCH_TENANT_ID"] = str(tenant.pk)
        from django.core.wsgi import get_wsgi_application

        app = get_wsgi_application()
        recorder = Recorder()
        _install(recorder)
        targets = {
            "api": ("/api/server/contacts?limit=50", {"Authorization": f"Bearer {secret}"}),
            "bare": ("/bench/contacts-values", {}),
        }
        results = {name: {"wall": [], "queries": [], "redis": [], "stages": defaultdict(list)} for name in targets}
        for index in range(30 + args.requests):
            for name, (path, headers) in targets.items():
                recorder.reset()
                start = time.perf_counter()
                with _quiet():
                    status, body = _call(app, path, headers)
                wall = (time.perf_counter() - start) * 1000
                if status != 200:
                    raise SystemExit(f"{path} answered {status}: {body[:300]!r}")
                if index < 30:
                    continue
                result = results[name]
                result["wall"].append(wall)
                result["queries"].append(recorder.queries)
                result["redis"].append(recorder.redis_commands)
                for stage, ms in recorder.stage_ms.items():
                    result["stages"][stage].append(ms)
    finally:
        from django.db import connections

        connections.close_all()
        drop()

    api, bare = results["api"], results["bare"]
    api_median, bare_median = statistics.median(api["wall"]), statistics.median(bare["wall"])
    print(f"contacts list profile: {args.requests} requests each, in-process WSGI, PostgreSQL + Redis")
    print(f"  {'':<24} {'API':>9} {'bare':>9}")
    print(f"  {'median wall time (ms)':<24} {api_median:>9.2f} {bare_median:>9.2f}")
    print(f"  {'SQL queries':<24} {statistics.median(api['queries']):>9.0f} {statistics.median(bare['queries']):>9.0f}")
    print(f"  {'Redis commands':<24} {statistics.median(api['redis']):>9.0f} {statistics.median(bare['redis']):>9.0f}")
    print(f"  API stages (median ms; the difference to the bare view is {api_median - bare_median:.2f} ms):")
    accounted = 0.0
    for stage in dict.fromkeys(stage for stage, _ in STAGES):
        if stage in api["stages"]:
            value = statistics.median(api["stages"][stage])
            if stage == "page query" and "COUNT(*)" in api["stages"]:
                value -= statistics.median(api["stages"]["COUNT(*)"])
            accounted += value
            print(f"    {stage:<22} {value:>9.2f}")
    print(f"    {'middleware, DRF, rest':<22} {api_median - accounted:>9.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
