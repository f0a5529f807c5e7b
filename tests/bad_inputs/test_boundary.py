"""The CLI's error boundary: one line for a user mistake, a visible one-line bug report, --debug for tracebacks."""

from __future__ import annotations

import subprocess
import sys

import pytest

from hart.cli import main
from hart.errors import HartError


def test_debug_flag_shows_the_traceback(tmp_path):
    with pytest.raises(HartError, match="config file not found"):
        main(["--debug", "train", "--config", str(tmp_path / "none.yaml"), "--out", str(tmp_path / "o")])


def test_debug_environment_variable(tmp_path, monkeypatch):
    monkeypatch.setenv("HART_DEBUG", "1")
    with pytest.raises(HartError):
        main(["train", "--config", str(tmp_path / "none.yaml"), "--out", str(tmp_path / "o")])


def test_internal_error_is_one_line_with_where_and_a_hint(tmp_path, monkeypatch, expect):
    """A bug (here a TypeError inside plan) exits 1 with one line naming the exception and the place."""
    from hart import plan

    def broken(*a, **k):
        return None + 1
    monkeypatch.setattr(plan, "plan", broken)
    err = expect(["plan", "--scale", "tiny", "--target", "table2"],
                 ["internal error TypeError", "test_boundary.py:", "in broken", "--debug"], status=1)
    assert len(err.strip().splitlines()) == 1


def test_os_error_names_the_file(tmp_path, monkeypatch, expect):
    """An OSError from deep inside (here: permission denied on a result) names its file."""
    import errno
    import os
    from pathlib import Path

    real = Path.read_text

    def deny(self, *a, **k):
        if self.name == "r0.json":
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self))
        return real(self, *a, **k)
    (tmp_path / "r0.json").write_text("{}")
    monkeypatch.setattr(Path, "read_text", deny)
    expect(["report", "table", "--name", "table2", "--results", tmp_path / "r0.json", "--out", tmp_path / "out" / "t"],
           ["r0.json", "Permission denied"], watch=[tmp_path / "out"])


def test_real_process_prints_one_line_and_no_traceback(tmp_path):
    """Through the console entry point (a subprocess): exit 2, one line on stderr."""
    (tmp_path / "cfg.yaml").write_text("train: {steps: 1}\ntrain: {steps: 2}\n")
    proc = subprocess.run([sys.executable, "-m", "hart.cli", "train", "--config", str(tmp_path / "cfg.yaml"),
                           "--out", str(tmp_path / "out")], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [f"hart train: error: {tmp_path / 'cfg.yaml'}: duplicate key 'train' "
                                                "(line 2, first on line 1)"]
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("text, value", [("5e-05", 5e-05), ("1e-4", 1e-4), ("3E+2", 300.0), ("2.5e-3", 2.5e-3),
                                         ("-1e-2", -0.01), ("0.5", 0.5)])
def test_exponent_floats_are_numbers_not_strings(tmp_path, text, value):
    """`lr: 1e-4` in YAML, or 5e-05 as json.dumps writes it, is a float (PyYAML alone reads a string,
    which the schema then refused: benchmarks/gpu_check.py's JSON configs all failed this way)."""
    from hart.config import load_yaml

    (tmp_path / "c.yaml").write_text(f"train: {{lr: {text}, steps: 10}}\nname: '1e-4'\n")
    data = load_yaml(tmp_path / "c.yaml")
    assert isinstance(data["train"]["lr"], float) and data["train"]["lr"] == value
    assert data["train"]["steps"] == 10 and data["name"] == "1e-4"  # ints and quoted strings unchanged
    import yaml

    assert yaml.safe_load("x: 1e-4")["x"] == "1e-4"  # the global SafeLoader is left as it was
