"""`hart train --config FILE --out DIR`: train one run; DIR holding a checkpoint means resume."""

from __future__ import annotations

import argparse
import os


def register(sub) -> None:
    p = sub.add_parser("train", help="train one method at one scale (resumes when DIR has a checkpoint)",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", required=True, nargs="+", metavar="FILE",
                   help="resolved config (YAML/JSON), or several layered left to right")
    p.add_argument("--out", required=True, metavar="DIR", help="run folder: checkpoints/, train_log.jsonl, "
                   "model.safetensors, done.json, config.json")
    p.add_argument("--local_rank", "--local-rank", type=int, default=None, help=argparse.SUPPRESS)  # deepspeed
    p.set_defaults(func=run)


def run(args) -> int:
    from hart.config import compose
    from hart.io import RunLock
    from hart.runcheck import refuse_test_episodes
    from hart.train.loop import train

    config = compose(args.config)
    refuse_test_episodes(config)
    if int(os.environ.get("RANK", "0")) != 0:  # under the deepspeed launcher rank 0 holds the lock for all ranks
        return train(config, args.out)
    with RunLock(args.out, "train"):  # a second `hart train` on this folder fails instead of interleaving
        return train(config, args.out)
