"""Fixtures for workflow tests: a throwaway copy of the checkout and a stand-in `hart` on PATH."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from workflow_helpers import copy_workflow

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A copy of the workflow files of this checkout: tests edit config and run jobs there."""
    return copy_workflow(tmp_path / "repo")


@pytest.fixture
def stand_in_env(tmp_path: Path) -> dict:
    """Environment whose `hart` is tests/workflow/stand_in_hart.py (writes declared outputs)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "hart"
    script.write_text(f'#!/bin/sh\nexec {sys.executable} {Path(__file__).parent / "stand_in_hart.py"} "$@"\n')
    script.chmod(0o755)
    env = dict(os.environ)
    env["PATH"] = f"{bin_dir}:{VENV_BIN}:{env.get('PATH', '')}"
    return env
