"""The real DAG through `--profile slurm` on a single-node SLURM (.ci/slurm-up.sh), with the
stand-in `hart`: the profile resolves from the working directory, jobs go through sbatch, and
the run ends (squeue status checks) instead of hanging."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from workflow_helpers import VENV_BIN

pytestmark = pytest.mark.slow


@pytest.fixture
def slurm(workdir, tmp_path):
    if os.geteuid() != 0 or not (shutil.which("slurmctld") or shutil.which("apt-get")):
        pytest.skip("needs root and Debian slurm-wlm (or apt-get to install it)")
    scratch = tmp_path / "slurm"
    up = subprocess.run([str(workdir / ".ci/slurm-up.sh"), str(scratch)], text=True,
                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)
    assert up.returncode == 0, up.stdout
    yield scratch
    subprocess.run([str(workdir / ".ci/slurm-down.sh"), str(scratch)], timeout=120)


def test_tiny_target_runs_through_the_slurm_profile(workdir, stand_in_env, slurm):
    cmd = ["timeout", "-k", "10", "600", str(VENV_BIN / "snakemake"), "--profile", "slurm",
           "--profile", ".ci/slurm-profile", "results/fig4.png"]
    run = subprocess.run(cmd, cwd=workdir, env=stand_in_env, text=True, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, timeout=660)
    assert run.returncode == 0, run.stdout[-4000:]
    assert "has been submitted with SLURM jobid" in run.stdout
    assert (workdir / "results/fig4.png").is_file()
    assert (workdir / "results/train/suite-p3/tiny/hart/seed0/done.json").is_file()
