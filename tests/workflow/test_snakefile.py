"""The Snakemake DAG: lint, the paper's full grid as a dry run, parse-time validation, and
'a changed key reruns exactly the affected jobs'. Runs in a copy of the checkout (< 60 s)."""

from __future__ import annotations

import math

import yaml

from workflow_helpers import job_stats, planned_jobs, snakemake

from hart import plan

# Jobs of the paper's grid at scales large + xl, seed 0 (config/config.yaml):
# S-NI Large 11 runs (Table 2's 9 + Table 5's hypertuning-nopt, hart-nolc), S-NI XL 9,
# P3 Large 10 (Table 3's 7 + Table 5's 2 + Figure 1's bidir-layerwise), P3 XL 8 (Table 4 without
# the evaluate-only T0-3B), C4 pretraining 2 per scale (hint-c4, hypertuning-c4).
LARGE_XL = {
    "train": 42, "train_config": 43, "evaluate": 38, "evaluate_config": 38,
    "data_download": 5, "data_config": 3, "data_episodes": 3, "attention": 1,  # downloads: sni p3 c4 t5 hub
    "report_table": 4, "report_figure": 3, "report_plot_data": 42, "all": 1,
}


def test_lint_is_clean(workdir):
    run = snakemake(workdir, "--lint")
    assert run.returncode == 0, run.stdout
    assert "Congratulations, your workflow is in a good condition!" in run.stdout, run.stdout


def test_paper_grid_dry_run_lists_every_job_with_its_resources(workdir):
    run = snakemake(workdir, "-n", "--config", "scales=[large,xl]")
    assert run.returncode == 0, run.stdout[-3000:]
    stats = job_stats(run.stdout)
    assert {k: stats.get(k, 0) for k in LARGE_XL} == LARGE_XL
    assert "data_suite" not in stats and "train_base" not in stats  # tiny-only stand-ins
    jobs = planned_jobs(run.stdout)
    train = [j for j in jobs if j["rule"] == "train"]
    assert len(train) == 42
    for job in train:  # paper: 8 GPUs per run (Appendix 6.1.3); resources from config.yaml
        res, scale = job["resources"], job["wildcards"]["scale"]
        assert res["gpu"] == "8" and res["nodes"] == "1", job
        assert "slurm_partition" not in res  # the profile's (slurm/config.yaml set-resources)
        hours = plan.job_hours("train", scale, job["wildcards"]["method"], job["wildcards"]["benchmark"],
                               workdir / "config", 8)
        assert int(res["runtime"]) == max(30, math.ceil(hours * 60 * 2.0)), job  # walltime_factor
        assert res["mem_mb"] == {"large": "256000", "xl": "512000"}[scale], job
    methods = {(j["wildcards"]["benchmark"], j["wildcards"]["scale"], j["wildcards"]["method"])
               for j in train}
    assert ("sni", "xl", "hint") in methods and ("c4", "xl", "hypertuning-c4") in methods
    assert not any(m == "t0-3b" for _, _, m in methods)  # evaluate-only
    evaluate = {j["wildcards"]["method"] for j in jobs if j["rule"] == "evaluate"}
    assert "t0-3b" in evaluate and "bidir-layerwise" not in evaluate


def test_tiny_scale_stands_in_for_large_and_xl(workdir):
    run = snakemake(workdir, "-n")
    assert run.returncode == 0, run.stdout[-3000:]
    stats = job_stats(run.stdout)
    # suite-sni 11 + suite-p3 11 + suite-c4 2 runs, and the tiny base model; T0-3B (evaluation
    # only, needs its hub checkpoint) is not evaluated at a stand-in scale: 21 evaluations
    assert stats["train"] == 24 and stats["train_base"] == 1 and stats["evaluate"] == 21
    assert not any(j["wildcards"].get("method") == "t0-3b" for j in planned_jobs(run.stdout))
    assert stats["report_table"] == 4 and stats["report_figure"] == 3
    train = [j for j in planned_jobs(run.stdout) if j["rule"] == "train"]
    assert all(j["resources"]["gpu"] == "0" for j in train)
    assert all("slurm_partition" not in j["resources"] for j in train)  # profile/cluster default


def test_a_typo_in_a_method_file_fails_before_any_job(workdir):
    path = workdir / "config/method/lora.yaml"
    cfg = yaml.safe_load(path.read_text())
    cfg["method"]["lora"]["rank"] = 8  # the key is `r`
    path.write_text(yaml.safe_dump(cfg))
    run = snakemake(workdir, "-n")
    assert run.returncode != 0
    assert "config/method/lora.yaml" in run.stdout and "'rank' was unexpected" in run.stdout


def test_a_changed_key_reruns_exactly_that_methods_jobs(workdir, stand_in_env):
    target = "results/table3.csv"  # 7 methods on suite-p3 + pretraining + the tiny base model
    built = snakemake(workdir, "-c2", target, env=stand_in_env)
    assert built.returncode == 0, built.stdout[-3000:]
    assert job_stats(snakemake(workdir, "-n", target).stdout) == {}  # nothing left to do

    path = workdir / "config/method/lora.yaml"
    cfg = yaml.safe_load(path.read_text())
    cfg["method"]["lora"]["r"] = cfg["method"]["lora"].get("r", 8) + 1
    path.write_text(yaml.safe_dump(cfg))

    run = snakemake(workdir, "-n", target)
    assert run.returncode == 0, run.stdout[-3000:]
    jobs = planned_jobs(run.stdout)
    per_run = [j for j in jobs if "method" in j["wildcards"]]
    assert {j["rule"] for j in per_run} == {"train_config", "train", "evaluate_config", "evaluate"}
    assert {j["wildcards"]["method"] for j in per_run} == {"lora"}
    assert {j["rule"] for j in jobs} - {j["rule"] for j in per_run} == {"report_table"}
    assert job_stats(run.stdout)["report_table"] == 1


def test_study_targets_plan_every_run_and_the_figures(workdir):
    """`snakemake study`: every method x seed of config/study.yaml (5 seeds for the Table 5 rows), their
    params-lm pretraining runs, the learning curves, Figure 1's attention map, and one report job that
    writes the figures."""
    grid = yaml.safe_load((workdir / "config/study.yaml").read_text())["study"]
    run = snakemake(workdir, "-n", "study")
    assert run.returncode == 0, run.stdout[-3000:]
    stats = job_stats(run.stdout)
    runs = sum(len(seeds) for seeds in grid["methods"].values())
    # one pretraining run each (hint-c4, hypertuning-c4), seed study.pretrain_seed, shared by every seed
    assert grid["pretrain_seed"] == 0
    assert stats["train"] == runs + 2 and stats["evaluate"] == runs and stats["train_base"] == 1
    for method in ("hint-c4", "hypertuning-c4"):
        assert f"benchmark=params-lm, scale=study, method={method}, seed=0" in run.stdout
        assert f"method={method}, seed=1" not in run.stdout
    assert stats["study_curve"] == sum(len(grid["methods"][m]) for m in grid["curve_methods"])
    assert all(len(grid["methods"][m]) >= 5 for m in ("hypertuning", "hart-nolc", "hart"))
    assert all(len(seeds) >= 3 for m, seeds in grid["methods"].items() if m != "bidir-layerwise")  # Fig. 1 only
    assert stats["study"] == 1 and "report_table" not in stats  # the paper tables are not part of it
    assert stats["study_attention"] == 1 and stats["study_fig1"] == 1  # Figure 1: the bidir-layerwise run
    block = run.stdout[run.stdout.index("rule study:"):]
    outputs = block[:block.index("jobid")]
    for f in ("study.md", "study-fig3.png", "study-fig4.pdf", "study-fig4.csv", "study-curves.png"):
        assert f"results/study/{f}" in outputs, outputs
    assert "results/study/study-fig1.png" in block[:block.index("output:")]  # an input of the report


def test_study_seeds_start_from_one_pretraining_run_and_tiny_from_their_own(workdir):
    """study.pretrain_seed: HINT seed 2 at the study scale starts from hint-c4 seed 0; at tiny (no such
    setting) HINT seed 2 would start from hint-c4 seed 2. The resolved configs are what `hart train` reads."""
    import json

    study = "results/train/params-sni/study/hint/seed2/config.json"
    run = snakemake(workdir, "--cores", "1", study)
    assert run.returncode == 0, run.stdout[-3000:]
    assert json.loads((workdir / study).read_text())["train"]["init_from"] == "results/train/params-lm/study/hint-c4/seed0"
    run = snakemake(workdir, "-n", "results/train/suite-sni/tiny/hint/seed2/done.json")
    assert run.returncode == 0, run.stdout[-3000:]
    assert "method=hint-c4, seed=2" in run.stdout and "method=hint-c4, seed=0" not in run.stdout


def test_glance_is_the_study_scale_at_fewer_steps_from_the_study_base(workdir):
    """study_glance (README command 1): four runs at scale glance, which layers config/scale/glance.yaml
    over the study scale (run.scale_extends): the study's geometry, base model and per-method files,
    300 steps. The one base run is the study's (results/base/study), so `snakemake study` reuses it."""
    import json

    run = snakemake(workdir, "-n", "study_glance")
    assert run.returncode == 0, run.stdout[-3000:]
    stats = job_stats(run.stdout)
    assert stats["train"] == 4 and stats["evaluate"] == 4 and stats["train_base"] == 1 and stats["study_glance"] == 1
    for method in ("ft-zero-shot", "ft-few-shot", "hypertuning-nopt", "hypertuning"):
        assert f"benchmark=params-sni, scale=glance, method={method}, seed=0" in run.stdout
    assert "results/base/study/model.safetensors" in run.stdout and "results/base/glance" not in run.stdout
    glance, study = (f"results/train/params-sni/{s}/lora/seed0/config.json" for s in ("glance", "study"))
    run = snakemake(workdir, "--cores", "1", glance, study)
    assert run.returncode == 0, run.stdout[-3000:]
    g, s = (json.loads((workdir / p).read_text()) for p in (glance, study))
    assert g["train"]["steps"] == 300 and s["train"]["steps"] == 700
    assert g["method"]["lr_multiplier"] == 1  # config/scale/study/lora.yaml, inherited
    assert {k: v for k, v in g["model"].items() if k != "scale"} == {k: v for k, v in s["model"].items() if k != "scale"}
    assert g["model"]["scale"] == "glance" and g["run"]["scale"] == "glance"


def test_a_scale_can_tune_one_method(workdir):
    """config/scale/study/lora.yaml sets LoRA's lr multiplier at the study scale only; tiny keeps the
    method file's 10x. The resolved config Snakemake writes is what `hart train` reads."""
    import json

    study, tiny = ("results/train/params-sni/study/lora/seed0/config.json",
                   "results/train/suite-sni/tiny/lora/seed0/config.json")  # fmt: skip
    run = snakemake(workdir, "--cores", "1", study, tiny)
    assert run.returncode == 0, run.stdout[-3000:]
    assert json.loads((workdir / study).read_text())["method"]["lr_multiplier"] == 1
    assert json.loads((workdir / tiny).read_text())["method"]["lr_multiplier"] == 10
    assert json.loads((workdir / study).read_text())["train"]["lr"] == 0.002  # the scale's lr
