"""`hart data suite`: the embedded task suite and the ``tiny`` tokenizer, with no network and no data.

    hart data suite --out data --seed 0 [--vocab-size 2000] [--max-hyper-len 1024]

writes ``<out>/suite-sni/raw/`` (S-NI task files and splits), ``<out>/suite-p3/`` (episodes) and
``<out>/tokenizer/`` atomically (see hart.data.suite.build). ``register`` is called by hart.data.cli.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from hart.errors import HartError
from hart.argtypes import nonneg_int, positive_int


def register(data_subparsers) -> argparse.ArgumentParser:
    p = data_subparsers.add_parser("suite", help="generate the embedded suite (suite-sni raw, suite-p3) and tokenizer")
    p.add_argument("--out", type=Path, required=True, help="folder that receives suite-sni/raw, suite-p3, tokenizer")
    p.add_argument("--seed", type=nonneg_int, default=0, help="same seed, byte-identical files")
    p.add_argument("--vocab-size", type=positive_int, default=2000, help="Unigram vocabulary size (upper bound)")
    p.add_argument("--max-hyper-len", type=positive_int, default=1024, help="token budget of the 16-shot P3 hypernet input")
    p.add_argument("--kind", choices=("suite", "params"), default="suite",
                   help="suite: suite-sni/suite-p3 (tiny); params: the parameterised benchmark (docs/study.md)")
    p.add_argument("--train-episodes", type=positive_int, default=20000, help="--kind params: training episodes (one task each)")
    p.add_argument("--queries", type=positive_int, default=60, help="--kind params: queries per held-out task (>= 50)")
    p.set_defaults(func=run)
    from hart.data import suite_c4

    suite_c4.register(data_subparsers)
    return p


def run(args) -> int:
    if args.vocab_size < 100:
        raise HartError(f"--vocab-size {args.vocab_size}: too small (the alphabet alone needs ~100 pieces)")
    if args.kind == "params":
        if args.queries < 50 or args.train_episodes < 1:
            raise HartError(f"--queries {args.queries} / --train-episodes {args.train_episodes}: need >= 50 / >= 1")
        from hart.data.suite.params import build_params

        print(json.dumps(build_params(args.out, args.seed, args.train_episodes, args.queries), sort_keys=True))
        return 0
    from hart.data.suite.build import build_suite  # imports transformers: only when the command runs

    print(json.dumps(build_suite(args.out, args.seed, args.vocab_size, args.max_hyper_len), sort_keys=True))
    return 0
