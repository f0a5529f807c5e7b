"""`hart report table|figure`: paper-vs-ours tables and the paper's figures from our results."""

from __future__ import annotations

from hart.argtypes import decimals, positive_int


def _pairs(items, what: str) -> dict:
    from hart.errors import HartError

    out = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key or not value:
            raise HartError(f"{what}: expected KEY=VALUE, got {item!r}")
        out[key] = value
    return out


def register(subparsers) -> None:
    p = subparsers.add_parser("report", help="render tables and figures", description=__doc__)
    sub = p.add_subparsers(dest="report_command", metavar="WHAT", required=True)
    t = sub.add_parser("table", help="a paper table with our numbers: PREFIX.csv, PREFIX.md, PREFIX.tex")
    t.add_argument("--name", required=True, choices=["table2", "table3", "table4", "table5"])
    t.add_argument("--results", required=True, nargs="+", help="result JSONs of `hart evaluate` (all seeds)")
    t.add_argument("--out", required=True, help="output prefix")
    t.add_argument("--methods", nargs="+", help="rows to render (method keys); default every row of the paper table")
    t.add_argument("--scale-map", nargs="+", metavar="PAPER=OURS", help="e.g. large=small: our small runs fill the T5-Large column")
    t.add_argument("--benchmark-map", nargs="+", metavar="PAPER=OURS", help="e.g. sni=suite-sni")
    t.add_argument("--decimals", type=decimals, default=None, help="digits after the point (default 1)")
    t.add_argument("--config", help="config whose `report:` section supplies defaults for the options above")
    t.set_defaults(func=main_table)
    f = sub.add_parser("figure", help="a paper figure: PREFIX.png, PREFIX.pdf and its data PREFIX.csv")
    f.add_argument("--name", required=True, choices=["fig1", "fig3", "fig4"])
    f.add_argument("--inputs", required=True, nargs="+", metavar="[NAME=]PATH",
                   help="fig1: attention=FILE.safetensors; fig3: sni-noar= sni-ar= p3-noar= p3-ar= (train_log.jsonl); "
                        "fig4: p3-nocst= p3-cst=. Bare paths results/train/<benchmark>/<scale>/<method>/seed<s>/"
                        "train_log.jsonl are named by method (fig3: hypertuning, hart-nolc; fig4: hart-nolc, hart)")
    f.add_argument("--out", required=True, help="output prefix")
    f.add_argument("--caption", default=None,
                   help="line under the figure (default: scale and seeds read from bare run paths)")
    f.add_argument("--smooth", type=positive_int, default=None, help="moving-average window in log points (default 1 = raw)")
    f.add_argument("--config", help="config whose `report:` section supplies defaults (smooth)")
    f.set_defaults(func=main_figure)

    c = sub.add_parser("log-csv", help="a training log (JSONL) as CSV, for `dvc plots` (written atomically)")
    c.add_argument("log", help="train_log.jsonl of a run")
    c.add_argument("out", help="CSV to write")
    c.set_defaults(func=main_log_csv)
    from hart.report import study  # the params study (docs/study.md): `study`, `study-curve`

    study.register(sub)


def _report_section(path) -> dict:
    """The `report:` section of a config file (validated), or {} without --config."""
    if not path:
        return {}
    from hart.config import load_resolved

    return load_resolved(path).get("report") or {}


def main_table(args) -> int:
    from hart.io import write_together
    from hart.report.tables import load_results, render

    cfg = _report_section(args.config)
    results = load_results(args.results)
    kw = dict(methods=args.methods or cfg.get("methods", {}).get(args.name),
              scale_map=_pairs(args.scale_map, "--scale-map") or cfg.get("scale_map"),
              benchmark_map=_pairs(args.benchmark_map, "--benchmark-map") or cfg.get("benchmark_map"),
              decimals=args.decimals if args.decimals is not None else cfg.get("decimals", 1))
    texts = {fmt: render(args.name, results, fmt, **kw) for fmt in ("csv", "md", "tex")}  # all or nothing
    write_together({f"{args.out}.{fmt}": text for fmt, text in texts.items()})
    print(f"{args.name} -> {args.out}.{{csv,md,tex}}")
    return 0


def main_figure(args) -> int:
    from hart.report.figures import caption, draw, name_inputs

    smooth = args.smooth if args.smooth is not None else _report_section(args.config).get("smooth", 1)
    paths = draw(args.name, name_inputs(args.name, args.inputs), args.out, smooth,
                 caption(args.inputs) if args.caption is None else args.caption)
    print(f"{args.name} -> " + ", ".join(map(str, paths)))
    return 0


def main_log_csv(args) -> int:
    """One row per logged step, the columns of the log (sorted); an empty or broken log is an error
    naming the file and line, and nothing is written."""
    import csv
    import io

    from hart.errors import HartError
    from hart.io import iter_jsonl, write_text

    rows = []
    for lineno, row in iter_jsonl(args.log, "training log"):
        if not isinstance(row, dict):
            raise HartError(f"{args.log}:{lineno}: expected a JSON object")
        rows.append(row)
    if not rows:
        raise HartError(f"{args.log}: no logged steps")
    columns = sorted({k for row in rows for k in row})
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    write_text(args.out, buf.getvalue())
    print(f"{len(rows)} steps -> {args.out}")
    return 0
