"""One process, or several under the `deepspeed` launcher (ZeRO-2; gloo on the CPU, NCCL on GPUs).

Under DeepSpeed the engine owns gradient accumulation (its loss scaling divides by the number of
micro-batches) and averages gradients across processes, so the update equals the one-process
update over the same global batch. ZeRO-1/2 partitions the optimizer state (the base optimizer's
moments and the fp32 master weights) across processes, and DeepSpeed's own checkpoint format is
pickle-based; so each rank's partition is all-gathered (equal-sized, ZeRO pads the flat buffers)
into the one safetensors checkpoint that rank 0 writes, keyed ``zero.rank<r>.*``, and on resume
each rank loads its own part back (same number of processes; otherwise the moments restart, with
a warning). RNG states are gathered the same way (``rng.torch.rank<r>``, ``rng.cuda.rank<r>``).
A stop signal seen by any rank stops every rank after the same step (``any``: all-reduce MAX).
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass

import torch

from hart.errors import HartError
from hart.train import checkpoint as ckpt

# bitsandbytes' 8-bit Adam fails on one tensor of more than 2**31 elements: on an H200 (bnb 0.50.2,
# torch 2.11+cu130) a tensor of 2**31 - 2**20 elements stepped and one of 2**31 + 2**20 ended the
# process with "Error invalid argument at line 177 in file /src/csrc/ops.cu"
# (benchmarks/gpu_bnb_limit.py, benchmarks/measured/h200-2026-11-29/bnb.log). ZeRO-1/2 hands the
# optimizer ONE flat partition per rank, so HART-XL (about 2.9 B trainable parameters) on one GPU
# died there (gpu_check's XL step).
BNB_MAX_ELEMENTS = 2**31 - 1


def check_partition(trainable: int, world: int, optimizer: str, stage: int) -> None:
    """Refuse, before DeepSpeed starts, a ZeRO partition that 8-bit Adam cannot step.

    ZeRO-1/2 flattens the trainable parameters into one buffer per rank (``trainable / world``
    elements, padded); without ZeRO each rank's optimizer steps every tensor whole, all far below
    the limit at the paper's sizes."""
    if optimizer != "adam8bit" or stage not in (1, 2):
        return
    per_rank = -(-trainable // world)
    if per_rank > BNB_MAX_ELEMENTS:
        need = -(-trainable // BNB_MAX_ELEMENTS)
        raise HartError(f"train.optimizer adam8bit with ZeRO-{stage} on {world} process(es): each rank's flat "
                        f"partition holds {per_rank:,} parameters, more than bitsandbytes' 8-bit Adam can step "
                        f"(2**31 elements); run on at least {need} GPUs, or set train.optimizer: adamw")


@dataclass
class Dist:
    rank: int = 0
    world: int = 1
    engine: object | None = None

    forced: bool = False  # HART_DEEPSPEED=1: the DeepSpeed engine even in one process (benchmarks/gpu_check.py)

    @classmethod
    def from_env(cls) -> "Dist":
        return cls(rank=int(os.environ.get("RANK", 0)), world=int(os.environ.get("WORLD_SIZE", 1)),
                   forced=os.environ.get("HART_DEEPSPEED") == "1")

    def wrap(self, model, optimizer, scheduler, ts, n_micro: int, precision: str = "fp32"):
        if self.world == 1 and not self.forced:
            return None
        import deepspeed  # noqa: F401  (before the checks: a missing DeepSpeed is the first thing to say)

        from hart.config import project_path

        with open(project_path(ts.deepspeed_config)) as fh:  # relative: from the project root, not the cwd
            ds_config = json.load(fh)
        ds_config.update({
            "train_batch_size": ts.batch_size,
            "train_micro_batch_size_per_gpu": ts.micro_batch_size,
            "gradient_accumulation_steps": n_micro,
            "gradient_clipping": ts.grad_clip or 0.0,
            "bf16": {"enabled": precision == "bf16"},  # hart.device.precision: never fp16 (T5 overflows)
        })
        params = [p for p in model.parameters() if p.requires_grad]
        check_partition(sum(p.numel() for p in params), self.world, ts.optimizer,
                        ds_config.get("zero_optimization", {}).get("stage", 0))
        engine, _, _, _ = deepspeed.initialize(model=model, optimizer=optimizer, model_parameters=params,
                                               lr_scheduler=None, config=ds_config)
        self.engine = engine
        return engine

    def device(self, engine, device: torch.device) -> torch.device:
        """The device batches must go to: DeepSpeed's engine placed the model on its own."""
        return device if engine is None else torch.device(engine.device)

    def any(self, flag: bool, device: torch.device) -> bool:
        """True on every rank when ``flag`` is true on any rank (all-reduce MAX)."""
        if self.world == 1:
            return flag
        import torch.distributed as td

        t = torch.tensor([1 if flag else 0], device=device)
        td.all_reduce(t, op=td.ReduceOp.MAX)
        return bool(t.item())

    def all_gather(self, t: torch.Tensor, device: torch.device) -> list[torch.Tensor]:
        """Every rank's copy of an equal-shaped tensor, on the CPU, in rank order."""
        import torch.distributed as td

        flat = t.detach().reshape(-1).to(device)
        parts = [torch.empty_like(flat) for _ in range(self.world)]
        td.all_gather(parts, flat)
        return [p.reshape(t.shape).cpu().clone() for p in parts]

    def gather_rng(self, state: dict[str, torch.Tensor], device: torch.device) -> dict[str, torch.Tensor]:
        """RNG state tensors of every rank (``key.rank<r>``); rank 0's also under ``key``."""
        if self.world == 1:
            return state
        out = dict(state)
        for key in sorted(state):
            for r, t in enumerate(self.all_gather(state[key], device)):
                out[f"{key}.rank{r}"] = t
        return out

    def own_rng(self, tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """This rank's RNG state from a checkpoint (rank 0's when the checkpoint has no per-rank state)."""
        suffix = f".rank{self.rank}"
        if self.world == 1 or f"rng.torch{suffix}" not in tensors:
            return tensors
        return {k[: -len(suffix)]: v for k, v in tensors.items() if k.startswith("rng.") and k.endswith(suffix)}

    def gather_optimizer(self, tensors: dict, device: torch.device) -> dict | None:
        """Put every rank's ZeRO partition (base-optimizer state + fp32 master) into ``tensors``.

        Returns the JSON structure (identical on every rank) for the checkpoint's meta, or None when
        the engine's optimizer is not a ZeRO-1/2 optimizer (its moments then restart on resume).
        """
        opt = getattr(self.engine, "optimizer", None)
        if not hasattr(opt, "single_partition_of_fp32_groups"):
            return None
        local: dict[str, torch.Tensor] = {}
        structure = ckpt.flatten_state(opt.optimizer.state_dict(), "base", local)
        for g, part in enumerate(opt.single_partition_of_fp32_groups):
            local[f"fp32.{g}"] = part.detach()
        for key in sorted(local):
            for r, t in enumerate(self.all_gather(local[key], device)):
                tensors[f"zero.rank{r}.{key}"] = t
        return {"world": self.world, "structure": structure}

    def restore_optimizer(self, info: dict | None, tensors: dict, device: torch.device) -> None:
        """After the model's weights were loaded: this rank's ZeRO partition back into the engine."""
        opt = getattr(self.engine, "optimizer", None)
        if self.engine is None or opt is None:
            return
        if hasattr(opt, "refresh_fp32_params"):
            opt.refresh_fp32_params()  # the fp32 masters were cloned from the weights before the load
        if info is None or info.get("world") != self.world:
            print(f"hart train: warning: the checkpoint has no optimizer state for {self.world} processes; "
                  "the optimizer moments restart", file=sys.stderr)
            return
        prefix = f"zero.rank{self.rank}."
        own = {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}
        opt.optimizer.load_state_dict(ckpt.unflatten_state(info["structure"], own))
        with torch.no_grad():
            for g, part in enumerate(opt.single_partition_of_fp32_groups):
                part.copy_(own[f"fp32.{g}"])

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
