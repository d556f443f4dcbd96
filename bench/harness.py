"""What every benchmark shares: a throwaway database, the server under ``make serve``, and wrk.

* ``throwaway_postgres(url)``: a new database next to ``url``'s, dropped afterwards.
* ``Served``: ``make serve`` on a free loopback port against that database (production settings,
  ``bench.settings`` so the bare comparison view is mounted, logs at WARNING so the terminal is not
  the bottleneck), stopped with SIGTERM like any deployment.
* ``wrk(...)``: Debian's wrk (installed with apt-get when missing), run as a separate process;
  returns requests/s, latency percentiles and every error it saw. ``paced`` keeps each connection
  at a fixed request rate (a Lua ``delay``), calibrated so the total is the asked rate.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_ready(port: int, server: subprocess.Popen, timeout: float = 60) -> None:
    """Until ``GET /api/sdk/health`` answers 200 on ``port`` (a server started by hand)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("the server exited during start-up")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/api/sdk/health")
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the server did not become ready")


def throwaway_postgres(url: str) -> tuple[str, callable]:
    import psycopg

    parts = urlsplit(url)
    name = f"ringnity_bench_{uuid.uuid4().hex[:8]}"
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop():
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return urlunsplit(parts._replace(path=f"/{name}")), drop


def production_env(workdir: Path | None = None) -> dict:
    """The environment of a production process on loopback: DEBUG off, plain HTTP, quiet logs."""
    workdir = workdir or Path(tempfile.mkdtemp(prefix="ringnity-bench-"))
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DEBUG": "false",
        "SECRET_KEY": "bench-" + uuid.uuid4().hex,
        "OPS_TOKEN": "bench-" + uuid.uuid4().hex,
        "DATA_DIR": str(workdir),
        "CACHE_KEY_PREFIX": f"bench-{uuid.uuid4().hex[:8]}",
        "CELERY_BROKER_KEY_PREFIX": f"bench-{uuid.uuid4().hex[:8]}:",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING",
        "SECURE_SSL_REDIRECT": "false",
        "REDIS_URL": os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0",
        # The load comes from one key and one address: budgets it never reaches, still charged per request
        # (the rate limit's Redis round trip stays in every figure).
        "API_RATE_LIMIT_PER_MINUTE": "100000000",
        "API_RATE_LIMIT_PER_IP_PER_MINUTE": "100000000",
    }


def require_postgres() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        raise SystemExit("benchmarks run on PostgreSQL + Redis: set DATABASE_URL=postgres://... REDIS_URL=redis://...")
    return url


class Database:
    """A throwaway database, migrated, with Django set up in this process for seeding."""

    def __init__(self):
        self.workdir = Path(tempfile.mkdtemp(prefix="ringnity-bench-"))
        self.env = production_env(self.workdir)
        self.env["DATABASE_URL"], self._drop = throwaway_postgres(require_postgres())
        os.environ.update(self.env)
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)
        call_command("seed_plans", verbosity=0)

    def close(self):
        from django.db import connections

        connections.close_all()
        self._drop()
        shutil.rmtree(self.workdir, ignore_errors=True)


class Served:
    """``make serve`` on a free port; ``with Served(env, WEB_WORKER_CLASS=...) as server: server.url``."""

    def __init__(self, env: dict, **overrides: str):
        self.port = free_port()
        self.env = {**env, **overrides, "PORT": str(self.port), "HOST": "127.0.0.1", "REALTIME_PORT": str(free_port())}
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self.log = Path(env["DATA_DIR"]) / f"serve-{self.port}.log"

    def __enter__(self) -> Served:
        self.process = subprocess.Popen(
            ["make", "--no-print-directory", "serve", f"PORT={self.port}"],
            cwd=ROOT,
            env=self.env,
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"make serve exited:\n{self.log.read_text()[-3000:]}")
            if self.get("/api/health/live")[0] == 200:
                return self
            time.sleep(0.5)
        raise SystemExit(f"make serve did not answer:\n{self.log.read_text()[-3000:]}")

    def get(self, path: str, headers: dict | None = None) -> tuple[int, bytes]:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            connection.request("GET", path, headers=headers or {})
            response = connection.getresponse()
            return response.status, response.read()
        except OSError:
            return 0, b""

    def pids(self) -> list[int]:
        """Every process of the set (make, the launcher, gunicorn master and workers, Celery, beat)."""
        import psutil

        root = psutil.Process(self.process.pid)
        return [root.pid, *(child.pid for child in root.children(recursive=True))]

    def __exit__(self, *exc):
        if self.process and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=90)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    print("[bench] installing Debian's wrk", flush=True)
    subprocess.run(["apt-get", "update", "-qq"], check=True)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "wrk"], check=True, env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    )
    return shutil.which("wrk") or sys.exit("wrk did not install")


@dataclass
class Load:
    requests_per_second: float
    latency_ms: dict[str, float]  # "50", "75", "90", "99"
    requests: int
    errors: int
    error_detail: str = ""
    extra: dict = field(default_factory=dict)

    def row(self) -> dict:
        return {
            "rps": round(self.requests_per_second, 1),
            **{f"p{k}": v for k, v in self.latency_ms.items()},
            "requests": self.requests,
            "errors": self.errors,
        }


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(text: str) -> float:
    number, unit = re.match(r"([\d.]+)(us|ms|s|m)", text).groups()
    return round(float(number) * _UNITS[unit], 3)


LUA = """
local requests = {}
{setup}
local index = 0
request = function()
  index = index % #requests + 1
  return requests[index]
end
{delay}
"""


def wrk(
    url: str,
    path_requests: list[tuple[str, str, dict, str | None]],
    *,
    connections: int,
    seconds: int,
    delay_ms: float | None = None,
    threads: int = 2,
) -> Load:
    """Runs wrk against ``url`` cycling through ``(method, path, headers, body)`` requests."""
    lines = []
    host = urlsplit(url).netloc
    for method, path, headers, body in path_requests:
        headers = {"Host": host, **headers}  # wrk.format sends only the headers it is given; HTTP/1.1 needs Host
        lua_headers = ", ".join(f"[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items())
        lua_body = json.dumps(body) if body is not None else "nil"
        call = f"wrk.format({json.dumps(method)}, {json.dumps(path)}, {{{lua_headers}}}, {lua_body})"
        lines.append(f"requests[#requests + 1] = {call}")
    delay = f"delay = function() return {delay_ms:.3f} end" if delay_ms else ""
    script = Path(tempfile.mkstemp(suffix=".lua")[1])
    script.write_text(LUA.replace("{setup}", "\n".join(lines)).replace("{delay}", delay))
    threads = min(threads, connections)
    out = subprocess.run(
        [
            ensure_wrk(),
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            "--timeout",
            "10s",
            "-s",
            str(script),
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    script.unlink()
    latency = {p: _ms(v) for p, v in re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", out, re.M)}
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = (int(non_2xx.group(1)) if non_2xx else 0) + (sum(map(int, sockets.groups())) if sockets else 0)
    detail = " ".join(filter(None, [non_2xx and non_2xx.group(0), sockets and sockets.group(0)]))
    return Load(rps, latency, total, errors, detail)


def paced(url: str, path_requests, *, rate: float, connections: int, seconds: int) -> Load:
    """wrk held near ``rate`` requests/s in all: a per-connection delay, calibrated by one short run."""
    delay = connections / rate * 1000
    trial = wrk(url, path_requests, connections=connections, seconds=min(10, seconds), delay_ms=delay)
    delay *= max(0.2, min(5.0, trial.requests_per_second / rate))
    return wrk(url, path_requests, connections=connections, seconds=seconds, delay_ms=delay)


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        "unknown CPU",
    )
    return f"{os.cpu_count()} cores ({cpu})"
