"""`hart` command line: one subcommand per pipeline stage.

Each stage module exposes ``register(subparsers)``, which adds its parser and sets
``func(args) -> int``. Modules are imported lazily so that `hart data --help` does not import torch.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from hart.errors import debug_requested, describe

# subcommand -> module that registers it (the stage vocabulary of STYLE.md)
COMMANDS = {
    "data": "hart.data.cli",
    "train": "hart.train.cli",
    "evaluate": "hart.evaluate.cli",
    "report": "hart.report.cli",
    "adapt": "hart.adapt",
    "attention": "hart.attention",
    "plan": "hart.plan",
}


def build_parser(argv: list[str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hart", description=__doc__.splitlines()[0])
    parser.add_argument("--debug", action="store_true",
                        help="show the Python traceback of an error (also HART_DEBUG=1)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    wanted = next((a for a in argv if not a.startswith("-")), None)
    for name, module in COMMANDS.items():
        if wanted is not None and wanted in COMMANDS and name != wanted:
            sub.add_parser(name, help=f"(see `hart {name} --help`)")
            continue
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:  # a real missing dependency inside the module
                raise
            continue
        mod.register(sub)
    return parser


def _strip_local_rank(argv: list[str]) -> list[str]:
    """The `deepspeed` launcher puts ``--local_rank=N`` before the subcommand; keep it in the env."""
    out = []
    for arg in argv:
        if arg.startswith(("--local_rank=", "--local-rank=")):
            os.environ.setdefault("LOCAL_RANK", arg.split("=", 1)[1])
        else:
            out.append(arg)
    return out


def main(argv: list[str] | None = None) -> int:
    """Run one subcommand; every failure ends in one line on stderr and a non-zero status.

    ``--debug`` (anywhere on the command line) or ``HART_DEBUG=1`` re-raises instead, with the traceback.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    argv = _strip_local_rank(argv)
    debug = "--debug" in argv or debug_requested()
    argv = [a for a in argv if a != "--debug"]
    command = next((a for a in argv if not a.startswith("-")), "")
    try:
        args = build_parser(argv).parse_args(argv)  # a usage error exits 2 through SystemExit, as argparse does
        return int(args.func(args) or 0)
    except (Exception, KeyboardInterrupt) as exc:
        if debug:
            raise
        message, status = describe(exc)
        print(f"hart {command}: error: {message}".replace("hart : ", "hart: "), file=sys.stderr)
        return status


if __name__ == "__main__":
    sys.exit(main())
