"""HART reproduction as one DAG: data -> train -> evaluate -> report.

    snakemake -c2                                          # every table and figure, tiny scale
    snakemake --profile slurm results/table2.csv           # Table 2 at large+xl (the profile's scales)
    snakemake -n results/table2.csv --config scales='[large,xl]'   # targets before --config

Stages and files: docs/design.md; cluster, profile, requeue and DVC: docs/cluster.md.
"""

from snakemake.utils import min_version

import os
import sys

import hart.config

# Rules call the `hart` CLI; when none is on PATH, the one installed next to the Python running
# Snakemake is used (appended, so a `hart` already on PATH wins: the workflow tests put a stand-in
# there), so that `.venv/bin/snakemake --cores 2` works without activating the venv (and on SLURM
# nodes, where the job step re-runs this file with the same interpreter). Because other programs
# earlier on PATH win too, no rule calls a bare `python` (pyenv shims or a system python without
# our packages would run it): everything goes through `hart`.
if os.path.dirname(sys.executable) not in os.environ.get("PATH", "").split(
    os.pathsep
):  # re-parses add nothing
    os.environ["PATH"] = os.environ.get("PATH", "") + os.pathsep + os.path.dirname(sys.executable)

min_version("9.0")


envvars:
    "PATH",


configfile: "config/config.yaml"


# `--config scales=[large,xl]` / `seeds=[0,1,2]` are shortcuts for the `run:` keys.
for _key in ("scales", "seeds"):
    if _key in config:
        config["run"][_key] = config.pop(_key)

# Parse-time validation: a typo in config/config.yaml or `--config` fails here, before any job;
# every run's config files are composed (and so validated) below, when the grid is built.
hart.config.validate(config, "config/config.yaml (+ --config)")
GRID = config["run"]


wildcard_constraints:
    benchmark=r"[a-z0-9-]+",
    scale="tiny|small|study|glance|large|xl",
    method=r"[a-z0-9.-]+",
    seed=r"\d+",


include: "workflow/rules/common.smk"


report: "workflow/report/workflow.rst"


RUNS = all_runs()
BASES = sorted({base_run(r.scale) for r in RUNS if base_checkpoint(r)})  # tiny: our own base model
for _run in RUNS + BASES:
    resolved(_run)  # composes and validates every run's config files now, before any job


include: "workflow/rules/data.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/study.smk"  # the params study (docs/study.md): targets study, study_quick


# Every table and figure of the paper at the configured scales.
rule all:
    default_target: True
    input:
        report_targets(),


rule all_data:
    """Episode files of every benchmark the grid trains or evaluates on (DVC stage `data`)."""
    input:
        sorted({episodes(r.benchmark, s) for r in RUNS for s in ("train", "test")}),


rule all_train:
    """Every training run of the grid (DVC stage `train`)."""
    input:
        [f"results/base/{r.scale}/done.json" for r in BASES],
        [f"{train_dir(r)}/done.json" for r in RUNS if trained(r)],
        [f"{train_dir(r)}/config.json" for r in RUNS if not trained(r)],  # evaluate-only


rule all_evaluate:
    """Every evaluation a table reads (DVC stage `evaluate`)."""
    input:
        sorted({evaluation(r) for t in GRID["tables"].values() for r in runs_for(t)}),
