"""The trained object of every method: a T5 main model plus where its prefixes come from.

``AdaptedT5`` exposes the API evaluation uses (docs/design.md): ``task_state`` (one hypernetwork
forward per task), ``encode`` (main encoder with prefixes, fused with the hypernet encoder output
when fusion-in-decoder is on), ``logits`` and ``generate``. Methods differ only in ``source``:
nothing (FT, LoRA), a ``LearnedPrefix`` (Prefix-Tuning) or a ``HyperNetwork`` (HyperTuning, HART,
HINT, the Figure 1 model), and in which parameters train (``hart.methods``).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from transformers.modeling_outputs import BaseModelOutput

from hart.model.heads import LearnedPrefix
from hart.model.hypernet import HyperNetwork
from hart.model.prefix import PrefixInjector, Prefixes


@dataclass
class TaskState:
    """What one task's demonstrations produce; batch 1 broadcasts over any query batch."""

    prefixes: Prefixes | None = None
    memory: torch.Tensor | None = None  # (b, n, d) hypernet encoder output (FiD)
    memory_mask: torch.Tensor | None = None  # (b, n)
    states: torch.Tensor | None = None  # decoder states (consistency loss)
    attention: torch.Tensor | None = None


def _expand(t: torch.Tensor, batch: int) -> torch.Tensor:
    return t.expand(batch, *t.shape[1:]) if t.shape[0] == 1 and batch != 1 else t


class AdaptedT5(nn.Module):
    def __init__(self, main, source: nn.Module | None, fid: bool, prefix_cross: bool = False) -> None:
        super().__init__()
        self.injector = PrefixInjector(main, prefix_cross=prefix_cross)
        self.main = main
        self.source = source
        self.fid = fid and isinstance(source, HyperNetwork)
        self.hyper_calls = 0  # counted so tests can check prefixes are generated once per task

    @property
    def uses_hyper_input(self) -> bool:
        return isinstance(self.source, HyperNetwork)

    def task_state(self, hyper_ids=None, hyper_mask=None, attention: bool = False) -> TaskState:
        if self.source is None:
            return TaskState()
        if isinstance(self.source, LearnedPrefix):
            return TaskState(prefixes=self.source())
        self.hyper_calls += 1
        out = self.source(hyper_ids, hyper_mask, attention=attention)
        return TaskState(out.prefixes, out.memory, out.memory_mask, out.states, out.attention)

    def encode(self, state: TaskState, input_ids, attention_mask):
        """Main encoder with encoder prefixes -> (memory, mask); FiD prepends the hypernet's output."""
        with self.injector.active(state.prefixes):
            enc = self.main.get_encoder()(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        if not self.fid or state.memory is None:
            return enc, attention_mask
        b = enc.shape[0]
        memory = torch.cat([_expand(state.memory, b).to(enc.dtype), enc], dim=1)
        mask = torch.cat([_expand(state.memory_mask, b).to(attention_mask.dtype), attention_mask], dim=1)
        return memory, mask

    def logits(self, state: TaskState, memory, memory_mask, labels) -> torch.Tensor:
        """Teacher-forced logits (batch, tgt_len, vocab); labels padded with -100 or pad."""
        labels = labels.masked_fill(labels == -100, 0)
        base = self.main.get_base_model() if hasattr(self.main, "get_base_model") else self.main
        decoder_input_ids = base._shift_right(labels)  # not labels=: no unused loss over (b, tgt, vocab)
        with self.injector.active(state.prefixes):
            return self.main(encoder_outputs=BaseModelOutput(last_hidden_state=memory),
                             attention_mask=memory_mask, decoder_input_ids=decoder_input_ids).logits

    def loss(self, state: TaskState, input_ids, attention_mask, labels) -> torch.Tensor:
        """Mean token cross-entropy; ``labels`` use -100 for padding."""
        memory, mask = self.encode(state, input_ids, attention_mask)
        with self.injector.active(state.prefixes):
            return self.main(encoder_outputs=BaseModelOutput(last_hidden_state=memory),
                             attention_mask=mask, labels=labels).loss

    @torch.no_grad()
    def generate(self, state: TaskState, input_ids, attention_mask, max_new_tokens: int = 128) -> torch.Tensor:
        memory, mask = self.encode(state, input_ids, attention_mask)
        with self.injector.active(state.prefixes):
            return self.main.generate(encoder_outputs=BaseModelOutput(last_hidden_state=memory), attention_mask=mask,
                                      max_new_tokens=max_new_tokens, do_sample=False, num_beams=1)


def load(run_dir, device: str = "cpu"):
    """A trained run folder -> (model in eval mode, tokenizer, resolved config).

    Builds the model from the run's ``config.json`` (main weights from the hub, the base
    checkpoint or the seed) and loads ``model.safetensors``; an evaluation-only method (T0-3B)
    has no weights file of its own.
    """
    import json
    from pathlib import Path

    from hart.config import validate
    from hart.errors import HartError
    from hart.model.build import load_weights
    from hart.train.loop import setup

    run = Path(run_dir)
    cfg_path = run / "config.json"
    if not cfg_path.is_file():
        raise HartError(f"{run}: not a run folder (no config.json); train it first")
    try:
        config = validate(json.loads(cfg_path.read_text()), str(cfg_path))
    except json.JSONDecodeError as exc:
        raise HartError(f"{cfg_path}: not valid JSON ({exc.msg})") from None
    from hart.runcheck import localize, verify_run

    verify_run(run, config)  # weights belong to this config.json, unchanged since training, finite
    ms, meth, ts, tokenizer, model = setup(localize(config, run), device=device)  # any cwd, a moved run
    weights = run / "model.safetensors"
    if not meth.eval_only:
        if not weights.is_file():
            raise HartError(f"{weights}: missing (training of this run has not finished)")
        loaded = set(load_weights(model, weights))
        missing = [n for n, p in model.named_parameters() if p.requires_grad and n not in loaded]
        if missing:
            raise HartError(f"{weights}: lacks trained weights for {missing[:3]}: from another method or config?")
    return model.eval(), tokenizer, config
