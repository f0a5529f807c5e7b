"""Episode output: the record schema, the atomic folder writer and the stats it accumulates.

Records follow the EPISODE FILE SCHEMA of docs/design.md: 14 keys, JSONL, UTF-8, keys sorted.
``EpisodeWriter`` streams records into a temporary folder inside ``out`` and moves the three files
into place (``os.replace``) only when ``close()`` succeeds, so a failure leaves no partial output
and an older output intact. Other files in ``out`` (the workflow keeps the resolved
``config.json`` there) are left alone.
Token-length percentiles are exact, computed from a Counter of lengths (memory bounded by the
number of distinct lengths, not the number of records). Episode ids must be unique per split: the
writer keeps an 8-byte digest per id (``array('Q')``, not a set of strings) and checks them when the
files are closed; a repeated digest is confirmed against the ids themselves by rereading that
split's file, so a digest collision is never reported as a duplicate.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from array import array
from collections import Counter
from pathlib import Path
from typing import Callable

from hart.errors import HartError
from hart.io import iter_jsonl, stage_dir

FIELDS = {
    "benchmark": str, "task": str, "template": (str, type(None)), "id": str, "split": str,
    "category": str, "hyper_input": str, "query": str, "few_shot_input": str,
    "tk_instruct_input": str, "target": str, "references": list, "choices": (list, type(None)),
    "label": (int, type(None)),
}  # fmt: skip
SPLITS = ("train", "test")  # every benchmark; S-NI adds "dev" when asked (docs/data.md)
LENGTH_FIELDS = ("hyper_input", "query", "target")
PERCENTILES = (50, 90, 95, 99, 100)


def record(**fields) -> dict:
    """One episode; missing optional fields default to None, wrong types are a bug (assert)."""
    rec = {"template": None, "choices": None, "label": None, **fields}
    if set(rec) != set(FIELDS):
        raise ValueError(f"episode keys {sorted(set(rec) ^ set(FIELDS))} do not match the schema")
    for key, kind in FIELDS.items():
        if not isinstance(rec[key], kind):
            raise ValueError(f"episode field {key!r} has type {type(rec[key]).__name__}")
    return rec


def percentiles(counts: Counter) -> dict:
    """Nearest-rank percentiles of a length histogram."""
    total = sum(counts.values())
    if not total:
        return {f"p{p}": None for p in PERCENTILES}
    out, items = {}, sorted(counts.items())
    for p in PERCENTILES:
        rank, seen = max(1, -(-p * total // 100)), 0
        for length, n in items:
            seen += n
            if seen >= rank:
                out[f"p{p}"] = length
                break
    return out


# Language-modelling corpora: a "task" there is an objective over held-out text segments (C4's one
# pseudo-task, the params study's generic copy / span-corruption rows), never an evaluated task, so
# the same task name in train and test is not leakage.
LM_CORPORA = frozenset({"c4", "params-lm"})


class EpisodeWriter:
    """Write ``<out>/<split>.jsonl`` for each split and ``stats.json`` atomically (temp folder + rename)."""

    def __init__(self, out: str | Path, benchmark: str, count: Callable[[str], int] | None = None,
                 splits: tuple[str, ...] = SPLITS):  # fmt: skip
        """``count``: token count (EOS included) for the length percentiles; None = words."""
        self.out, self.benchmark, self.splits = Path(out), benchmark, tuple(splits)
        self.count = count or (lambda text: len(text.split()))
        self.unit = "T5 tokens with EOS" if count is not None else "whitespace words"
        self.created = not self.out.exists()
        missing = [d for d in [self.out, *self.out.parents] if not d.exists()]
        self.created_root = missing[-1] if missing else None  # removed again by abort() when left empty
        self.out.mkdir(parents=True, exist_ok=True)
        # staged BESIDE the output (never inside the DVC-tracked folder); a killed build's stage is removed
        # by the next build (its pid is in the name and no longer alive)
        for legacy in self.out.glob(".episodes.*"):  # the old layout staged inside the output
            shutil.rmtree(legacy, ignore_errors=True)
        self.tmp = stage_dir(self.out.parent, f"{self.out.name}.episodes")
        self.files = {s: open(self.tmp / f"{s}.jsonl", "w", encoding="utf-8") for s in self.splits}
        self.ids = {s: array("Q") for s in self.splits}  # 8-byte digests of the episode ids
        self.tasks = {s: set() for s in self.splits}
        self.lengths = {s: {f: Counter() for f in LENGTH_FIELDS} for s in self.splits}
        self.extra: dict = {}
        self.truncated: dict[str, dict] = {}  # task -> what the length limits removed from its hyper_input

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.close()
        else:
            self.abort()

    def write(self, rec: dict) -> None:
        split = rec["split"]
        if split not in self.files:
            raise HartError(f"{rec['task']}: episode {rec['id']!r} has split {split!r}, not one of {self.splits}")
        if rec["task"] not in self.tasks[split] and self.benchmark not in LM_CORPORA:
            other = next((s for s in self.splits if s != split and rec["task"] in self.tasks[s]), None)
            if other is not None:  # a task both trained on and tested on would inflate the score
                raise HartError(f"task {rec['task']!r} is in both the {other} and the {split} list "
                                "(train/test leakage); fix the task lists")
        self.ids[split].append(_digest(rec["id"]))
        self.tasks[split].add(rec["task"])
        for f in LENGTH_FIELDS:
            self.lengths[split][f][self.count(rec[f])] += 1
        self.files[split].write(json.dumps(rec, sort_keys=True, ensure_ascii=False) + "\n")

    def note_truncation(self, task: str, demonstrations_dropped: int, cut: bool) -> None:
        """Count a hypernetwork input of ``task`` that lost demonstrations or was cut (only when it did).

        Per task: ``hyper_inputs`` truncated (S-NI: one per task, every episode shares it; P3: one per
        episode, each has its own 16 shots), ``demonstrations_dropped`` summed over them, ``cut`` how many
        were still too long after dropping and were cut at the token limit."""
        count_truncation(self.truncated, task, demonstrations_dropped, cut)

    def stats(self) -> dict:
        per_split = {
            s: {
                "tasks": len(self.tasks[s]),
                "task_names": sorted(self.tasks[s]),  # hart train's leakage check reads these, not the files
                "instances": len(self.ids[s]),
                "token_length_percentiles": {f: percentiles(c) for f, c in self.lengths[s].items()},
            }
            for s in self.splits
        }
        for fh in self.files.values():
            if not fh.closed:
                fh.flush()  # the sizes below are the bytes written so far (all of them once writing is done)
        return {"benchmark": self.benchmark, "length_unit": self.unit, **per_split,
                "truncation": truncation_summary(self.truncated), "files": file_sizes(self.tmp, self.splits),
                **self.extra}

    def check_unique_ids(self) -> None:
        """A HartError naming the task and id when an episode id repeats within a split."""
        import numpy as np

        for split in self.splits:
            digests = np.sort(np.frombuffer(self.ids[split], dtype=np.uint64))
            repeated = set(digests[1:][digests[1:] == digests[:-1]].tolist())
            if not repeated:
                continue
            seen: dict[str, str] = {}
            for _, rec in iter_jsonl(self.tmp / f"{split}.jsonl"):
                if _digest(rec["id"]) not in repeated:
                    continue
                if rec["id"] in seen:
                    raise HartError(f"{rec['task']}: duplicate episode id {rec['id']!r} in {split} "
                                    f"(first in task {seen[rec['id']]})")  # fmt: skip
                seen[rec["id"]] = rec["task"]

    def close(self) -> None:
        for fh in self.files.values():
            fh.close()
        try:
            self.check_unique_ids()
        except HartError:
            self.abort()
            raise
        (self.tmp / "stats.json").write_text(json.dumps(self.stats(), indent=2, sort_keys=True) + "\n")
        for name in [f"{s}.jsonl" for s in self.splits] + ["stats.json"]:
            os.replace(self.tmp / name, self.out / name)
        self.tmp.rmdir()

    def abort(self) -> None:
        for fh in self.files.values():
            fh.close()
        shutil.rmtree(self.tmp, ignore_errors=True)
        folder = self.out
        while self.created_root is not None and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
            if folder == self.created_root:
                break
            folder = folder.parent


def file_sizes(folder: Path, splits) -> dict:
    """``stats.json`` → ``files``: the byte size of each split file, so a reader of ``task_names``
    (hart.runcheck.refuse_test_episodes) can tell the stats still describe the files beside them."""
    return {f"{s}.jsonl": {"bytes": (Path(folder) / f"{s}.jsonl").stat().st_size} for s in splits}


def count_truncation(per_task: dict[str, dict], task: str, demonstrations_dropped: int, cut: bool) -> None:
    """Add one truncated hypernetwork input of ``task`` to ``per_task`` (nothing when none was lost)."""
    if demonstrations_dropped or cut:
        t = per_task.setdefault(task, {"hyper_inputs": 0, "demonstrations_dropped": 0, "cut": 0})
        t["hyper_inputs"] += 1
        t["demonstrations_dropped"] += int(demonstrations_dropped)
        t["cut"] += int(bool(cut))


def truncation_summary(per_task: dict[str, dict]) -> dict:
    """``stats.json`` → ``truncation``: counts over tasks and the per-task records (note_truncation)."""
    return {"tasks_with_dropped_demonstrations": sum(1 for t in per_task.values() if t["demonstrations_dropped"]),
            "tasks_cut": sum(1 for t in per_task.values() if t["cut"]),
            "hyper_inputs_truncated": sum(t["hyper_inputs"] for t in per_task.values()),
            "per_task": dict(sorted(per_task.items()))}


def _digest(episode_id: str) -> int:
    return int.from_bytes(hashlib.blake2b(episode_id.encode("utf-8"), digest_size=8).digest(), "little")
