"""dvc.yaml agrees with the Snakemake workflow and dvc.lock is current (fast checks; the slow round
trip is test_dvc.py): every file that changes a result is a dependency of the stage that uses it,
the same code paths Snakemake hashes into its rule params (common.smk STAGE_CODE), and `dvc status`
finds no code, config or command change that dvc.lock does not record."""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
# Files under src/hart and config/ that change no result of the pipeline: `hart plan` (estimates),
# `hart adapt` (a user-facing command no rule runs).
NO_RESULT = {"src/hart/plan.py", "src/hart/adapt.py", "src/hart/py.typed",
             "config/study.yaml"}  # the params study's grid: its targets are not DVC stages (docs/study.md)


def stage_code() -> dict[str, list[str]]:
    """STAGE_CODE of workflow/rules/common.smk (a plain Python file: its assignments are run)."""
    tree = ast.parse((REPO / "workflow/rules/common.smk").read_text())
    names = {"_COMMON_CODE", "STAGE_CODE"}
    scope: dict = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and {getattr(t, "id", None) for t in node.targets} & names:
            exec(compile(ast.Module([node], []), "common.smk", "exec"), scope)
    return scope["STAGE_CODE"]


def dvc_stages() -> dict:
    return yaml.safe_load((REPO / "dvc.yaml").read_text())["stages"]


def test_each_stage_depends_on_the_code_snakemake_hashes_for_it():
    stages = dvc_stages()
    for stage, paths in stage_code().items():
        missing = [p for p in paths if p not in stages[stage]["deps"]]
        assert not missing, f"dvc.yaml stage {stage}: deps lack {missing} (common.smk STAGE_CODE)"


def test_every_file_that_changes_a_result_is_a_dependency():
    deps = {d for s in dvc_stages().values() for d in s["deps"]}
    tracked = subprocess.run(["git", "ls-files", "src/hart", "config"], cwd=REPO, text=True,
                             capture_output=True, check=True).stdout.split()
    uncovered = [f for f in tracked if f not in NO_RESULT
                 and not any(f == d or f.startswith(d.rstrip("/") + "/") for d in deps)]
    assert not uncovered, f"no dvc.yaml stage depends on {uncovered}"


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_dvc_lock_records_the_current_code_config_and_commands():
    """dvc.lock is stale when `dvc status` reports a changed command or a changed dependency that
    is not another stage's output (data/ and results/ are local state, absent in a fresh clone)."""
    outs = {next(iter(o)) if isinstance(o, dict) else o for s in dvc_stages().values() for o in s.get("outs", [])}
    dvc = Path(sys.executable).parent / "dvc"
    env = {**os.environ, "PATH": f"{dvc.parent}:{os.environ.get('PATH', '')}"}
    run = subprocess.run([str(dvc), "status", "--json"], cwd=REPO, env=env, text=True, capture_output=True,
                         timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    stale = []
    for stage, changes in json.loads(run.stdout or "{}").items():
        for change in changes:
            if change == "changed command":
                stale.append(f"{stage}: command")
            elif isinstance(change, dict):
                stale += [f"{stage}: {path} {what}" for path, what in change.get("changed deps", {}).items()
                          if path not in outs]
    assert not stale, ("dvc.lock is stale (regenerate: `snakemake --cores all && dvc commit -f`, or"
                       f" `dvc repro`): {stale}")
