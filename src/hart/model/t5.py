"""Build the T5 v1.1 / LM-adapt main model at a configured geometry.

T5 v1.1 and the LM-adapted checkpoints have UNTIED input embeddings and output head and do not
scale decoder outputs by d_model^-0.5. transformers 5.x forces ``tie_word_embeddings=True`` inside
``T5Config`` (it reads the flag only to decide the output scaling), so a randomly initialised v1.1
geometry comes out tied; ``build_t5`` unties the head explicitly and ``untied_head`` checks it.

Parameter count of the untied v1.1 geometry (docs/model.md, checked in tests at Large and XL):
    emb  = V*d                     (shared input embedding)   + V*d (lm_head)
    enc  = Le * (4*d*h*k + 3*d*f + 2*d)  + d + 32*h   (attn q,k,v,o; gated FF wi_0, wi_1, wo; 2 RMS
    dec  = Ld * (8*d*h*k + 3*d*f + 3*d)  + d + 32*h    norms per enc block, 3 per dec block; final
                                                       norm; relative-bias table of block 0)
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from transformers import T5Config, T5ForConditionalGeneration

from hart.errors import HartError


@dataclass
class Geometry:
    """T5 v1.1 shape. Defaults are the `tiny` scale (a laptop CPU trains it in minutes)."""

    d_model: int = 64  # hidden size d_m
    d_ff: int = 128  # gated-GELU inner size
    num_layers: int = 2  # encoder layers L (the decoder has the same number: L)
    num_decoder_layers: int = 2
    num_heads: int = 4
    d_kv: int = 16  # per-head size; inner attention size = num_heads * d_kv
    vocab_size: int = 2000
    dropout: float = 0.0
    relative_attention_num_buckets: int = 32


def t5_config(g: Geometry) -> T5Config:
    cfg = T5Config(
        d_model=g.d_model,
        d_ff=g.d_ff,
        d_kv=g.d_kv,
        num_layers=g.num_layers,
        num_decoder_layers=g.num_decoder_layers,
        num_heads=g.num_heads,
        vocab_size=g.vocab_size,
        dropout_rate=g.dropout,
        feed_forward_proj="gated-gelu",
        relative_attention_num_buckets=g.relative_attention_num_buckets,
        tie_word_embeddings=False,  # read by T5Config only as "do not scale decoder outputs"
        decoder_start_token_id=0,
        pad_token_id=0,
        eos_token_id=1,
    )
    cfg.tie_word_embeddings = False  # T5Config forced it to True; v1.1 is untied
    return cfg


def build_t5(g: Geometry, device: str | torch.device = "cpu", seed: int | None = None) -> T5ForConditionalGeneration:
    """A randomly initialised v1.1 T5 (``device='meta'`` for shape/parameter checks)."""
    if seed is not None:
        torch.manual_seed(seed)
    with torch.device(device):
        model = T5ForConditionalGeneration(t5_config(g))
    # untying in the config also untied the encoder/decoder input embeddings from `shared`;
    # v1.1 shares those, only the output head is separate.
    model.encoder.embed_tokens = model.shared
    model.decoder.embed_tokens = model.shared
    if not untied_head(model):
        raise HartError("internal: T5 output head is still tied to the input embedding")
    if device != "meta":
        # transformers draws the untied head from N(0, 1): logits of std ~sqrt(d_model) and a first
        # loss far above log(vocab). Mesh-TF T5 v1.1 initialises the separate logits layer with
        # std d_model^-0.5, which we follow for random init (pretrained weights overwrite it).
        torch.nn.init.normal_(model.lm_head.weight, std=g.d_model ** -0.5)
    return model


def load_pretrained(name: str, revision: str | None) -> T5ForConditionalGeneration:
    """Real LM-adapt / T0 weights, on the CPU; safetensors only, nothing unpickled.

    ``name`` is a local snapshot folder (``data/cache/hub/<model>``, written by ``hart data
    download --source hub``; read with the hub offline, the way cluster jobs run) or, outside the
    pipeline, a hub name at ``revision``.
    """
    from pathlib import Path

    local = Path(name).is_dir()
    if not local and (name.startswith(("data/", "./", "/")) or Path(name).suffix):
        raise HartError(f"model.pretrained: {name}: no such folder; run `hart data download --source hub` "
                        "(on the login node) first")
    if local and not (Path(name) / "model.safetensors").is_file():
        raise HartError(f"model.pretrained: {name}/model.safetensors missing (a .bin-only download is converted "
                        "by `hart data download --source hub`)")
    revision = None if local else revision
    config = T5Config.from_pretrained(name, revision=revision, local_files_only=local)
    config.tie_word_embeddings = False  # T5Config forces True (module docstring): the LM head would be
    # overwritten by the input embedding instead of loaded
    model = T5ForConditionalGeneration.from_pretrained(name, config=config, revision=revision,
                                                       use_safetensors=True, local_files_only=local)
    model.encoder.embed_tokens = model.shared  # v1.1 shares the input embedding (build_t5)
    model.decoder.embed_tokens = model.shared
    if not untied_head(model):
        raise HartError(f"{name}@{revision}: expected an untied lm_head (T5 v1.1 / LM-adapt)")
    return model


def untied_head(model: T5ForConditionalGeneration) -> bool:
    return model.lm_head.weight.data_ptr() != model.shared.weight.data_ptr() or (
        model.lm_head.weight.is_meta and model.lm_head.weight is not model.shared.weight
    )


def param_count_formula(g: Geometry) -> int:
    """Closed-form parameter count of the untied v1.1 geometry (see module docstring)."""
    d, f, h, k, V = g.d_model, g.d_ff, g.num_heads, g.d_kv, g.vocab_size
    rel = g.relative_attention_num_buckets * h
    enc = g.num_layers * (4 * d * h * k + 3 * d * f + 2 * d) + d + rel
    dec = g.num_decoder_layers * (8 * d * h * k + 3 * d * f + 3 * d) + d + rel
    return 2 * V * d + enc + dec


# Published geometries of google/t5-{large,xl}-lm-adapt (T5 v1.1 configs).
LARGE = Geometry(d_model=1024, d_ff=2816, num_layers=24, num_decoder_layers=24, num_heads=16, d_kv=64, vocab_size=32128, dropout=0.1)
XL = Geometry(d_model=2048, d_ff=5120, num_layers=24, num_decoder_layers=24, num_heads=32, d_kv=64, vocab_size=32128, dropout=0.1)
SMALL = Geometry(d_model=512, d_ff=1024, num_layers=8, num_decoder_layers=8, num_heads=6, d_kv=64, vocab_size=32128, dropout=0.1)
