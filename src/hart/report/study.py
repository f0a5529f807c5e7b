"""The params study (docs/study.md): scores per tier and family with floors, paired bootstrap intervals
for each ablation step and for HART against every Table 2 row, learning-curve areas (Figure 3's claim)
and loss-spike statistics (Figure 4's), each measured difference beside the paper's.

    hart report study --evaluations results/evaluate/params-sni/study/*/seed*.json \
        --tasks data/suite-params/params-sni/tasks.json [--curves results/study/curves/*/*.json] \
        [--logs results/train/params-sni/study/*/seed*/train_log.jsonl] --out results/study/study

writes ``<out>.md`` (tables with the paper's claim beside each measured difference), ``<out>.json``
(every number) and ``<out>.csv`` (one row per method), and, from the logs and curves,
``<out>-fig3.{png,pdf,csv}`` / ``<out>-fig4.{png,pdf,csv}`` (hart.report.study_render). Paths name
their run: ``.../<method>/seed<s>.json`` and ``.../<method>/seed<s>/train_log.jsonl``.
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
from hart.report.paper import TABLE2

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
LOSS_KEYS = ("mean_loss", "spikes", "resid_var", "step_var")  # the Figure 3/4 measures per run
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


def group_means(per_task: dict, tasks: dict, metric: str, key: str = "tier") -> dict[str, float]:
    """Macro means over the held-out tasks of each group (tasks.json ``key``: tier or family) and 'all'."""
    groups = defaultdict(list)
    for t, v in per_task.items():
        groups[tasks[t].get(key, "?")].append(v[metric])
        groups["all"].append(v[metric])
    return {k: sum(v) / len(v) for k, v in sorted(groups.items())}


def tier_means(per_task: dict, tasks: dict, metric: str) -> dict[str, float]:
    return group_means(per_task, tasks, metric, "tier")


def mean_sd(xs: list[float]) -> tuple[float, float | None]:
    """Mean and sample sd; the sd of one value is None (no spread measured), never NaN."""
    m = sum(xs) / len(xs)
    sd = math.sqrt(sum((x - m) ** 2 for x in xs) / (len(xs) - 1)) if len(xs) > 1 else None
    return m, sd


def _percentile_ci(diffs: list[float], n: int, seed: int) -> tuple[float, float]:
    rng = random.Random(seed)
    means = sorted(sum(rng.choice(diffs) for _ in diffs) / len(diffs) for _ in range(n))
    return means[int(0.025 * n)], means[int(0.975 * n) - 1]


def paired_bootstrap(a: dict, b: dict, tasks: dict, tier: str | None, metric: str = "exact_match",
                     n: int = 2000, seed: int = 0) -> dict | None:  # fmt: skip
    """Mean of b - a over paired (task, seed) units, with a 95% percentile interval from resampling
    units with replacement. ``a``/``b``: {seed: {task: scores}}; pairs need the same seed and task."""
    units = [(s, t) for s in sorted(set(a) & set(b)) for t in sorted(set(a[s]) & set(b[s]))
             if tier is None or tasks[t]["tier"] == tier]  # fmt: skip
    if not units:
        return None
    diffs = [b[s][t][metric] - a[s][t][metric] for s, t in units]
    lo, hi = _percentile_ci(diffs, n, seed)
    by_seed = defaultdict(list)  # the same difference per seed: does every seed agree on its sign?
    for (s, _), d in zip(units, diffs):
        by_seed[s].append(d)
    return {"diff": sum(diffs) / len(diffs), "lo": lo, "hi": hi, "units": len(units), "seeds": len(by_seed),
            "seed_diffs": [sum(v) / len(v) for _, v in sorted(by_seed.items())]}  # fmt: skip


def seed_paired(a: dict, b: dict, key: str, n: int = 2000, seed: int = 0) -> dict | None:
    """Mean over seeds of b - a for a per-run measure (``a``/``b``: {seed: {key: value}}; the same seed
    = the same batch order), with a 95% percentile bootstrap interval over the seeds. Needs 2 seeds."""
    seeds = sorted(set(a) & set(b))
    if len(seeds) < 2:
        return None
    diffs = [b[s][key] - a[s][key] for s in seeds]
    lo, hi = _percentile_ci(diffs, n, seed)
    return {"diff": sum(diffs) / len(diffs), "lo": lo, "hi": hi, "seeds": len(seeds)}


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


def _method_row(by_seed: dict, tasks: dict, groups: dict) -> dict:
    row = {"seeds": sorted(by_seed)}
    for metric in ("exact_match", "rougeL"):
        per_seed = [tier_means(pt, tasks, metric) for pt in by_seed.values()]
        row[metric] = {tier: mean_sd([p[tier] for p in per_seed if tier in p]) for tier in groups["tiers"]}
    per_seed = [group_means(pt, tasks, "exact_match", "family") for pt in by_seed.values()]
    row["exact_match_family"] = {f: mean_sd([p[f] for p in per_seed if f in p]) for f in groups["families"]}
    return row


def _table2(scores: dict, tasks: dict, tiers: list[str]) -> list[dict]:
    """HART against every other Table 2 row: HART - row, paired, beside the paper's HART - row."""
    out = []
    for method, (label, paper) in TABLE2.rows.items():
        if method == "hart" or method not in scores or "hart" not in scores:
            continue
        hart = TABLE2.rows["hart"][1]
        gaps = [None if p is None else round(h - p, 1) for h, p in zip(hart, paper)]
        out.append({"method": method, "label": label, "paper_large": gaps[0], "paper_xl": gaps[1],
                    "exact_match": {t: paired_bootstrap(scores[method], scores["hart"], tasks,
                                                        None if t == "all" else t) for t in tiers},
                    "rougeL_all": paired_bootstrap(scores[method], scores["hart"], tasks, None, "rougeL")})
    return out


def _over_seeds(rows: dict, method: str, key: str) -> dict | None:
    """{mean, sd, seeds} of one per-run measure over a method's seeds (None when it has no runs)."""
    xs = [v[key] for v in rows.get(method, {}).values()]
    if not xs:
        return None
    m, sd = mean_sd(xs)
    return {"mean": m, "sd": sd, "seeds": len(xs)}


def summarize(evaluations, tasks_path, curves=(), logs=()) -> dict:
    """Every number of the study report (see the module docstring); ``_losses`` (the raw training
    losses, for the figures) is dropped before the JSON is written."""
    tasks = read_tasks(tasks_path)
    scores = per_task_scores(evaluations)
    groups = {"tiers": sorted({v["tier"] for v in tasks.values()}) + ["all"],
              "families": sorted({v.get("family", "?") for v in tasks.values()})}
    tiers = groups["tiers"]
    chance = {m: tier_means({t: v["chance"] for t, v in tasks.items()}, tasks, m) for m in ("exact_match", "rougeL")}
    methods = {method: _method_row(by_seed, tasks, groups) for method, by_seed in scores.items()}
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
    log_rows, raw = defaultdict(dict), defaultdict(dict)
    for p in logs:
        method, seed = run_of(p)
        raw[method][seed] = losses = read_log(p)
        try:
            log_rows[method][seed] = {**loss_stats(losses), "mean_loss": train_loss_auc(losses)}
        except HartError as exc:  # name the log the statistics could not be drawn from
            raise HartError(f"{p}: {exc}") from None
    curves_out = {m: {s: {"auc_exact_match": c["auc_exact_match"], "points": c["points"]} for s, c in v.items()}
                  for m, v in curve_rows.items()}  # fmt: skip
    dynamics = {}
    for (a, b, claim), keys in ((FIG3, ("mean_loss",)), (FIG4, ("spikes", "resid_var", "step_var"))):
        diffs = {k: seed_paired(log_rows.get(a, {}), log_rows.get(b, {}), k) for k in keys}
        if claim == FIG3[2]:
            diffs["auc_exact_match"] = seed_paired(curves_out.get(a, {}), curves_out.get(b, {}), "auc_exact_match")
        means = {m: {k: _over_seeds(curves_out if k == "auc_exact_match" else log_rows, m, k) for k in diffs}
                 for m in (a, b)}  # fmt: skip
        dynamics[claim] = {"from": a, "to": b, "diff": diffs, "means": means}
    return {"tiers": tiers, "families": groups["families"], "chance": chance, "methods": methods,
            "ablation": ablation, "table2": _table2(scores, tasks, tiers), "dynamics": dynamics,
            "curves": curves_out, "loss": {m: dict(v) for m, v in log_rows.items()},
            "_losses": {m: dict(v) for m, v in raw.items()}}  # fmt: skip


ORDER = ["ft-zero-shot", "ft-few-shot", "tk-instruct", "hint", "prefix-tuning", "lora", "hypertuning-pt",
         "hypertuning-nopt", "hart-nolc-nofid", "hypertuning", "hart-nolc", "hart"]


def register(sub) -> None:
    from hart.report import study_curve

    c = sub.add_parser("study", help="the params study: tiers, floors, bootstrap ablation, curves (docs/study.md)")
    c.add_argument("--evaluations", required=True, nargs="+", help="hart evaluate JSONs, .../<method>/seed<s>.json")
    c.add_argument("--tasks", required=True, help="params-sni/tasks.json (tiers and chance floors)")
    c.add_argument("--curves", nargs="*", default=[], help="study-curve JSONs, .../<method>/seed<s>.json")
    c.add_argument("--logs", nargs="*", default=[], help="train_log.jsonl of .../<method>/seed<s>/")
    c.add_argument("--title", default=None, help="the report's heading (default: the params study's)")
    c.add_argument("--out", required=True,
                   help="output prefix: PREFIX.md, .json, .csv, PREFIX-curves.*, PREFIX-fig3.*, PREFIX-fig4.*")
    c.set_defaults(func=main)
    study_curve.register(sub)


def main(args) -> int:
    from hart.io import write_together
    from hart.report import study_render as render

    s = summarize(args.evaluations, args.tasks, args.curves, args.logs)
    losses = s.pop("_losses")
    out = Path(args.out)
    try:
        summary = json.dumps(s, indent=2, sort_keys=True, allow_nan=False) + "\n"
    except ValueError as exc:
        raise HartError(f"{out.with_suffix('.json')}: refusing to write a non-finite number: {exc}") from None
    files = {out.with_suffix(".json"): summary, out.with_suffix(".csv"): render.render_csv(s),
             out.with_suffix(".md"): render.render_md(s, ORDER, args.title)}
    if s["curves"]:
        files.update(render.plot_curves(s, out.parent / (out.name + "-curves")))
    for name, (a, b, claim) in (("fig3", FIG3), ("fig4", FIG4)):
        if a in losses and b in losses:
            files.update(render.plot_dynamics(name, {a: losses[a], b: losses[b]}, claim, s["curves"],
                                              out.parent / f"{out.name}-{name}"))
    write_together(files)  # all or nothing
    return 0
