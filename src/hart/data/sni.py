"""Super-NaturalInstructions episodes (benchmarks ``sni`` and the generated ``suite-sni``).

PROTOCOL.md (Data): the default split's English tasks; up to ``max_train_instances`` (100)
seeded-random instances per training task (Tk-Instruct shuffles a task's instances and keeps the
first 100 when it has more), the FIRST ``max_test_instances`` (100) of each test task. Strings come
from hart.data.formats (Tk-Instruct's Def+2Pos, byte for byte):

- ``hyper_input``: Def+2Pos without the query, cut at ``max_hyper_len`` (1024) tokens;
- ``query``: ``formats.query_block(input)``, cut at ``max_source_len`` (384);
- ``few_shot_input`` / ``tk_instruct_input``: Def+2Pos with the query (without / with the positive
  examples' explanations), cut at ``max_source_len``;
- ``target``: a seeded random choice among the outputs; ``references``: all outputs.

Task files are streamed one at a time (memory stays flat as the benchmark grows). Randomness comes
from ``random.Random(f"{seed}:{task}")`` so one task's episodes never depend on another's.
"""

from __future__ import annotations

import random
from pathlib import Path

from hart.data import formats
from hart.data.stats import EpisodeWriter, record
from hart.data.taskfile import is_english, load_task
from hart.errors import HartError

DEFAULTS = {
    "split": "default",
    "max_train_instances": 100,  # Tk-Instruct --max_num_instances_per_task
    "max_test_instances": 100,  # the curated, label-balanced first 100 (PROTOCOL.md)
    "max_source_len": 384,  # main encoder input (Appendix 6.1.3)
    "max_hyper_len": 1024,  # hypernetwork input (Appendix 6.1.3)
    "num_pos": 2,  # Def+2Pos
    "non_english": "error",  # "error": the default split is English-only; "skip": drop and count
}


def read_split(raw: Path, split: str, part: str) -> list[str]:
    path = raw / "splits" / split / f"{part}_tasks.txt"
    if not path.is_file():
        raise HartError(f"{path}: split file not found (expected {raw}/splits/{split}/)")
    names = [line.strip() for line in path.read_text().splitlines() if line.strip()]
    if len(set(names)) != len(names):
        raise HartError(f"{path}: a task is listed twice")
    return names


def task_strings(task: dict, tok, cfg: dict) -> dict:
    """The per-task part of every episode: the hypernetwork's Def+2Pos (no query)."""
    count = formats.token_counter(tok)
    hyper = formats.def_pos(
        task["Definition"], task["Positive Examples"], None, count, cfg["max_hyper_len"], cfg["num_pos"]
    )
    return {"hyper_input": formats.truncate(hyper, tok, cfg["max_hyper_len"])}


def instance_strings(task: dict, inp: str, tok, cfg: dict) -> dict:
    count, n = formats.token_counter(tok), cfg["max_source_len"]
    out = {"query": formats.truncate(formats.query_block(inp), tok, n)}
    for key, expl in (("few_shot_input", False), ("tk_instruct_input", True)):
        text = formats.def_pos(
            task["Definition"], task["Positive Examples"], inp, count, n, cfg["num_pos"], expl
        )
        out[key] = formats.truncate(text, tok, n)
    return out


def select_instances(instances: list, split: str, rng: random.Random, cfg: dict) -> list:
    if split == "test":
        return instances[: cfg["max_test_instances"]]
    cap = cfg["max_train_instances"]
    if len(instances) > cap:
        instances = list(instances)
        rng.shuffle(instances)
        instances = instances[:cap]
    return instances


def task_episodes(name: str, task: dict, split: str, benchmark: str, tok, cfg: dict, seed: int):
    """Yield the episodes of one task."""
    rng = random.Random(f"{seed}:{name}")
    shared = task_strings(task, tok, cfg)
    for inst in select_instances(task["Instances"], split, rng, cfg):
        yield record(
            benchmark=benchmark, task=name, id=inst["id"], split=split,
            category=task["Categories"][0], target=rng.choice(inst["output"]),
            references=list(inst["output"]), **shared, **instance_strings(task, inst["input"], tok, cfg),
        )  # fmt: skip


def build(raw: str | Path, out: str | Path, tok, cfg: dict | None = None, seed: int = 42,
          benchmark: str = "sni") -> dict:  # fmt: skip
    """Write ``<out>/{train,test}.jsonl`` and ``stats.json``; return the stats."""
    cfg = {**DEFAULTS, **(cfg or {})}
    raw = Path(raw)
    counts = {"train": 0, "test": 0}
    skipped: list[str] = []
    with EpisodeWriter(out, benchmark, formats.token_counter(tok)) as writer:
        for split in ("train", "test"):
            for name in read_split(raw, cfg["split"], split):
                strict = cfg["non_english"] == "error"
                task = load_task(raw / "tasks" / f"{name}.json", require_english=strict)
                if not is_english(task):
                    skipped.append(name)
                    continue
                counts[split] += 1
                for rec in task_episodes(name, task, split, benchmark, tok, cfg, seed):
                    writer.write(rec)
                del task  # stream: one task file in memory at a time
        writer.extra = {
            "english_tasks": counts, "skipped_non_english": skipped, "seed": seed,
            "split": cfg["split"], "settings": {k: cfg[k] for k in sorted(DEFAULTS)},
        }  # fmt: skip
        stats = writer.stats()
    return stats
