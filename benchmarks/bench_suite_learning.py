"""How much of the embedded suite a tiny model learns, by training length (issue: data stage).

    .venv/bin/python benchmarks/bench_suite_learning.py [--steps 120 1000] \
        [--methods ft-zero-shot ft-few-shot hart] [--threads 2] [--out results/bench/suite_learning.json]

Needs the tiny pipeline's inputs (`snakemake --cores 2 data/episodes/suite-sni/test.jsonl
results/base/tiny/model.safetensors`). For each method and step count it trains one run with the
real loop (the resolved tiny config of the workflow, only `train.steps` and `train.threads`
changed) and evaluates it twice with the real evaluator: on the 22 held-out suite tasks (the
Table 2 number) and on the TRAINING tasks (first 5 instances of each, relabelled as test rows),
so that "learns the training tasks" and "generalises to held-out tasks" are measured side by
side. Prints one row per run, per-kind ROUGE-L and the copy-task score (`suite001_copy_words`, the
easiest rule), and writes them to --out. A script, not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def resolved(method: str, steps: int, threads: int) -> dict:
    from hart.config import compose, validate

    paths = [REPO / "config/config.yaml", REPO / "config/scale/tiny.yaml",
             REPO / f"config/method/{method}.yaml", REPO / "config/benchmark/suite-sni.yaml"]  # fmt: skip
    cfg = compose(paths)
    cfg["run"] = {"benchmark": "suite-sni", "scale": "tiny", "method": method, "seed": 0}
    cfg["train"].update(seed=0, steps=steps, threads=threads, checkpoint_every=max(steps, 1))
    return validate(cfg, f"tiny {method} steps={steps}")


def train_rows_as_test(src: Path, dest: Path, per_task: int) -> Path:
    seen: dict[str, int] = {}
    with open(src, encoding="utf-8") as fin, open(dest, "w", encoding="utf-8") as fout:
        for line in fin:
            row = json.loads(line)
            seen[row["task"]] = seen.get(row["task"], 0) + 1
            if seen[row["task"]] <= per_task:
                fout.write(json.dumps({**row, "split": "test"}, sort_keys=True) + "\n")
    return dest


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", type=int, nargs="+", default=[120, 1000])
    ap.add_argument("--methods", nargs="+", default=["ft-zero-shot", "ft-few-shot", "hart"])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--per-task", type=int, default=5, help="training-task rows evaluated per task")
    ap.add_argument("--out", default="results/bench/suite_learning.json")
    args = ap.parse_args()

    import torch

    from hart.evaluate.run import evaluate
    from hart.io import write_json
    from hart.train.loop import train

    torch.set_num_threads(args.threads)
    episodes = REPO / "data/episodes/suite-sni"
    rows = []
    with tempfile.TemporaryDirectory(prefix="hart-learning-") as tmp:
        tmp = Path(tmp)
        seen_rows = train_rows_as_test(episodes / "train.jsonl", tmp / "train_as_test.jsonl", args.per_task)
        for method in args.methods:
            for steps in args.steps:
                cfg = resolved(method, steps, args.threads)
                run = tmp / f"{method}-{steps}"
                t0 = time.perf_counter()
                train(cfg, run)
                seconds = time.perf_counter() - t0
                held = evaluate(cfg, run, episodes / "test.jsonl", tmp / f"{run.name}-test.json")
                seen = evaluate(cfg, run, seen_rows, tmp / f"{run.name}-train.json")
                log = [json.loads(x) for x in (run / "train_log.jsonl").read_text().splitlines()]
                tail = log[-min(50, len(log)):]
                row = {
                    "method": method, "steps": steps, "train_seconds": round(seconds, 1),
                    "final_loss_mean_last50": round(sum(x["loss_pred"] for x in tail) / len(tail), 3),
                    "rougeL_training_tasks": round(seen["score"], 1),
                    "rougeL_held_out": round(held["score"], 1),
                    "copy_words_rougeL": round(seen["breakdown"]["per_task"]["suite001_copy_words"]["rougeL"], 1),
                    "held_out_by_kind": {k: round(v["rougeL"], 1) for k, v in held["breakdown"]["per_category"].items()},
                    "training_by_kind": {k: round(v["rougeL"], 1) for k, v in seen["breakdown"]["per_category"].items()},
                }  # fmt: skip
                rows.append(row)
                print(json.dumps(row), flush=True)
    write_json(Path(args.out), {"rows": rows, "per_task": args.per_task, "threads": args.threads})
    print("| method | steps | train s | loss (last 50) | ROUGE-L training tasks | ROUGE-L held-out | copy_words |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['method']} | {r['steps']} | {r['train_seconds']} | {r['final_loss_mean_last50']} | "
              f"{r['rougeL_training_tasks']} | {r['rougeL_held_out']} | {r['copy_words_rougeL']} |")


if __name__ == "__main__":
    main()
