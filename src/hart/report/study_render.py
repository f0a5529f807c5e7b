"""Rendering of the params study report (numbers: hart.report.study.summarize): the Markdown
tables, the per-method CSV, the held-out curves and the Figure 3 / Figure 4 style loss figures.
Every figure is rendered in memory and returned as ``{path: bytes}`` so that `hart report study`
writes all its files together or none."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np


def _fmt(x: float | None, d: int = 1) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{d}f}"


def _ms(pair, d: int = 1) -> str:
    """mean +- sd; the sd is left out when there is one seed (None)."""
    m, sd = pair
    return _fmt(m, d) if sd is None else f"{_fmt(m, d)} +- {_fmt(sd, d)}"


def _ci(c: dict | None, d: int = 1) -> str:
    if c is None:
        return "-"
    n = f"n={c['units']}" if "units" in c else f"{c['seeds']} seeds"
    if len(c.get("seed_diffs", ())) > 1:  # how many seeds' own mean difference is above 0
        n += f"; {sum(x > 0 for x in c['seed_diffs'])}/{len(c['seed_diffs'])} seeds > 0"
    return f"{_fmt(c['diff'], d)} [{_fmt(c['lo'], d)}, {_fmt(c['hi'], d)}] ({n})"


def _ordered(s: dict, order: list[str]) -> list[str]:
    return [m for m in order if m in s["methods"]] + sorted(set(s["methods"]) - set(order))


TITLE = "The params study: held-out exact match (EM) and ROUGE-L per tier"


def render_md(s: dict, order: list[str], title: str | None = None) -> str:
    """The report; the ablation and dynamics sections only where the runs to compare are there."""
    tiers, fams = s["tiers"], s["families"]
    out = [f"# {title or TITLE}", "",
           "Mean +- sd over seeds of the macro mean over held-out tasks (no sd: one seed). Floors: the "
           "parameter-blind chance (tasks.json) and FT-Zero-Shot (reads the query only).", "",
           "| method | seeds | " + " | ".join(f"EM {t}" for t in tiers) + " | "
           + " | ".join(f"ROUGE-L {t}" for t in tiers) + " |",
           "|---|---|" + "---|" * (2 * len(tiers)),
           "| chance (parameter-blind) | - | " + " | ".join(_fmt(s["chance"]["exact_match"][t]) for t in tiers)
           + " | " + " | ".join(_fmt(s["chance"]["rougeL"][t]) for t in tiers) + " |"]  # fmt: skip
    for m in _ordered(s, order):
        r = s["methods"][m]
        out.append(f"| {m} | {len(r['seeds'])} | " + " | ".join(_ms(r["exact_match"][t]) for t in tiers) + " | "
                   + " | ".join(_ms(r["rougeL"][t]) for t in tiers) + " |")  # fmt: skip
    out += ["", "## Exact match per family", "", "| method | " + " | ".join(fams) + " |", "|---|" + "---|" * len(fams)]
    for m in _ordered(s, order):
        fam = s["methods"][m]["exact_match_family"]
        out.append(f"| {m} | " + " | ".join(_ms(fam[f]) if f in fam else "-" for f in fams) + " |")
    return "\n".join(out + _ablation_md(s) + _table2_md(s) + _claims_md(s)) + "\n"


def _ablation_md(s: dict) -> list[str]:
    if not s["ablation"]:
        return []
    tiers = s["tiers"]
    out = ["", "## Ablation (Table 5): each step against the row before it", "",
            "Paired over (held-out task, seed); 95% percentile bootstrap interval (2000 resamples); "
            "'k/n seeds > 0': in how many seeds the step's own mean difference is positive (units of one "
            "task are not independent across seeds: a step that holds in only some seeds is not settled). "
            "An interval that contains 0 is no measured difference.", "",
            "| step | from -> to | " + " | ".join(f"EM diff {t} [95% CI]" for t in tiers)
            + " | ROUGE-L diff all | paper (S-NI, T5-Large) |", "|---|---|" + "---|" * (len(tiers) + 2)]
    for a in s["ablation"]:
        cells = [_ci(a["exact_match"][t]) for t in tiers]
        out.append(f"| {a['step']} | {a['from']} -> {a['to']} | " + " | ".join(cells)
                   + f" | {_ci(a['rougeL_all'])} | {a['paper']} |")  # fmt: skip
    return out


def _table2_md(s: dict) -> list[str]:
    if not s["table2"]:
        return []
    tiers = s["tiers"]
    out = ["", "## Table 2: HART against every other row", "",
           "HART minus the row, paired over (held-out task, seed), 95% bootstrap interval; the paper's "
           "HART minus the row in S-NI ROUGE-L (T5-Large / T5-XL; '-' where the paper has no cell).", "",
           "| row | " + " | ".join(f"EM diff {t} [95% CI]" for t in tiers) + " | ROUGE-L diff all | paper Large | paper XL |",
           "|---|" + "---|" * (len(tiers) + 3)]  # fmt: skip
    for r in s["table2"]:
        out.append(f"| HART - {r['label']} | " + " | ".join(_ci(r["exact_match"][t]) for t in tiers)
                   + f" | {_ci(r['rougeL_all'])} | {_fmt(r['paper_large'])} | {_fmt(r['paper_xl'])} |")  # fmt: skip
    return out


_MEASURES = {"mean_loss": ("mean training loss over all steps (lower = faster fit)", 3),
             "auc_exact_match": ("held-out EM, area under the curve / steps", 1),
             "spikes": ("spikes in the second half (loss > 1.5 x moving median of 25 steps)", 2),
             "resid_var": ("variance around the moving median, second half", 5),
             "step_var": ("step-to-step variance, second half", 5)}  # fmt: skip


def _claims_md(s: dict) -> list[str]:
    if not any(v is not None for d in s["dynamics"].values() for m in d["means"].values() for v in m.values()):
        return []  # neither side of any claim has a run
    out = ["", "## Figures 3 and 4: the training-dynamics claims", "",
           "Per run, then mean +- sd over seeds; the difference is paired by seed (same seed = same batch "
           "order), with a 95% bootstrap interval over the seeds.", "",
           "| paper's claim | measure | from | to | from (mean +- sd) | to (mean +- sd) | to - from [95% CI] |",
           "|---|---|---|---|---|---|---|"]  # fmt: skip
    for claim, d in s["dynamics"].items():
        a, b = d["from"], d["to"]
        for key, ci in d["diff"].items():
            what, digits = _MEASURES[key]
            cells = []
            for m in (a, b):
                v = d["means"][m][key]
                cells.append("-" if v is None else _ms((v["mean"], v["sd"]), digits) + f" ({v['seeds']})")
            out.append(f"| {claim} | {what} | {a} | {b} | {cells[0]} | {cells[1]} | {_ci(ci, digits)} |")
    return out


def render_csv(s: dict) -> str:
    tiers = s["tiers"]
    head = (["method", "seeds"] + [f"em_{t}" for t in tiers] + [f"em_{t}_sd" for t in tiers]
            + [f"rougeL_{t}" for t in tiers])  # fmt: skip
    lines = [",".join(head)]
    cell = lambda v: "" if v is None else f"{v:.3f}"  # noqa: E731 (one seed: no sd)
    for m, r in sorted(s["methods"].items()):
        vals = ([r["exact_match"][t][0] for t in tiers] + [r["exact_match"][t][1] for t in tiers]
                + [r["rougeL"][t][0] for t in tiers])  # fmt: skip
        lines.append(",".join([m, str(len(r["seeds"]))] + [cell(v) for v in vals]))
    return "\n".join(lines) + "\n"


def _save(fig, out: Path, csv: str | None = None) -> dict[Path, bytes | str]:
    from hart.report.figures import rendered

    files: dict = rendered(fig, out)
    if csv is not None:
        files[out.with_suffix(".csv")] = csv
    return files


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_curves(s: dict, out: Path) -> dict[Path, bytes]:
    """``{out.png, out.pdf}``: the held-out exact-match curves, one line per run."""
    fig, ax = _plt().subplots(figsize=(5, 3.2))
    for i, (m, by_seed) in enumerate(sorted(s["curves"].items())):
        for j, c in enumerate(by_seed.values()):
            ax.plot([p["step"] for p in c["points"]], [p["exact_match"] for p in c["points"]], color=f"C{i}",
                    alpha=0.6, label=m if j == 0 else None)  # fmt: skip
    ax.set_xlabel("training step")
    ax.set_ylabel("held-out exact match")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return _save(fig, out)


def seed_band(by_seed: dict[int, list[float]], window: int) -> tuple[list[float], list[float], list[float]]:
    """Moving average (``window`` steps) of each seed's loss, then mean, min and max over seeds per step
    (runs cut to the shortest)."""
    from hart.report.figures import moving_average

    runs = [moving_average(np.asarray(v, dtype=float), window).tolist() for v in by_seed.values()]
    n = min(len(r) for r in runs)
    cols = [[r[i] for r in runs] for i in range(n)]
    return [sum(c) / len(c) for c in cols], [min(c) for c in cols], [max(c) for c in cols]


def plot_dynamics(name: str, losses: dict[str, dict[int, list[float]]], claim: str, curves: dict, out: Path,
                  window: int = 25) -> dict[Path, bytes | str]:  # fmt: skip
    """Figure 3 (fig3: training loss of the two methods over all steps, and their held-out curves) or
    Figure 4 (fig4: training loss over the second half, where spikes would show) of the study: mean
    over seeds with the min-max band; ``out.csv`` holds the plotted means."""
    plt = _plt()
    panels = 2 if name == "fig3" and any(m in curves for m in losses) else 1
    fig, axes = plt.subplots(1, panels, figsize=(5.2 * panels, 3.6), squeeze=False)
    ax, series = axes[0][0], {}
    for i, (m, by_seed) in enumerate(losses.items()):
        mean, lo, hi = seed_band(by_seed, window)
        start = len(mean) // 2 if name == "fig4" else 0
        steps = list(range(start + 1, len(mean) + 1))
        ax.plot(steps, mean[start:], color=f"C{i}", label=f"{m} ({len(by_seed)} seeds)", linewidth=1.2)
        ax.fill_between(steps, lo[start:], hi[start:], color=f"C{i}", alpha=0.2)
        series[m] = dict(zip(steps, mean[start:]))
    ax.set_xlabel("training step")
    ax.set_ylabel(f"prediction loss (moving avg, {window})")
    ax.set_yscale("log")
    ax.legend(fontsize=7)
    if panels == 2:
        cx = axes[0][1]
        for i, m in enumerate(losses):
            for j, c in enumerate(curves.get(m, {}).values()):
                cx.plot([p["step"] for p in c["points"]], [p["exact_match"] for p in c["points"]], color=f"C{i}",
                        alpha=0.6, label=m if j == 0 else None)  # fmt: skip
        cx.set_xlabel("training step")
        cx.set_ylabel("held-out exact match")
        cx.legend(fontsize=7)
    fig.suptitle(f"params study. Paper's {claim}", fontsize=8)
    fig.tight_layout()
    from hart.report.figures import series_csv

    return _save(fig, out, series_csv(series))
