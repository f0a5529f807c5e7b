"""The Snakefile and rule files are snakefmt-clean (settings: pyproject.toml [tool.snakefmt])."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_rule_files_are_snakefmt_clean():
    snakefmt = Path(sys.executable).parent / "snakefmt"
    assert snakefmt.is_file(), f"{snakefmt}: not installed (it is in requirements/lock.txt: rerun workflow/setup.sh)"
    files = ["Snakefile", *sorted(str(p.relative_to(REPO)) for p in (REPO / "workflow/rules").glob("*.smk"))]
    run = subprocess.run([str(snakefmt), "--check", *files], cwd=REPO, text=True, capture_output=True, timeout=120)
    assert run.returncode == 0, f"run `snakefmt Snakefile workflow/rules`:\n{run.stdout}{run.stderr}"
