"""``make bench``: run the repository's benchmarks (today: the contacts list)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import contacts_list

if __name__ == "__main__":
    raise SystemExit(contacts_list.main(sys.argv[1:]))
