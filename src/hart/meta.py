"""The ``meta`` block every JSON result carries: enough to read a number without guessing.

Timestamp-free on purpose: rerunning the same code, config and seed on the same machine writes a
byte-identical block, so a changed result file always means a changed input.
"""

from __future__ import annotations

import platform
import subprocess
from importlib import metadata
from pathlib import Path

import hart
from hart.config import config_hash

PACKAGES = ("torch", "transformers", "peft", "deepspeed", "bitsandbytes", "datasets", "rouge-score")


def git_commit(where: str | Path | None = None) -> str:
    """HEAD of the repository holding ``where`` (default: this package's source), else "unknown"."""
    where = Path(where) if where is not None else Path(__file__).resolve().parent
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=where, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() if out.returncode == 0 and out.stdout.strip() else "unknown"


def package_versions(names=PACKAGES) -> dict[str, str]:
    versions = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def device_name(device=None) -> str:
    """"cpu" or "cuda:<i> (<GPU name>)"; accepts a torch.device, a string or None (= cpu)."""
    text = str(device) if device is not None else "cpu"
    if text.startswith("cuda"):
        import torch

        index = torch.device(text).index or 0
        return f"cuda:{index} ({torch.cuda.get_device_name(index)})"
    return text


def meta(config: dict | None = None, seed: int | None = None, device=None, where: str | Path | None = None,
         precision: str = "fp32") -> dict:
    """``{"git_commit", "hart_version", "python", "packages", "device", "precision", "seed", "config_hash"}``.

    ``precision`` is what the numbers were computed in: "fp32", or "bf16" (autocast; hart.device).
    """
    return {
        "git_commit": git_commit(where),
        "hart_version": hart.__version__,
        "python": platform.python_version(),
        "packages": package_versions(),
        "device": device_name(device),
        "precision": precision,
        "seed": seed,
        "config_hash": config_hash(config) if config is not None else None,
    }
