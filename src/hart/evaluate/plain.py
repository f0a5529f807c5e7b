"""The evaluation model API (docs/design.md) over a bare transformers T5: no prefixes, no hypernet.

This is the shape of the full fine-tuning baselines (FT-Zero-Shot / FT-Few-Shot) and the reference
the tests and benchmarks run the evaluation loops against; ``hart.model.adapted`` implements the
same four methods with generated prefixes and fusion-in-decoder.
"""

from __future__ import annotations

import torch
from torch import nn
from transformers import T5Config, T5ForConditionalGeneration
from transformers.modeling_outputs import BaseModelOutput


def untie_head(model: T5ForConditionalGeneration) -> T5ForConditionalGeneration:
    """Give the LM head its own weights (T5 v1.1 is untied; transformers 5.23 ties a fresh model anyway)."""
    if model.lm_head.weight.data_ptr() == model.shared.weight.data_ptr():
        model.lm_head.weight = nn.Parameter(model.shared.weight.detach().clone())
    model.config.tie_word_embeddings = False
    return model


def random_t5(config: T5Config | dict, seed: int = 0) -> T5ForConditionalGeneration:
    """A randomly initialised, untied, eval-mode T5 of the given geometry."""
    if isinstance(config, dict):
        config = T5Config(**config)
    torch.manual_seed(seed)
    return untie_head(T5ForConditionalGeneration(config)).eval()


class PlainT5(nn.Module):
    """``task_state`` / ``encode`` / ``logits`` / ``generate`` over one T5; the task state is empty."""

    def __init__(self, t5: T5ForConditionalGeneration):
        super().__init__()
        self.t5 = t5

    def task_state(self, hyper_ids: torch.Tensor, hyper_mask: torch.Tensor):
        return None  # no hypernetwork: nothing depends on the task

    def encode(self, state, input_ids: torch.Tensor, attention_mask: torch.Tensor):
        """(batch, src) ids -> memory (batch, src, d_model), memory_mask (batch, src)."""
        memory = self.t5.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        return memory, attention_mask

    def logits(self, state, memory: torch.Tensor, memory_mask: torch.Tensor, labels: torch.Tensor):
        """Teacher-forced: labels (batch, tgt) -> logits (batch, tgt, vocab); decoder input = shifted labels.

        Passes the shifted labels as ``decoder_input_ids`` rather than ``labels=`` so transformers does
        not also compute a loss over the whole (batch, tgt, vocab) tensor; the logits are the same.
        """
        out = self.t5(encoder_outputs=BaseModelOutput(last_hidden_state=memory), attention_mask=memory_mask,
                      decoder_input_ids=self.t5._shift_right(labels), use_cache=False)
        return out.logits

    def generate(self, state, input_ids: torch.Tensor, attention_mask: torch.Tensor, max_new_tokens: int):
        """Greedy decoding with the KV cache; returns (batch, len) ids starting with the decoder start id."""
        memory, memory_mask = self.encode(state, input_ids, attention_mask)
        return self.t5.generate(encoder_outputs=BaseModelOutput(last_hidden_state=memory),
                                attention_mask=memory_mask, max_new_tokens=max_new_tokens,
                                do_sample=False, num_beams=1, use_cache=True)
