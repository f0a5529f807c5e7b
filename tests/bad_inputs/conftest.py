"""Shared by the adversarial suite: ``runs``, the trained tiny runs of tests/conftest.py (read-only),
and ``expect``, the one assertion.

``expect(argv, needles, watch)`` runs the real CLI in-process and checks, for every case:
(1) the exit status (2 for a user error, argparse's 2 for a bad option), (2) exactly one ``error:``
line on stderr, no traceback, naming the culprit (every needle appears), (3) nothing under the
watched paths was created, changed or left behind (temporary files and lock files included).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hart.cli import main


def snapshot(path: Path):
    """Bytes of a file, {relative name: bytes} of a folder (recursively, hidden files too), or None."""
    path = Path(path)
    if path.is_file():
        return path.read_bytes()
    if path.is_dir():
        return {str(p.relative_to(path)): (p.read_bytes() if p.is_file() else None) for p in sorted(path.rglob("*"))}
    return None


@pytest.fixture
def expect(capsys):
    def run(argv, needles, watch=(), status=2):
        watch = [Path(w) for w in watch]
        before = {w: snapshot(w) for w in watch}
        try:
            rc = main([str(a) for a in argv])
        except SystemExit as exc:  # argparse usage errors
            rc = exc.code
        err = capsys.readouterr().err
        assert rc == status, (rc, err)
        assert "Traceback" not in err, err
        errors = [line for line in err.splitlines() if "error:" in line]
        assert len(errors) == 1, err
        for needle in needles:
            assert str(needle) in err, (needle, err)
        for w in watch:
            assert snapshot(w) == before[w], f"{w} changed or output left behind"
        return err
    return run


@pytest.fixture(scope="session")
def runs(trained_runs):
    """The session's trained tiny runs (tests/conftest.py), never modified here (copy with ``copy_run``)."""
    return trained_runs
