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
    p.add_argument("--device", default=None, help="torch device (default: $HART_DEVICE, else cuda:$LOCAL_RANK / cuda / cpu; hart.device)")
    p.add_argument("--local_rank", "--local-rank", type=int, default=None, help=argparse.SUPPRESS)  # deepspeed
    p.set_defaults(func=run)


def run(args) -> int:
    from hart.config import compose
    from hart.io import RunLock
    from hart.runcheck import refuse_test_episodes
    from hart.train.loop import train

    config = compose(args.config)
    refuse_test_episodes(config)
    rank = int(os.environ.get("RANK", "0"))  # set by the deepspeed/torchrun launchers
    with RunLock(args.out, "train", rank=rank):  # a second `hart train` on this folder fails instead of interleaving
        return train(config, args.out, device=args.device)
