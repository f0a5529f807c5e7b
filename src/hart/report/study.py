"""The params study (docs/study.md): scores per tier with floors, paired bootstrap intervals for
each ablation step, learning-curve areas (Figure 3's claim) and loss-spike statistics (Figure 4's).

    hart report study --evaluations results/evaluate/params-sni/study/*/seed*.json \
        --tasks data/suite-params/params-sni/tasks.json [--curves results/study/curves/*/*.json] \
        [--logs results/train/params-sni/study/*/seed*/train_log.jsonl] --out results/study/study

writes ``<out>.md`` (tables with the paper's claim beside each measured difference), ``<out>.json``
(every number) and ``<out>.csv`` (one row per method). Paths name their run:
``.../<method>/seed<s>.json`` and ``.../<method>/seed<s>/train_log.jsonl``.
"""

from __future__ import annotations

import json
import math
import random
import re
from collections import defaultdict
from pathlib import Path

from hart.errors import HartError
from hart.io import iter_jsonl, read_json

# Table 5's rows, each compared with the row before it; the paper's S-NI ROUGE-L difference.
ABLATION = [
    ("hypertuning-nopt", "hypertuning", "+ fusion-in-decoder", "+19.9 ROUGE-L (25.3 -> 45.2)"),
    ("hypertuning", "hart-nolc", "+ autoregressive generation", "+1.2 ROUGE-L (45.2 -> 46.4)"),
    ("hart-nolc", "hart", "+ local consistency", "+0.4 ROUGE-L (46.4 -> 46.8)"),
    ("hypertuning-nopt", "hart-nolc-nofid", "+ autoregressive generation, no fusion-in-decoder",
     "not reported (the paper always pairs AR with FiD)"),
]
FIG3 = ("hypertuning", "hart-nolc", "Figure 3: AR generation converges faster (lower training loss sooner)")
FIG4 = ("hart-nolc", "hart", "Figure 4: local consistency reduces loss spikes and loss variance")
RUN = re.compile(r"(?P<method>[a-z0-9.-]+)/seed(?P<seed>\d+)(?:\.json|/train_log\.jsonl)$")


def run_of(path: str | Path) -> tuple[str, int]:
    m = RUN.search(str(path))
    if not m:
        raise HartError(f"{path}: cannot tell the run (expected .../<method>/seed<s>.json or /train_log.jsonl)")
    return m["method"], int(m["seed"])


def per_task_scores(paths) -> dict[str, dict[int, dict[str, dict]]]:
    """{method: {seed: {task: {exact_match, rougeL}}}} from `hart evaluate` result JSONs."""
    out: dict = defaultdict(dict)
    for p in paths:
        method, seed = run_of(p)
        res = read_json(p, "evaluation result")
        if not isinstance(res, dict) or res.get("metric") != "rougeL" \
                or not isinstance((res.get("breakdown") or {}).get("per_task"), dict):
            raise HartError(f"{p}: not a generative (S-NI-style) evaluation")
        out[method][seed] = res["breakdown"]["per_task"]
    return dict(out)


def tier_means(per_task: dict, tasks: dict, metric: str) -> dict[str, float]:
    """Macro means over the held-out tasks of each tier (and 'all')."""
    groups = defaultdict(list)
    for t, v in per_task.items():
        groups[tasks[t]["tier"]].append(v[metric])
        groups["all"].append(v[metric])
    return {k: sum(v) / len(v) for k, v in sorted(groups.items())}


def mean_sd(xs: list[float]) -> tuple[float, float]:
    m = sum(xs) / len(xs)
    sd = math.sqrt(sum((x - m) ** 2 for x in xs) / (len(xs) - 1)) if len(xs) > 1 else float("nan")
    return m, sd


def paired_bootstrap(a: dict, b: dict, tasks: dict, tier: str | None, metric: str = "exact_match",
                     n: int = 2000, seed: int = 0) -> dict | None:  # fmt: skip
    """Mean of b - a over paired (task, seed) units, with a 95% percentile interval from resampling
    units with replacement. ``a``/``b``: {seed: {task: scores}}; pairs need the same seed and task."""
    units = [(s, t) for s in sorted(set(a) & set(b)) for t in sorted(set(a[s]) & set(b[s]))
             if tier is None or tasks[t]["tier"] == tier]  # fmt: skip
    if not units:
        return None
    diffs = [b[s][t][metric] - a[s][t][metric] for s, t in units]
    rng = random.Random(seed)
    means = sorted(sum(rng.choice(diffs) for _ in diffs) / len(diffs) for _ in range(n))
    return {"diff": sum(diffs) / len(diffs), "lo": means[int(0.025 * n)], "hi": means[int(0.975 * n) - 1],
            "units": len(units), "seeds": len(set(a) & set(b))}  # fmt: skip


def loss_stats(losses: list[float], window: int = 25, factor: float = 1.5) -> dict:
    """Figure 4's quantities on the second half of training (after the initial fall): loss variance
    around a moving median, step-to-step variance, and spikes (a loss above ``factor`` x the median
    of the previous ``window`` steps)."""
    half = losses[len(losses) // 2:]
    if len(half) <= window:
        raise HartError(f"training log: {len(losses)} steps; need more than {2 * window} for spike statistics")
    spikes, resid = 0, []
    for i in range(window, len(half)):
        med = sorted(half[i - window:i])[window // 2]
        spikes += half[i] > factor * med
        resid.append(half[i] - med)
    steps = [y - x for x, y in zip(half, half[1:])]
    return {"spikes": spikes, "spike_rate": spikes / (len(half) - window),
            "resid_var": sum(r * r for r in resid) / len(resid), "step_var": sum(d * d for d in steps) / len(steps),
            "mean_loss_second_half": sum(half) / len(half), "steps": len(losses)}  # fmt: skip


def read_log(path) -> list[float]:
    losses = []
    for lineno, row in iter_jsonl(path, "training log"):
        if not isinstance(row, dict) or not isinstance(row.get("loss_pred"), (int, float)):
            raise HartError(f"{path}:{lineno}: no numeric 'loss_pred'")
        losses.append(row["loss_pred"])
    if not losses:
        raise HartError(f"{path}: no logged steps")
    return losses


def read_tasks(path) -> dict:
    """params-sni/tasks.json: {task: {"tier": str, "chance": {"exact_match", "rougeL"}, ...}}; errors name
    the file and the task."""
    tasks = read_json(path, "tasks file")
    if not isinstance(tasks, dict) or not tasks:
        raise HartError(f"{path}: expected a non-empty JSON object of tasks")
    for name, t in tasks.items():
        chance = t.get("chance") if isinstance(t, dict) else None
        if not isinstance(t, dict) or not isinstance(t.get("tier"), str) or not isinstance(chance, dict) \
                or not all(isinstance(chance.get(m), (int, float)) for m in ("exact_match", "rougeL")):
            raise HartError(f"{path}: task {name!r}: needs 'tier' (a string) and 'chance' "
                            "({exact_match, rougeL} numbers)")
    return tasks


def train_loss_auc(losses: list[float]) -> float:
    """Mean training loss over all steps (area under the loss curve / steps): lower = faster fit."""
    return sum(losses) / len(losses)


def _fmt(x: float | None, d: int = 1) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{d}f}"


def summarize(evaluations, tasks_path, curves=(), logs=()) -> dict:
    """Every number of the study report (see the module docstring)."""
    tasks = read_tasks(tasks_path)
    scores = per_task_scores(evaluations)
    tiers = sorted({v["tier"] for v in tasks.values()}) + ["all"]
    chance = {m: tier_means({t: v["chance"] for t, v in tasks.items()}, tasks, m) for m in ("exact_match", "rougeL")}
    methods = {}
    for method, by_seed in scores.items():
        row = {"seeds": sorted(by_seed)}
        for metric in ("exact_match", "rougeL"):
            per_seed = [tier_means(pt, tasks, metric) for pt in by_seed.values()]
            row[metric] = {tier: mean_sd([p[tier] for p in per_seed if tier in p]) for tier in tiers}
        methods[method] = row
    ablation = []
    for a, b, step, claim in ABLATION:
        if a in scores and b in scores:
            cis = {tier: paired_bootstrap(scores[a], scores[b], tasks, None if tier == "all" else tier)
                   for tier in tiers}  # fmt: skip
            rl = paired_bootstrap(scores[a], scores[b], tasks, None, metric="rougeL")
            ablation.append({"from": a, "to": b, "step": step, "paper": claim, "exact_match": cis, "rougeL_all": rl})
    curve_rows = defaultdict(dict)
    for p in curves:
        method, seed = run_of(p)
        curve_rows[method][seed] = read_json(p, "study curve")
    log_rows = defaultdict(dict)
    for p in logs:
        method, seed = run_of(p)
        losses = read_log(p)
        try:
            log_rows[method][seed] = {**loss_stats(losses), "mean_loss": train_loss_auc(losses)}
        except HartError as exc:  # name the log the statistics could not be drawn from
            raise HartError(f"{p}: {exc}") from None
    return {"tiers": tiers, "chance": chance, "methods": methods, "ablation": ablation,
            "curves": {m: {s: {"auc_exact_match": c["auc_exact_match"], "points": c["points"]} for s, c in v.items()}
                       for m, v in curve_rows.items()},
            "loss": {m: dict(v) for m, v in log_rows.items()}}  # fmt: skip


def _seed_mean(d: dict, key: str) -> tuple[float, float, int]:
    xs = [v[key] for v in d.values()]
    m, sd = mean_sd(xs)
    return m, sd, len(xs)


def render_md(s: dict, order: list[str]) -> str:
    tiers = s["tiers"]
    out = ["# The params study: held-out exact match (EM) and ROUGE-L per tier", "",
           "Mean +- sd over seeds of the macro mean over held-out tasks. Floors: the parameter-blind chance "
           "(tasks.json) and FT-Zero-Shot (reads the query only).", "",
           "| method | seeds | " + " | ".join(f"EM {t}" for t in tiers) + " | ROUGE-L all |",
           "|---|---|" + "---|" * (len(tiers) + 1),
           "| chance (parameter-blind) | - | " + " | ".join(_fmt(s["chance"]["exact_match"][t]) for t in tiers)
           + f" | {_fmt(s['chance']['rougeL']['all'])} |"]  # fmt: skip
    for m in [m for m in order if m in s["methods"]] + sorted(set(s["methods"]) - set(order)):
        r = s["methods"][m]
        cells = [f"{_fmt(r['exact_match'][t][0])} +- {_fmt(r['exact_match'][t][1])}" for t in tiers]
        out.append(f"| {m} | {len(r['seeds'])} | " + " | ".join(cells) + f" | {_fmt(r['rougeL']['all'][0])} |")
    out += ["", "## Ablation (Table 5): each step against the row before it", "",
            "Paired over (held-out task, seed); 95% percentile bootstrap interval (2000 resamples). "
            "An interval that contains 0 is no measured difference.", "",
            "| step | from -> to | " + " | ".join(f"EM diff {t} [95% CI]" for t in tiers)
            + " | ROUGE-L diff all | paper (S-NI, T5-Large) |", "|---|---|" + "---|" * (len(tiers) + 2)]
    for a in s["ablation"]:
        cells = []
        for t in tiers:
            c = a["exact_match"][t]
            cells.append("-" if c is None else f"{_fmt(c['diff'])} [{_fmt(c['lo'])}, {_fmt(c['hi'])}] (n={c['units']})")
        rl = a["rougeL_all"]
        rl_cell = "-" if rl is None else f"{_fmt(rl['diff'])} [{_fmt(rl['lo'])}, {_fmt(rl['hi'])}]"
        out.append(f"| {a['step']} | {a['from']} -> {a['to']} | " + " | ".join(cells) + f" | {rl_cell} | {a['paper']} |")
    out += _claims_md(s)
    return "\n".join(out) + "\n"


def _claims_md(s: dict) -> list[str]:
    out = ["", "## Figures 3 and 4: the training-dynamics claims", "",
           "| claim | measure | " + f"{FIG3[0]} | {FIG3[1]} |", "|---|---|---|---|"]  # fmt: skip
    a, b, claim = FIG3
    if a in s["curves"] and b in s["curves"]:
        ca, cb = (_seed_mean(s["curves"][m], "auc_exact_match") for m in (a, b))
        out.append(f"| {claim} | held-out EM area under the curve (mean over steps), mean +- sd (n seeds) | "
                   f"{_fmt(ca[0])} +- {_fmt(ca[1])} ({ca[2]}) | {_fmt(cb[0])} +- {_fmt(cb[1])} ({cb[2]}) |")  # fmt: skip
    if a in s["loss"] and b in s["loss"]:
        la, lb = (_seed_mean(s["loss"][m], "mean_loss") for m in (a, b))
        out.append(f"| {claim} | mean training loss over all steps | {_fmt(la[0], 3)} +- {_fmt(la[1], 3)} | "
                   f"{_fmt(lb[0], 3)} +- {_fmt(lb[1], 3)} |")  # fmt: skip
    a, b, claim = FIG4
    out += ["", f"| claim | measure (second half of training) | {a} | {b} |", "|---|---|---|---|"]
    if a in s["loss"] and b in s["loss"]:
        for key, what in (("spikes", "spikes (loss > 1.5 x moving median of 25 steps)"),
                          ("resid_var", "variance around the moving median"), ("step_var", "step-to-step variance")):
            la, lb = (_seed_mean(s["loss"][m], key) for m in (a, b))
            out.append(f"| {claim} | {what} | {_fmt(la[0], 4)} +- {_fmt(la[1], 4)} ({la[2]}) | "
                       f"{_fmt(lb[0], 4)} +- {_fmt(lb[1], 4)} ({lb[2]}) |")  # fmt: skip
    return out


def render_csv(s: dict) -> str:
    tiers = s["tiers"]
    head = ["method", "seeds"] + [f"em_{t}" for t in tiers] + [f"em_{t}_sd" for t in tiers] + ["rougeL_all"]
    lines = [",".join(head)]
    for m, r in sorted(s["methods"].items()):
        vals = [r["exact_match"][t][0] for t in tiers] + [r["exact_match"][t][1] for t in tiers]
        lines.append(",".join([m, str(len(r["seeds"]))] + [f"{v:.3f}" for v in vals] + [f"{r['rougeL']['all'][0]:.3f}"]))
    return "\n".join(lines) + "\n"


def plot_curves(s: dict, out: Path) -> dict[Path, bytes]:
    """``{out.png: bytes, out.pdf: bytes}``: the held-out curves, rendered in memory (written with the
    study's other files, all or nothing)."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3.2))
    for i, (m, by_seed) in enumerate(sorted(s["curves"].items())):
        for j, c in enumerate(by_seed.values()):
            ax.plot([p["step"] for p in c["points"]], [p["exact_match"] for p in c["points"]], color=f"C{i}",
                    alpha=0.6, label=m if j == 0 else None)  # fmt: skip
    ax.set_xlabel("training step")
    ax.set_ylabel("held-out exact match")
    ax.legend(fontsize=7)
    fig.tight_layout()
    files = {}
    for ext in ("png", "pdf"):
        buf = io.BytesIO()
        fig.savefig(buf, format=ext, dpi=150)
        files[out.with_suffix(f".{ext}")] = buf.getvalue()
    plt.close(fig)
    return files


ORDER = ["ft-zero-shot", "ft-few-shot", "tk-instruct", "hint", "prefix-tuning", "lora", "hypertuning-pt",
         "hypertuning-nopt", "hart-nolc-nofid", "hypertuning", "hart-nolc", "hart"]


def register(sub) -> None:
    from hart.report import study_curve

    c = sub.add_parser("study", help="the params study: tiers, floors, bootstrap ablation, curves (docs/study.md)")
    c.add_argument("--evaluations", required=True, nargs="+", help="hart evaluate JSONs, .../<method>/seed<s>.json")
    c.add_argument("--tasks", required=True, help="params-sni/tasks.json (tiers and chance floors)")
    c.add_argument("--curves", nargs="*", default=[], help="study-curve JSONs, .../<method>/seed<s>.json")
    c.add_argument("--logs", nargs="*", default=[], help="train_log.jsonl of .../<method>/seed<s>/")
    c.add_argument("--out", required=True, help="output prefix: PREFIX.md, .json, .csv (+ PREFIX-curves.png)")
    c.set_defaults(func=main)
    study_curve.register(sub)


def main(args) -> int:
    from hart.io import write_together

    s = summarize(args.evaluations, args.tasks, args.curves, args.logs)
    out = Path(args.out)
    try:
        summary = json.dumps(s, indent=2, sort_keys=True, allow_nan=False) + "\n"
    except ValueError as exc:
        raise HartError(f"{out.with_suffix('.json')}: refusing to write a non-finite number: {exc}") from None
    files = {out.with_suffix(".json"): summary, out.with_suffix(".csv"): render_csv(s),
             out.with_suffix(".md"): render_md(s, ORDER)}
    if s["curves"]:
        files.update(plot_curves(s, out.parent / (out.name + "-curves")))
    write_together(files)  # all or nothing
    return 0
