"""Pretrained weights as a data-stage download: hub repositories at a pinned commit, checksummed.

``hart data download --source hub`` fetches every model listed under ``data.sources.hub.models``
(config/data/sources.yaml) with huggingface_hub into ``<cache>/hub/<name>/``, a plain folder that
``transformers`` loads with ``from_pretrained(folder)`` and the hub offline (``HF_HUB_OFFLINE=1``).

- Revision: a 40-hex commit is used as is; a branch (``main``) is resolved ONCE to its commit,
  which the lock file ``<cache>/hub/sources.lock.json`` records; later runs download that commit,
  so a branch moving on the hub changes nothing here.
- Files: those matching ``allow`` (config, weights, tokenizer files). When the repository has
  ``model.safetensors`` its ``.bin`` is not fetched.
- sha256 of every file in the lock file (trust on first use, like the other sources; a value in
  the config's ``sha256:`` map wins). A mismatch removes the file and stops, naming both hashes.
- A ``.bin``-only repository (the LM-adapt and T0 repositories' main branches) is converted once
  to ``model.safetensors`` with ``torch.load(weights_only=True)``: PyTorch's restricted unpickler,
  which builds tensors and plain containers only and runs no code. Nothing else reads the ``.bin``.
"""

from __future__ import annotations

import fnmatch
import re
import sys
from pathlib import Path

from hart.errors import HartError

COMMIT = re.compile(r"^[0-9a-f]{40}$")
WEIGHTS = "model.safetensors"
BIN = "pytorch_model.bin"


def _api(endpoint: str | None):
    from huggingface_hub import HfApi

    return HfApi(endpoint=endpoint)


def resolve(entry: dict, recorded: dict | None, endpoint: str | None) -> tuple[str, list[str]]:
    """(commit, files to fetch) for one model; from the lock when it already pins this revision."""
    if recorded and recorded.get("repo") == entry["repo"] and recorded.get("revision") == entry["revision"]:
        return recorded["commit"], sorted(recorded["files"])
    try:
        info = _api(endpoint).model_info(entry["repo"], revision=entry["revision"])
    except Exception as exc:  # huggingface_hub raises its own HTTP / offline errors
        raise HartError(f"data.sources.hub: cannot reach {entry['repo']}@{entry['revision']} on the hub "
                        f"({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}); run the "
                        "download on a host with internet (the login node)") from None
    commit = info.sha
    if COMMIT.match(entry["revision"]) and commit != entry["revision"]:
        raise HartError(f"data.sources.hub: {entry['repo']}: asked for commit {entry['revision']}, the hub answered {commit}")
    names = [s.rfilename for s in info.siblings or []]
    files = [n for n in names if any(fnmatch.fnmatch(n, pat) for pat in entry["allow"])]
    if WEIGHTS in files:
        files = [f for f in files if not f.endswith(".bin")]
    if WEIGHTS not in files and BIN not in files:
        raise HartError(f"data.sources.hub: {entry['repo']}@{commit} has neither {WEIGHTS} nor a single {BIN} "
                        f"(files: {names[:12]}); sharded checkpoints are not supported")
    return commit, sorted(files)


def download_model(entry: dict, root: Path, lock: dict, endpoint: str | None = None) -> Path:
    """Fetch one model into ``root/<name>/``, verify it, convert a .bin; updates ``lock[name]``."""
    from hart.data.download import sha256_file

    name = entry["name"]
    folder = root / name
    recorded = lock.get(name)
    commit, files = resolve(entry, recorded, endpoint)
    pinned = dict((recorded or {}).get("files", {}))
    pinned = {f: v["sha256"] for f, v in pinned.items()}
    pinned.update(entry.get("sha256") or {})
    verified = {}
    for filename in files:
        path = folder / filename
        if not path.is_file():
            _fetch(entry["repo"], filename, commit, folder, endpoint)
        got = sha256_file(path)
        want = pinned.get(filename)
        if want and got != want:
            path.unlink()
            raise HartError(f"{path}: sha256 mismatch for {entry['repo']}@{commit}/{filename}: expected {want}, "
                            f"got {got}; the file was removed")
        verified[filename] = {"sha256": got, "bytes": path.stat().st_size}
    record = {"repo": entry["repo"], "revision": entry["revision"], "commit": commit, "files": verified}
    if WEIGHTS not in files:
        record["converted"] = {WEIGHTS: convert_bin(folder / BIN, folder / WEIGHTS)}
    lock[name] = record
    print(f"{name}: {entry['repo']}@{commit}, {len(files)} file(s) verified in {folder}", file=sys.stderr)
    return folder


def _fetch(repo: str, filename: str, commit: str, folder: Path, endpoint: str | None) -> None:
    from huggingface_hub import hf_hub_download

    try:
        hf_hub_download(repo, filename, revision=commit, local_dir=folder, endpoint=endpoint)
    except Exception as exc:
        raise HartError(f"{repo}@{commit}/{filename}: download failed ({type(exc).__name__}: "
                        f"{str(exc).splitlines()[0] if str(exc) else ''}); rerun to resume") from None


def convert_bin(src: Path, dest: Path) -> str:
    """``pytorch_model.bin`` -> ``model.safetensors`` (once); returns the safetensors file's sha256.

    Tensors that share storage (T5's input embedding is also the encoder's and decoder's
    ``embed_tokens``) are written once under their first name; transformers ties the others on load.
    """
    import torch
    from hart.data.download import sha256_file
    from hart.io import atomic_path, save_safetensors

    if dest.is_file():
        return sha256_file(dest)
    try:
        state = torch.load(src, map_location="cpu", weights_only=True)  # restricted unpickler: no code runs
    except Exception as exc:
        raise HartError(f"{src}: not loadable with torch.load(weights_only=True) ({exc}); refusing to unpickle it "
                        "any other way") from None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise HartError(f"{src}: not a flat state dict of tensors")
    seen, tensors = set(), {}
    for key, value in state.items():
        ptr = (value.untyped_storage().data_ptr(), value.storage_offset(), tuple(value.shape))
        if ptr in seen:
            continue
        seen.add(ptr)
        tensors[key] = value.contiguous()
    with atomic_path(dest) as tmp:
        save_safetensors(tensors, tmp, {"format": "pt", "converted_from": BIN})
    return sha256_file(dest)


def download_hub(source: dict, root: Path, lock: dict, endpoint: str | None = None) -> dict:
    """Every model of ``data.sources.hub`` into ``root``; the lock is written after each model."""
    from hart.io import write_json
    from hart.data.download import LOCK_NAME

    allow = source.get("allow") or []
    for model in source["models"]:
        entry = {"allow": allow, **model}
        download_model(entry, root, lock, endpoint)
        write_json(root / LOCK_NAME, lock)
    return lock
