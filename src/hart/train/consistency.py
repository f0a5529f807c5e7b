"""Local consistency regularisation (Section 3.2).

L_cst(t) = MSE(H(t), H(t-1)) with H the stacked decoder states, H(t-1) a detached constant and
L_cst = 0 at the first step. "Step" is one micro-batch of one process (the unit that produces
states); the paper does not say how the examples of two batches pair, so ``pairing`` chooses:

- ``batch_mean`` (default): compare the batch-mean states, (L, 2, d) against (L, 2, d); works for
  any batch sizes and is the consistency of the generator's average output between iterations.
- ``per_example``: element i of this batch against element i of the previous one (equal sizes).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from hart.errors import HartError


def consistency_loss(states: torch.Tensor, previous: torch.Tensor | None, pairing: str) -> torch.Tensor:
    """states: (batch, ...) this step's decoder states (with grad); previous: detached or None."""
    if previous is None:
        return states.new_zeros(())
    if pairing == "batch_mean":
        return F.mse_loss(states.float().mean(0), previous.float().mean(0))
    if pairing == "per_example":
        if states.shape != previous.shape:
            raise HartError(f"method.consistency.pairing=per_example needs equal batch shapes, got "
                            f"{tuple(states.shape)} after {tuple(previous.shape)}")
        return F.mse_loss(states.float(), previous.float())
    raise HartError(f"method.consistency.pairing: unknown value {pairing!r}")
