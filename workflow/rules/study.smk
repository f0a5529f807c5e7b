# The params study (docs/study.md): a laptop-scale benchmark on which the methods could differ.
# Grid: config/study.yaml. Runs are ordinary runs (Run(params-sni, study, method, seed)) trained and
# evaluated by the rules of train.smk / evaluate.smk; the study's own rules are the data, the
# held-out learning curves and the report.
#
#   snakemake --cores 2 study         # full grid (every method, 3-5 seeds)
#   snakemake --cores 2 study_quick   # seed 0 of every method (a subset of the same runs)
#   snakemake --cores 2 study_glance  # four methods, one seed, 300 steps (README command 1)


include: "study_common.smk"


rule data_suite_params:
    """The params benchmark (S-NI-style episodes, generic base-model rows, its tokenizer), offline."""
    output:
        sni=directory("data/suite-params/params-sni"),
        lm=directory("data/suite-params/params-lm"),
        tokenizer=directory("data/suite-params/tokenizer"),
    log:
        f"{LOGS}/data/suite-params.log",
    conda:
        ENV
    shell:
        "hart data suite --kind params --out data/suite-params --seed 0 --train-episodes 40000 > {log} 2>&1"


rule data_episodes_params_lm:
    """params-lm's episodes with the hint/ and hypertuning/ layouts that hint-c4 and hypertuning-c4
    read (method.episodes_subdir); data_episodes_copy copies the top-level files only."""
    input:
        raw="data/suite-params/params-lm",
    output:
        train="data/episodes/params-lm/train.jsonl",
        test="data/episodes/params-lm/test.jsonl",
        stats="data/episodes/params-lm/stats.json",
        hint=directory("data/episodes/params-lm/hint"),
        hypertuning=directory("data/episodes/params-lm/hypertuning"),
    log:
        f"{LOGS}/data/episodes-params-lm.log",
    localrule: True
    conda:
        ENV
    shell:
        "(cp {input.raw}/train.jsonl {input.raw}/test.jsonl {input.raw}/stats.json"
        " data/episodes/params-lm/ && cp -r {input.raw}/hint {input.raw}/hypertuning"
        " data/episodes/params-lm/) > {log} 2>&1"


ruleorder: data_episodes_params_lm > data_episodes_copy


rule study_curve:
    """Held-out exact match at every kept checkpoint of one run (Figure 3's claim)."""
    input:
        done="results/train/params-sni/study/{method}/seed{seed}/done.json",
        test="data/episodes/params-sni/test.jsonl",
    output:
        curve="results/study/curves/{method}/seed{seed}.json",
    log:
        f"{LOGS}/study/curve-{{method}}-seed{{seed}}.log",
    conda:
        ENV
    threads: 1
    params:
        run=lambda wc, input: os.path.dirname(input.done),
        limit=STUDY["curve_limit"],
    shell:
        "hart report study-curve --run {params.run} --episodes {input.test} --limit {params.limit}"
        " --out {output.curve} > {log} 2>&1"


STUDY_FIG1_RUN = Run(STUDY["benchmark"], STUDY["scale"], "bidir-layerwise", 0)


rule study_attention:
    """Figure 1 of the study: the last hypernet-decoder layer's self-attention of the study's
    bidirectional layer-wise run (seed 0), averaged over heads, on the held-out episodes."""
    input:
        done=f"{train_dir(STUDY_FIG1_RUN)}/done.json",
        test="data/episodes/params-sni/test.jsonl",
    output:
        attention="results/study/attention.safetensors",
    log:
        f"{LOGS}/study/attention.log",
    conda:
        ENV
    params:
        checkpoint=lambda wc, input: os.path.dirname(input.done),
        code=code_hash("evaluate"),
    shell:
        "hart attention --checkpoint {params.checkpoint} --episodes {input.test}"
        " --out {output.attention} > {log} 2>&1"


rule study_fig1:
    """Figure 1 of the study, drawn by the paper figure's code (hart report figure --name fig1)."""
    input:
        attention="results/study/attention.safetensors",
        done=f"{train_dir(STUDY_FIG1_RUN)}/done.json",
    output:
        multiext("results/study/study-fig1", ".png", ".pdf", ".csv"),
    log:
        f"{LOGS}/study/fig1.log",
    conda:
        ENV
    params:
        caption=study_fig1_caption,
        code=code_hash("report"),
    shell:
        "hart report figure --name fig1 --inputs attention={input.attention} --caption {params.caption:q}"
        " --out results/study/study-fig1 > {log} 2>&1"


rule study:
    """The full study report: results/study/study.{md,json,csv}, study-curves.{png,pdf} (held-out
    exact match per checkpoint) and study-fig3 / study-fig4.{png,pdf,csv} (Figures 3 and 4 of the study)."""
    input:
        **study_inputs(),
        fig1="results/study/study-fig1.png",
    output:
        md="results/study/study.md",
        json="results/study/study.json",
        csv="results/study/study.csv",
        figures=multiext("results/study/study-", *STUDY_FIGURES),
    log:
        f"{LOGS}/study/study.log",
    conda:
        ENV
    params:
        logs=study_logs,
        code=code_hash("report"),
    shell:
        "hart report study --evaluations {input.evaluations} --tasks {input.tasks}/tasks.json"
        " --curves {input.curves} --logs {params.logs} --out results/study/study > {log} 2>&1"


rule study_quick:
    """Seed 0 of every study method: results/study/quick.{md,json,csv} and its figures (as `study`)."""
    input:
        **study_inputs(seeds=[0]),
        fig1="results/study/study-fig1.png",
    output:
        md="results/study/quick.md",
        json="results/study/quick.json",
        csv="results/study/quick.csv",
        figures=multiext("results/study/quick-", *STUDY_FIGURES),
    log:
        f"{LOGS}/study/quick.log",
    conda:
        ENV
    params:
        logs=study_logs,
        code=code_hash("report"),
    shell:
        "hart report study --evaluations {input.evaluations} --tasks {input.tasks}/tasks.json"
        " --curves {input.curves} --logs {params.logs} --out results/study/quick > {log} 2>&1"


rule study_glance:
    """The glance: FT-Zero-Shot, FT-Few-Shot, HyperTuning without and with FiD at scale glance (the
    study scale at 300 steps), one seed: results/study/glance.{md,json,csv} (the FiD step of the
    ablation over tasks; no figures)."""
    input:
        evaluations=[evaluation(r) for r in GLANCE_RUNS],
        tasks="data/suite-params/params-sni",
    output:
        md="results/study/glance.md",
        json="results/study/glance.json",
        csv="results/study/glance.csv",
    log:
        f"{LOGS}/study/glance.log",
    conda:
        ENV
    params:
        title=GLANCE_TITLE,
        code=code_hash("report"),
    shell:
        "hart report study --evaluations {input.evaluations} --tasks {input.tasks}/tasks.json"
        " --title {params.title:q} --out results/study/glance > {log} 2>&1"
