"""One process, or several under the `deepspeed` launcher (ZeRO-2; gloo on the CPU, NCCL on GPUs).

Under DeepSpeed the engine owns gradient accumulation (its loss scaling divides by the number of
micro-batches) and averages gradients across processes, so the update equals the one-process
update over the same global batch. ZeRO-2 partitions the optimizer state across processes and
DeepSpeed's own checkpoint format is pickle-based, so a DeepSpeed run checkpoints weights,
scheduler, RNG and step as safetensors/JSON and restarts the optimizer moments on resume (exact
resume is the single-process path's promise; stated in docs/model.md).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

import torch



def bf16_enabled(setting) -> bool:
    """bf16 autocast when `train.bf16` is true, or "auto" on a GPU with native bf16 (compute
    capability >= 8: A100, H100). fp32 on a V100 (no bf16; T5 overflows in fp16) and on the CPU.
    `hart plan` assumes the same precision for its GPU model."""
    if setting is False or not torch.cuda.is_available():
        return False
    return setting is True or torch.cuda.get_device_capability()[0] >= 8

@dataclass
class Dist:
    rank: int = 0
    world: int = 1
    engine: object | None = None

    @classmethod
    def from_env(cls) -> "Dist":
        return cls(rank=int(os.environ.get("RANK", 0)), world=int(os.environ.get("WORLD_SIZE", 1)))

    def wrap(self, model, optimizer, scheduler, ts, n_micro: int):
        if self.world == 1:
            return None
        import deepspeed

        with open(ts.deepspeed_config) as fh:
            ds_config = json.load(fh)
        ds_config.update({
            "train_batch_size": ts.batch_size,
            "train_micro_batch_size_per_gpu": ts.micro_batch_size,
            "gradient_accumulation_steps": n_micro,
            "gradient_clipping": ts.grad_clip or 0.0,
            "bf16": {"enabled": bf16_enabled(ts.bf16)},
        })
        params = [p for p in model.parameters() if p.requires_grad]
        engine, _, _, _ = deepspeed.initialize(model=model, optimizer=optimizer, model_parameters=params,
                                               lr_scheduler=None, config=ds_config)
        self.engine = engine
        return engine

    def backward(self, engine, loss) -> None:
        if engine is None:
            loss.backward()
        else:
            engine.backward(loss)
            engine.step()  # applies the update only at the accumulation boundary

    def step(self, engine, optimizer, scheduler, params, clip) -> float:
        if engine is None:
            norm = torch.nn.utils.clip_grad_norm_(params, clip if clip else float("inf"))
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            scheduler.step()
            return float(norm)
        scheduler.step()
        norm = engine.get_global_grad_norm()
        return float(norm) if norm is not None else float("nan")

    def mean(self, t: torch.Tensor) -> torch.Tensor:
        if self.world == 1:
            return t
        import torch.distributed as td

        t = t.clone()
        td.all_reduce(t)
        return t / self.world

    def barrier(self) -> None:
        if self.world > 1:
            import torch.distributed as td

            td.barrier()

    def finish(self) -> None:
        if self.world > 1:
            import torch.distributed as td

            td.barrier()
            td.destroy_process_group()
