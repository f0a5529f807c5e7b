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
    p.set_defaults(func=run)
    from hart.data import suite_c4

    suite_c4.register(data_subparsers)
    return p


def run(args) -> int:
    if args.vocab_size < 100:
        raise HartError(f"--vocab-size {args.vocab_size}: too small (the alphabet alone needs ~100 pieces)")
    from hart.data.suite.build import build_suite  # imports transformers: only when the command runs

    print(json.dumps(build_suite(args.out, args.seed, args.vocab_size, args.max_hyper_len), sort_keys=True))
    return 0
