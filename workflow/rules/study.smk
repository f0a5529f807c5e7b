# The params study (docs/study.md): a laptop-scale benchmark on which the methods differ.
# Grid: config/study.yaml. Runs are ordinary runs (Run(params-sni, study, method, seed)) trained and
# evaluated by the rules of train.smk / evaluate.smk; the study's own rules are the data, the
# held-out learning curves and the report.
#
#   snakemake --cores 2 study         # full grid (every method, 3-5 seeds)
#   snakemake --cores 2 study_quick   # seed 0 of every method (a subset of the same runs)

STUDY = hart.config.load_yaml(ROOT / "config/study.yaml")["study"]
for _m in STUDY["methods"]:
    if not (ROOT / f"config/method/{_m}.yaml").is_file():
        raise ValueError(f"config/study.yaml: study.methods: no config/method/{_m}.yaml")

# the folders `hart data suite --kind params` fills (produced_folder in common.smk)
RAW_FOLDERS.update({f"data/suite-params/{d}": f"data/suite-params/{d}" for d in ("params-sni", "params-lm", "tokenizer")})


def study_runs(seeds=None):
    """Every study run, with the pretraining runs (hint-c4, hypertuning-c4) the grid maps them to."""
    runs = {}
    for method, method_seeds in STUDY["methods"].items():
        for seed in method_seeds:
            if seeds is None or seed in seeds:
                run = Run(STUDY["benchmark"], STUDY["scale"], method, seed)
                runs[run] = None
    return list(runs)


def study_inputs(seeds=None):
    runs = study_runs(seeds)
    curves = [f"results/study/curves/{r.method}/seed{r.seed}.json" for r in runs if r.method in STUDY["curve_methods"]]
    return {
        "evaluations": [evaluation(r) for r in runs],
        "logs": [f"{train_dir(r)}/done.json" for r in runs],
        "curves": curves,
        "tasks": "data/suite-params/params-sni",
    }


for _run in study_runs():
    resolved(_run)  # compose and validate every study run's config at parse time


rule data_suite_params:
    """The params benchmark (S-NI-style episodes, generic base-model rows, its tokenizer), offline."""
    output:
        sni=directory("data/suite-params/params-sni"),
        lm=directory("data/suite-params/params-lm"),
        tokenizer=directory("data/suite-params/tokenizer"),
    conda:
        ENV
    log:
        f"{LOGS}/data/suite-params.log",
    shell:
        "hart data suite --kind params --out data/suite-params --seed 0 > {log} 2>&1"


rule study_curve:
    """Held-out exact match at every kept checkpoint of one run (Figure 3's claim)."""
    input:
        done="results/train/params-sni/study/{method}/seed{seed}/done.json",
        test="data/episodes/params-sni/test.jsonl",
    output:
        curve="results/study/curves/{method}/seed{seed}.json",
    params:
        run=lambda wc, input: os.path.dirname(input.done),
        limit=STUDY["curve_limit"],
    conda:
        ENV
    log:
        f"{LOGS}/study/curve-{{method}}-seed{{seed}}.log",
    threads: 1
    shell:
        "hart report study-curve --run {params.run} --episodes {input.test} --limit {params.limit}"
        " --out {output.curve} > {log} 2>&1"


def _study_shell(prefix):
    return (
        "hart report study --evaluations {input.evaluations} --tasks {input.tasks}/tasks.json"
        " --curves {input.curves} --logs {params.logs} --out " + prefix + " > {log} 2>&1"
    )


rule study:
    """The full study report: results/study/study.{md,json,csv} and study-curves.{png,pdf}."""
    input:
        **study_inputs(),
    output:
        md="results/study/study.md",
        json="results/study/study.json",
        csv="results/study/study.csv",
    params:
        logs=lambda wc, input: [f"{os.path.dirname(p)}/train_log.jsonl" for p in input.logs],
    conda:
        ENV
    log:
        f"{LOGS}/study/study.log",
    shell:
        _study_shell("results/study/study")


rule study_quick:
    """Seed 0 of every study method: results/study/quick.{md,json,csv}."""
    input:
        **study_inputs(seeds=[0]),
    output:
        md="results/study/quick.md",
        json="results/study/quick.json",
        csv="results/study/quick.csv",
    params:
        logs=lambda wc, input: [f"{os.path.dirname(p)}/train_log.jsonl" for p in input.logs],
    conda:
        ENV
    log:
        f"{LOGS}/study/quick.log",
    shell:
        _study_shell("results/study/quick")
