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
import sys
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
    "dev_tasks": 0,  # S-NI ships no dev list: 0 = no dev split; N = N seeded training tasks become dev
    "expected_tasks": None,  # {"train": 756, "test": 119} for the real default split; None = no check
}
NO_DEV = ("none: S-NI's split has no dev list and dev_tasks is 0; runs train a fixed number of steps "
          "and evaluate their last checkpoint (no model selection)")


def read_split(raw: Path, split: str, part: str) -> list[str]:
    path = raw / "splits" / split / f"{part}_tasks.txt"
    if not path.is_file():
        raise HartError(f"{path}: split file not found (expected {raw}/splits/{split}/)")
    names = [line.strip() for line in path.read_text().splitlines() if line.strip()]
    if len(set(names)) != len(names):
        raise HartError(f"{path}: a task is listed twice")
    return names


def check_counts(raw: Path, cfg: dict, found: dict, benchmark: str) -> None:
    """Print the task counts the split lists hold; for ``sni`` (the real download) stop, before
    anything is written, when they differ from ``expected_tasks`` (756 train / 119 test in the default
    English split: a different release, split or a damaged download otherwise)."""
    where = raw / "splits" / cfg["split"]
    print(f"{benchmark}: {where}: {found['train']} train / {found['test']} test tasks listed", file=sys.stderr)
    expected = cfg["expected_tasks"]
    if benchmark == "sni" and expected is not None and found != {"train": expected["train"], "test": expected["test"]}:
        raise HartError(f"{where}: {found['train']} train / {found['test']} test tasks listed, expected "
                        f"{expected['train']} / {expected['test']} (data.sni.expected_tasks)")


def task_strings(task: dict, tok, cfg: dict) -> dict:
    """The per-task part of every episode: the hypernetwork's Def+2Pos (no query)."""
    count = formats.token_counter(tok)
    hyper = formats.def_pos(
        task["Definition"], task["Positive Examples"], None, count, cfg["max_hyper_len"], cfg["num_pos"]
    )
    return {"hyper_input": formats.truncate(hyper, tok, cfg["max_hyper_len"])}


def _truncation(task: dict, tok, cfg: dict) -> tuple[int, bool]:
    """(demonstrations dropped, text cut) for the task's hyper_input: recorded in stats.json."""
    from hart.data.truncation import hyper_truncation

    _, info = hyper_truncation(task["Definition"], task["Positive Examples"], formats.token_counter(tok),
                               cfg["max_hyper_len"], cfg["num_pos"])
    return info["demonstrations_dropped"], info["cut"]


def instance_strings(task: dict, inp: str, tok, cfg: dict) -> dict:
    count, n = formats.token_counter(tok), cfg["max_source_len"]
    out = {"query": formats.truncate(formats.query_block(inp), tok, n)}
    for key, expl in (("few_shot_input", False), ("tk_instruct_input", True)):
        text = formats.def_pos(
            task["Definition"], task["Positive Examples"], inp, count, n, cfg["num_pos"], expl
        )
        out[key] = formats.truncate(text, tok, n)
    return out


def choose_dev(raw: Path, cfg: dict, train: list[str], test: list[str], seed: int) -> tuple[list[str], str]:
    """The dev tasks and where they come from. S-NI's splits have train, test and excluded lists
    but no dev list: by default there is no dev split. ``dev_tasks: N`` moves N training tasks
    (``random.Random(f"{seed}:dev")``, kept in list order) to ``dev.jsonl``; a ``dev_tasks.txt``
    beside the split files (a user's own split) is used as it is."""
    n = cfg["dev_tasks"]
    path = raw / "splits" / cfg["split"] / "dev_tasks.txt"
    if path.is_file():
        if n:
            raise HartError(f"{path}: a dev list exists and data.sni.dev_tasks is {n}: use one or the other")
        names = read_split(raw, cfg["split"], "dev")
        clash = sorted(set(names) & set(test))
        if clash:
            raise HartError(f"{path}: dev tasks are also test tasks: {', '.join(clash[:5])}")
        return names, f"file: {path.name}"
    if not isinstance(n, int) or isinstance(n, bool) or not 0 <= n < len(train):
        raise HartError(f"data.sni.dev_tasks: {n!r} must be an integer from 0 to {len(train) - 1} "
                        f"(the split has {len(train)} training tasks)")  # fmt: skip
    if n == 0:
        return [], NO_DEV
    chosen = set(random.Random(f"{seed}:dev").sample(sorted(train), n))
    return [t for t in train if t in chosen], f"{n} training tasks drawn with seed {seed}"


def select_instances(instances: list, split: str, rng: random.Random, cfg: dict) -> list:
    if split in ("test", "dev"):  # evaluation splits: the first N instances
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
    """Write ``<out>/{train,test}.jsonl`` (and ``dev.jsonl`` when a dev split is asked for) and
    ``stats.json``; return the stats."""
    cfg = {**DEFAULTS, **(cfg or {})}
    raw = Path(raw)
    names = {part: read_split(raw, cfg["split"], part) for part in ("train", "test")}
    check_counts(raw, cfg, {part: len(names[part]) for part in ("train", "test")}, benchmark)
    dev, dev_source = choose_dev(raw, cfg, names["train"], names["test"], seed)
    moved = set(dev)
    names["train"] = [t for t in names["train"] if t not in moved]
    splits = ("train", "test", "dev") if dev else ("train", "test")
    names["dev"] = dev
    counts = {part: 0 for part in splits}
    skipped: list[str] = []
    with EpisodeWriter(out, benchmark, formats.token_counter(tok), splits) as writer:
        for split in splits:
            for name in names[split]:
                strict = cfg["non_english"] == "error"
                task = load_task(raw / "tasks" / f"{name}.json", require_english=strict)
                if not is_english(task):
                    skipped.append(name)
                    continue
                counts[split] += 1
                writer.note_truncation(name, *_truncation(task, tok, cfg))
                for rec in task_episodes(name, task, split, benchmark, tok, cfg, seed):
                    writer.write(rec)
                del task  # stream: one task file in memory at a time
        writer.extra = {
            "listed_tasks": {p: len(names[p]) for p in splits}, "english_tasks": counts,
            "skipped_non_english": skipped, "seed": seed, "dev_split": dev_source,
            "split": cfg["split"], "settings": {k: cfg[k] for k in sorted(DEFAULTS)},
        }  # fmt: skip
        stats = writer.stats()
    return stats
