"""Prefix MLP heads of Appendix 6.1.2 (four families: encoder key/value, decoder key/value).

Each MLP_l: LayerNorm_l -> Linear_1 (shared within a family) -> [reshape (p, d)] -> tanh -> Linear_2,l.
HyperTuning's Linear_1 is d -> d and is applied to each of the p rows of its half of h; HART's is
d -> p*d on one row, reshaped to (p, d). The second projection maps d -> n_heads * d_kv (equal to
d_model at Large and XL; T5 v1.1 small differs, so the prefix width is the attention width).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from hart.model.prefix import Prefixes

FAMILIES = ("enc_k", "enc_v", "dec_k", "dec_v")


class PrefixMLP(nn.Module):
    """One family: L MLPs that share their first linear projection."""

    def __init__(self, d: int, inner: int, layers: int, prefix_len: int, expand: bool) -> None:
        super().__init__()
        self.d, self.p, self.expand = d, prefix_len, expand
        self.ln_weight = nn.Parameter(torch.ones(layers, d))  # per-layer LayerNorm affine
        self.ln_bias = nn.Parameter(torch.zeros(layers, d))
        self.shared = nn.Linear(d, prefix_len * d if expand else d)  # Linear_1, shared across layers
        bound = 1 / math.sqrt(d)
        self.w2 = nn.Parameter(torch.empty(layers, d, inner).uniform_(-bound, bound))  # Linear_2,l
        self.b2 = nn.Parameter(torch.empty(layers, inner).uniform_(-bound, bound))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (batch, L, S, d) with S = p (HyperTuning) or 1 (HART) -> (batch, L, p, inner)."""
        n = F.layer_norm(x, (self.d,)) * self.ln_weight[:, None] + self.ln_bias[:, None]
        y = self.shared(n)
        if self.expand:  # (batch, L, 1, p*d) -> (batch, L, p, d)
            y = y.view(x.shape[0], x.shape[1], self.p, self.d)
        y = torch.tanh(y)
        return torch.einsum("blpd,lde->blpe", y, self.w2) + self.b2[:, None]


class PrefixHeads(nn.Module):
    """The four families; ``forward(enc_rows, dec_rows)`` returns ``Prefixes``."""

    def __init__(self, d: int, inner: int, layers: int, prefix_len: int, expand: bool) -> None:
        super().__init__()
        self.mlps = nn.ModuleDict({f: PrefixMLP(d, inner, layers, prefix_len, expand) for f in FAMILIES})

    def forward(self, enc_rows: torch.Tensor, dec_rows: torch.Tensor) -> Prefixes:
        """enc_rows / dec_rows: (batch, L, S, d)."""
        return Prefixes(
            enc_k=self.mlps["enc_k"](enc_rows), enc_v=self.mlps["enc_v"](enc_rows),
            dec_k=self.mlps["dec_k"](dec_rows), dec_v=self.mlps["dec_v"](dec_rows),
        )


class LearnedPrefix(nn.Module):
    """Prefix-Tuning (Li & Liang): one learned (p, inner) key and value prefix per layer and stack,
    injected through the same path as the hypernetworks. Direct parametrisation (no
    reparametrisation MLP), initialised N(0, init_std^2)."""

    def __init__(self, inner: int, enc_layers: int, dec_layers: int, prefix_len: int, init_std: float = 0.5) -> None:
        super().__init__()
        mk = lambda L: nn.Parameter(torch.randn(1, L, prefix_len, inner) * init_std)  # noqa: E731
        self.enc_k, self.enc_v = mk(enc_layers), mk(enc_layers)
        self.dec_k, self.dec_v = mk(dec_layers), mk(dec_layers)

    def forward(self) -> Prefixes:
        return Prefixes(self.enc_k, self.enc_v, self.dec_k, self.dec_v)
