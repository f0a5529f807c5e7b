"""`hart data download` and `hart data episodes` (plus `hart data suite` when installed).

    hart data download --config config/data/sources.yaml --source sni --cache data/cache
    hart data episodes --config config/data/sources.yaml --benchmark sni \\
        --raw data/cache/sni/natural-instructions --out results/data/sni --tokenizer PATH

``--config`` may be repeated: files are layered by ``hart.config.compose`` (later wins).
Benchmarks: ``sni``, ``suite-sni`` (same raw layout as S-NI), ``p3``, ``suite-p3`` (same raw
layout as P3), ``c4`` (also the suite's C4-style corpus: ``*.jsonl`` files with a ``text`` field).
"""

from __future__ import annotations

import importlib
from pathlib import Path

from hart.errors import HartError
from hart.argtypes import nonneg_int

SOURCES = ("sni", "p3", "c4", "t5", "hub")  # hub: pretrained weights (hart.data.hub)
BENCHMARKS = ("sni", "suite-sni", "p3", "suite-p3", "c4")


def _config(paths: list[str]) -> dict:
    from hart.config import compose

    return compose(paths)


def _tokenizer(path: str | None):
    if not path:
        raise HartError("episodes: no tokenizer: pass --tokenizer PATH or set data.tokenizer")
    if not Path(path).is_dir():
        raise HartError(f"{path}: tokenizer folder not found")
    from transformers import AutoTokenizer
    from transformers.utils import logging

    logging.set_verbosity_error()  # token counts above 512 are expected, not a model input
    return AutoTokenizer.from_pretrained(path)


def run_download(args) -> int:
    from hart.data.download import download_source

    lock = download_source(_config(args.config), args.source, Path(args.cache))
    print(f"{args.source}: {len(lock)} file(s) verified in {Path(args.cache) / args.source}")
    return 0


def run_episodes(args) -> int:
    config = _config(args.config).get("data", {})
    raw = Path(args.raw)
    if not raw.is_dir():
        raise HartError(f"{raw}: raw data folder not found")
    tok = _tokenizer(args.tokenizer or config.get("tokenizer"))
    seed = config.get("seed", 42) if args.seed is None else args.seed
    if args.benchmark in ("sni", "suite-sni"):
        from hart.data import sni

        stats = sni.build(raw, args.out, tok, config.get("sni"), seed, benchmark=args.benchmark)
    elif args.benchmark in ("p3", "suite-p3"):
        from hart.data import p3

        stats = p3.build(raw, args.out, tok, config.get("p3"), seed, benchmark=args.benchmark)
    else:
        from hart.data import c4

        stats = c4.build(raw, args.out, tok, config.get("c4"), seed)
    print(f"{args.benchmark}: train {stats['train']['instances']} episodes / "
          f"{stats['train']['tasks']} tasks, test {stats['test']['instances']} / "
          f"{stats['test']['tasks']} -> {args.out}")  # fmt: skip
    return 0


def register(subparsers) -> None:
    parser = subparsers.add_parser("data", help="download sources and build episode files")
    sub = parser.add_subparsers(dest="data_command", metavar="SUBCOMMAND", required=True)

    dl = sub.add_parser("download", help="pinned, checksummed, resumable downloads")
    dl.add_argument("--config", action="append", required=True, help="YAML config (repeatable)")
    dl.add_argument("--source", choices=SOURCES, required=True)
    dl.add_argument("--cache", required=True, help="cache folder; files land in CACHE/SOURCE/")
    dl.set_defaults(func=run_download)

    ep = sub.add_parser("episodes", help="build train/test episode files and stats")
    ep.add_argument("--config", action="append", required=True, help="YAML config (repeatable)")
    ep.add_argument("--benchmark", choices=BENCHMARKS, required=True)
    ep.add_argument("--raw", required=True, help="raw data folder (see docs/data.md)")
    ep.add_argument("--out", required=True, help="output folder: train.jsonl, test.jsonl, stats.json")
    ep.add_argument("--tokenizer", help="T5 tokenizer folder (default: data.tokenizer)")
    ep.add_argument("--seed", type=nonneg_int, help="default: data.seed")
    ep.set_defaults(func=run_episodes)

    try:
        suite = importlib.import_module("hart.data.suite_cli")
    except ModuleNotFoundError as exc:
        if exc.name != "hart.data.suite_cli":
            raise
    else:
        suite.register(sub)
