# Helpers of the params study (workflow/rules/study.smk); no rules here. Grid: config/study.yaml.

STUDY = hart.config.load_yaml(ROOT / "config/study.yaml")["study"]
for _m in STUDY["methods"]:
    if not (ROOT / f"config/method/{_m}.yaml").is_file():
        raise ValueError(f"config/study.yaml: study.methods: no config/method/{_m}.yaml")

# one pretraining run (hint-c4, hypertuning-c4) that every seed of HINT and HyperTuning-PT starts from
if STUDY.get("pretrain_seed") is not None:
    PRETRAIN_SEED[STUDY["scale"]] = STUDY["pretrain_seed"]

# the figures `hart report study` draws beside PREFIX.{md,json,csv} (hart.report.study_render)
STUDY_FIGURES = [
    "curves.png",
    "curves.pdf",
    "fig3.png",
    "fig3.pdf",
    "fig3.csv",
    "fig4.png",
    "fig4.pdf",
    "fig4.csv",
]

# the folders `hart data suite --kind params` fills (produced_folder in common.smk)
RAW_FOLDERS.update(
    {f"data/suite-params/{d}": f"data/suite-params/{d}" for d in ("params-sni", "params-lm", "tokenizer")}
)


def study_runs(seeds=None):
    """Every study run (their pretraining runs and the base come in as inputs of their train jobs)."""
    runs = {}
    for method, method_seeds in STUDY["methods"].items():
        for seed in method_seeds:
            if seeds is None or seed in seeds:
                run = Run(STUDY["benchmark"], STUDY["scale"], method, seed)
                runs[run] = None
    return list(runs)


GLANCE = STUDY["glance"]
for _m in GLANCE["methods"]:
    if _m not in STUDY["methods"]:
        raise ValueError(f"config/study.yaml: study.glance.methods: {_m!r} is not a study method")
GLANCE_RUNS = [Run(STUDY["benchmark"], GLANCE["scale"], m, GLANCE["seed"]) for m in GLANCE["methods"]]
for _run in GLANCE_RUNS:
    resolved(_run)  # compose and validate at parse time
GLANCE_TITLE = (
    f"The params study at a glance: one seed, {resolved(GLANCE_RUNS[0])['train']['steps']} training steps"
    " (the full study: snakemake study, docs/study.md)"
)


def study_inputs(seeds=None):
    runs = study_runs(seeds)
    curves = [
        f"results/study/curves/{r.method}/seed{r.seed}.json"
        for r in runs
        if r.method in STUDY["curve_methods"]
    ]
    return {
        "evaluations": [evaluation(r) for r in runs],
        "logs": [f"{train_dir(r)}/done.json" for r in runs],
        "curves": curves,
        "tasks": "data/suite-params/params-sni",
    }


for _run in study_runs():
    resolved(_run)  # compose and validate every study run's config at parse time


def study_logs(wc, input):
    """train_log.jsonl beside each study run's done.json (the log is not a declared output)."""
    return [f"{os.path.dirname(p)}/train_log.jsonl" for p in input.logs]


def study_fig1_caption(wc, input):
    """The line under the study's Figure 1: which run it shows."""
    import hart.report.captions

    run = hart.report.captions.caption([input.done])
    return f"params study, bidirectional layer-wise hypernetwork decoder. {run}"
