"""One evaluation run: load a checkpoint, predict on an episode file, score, write results.

Outputs (both written atomically): ``<out>`` the result JSON (shape in docs/results.md) and
``<out stem>.predictions.jsonl`` beside it, one prediction per test row in file order.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Callable

import torch

from hart import device as dev
from hart.errors import HartError
from hart.io import iter_jsonl
from hart.evaluate import metrics
from hart.evaluate.generate import TaskStates, generate_rows
from hart.evaluate.rank import model_device, rank_rows
from hart.meta import meta
from hart.runcheck import EMPTY_FLAG, empty_share, require_finite

DEFAULTS = {  # the `evaluate:` config section (schemas/evaluate.json documents each key)
    "batch_size": 8, "max_new_tokens": 128, "max_input_len": 384, "max_hyper_len": 1024,
    "max_choice_len": 128, "rank_label_tokens": 256, "input_field": None, "limit": None,
}
# Fallback when neither evaluate.input_field nor method.input_field is set: which episode field the
# main encoder reads (docs/design.md); other methods read `query`.
INPUT_FIELD = {"ft-few-shot": "few_shot_input", "prefix-tuning": "few_shot_input", "lora": "few_shot_input",
               "tk-instruct": "tk_instruct_input"}


def read_episodes(path: str | Path, limit: int | None = None) -> list[dict]:
    """Test rows of an episode file; ``limit`` keeps the first N rows of EACH task (all tasks stay)."""
    from hart.runcheck import check_eval_rows

    rows, per_task = [], {}
    numbered = [(n, row) for n, row in iter_jsonl(path, "episode file")
                if not isinstance(row, dict) or row.get("split", "test") == "test"]
    check_eval_rows(numbered, path)  # ids, types, labels: an error names file, line and key
    for _, row in numbered:
        per_task[row["task"]] = per_task.get(row["task"], 0) + 1
        if limit is None or per_task[row["task"]] <= limit:
            rows.append(row)
    if not rows:
        raise HartError(f"{path}: no test rows")
    return rows


def run_axes(config: dict, model_config: dict | None = None) -> dict:
    """method / scale / seed from the config's ``run:`` section (else the checkpoint's config)."""
    axes = {}
    for source in (model_config or {}, config):  # a hand-made run: its own method/model/train sections
        if not source.get("method"):
            continue
        from hart.settings import from_config

        ms, meth, ts = from_config(source)  # defaults filled in, as training saw them
        found = {"method": meth.name, "scale": ms.scale, "seed": ts.seed}
        axes.update({k: v for k, v in found.items() if v is not None})
    for source in (model_config or {}, config):
        axes.update({k: v for k, v in (source.get("run") or {}).items() if k in ("method", "scale", "seed")})
    missing = [k for k in ("method", "scale", "seed") if k not in axes]
    if missing:
        raise HartError(f"config: run.{missing[0]} is not set (needed to label the result)")
    return axes


def _load(checkpoint, device):
    try:
        from hart.model.adapted import load  # imported only when a run needs the model
    except ImportError as exc:
        raise HartError(f"cannot load checkpoints: hart.model.adapted.load is unavailable ({exc})") from None
    return load(checkpoint, device=device)


def evaluate(config: dict, checkpoint: str | Path, episodes: str | Path, out: str | Path,
             limit: int | None = None, load: Callable | None = None, device: str | None = None) -> dict:
    """Run one evaluation and write its files; returns the result dict.

    The model is loaded onto ``device`` (hart.device.select) and evaluated in fp32 on every device,
    so scores do not depend on whether the GPU has bf16; ``meta`` records device and precision.
    """
    opts = {**DEFAULTS, **(config.get("evaluate") or {})}
    limit = limit if limit is not None else opts["limit"]
    rows = read_episodes(episodes, limit)
    benchmarks = sorted({r["benchmark"] for r in rows})
    if len(benchmarks) != 1:
        raise HartError(f"{episodes}: rows mix benchmarks {benchmarks}")
    with_choices = [r.get("choices") is not None for r in rows]
    if any(with_choices) and not all(with_choices):
        raise HartError(f"{episodes}: some rows have `choices` and some do not")
    model, tokenizer, model_config = load(checkpoint) if load else _load(checkpoint, dev.select(device))
    axes = run_axes(config, model_config)
    torch.manual_seed(int(axes["seed"]))
    field = (opts["input_field"] or (config.get("method") or {}).get("input_field")
             or (model_config or {}).get("method", {}).get("input_field") or INPUT_FIELD.get(axes["method"], "query"))
    if hasattr(model, "eval"):
        model.eval()
    _check_inputs(rows, episodes, field, getattr(model, "uses_hyper_input", False))

    if all(with_choices):
        states = TaskStates(model, tokenizer, opts["max_hyper_len"])
        ranked = rank_rows(model, tokenizer, rows, states, field, opts["batch_size"], opts["max_input_len"],
                           opts["max_choice_len"], opts["rank_label_tokens"])
        scores = metrics.p3_scores(rows, {i: r["prediction"] for i, r in ranked.items()})
        preds = [{"id": r["id"], "task": r["task"], "template": r.get("template"), "label": r["label"],
                  **ranked[r["id"]]} for r in rows]
        metric, score = "accuracy", scores.pop("accuracy")
    else:
        texts = generate_rows(model, tokenizer, rows, field, opts["batch_size"], opts["max_new_tokens"],
                              opts["max_input_len"], opts["max_hyper_len"])
        scores = metrics.sni_scores(rows, texts)
        preds = [{"id": r["id"], "task": r["task"], "category": r.get("category"), "prediction": texts[r["id"]]}
                 for r in rows]
        metric, score = "rougeL", scores.pop("rougeL")

    out = Path(out)
    require_finite(score, f"{checkpoint} on {episodes}")
    result = {
        "meta": meta(config, seed=int(axes["seed"]), device=model_device(model), precision="fp32"),
        "benchmark": benchmarks[0], "scale": axes["scale"], "method": axes["method"], "seed": int(axes["seed"]),
        "metric": metric, "score": score,
        "breakdown": {**scores, "input_field": field, "limit": limit},
    }
    if metric == "rougeL":  # LoRA on the tiny suite once scored 0.0 from empty strings and nothing said so
        share = empty_share(texts.values())
        result["breakdown"]["empty_predictions"] = share
        if share > EMPTY_FLAG:
            result["flag"] = f"{100 * share:.0f}% of predictions are empty"
            print(f"hart evaluate: warning: {result['flag']} ({checkpoint})", file=sys.stderr)
    _write_both(out, preds, result)
    return result


def _write_both(out: Path, preds: list[dict], result: dict) -> None:
    """Predictions and result together or neither (hart.io.write_together), the result renamed last."""
    from hart.io import write_together

    try:
        res_text = json.dumps(result, indent=2, sort_keys=True, allow_nan=False) + "\n"
    except ValueError:
        raise HartError(f"{out}: the result holds NaN or infinity; nothing written") from None
    pred_text = "".join(json.dumps(p, sort_keys=True, ensure_ascii=False) + "\n" for p in preds)
    write_together({predictions_path(out): pred_text, out: res_text})


def _check_inputs(rows: list[dict], path, field: str, hyper: bool) -> None:
    """The text fields the model reads are strings (a list or a number would be tokenised as garbage)."""
    for i, row in enumerate(rows):
        for key in (field, "hyper_input") if hyper else (field,):
            if not isinstance(row.get(key), str):
                raise HartError(f"{path}: row id {row['id']!r}: field {key!r} missing or not a string")


def predictions_path(out: str | Path) -> Path:
    out = Path(out)
    return out.with_name(out.stem + ".predictions.jsonl")
