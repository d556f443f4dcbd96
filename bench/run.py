"""``make bench``: every benchmark, one after the other, and the README's table from their output.

Each benchmark makes its own throwaway database and runs the server under ``make serve``; load
comes from wrk in separate processes; ratios are taken within one benchmark's run.

    DATABASE_URL=postgres://... REDIS_URL=redis://... .venv/bin/python bench/run.py [--only 1 3] [--soak-minutes 10]

1 contacts list vs bare view, 2 server choice, 3 visitor message POST vs GET, 4 noisy neighbour,
5 webhook deliveries (``bench/webhooks.py``, a subprocess), 6 soak.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import load_average, machine, require_postgres  # noqa: E402


def _in_subprocess(module: str, argv: list[str]) -> dict:
    """Each benchmark in its own interpreter: its own Django set-up against its own database."""
    script = f"import json, sys; from bench import {module} as b; print('RESULT ' + json.dumps(b.main(sys.argv[1:])))"
    out = subprocess.run(
        [sys.executable, "-c", script, *argv], cwd=ROOT, capture_output=True, text=True, env=os.environ
    )
    for line in out.stdout.splitlines():
        if not line.startswith("RESULT ") and not line.startswith(("created ", "kept ", "seed_plans")):
            print(line, flush=True)
    if out.returncode != 0:
        print(out.stderr[-3000:], flush=True)
        return {"failed": out.returncode}
    return json.loads(next(line for line in out.stdout.splitlines() if line.startswith("RESULT "))[7:])


def _webhooks() -> dict:
    """Benchmark 5 belongs to the webhooks app (bench/webhooks.py); its printed table is kept as is."""
    out = subprocess.run([sys.executable, "bench/webhooks.py"], cwd=ROOT, capture_output=True, text=True)
    print(out.stdout[-3000:], flush=True)
    return {"output": out.stdout[-3000:], "failed": out.returncode} if out.returncode else {"output": out.stdout}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", type=int, nargs="+", default=[1, 2, 3, 4, 5, 6])
    parser.add_argument("--seconds", type=int, default=15, help="length of each wrk run")
    parser.add_argument("--soak-minutes", type=float, default=10)
    args = parser.parse_args(argv)
    require_postgres()
    seconds = str(args.seconds)
    runs = {
        1: lambda: _in_subprocess("contacts_list", ["--seconds", seconds]),
        2: lambda: _in_subprocess("servers", ["--seconds", seconds]),
        3: lambda: _in_subprocess("visitor_messages", ["--seconds", seconds]),
        4: lambda: _in_subprocess("noisy_neighbour", ["--seconds", seconds]),
        5: _webhooks,
        6: lambda: _in_subprocess("soak", ["--minutes", str(args.soak_minutes)]),
    }
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    print(f"make bench: {started}, {machine()}, load average {load_average()}", flush=True)
    results = {}
    for number in args.only:
        results[number] = runs[number]()
        results[number]["load_average_after"] = load_average()
    out = ROOT / "var" / "bench-results.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"started": started, "machine": machine(), "results": results}, indent=2))
    print(f"results: {out}", flush=True)
    return 1 if any("failed" in result for result in results.values()) else 0


if __name__ == "__main__":
    raise SystemExit(main())
