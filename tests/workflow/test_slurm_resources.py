"""What the SLURM profile asks for, read off a dry run (`snakemake --profile slurm -n`): one node,
a walltime of `hart plan`'s hours times the configured factor, the profile's partition; and the
sbatch line the SLURM executor plugin builds from those resources."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest
import yaml
from workflow_helpers import copy_workflow, planned_jobs, snakemake

from hart import plan

TARGET = "results/evaluate/p3/xl/hart/seed0.json"  # one XL training and its evaluation


@pytest.fixture(scope="module")
def dry_run(tmp_path_factory):
    dst = copy_workflow(tmp_path_factory.mktemp("slurm") / "repo")
    run = snakemake(dst, "--profile", "slurm", "-n", TARGET)
    assert run.returncode == 0, run.stdout[-3000:]
    return dst, {j["rule"]: j for j in planned_jobs(run.stdout)}


def test_train_job_is_one_node_with_the_planned_walltime_on_the_profiles_partition(dry_run):
    repo, jobs = dry_run
    res = jobs["train"]["resources"]
    config = yaml.safe_load((repo / "config/config.yaml").read_text())["run"]["resources"]["xl"]
    profile = yaml.safe_load((repo / "slurm/config.yaml").read_text())
    hours = plan.job_hours("train", "xl", "hart", "p3", repo / "config", 8, gpu=config["gpu_model"])
    factor = config["walltime_factor"]
    assert res["nodes"] == "1"
    assert res["gpu"] == "8"
    assert hours * 60 < int(res["runtime"]) <= math.ceil(hours * 60 * factor)
    assert int(res["runtime"]) == math.ceil(hours * 60 * factor)
    assert res["slurm_partition"] == profile["set-resources"]["train"]["slurm_partition"]
    ev = jobs["evaluate"]["resources"]
    assert ev["nodes"] == "1" and ev["slurm_partition"] == profile["set-resources"]["evaluate"]["slurm_partition"]


def test_the_plugin_turns_the_resources_into_sbatch_flags(dry_run):
    from snakemake_executor_plugin_slurm.submit_string import get_submit_command

    res = {k: (int(v) if v.isdigit() else v) for k, v in dry_run[1]["train"]["resources"].items()}
    job = SimpleNamespace(resources=SimpleNamespace(**res, get=res.get), threads=res["cpus_per_task"])
    params = dict(run_uuid="x", slurm_logfile="log", comment_str="c", account="",
                  partition=f"-p {res['slurm_partition']}", workdir=None)
    try:
        call = get_submit_command(job, params)
    except (AttributeError, TypeError) as exc:  # the plugin's private helper changed shape
        pytest.skip(f"snakemake-executor-plugin-slurm's get_submit_command: {exc}")
    assert "--nodes=1" in call and f"-t {res['runtime']}" in call and "-p gpu" in call


def test_multi_node_training_is_refused_at_parse_time(dry_run, tmp_path):
    extra = tmp_path / "two-nodes.yaml"
    extra.write_text("run:\n  resources:\n    xl:\n      train: {gpus: 16, cpus_per_task: 64,"
                     " mem_mb: 512000, runtime: plan, nodes: 2}\n      evaluate: {gpus: 1,"
                     " cpus_per_task: 8, mem_mb: 1000, runtime: 60}\n")
    run = snakemake(dry_run[0], "-n", "--configfile", str(extra), "--", TARGET)
    assert run.returncode != 0
    assert "run.resources.xl.train.nodes = 2: multi-node jobs are not supported" in run.stdout
