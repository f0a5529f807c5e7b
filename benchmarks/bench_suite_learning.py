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

    .venv/bin/python benchmarks/bench_suite_learning.py --copy 600 [--lrs 2e-3 5e-3 1e-2]

The copy diagnostic: one synthetic task (repeat 3-6 words of the suite's vocabulary), a random-init
tiny T5, trained from the same seed and batches by our loop (`hart train`, the tiny config with its
Adam-8bit) and by a plain transformers loop with torch AdamW; mean loss per 50 steps, side by side.
It separates "the loop is wrong" from "this model learns to copy slowly".
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


def copy_rows(n: int, split: str, seed: int) -> list[dict]:
    import random

    from hart.data.suite.vocab import COLORS, FOODS, PLACES, THINGS

    rng, words = random.Random(f"{seed}:copy:{split}"), COLORS + FOODS + THINGS + PLACES
    rows = []
    for i in range(n):
        text = " ".join(rng.choice(words) for _ in range(rng.randint(3, 6)))
        query = f"Now complete the following example -\nInput: {text}.\nOutput: "
        rows.append({"benchmark": "copy", "category": "rewriting", "choices": None, "few_shot_input": query,
                     "hyper_input": "Definition: copy the words.", "id": f"copy-{split}-{i}", "label": None,
                     "query": query, "references": [text], "split": split, "target": text, "task": "copy",
                     "template": None, "tk_instruct_input": query})  # fmt: skip
    return rows


def plain_copy_losses(cfg: dict, rows: list[dict], lr: float) -> list[float]:
    """The same geometry, init seed, batch size and schedule, with a plain transformers loop + AdamW."""
    import random

    import torch

    from hart.data.tokenizer import load_tokenizer
    from hart.model.t5 import Geometry, build_t5

    tok = load_tokenizer(REPO / cfg["model"]["tokenizer"])
    m = cfg["model"]
    g = Geometry(d_model=m["d_model"], d_ff=m["d_ff"], num_layers=m["num_layers"],
                 num_decoder_layers=m["num_decoder_layers"], num_heads=m["num_heads"], d_kv=m["d_kv"],
                 vocab_size=len(tok), dropout=m["dropout"])  # fmt: skip
    model = build_t5(g, seed=cfg["train"]["seed"])
    steps, batch = cfg["train"]["steps"], cfg["train"]["batch_size"]
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.0)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda step: max(0.0, (steps - step) / steps))
    rng, losses = random.Random(0), []
    for _ in range(steps):
        chunk = [rng.choice(rows) for _ in range(batch)]
        enc = tok([r["query"] for r in chunk], return_tensors="pt", padding=True)
        labels = tok([r["target"] for r in chunk], return_tensors="pt", padding=True).input_ids
        labels[labels == tok.pad_token_id] = -100
        loss = model(input_ids=enc.input_ids, attention_mask=enc.attention_mask, labels=labels).loss
        loss.backward()
        opt.step(), sched.step(), opt.zero_grad()
        losses.append(loss.item())
    return losses


def copy_diagnostic(steps: int, lrs: list[float], threads: int) -> dict:
    import torch

    from hart.train.loop import train

    torch.set_num_threads(threads)
    rows = copy_rows(5000, "train", 0)
    means = lambda xs: [round(sum(xs[i:i + 50]) / len(xs[i:i + 50]), 3) for i in range(0, len(xs), 50)]  # noqa: E731
    out = {}
    with tempfile.TemporaryDirectory(prefix="hart-copy-") as tmp:
        tmp = Path(tmp)
        (tmp / "episodes").mkdir()
        (tmp / "episodes" / "train.jsonl").write_text("".join(json.dumps(r, sort_keys=True) + "\n" for r in rows))
        for lr in lrs:
            cfg = resolved("ft-zero-shot", steps, threads)
            cfg["model"]["base_checkpoint"] = None  # random init, like the plain loop
            cfg["train"].update(episodes=str(tmp / "episodes"), lr=lr)
            run = tmp / f"ours-{lr}"
            train(cfg, run)
            ours = [json.loads(x)["loss_pred"] for x in (run / "train_log.jsonl").read_text().splitlines()]
            plain = plain_copy_losses(cfg, rows, lr)
            out[str(lr)] = {"ours_adam8bit": means(ours), "plain_adamw": means(plain)}
            print(f"lr {lr}: ours (Adam-8bit) {means(ours)}", flush=True)
            print(f"lr {lr}: plain transformers + AdamW {means(plain)}", flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", type=int, nargs="+", default=[120, 1000])
    ap.add_argument("--methods", nargs="+", default=["ft-zero-shot", "ft-few-shot", "hart"])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--per-task", type=int, default=5, help="training-task rows evaluated per task")
    ap.add_argument("--out", default="results/bench/suite_learning.json")
    ap.add_argument("--copy", type=int, metavar="STEPS", help="run the copy diagnostic instead")
    ap.add_argument("--lrs", type=float, nargs="+", default=[2e-3])
    args = ap.parse_args()
    if args.copy:
        result = copy_diagnostic(args.copy, args.lrs, args.threads)
        from hart.io import write_json

        write_json(Path(args.out).with_name("copy_diagnostic.json"), result)
        return

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
