"""Paper-vs-ours tables: every cell is our mean ± std over seeds (n), the paper's value, the difference.

``build`` gathers the cells (and fails, naming the method/scale/benchmark, when a requested row has
no run); ``render`` is the one function that writes a table as CSV, Markdown or LaTeX. std is the
sample standard deviation (ddof = 1), absent when n = 1; difference = ours - paper.
"""

from __future__ import annotations

import csv
import io
import json
import math
import statistics
from pathlib import Path

from hart.errors import HartError
from hart.report.captions import PIPELINE_CHECK, STAND_INS
from hart.report.paper import METRICS, PAPER_NOTES, SCALE_LABELS, TABLES


def load_results(paths) -> list[dict]:
    results = []
    for path in paths:
        path = Path(path)
        if not path.is_file():
            raise HartError(f"{path}: result file not found")
        try:
            result = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise HartError(f"{path}: not valid JSON: {exc}") from None
        except UnicodeDecodeError:
            raise HartError(f"{path}: not UTF-8 text") from None
        _check_result(result, path)
        results.append(result)
    return results


def _check_result(result, path: Path) -> None:
    """A result names its run and carries a finite score: a NaN never reaches a table."""
    if not isinstance(result, dict):
        raise HartError(f"{path}: a result must be a JSON object")
    for key, kind in (("benchmark", str), ("scale", str), ("method", str), ("metric", str), ("seed", int)):
        if not isinstance(result.get(key), kind):
            raise HartError(f"{path}: field {key!r} missing or not a {kind.__name__}")
    score = result.get("score")
    if isinstance(score, bool) or not isinstance(score, (int, float)) or not math.isfinite(score):
        raise HartError(f"{path}: field 'score' is {score!r}, not a finite number; refusing to report it")


def _value(result: dict, field: str) -> float:
    if field == "score":
        return float(result["score"])
    columns = result.get("breakdown", {}).get("columns", {})
    if field not in columns:
        raise HartError(f"result {result['method']}/{result['scale']}/seed {result['seed']}: "
                        f"no breakdown column {field!r}")
    value = columns[field]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise HartError(f"result {result['method']}/{result['scale']}/seed {result['seed']}: breakdown column "
                        f"{field!r} is {value!r}, not a finite number")
    return float(value)


def logical_benchmark(benchmark: str) -> str:
    """The paper benchmark a run's benchmark stands for: the embedded suites drop their prefix."""
    return benchmark[len("suite-"):] if benchmark.startswith("suite-") else benchmark


def default_scale_map(results: list[dict]) -> dict:
    """Paper scale -> our scale. With no run at a paper scale (large, xl) and exactly one stand-in
    scale among the results (tiny or small), that scale fills every column; otherwise identity."""
    scales = {r["scale"] for r in results}
    stand_ins = scales - {"large", "xl"}
    if scales & {"large", "xl"} or len(stand_ins) != 1:
        return {}
    (ours,) = stand_ins
    return {"large": ours, "xl": ours}


def build(name: str, results: list[dict], methods=None, scale_map=None, benchmark_map=None) -> list[dict]:
    """Cells of table ``name``: one dict per (method row, column), in the paper's order."""
    if name not in TABLES:
        raise HartError(f"unknown table {name!r}; known: {', '.join(TABLES)}")
    table, scale_map, benchmark_map = TABLES[name], scale_map or {}, benchmark_map or {}
    methods = list(methods) if methods else list(table.rows)
    unknown = [m for m in methods if m not in table.rows]
    if unknown:
        raise HartError(f"{name}: the paper has no row {unknown[0]!r}; rows: {', '.join(table.rows)}")
    index: dict = {}  # (logical benchmark, scale, method) -> {seed: result}
    for r in results:
        key = (logical_benchmark(r["benchmark"]), r["scale"], r["method"])
        if r["seed"] in index.setdefault(key, {}):
            raise HartError(f"two results for benchmark={r['benchmark']} scale={r['scale']} "
                            f"method={r['method']} seed {r['seed']}")
        index[key][r["seed"]] = r
    scale_map = {**default_scale_map(results), **scale_map}
    cells, missing = [], []
    for method in methods:
        label, paper_values = table.rows[method]
        for column, paper in zip(table.columns, paper_values):
            bench = logical_benchmark(benchmark_map.get(column.benchmark, column.benchmark))
            key = (bench, scale_map.get(column.scale, column.scale), method)
            runs = index.get(key, {})
            if not runs:
                missing.append(f"method={key[2]} scale={key[1]} benchmark={key[0]}")
                continue
            for r in runs.values():
                if r["metric"] != column.metric:
                    raise HartError(f"{key}: metric {r['metric']!r}, table column needs {column.metric!r}")
            values = [_value(runs[s], column.field) for s in sorted(runs)]
            mean = statistics.fmean(values)
            note = PAPER_NOTES.get((name, method, column.label))
            cells.append({
                "table": name, "method": method, "row": label, "column": column.label,
                "benchmark": " ".join(sorted({r["benchmark"] for r in runs.values()})), "scale": key[1], "metric": column.metric,
                "direction": METRICS[column.metric][1], "mean": mean,
                "std": statistics.stdev(values) if len(values) > 1 else None, "n": len(values),
                "seeds": sorted(runs), "paper": paper,
                "diff": None if paper is None or note else mean - paper, "note": note or "",
                "flagged": sorted(s for s, r in runs.items() if r.get("flag")),  # e.g. mostly empty predictions
            })
    if missing:
        have = ", ".join(sorted({f"{r['benchmark']}/{r['scale']}" for r in results})) or "none"
        raise HartError(f"{name}: no results for " + "; ".join(dict.fromkeys(missing))
                        + f" (results given: {have}; --methods picks rows, --scale-map large=<scale> maps scales)")
    return cells


def _fmt(x, d: int, signed: bool = False) -> str:
    return "–" if x is None else (f"{x:+.{d}f}" if signed else f"{x:.{d}f}")


def _ours(cell: dict, d: int, pm: str) -> str:
    s = _fmt(cell["mean"], d) + ("" if cell["std"] is None else f" {pm} {_fmt(cell['std'], d)}")
    return f"{s} (n={cell['n']})" + (FLAG_MARK if cell.get("flagged") else "")


FLAG_MARK = " †"


def _footnote(cells: list[dict]) -> str:
    """The footnote for flagged cells (hart evaluate's ``flag``: most predictions empty), or ''."""
    flagged = [f"{c['row']} / {c['column']} (seed {', '.join(map(str, c['flagged']))})" for c in cells if c.get("flagged")]
    return ("† Most predictions of the run are empty strings; the score is not a measure of the method: "
            + "; ".join(flagged) + ".") if flagged else ""


def scope(cells: list[dict]) -> str:
    """What the numbers are: our scales and seeds, and at a stand-in scale that the table is a
    pipeline check, not a reproduction (first line of every Markdown/LaTeX table)."""
    scales = sorted({c["scale"] for c in cells})
    seeds = sorted({s for c in cells for s in c["seeds"]})
    ns = sorted({c["n"] for c in cells})
    text = (f"Scale: {', '.join(scales)}. Seeds: {', '.join(map(str, seeds))}"
            f" (n = {'-'.join(map(str, (ns[0], ns[-1]))) if len(ns) > 1 else ns[0]} per cell).")
    if set(scales) & set(STAND_INS):
        text = (f"{PIPELINE_CHECK.upper()}: {'/'.join(s for s in scales if s in STAND_INS)} runs stand in"
                f" for the paper's T5 scales; the numbers test the pipeline, not the paper's claims. " + text)
    return text


def _caption(name: str, cells: list[dict]) -> str:
    """Caption: the paper's, each metric with its direction, and what fills our columns."""
    table = TABLES[name]
    metrics = sorted({c.metric for c in table.columns})
    what = "; ".join(f"{METRICS[m][0]} ({METRICS[m][1]})" for m in metrics)
    stand_in = sorted({f"{SCALE_LABELS[c.scale]} column = our {cell['scale']} runs"
                       for c in table.columns for cell in cells if cell["column"] == c.label and cell["scale"] != c.scale})
    ours = ", ".join(sorted({f"{c['benchmark']}/{c['scale']}" for c in cells}))
    text = (f"{table.caption} Metric: {what}. Ours ({ours}) = mean ± sample std over seeds (n = seeds); "
            "paper = published value; Δ = ours − paper.")
    if stand_in:
        text += " Stand-in scale: " + ", ".join(stand_in) + "."
    if any(c.benchmark == "p3" for c in table.columns):
        text += " P3: accuracy averaged over templates per dataset (ANLI = mean of r1-r3)."
    shown = {c["method"] for c in cells}
    absent = [label for key, (label, _) in table.rows.items() if key not in shown]
    if absent:
        text += (" Not run here: " + ", ".join(absent) + " (evaluation-only rows need their released hub"
                 " checkpoint, which exists only at the paper's scales).")
    notes = [f"† {c['row']}: {c['note']}." for c in cells if c["note"]]
    if notes:
        text += " " + " ".join(notes)
    return text


def _paper(cell: dict, d: int) -> str:
    return _fmt(cell["paper"], d) + ("†" if cell["note"] else "")


def render(name: str, results: list[dict], fmt: str, methods=None, scale_map=None, benchmark_map=None,
           decimals: int = 1) -> str:
    """Table ``name`` as ``fmt`` in {"csv", "md", "tex"}."""
    cells = build(name, results, methods, scale_map, benchmark_map)
    d = decimals
    if fmt == "csv":
        buf = io.StringIO()
        keys = ["table", "method", "row", "column", "benchmark", "scale", "metric", "direction",
                "mean", "std", "n", "seeds", "paper", "diff", "note", "status", "flagged"]
        status = PIPELINE_CHECK.lower() if any(c["scale"] in STAND_INS for c in cells) else "reproduction"
        w = csv.DictWriter(buf, fieldnames=keys, lineterminator="\n")
        w.writeheader()
        for c in cells:
            w.writerow({**c, "seeds": " ".join(map(str, c["seeds"])), "status": status,
                        "flagged": " ".join(map(str, c["flagged"])),
                        **{k: "" if c[k] is None else repr(round(c[k], 6)) for k in ("mean", "std", "paper", "diff")}})
        return buf.getvalue()
    header = [c.label for c in TABLES[name].columns]
    rows: dict = {}
    for c in cells:
        rows.setdefault(c["row"], []).append(c)
    if len(header) > COMPACT_ABOVE and fmt in ("md", "tex"):
        return _compact(name, cells, rows, header, fmt, d)
    if fmt == "md":
        cols = ["Method"] + [f"{h} {part}" for h in header for part in ("ours", "paper", "Δ")]
        lines = [f"**{scope(cells)}**", "", _caption(name, cells), "", "| " + " | ".join(cols) + " |",
                 "|" + "---|" * len(cols)]
        for label, cs in rows.items():
            parts = [label] + [p for c in cs for p in (_ours(c, d, "±"), _paper(c, d), _fmt(c["diff"], d, True))]
            lines.append("| " + " | ".join(parts) + " |")
        if _footnote(cells):
            lines += ["", _footnote(cells)]
        return "\n".join(lines) + "\n"
    if fmt == "tex":
        esc = lambda s: s.replace("&", r"\&").replace("%", r"\%").replace("_", r"\_").replace("#", r"\#")  # noqa: E731
        lines = [r"\begin{table}[t]", r"\centering", r"\small", r"\begin{tabular}{l" + "rrr" * len(header) + "}",
                 r"\toprule", "Method & " + " & ".join(rf"\multicolumn{{3}}{{c}}{{{esc(h)}}}" for h in header) + r" \\",
                 " & " + " & ".join(["ours", "paper", r"$\Delta$"] * len(header)) + r" \\", r"\midrule"]
        for label, cs in rows.items():
            parts = [esc(label)] + [p for c in cs for p in (_ours(c, d, r"$\pm$"), _paper(c, d),
                                                          _fmt(c["diff"], d, True))]
            lines.append(_tex_cells(" & ".join(parts)) + r" \\")
        caption = _tex_text(" ".join(filter(None, [scope(cells), _caption(name, cells), _footnote(cells)])), esc)
        lines += [r"\bottomrule", r"\end{tabular}", rf"\caption{{{caption}}}", rf"\label{{tab:{name}}}", r"\end{table}"]
        return "\n".join(lines) + "\n"
    raise HartError(f"unknown table format {fmt!r}; use csv, md or tex")


COMPACT_ABOVE = 4  # tables with more columns (3 and 4: nine P3 columns) get the compact layout


def _tex_cells(row: str) -> str:
    return row.replace("–", "--").replace("†", r"$^\dagger$")


def _tex_text(text: str, esc) -> str:
    return (esc(text).replace("±", r"$\pm$").replace("Δ", r"$\Delta$").replace("−", "-")
            .replace("†", r"$^\dagger$"))


def _compact(name: str, cells: list[dict], rows: dict, header: list[str], fmt: str, d: int) -> str:
    """Wide tables (P3: nine columns) as two lines per method, ours (mean ± std) and the paper's,
    plus one Δ column for the last (Avg.) column; n, per-cell differences: the CSV."""
    cols = ["Method", *header, f"Δ {header[-1]}"]
    body = []
    for label, cs in rows.items():
        body.append([f"{label} (ours)", *(_ours(c, d, "±").rsplit(" (n=", 1)[0] + (FLAG_MARK if c.get("flagged") else "")
                                          for c in cs),
                     _fmt(cs[-1]["diff"], d, True)])
        body.append([f"{label} (paper)", *(_paper(c, d) for c in cs), ""])
    note = "Each method: our row, then the paper's; per-column differences and n are in the CSV."
    if fmt == "md":
        lines = [f"**{scope(cells)}**", "", f"{_caption(name, cells)} {note}", "",
                 "| " + " | ".join(cols) + " |", "|---" + "|---:" * (len(cols) - 1) + "|"]
        lines += ["| " + " | ".join(r) + " |" for r in body]
        if _footnote(cells):
            lines += ["", _footnote(cells)]
        return "\n".join(lines) + "\n"
    esc = lambda s: s.replace("&", r"\&").replace("%", r"\%").replace("_", r"\_").replace("#", r"\#")  # noqa: E731
    lines = [r"\begin{table}[t]", r"\centering", r"\small", r"\begin{tabular}{l" + "r" * (len(cols) - 1) + "}",
             r"\toprule", " & ".join(_tex_text(c, esc) for c in cols) + r" \\", r"\midrule"]
    for i, r in enumerate(body):
        lines.append(_tex_cells(" & ".join(esc(x) for x in r)).replace("±", r"$\pm$") + r" \\")
        if i % 2 and i < len(body) - 1:
            lines.append(r"\addlinespace")
    lines += [r"\bottomrule", r"\end{tabular}", rf"\caption{{{_tex_text(' '.join(filter(None, [scope(cells), _caption(name, cells), note, _footnote(cells)])), esc)}}}",
              rf"\label{{tab:{name}}}", r"\end{table}"]
    return "\n".join(lines) + "\n"
