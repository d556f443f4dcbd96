"""Every outbound HTTP call goes through ``ringnity.outbound`` (one address policy, one deadline for the
whole exchange): no other module of the project opens connections or uses an HTTP client of its own."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ALLOWED = ("ringnity/outbound/", "ringnity/testing/", "/tests/", "/migrations/")
CLIENTS = re.compile(
    r"urllib\.request|urlopen\(|http\.client|^\s*(import|from) (requests|httpx|urllib3|aiohttp)\b|create_connection\("
    r"|PyJWKClient\(",
    re.MULTILINE,
)


def test_no_module_makes_outbound_calls_outside_ringnity_outbound():
    found = []
    for path in sorted([*ROOT.glob("apps/**/*.py"), *ROOT.glob("ringnity/**/*.py")]):
        relative = path.relative_to(ROOT).as_posix()
        if any(part in f"/{relative}" for part in ALLOWED):
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if CLIENTS.search(line):
                found.append(f"{relative}:{number}: {line.strip()}")
    assert found == [], "outbound HTTP goes through ringnity.outbound (address policy + deadline):\n" + "\n".join(found)
