"""`hart data c4-from-suite`: the tiny/small stand-in for C4, cut from the suite's TRAINING text.

HINT and HyperTuning-PT pretrain on C4 and the tiny ``base-lm`` run stands in for LM-adapted T5; at
the tiny scale there is no C4, so the corpus is built from the embedded suite: one document per
training task (its definition, then every instance as "input -> output" lines in a seeded order)
and one per suite-p3 training task (its prompts and answers). Held-out tasks never enter the corpus.
Output: ``<out>/suite-c4.jsonl`` with ``{"text": ...}`` lines, the layout `hart data episodes
--benchmark c4` reads.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from hart.errors import HartError
from hart.io import write_text
from hart.argtypes import nonneg_int


def register(data_subparsers) -> None:
    p = data_subparsers.add_parser("c4-from-suite", help="C4-style pretraining corpus from the suite's training text")
    p.add_argument("--suite", type=Path, required=True, help="folder written by `hart data suite`")
    p.add_argument("--out", type=Path, required=True, help="output folder (suite-c4.jsonl)")
    p.add_argument("--seed", type=nonneg_int, default=0)
    p.set_defaults(func=run)


def documents(suite: Path, seed: int) -> list[str]:
    raw = suite / "suite-sni" / "raw"
    split = raw / "splits" / "default" / "train_tasks.txt"
    if not split.is_file():
        raise HartError(f"{split}: missing (run `hart data suite` first)")
    rng = random.Random(seed)
    docs = []
    for name in split.read_text().split():
        task = json.loads((raw / "tasks" / f"{name}.json").read_text())
        lines = [f"{i['input']} -> {i['output'][0]}" for i in task["Instances"]]
        rng.shuffle(lines)
        docs.append(task["Definition"][0] + "\n" + "\n".join(lines))
    p3 = suite / "suite-p3" / "train.jsonl"
    if p3.is_file():
        by_task: dict[str, list[str]] = {}
        for line in p3.read_text().splitlines():
            row = json.loads(line)
            by_task.setdefault(row["task"], []).append(row["query"].strip() + " " + row["target"].strip())
        for task in sorted(by_task):
            rows = by_task[task]
            rng.shuffle(rows)
            docs.append("\n".join(rows))
    rng.shuffle(docs)
    return docs


def run(args) -> int:
    docs = documents(args.suite, args.seed)
    write_text(args.out / "suite-c4.jsonl", "".join(json.dumps({"text": d}) + "\n" for d in docs))
    print(f"{len(docs)} documents -> {args.out / 'suite-c4.jsonl'}")
    return 0
