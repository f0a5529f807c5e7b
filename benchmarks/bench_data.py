"""Episode-building throughput and peak memory as the input grows (S-NI and P3, shared data).

    .venv/bin/python benchmarks/bench_data.py [--shared ../shared/data] [--factors 1 2 4 8]

The raw input is replicated 1x, 2x, 4x, 8x (task files / P3 datasets copied under new names, with
new instance ids), episodes are built with the real code, and the script prints episodes per
second and the tracemalloc peak of the build (Python allocations; the Rust tokenizer's own memory
is not traced). Task files are streamed one at a time and P3 datasets one at a time, so the peak
should stay flat while the episode count grows 8x. A script, not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
import tracemalloc
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
P3_TRAIN = {"trec": "topic_classification", "glue/mrpc": "paraphrase",
            "rotten_tomatoes": "sentiment", "ag_news": "topic_classification"}  # fmt: skip


def replicate_sni(src: Path, dest: Path, factor: int) -> Path:
    """``factor`` copies of every task (renamed, ids prefixed), listed in the same splits."""
    (dest / "tasks").mkdir(parents=True)
    (dest / "splits" / "default").mkdir(parents=True)
    for part in ("train", "test"):
        names = (src / "splits/default" / f"{part}_tasks.txt").read_text().split()
        listed = []
        for k in range(factor):
            for name in names:
                task = json.loads((src / "tasks" / f"{name}.json").read_text())
                for inst in task["Instances"]:
                    inst["id"] = f"r{k}-{inst['id']}"
                (dest / "tasks" / f"{name}_r{k}.json").write_text(json.dumps(task))
                listed.append(f"{name}_r{k}")
        (dest / "splits/default" / f"{part}_tasks.txt").write_text("\n".join(listed) + "\n")
    return dest


def replicate_p3(src: Path, dest: Path, factor: int) -> tuple[Path, dict]:
    """``factor`` copies of a few training datasets (rows + templates) under new names."""
    train = {}
    for k in range(factor):
        for ds, cluster in P3_TRAIN.items():
            name = f"{ds}_r{k}"
            shutil.copytree(src / "train" / ds, dest / "train" / name)
            shutil.copytree(src / "templates" / ds, dest / "templates" / name)
            train[name] = cluster
    return dest, train


def measure(build, *args, **kwargs) -> tuple[dict, float, float]:
    tracemalloc.start()
    start = time.perf_counter()
    stats = build(*args, **kwargs)
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return stats, seconds, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", default=str(REPO.parent / "shared" / "data"))
    parser.add_argument("--factors", type=int, nargs="+", default=[1, 2, 4, 8])
    parser.add_argument("--p3-rows", type=int, default=100, help="rows per P3 dataset")
    args = parser.parse_args()
    shared = Path(args.shared)

    from transformers import AutoTokenizer
    from transformers.utils import logging

    from hart.config import compose
    from hart.data import p3, sni

    logging.set_verbosity_error()
    tok = AutoTokenizer.from_pretrained(shared / "t5" / "tokenizer")
    p3_cfg = compose([REPO / "config/data/sources.yaml"])["data"]["p3"]
    p3_cfg.update(eval=[], max_rows_per_dataset=args.p3_rows)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for factor in args.factors:
            raw = replicate_sni(shared / "sni", Path(tmp) / f"sni{factor}", factor)
            stats, sec, peak = measure(sni.build, raw, Path(tmp) / f"out-sni{factor}", tok, seed=0)
            n = stats["train"]["instances"] + stats["test"]["instances"]
            rows.append(("sni", factor, stats["train"]["tasks"] + stats["test"]["tasks"], n, sec, peak))
        for factor in args.factors:
            raw, train = replicate_p3(shared / "p3", Path(tmp) / f"p3-{factor}", factor)
            stats, sec, peak = measure(p3.build, raw, Path(tmp) / f"out-p3{factor}", tok,
                                       {**p3_cfg, "train": train}, 0)  # fmt: skip
            rows.append(("p3", factor, stats["train"]["tasks"], stats["train"]["instances"], sec, peak))
    print(f"{'benchmark':<9} {'input':>5} {'tasks':>5} {'episodes':>8} {'seconds':>8} {'eps/s':>7} {'peak MiB':>8}")
    for name, factor, tasks, n, sec, peak in rows:
        print(f"{name:<9} {factor:>4}x {tasks:>5} {n:>8} {sec:>8.2f} {n / sec:>7.0f} {peak:>8.2f}")


if __name__ == "__main__":
    main()
