#!/usr/bin/env python3
"""Compare the contract with the schema the project generates.

usage: contract_coverage.py CONTRACT.json GENERATED.json [--verbose]

GENERATED is what `python manage.py spectacular --format openapi-json` writes.
Paths are compared without the `/api` server prefix and with path parameter
names folded (`{id}` == `{contactId}`). Prints one line per contract operation
that the generated schema lacks or names differently, then a summary line:
`N of M contract operations served (K with the contract's operationId)`.
Exit status 0 always; it measures, it does not judge.
"""

import json
import re
import sys

METHODS = ("get", "post", "put", "patch", "delete")


def load(path):
    with open(path) as fh:
        if path.endswith((".yaml", ".yml")):
            import yaml  # only when a YAML schema is given

            return yaml.safe_load(fh)
        return json.load(fh)


def norm(path):
    path = re.sub(r"^/api(?=/)", "", path)
    path = re.sub(r"\{[^}]+\}", "{}", path)
    return path.rstrip("/") or "/"


def operations(doc):
    ops = {}
    for path, item in (doc.get("paths") or {}).items():
        for method in METHODS:
            op = item.get(method)
            if op is not None:
                ops[(method.upper(), norm(path))] = op.get("operationId")
    return ops


def main(argv):
    if len(argv) < 3:
        print(__doc__.strip())
        return 0
    contract, generated = operations(load(argv[1])), operations(load(argv[2]))
    verbose = "--verbose" in argv
    served = same_id = 0
    for key in sorted(contract, key=lambda k: (k[1], k[0])):
        want = contract[key]
        got = generated.get(key, ...)
        if got is ...:
            print(f"missing   {key[0]:6} {key[1]}  ({want})")
            continue
        served += 1
        if got == want:
            same_id += 1
            if verbose:
                print(f"ok        {key[0]:6} {key[1]}  ({want})")
        else:
            print(f"renamed   {key[0]:6} {key[1]}  operationId {got!r}, contract {want!r}")
    print(f"{served} of {len(contract)} contract operations served ({same_id} with the contract's operationId)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
