"""Helpers for workflow tests: run Snakemake and read its dry-run output."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

VENV_BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parents[2]
# what a copy needs to run the workflow (the package itself is imported from the checkout)
COPY = ["Snakefile", "workflow", "config", "slurm", ".ci", "dvc.yaml", ".dvcignore", ".dvc/config",
        ".gitignore", "src"]


def copy_workflow(dst: Path) -> Path:
    """A copy of the workflow files of this checkout at `dst` (tests edit config and run jobs there)."""
    dst.mkdir(parents=True)
    for name in COPY:
        src = REPO / name
        if src.is_dir():
            shutil.copytree(src, dst / name, ignore=shutil.ignore_patterns("__pycache__"))
        elif src.is_file():
            (dst / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst / name)
    return dst


def snakemake(cwd: Path, *args: str, env: dict | None = None, timeout: int = 300):
    """Run snakemake in `cwd`; returns the CompletedProcess (stdout and stderr together)."""
    env = env or {**os.environ, "PATH": f"{VENV_BIN}:{os.environ.get('PATH', '')}"}
    return subprocess.run([str(VENV_BIN / "snakemake"), *args], cwd=cwd, env=env, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout)


def job_stats(output: str) -> dict[str, int]:
    """The `Job stats` table of a Snakemake run or dry run: rule -> job count."""
    lines = output.splitlines()
    if "Job stats:" not in lines:  # "Nothing to be done"
        return {}
    start = lines.index("Job stats:") + 3  # header, rule line
    stats = {}
    for line in lines[start:]:
        parts = line.split()
        if len(parts) != 2 or not parts[1].isdigit():
            break
        stats[parts[0]] = int(parts[1])
    return stats


def planned_jobs(output: str) -> list[dict]:
    """Each job block of a dry run: rule, wildcards and resources as dicts."""
    jobs, job = [], None
    for line in output.splitlines():
        s = line.strip()
        if s.startswith(("rule ", "localrule ")) and s.endswith(":"):
            job = {"rule": s.split()[1].rstrip(":"), "wildcards": {}, "resources": {}}
            jobs.append(job)
        elif job is not None and s.startswith(("wildcards:", "resources:")):
            key, _, rest = s.partition(": ")
            job[key] = dict(kv.split("=", 1) for kv in rest.split(", ") if "=" in kv)
    return jobs
