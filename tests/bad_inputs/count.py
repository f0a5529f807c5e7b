"""Count the adversarial suite: `python tests/bad_inputs/count.py` (from the repo root, PYTHONPATH=src).

A case is a collected test that goes through ``expect`` (exit status, one line naming the culprit,
nothing written); a control is one that must succeed. Prints one row per file and the totals, the
figures docs/reliability.md quotes.
"""

from __future__ import annotations

import collections
import sys
from pathlib import Path

import pytest


class _Count:
    def __init__(self):
        self.rows = collections.Counter()

    def pytest_collection_finish(self, session):
        for item in session.items:
            self.rows[(item.path.name, "expect" in item.fixturenames)] += 1


def main() -> int:
    count = _Count()
    folder = Path(__file__).resolve().parent
    rc = pytest.main(["-q", "--collect-only", "-p", "no:cacheprovider", str(folder)], plugins=[count])
    files = sorted({name for name, _ in count.rows})
    print(f"\n{'file':32} cases controls")
    for name in files:
        print(f"{name:32} {count.rows[(name, True)]:5} {count.rows[(name, False)]:8}")
    cases = sum(n for (_, is_case), n in count.rows.items() if is_case)
    controls = sum(n for (_, is_case), n in count.rows.items() if not is_case)
    print(f"{'total':32} {cases:5} {controls:8}")
    return int(rc)


if __name__ == "__main__":
    sys.exit(main())
