"""The CLI's error boundary: user mistakes become one line naming the culprit, bugs stay visible.

``HartError`` is raised by the pipeline itself with a message that names the file, key or value.
``describe`` turns any other exception that a user's input can cause (a path that is a folder, a
symlink loop, a full or read-only disk, non-UTF-8 text, corrupt JSON/YAML/safetensors) into such a
line too. Anything else is an internal error: one line with where it happened and a hint to rerun
with ``--debug`` (or ``HART_DEBUG=1``) for the traceback.
"""

from __future__ import annotations

import errno
import json
import os
import traceback
from pathlib import Path, PurePath

USER_ERROR = 2  # bad input or environment: the message says what to fix
INTERNAL_ERROR = 1  # a bug: the message says where, --debug shows the traceback
INTERRUPTED = 130

# names of locals that hold the file being read, searched innermost frame first
_PATH_NAMES = ("path", "file", "filename", "fname", "cfg_path", "meta_path", "weights", "src", "episodes")


class HartError(Exception):
    """A user-facing error: the message names the file, key or value at fault."""


def debug_requested() -> bool:
    return os.environ.get("HART_DEBUG", "") not in ("", "0", "false", "no")


def _culprit(exc: BaseException) -> str | None:
    """The file the failing code was working on: a path-like local of the innermost frame that has one."""
    frames = list(traceback.walk_tb(exc.__traceback__))
    for frame, _ in reversed(frames):
        for name in _PATH_NAMES:
            value = frame.f_locals.get(name)
            if isinstance(value, (str, PurePath)) and value and len(str(value)) < 4096:
                return str(value)
    return None


def _where(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return "?"
    f = frames[-1]
    parts = Path(f.filename).parts
    short = "/".join(parts[parts.index("hart"):]) if "hart" in parts else Path(f.filename).name
    return f"{short}:{f.lineno} in {f.name}"


def _oserror(exc: OSError) -> str:
    names = [str(n) for n in (exc.filename, exc.filename2) if n is not None]
    what = exc.strerror or str(exc)
    hint = {errno.ENOSPC: " (disk full)", errno.EROFS: " (read-only file system)",
            errno.ELOOP: " (symlink loop)", errno.EISDIR: " (a folder where a file is needed)",
            errno.ENOTDIR: " (a file where a folder is needed)"}.get(exc.errno, "")
    if not names:
        where = _culprit(exc)
        names = [where] if where else []
    if exc.errno == errno.EEXIST and names and Path(names[0]).exists() and not Path(names[0]).is_dir():
        hint = " (a file where a folder is needed)"  # mkdir on a file: "File exists" alone does not say so
    return (": ".join(names + [what]) if names else what) + hint


def describe(exc: BaseException) -> tuple[str, int]:
    """(one-line message, exit status) for an exception that reached the CLI."""
    if isinstance(exc, HartError):
        return str(exc), USER_ERROR
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted", INTERRUPTED
    if isinstance(exc, MemoryError):
        return "out of memory (an input too large, or an alias bomb in a YAML file?)", USER_ERROR
    if isinstance(exc, OSError):
        return _oserror(exc), USER_ERROR
    culprit = _culprit(exc)
    at = f"{culprit}: " if culprit else ""
    if isinstance(exc, UnicodeDecodeError):
        return f"{at}not UTF-8 text (byte {exc.object[exc.start:exc.start + 1]!r} at offset {exc.start})", USER_ERROR
    if isinstance(exc, json.JSONDecodeError):
        return f"{at}not valid JSON ({exc.msg}, line {exc.lineno} column {exc.colno})", USER_ERROR
    kind = type(exc).__name__
    if kind in ("SafetensorError", "HeaderTooLarge", "HeaderTooSmall") or type(exc).__module__.startswith("safetensors"):
        return f"{at}not a readable safetensors file ({exc})", USER_ERROR
    if type(exc).__module__.startswith("yaml"):
        return f"{at}not valid YAML ({str(exc).splitlines()[0] if str(exc) else kind})", USER_ERROR
    detail = str(exc).splitlines()[0] if str(exc) else ""
    return (f"internal error {kind}{': ' + detail if detail else ''} at {_where(exc)}"
            f"{' while reading ' + culprit if culprit else ''} (run with --debug for the traceback)", INTERNAL_ERROR)
