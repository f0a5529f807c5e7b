"""A stand-in `hart` for workflow tests: writes each subcommand's declared outputs, nothing more.

It follows the CLI contract the rules call (docs/design.md), so the real DAG can run end to end
in seconds: under Snakemake, DVC and SLURM. Outputs are small and deterministic (same arguments,
same bytes), so DVC round trips can be checked byte for byte. Never installed as `hart`: tests
put it first on PATH through a wrapper script in a temporary folder.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path


def _seed(*parts: str) -> int:
    return int(hashlib.sha256("/".join(parts).encode()).hexdigest()[:8], 16)


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def data_suite(a):
    out = Path(a.out)
    _write(out / "suite-sni/raw/tasks/task001_stand_in.json", json.dumps({"Definition": ["d"]}))
    _write(out / "suite-sni/raw/splits/default/train_tasks.txt", "task001_stand_in\n")
    _write(out / "suite-p3/train.jsonl", '{"input": "a", "target": "b"}\n')
    _write(out / "suite-p3/test.jsonl", '{"input": "a", "target": "b"}\n')
    _write(out / "suite-p3/stats.json", '{"rows": 2}\n')
    _write(out / "tokenizer/tokenizer.json", "{}\n")


def data_c4(a):
    _write(Path(a.out) / "c4-train.jsonl", '{"text": "stand-in corpus"}\n')


def data_download(a):
    root = Path(a.cache) / a.source
    _write(root / "sources.lock.json", json.dumps({"source": a.source}) + "\n")


def data_episodes(a):
    out = Path(a.out)
    for split in ("train", "test"):
        row = {"benchmark": a.benchmark, "split": split, "task": "t", "id": "0"}
        _write(out / f"{split}.jsonl", json.dumps(row, sort_keys=True) + "\n")
    _write(out / "stats.json", json.dumps({"rows": 2}) + "\n")


def train(a):
    out = Path(a.out)
    config = json.loads(Path(a.config).read_text())
    s = _seed(a.config)
    lines = [json.dumps({"step": i, "loss": round(3.0 / (i + 1) + (s % 7) / 100, 4)})
             for i in range(1, 6)]
    (out / "checkpoints").mkdir(parents=True, exist_ok=True)
    _write(out / "train_log.jsonl", "\n".join(lines) + "\n")
    _write(out / "model.safetensors", f"stand-in weights {s}\n")
    _write(out / "done.json", json.dumps({"run": config.get("run"), "steps": 5}) + "\n")


def evaluate(a):
    config = json.loads(Path(a.config).read_text())
    score = _seed(a.checkpoint) % 1000 / 10
    result = {"run": config["run"], "metrics": {"score": score}}
    _write(Path(a.out), json.dumps(result, sort_keys=True) + "\n")


def attention(a):
    _write(Path(a.out), "stand-in attention\n")


def report(a):
    if a.kind == "table":
        for ext in ("csv", "md", "tex"):
            _write(Path(f"{a.out}.{ext}"), f"{a.name}: {len(a.results)} results\n")
    else:
        for ext in ("png", "pdf"):
            _write(Path(f"{a.out}.{ext}"), f"{a.name}: {len(a.inputs)} inputs\n")
        from hart.report.figures import INPUTS  # the real figure's CSV columns

        cols = list(INPUTS[a.name]) if a.name != "fig1" else ["query", "key", "attention"]
        rows = [",".join(["step", *cols])] + [",".join([str(i), *(str(1.0 / (i + j)) for j in range(len(cols)))])
                                               for i in range(1, 4)]
        _write(Path(f"{a.out}.csv"), "\n".join(rows) + "\n")


def report_log_csv(a):
    rows = [json.loads(line) for line in Path(a.log).read_text().splitlines() if line.strip()]
    cols = sorted({k for r in rows for k in r})
    _write(Path(a.out), "\n".join([",".join(cols)] + [",".join(str(r.get(c, "")) for c in cols) for r in rows]) + "\n")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="hart (stand-in)")
    sub = p.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("data").add_subparsers(dest="what", required=True)
    x = d.add_parser("suite"); x.add_argument("--out"); x.add_argument("--seed"); x.set_defaults(f=data_suite)
    x = d.add_parser("c4-from-suite"); x.add_argument("--suite"); x.add_argument("--out")
    x.add_argument("--seed"); x.set_defaults(f=data_c4)
    x = d.add_parser("download"); x.add_argument("--config"); x.add_argument("--source")
    x.add_argument("--cache"); x.set_defaults(f=data_download)
    x = d.add_parser("episodes")
    for k in ("--config", "--benchmark", "--raw", "--out", "--tokenizer"):
        x.add_argument(k)
    x.set_defaults(f=data_episodes)
    x = sub.add_parser("train"); x.add_argument("--config"); x.add_argument("--out")
    x.add_argument("--local_rank"); x.set_defaults(f=train)
    x = sub.add_parser("evaluate")
    for k in ("--config", "--checkpoint", "--episodes", "--out"):
        x.add_argument(k)
    x.set_defaults(f=evaluate)
    x = sub.add_parser("attention")
    for k in ("--checkpoint", "--episodes", "--out"):
        x.add_argument(k)
    x.set_defaults(f=attention)
    r = sub.add_parser("report").add_subparsers(dest="kind", required=True)
    x = r.add_parser("table"); x.add_argument("--name"); x.add_argument("--results", nargs="+")
    x.add_argument("--methods", nargs="+"); x.add_argument("--scale-map", nargs="+")
    x.add_argument("--benchmark-map", nargs="+"); x.add_argument("--out"); x.set_defaults(f=report)
    x = r.add_parser("figure"); x.add_argument("--name"); x.add_argument("--inputs", nargs="+"); x.add_argument("--caption")
    x.add_argument("--out"); x.set_defaults(f=report)
    x = r.add_parser("log-csv"); x.add_argument("log"); x.add_argument("out"); x.set_defaults(f=report_log_csv)
    args = p.parse_args(argv)
    args.f(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
