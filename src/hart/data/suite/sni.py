"""Write ``suite-sni`` raw data in the layout of allenai/natural-instructions.

``<out>/tasks/<name>.json`` (json.dump(indent=4, ensure_ascii=False), like the originals) and
``<out>/splits/default/{train,test}_tasks.txt``. The S-NI episode builder (hart.data.sni) reads
this folder exactly as it reads a real release.
"""

from __future__ import annotations

import json
from pathlib import Path

from hart.data.suite.family import build_task
from hart.data.suite.registry import HELD_OUT_FAMILIES, TRAIN_FAMILIES


def task_json(task: dict) -> str:
    return json.dumps(task, indent=4, ensure_ascii=False) + "\n"


def write_sni_raw(out: str | Path, seed: int) -> dict[str, dict]:
    """Write every suite task into ``out`` (a fresh folder); return {name: task dict}."""
    out = Path(out)
    (out / "tasks").mkdir(parents=True, exist_ok=True)
    (out / "splits" / "default").mkdir(parents=True, exist_ok=True)
    tasks = {}
    for fam in TRAIN_FAMILIES + HELD_OUT_FAMILIES:
        tasks[fam.name] = build_task(fam, seed, TRAIN_FAMILIES + HELD_OUT_FAMILIES)
        (out / "tasks" / f"{fam.name}.json").write_text(task_json(tasks[fam.name]), encoding="utf-8")
    for part, fams in (("train", TRAIN_FAMILIES), ("test", HELD_OUT_FAMILIES)):
        (out / "splits" / "default" / f"{part}_tasks.txt").write_text("".join(f.name + "\n" for f in fams))
    return tasks
