"""Safe extraction of a release archive (the S-NI GitHub tarball, the promptsource sdist).

Only members matching the configured patterns (``tasks/*.json``, ``splits/default/*``) are
extracted, after stripping the archive's top folders (``natural-instructions-2.8/``); a pattern
without wildcards names one file, which must be there. Every member is checked BEFORE anything is
written: an absolute path or a ``..`` component anywhere in the archive, or a link/device/FIFO
among the selected members, is a HartError naming the member, and nothing is extracted. Files
are written by reading member bytes ourselves (never ``TarFile.extract``), into a temporary folder
renamed into place at the end.
"""

from __future__ import annotations

import fnmatch
import json
import shutil
import tarfile
from pathlib import Path, PurePosixPath

from hart.errors import HartError
from hart.io import stage_dir

DONE_MARKER = ".extracted"


def _stripped(name: str, strip: int) -> str | None:
    parts = PurePosixPath(name).parts[strip:]
    return "/".join(parts) if parts else None


def _check_path(archive: Path, member: tarfile.TarInfo) -> None:
    name = member.name
    parts = PurePosixPath(name).parts
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":") or ".." in parts:
        raise HartError(
            f"{archive}: unsafe member {name!r} (absolute path or '..' would escape the target); "
            "nothing extracted"
        )


def _check_kind(archive: Path, member: tarfile.TarInfo) -> None:
    if member.issym() or member.islnk():
        raise HartError(
            f"{archive}: member {member.name!r} is a link (to {member.linkname!r}); "
            "links are not extracted; nothing extracted"
        )
    if not (member.isfile() or member.isdir()):
        raise HartError(f"{archive}: member {member.name!r} is a device or FIFO; nothing extracted")


def select_members(archive: Path, patterns: list[str], strip: int) -> list[tuple[tarfile.TarInfo, str]]:
    """Check every member; return the selected regular files with their stripped names."""
    selected = []
    try:
        with tarfile.open(archive, "r:*") as tar:
            for member in tar:
                _check_path(archive, member)
                rel = _stripped(member.name, strip)
                if rel is None or not any(fnmatch.fnmatchcase(rel, p) for p in patterns):
                    continue
                _check_kind(archive, member)
                if member.isfile():
                    selected.append((member, rel))
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise HartError(f"{archive}: not a readable tar archive: {exc}") from None
    if not selected:
        raise HartError(f"{archive}: no member matches {patterns} (after stripping {strip} folder)")
    found = {rel for _, rel in selected}
    missing = [p for p in patterns if not _is_glob(p) and p not in found]
    if missing:
        raise HartError(
            f"{archive}: {len(missing)} listed member(s) not in the archive (after stripping {strip} "
            f"folder): {', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''}; nothing extracted"
        )
    return selected


def _is_glob(pattern: str) -> bool:
    return any(c in pattern for c in "*?[")


def safe_extract(archive: Path, dest: Path, patterns: list[str], strip: int = 1) -> int:
    """Extract the selected members into ``dest`` (replaced atomically); return the file count."""
    archive, dest = Path(archive), Path(dest)
    wanted = {m.name: rel for m, rel in select_members(archive, patterns, strip)}
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = stage_dir(dest.parent, dest.name)
    try:
        with tarfile.open(archive, "r:*") as tar:
            for member in tar:
                rel = wanted.get(member.name)
                if rel is None or not member.isfile():
                    continue
                out = tmp / rel
                out.parent.mkdir(parents=True, exist_ok=True)
                with tar.extractfile(member) as src, open(out, "wb") as fh:
                    shutil.copyfileobj(src, fh)
        (tmp / DONE_MARKER).write_text(_marker(archive, patterns, strip))
        if dest.exists():
            shutil.rmtree(dest)
        tmp.rename(dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return len(wanted)


def _marker(archive: Path, patterns: list[str], strip: int) -> str:
    """What a finished extraction records: the archive's name and the member selection, so that a
    changed member list or strip count extracts again."""
    selection = {"archive": Path(archive).name, "members": list(patterns), "strip_components": strip}
    return json.dumps(selection) + "\n"


def extract_once(archive: Path, dest: Path, spec: dict) -> int:
    """Extract unless ``dest`` already holds a finished extraction of this archive with the same
    member selection."""
    patterns, strip = spec["members"], spec.get("strip_components", 1)
    marker = Path(dest) / DONE_MARKER
    if marker.exists() and marker.read_text() == _marker(archive, patterns, strip):
        return 0
    return safe_extract(archive, dest, patterns, strip)
