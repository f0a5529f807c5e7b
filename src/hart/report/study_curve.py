"""Held-out learning curve of one run (Figure 3's claim on the params study, docs/study.md).

    hart report study-curve --run results/train/params-sni/study/hart-nolc/seed0 \
        --episodes data/episodes/params-sni/test.jsonl --limit 10 --out results/study/curves/hart-nolc/seed0.json

Every kept checkpoint of the run (``checkpoints/step-N``, the study scale keeps them all) is loaded
into the run's model and evaluated with the real evaluator (hart.evaluate.run.evaluate, ``limit``
queries per held-out task); the final ``model.safetensors`` is the last point. Output:
``{"run", "points": [{"step", "exact_match", "rougeL", "per_category"}], "auc_exact_match"}`` where
``auc_exact_match`` is the trapezoid area under exact match over steps, divided by the last step
(a 0-100 number: 100 = solved from the first step).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hart.argtypes import positive_int
from hart.errors import HartError


def checkpoint_loader(run: Path, step_dir: Path | None):
    """A ``load`` callable for hart.evaluate.run.evaluate: the run's model with the trainable
    weights of ``step_dir`` (a checkpoint folder) or of the final model.safetensors (None)."""

    def load(_checkpoint):
        from hart.config import validate
        from hart.model.adapted import load as load_final
        from hart.model.build import load_weights
        from hart.train.loop import setup

        from hart.io import read_json
        from hart.runcheck import localize, verify_run
        from hart.train.checkpoint import verify

        if step_dir is None:
            return load_final(run)
        config = validate(read_json(run / "config.json", "run config"), str(run / "config.json"))
        verify_run(run, config)  # the run's final weights belong to this config.json (method, geometry, hash)
        if verify(step_dir) is None:  # the checkpoint's own sha256, as a resume checks it
            raise HartError(f"{step_dir / 'state.safetensors'}: incomplete, or its sha256 differs from state.json")
        _, meth, _, tokenizer, model = setup(localize(config, run), device="cpu")  # any cwd, a moved run
        loaded = set(load_weights(model, step_dir / "state.safetensors", prefix="model."))
        missing = [n for n, p in model.named_parameters() if p.requires_grad and n not in loaded]
        if missing:
            raise HartError(f"{step_dir}: lacks trained weights for {missing[:3]}")
        return model.eval(), tokenizer, config

    return load


def auc(points: list[dict], key: str = "exact_match") -> float:
    """Trapezoid area under ``key`` from the first measured step to the last, divided by that span
    (the mean score over training; 0-100)."""
    if len(points) < 2:
        raise HartError("learning curve: need at least two points for an area")
    area = sum((b["step"] - a["step"]) * (a[key] + b[key]) / 2 for a, b in zip(points, points[1:]))
    return area / (points[-1]["step"] - points[0]["step"])


def curve(run: str | Path, episodes: str | Path, limit: int) -> dict:
    from hart.evaluate.run import evaluate

    run = Path(run)
    from hart.io import read_json

    config = read_json(run / "config.json", "run config")
    steps = sorted(run.glob("checkpoints/step-*"))
    done = read_json(run / "done.json", "done.json")
    if not isinstance(done, dict) or not isinstance(done.get("steps"), int):
        raise HartError(f"{run / 'done.json'}: no integer 'steps' (training has not finished?)")
    targets = [(int(p.name.split("-")[1]), p) for p in steps if int(p.name.split("-")[1]) < done["steps"]]
    targets.append((done["steps"], None))
    if len(targets) < 2:
        raise HartError(f"{run}: only the final model; keep intermediate checkpoints (train.keep_checkpoints)")
    points = []
    with tempfile.TemporaryDirectory(prefix="hart-curve-") as tmp:
        for step, step_dir in targets:
            res = evaluate(config, run, episodes, Path(tmp) / f"{step}.json", limit=limit,
                           load=checkpoint_loader(run, step_dir))  # fmt: skip
            b = res["breakdown"]
            points.append({"step": step, "exact_match": b["exact_match"], "rougeL": res["score"],
                           "per_category": {k: v["exact_match"] for k, v in b["per_category"].items()}})  # fmt: skip
    return {"run": str(run), "limit": limit, "points": points, "auc_exact_match": auc(points)}


def register(sub) -> None:
    c = sub.add_parser("study-curve", help="held-out exact match at every kept checkpoint of a run (docs/study.md)")
    c.add_argument("--run", required=True, help="a finished training run folder")
    c.add_argument("--episodes", required=True, help="held-out episodes (test.jsonl)")
    c.add_argument("--limit", type=positive_int, default=10, help="queries per held-out task at each point")
    c.add_argument("--out", required=True, help="curve JSON")
    c.set_defaults(func=main)


def main(args) -> int:
    from hart.io import write_json

    write_json(Path(args.out), curve(args.run, args.episodes, args.limit))
    return 0
