"""The paper's figures from our artefacts, as PNG and PDF (matplotlib, Agg backend).

fig1: Figure 1, the hypernetwork decoder's last-layer self-attention over its L states, averaged
      over heads, read from a safetensors file (key ``attention``, shape (L, L), rows = queries).
fig3: Figure 3, main-model prediction loss vs step without / with autoregressive generation
      (Table 5 rows 3 and 4), S-NI and P3 panels.
fig4: Figure 4, P3 prediction loss without / with local consistency (Table 5 rows 4 and 5).
Loss curves read ``loss_pred`` from ``train_log.jsonl`` (one JSON object per line with ``step``).
Each figure carries a caption line (scale, seeds drawn, and at tiny/small that it is a pipeline
check) and writes its data as ``PREFIX.csv`` (fig3/fig4: one loss column per curve, for
`dvc plots`; fig1: query, key, weight).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from hart.errors import HartError  # noqa: E402
from hart.io import iter_jsonl  # noqa: E402
from hart.report.captions import caption  # noqa: E402,F401  (re-exported for the CLI)

# figure -> the named inputs it needs (CLI: --inputs NAME=PATH ...), with the legend labels
INPUTS = {
    "fig1": {"attention": "attention map (safetensors)"},
    "fig3": {"sni-noar": "HyperTuning (w/o AR)", "sni-ar": "+ AR generation",
             "p3-noar": "HyperTuning (w/o AR)", "p3-ar": "+ AR generation"},
    "fig4": {"p3-nocst": "w/o local consistency", "p3-cst": "with local consistency"},
}


def read_log(path: str | Path, key: str = "loss_pred") -> tuple[np.ndarray, np.ndarray]:
    """(steps, values) of the log lines that carry ``key``, in step order."""
    points = []
    for _, rec in iter_jsonl(path, "training log"):
        if rec.get(key) is not None:
            points.append((rec["step"], float(rec[key])))
    if not points:
        raise HartError(f"{path}: no line carries {key!r}")
    points.sort()
    return np.array([p[0] for p in points]), np.array([p[1] for p in points])


def moving_average(values: np.ndarray, window: int) -> np.ndarray:
    """Trailing mean over the last ``window`` points (shorter at the start); same length as the input."""
    if window <= 1:
        return values
    c = np.cumsum(np.insert(values.astype(float), 0, 0.0))
    idx = np.arange(1, len(values) + 1)
    lo = np.maximum(idx - window, 0)
    return (c[idx] - c[lo]) / (idx - lo)


def rendered(fig, out: Path) -> dict[Path, bytes]:
    """``{out.png: bytes, out.pdf: bytes}`` rendered in memory (PDF without a creation date:
    reproducible bytes); closes the figure. Shared with the study report (hart.report.study_render)."""
    import io

    files: dict = {}
    for fmt in ("png", "pdf"):
        buf = io.BytesIO()
        fig.savefig(buf, format=fmt, dpi=150, bbox_inches="tight",
                    metadata={"CreationDate": None} if fmt == "pdf" else None)
        files[out.with_name(f"{out.name}.{fmt}")] = buf.getvalue()
    plt.close(fig)
    return files


def series_csv(series: dict[str, dict]) -> str:
    """``step`` and one column per named series ({name: {step: value}}), empty where a series has
    no such step: the plotted values of a figure, for `dvc plots`."""
    names = list(series)
    steps = sorted(set().union(*(set(v) for v in series.values())))
    lines = [",".join(["step", *names])]
    lines += [",".join([str(st), *(f"{series[n][st]:.6g}" if st in series[n] else "" for n in names)])
              for st in steps]
    return "\n".join(lines) + "\n"


def _save(fig, out: str | Path, csv: str, caption: str = "") -> list[Path]:
    """Write ``out``.png, ``out``.pdf and the figure's data ``out``.csv all or nothing (rendered in
    memory first, then hart.io.write_together)."""
    from hart.io import write_together

    out = Path(out)
    if caption:
        fig.text(0.5, -0.02, caption, ha="center", va="top", fontsize=8, wrap=True)
    files = rendered(fig, out)
    write_together({out.with_name(out.name + ".csv"): csv, **files})
    return list(files)


def fig1(inputs: dict, out, smooth: int = 1, caption: str = "") -> list[Path]:
    from safetensors.numpy import load_file

    path = Path(inputs["attention"])
    if not path.is_file():
        raise HartError(f"{path}: attention file not found")
    tensors = load_file(str(path))
    if "attention" not in tensors or tensors["attention"].ndim != 2 or len(set(tensors["attention"].shape)) != 1:
        raise HartError(f"{path}: needs key 'attention' of shape (L, L)")
    att = tensors["attention"].astype(float)
    n = att.shape[0]
    fig, ax = plt.subplots(figsize=(5, 4.3))
    im = ax.imshow(att, cmap="viridis", origin="upper")
    ticks = np.arange(0, n, max(1, n // 8))
    ax.set_xticks(ticks, [str(t + 1) for t in ticks])
    ax.set_yticks(ticks, [str(t + 1) for t in ticks])
    ax.set_xlabel("key: state of layer")
    ax.set_ylabel("query: state of layer")
    ax.set_title("Hypernet decoder self-attention (last layer, head mean)")
    fig.colorbar(im, ax=ax, fraction=0.046)
    rows = [f"{q + 1},{k + 1},{att[q, k]:.6g}" for q in range(n) for k in range(n)]
    return _save(fig, out, "query,key,attention\n" + "\n".join(rows) + "\n", caption)


def _curves(ax, inputs: dict, names: list[str], labels: dict, smooth: int, title: str) -> None:
    for name in names:
        steps, loss = read_log(inputs[name])
        ax.plot(steps, moving_average(loss, smooth), label=labels[name], linewidth=1.2)
    ax.set_xlabel("training step")
    ax.set_ylabel("prediction loss" + (f" (moving avg, {smooth})" if smooth > 1 else ""))
    ax.set_title(title)
    ax.legend()


def curves_csv(inputs: dict, names: list[str]) -> str:
    """The raw loss curves as one CSV: ``step`` and one column per curve (empty where a run
    logged no such step), for `dvc plots` (dvc.yaml draws the columns of a figure together)."""
    return series_csv({name: dict(zip(*(a.tolist() for a in read_log(inputs[name])))) for name in names})


def fig3(inputs: dict, out, smooth: int = 1, caption: str = "") -> list[Path]:
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    _curves(axes[0], inputs, ["sni-noar", "sni-ar"], INPUTS["fig3"], smooth, "S-NI")
    _curves(axes[1], inputs, ["p3-noar", "p3-ar"], INPUTS["fig3"], smooth, "P3")
    return _save(fig, out, curves_csv(inputs, list(INPUTS["fig3"])), caption)


def fig4(inputs: dict, out, smooth: int = 1, caption: str = "") -> list[Path]:
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    _curves(ax, inputs, ["p3-nocst", "p3-cst"], INPUTS["fig4"], smooth, "P3")
    return _save(fig, out, curves_csv(inputs, list(INPUTS["fig4"])), caption)


# Bare training-log paths (as the workflow passes them) are named by their run folder
# results/train/<benchmark>/<scale>/<method>/seed<seed>/train_log.jsonl and these method roles.
ROLES = {
    "fig3": {"hypertuning": "noar", "hart-nolc": "ar"},
    "fig4": {"hart-nolc": "nocst", "hart": "cst"},
}


def name_inputs(name: str, items: list[str]) -> dict:
    """``NAME=PATH`` items as given; bare paths named from their run folder (fig1: the one file).

    Several runs for one curve (more seeds or scales): the first listed is drawn.
    """
    named: dict = {}
    for item in items:
        key, sep, value = item.partition("=")
        if sep:
            named.setdefault(key, value)
            continue
        path = Path(item)
        if name == "fig1":
            named.setdefault("attention", item)
            continue
        parts = path.parts
        if len(parts) < 5 or not parts[-2].startswith("seed"):
            raise HartError(f"{item}: cannot tell which run this is; give NAME=PATH "
                            f"({', '.join(INPUTS.get(name, {}))})")
        bench, method = parts[-5], parts[-3]
        bench = bench[len("suite-"):] if bench.startswith("suite-") else bench
        role = ROLES.get(name, {}).get(method)
        if role is None:
            raise HartError(f"{item}: method {method!r} has no role in {name} "
                            f"(known: {', '.join(ROLES.get(name, {}))})")
        named.setdefault(f"{bench}-{role}", item)
    return named


def draw(name: str, inputs: dict, out, smooth: int = 1, caption: str = "") -> list[Path]:
    """Draw figure ``name`` from named inputs to ``out``.png and ``out``.pdf (and its data to
    ``out``.csv) with ``caption`` under it; returns the image paths."""
    if name not in INPUTS:
        raise HartError(f"unknown figure {name!r}; known: {', '.join(INPUTS)}")
    missing = [k for k in INPUTS[name] if k not in inputs]
    if missing:
        raise HartError(f"{name}: missing input {missing[0]!r} (give --inputs {missing[0]}=PATH; "
                        f"{name} needs {', '.join(INPUTS[name])})")
    return {"fig1": fig1, "fig3": fig3, "fig4": fig4}[name](inputs, out, smooth, caption)
