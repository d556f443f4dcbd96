"""``make serve``: the production process set from the Procfile, under honcho, on this machine.

1. Refuses to start without ``DATABASE_URL`` and ``REDIS_URL``, naming what is missing.
2. Fills in what a local try lacks, and says so: ``SECRET_KEY`` and ``OPS_TOKEN`` generated once
   into ``DATA_DIR`` (0600) and reused; on a plain ``http://`` public URL the HTTPS-only defaults
   (redirect, HSTS, secure cookies) are relaxed. ``DEBUG`` is always off.
3. Sizes the processes from the core count (``ringnity.ops.processes``), sets
   ``PROMETHEUS_MULTIPROC_DIR`` (emptied at start), migrates and collects static files.
4. Runs every Procfile line with honcho. SIGTERM (or Ctrl-C) is passed to each process itself
   (not to its process group), so gunicorn drains its in-flight requests and a Celery worker
   finishes its running tasks; whatever still runs ``SHUTDOWN_GRACE_SECONDS`` + 5 s later is killed.
   If one process exits, the others are stopped too.

    .venv/bin/python -m ringnity.ops.serve [--procfile Procfile] [--check]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from honcho import manager as honcho_manager
from honcho.compat import ProcessManager
from honcho.environ import parse_procfile

from ringnity.ops.processes import cores, defaults

ROOT = Path(__file__).resolve().parents[2]
REQUIRED = {
    "DATABASE_URL": "postgres://user:pass@127.0.0.1:5432/ringnity",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}
#: Relaxed only when the public URL is plain http:// (a local try); a real deployment runs behind TLS.
HTTPS_ONLY = {
    "SECURE_SSL_REDIRECT": "false",
    "SECURE_HSTS_SECONDS": "0",
    "SESSION_COOKIE_SECURE": "false",
    "CSRF_COOKIE_SECURE": "false",
}


def _generated_secret(path: Path) -> str:
    """A random value kept in ``path`` (0600): the same on every start of this checkout."""
    if not path.exists():
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def environment(base: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """(the environment every process gets, notes on what was filled in). Raises SystemExit when incomplete."""
    missing = [name for name in REQUIRED if not base.get(name, "").strip()]
    if missing:
        examples = " ".join(f"{name}={REQUIRED[name]}" for name in missing)
        raise SystemExit(
            f"make serve runs the production processes and needs {' and '.join(missing)} "
            f"(PostgreSQL and Redis), e.g.\n  {examples} make serve"
        )
    env = dict(base)
    notes = []
    env["DEBUG"] = "false"
    data_dir = Path(env.get("DATA_DIR") or ROOT / "var").resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    env["DATA_DIR"] = str(data_dir)
    for name, filename in (("SECRET_KEY", "secret-key"), ("OPS_TOKEN", "ops-token")):
        if not env.get(name):
            env[name] = _generated_secret(data_dir / filename)
            notes.append(f"{name} not set: using the one generated in {data_dir / filename}")
    env.setdefault("HOST", "127.0.0.1")
    env.setdefault("PORT", "8192")
    env.setdefault("REALTIME_PORT", str(int(env["PORT"]) + 1))  # the gateway (WebSocket), next to the REST API
    env.setdefault("RINGNITY_PUBLIC_URL", f"http://{env['HOST']}:{env['PORT']}")
    if env["RINGNITY_PUBLIC_URL"].startswith("http://"):
        relaxed = [name for name in HTTPS_ONLY if name not in env]
        env.update({name: HTTPS_ONLY[name] for name in relaxed})
        if relaxed:
            notes.append(f"plain http:// public URL: {', '.join(relaxed)} relaxed (set them to override)")
    env.setdefault("LOG_LEVEL", "INFO")
    env["LOG_LEVEL"] = env["LOG_LEVEL"].upper()
    for name, value in defaults(cores()).items():
        env.setdefault(name, value)
    env.setdefault("PROMETHEUS_MULTIPROC_DIR", str(data_dir / "prometheus"))
    # The Procfile names the programs; these are the ones of the interpreter running this launcher.
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env, notes


class _LeaderFirst(ProcessManager):
    """Terminates a process, not its process group: the process drains its own workers."""

    def terminate(self, pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)


def prepare(env: dict[str, str]) -> None:
    """What every start needs before the processes: the schema and the static files."""
    once = {name: value for name, value in env.items() if name != "PROMETHEUS_MULTIPROC_DIR"}  # not serving
    for command in (["migrate", "--noinput"], ["collectstatic", "--noinput", "--verbosity", "0"]):
        subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=once, check=True)  # noqa: S603


def run(procfile: Path, env: dict[str, str]) -> int:
    """Runs every line of ``procfile`` until one exits or a signal stops them all; returns honcho's code."""
    metrics_dir = Path(env["PROMETHEUS_MULTIPROC_DIR"])
    shutil.rmtree(metrics_dir, ignore_errors=True)
    metrics_dir.mkdir(parents=True)
    honcho_manager.KILL_WAIT = int(env["SHUTDOWN_GRACE_SECONDS"]) + 5
    manager = honcho_manager.Manager()
    manager._procmgr = _LeaderFirst()  # honcho is pinned; its default signals the whole group
    for name, command in parse_procfile(procfile.read_text()).processes.items():
        manager.add_process(name, command, env=env, cwd=str(ROOT))
    manager.loop()
    return manager.returncode or 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--procfile", type=Path, default=ROOT / "Procfile")
    parser.add_argument("--check", action="store_true", help="print the environment decisions and exit")
    args = parser.parse_args(argv)
    env, notes = environment(dict(os.environ))
    for note in notes:
        print(f"[serve] {note}", flush=True)
    sizing = ("WEB_WORKER_CLASS", "WEB_CONCURRENCY", "WEB_THREADS", "CELERY_WORKER_CONCURRENCY")
    print(
        f"[serve] {cores()} cores: "
        + ", ".join(f"{name}={env[name]}" for name in sizing)
        + f", WEBHOOKS_WORKER_CONCURRENCY={env['WEBHOOKS_WORKER_CONCURRENCY']}"
        + f"; http://{env['HOST']}:{env['PORT']}/, ws://{env['HOST']}:{env['REALTIME_PORT']}/realtime/v1",
        flush=True,
    )
    if args.check:
        return 0
    prepare(env)
    return run(args.procfile, env)


if __name__ == "__main__":
    raise SystemExit(main())
