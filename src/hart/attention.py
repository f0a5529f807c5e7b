"""`hart attention`: Figure 1's input, the layerwise model's last decoder self-attention map.

For a trained ``bidir-layerwise`` run, each task of the episode file contributes the map of its
(fixed) hypernetwork input: the last hypernet-decoder layer's self-attention over the L per-layer
states, averaged over heads; the output is the mean over tasks, shape (L, L), row = query layer,
column = key layer, written as safetensors (key ``attention``) with the task count in metadata.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from hart.errors import HartError
from hart.data.formats import input_eos
from hart.io import atomic_path, save_safetensors
from hart.argtypes import positive_int


def register(sub) -> None:
    p = sub.add_parser("attention", help="Figure 1: the layerwise hypernet decoder's attention map",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--checkpoint", required=True, help="run folder of a bidir-layerwise run")
    p.add_argument("--episodes", required=True, help="episode file (JSONL) whose tasks' hyper_input are read")
    p.add_argument("--out", required=True, help="output .safetensors")
    p.add_argument("--device", default=None, help="torch device (default: $HART_DEVICE, else cuda:$LOCAL_RANK / cuda / cpu; hart.device)")
    p.add_argument("--max-tasks", type=positive_int, default=None, help="use at most this many tasks")
    p.set_defaults(func=run)


def attention_map(model, tokenizer, rows: list[dict], max_len: int) -> tuple[torch.Tensor, int]:
    """Mean over tasks of the (L, L) head-averaged attention map, on the CPU."""
    device = next(model.parameters()).device
    by_task: dict[str, dict] = {}
    for r in rows:
        by_task.setdefault(r["task"], r)
    maps = []
    with torch.no_grad():
        for row in by_task.values():  # EOS or not by the benchmark's rule, as in training (P3: none)
            enc = tokenizer([row["hyper_input"]], truncation=True, max_length=max_len, return_tensors="pt",
                            add_special_tokens=input_eos(row.get("benchmark", "")))
            state = model.task_state(enc["input_ids"].to(device), enc["attention_mask"].to(device), attention=True)
            maps.append(state.attention[0].float().cpu())
    return torch.stack(maps).mean(0), len(maps)


def run(args) -> int:
    from hart.device import select
    from hart.model.adapted import load

    if Path(args.out).is_dir():
        raise HartError(f"{args.out}: is a folder; --out names a .safetensors file")
    model, tokenizer, config = load(args.checkpoint, device=select(args.device))
    if config["method"].get("generator") != "layerwise":
        raise HartError(f"{args.checkpoint}: method '{config['method'].get('name')}' has no layerwise decoder "
                        "(Figure 1 needs method bidir-layerwise)")
    from hart.io import iter_jsonl

    path = Path(args.episodes)
    rows = []
    for n, row in iter_jsonl(path, "episode file"):
        for key in ("task", "hyper_input"):
            if not isinstance(row, dict) or not isinstance(row.get(key), str):
                raise HartError(f"{path}:{n}: field {key!r} missing or not a string")
        rows.append(row)
    if args.max_tasks:
        keep = list(dict.fromkeys(r["task"] for r in rows))[: args.max_tasks]
        rows = [r for r in rows if r["task"] in keep]
    if not rows:
        raise HartError(f"{path}: no episodes")
    amap, n = attention_map(model, tokenizer, rows, config["model"].get("max_hyper_len", 1024))
    with atomic_path(args.out) as tmp:
        save_safetensors({"attention": amap.contiguous()}, tmp, {"tasks": n, "checkpoint": args.checkpoint})
    print(f"attention map {tuple(amap.shape)} over {n} tasks -> {args.out}")
    return 0
