"""The training loop: plain PyTorch, gradient accumulation to the effective batch, exact resume.

Per optimizer step t: the global batch (``train.batch_size`` episodes, a function of (seed, t)) is
split into micro-batches; each contributes mean-token cross-entropy / n_micro (+ alpha * L_cst),
gradients are clipped, the optimizer and the linear schedule step. A checkpoint every
``checkpoint_every`` steps and at the end holds trainable weights, optimizer state, scheduler
state, RNG state, the step (= data position) and the consistency loss's previous states, so a
rerun on the same folder resumes bit-identically. SIGTERM/SIGUSR1 (SLURM preemption) finish the
current step, write a checkpoint and exit 3. A non-finite loss stops with an error before the
optimizer step, keeping the last good checkpoint. Under the `deepspeed` launcher (WORLD_SIZE > 1)
the same loop runs through a DeepSpeed engine (ZeRO-2 config in config/deepspeed/).
"""

from __future__ import annotations

import json
import math
import signal
import sys
import time
from pathlib import Path

import torch

from hart.config import config_hash
from hart.errors import HartError
from hart.io import write_json
from hart.model.build import build_model, load_weights, save_weights, weights_to_save
from hart.settings import from_config
from hart.train import checkpoint as ckpt
from hart.train.batches import Batches, read_episodes
from hart.train.consistency import consistency_loss
from hart.train.distributed import Dist, bf16_enabled
from hart.train.optim import linear_schedule, make_optimizer

PREEMPTED = 3  # exit status after a signal-triggered checkpoint


class _Signals:
    def __init__(self) -> None:
        self.stop = None
        for sig in (signal.SIGTERM, signal.SIGUSR1):
            signal.signal(sig, self._handle)

    def _handle(self, signum, frame) -> None:
        self.stop = signal.Signals(signum).name


def load_tokenizer(path: str):
    from hart.data.tokenizer import load_tokenizer as load

    return load(path)


def setup(config: dict, device: str = "cpu"):
    """Settings, tokenizer, model and batches for a config (shared with evaluation and tests)."""
    ms, meth, ts = from_config(config)
    tokenizer = load_tokenizer(ms.tokenizer)
    model = build_model(ms, meth, vocab_size=len(tokenizer), device=device)
    return ms, meth, ts, tokenizer, model


def train(config: dict, out_dir: str | Path) -> int:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    ms, meth, ts, tokenizer, model = setup(config)
    if meth.eval_only:
        raise HartError(f"method '{meth.name}' is evaluation-only; nothing to train")
    if ts.threads:
        torch.set_num_threads(ts.threads)
    if ts.deterministic:
        torch.use_deterministic_algorithms(True, warn_only=True)
    dist = Dist.from_env()
    n_micro, rem = divmod(ts.batch_size, ts.micro_batch_size * dist.world)
    if rem or n_micro == 0:
        raise HartError(f"train.batch_size={ts.batch_size} is not a multiple of micro_batch_size x processes "
                        f"= {ts.micro_batch_size} x {dist.world}")
    if ts.init_from:
        load_weights(model, Path(ts.init_from) / "model.safetensors")
    episodes = Path(ts.episodes)
    rows = read_episodes(episodes / "train.jsonl" if episodes.is_dir() else episodes, ("target", meth.input_field) + (("hyper_input",) if model.uses_hyper_input else ()))
    data = Batches(rows, tokenizer, meth.input_field, model.uses_hyper_input, ms.max_hyper_len, ms.max_input_len,
                   ms.max_target_len)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = make_optimizer(ts, params, meth.lr_multiplier)
    scheduler = linear_schedule(optimizer, ts.warmup_steps, ts.steps)
    engine = dist.wrap(model, optimizer, scheduler, ts, n_micro)
    chash = config_hash(config)
    write_json(out / "config.json", config)
    start, prev = _resume(out, chash, model, optimizer, scheduler, dist)
    signals = _Signals()
    autocast = torch.autocast("cuda", dtype=torch.bfloat16) if bf16_enabled(ts.bf16) \
        else torch.autocast("cpu", enabled=False)
    model.train()
    log = _Log(out / "train_log.jsonl", start, dist.rank == 0)
    for step in range(start, ts.steps):
        t0 = time.perf_counter()
        indices = data.step_indices(ts.seed, step, ts.batch_size)
        mine = indices[dist.rank * n_micro * ts.micro_batch_size:(dist.rank + 1) * n_micro * ts.micro_batch_size]
        totals = torch.zeros(3)  # loss, loss_pred, loss_cst summed over micro-batches
        for m in range(n_micro):
            batch = data.collate(mine[m * ts.micro_batch_size:(m + 1) * ts.micro_batch_size])
            with autocast:
                state = model.task_state(batch.get("hyper_ids"), batch.get("hyper_mask"))
                loss_pred = model.loss(state, batch["input_ids"], batch["attention_mask"], batch["labels"])
                loss_cst = torch.zeros(())
                if meth.consistency.alpha > 0 and state.states is not None:
                    loss_cst = consistency_loss(state.states, prev, meth.consistency.pairing)
                    prev = state.states.detach().float()
                loss = loss_pred + meth.consistency.alpha * loss_cst
            if not torch.isfinite(loss):
                raise HartError(f"non-finite loss {loss.item()} at step {step} (micro-batch {m}); the last good "
                                f"checkpoint in {out / 'checkpoints'} is kept")
            dist.backward(engine, loss / (1 if dist.engine else n_micro))
            totals += torch.stack([loss.detach(), loss_pred.detach(), loss_cst.detach()]).float()
        grad_norm = dist.step(engine, optimizer, scheduler, params, ts.grad_clip)
        totals = dist.mean(totals / n_micro)
        if (step + 1) % ts.log_every == 0 or step + 1 == ts.steps:
            dt = time.perf_counter() - t0
            log.write({"step": step + 1, "loss": totals[0].item(), "loss_pred": totals[1].item(),
                       "loss_cst": totals[2].item(), "lr": scheduler.get_last_lr()[0],
                       "examples_per_s": ts.batch_size / dt, "grad_norm": grad_norm})
        done = step + 1 == ts.steps
        if done or (step + 1) % ts.checkpoint_every == 0 or signals.stop:
            _save(out, step + 1, chash, model, optimizer, scheduler, prev, ts, dist)
        if signals.stop and not done:
            print(f"hart train: {signals.stop} received, checkpoint at step {step + 1} written; exiting",
                  file=sys.stderr)
            return PREEMPTED
    if dist.rank == 0:
        external = bool(ms.pretrained or ms.base_checkpoint)
        tensors = weights_to_save(model, main_is_external=external)
        from hart.io import atomic_path

        with atomic_path(out / "model.safetensors") as tmp:
            save_weights(tensors, tmp, {"config_hash": chash, "method": meth.name})
        write_json(out / "done.json", {"steps": ts.steps, "config_hash": chash, "method": meth.name})
    dist.finish()
    return 0


class _Log:
    """train_log.jsonl; on resume, lines past the checkpoint's step are dropped (exact replay)."""

    def __init__(self, path: Path, start: int, enabled: bool) -> None:
        self.path, self.enabled = path, enabled
        if enabled:
            kept = []
            if path.exists():
                kept = [l for l in path.read_text().splitlines() if l.strip() and json.loads(l)["step"] <= start]
            path.write_text("".join(l + "\n" for l in kept))

    def write(self, record: dict) -> None:
        if self.enabled:
            with self.path.open("a") as fh:
                fh.write(json.dumps(record, sort_keys=True) + "\n")


def _save(out, step, chash, model, optimizer, scheduler, prev, ts, dist) -> None:
    tensors: dict[str, torch.Tensor] = {}
    for name, p in model.named_parameters():
        if p.requires_grad:
            tensors[f"model.{name}"] = p.detach().contiguous().cpu().clone()
    meta = {"config_hash": chash, "scheduler": scheduler.state_dict()}
    if dist.engine is None:  # ZeRO partitions optimizer state: see Dist for what DeepSpeed resumes
        meta["optimizer"] = ckpt.flatten_state(optimizer.state_dict(), "optim", tensors)
    tensors["rng.torch"] = torch.get_rng_state()
    if prev is not None:
        tensors["cst.prev"] = prev.contiguous()
    if dist.rank == 0:
        ckpt.write(out, step, tensors, meta, ts.keep_checkpoints)
    dist.barrier()


def _resume(out, chash, model, optimizer, scheduler, dist):
    found = ckpt.latest(out)
    if found is None:
        return 0, None
    path, meta, tensors = found
    if meta.get("config_hash") != chash:
        print(f"hart train: {out}/config.json changed since {path.name}; starting afresh", file=sys.stderr)
        dist.barrier()
        if dist.rank == 0:
            ckpt.discard(out)
        return 0, None
    own = dict(model.named_parameters())
    with torch.no_grad():
        for key, value in tensors.items():
            if key.startswith("model."):
                own[key[len("model."):]].copy_(value)
    if "optimizer" in meta:
        optimizer.load_state_dict(ckpt.unflatten_state(meta["optimizer"], tensors))
    scheduler.load_state_dict(meta["scheduler"])
    torch.set_rng_state(tensors["rng.torch"])
    print(f"hart train: resuming from {path} (step {meta['step']})", file=sys.stderr)
    return meta["step"], tensors.get("cst.prev")


def is_finite(x: float) -> bool:
    return math.isfinite(x)
