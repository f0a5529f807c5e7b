"""Hypernetworks: a T5 encoder plus the first N decoder layers, and three ways to decode states.

- ``hypertuning``: learned z (2p, d), ONE bidirectional decoder pass -> h (2p, d); h[:p] feeds the
  encoder-layer MLPs, h[-p:] the decoder-layer MLPs (Appendix 6.1.2, HyperTuning).
- ``hart``: learned z (2, d); L autoregressive steps h_1 = Dec(z), h_l = Dec(h_{l-1}) over continuous
  states with a KV cache, so step l adds one new position pair and attends to every earlier step
  (Section 3.1). Row 0 of h_l -> encoder layer l, row 1 -> decoder layer l. Causality is T5's own
  token-causal mask over the flattened sequence [z_0, z_1, h_1,0, h_1,1, ...]: row 0 of a step does
  not see row 1 of the same step (a stock T5 decoder, no custom mask; documented choice).
- ``layerwise`` (Figure 1): learned z (L, d), one bidirectional pass -> L states, state l feeds both
  layer-l families; can return the last decoder layer's self-attention averaged over heads.

Bidirectional passes give the stock decoder a 4D all-zeros additive mask (transformers uses a 4D
mask as is). The decoder's relative-position bias is T5's unidirectional one (future offsets share
bucket 0): we reuse the pretrained decoder weights unchanged.
"""

from __future__ import annotations

import copy
import inspect
from dataclasses import dataclass

import torch
from torch import nn
from transformers.cache_utils import DynamicCache, EncoderDecoderCache
from transformers.models.t5.modeling_t5 import T5Stack

from hart.model.heads import PrefixHeads
from hart.model.prefix import ATTN_NAME, Prefixes

# transformers 5.24 renamed T5Stack.forward's `past_key_values` to `cache` (the old name warns and
# goes in 5.40); pass the cache under the name the installed version declares.
CACHE_KWARG = "cache" if "cache" in inspect.signature(T5Stack.forward).parameters else "past_key_values"


@dataclass
class HyperOutput:
    prefixes: Prefixes
    memory: torch.Tensor  # (batch, hyper_len, d): hypernet encoder output (for fusion-in-decoder)
    memory_mask: torch.Tensor  # (batch, hyper_len)
    states: torch.Tensor  # decoder states the consistency loss compares: hart (b, L, 2, d), others (b, S, d)
    attention: torch.Tensor | None = None  # layerwise only: (b, L, L) last-layer self-attention, head mean


def _stack_config(main_config, is_decoder: bool, layers: int):
    cfg = copy.deepcopy(main_config)
    cfg.is_decoder, cfg.num_layers, cfg.use_cache = is_decoder, layers, is_decoder
    cfg.is_encoder_decoder = False
    cfg._attn_implementation = ATTN_NAME  # no prefixes are active here: plain attention, float masks
    return cfg


def build_stacks(main, dec_layers: int, init: str) -> tuple[T5Stack, T5Stack]:
    """Hypernet encoder and decoder (first ``dec_layers`` layers).

    init: ``pretrained`` copies the main model's weights (the paper), ``random`` leaves T5's init,
    ``shared`` reuses the main model's modules (HINT: weights shared and trained jointly).
    """
    enc = T5Stack(_stack_config(main.encoder.config, False, main.config.num_layers))
    dec = T5Stack(_stack_config(main.decoder.config, True, dec_layers))
    dec.embed_tokens = None  # the hypernet decoder reads continuous states, never tokens
    if init == "shared":
        enc.embed_tokens, enc.block, enc.final_layer_norm = main.shared, main.encoder.block, main.encoder.final_layer_norm
        dec.block = nn.ModuleList(main.decoder.block[:dec_layers])
        dec.final_layer_norm = main.decoder.final_layer_norm
    elif init == "pretrained":
        enc.embed_tokens = copy.deepcopy(main.shared)
        enc.block.load_state_dict(main.encoder.block.state_dict())
        enc.final_layer_norm.load_state_dict(main.encoder.final_layer_norm.state_dict())
        dec.block.load_state_dict(main.decoder.block[:dec_layers].state_dict())
        dec.final_layer_norm.load_state_dict(main.decoder.final_layer_norm.state_dict())
    elif init != "random":
        raise ValueError(f"model.hyper_init: unknown value {init!r}")
    return enc, dec


def _bidirectional(batch: int, length: int, like: torch.Tensor) -> torch.Tensor:
    return torch.zeros(batch, 1, length, length, dtype=like.dtype, device=like.device)


class HyperNetwork(nn.Module):
    """Encoder + decoder + prefix heads. ``forward(ids, mask) -> HyperOutput``."""

    def __init__(self, main, kind: str, prefix_len: int, dec_layers: int, init: str) -> None:
        super().__init__()
        if kind not in ("hypertuning", "hart", "layerwise"):
            raise ValueError(f"method.generator: unknown value {kind!r}")
        cfg = main.config
        self.kind, self.p, self.L = kind, prefix_len, cfg.num_layers
        if cfg.num_layers != cfg.num_decoder_layers:
            raise ValueError("HART's row-per-layer scheme needs as many encoder as decoder layers")
        self.encoder, self.decoder = build_stacks(main, dec_layers, init)
        d, inner = cfg.d_model, cfg.num_heads * cfg.d_kv
        z_len = {"hypertuning": 2 * prefix_len, "hart": 2, "layerwise": self.L}[kind]
        self.z = nn.Parameter(torch.randn(z_len, d))  # learned decoder input (T5 embedding init scale)
        self.heads = PrefixHeads(d, inner, self.L, prefix_len, expand=(kind != "hypertuning"))

    def encode(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.encoder(input_ids=ids, attention_mask=mask).last_hidden_state

    def forward(self, ids: torch.Tensor, mask: torch.Tensor, attention: bool = False) -> HyperOutput:
        memory = self.encode(ids, mask)  # (b, n, d)
        b = ids.shape[0]
        z = self.z.unsqueeze(0).expand(b, -1, -1).to(memory.dtype)
        attn = None
        if self.kind == "hart":
            states = self.decode_autoregressive(z, memory, mask)  # (b, L, 2, d)
            prefixes = self.heads(states[:, :, 0:1], states[:, :, 1:2])
        elif self.kind == "hypertuning":
            states = self.decode_bidirectional(z, memory, mask)  # (b, 2p, d)
            rows = lambda h: h.unsqueeze(1).expand(-1, self.L, -1, -1)  # noqa: E731  (b, L, p, d)
            prefixes = self.heads(rows(states[:, : self.p]), rows(states[:, -self.p :]))
        else:
            states, attn = self.decode_bidirectional(z, memory, mask, attention=attention)  # (b, L, d)
            rows = states.unsqueeze(2)  # (b, L, 1, d)
            prefixes = self.heads(rows, rows)
        return HyperOutput(prefixes, memory, mask, states, attn)

    def decode_bidirectional(self, z, memory, mask, attention: bool = False):
        b, n = z.shape[:2]
        kwargs = {}
        seen = {}
        if self.kind == "layerwise":
            last = self.decoder.block[-1].layer[0].SelfAttention
            handle = last.register_forward_hook(lambda m, a, out: seen.__setitem__("w", out[2])) if attention else None
            kwargs = {"output_attentions": True} if attention else {}
        out = self.decoder(
            inputs_embeds=z, attention_mask=_bidirectional(b, n, z), encoder_hidden_states=memory,
            encoder_attention_mask=mask, use_cache=False, **kwargs,
        ).last_hidden_state
        if self.kind != "layerwise":
            return out
        if attention:
            handle.remove()
            return out, seen["w"].mean(dim=1)  # (b, L, L): head-averaged
        return out, None

    def decode_autoregressive(self, z, memory, mask) -> torch.Tensor:
        """h_1 = Dec(z); h_l = Dec(h_{l-1}); each step feeds 2 new positions through the KV cache."""
        cache = EncoderDecoderCache(DynamicCache(), DynamicCache())
        x, states = z, []
        for _ in range(self.L):
            x = self.decoder(
                inputs_embeds=x, encoder_hidden_states=memory, encoder_attention_mask=mask,
                use_cache=True, **{CACHE_KWARG: cache},
            ).last_hidden_state  # (b, 2, d)
            states.append(x)
        return torch.stack(states, dim=1)
