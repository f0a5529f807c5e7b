"""Config -> model: the method registry lives here (which source, which parameters train)."""

from __future__ import annotations

from pathlib import Path

import torch
from safetensors.torch import load_file

from hart.errors import HartError
from hart.model.adapted import AdaptedT5
from hart.model.heads import LearnedPrefix
from hart.model.hypernet import HyperNetwork
from hart.model.t5 import Geometry, build_t5, load_pretrained
from hart.settings import MethodSettings, ModelSettings

HYPER = ("hypertuning", "hart", "layerwise")


def geometry(ms: ModelSettings, vocab_size: int | None = None) -> Geometry:
    return Geometry(d_model=ms.d_model, d_ff=ms.d_ff, num_layers=ms.num_layers, num_decoder_layers=ms.num_decoder_layers,
                    num_heads=ms.num_heads, d_kv=ms.d_kv, vocab_size=ms.vocab_size or vocab_size, dropout=ms.dropout)


def build_main(ms: ModelSettings, vocab_size: int | None = None, device: str = "cpu"):
    """The main T5 on the CPU (or ``meta``): hub weights (cluster), our base checkpoint (tiny), or random init."""
    if ms.pretrained and device != "meta":
        return load_pretrained(ms.pretrained, ms.revision)
    g = geometry(ms, vocab_size)
    if g.vocab_size is None:
        raise HartError("model.vocab_size: null needs a tokenizer to take the size from")
    main = build_t5(g, device=device, seed=ms.seed)
    if ms.base_checkpoint and device != "meta":
        load_weights(main, ms.base_checkpoint, prefix="main.", strict=True)
    return main


def build_model(ms: ModelSettings, method: MethodSettings, vocab_size: int | None = None,
                device: str | torch.device = "cpu") -> AdaptedT5:
    """Build the main model and the method's prefix source, and mark exactly what trains.

    Built on the CPU (so a seed gives the same initial weights on every device) and then moved to
    ``device`` (hart.device.select); ``device="meta"`` builds shapes only (hart plan).

    - FT-Zero-Shot / FT-Few-Shot / Tk-Instruct: every main-model weight trains, no prefixes.
    - LoRA: PEFT LoRA matrices only.  Prefix-Tuning: the learned prefixes only.
    - HyperTuning(-PT), HART, the Figure 1 model: the hypernetwork only; the main model is frozen.
    - HINT: the main model and the generator head train; the hypernet shares the main's modules.
    """
    device = torch.device(device)
    build_on = "meta" if device.type == "meta" else "cpu"
    main = build_main(ms, vocab_size, build_on)
    cfg = main.config
    inner = cfg.num_heads * cfg.d_kv
    torch.manual_seed(ms.seed + 1)  # heads/z init independent of the main model's draw
    if method.generator == "none":
        source = None
    elif method.generator == "learned":
        with torch.device(build_on):
            source = LearnedPrefix(inner, cfg.num_layers, cfg.num_decoder_layers, ms.prefix_length, method.prefix_init_std)
    elif method.generator in HYPER:
        init = "shared" if method.share_weights else ms.hyper_init
        with torch.device(build_on):
            source = HyperNetwork(main, method.generator, ms.prefix_length, ms.hyper_decoder_layers, init)
    else:
        raise HartError(f"method.generator: unknown value {method.generator!r}")
    main.requires_grad_(method.train_main)
    model = AdaptedT5(main, source, fid=method.fid, prefix_cross=ms.prefix_cross)
    if method.lora is not None:
        model.main = _lora(main, method)
    return model if device.type in ("cpu", "meta") else model.to(device)


def _lora(main, method: MethodSettings):
    from peft import LoraConfig, get_peft_model

    lc = method.lora
    cfg = LoraConfig(r=lc.r, lora_alpha=lc.alpha, lora_dropout=lc.dropout, target_modules=list(lc.target_modules),
                     task_type="SEQ_2_SEQ_LM")
    return get_peft_model(main, cfg)  # freezes everything but the LoRA matrices


def trainable_names(model) -> list[str]:
    return [n for n, p in model.named_parameters() if p.requires_grad]


def weights_to_save(model, main_is_external: bool) -> dict[str, torch.Tensor]:
    """Trainable parameters, plus the frozen ones unless they can be rebuilt from an external source.

    ``named_parameters`` lists a shared module once (HINT), which safetensors requires.
    """
    out = {}
    for name, p in model.named_parameters():
        if p.requires_grad or not (main_is_external and name.startswith("main.")):
            out[name] = p.detach().contiguous().cpu()
    return out


def save_weights(tensors: dict[str, torch.Tensor], path: str | Path, metadata: dict | None = None) -> None:
    from hart.io import save_safetensors

    save_safetensors(tensors, path, metadata)


def load_weights(module, path: str | Path, prefix: str = "", strict: bool = False) -> list[str]:
    """Load a safetensors file (keys optionally under ``prefix``) into ``module``; returns loaded names.

    Read straight onto the module's GPU when it has one (map location), else onto the CPU.
    """
    from hart.device import map_location

    path = Path(path)
    if not path.is_file():
        raise HartError(f"{path}: weights file not found")
    first = next(module.parameters(), None)
    where = map_location(first.device) if first is not None else "cpu"
    try:
        tensors = load_file(str(path), device=where)
    except Exception as exc:  # safetensors raises its own error types for corrupt headers
        raise HartError(f"{path}: not a readable safetensors file ({exc})") from None
    if prefix:
        tensors = {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}
    own = dict(module.named_parameters())
    unknown = sorted(set(tensors) - set(own))
    if unknown:
        raise HartError(f"{path}: weights for parameters this model does not have: {unknown[:3]}")
    missing = sorted(set(own) - set(tensors))
    if strict and missing:
        raise HartError(f"{path}: missing weights for {missing[:3]} (and {max(0, len(missing) - 3)} more)")
    with torch.no_grad():
        for name, value in tensors.items():
            if own[name].shape != value.shape:
                raise HartError(f"{path}: {name} has shape {tuple(value.shape)}, the model expects {tuple(own[name].shape)}")
            own[name].copy_(value)
    return list(tensors)
