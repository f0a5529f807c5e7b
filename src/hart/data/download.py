"""Pinned, checksummed, resumable downloads into a cache (`hart data download`).

Each source in ``data.sources.<name>`` of the config lists files with a URL pattern, a pinned
revision and a sha256. A file is fetched to ``<name>.part`` (resumed with an HTTP ``Range`` request
when a ``.part`` is already there), hashed, and renamed into place only when the hash matches.

``sha256: null`` means "trust on first use": the hash of the first complete download is recorded
in ``<cache>/<source>/sources.lock.json`` and every later download or cache hit is verified
against it. A pinned value in the config always wins; see docs/data.md. A mismatch is a HartError
naming the file and both hashes, and leaves nothing behind (the ``.part`` is removed).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
import urllib.error
import urllib.request
from pathlib import Path, PurePosixPath

from hart.errors import HartError
from hart.io import write_json

LOCK_NAME = "sources.lock.json"
CHUNK = 1 << 20
# T5 weights: we never unpickle, so only these file kinds may be downloaded (PROTOCOL.md, Models)
SAFE_MODEL_SUFFIXES = (".safetensors", ".json", ".model", ".txt")


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(CHUNK), b""):
            h.update(block)
    return h.hexdigest()


def file_url(source: dict, entry: dict) -> str:
    """Fill the entry's (else the source's) URL pattern with the entry's repo, revision and remote path."""
    fields = {
        "repo": entry.get("repo", source.get("repo", "")),
        "revision": entry.get("revision", source.get("revision", "")),
        "path": entry["path"],
    }
    return entry.get("url", source["url"]).format(**fields)


def local_name(entry: dict) -> str:
    """Where the file lands under ``<cache>/<source>/``; relative, no ``..`` (checked)."""
    name = entry.get("name") or entry["path"]
    parts = PurePosixPath(name).parts
    if name.startswith("/") or ".." in parts or not parts:
        raise HartError(f"download: file name {name!r} must be a relative path without '..'")
    return name


def _open(url: str, offset: int):
    request = urllib.request.Request(url, headers={"User-Agent": "hart-repro"})
    if offset:
        request.add_header("Range", f"bytes={offset}-")
    try:
        return urllib.request.urlopen(request, timeout=60)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and offset:  # the .part is already complete (or longer): start again
            return None
        raise HartError(f"{url}: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise HartError(f"{url}: cannot download: {exc}") from None


def fetch(url: str, part: Path) -> None:
    """Download ``url`` into ``part``, resuming from its current size when the server honours
    ``Range`` (HTTP 206); a server that answers 200 instead makes us start from byte 0."""
    part.parent.mkdir(parents=True, exist_ok=True)
    offset = part.stat().st_size if part.exists() else 0
    response = _open(url, offset)
    if response is None:
        part.unlink()
        offset, response = 0, _open(url, 0)
    with response:
        resumed = offset and getattr(response, "status", None) == 206
        try:
            with open(part, "ab" if resumed else "wb") as out:
                shutil.copyfileobj(response, out, CHUNK)
        except OSError as exc:  # the .part stays: the next run resumes it
            raise HartError(f"{url}: download interrupted ({exc}); rerun to resume {part}") from None


def _expected(entry: dict, lock: dict, name: str) -> str | None:
    return entry.get("sha256") or lock.get(name, {}).get("sha256")


def _mismatch(name: str, url: str, want: str, got: str) -> HartError:
    return HartError(
        f"{name}: sha256 mismatch for {url}: expected {want}, got {got}; nothing was written"
    )


def download_file(source: dict, entry: dict, root: Path, lock: dict) -> str:
    """Fetch one file into ``root``; return 'cached' or 'downloaded'. Updates ``lock``."""
    name = local_name(entry)
    url = file_url(source, entry)
    dest = root / name
    want = _expected(entry, lock, name)
    if dest.exists():
        got = sha256_file(dest)
        if want and got != want:
            raise _mismatch(str(dest), url, want, got)
        lock[name] = {"url": url, "sha256": got, "bytes": dest.stat().st_size}
        return "cached"
    part = dest.with_name(dest.name + ".part")
    fetch(url, part)
    got = sha256_file(part)
    if want and got != want:
        part.unlink(missing_ok=True)
        raise _mismatch(str(dest), url, want, got)
    part.replace(dest)
    lock[name] = {"url": url, "sha256": got, "bytes": dest.stat().st_size}
    return "downloaded"


def check_model_files(name: str, source: dict) -> None:
    """T5 checkpoints: only safetensors weights (and small text/JSON files) are accepted."""
    for entry in source["files"]:
        if not local_name(entry).endswith(SAFE_MODEL_SUFFIXES):
            raise HartError(
                f"data.sources.{name}: file {local_name(entry)!r} is not safetensors/JSON; "
                "pickled checkpoints (.bin, .pt, .ckpt) are never loaded"
            )


def read_lock(root: Path) -> dict:
    path = root / LOCK_NAME
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise HartError(f"{path}: not valid JSON: {exc}") from None


def download_source(config: dict, name: str, cache: Path) -> dict:
    """Download every file of ``data.sources.<name>`` into ``<cache>/<name>/``; extract archives.

    Returns the lock mapping (local name -> url, sha256, bytes).
    """
    sources = config.get("data", {}).get("sources", {})
    if name not in sources:
        raise HartError(f"config: no data.sources.{name} (known: {', '.join(sorted(sources))})")
    source = sources[name]
    root = Path(cache) / name
    if "models" in source:  # pretrained weights through huggingface_hub (hart.data.hub)
        import os

        from hart.data.hub import download_hub

        return download_hub(source, root, read_lock(root), os.environ.get("HF_ENDPOINT"))
    if source.get("weights_only_safetensors"):
        check_model_files(name, source)
    lock = read_lock(root)
    for entry in source["files"]:
        state = download_file(source, entry, root, lock)
        write_json(root / LOCK_NAME, lock)  # after each file: a crash keeps what was verified
        print(f"{state}: {root / local_name(entry)}", file=sys.stderr)
        if "extract" in entry:
            from hart.data.archive import extract_once

            extract_once(root / local_name(entry), root / entry["extract"]["into"], entry["extract"])
    return lock
