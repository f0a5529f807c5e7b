"""Local consistency regularisation (Section 3.2), across OPTIMIZER STEPS.

L_cst(t) = MSE(H(t), H(t-1)) with H the stacked hypernetwork decoder states, H(t-1) a detached
constant and L_cst = 0 at the first step. "t" is the training iteration (optimizer step), not a
micro-batch: every micro-batch of step t is compared with the states of step t-1, which are kept
fixed for the whole step and replaced only once the step is done.

Pairing (the paper does not say how the examples of two batches pair; ``method.consistency.pairing``
records the choice in every run's config.json): ``per_example`` pairs position i of step t's GLOBAL
batch (``train.batch_size`` examples, in the order of ``Batches.step_indices``) with position i of
step t-1's global batch, i.e. the elementwise MSE of the two (B, ...) state tensors, as the paper's
formula reads for two equal-shape tensors. A micro-batch covering global positions
[offset, offset + b) compares with those rows of H(t-1); its mean over elements, averaged over the
equal-sized micro-batches (and over processes), is the MSE over the whole global batch, so the value
and the gradient do not depend on the micro-batch size or on the number of processes.
"""

from __future__ import annotations

import sys

import torch
import torch.nn.functional as F

from hart.errors import HartError

PAIRINGS = ("per_example",)


def consistency_loss(states: torch.Tensor, previous: torch.Tensor | None, pairing: str) -> torch.Tensor:
    """states: (b, ...) this micro-batch's decoder states (with grad); previous: the (b, ...) rows
    of the previous step's global batch at the same positions (detached), or None at step 1."""
    if pairing not in PAIRINGS:
        raise HartError(f"method.consistency.pairing: unknown value {pairing!r} (known: {', '.join(PAIRINGS)})")
    if previous is None:
        return states.new_zeros(())
    if states.shape != previous.shape:
        raise HartError(f"method.consistency.pairing={pairing} needs equal shapes, got {tuple(states.shape)} "
                        f"after {tuple(previous.shape)}")
    return F.mse_loss(states.float(), previous.float())


class StepConsistency:
    """The previous optimizer step's states and this step's, gathered in global-batch order.

    ``previous``: (B, ...) float32 states of step t-1's global batch, or None (first step / fresh run;
    restored from the checkpoint on resume). ``loss`` is called once per micro-batch with the
    micro-batch's global offset; ``end_step`` makes this step's states the previous ones.
    """

    def __init__(self, pairing: str, previous: torch.Tensor | None = None) -> None:
        if pairing not in PAIRINGS:
            raise HartError(f"method.consistency.pairing: unknown value {pairing!r} (known: {', '.join(PAIRINGS)})")
        self.pairing, self.previous = pairing, previous
        self._current: list[torch.Tensor] = []

    def loss(self, states: torch.Tensor, offset: int) -> torch.Tensor:
        """states (b, ...) of global positions [offset, offset + b) -> scalar MSE (0 at step 1)."""
        self._current.append(states.detach().float())
        if self.previous is None:
            return states.new_zeros(())
        prev = self.previous[offset : offset + states.shape[0]].to(states.device)
        return consistency_loss(states, prev, self.pairing)

    def end_step(self, world: int = 1) -> None:
        """This process's micro-batch states (in order) -> the global batch's, across processes."""
        if not self._current:
            return
        local = torch.cat(self._current)
        self._current = []
        if world > 1:
            import torch.distributed as td

            parts = [torch.empty_like(local) for _ in range(world)]
            td.all_gather(parts, local.contiguous())  # rank order = global-batch order (loop.py slices by rank)
            local = torch.cat(parts)
        self.previous = local


# --- alpha selection (paper: alpha chosen from {1, 5, 10, 20}) -------------------------------------
# Rule (docs/model.md, "Local consistency"): train one run per alpha of ``method.consistency.alpha_grid``
# on S-NI with ``data.sni.dev_tasks: 50`` (50 seeded training tasks held out as dev.jsonl, built like
# the test split), evaluate each on dev.jsonl (ROUGE-L), keep the alpha with the highest dev score
# (ties: the smaller alpha, the weaker regulariser), and train the reported runs with it on the full
# training split. S-NI has no dev list of its own and P3's held-out sets are the test sets, so the
# alpha chosen on S-NI dev tasks is used for P3 as well.


def select_alpha(dev_scores: dict[float, float]) -> float:
    """alpha -> dev score; the best alpha (ties: the smallest). Non-finite scores are an error."""
    import math

    if not dev_scores:
        raise HartError("alpha selection: no dev scores")
    bad = [a for a, s in dev_scores.items() if not isinstance(s, (int, float)) or not math.isfinite(s)]
    if bad:
        raise HartError(f"alpha selection: dev score of alpha={bad[0]} is {dev_scores[bad[0]]!r}, not a finite number")
    return min(dev_scores, key=lambda a: (-dev_scores[a], a))


def main(argv: list[str] | None = None) -> int:
    """``python -m hart.train.consistency --out CHOICE.json ALPHA=RESULT.json ...``: read the dev
    evaluation results (``hart evaluate`` JSON, key ``score``), print and record the chosen alpha."""
    import argparse
    import json

    from hart.io import write_json

    parser = argparse.ArgumentParser(prog="python -m hart.train.consistency", description=main.__doc__)
    parser.add_argument("--out", required=True, help="JSON record of the grid, the dev scores and the choice")
    parser.add_argument("results", nargs="+", help="ALPHA=PATH of each grid point's dev evaluation result")
    args = parser.parse_args(argv)
    scores, paths = {}, {}
    try:
        for item in args.results:
            alpha, sep, path = item.partition("=")
            if not sep:
                raise HartError(f"{item!r}: expected ALPHA=RESULT.json")
            try:
                result = json.loads(open(path, encoding="utf-8").read())
                scores[float(alpha)], paths[float(alpha)] = result["score"], path
            except (OSError, ValueError, KeyError) as exc:
                raise HartError(f"{path}: not a readable evaluation result with a 'score' ({exc!r})") from None
        chosen = select_alpha(scores)
    except HartError as exc:
        print(f"hart: {exc}", file=sys.stderr)
        return 2
    write_json(args.out, {"rule": "highest dev score, ties -> smaller alpha", "dev_scores": scores,
                          "results": paths, "alpha": chosen})  # fmt: skip
    print(f"alpha = {chosen:g} (dev scores {', '.join(f'{a:g}: {s:.4g}' for a, s in sorted(scores.items()))})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
