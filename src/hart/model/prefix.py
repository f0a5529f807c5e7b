"""The one place where prefixes enter T5: a registered attention function.

Every encoder and decoder self-attention module of the main model is tagged with a *site*
(``("enc", l)`` or ``("dec", l)``; cross-attention ``("cross", l)`` only when asked). While a
``Prefixes`` object is active (``PrefixInjector.active``), the attention function prepends that
site's key and value prefixes to the layer's keys and values, after the KV cache update (so the
cache never stores prefixes), following HINT's convention (PROTOCOL.md):

- prefix columns get ZERO relative-position bias (T5 computes the bias once in block 0 and reuses
  it: we pad it with p zero columns inside each layer, never outside);
- prefix columns are never masked: neither padding nor the decoder's causal mask covers them.

Decoder cross-attention is not prefixed by default: the paper prefixes "the layerwise key and value
representations" of encoder and decoder layers, which we read as self-attention (HINT also prefixes
cross-attention; ``prefix_cross=True`` does that). PEFT's prefix tuning cannot be used: on T5 it
touches only decoder self-attention and gives prefix slots a position bias (PROTOCOL.md).
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from transformers import AttentionInterface
from transformers.masking_utils import AttentionMaskInterface, eager_mask
from transformers.models.t5.modeling_t5 import T5Attention

ATTN_NAME = "hart_prefix"


@dataclass
class Prefixes:
    """Key/value prefixes for every layer. Each tensor: (batch, L, p, n_heads * d_kv).

    A batch of 1 broadcasts over any query batch (one task's prefixes for all its queries).
    ``cross_k``/``cross_v`` are used only when the injector prefixes cross-attention.
    """

    enc_k: torch.Tensor
    enc_v: torch.Tensor
    dec_k: torch.Tensor
    dec_v: torch.Tensor
    cross_k: torch.Tensor | None = None
    cross_v: torch.Tensor | None = None

    @property
    def length(self) -> int:
        return self.enc_k.shape[2]

    def site(self, kind: str, layer: int) -> tuple[torch.Tensor, torch.Tensor] | None:
        k, v = {"enc": (self.enc_k, self.enc_v), "dec": (self.dec_k, self.dec_v),
                "cross": (self.cross_k, self.cross_v)}[kind]
        if k is None or k.shape[2] == 0:
            return None
        return k[:, layer], v[:, layer]

    def index(self, rows) -> "Prefixes":
        """Select batch rows (e.g. to repeat a task's prefixes for several choices)."""
        pick = lambda t: None if t is None else t[rows]  # noqa: E731
        return Prefixes(*(pick(t) for t in (self.enc_k, self.enc_v, self.dec_k, self.dec_v, self.cross_k, self.cross_v)))


def _prepend(states: torch.Tensor, prefix: torch.Tensor, module: T5Attention) -> torch.Tensor:
    """states (b, heads, k, d_kv); prefix (b or 1, p, heads*d_kv) -> (b, heads, p + k, d_kv)."""
    b, p = states.shape[0], prefix.shape[1]
    prefix = prefix.view(prefix.shape[0], p, module.n_heads, module.key_value_proj_dim).transpose(1, 2)
    return torch.cat([prefix.to(states.dtype).expand(b, -1, -1, -1), states], dim=2)


def prefix_attention(module, query, key, value, attention_mask, scaling=None, dropout=0.0, position_bias=None, **kwargs):
    """Attention over [prefix ; keys] (query/key/value: (batch, heads, len, d_kv)).

    ``attention_mask`` is the additive float mask of ``eager_mask`` (b, 1, q, k) or None;
    ``position_bias`` is T5's (1 or b, heads, q, k). Prefix columns get 0 in both.
    """
    store = getattr(module, "hart_store", None)
    site = getattr(module, "hart_site", None)
    prefix = store.lookup(site) if store is not None and site is not None else None
    if prefix is not None:
        pk, pv = prefix
        p = pk.shape[1]
        key, value = _prepend(key, pk, module), _prepend(value, pv, module)
        if position_bias is not None:
            position_bias = F.pad(position_bias, (p, 0))
        if attention_mask is not None:
            attention_mask = F.pad(attention_mask, (p, 0))
    bias = position_bias
    if attention_mask is not None:
        bias = attention_mask if bias is None else bias + attention_mask
    if kwargs.get("output_attentions"):
        scores = torch.matmul(query, key.transpose(2, 3)) * (1.0 if scaling is None else scaling)
        weights = torch.softmax(scores + bias if bias is not None else scores, dim=-1)
        weights = F.dropout(weights, p=dropout, training=module.training)
        return torch.matmul(weights, value).transpose(1, 2).contiguous(), weights
    out = F.scaled_dot_product_attention(
        query, key, value, attn_mask=None if bias is None else bias.to(query.dtype),
        dropout_p=dropout if module.training else 0.0, scale=1.0 if scaling is None else scaling,
    )
    return out.transpose(1, 2).contiguous(), None


def _register() -> None:
    AttentionInterface.register(ATTN_NAME, prefix_attention)
    # the matching mask function: without it transformers drops the padding mask silently
    AttentionMaskInterface.register(ATTN_NAME, eager_mask)


_register()


class _Store:
    """What the tagged attention modules read: the active prefixes, or nothing."""

    def __init__(self) -> None:
        self.prefixes: Prefixes | None = None

    def lookup(self, site):
        return None if self.prefixes is None else self.prefixes.site(*site)


class PrefixInjector:
    """Tags a T5's attention modules and activates prefixes for the duration of a forward pass."""

    def __init__(self, model, prefix_cross: bool = False) -> None:
        self.store = _Store()
        self.prefix_cross = prefix_cross
        model.config._attn_implementation = ATTN_NAME
        for kind, stack in (("enc", model.encoder), ("dec", model.decoder)):
            for l, block in enumerate(stack.block):
                attn = block.layer[0].SelfAttention
                attn.config._attn_implementation = ATTN_NAME
                attn.hart_site, attn.hart_store = (kind, l), self.store
                if kind == "dec" and prefix_cross:
                    cross = block.layer[1].EncDecAttention
                    cross.hart_site, cross.hart_store = ("cross", l), self.store
        for stack in (model.encoder, model.decoder):
            stack.config._attn_implementation = ATTN_NAME

    @contextmanager
    def active(self, prefixes: Prefixes | None):
        previous = self.store.prefixes
        self.store.prefixes = prefixes
        try:
            yield
        finally:
            self.store.prefixes = previous
