"""File I/O with no partial outputs: atomic writes, repairable append-only logs, run-folder locks.

Writes go to a temporary sibling, are fsynced and renamed into place. Append-only JSONL files
(``train_log.jsonl``) may end in a torn line after a kill or a full disk: ``repair_jsonl_tail``
cuts it off before the next append. ``RunLock`` makes a second writer of the same folder fail
with a clear message instead of interleaving its records with the first one's.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import shutil
import struct
import tempfile
from contextlib import contextmanager
from glob import escape as glob_escape
from pathlib import Path

from hart.errors import HartError


def save_safetensors(tensors: dict, path: str | Path, metadata: dict | None = None) -> None:
    """``safetensors.torch.save_file``, then the header rewritten in one canonical order, so that the same
    tensors and metadata give the same bytes in every process.

    The Rust writer keeps ``__metadata__`` in a hash map whose order is randomised per process, so
    otherwise the file's sha256 (run manifests, DVC's output hashes) changed on every rerun of a
    bit-identical model. The canonical header is the same JSON with its keys reordered (metadata
    first, sorted; tensors by data offset), hence the same length: the data offsets stay valid.
    """
    from safetensors.torch import save_file

    save_file(tensors, str(path), metadata={k: str(v) for k, v in (metadata or {}).items()} or None)
    canonicalise_safetensors_header(path)


def canonicalise_safetensors_header(path: str | Path) -> None:
    with open(path, "r+b") as fh:
        (size,) = struct.unpack("<Q", fh.read(8))
        header = json.loads(fh.read(size))
        canon = {}
        if "__metadata__" in header:
            canon["__metadata__"] = dict(sorted(header.pop("__metadata__").items()))
        canon.update(sorted(header.items(), key=lambda kv: (kv[1]["data_offsets"], kv[0])))
        raw = json.dumps(canon, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        if len(raw) > size:  # cannot happen for a header safetensors wrote; never write a corrupt file
            raise HartError(f"{path}: canonical safetensors header longer than the written one")
        fh.seek(8)
        fh.write(raw + b" " * (size - len(raw)))


def _temp_beside(path: Path) -> tuple[int, str]:
    """mkstemp ``.<name>.<pid>.<random>.tmp`` beside ``path``, after removing the temporaries of earlier
    writers of the same file whose process died mid-write (kill -9): none is left in an output folder."""
    for old in path.parent.glob(f".{glob_escape(path.name)}.*.tmp"):
        pid = old.name[len(path.name) + 2:].split(".", 1)[0]
        if pid.isdigit() and not pid_alive(int(pid)) and old.is_file():
            old.unlink(missing_ok=True)
    return tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent)


@contextmanager
def atomic_path(path: str | Path):
    """Yield a temporary path in the same folder; on success it replaces ``path`` atomically."""
    path = Path(path)
    if path.is_dir():
        raise HartError(f"{path}: is a folder; an output file is needed here")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = _temp_beside(path)
    os.close(fd)
    try:
        yield Path(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; outputs follow the umask like open() would
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text(path: str | Path, text: str) -> None:
    with atomic_path(path) as tmp:
        Path(tmp).write_text(text, encoding="utf-8")


def write_json(path: str | Path, obj) -> None:
    """Atomic JSON; NaN and infinities are refused (they are not JSON, and a NaN score is no result)."""
    try:
        text = json.dumps(obj, indent=2, sort_keys=True, allow_nan=False)
    except ValueError as exc:
        raise HartError(f"{path}: refusing to write a non-finite number (NaN or infinity): {exc}") from None
    write_text(path, text + "\n")


def write_together(files: dict) -> None:
    """Write several files all or nothing: ``{path: str | bytes}``, each staged and fsynced beside its
    target, then renamed in order; if a rename fails, the files already renamed are removed again
    (a reader never sees a new file without its companions, e.g. predictions without their result)."""
    staged: list[tuple[Path, Path]] = []
    created: list[Path] = []  # folders made here, removed again (when empty) on failure
    try:
        for path, content in files.items():
            path = Path(path)
            if path.is_dir():
                raise HartError(f"{path}: is a folder; an output file is needed here")
            created += [d for d in [path.parent, *path.parent.parents] if not d.exists()]
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = _temp_beside(path)
            staged.append((Path(tmp), path))
            with os.fdopen(fd, "wb") as fh:
                fh.write(content.encode("utf-8") if isinstance(content, str) else content)
                fh.flush()
                os.fsync(fh.fileno())
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
    except BaseException:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        _remove_empty(created)
        raise
    done: list[Path] = []
    try:
        for tmp, path in staged:
            fault_point("write_together")
            os.replace(tmp, path)
            done.append(path)
    except BaseException:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        for path in done:
            path.unlink(missing_ok=True)
        _remove_empty(created)
        raise


def _remove_empty(folders: list[Path]) -> None:
    for folder in sorted(set(folders), key=lambda p: len(p.parts), reverse=True):  # deepest first
        try:
            folder.rmdir()
        except OSError:
            pass


def read_text(path: str | Path, what: str = "file") -> str:
    """UTF-8 text of a file; a missing file, a folder or non-UTF-8 bytes are errors naming the path."""
    path = Path(path)
    if path.is_dir():
        raise HartError(f"{path}: is a folder, expected a {what}")
    if not path.is_file():
        raise HartError(f"{path}: {what} not found")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise HartError(f"{path}: not UTF-8 text (byte offset {exc.start})") from None


def read_json(path: str | Path, what: str = "file"):
    """A JSON document; errors name the file and the position."""
    try:
        return json.loads(read_text(path, what))
    except json.JSONDecodeError as exc:
        raise HartError(f"{path}: not valid JSON ({exc.msg}, line {exc.lineno})") from None


def iter_jsonl(path: str | Path, what: str = "file"):
    """Yield ``(line_number, object)`` of a JSONL file; errors name the file (and line)."""
    path = Path(path)
    if path.is_dir():
        raise HartError(f"{path}: is a folder, expected a {what} (JSONL)")
    if not path.is_file():
        raise HartError(f"{path}: {what} not found")
    with path.open("rb") as fh:  # decoded line by line so that an error names the line
        for lineno, raw in enumerate(fh, start=1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise HartError(f"{path}:{lineno}: not UTF-8 text (byte {exc.start + 1} of the line)") from None
            if not line.strip():
                continue
            try:
                yield lineno, json.loads(line)
            except json.JSONDecodeError as exc:
                raise HartError(f"{path}:{lineno}: not valid JSON ({exc.msg})") from None


def repair_jsonl_tail(path: str | Path) -> int:
    """Cut a torn last line (no newline, or not JSON) off an append-only JSONL file; returns bytes cut.

    A kill or a full disk during an append leaves at most one partial record at the end; every
    earlier line was complete when the next append began, so only the tail needs checking.
    """
    path = Path(path)
    if not path.is_file():
        return 0
    data = path.read_bytes()
    if not data:
        return 0
    keep = len(data)
    if not data.endswith(b"\n"):
        keep = data.rfind(b"\n") + 1
    else:
        start = data.rfind(b"\n", 0, len(data) - 1) + 1
        try:
            json.loads(data[start:].decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            keep = start
    if keep == len(data):
        return 0
    with open(path, "r+b") as fh:
        fh.truncate(keep)
        os.fsync(fh.fileno())
    return len(data) - keep


def append_jsonl(path: str | Path, record: dict) -> None:
    """Append one record as one write + fsync, so a kill leaves at most a torn tail (repaired on resume)."""
    line = (json.dumps(record, sort_keys=True) + "\n").encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
    try:
        half = len(line) // 2
        os.write(fd, line[:half])
        fault_point("log_append")  # a kill here leaves the torn tail that resume repairs
        os.write(fd, line[half:])
        os.fsync(fd)
    finally:
        os.close(fd)


class RunLock:
    """An exclusive ``fcntl`` lock held while a process writes ``target`` (a run folder or a result file).

    The lock file is the hidden sibling ``.<name>.lock``, outside the output itself, so a refused
    run creates nothing in it. The kernel drops the lock when the process dies (kill -9 included), so
    a stale lock file never blocks a resume; only a live second writer is refused. The file is
    removed on exit; acquiring re-checks that the locked inode is still the one at the path, so a
    writer that raced with that removal cannot hold a lock on a deleted file.
    """

    def __init__(self, target: str | Path, command: str, rank: int = 0) -> None:
        # Under a launcher every rank of ONE job writes the same run folder: each rank takes its own
        # lock file, so the ranks of one job never refuse each other while a second job's ranks are refused.
        target = Path(target)
        name = f".{target.name}.lock" if rank == 0 else f".{target.name}.rank{rank}.lock"
        self.path, self.target, self.command, self.fd = target.parent / name, target, command, None
        self.created: Path | None = None

    def __enter__(self) -> "RunLock":
        missing = [d for d in [self.target, *self.target.parents] if not d.exists()]
        self.created = missing[-1] if missing else None  # removed again on exit if the run left it empty
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for _ in range(10):
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                os.close(fd)
                if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    raise
                try:
                    holder = self.path.read_text().strip() or "another process"
                except OSError:
                    holder = "another process"
                raise HartError(f"{self.target}: in use by {holder} (lock {self.path}); wait for it to finish, "
                                "two writers would interleave their outputs") from None
            try:
                same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                self.fd = fd
                os.ftruncate(fd, 0)
                os.write(fd, f"`hart {self.command}` (pid {os.getpid()})\n".encode())
                return self
            os.close(fd)  # the holder removed the file between our open and our lock: take the new one
        raise HartError(f"{self.path}: could not acquire the lock")

    def __exit__(self, *exc) -> None:
        if self.fd is not None:
            self.path.unlink(missing_ok=True)  # while still locked: a waiter re-checks the inode
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None
        if self.created is not None:  # a failed run leaves no empty output folders behind
            folder = self.target
            while True:
                if folder.is_dir():
                    try:
                        folder.rmdir()  # only an empty one
                    except OSError:
                        break
                elif folder.exists():
                    break
                if folder == self.created:
                    break
                folder = folder.parent


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's live process
    return True


def stage_dir(parent: str | Path, name: str) -> Path:
    """A new private folder ``<parent>/.<name>.<pid>.<random>`` to build an output in before renaming it
    into place. Stages of earlier builds whose process is dead (kill -9, power loss) are removed
    first, and so are pid-less ``.<name>.<random>`` stages of older code: an interrupted build never
    leaves a hidden folder (inside a DVC-tracked output) that no later run removes."""
    parent = Path(parent)
    for old in parent.glob(f".{name}.*"):
        rest = old.name[len(name) + 2:]
        pid, _, tail = rest.partition(".")
        stale = (pid.isdigit() and tail and not pid_alive(int(pid))) or (not tail and len(rest) == 8)
        if stale and old.is_dir() and not old.is_symlink():
            shutil.rmtree(old, ignore_errors=True)
    parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{name}.{os.getpid()}.", dir=parent))


_FAULT_COUNTS: dict[str, int] = {}


def fault_point(name: str) -> None:
    """Test hook: ``HART_FAULT=<name>:<n>`` kills this process (SIGKILL) the n-th time ``name`` is reached.

    Lets the reliability test kill a run at a precise point (mid log append, mid checkpoint write)
    instead of at a random time; a no-op unless the variable is set.
    """
    spec = os.environ.get("HART_FAULT")
    if not spec or not spec.startswith(name + ":"):
        return
    _FAULT_COUNTS[name] = _FAULT_COUNTS.get(name, 0) + 1
    if _FAULT_COUNTS[name] == int(spec.split(":", 1)[1]):
        import signal

        os.kill(os.getpid(), signal.SIGKILL)
