"""DVC over Snakemake, end to end in a throwaway git repository: `dvc repro` runs the tiny DAG
(with the stand-in `hart`), `dvc push` to a local remote, a fresh clone `dvc pull`s the same bytes,
and `dvc metrics show` / `dvc plots show` read the results."""

from __future__ import annotations

import filecmp
import json
import subprocess
from pathlib import Path

import pytest
from workflow_helpers import VENV_BIN

pytestmark = pytest.mark.slow

TRACKED = ["data", "results/train", "results/base", "results/evaluate", "results/configs",
           "results/plots", "results/fig1"]


def sh(cwd: Path, env: dict, *cmd: str, timeout: int = 600) -> str:
    run = subprocess.run(cmd, cwd=cwd, env=env, text=True, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, timeout=timeout)
    assert run.returncode == 0, f"{' '.join(cmd)} failed:\n{run.stdout[-3000:]}"
    return run.stdout


def tracked_files(root: Path) -> dict[str, Path]:
    """Files DVC versions: the stage outputs minus .dvcignore'd ones and DVC's own .gitignores."""
    out = {}
    for top in TRACKED:
        for path in sorted((root / top).rglob("*")):
            rel = path.relative_to(root).as_posix()
            if (path.is_file() and "/checkpoints/" not in rel and path.name != ".gitignore"
                    and not (rel.startswith("results/evaluate/") and rel.endswith(".predictions.jsonl"))):
                out[rel] = path
    tables = sorted((root / "results").glob("table*.*")) + sorted((root / "results").glob("fig*.p*")) + sorted((root / "results").glob("fig*.csv"))
    out.update({p.relative_to(root).as_posix(): p for p in tables})
    return out


def test_repro_push_clone_pull_round_trip(workdir, stand_in_env, tmp_path):
    """`.venv/bin/dvc repro` without an activated venv, `dvc push` to the default remote (inside
    the project), `workflow/pull.sh` (dvc pull + snakemake --touch) into a fresh clone: the same
    bytes, and there `dvc status` and `snakemake -n` both find nothing to do."""
    env = {**stand_in_env, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}
    # like `.venv/bin/dvc repro` with nothing activated: the venv's bin is not on PATH (only the
    # stand-in `hart`, git and the shell), and the project has its .venv
    bare = {**env, "PATH": f"{Path(env['PATH'].split(':')[0])}:/usr/bin:/bin"}
    (workdir / ".venv").symlink_to(VENV_BIN.parent)
    dvc, snakemake = str(VENV_BIN / "dvc"), str(VENV_BIN / "snakemake")
    git = ("git", "-c", "init.defaultBranch=main")
    sh(workdir, env, *git, "init", "-q")
    (workdir / ".dvc/.gitignore").write_text("/config.local\n/tmp\n/cache\n")
    sh(workdir, env, "git", "add", "-A")
    sh(workdir, env, "git", "commit", "-qm", "workflow")

    sh(workdir, bare, dvc, "repro")
    assert "up to date" in sh(workdir, env, dvc, "status")
    assert (workdir / "results/table2.csv").is_file() and (workdir / "dvc.lock").is_file()
    sh(workdir, env, dvc, "push")  # the default remote: .dvc-storage/ in the project
    assert any((workdir / ".dvc-storage").rglob("*")) and ".dvc-storage" not in sh(workdir, env, "git", "status", "--short")
    sh(workdir, env, "git", "add", "-A")
    sh(workdir, env, "git", "commit", "-qm", "results")

    clone = tmp_path / "clone"
    sh(tmp_path, env, "git", "clone", "-q", str(workdir), str(clone))
    sh(clone, env, dvc, "remote", "modify", "--local", "local", "url", str(workdir / ".dvc-storage"))
    sh(clone, env, "workflow/pull.sh")  # dvc pull + snakemake --touch once dvc status is clean
    ours, theirs = tracked_files(workdir), tracked_files(clone)
    assert len(ours) > 50 and ours.keys() == theirs.keys()
    for rel, path in ours.items():
        assert filecmp.cmp(path, theirs[rel], shallow=False), rel
    assert "up to date" in sh(clone, env, dvc, "status")
    dry = sh(clone, env, snakemake, "-n")
    assert "Nothing to be done" in dry, dry[-3000:]

    metrics = sh(clone, env, dvc, "metrics", "show")
    assert "results/evaluate/suite-sni/tiny/hart/seed0.json" in metrics and ".config.json" not in metrics
    plots = sh(clone, env, dvc, "plots", "show", "--json")
    data = json.loads(plots[plots.index("{"):])["data"]
    assert sorted(data) == ["fig3", "fig4"], plots[:2000]  # one comparison plot per figure
    fig4 = json.dumps(data["fig4"])
    assert "p3-nocst" in fig4 and "p3-cst" in fig4, fig4[:2000]  # the two methods, side by side
