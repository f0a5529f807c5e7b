"""`hart evaluate`: score one checkpoint on one episode file (S-NI generation or P3 ranking)."""

from __future__ import annotations

import argparse
from hart.argtypes import positive_int


def register(subparsers) -> None:
    p = subparsers.add_parser("evaluate", help="evaluate a checkpoint on an episode file",
                              description=__doc__, formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--config", required=True, help="resolved config (YAML/JSON) with run: and evaluate: sections")
    p.add_argument("--checkpoint", required=True, help="checkpoint folder read by hart.model.adapted.load")
    p.add_argument("--episodes", required=True, help="episode JSONL (test rows; `choices` => P3 ranking)")
    p.add_argument("--out", required=True, help="result JSON; predictions go to <stem>.predictions.jsonl beside it")
    p.add_argument("--limit", type=positive_int, default=None, help="first N test rows of each task (smoke runs)")
    p.add_argument("--device", default=None, help="torch device (default: $HART_DEVICE, else cuda:$LOCAL_RANK / cuda / cpu; hart.device)")
    p.set_defaults(func=main)


def main(args) -> int:
    from hart.config import load_resolved
    from hart.evaluate.run import evaluate

    from hart.io import RunLock

    config = load_resolved(args.config)
    with RunLock(args.out, "evaluate"):  # a second evaluation into the same result file is refused
        result = evaluate(config, args.checkpoint, args.episodes, args.out, args.limit,
                          device=args.device)
    print(f"{result['benchmark']} {result['method']} {result['scale']} seed {result['seed']}: "
          f"{result['metric']} = {result['score']:.2f} -> {args.out}")
    return 0
