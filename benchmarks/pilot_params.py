"""Pilot of the params benchmark (docs/study.md): does the design separate the methods at all?

    .venv/bin/python benchmarks/pilot_params.py [--tier easy] [--steps 1000] [--base-steps 1500] \
        [--methods ft-few-shot ft-zero-shot hypertuning-nopt] [--threads 2] [--out results/bench/pilot_params.json] \
        [--data data/suite-params] [--base results/base/study] [--set train.optimizer=adamw ...]

Builds data/suite-params (hart data suite --kind params) when missing, trains the study scale's
base model (method base-lm on params-lm) into results/base/study when missing, then trains each
method with the real loop on the training episodes of one tier and evaluates it with the real
evaluator on that tier's held-out tasks. Prints exact match beside the parameter-blind chance floor
(tasks.json). Pass criteria (issue 15): FT-Few-Shot >= 80, FT-Zero-Shot within 5 points of chance,
HyperTuning without fusion-in-decoder (hypertuning-nopt) clearly above FT-Zero-Shot. Each row also
carries ``label_binding`` (label families: decision right, label one of the task's slot words,
label bound to the decision written), the diagnostic of pilots 1-7. ``--set`` overrides the method
runs' config (the bisection of pilots 5-6). A script, not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "data/suite-params"  # --data replaces it


def apply_sets(cfg: dict, sets: list[str]) -> None:
    """``section.key=value`` overrides (value parsed as YAML), for the pilot's bisection runs."""
    import yaml

    for item in sets:
        key, _, value = item.partition("=")
        *path, last = key.split(".")
        node = cfg
        for k in path:
            node = node.setdefault(k, {})
        node[last] = yaml.safe_load(value)


def resolved(method: str, benchmark: str, steps: int, threads: int, episodes: Path | None = None,
             sets: list[str] = ()) -> dict:  # fmt: skip
    from hart.config import compose, validate

    paths = [REPO / "config/config.yaml", REPO / "config/scale/study.yaml",
             REPO / f"config/method/{method}.yaml", REPO / f"config/benchmark/{benchmark}.yaml"]  # fmt: skip
    cfg = compose(paths)
    cfg["run"] = {"benchmark": benchmark, "scale": "study", "method": method, "seed": 0}
    cfg["train"].update(seed=0, steps=steps, threads=threads, checkpoint_every=max(steps, 1))
    if episodes is not None:
        cfg["train"]["episodes"] = str(episodes)
    cfg["data"]["tokenizer"] = cfg["model"]["tokenizer"] = str(DATA / "tokenizer")  # --data's own
    apply_sets(cfg, list(sets))
    return validate(cfg, f"study {method} steps={steps}")


def tier_episodes(tier: str, out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    for split in ("train", "test"):
        lines = (DATA / "params-sni" / f"{split}.jsonl").read_text().splitlines()
        keep = [x for x in lines if tier == "all" or json.loads(x)["category"] == tier]
        (out / f"{split}.jsonl").write_text("\n".join(keep) + "\n")
    return out


def label_binding(test: Path, result: Path, meta: dict) -> dict:
    """For the label families: how many predictions make the right true/false decision, name one of
    the task's two label words, and name the label that goes with the decision they made."""
    from hart.evaluate.run import predictions_path

    gold = {json.loads(x)["id"]: json.loads(x) for x in test.read_text().splitlines()}
    n = decision = in_slots = bound = 0
    for line in predictions_path(result).read_text().splitlines():
        pred = json.loads(line)
        info = meta[pred["task"]]
        if not info["family"].startswith("label"):
            continue
        _, a, b = info["param"]
        words = pred["prediction"].split()
        n += 1
        decision += bool(words) and words[0] == gold[pred["id"]]["target"].split()[0]
        in_slots += len(words) > 1 and words[1] in (a, b)
        bound += len(words) > 1 and (words[0], words[1]) in (("true", a), ("false", b))
    return {"queries": n, "decision_right": decision, "label_in_slots": in_slots, "label_matches_decision": bound}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tier", default="easy", choices=("easy", "hard", "all"))
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--base-steps", type=int, default=1500)
    ap.add_argument("--methods", nargs="+", default=["ft-few-shot", "ft-zero-shot", "hypertuning-nopt"])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", default="results/bench/pilot_params.json")
    ap.add_argument("--set", nargs="*", default=[], metavar="SECTION.KEY=VALUE",
                    help="config overrides for the method runs (not the base), e.g. train.optimizer=adamw")
    ap.add_argument("--data", default="data/suite-params", help="the built benchmark (hart data suite --kind params)")
    ap.add_argument("--base", default="results/base/study", help="the base run's folder (trained when missing)")
    args = ap.parse_args()
    global DATA
    DATA = REPO / args.data

    import torch

    from hart.evaluate.run import evaluate
    from hart.io import write_json
    from hart.train.loop import train

    torch.set_num_threads(args.threads)
    if not (DATA / "params-sni/tasks.json").is_file():
        from hart.data.suite.params import build_params

        build_params(DATA, seed=0)
    base = REPO / args.base
    timings = {}
    meta = json.loads((DATA / "params-sni/tasks.json").read_text())
    work = REPO / "results/bench" / Path(args.out).stem  # runs of separate invocations never clash
    eps = tier_episodes(args.tier, work / f"episodes-{args.tier}")
    rows = []
    for method in args.methods:
        cfg = resolved(method, "params-sni", args.steps, args.threads, eps, args.set)
        if cfg["model"].get("base_checkpoint"):  # trained on first use
            cfg["model"]["base_checkpoint"] = str(base / "model.safetensors")
            if not (base / "done.json").is_file():
                t0 = time.perf_counter()
                train(resolved("base-lm", "params-lm", args.base_steps, args.threads, DATA / "params-lm"), base)
                timings["base"] = round(time.perf_counter() - t0, 1)
        run = work / f"{method}-{args.tier}-{args.steps}"
        shutil.rmtree(run, ignore_errors=True)
        t0 = time.perf_counter()
        train(cfg, run)
        seconds = time.perf_counter() - t0
        res = evaluate(cfg, run, eps / "test.jsonl", work / f"{run.name}-eval.json")
        per_task = res["breakdown"]["per_task"]
        chance = sum(meta[t]["chance"]["exact_match"] for t in per_task) / len(per_task)
        row = {"method": method, "tier": args.tier, "steps": args.steps, "train_seconds": round(seconds, 1),
               "exact_match": round(res["breakdown"].get("exact_match", float("nan")), 1),
               "rougeL": round(res["score"], 1), "chance_exact_match": round(chance, 1),
               "per_family": {}}  # fmt: skip
        for fam in sorted({meta[t]["family"] for t in per_task}):
            ts = [t for t in per_task if meta[t]["family"] == fam]
            row["per_family"][fam] = round(sum(per_task[t]["exact_match"] for t in ts) / len(ts), 1)
        row["set"], row["label_binding"] = args.set, label_binding(eps / "test.jsonl", work / f"{run.name}-eval.json", meta)
        rows.append(row)
        print(json.dumps(row), flush=True)
    write_json(Path(args.out), {"rows": rows, "timings": timings, "threads": args.threads})


if __name__ == "__main__":
    main()
