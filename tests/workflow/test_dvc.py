"""DVC over Snakemake, end to end in a throwaway git repository: `dvc repro` runs the tiny DAG
(with the stand-in `hart`), `dvc push` to a local remote, a fresh clone `dvc pull`s the same bytes,
and `dvc metrics show` / `dvc plots show` read the results."""

from __future__ import annotations

import filecmp
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

TRACKED = ["data", "results/train", "results/base", "results/evaluate", "results/plots",
           "results/fig1"]


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
                    and not (rel.startswith("results/evaluate/")
                             and rel.endswith((".config.json", ".predictions.jsonl")))):
                out[rel] = path
    tables = sorted((root / "results").glob("table*.*")) + sorted((root / "results").glob("fig*.p*"))
    out.update({p.relative_to(root).as_posix(): p for p in tables})
    return out


def test_repro_push_clone_pull_round_trip(workdir, stand_in_env, tmp_path):
    env = {**stand_in_env, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}
    remote = tmp_path / "remote"
    git = ("git", "-c", "init.defaultBranch=main")
    sh(workdir, env, *git, "init", "-q")
    (workdir / ".dvc/.gitignore").write_text("/config.local\n/tmp\n/cache\n")
    sh(workdir, env, "dvc", "remote", "modify", "--local", "local", "url", str(remote))
    sh(workdir, env, "git", "add", "-A")
    sh(workdir, env, "git", "commit", "-qm", "workflow")

    sh(workdir, env, "dvc", "repro")
    assert "up to date" in sh(workdir, env, "dvc", "status")
    assert (workdir / "results/table2.csv").is_file() and (workdir / "dvc.lock").is_file()
    sh(workdir, env, "dvc", "push")
    sh(workdir, env, "git", "add", "-A")
    sh(workdir, env, "git", "commit", "-qm", "results")

    clone = tmp_path / "clone"
    sh(tmp_path, env, "git", "clone", "-q", str(workdir), str(clone))
    sh(clone, env, "dvc", "remote", "modify", "--local", "local", "url", str(remote))
    sh(clone, env, "dvc", "pull")
    ours, theirs = tracked_files(workdir), tracked_files(clone)
    assert len(ours) > 50 and ours.keys() == theirs.keys()
    for rel, path in ours.items():
        assert filecmp.cmp(path, theirs[rel], shallow=False), rel
    assert "up to date" in sh(clone, env, "dvc", "status")

    metrics = sh(clone, env, "dvc", "metrics", "show")
    assert "results/evaluate/suite-sni/tiny/hart/seed0.json" in metrics and ".config.json" not in metrics
    plots = sh(clone, env, "dvc", "plots", "show", "-o", str(tmp_path / "plots"))
    assert (tmp_path / "plots/index.html").is_file(), plots
    assert "results/plots/suite-p3/tiny/hart/seed0.csv" in (tmp_path / "plots/index.html").read_text()
