"""Build the whole embedded suite into one folder, all or nothing (``hart data suite``).

``<out>/suite-sni/raw/`` (S-NI layout; its episodes come from hart.data.sni), ``<out>/suite-p3/``
(episodes + stats.json) and ``<out>/tokenizer/`` (the ``tiny`` tokenizer, trained on every suite
text). Everything is built in a temporary folder inside ``<out>``; only when all of it succeeded is
each of the three outputs moved into place by one rename (an older output is replaced, never merged).
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Iterator

from hart.data import formats
from hart.data.suite.p3 import prompt_texts, write_p3
from hart.data.suite.sni import write_sni_raw
from hart.data.tokenizer import train_tokenizer
from hart.io import stage_dir

OUTPUTS = ("suite-sni/raw", "suite-p3", "tokenizer")


def sni_texts(tasks: dict[str, dict]) -> Iterator[str]:
    """Every string of the suite's S-NI tasks, and one Def+2Pos prompt per task (the scaffold words
    "Definition:", "Positive Example", ... that every S-NI episode contains)."""
    for task in tasks.values():
        yield from task["Definition"]
        for ex in task["Positive Examples"] + task["Negative Examples"]:
            yield from (ex["input"], ex["output"], ex["explanation"])
        for inst in task["Instances"]:
            yield inst["input"]
            yield from inst["output"]
        query = task["Instances"][0]["input"]
        yield formats.def_pos(task["Definition"], task["Positive Examples"], query, lambda s: 0, 1 << 30,
                              explanation=True)  # fmt: skip


def _install(stage: Path, out: Path) -> None:
    trash = stage / ".replaced"
    for rel in OUTPUTS:
        src, dst = stage / "new" / rel, out / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        if dst.exists():
            (trash / rel).parent.mkdir(parents=True, exist_ok=True)
            os.replace(dst, trash / rel)
        os.replace(src, dst)


def build_suite(out: str | Path, seed: int = 0, vocab_size: int = 2000, max_hyper_len: int = 1024) -> dict:
    """Generate the suite into ``out``; return a summary (counts and seconds per part)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    stage = stage_dir(out, "suite-build")  # a killed build's stage is removed by the next one
    new, seconds, t0 = stage / "new", {}, time.perf_counter()
    try:
        tasks = write_sni_raw(new / "suite-sni" / "raw", seed)
        seconds["sni"] = time.perf_counter() - t0
        texts = list(sni_texts(tasks)) + list(prompt_texts(seed))
        tok = train_tokenizer(texts, new / "tokenizer", vocab_size=vocab_size, seed=seed)
        seconds["tokenizer"] = time.perf_counter() - t0 - seconds["sni"]
        p3 = write_p3(new / "suite-p3", seed, tok, max_hyper_len)
        seconds["p3"] = time.perf_counter() - t0 - seconds["sni"] - seconds["tokenizer"]
        _install(stage, out)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    n_test = sum(1 for t in tasks if t.split("_")[0][5:] >= "501")
    return {
        "out": str(out), "seed": seed, "sni_tasks": {"train": len(tasks) - n_test, "test": n_test},
        "p3_episodes": {"train": p3["train"]["instances"], "test": p3["test"]["instances"]},
        "tokenizer_vocab": len(tok), "seconds": {k: round(v, 2) for k, v in seconds.items()},
    }  # fmt: skip
