"""Checkpoints: safetensors + JSON, written atomically, verified by sha256 before use.

Layout: ``<run>/checkpoints/step-000100/{state.safetensors,state.json}``. A checkpoint is written
into a hidden temporary folder and renamed into place, and older ones are pruned only after the
new one exists, so a failed write (disk full, a kill) leaves the previous checkpoint intact. On
resume the newest checkpoint whose checksum verifies is used; a corrupt one is reported and skipped.
Nothing is ever unpickled: optimizer and scheduler states are split into tensors and JSON.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
from pathlib import Path

import torch
from safetensors.torch import load_file

from hart.errors import HartError
from hart.io import fault_point, save_safetensors


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def flatten_state(obj, prefix: str, tensors: dict) -> object:
    """Replace every tensor in a nested dict/list by a reference; tensors go into ``tensors``."""
    if isinstance(obj, torch.Tensor):
        key = f"{prefix}"
        tensors[key] = obj.detach().contiguous().cpu().clone()
        return {"__tensor__": key}
    if isinstance(obj, dict):
        return {"__dict__": [[flatten_state(k, f"{prefix}.k{i}", tensors), flatten_state(v, f"{prefix}.{i}", tensors)]
                             for i, (k, v) in enumerate(obj.items())]}
    if isinstance(obj, (list, tuple)):
        return {"__list__": [flatten_state(v, f"{prefix}.{i}", tensors) for i, v in enumerate(obj)],
                "tuple": isinstance(obj, tuple)}
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    raise TypeError(f"cannot checkpoint a value of type {type(obj).__name__} at {prefix}")


def unflatten_state(obj, tensors: dict):
    if isinstance(obj, dict) and "__tensor__" in obj:
        return tensors[obj["__tensor__"]]
    if isinstance(obj, dict) and "__dict__" in obj:
        return {unflatten_state(k, tensors): unflatten_state(v, tensors) for k, v in obj["__dict__"]}
    if isinstance(obj, dict) and "__list__" in obj:
        items = [unflatten_state(v, tensors) for v in obj["__list__"]]
        return tuple(items) if obj.get("tuple") else items
    return obj


def write(run_dir: Path, step: int, tensors: dict[str, torch.Tensor], meta: dict, keep: int) -> Path:
    root = Path(run_dir) / "checkpoints"
    root.mkdir(parents=True, exist_ok=True)
    final = root / f"step-{step:07d}"
    tmp = root / f".tmp-step-{step:07d}-{os.getpid()}"
    for stale in root.glob(".tmp-step-*"):  # a killed writer's partial checkpoint (the run lock excludes a live one)
        shutil.rmtree(stale, ignore_errors=True)
    tmp.mkdir()
    try:
        save_safetensors(tensors, tmp / "state.safetensors")
        fault_point("checkpoint_write")  # test hook: a kill between the tensors and the manifest
        meta = dict(meta, step=step, sha256=sha256(tmp / "state.safetensors"))
        (tmp / "state.json").write_text(json.dumps(meta, sort_keys=True))
        for name in ("state.safetensors", "state.json"):
            with open(tmp / name, "rb") as fh:
                os.fsync(fh.fileno())
        if final.exists():
            shutil.rmtree(final)
        os.rename(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    for old in sorted(root.glob("step-*"))[:-keep]:
        shutil.rmtree(old, ignore_errors=True)
    return final


def verify(ckpt: Path) -> tuple[dict, dict] | None:
    """(meta, tensors) if the checkpoint is complete and its checksum matches, else None."""
    try:
        meta = json.loads((ckpt / "state.json").read_text())
        if sha256(ckpt / "state.safetensors") != meta["sha256"]:
            return None
        return meta, load_file(str(ckpt / "state.safetensors"))
    except (OSError, ValueError, KeyError, json.JSONDecodeError):
        return None
    except Exception:  # safetensors' own errors on a corrupt header
        return None


def latest(run_dir: Path) -> tuple[Path, dict, dict] | None:
    """Newest verified checkpoint; corrupt ones are reported and skipped."""
    for ckpt in sorted((Path(run_dir) / "checkpoints").glob("step-*"), reverse=True):
        got = verify(ckpt)
        if got is not None:
            return ckpt, got[0], got[1]
        print(f"hart train: warning: {ckpt} is corrupt or incomplete (checksum), trying an older one", file=sys.stderr)
    return None


def discard(run_dir: Path) -> None:
    shutil.rmtree(Path(run_dir) / "checkpoints", ignore_errors=True)


def require_checkpoint(path: Path) -> Path:
    if not path.exists():
        raise HartError(f"{path}: checkpoint not found")
    return path
