"""Optimizer (bitsandbytes Adam-8bit, or torch AdamW) and the linear-decay schedule."""

from __future__ import annotations

import torch

from hart.errors import HartError
from hart.settings import TrainSettings


def make_optimizer(ts: TrainSettings, params: list[torch.nn.Parameter], lr_multiplier: float = 1.0) -> torch.optim.Optimizer:
    lr = ts.lr * lr_multiplier
    if not params:
        raise HartError("this method has no trainable parameters")
    if ts.optimizer == "adam8bit":
        import bitsandbytes as bnb  # 0.50 runs 8-bit Adam on the CPU with uint8 state

        return bnb.optim.Adam8bit(params, lr=lr, weight_decay=ts.weight_decay)
    if ts.optimizer == "adamw":
        return torch.optim.AdamW(params, lr=lr, weight_decay=ts.weight_decay)
    raise HartError(f"train.optimizer: unknown value {ts.optimizer!r}")


def linear_schedule(optimizer, warmup: int, total: int) -> torch.optim.lr_scheduler.LambdaLR:
    """Linear warm-up over ``warmup`` steps, then linear decay to 0 at ``total`` (Appendix 6.1.3)."""

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return max(0.0, (total - step) / max(1, total - warmup))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)
