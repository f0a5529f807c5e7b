# Stage `train`: one folder per run, results/train/<benchmark>/<scale>/<method>/seed<seed>/.
#
# Resuming: a failed or killed job loses only its declared outputs (model.safetensors, done.json).
# `checkpoints/` and `train_log.jsonl` are deliberately NOT declared, so Snakemake never deletes
# them (on failure, on --rerun-incomplete, on a retry); `hart train` resumes from the checkpoint
# and trims the log to its step. Readers of the log depend on done.json (train_logs() in common.smk). No
# shadow: a shadow folder is thrown away with the failed job, and the checkpoints with it.
# A checkpoint made under another config is discarded by `hart train` itself (its config_hash is
# stored in the checkpoint), so a resume never mixes settings.

RUN = "{benchmark}/{scale}/{method}/seed{seed}"


rule train_config:
    """A run's resolved config, minus the sections training ignores (plain dict in params: a
    changed key reruns exactly this run and what reads it)."""
    input:
        weights=weights_input,  # data/cache/hub.lock.json when model.pretrained is a downloaded snapshot
    output:
        config=f"results/train/{RUN}/config.json",
    log:
        f"{LOGS}/train/{RUN}.config.log",
    localrule: True
    conda:
        ENV
    params:
        config=lambda wc: train_config(run_of(wc)),
    shell:
        "printf '%s\\n' {params.config:q} > {output.config} 2> {log}"


rule train:
    """`hart train` (DeepSpeed ZeRO-2 over the job's GPUs when it has more than one)."""
    input:
        config=f"results/train/{RUN}/config.json",
        train="data/episodes/{benchmark}/train.jsonl",
        init=pretrain_input,  # C4 pretraining run and/or results/base/<scale>/ (tiny)
    output:
        model=f"results/train/{RUN}/model.safetensors",
        done=f"results/train/{RUN}/done.json",
    log:
        f"{LOGS}/train/{RUN}.log",
    retries: 1  # a retry resumes from checkpoints/
    conda:
        ENV
    threads: resource("train", "cpus_per_task")
    resources:
        gpu=resource("train", "gpus"),
        cpus_per_task=resource("train", "cpus_per_task"),
        mem_mb=resource("train", "mem_mb"),
        runtime=runtime("train"),
        nodes=nodes("train"),
        slurm_partition=resource("train", "slurm_partition"),
        slurm_extra=resource("train", "slurm_extra"),
    params:
        launcher=launcher,
        out=lambda wc, output: os.path.dirname(output.done),
        code=code_hash("train"),  # rerun when the stage's code changes (common.smk STAGE_CODE)
    shell:
        "{params.launcher} train --config {input.config} --out {params.out} > {log} 2>&1"


use rule train_config as train_base_config with:
    output:
        config="results/base/{scale}/config.json",
    log:
        f"{LOGS}/train/base-{{scale}}.config.log",
    params:
        config=base_config,


use rule train as train_base with:
    input:
        config="results/base/{scale}/config.json",
        train=lambda wc: episodes(base_run(wc.scale).benchmark, "train"),
    output:
        model="results/base/{scale}/model.safetensors",
        done="results/base/{scale}/done.json",
    log:
        f"{LOGS}/train/base-{{scale}}.log",
    params:
        launcher=launcher,
        out=lambda wc, output: os.path.dirname(output.done),
        code=code_hash("train"),
