"""Hyperparameters: one dataclass per config section, a comment on each default.

Defaults are the paper's (Appendix 6.1.3) for HART at T5-Large; `config/scale/*.yaml` and
`config/method/*.yaml` override them. Config dicts reach these classes only through
``from_config``, after schema validation.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field


@dataclass
class ModelSettings:
    scale: str = "large"
    d_model: int = 1024  # d_m (T5-Large)
    d_ff: int = 2816
    num_layers: int = 24  # L, encoder
    num_decoder_layers: int = 24  # L, decoder
    num_heads: int = 16
    d_kv: int = 64
    vocab_size: int | None = 32128  # None: take the tokenizer's size
    dropout: float = 0.1  # LM-adapt config value
    pretrained: str | None = None  # hub name, e.g. google/t5-large-lm-adapt (cluster only)
    revision: str | None = None  # pinned hub revision
    base_checkpoint: str | None = None  # safetensors of a pretrained main T5 (tiny: our own base run)
    tokenizer: str = "data/t5-tokenizer"
    prefix_length: int = 32  # p (Appendix 6.1.2)
    hyper_decoder_layers: int = 8  # the hypernet keeps the first 8 decoder layers (Appendix 6.1.1)
    hyper_init: str = "pretrained"  # hypernet from the main T5's weights, or "random"
    prefix_cross: bool = False  # also prefix decoder cross-attention (HINT does; HART's text does not)
    max_hyper_len: int = 1024  # hypernetwork input tokens
    max_input_len: int = 384  # main-model input tokens
    max_target_len: int = 128  # target tokens
    seed: int = 0  # seed of random initialisation (main model when not pretrained, MLP heads, z)


@dataclass
class ConsistencySettings:
    alpha: float = 0.0  # weight of the local-consistency loss (Section 3.2); paper selects from {1,5,10,20}
    pairing: str = "per_example"  # step t's global-batch position i vs step t-1's (docs/model.md)
    alpha_grid: list | None = None  # selection grid (paper {1,5,10,20}); `python -m hart.train.consistency` picks


@dataclass
class LoraSettings:
    r: int = 8  # rank
    alpha: float = 16.0  # LoRA scaling numerator (scale = alpha / r)
    dropout: float = 0.05
    target_modules: list = field(default_factory=lambda: ["q", "k", "v", "o"])  # every attention matrix (Hu et al.)


@dataclass
class MethodSettings:
    name: str = "hart"
    generator: str = "hart"  # none | learned | hypertuning | hart | layerwise
    train_main: bool = False  # full fine-tuning of the main model (FT baselines, HINT)
    share_weights: bool = False  # hypernet shares the main model's modules (HINT)
    fid: bool = True  # fusion-in-decoder (Section 4.1)
    input_field: str = "query"  # which episode field the main encoder reads
    episodes_subdir: str = ""  # sub-folder of train.episodes (C4: "hypertuning" or "hint" chunk layout)
    consistency: ConsistencySettings = field(default_factory=ConsistencySettings)
    lora: LoraSettings | None = None  # set for the LoRA baseline
    prefix_init_std: float = 0.5  # Prefix-Tuning init scale
    lr_multiplier: float = 1.0  # PEFT baselines train few parameters and conventionally use a larger lr
    eval_only: bool = False  # T0-3B row: evaluate a released checkpoint, no training


@dataclass
class TrainSettings:
    episodes: str = "data/episodes/sni/train.jsonl"
    steps: int = 10000  # 10k Large, 20k XL
    batch_size: int = 256  # effective batch (Appendix 6.1.3)
    micro_batch_size: int = 8  # per process per forward; gradient accumulation fills the rest
    lr: float = 5e-5
    optimizer: str = "adam8bit"  # bitsandbytes Adam-8bit (paper) or torch "adamw"
    weight_decay: float = 0.0
    warmup_steps: int = 0  # the paper states only "linear decay"
    grad_clip: float | None = 1.0
    seed: int = 0
    log_every: int = 1
    checkpoint_every: int = 500
    keep_checkpoints: int = 2  # the newest verified one is resumed; older ones are the fallback
    init_from: str | None = None  # run folder whose model.safetensors starts this run (after C4 pretraining)
    bf16: object = "auto"  # autocast to bf16 on CUDA
    deepspeed_config: str = "config/deepspeed/zero2.json"
    deterministic: bool = True  # torch.use_deterministic_algorithms on the CPU
    threads: int | None = None  # torch intra-op threads (None: torch's default)


def _build(cls, data: dict | None):
    data = dict(data or {})
    kwargs = {}
    for f in dataclasses.fields(cls):
        if f.name not in data:
            continue
        value = data[f.name]
        if f.name == "consistency":
            value = _build(ConsistencySettings, value)
        elif f.name == "lora" and value is not None:
            value = _build(LoraSettings, value)
        kwargs[f.name] = value
    return cls(**kwargs)


def from_config(config: dict) -> tuple[ModelSettings, MethodSettings, TrainSettings]:
    return (_build(ModelSettings, config.get("model")), _build(MethodSettings, config.get("method")),
            _build(TrainSettings, config.get("train")))
