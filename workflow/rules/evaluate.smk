# Stage `evaluate`: one JSON per run, results/evaluate/<benchmark>/<scale>/<method>/seed<seed>.json.

EVAL = "results/evaluate/{benchmark}/{scale}/{method}/seed{seed}"
# The resolved evaluation config lives apart from the results, so that results/evaluate holds only
# result JSONs (`dvc metrics show`) while DVC still versions the configs (a fresh clone's
# `dvc pull` restores every declared output, and Snakemake has nothing to rebuild).
EVAL_CONFIG = "results/configs/evaluate/{benchmark}/{scale}/{method}/seed{seed}.json"


rule evaluate_config:
    """A run's full resolved config (evaluate section included): editing evaluation settings
    reruns evaluation, not training."""
    output:
        config=EVAL_CONFIG,
    log:
        f"{LOGS}/evaluate/{RUN}.config.log",
    localrule: True
    conda:
        ENV
    params:
        config=lambda wc: evaluate_config(run_of(wc)),
    shell:
        "printf '%s\\n' {params.config:q} > {output.config} 2> {log}"


rule evaluate:
    """`hart evaluate` on the benchmark's held-out episodes (ROUGE-L or rank classification)."""
    input:
        config=EVAL_CONFIG,
        checkpoint=checkpoint_input,
        test="data/episodes/{benchmark}/test.jsonl",
    output:
        result=f"{EVAL}.json",
    log:
        f"{LOGS}/evaluate/{RUN}.log",
    conda:
        ENV
    threads: resource("evaluate", "cpus_per_task")
    resources:
        gpu=resource("evaluate", "gpus"),
        cpus_per_task=resource("evaluate", "cpus_per_task"),
        mem_mb=resource("evaluate", "mem_mb"),
        runtime=runtime("evaluate"),
        nodes=nodes("evaluate"),
        slurm_partition=resource("evaluate", "slurm_partition"),
    params:
        checkpoint=lambda wc, input: os.path.dirname(input.checkpoint),
        code=code_hash("evaluate"),  # rerun when the stage's code changes (common.smk STAGE_CODE)
    shell:
        "hart evaluate --config {input.config} --checkpoint {params.checkpoint}"
        " --episodes {input.test} --out {output.result} > {log} 2>&1"


rule attention:
    """Figure 1 input: the last hypernet-decoder layer's self-attention of the bidirectional
    layerwise variant, averaged over heads."""
    input:
        done=lambda wc: f"{train_dir(attention_run())}/done.json",
        test=lambda wc: episodes(attention_run().benchmark, "test"),
    output:
        attention="results/fig1/attention.safetensors",
    log:
        f"{LOGS}/evaluate/attention.log",
    conda:
        ENV
    params:
        checkpoint=lambda wc, input: os.path.dirname(input.done),
        code=code_hash("evaluate"),
    shell:
        "hart attention --checkpoint {params.checkpoint} --episodes {input.test}"
        " --out {output.attention} > {log} 2>&1"
