"""One device per process, chosen once, and the precision that device supports.

Every command (`hart train`, `evaluate`, `adapt`, `attention`) calls ``select`` once and passes the
result down: the model is built (or loaded) on the CPU and moved there, and every batch is moved
with ``to_device`` before it reaches the model. Order of choice:

1. under a launcher (``LOCAL_RANK`` set) with CUDA present: ``cuda:LOCAL_RANK`` (DeepSpeed's engine
   puts the model there too; an explicit non-CUDA request such as ``cpu`` still wins);
2. the requested device: ``--device`` on the command line, else the ``HART_DEVICE`` variable;
3. ``cuda`` when available, else ``cpu``.

Precision (``precision``): bf16 autocast only where the GPU has bf16 (``torch.cuda.is_bf16_supported``,
compute capability >= 8.0: A100, H100); fp32 everywhere else, V100 included. Never fp16: T5 overflows
in fp16. ``meta`` is accepted too: tests run the commands with the model there, so a batch left on
the CPU raises ("Tensor on device meta is not on the expected device cpu").
"""

from __future__ import annotations

import contextlib
import os

import torch

from hart.errors import HartError

ENV = "HART_DEVICE"


def select(requested: str | None = None) -> torch.device:
    """The process's device (see the module docstring for the order)."""
    requested = requested or os.environ.get(ENV) or None
    local = os.environ.get("LOCAL_RANK")
    if local is not None and torch.cuda.is_available() and (requested is None or requested.startswith("cuda")):
        device = torch.device("cuda", int(local))
    elif requested:
        try:
            device = torch.device(requested)
        except RuntimeError:
            raise HartError(f"--device/{ENV}: {requested!r} is not a torch device name (cpu, cuda, cuda:1)") from None
    else:
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise HartError(f"--device/{ENV}: {requested!r} asked for CUDA, but torch sees no GPU "
                            f"(torch {torch.__version__}, built for CUDA {torch.version.cuda})")
        if device.index is None:
            device = torch.device("cuda", torch.cuda.current_device())
        torch.cuda.set_device(device)
    return device


def precision(device: torch.device, bf16: object = "auto") -> str:
    """"bf16" or "fp32" for a device; ``bf16`` is the ``train.bf16`` setting (auto | true | false)."""
    # Native bf16 needs compute capability >= 8.0 (A100, H100). torch.cuda.is_bf16_supported() also
    # answers True for emulated bf16 (V100), which would be slow: ask for the capability itself.
    supported = device.type == "cuda" and torch.cuda.get_device_capability(device)[0] >= 8
    if bf16 is True and not supported:
        raise HartError(f"train.bf16: true, but {device} has no bf16 support (needs a GPU of compute "
                        "capability >= 8.0); use auto (fp32 there) or false")
    return "bf16" if (bf16 in ("auto", True) and supported) else "fp32"


def autocast(device: torch.device, prec: str):
    """The autocast context for a precision (a no-op context for fp32)."""
    if prec == "bf16":
        return torch.autocast(device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()


def to_device(batch: dict, device: torch.device) -> dict:
    """Move every tensor of a batch dict (e.g. ``Batches.collate``'s output) to ``device``."""
    return {k: v.to(device, non_blocking=True) if isinstance(v, torch.Tensor) else v for k, v in batch.items()}


def map_location(device: torch.device) -> str:
    """Where safetensors loads a file for this device: the GPU itself, else the CPU (copied later)."""
    return str(device) if device.type == "cuda" else "cpu"


def rng_state(device: torch.device) -> dict[str, torch.Tensor]:
    """CPU RNG state, plus the CUDA generator of ``device`` (dropout on a GPU draws from it)."""
    state = {"rng.torch": torch.get_rng_state()}
    if device.type == "cuda":
        state["rng.cuda"] = torch.cuda.get_rng_state(device).cpu()
    return state


def set_rng_state(tensors: dict[str, torch.Tensor], device: torch.device) -> None:
    """Restore what ``rng_state`` saved (a checkpoint written on the CPU has no CUDA state: warned)."""
    torch.set_rng_state(tensors["rng.torch"])
    if device.type == "cuda":
        if "rng.cuda" not in tensors:
            import sys

            print("hart train: warning: the checkpoint has no CUDA RNG state (written on the CPU?); dropout "
                  "after the resume will not replay the uninterrupted run", file=sys.stderr)
            return
        torch.cuda.set_rng_state(tensors["rng.cuda"], device)


def describe(device: torch.device, prec: str) -> dict:
    """What goes into results' ``meta`` and done.json about where a number was computed."""
    from hart.meta import device_name

    return {"device": device_name(device), "precision": prec}


def peak_memory(device: torch.device) -> dict:
    """``{"peak_memory_gib": ...}`` of a CUDA device since the process started (empty elsewhere)."""
    if device.type != "cuda":
        return {}
    return {"peak_memory_gib": round(torch.cuda.max_memory_allocated(device) / 2**30, 3)}
