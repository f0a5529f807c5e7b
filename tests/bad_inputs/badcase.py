"""Helpers for the adversarial suite's cases (fixtures are in conftest.py)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path


def copy_run(run: Path, dst: Path) -> Path:
    shutil.copytree(run, dst)
    return dst


def eval_rows(n_tasks=2, per_task=2) -> list[dict]:
    from unitdata import make_rows

    rows = make_rows(n_tasks * per_task, seed=5)
    for i, row in enumerate(rows):
        row.update(split="test", task=f"task{i % n_tasks}", id=f"t-{i}", hyper_input=f"Definition: rule {i % n_tasks}.")
    return rows


def write_jsonl(path: Path, rows) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    return path
