# Helpers only: the run grid, each run's resolved config, paths, resources. No rules here.
#
# Vocabulary (docs/design.md): a run is (benchmark, scale, method, seed); its folder is
# results/train/<benchmark>/<scale>/<method>/seed<seed>/ and its evaluation
# results/evaluate/<benchmark>/<scale>/<method>/seed<seed>.json.

import functools
import json
import math
import os
from pathlib import Path
from typing import NamedTuple

import hart.config
import hart.plan

ROOT = Path(workflow.basedir)  # config is read next to the Snakefile, never from the cwd
LOGS = "results/logs"
ENV = "../envs/hart.yaml"  # every rule's conda env (`--sdm conda`), relative to workflow/rules/


class Run(NamedTuple):
    benchmark: str
    scale: str
    method: str
    seed: int

    @property
    def path(self) -> str:  # benchmark/scale/method/seed<seed>
        return f"{self.benchmark}/{self.scale}/{self.method}/seed{self.seed}"


def scale_chain(scale):
    """The scale and the scales it extends (run.scale_extends), parent first: ["study", "glance"]."""
    chain = [scale]
    while chain[0] in GRID.get("scale_extends", {}):
        parent = GRID["scale_extends"][chain[0]]
        if parent in chain:
            raise ValueError(f"config/config.yaml: run.scale_extends: cycle through {parent!r}")
        chain.insert(0, parent)
    return chain


def layer_paths(benchmark, scale=None, method=None):
    """The config files a run composes, left to right (later wins): config.yaml, the scale (after the
    scales it extends), the method, `config/scale/<scale>/<method>.yaml` where it exists (the parent
    scale's first), the benchmark. Without a scale and method, the files of a benchmark's episodes
    (the data defaults live in config/data/sources.yaml)."""
    paths = [ROOT / "config/config.yaml"]
    if scale is None:
        paths.append(ROOT / "config/data/sources.yaml")
    else:
        chain = scale_chain(scale)
        paths += [ROOT / f"config/scale/{s}.yaml" for s in chain]
        paths.append(ROOT / f"config/method/{method}.yaml")
        for s in chain:
            tuned = ROOT / f"config/scale/{s}/{method}.yaml"  # a method's settings at one scale, if any
            if tuned.is_file():
                paths.append(tuned)
    paths.append(ROOT / f"config/benchmark/{benchmark}.yaml")
    return paths


# ---- the code each stage runs (Snakemake params and DVC deps) -------------------------------

# Files whose content changes a stage's results. Each rule of a stage carries their hash as a
# param (`code=code_hash(stage)`), so Snakemake reruns a stage's jobs when its code changes (by
# content: the params trigger), and dvc.yaml lists the same paths as the stage's deps
# (tests/workflow/test_dvc_yaml.py checks both), so DVC and Snakemake agree on what a change reruns.
# Derived from the package's imports: model imports train, train imports data.
_COMMON_CODE = [
    "src/hart/__init__.py",
    "src/hart/argtypes.py",
    "src/hart/cli.py",
    "src/hart/config.py",
    "src/hart/device.py",
    "src/hart/errors.py",
    "src/hart/io.py",
    "src/hart/runcheck.py",
    "src/hart/settings.py",
    "src/hart/schemas",
]
STAGE_CODE = {
    "data": [*_COMMON_CODE, "src/hart/data"],
    "train": [*_COMMON_CODE, "src/hart/data", "src/hart/model", "src/hart/train", "config/deepspeed"],
    "evaluate": [
        *_COMMON_CODE,
        "src/hart/data",
        "src/hart/model",
        "src/hart/train",
        "src/hart/evaluate",
        "src/hart/meta.py",
        "src/hart/attention.py",
    ],
    "report": [*_COMMON_CODE, "src/hart/report"],
}


@functools.lru_cache(maxsize=None)
def code_hash(stage):
    """sha256 (16 hex) over the relative paths and bytes of the stage's files (no caches)."""
    import hashlib

    digest = hashlib.sha256()
    for top in STAGE_CODE[stage]:
        path = ROOT / top
        files = sorted(path.rglob("*")) if path.is_dir() else [path]
        for f in files:
            if f.is_file() and "__pycache__" not in f.parts and f.suffix != ".pyc":
                for part in (f.relative_to(ROOT).as_posix().encode(), b"\0", f.read_bytes()):
                    digest.update(part)
    return digest.hexdigest()[:16]


# ---- the grid (config/config.yaml `run:`) ----------------------------------------------------


def scales_for(selection):
    """Configured scales that stand in for the paper scales a table/figure reports."""
    wanted = set(selection["scales"])
    return [s for s in GRID["scales"] if wanted & set(GRID["stands_for"][s])]


def runnable(method, scale):
    """Evaluation-only rows (T0-3B) need their released hub checkpoint: only at the paper scales."""
    return scale in ("large", "xl") or not _eval_only(method)


@functools.lru_cache(maxsize=None)
def _eval_only(method):
    return (
        hart.config.load_yaml(ROOT / f"config/method/{method}.yaml").get("method", {}).get("eval_only", False)
    )


def runs_for(selection, seeds=None):
    """Every run a table or figure reads, in config order."""
    return [
        Run(GRID["benchmarks"][scale][bench], scale, method, seed)
        for scale in scales_for(selection)
        for bench in selection["benchmarks"]
        for method in selection["methods"]
        if runnable(method, scale)
        for seed in (seeds or GRID["seeds"])
    ]


# scale -> the one seed whose pretraining run every seed of that scale starts from (the study sets it:
# config/study.yaml, study.pretrain_seed); a scale not listed pretrains once per seed
PRETRAIN_SEED = {}


def pretrain_run(run):
    """The C4 pretraining run `run` starts from (train.init_from), or None."""
    method = GRID["pretrain"].get(run.method)
    if method is None:
        return None
    seed = PRETRAIN_SEED.get(run.scale, run.seed)
    return Run(GRID["benchmarks"][run.scale]["c4"], run.scale, method, seed)


def base_checkpoint(run):
    """`model.base_checkpoint` of a run: at tiny scale the main model every method starts from is
    our own base run (method base-lm), at results/base/<scale>/model.safetensors; else None."""
    return resolved(run).get("model", {}).get("base_checkpoint")


BASE_METHOD = "base-lm"  # the run that makes results/base/<scale>/ (rule train_base)


def base_run(scale):
    """The base-lm run of a scale: trained on the scale's C4-style corpus, seed = first seed."""
    return Run(GRID["benchmarks"][scale]["c4"], scale, BASE_METHOD, GRID["seeds"][0])


def trained(run):
    """False for evaluate-only methods (Table 4: T0-3B), marked `method.eval_only` in their file."""
    return not resolved(run).get("method", {}).get("eval_only", False)


def all_runs():
    """Every run of every table and figure, plus the pretraining runs they start from."""
    runs = {}
    for selection in [*GRID["tables"].values(), *GRID["figures"].values()]:
        for run in runs_for(selection):
            runs[run] = None
            if pretrain_run(run):
                runs[pretrain_run(run)] = None
    return list(runs)


# ---- resolved configs (composed and validated at parse time) -------------------------------

_COMPOSED = {}


def _compose(paths):
    key = tuple(paths)
    if key not in _COMPOSED:
        _COMPOSED[key] = hart.config.compose(paths)
    return _COMPOSED[key]


_RESOLVED = {}


def resolved(run):
    """A run's full resolved config: the layered files, `run:` = the run's identity."""
    if run not in _RESOLVED:
        _RESOLVED[run] = _resolve(run)
    return _RESOLVED[run]


def _resolve(run):
    paths = layer_paths(run.benchmark, run.scale, run.method)
    cfg = json.loads(json.dumps(_compose(paths)))  # a private copy
    cfg["run"] = {"benchmark": run.benchmark, "scale": run.scale, "method": run.method, "seed": run.seed}
    cfg.setdefault("train", {})["seed"] = run.seed
    source = pretrain_run(run)
    if source is not None:
        cfg.setdefault("train", {})["init_from"] = train_dir(source)
    return hart.config.validate(cfg, " + ".join(str(p.relative_to(ROOT)) for p in paths))


# Sections each stage's config.json carries: training ignores the evaluate/report sections, so
# editing them reruns evaluation only, never a training job.
NOT_FOR_TRAIN = ("evaluate", "report")


def train_config(run):
    return ConfigDict({k: v for k, v in resolved(run).items() if k not in NOT_FOR_TRAIN})


def evaluate_config(run):
    return ConfigDict(resolved(run))


def episodes_config(benchmark):
    """Config of one benchmark's episodes: data defaults + the benchmark file."""
    cfg = json.loads(json.dumps(_compose(layer_paths(benchmark))))
    cfg["run"] = {"benchmark": benchmark}
    return ConfigDict(hart.config.validate(cfg, f"config/benchmark/{benchmark}.yaml"))


class ConfigDict(dict):
    """A resolved config as a plain dict for `params:` (Snakemake compares its repr between runs,
    so a changed key reruns exactly the jobs that read it); in a shell command it formats as
    canonical JSON, so the config rules write it with `printf`; a `run` block would cost a whole
    new Snakemake process per job, about 10 s each."""

    def __str__(self):
        return json.dumps(self, indent=2, sort_keys=True)


# ---- input functions -----------------------------------------------------------------------


def run_of(wc):
    return Run(wc.benchmark, wc.scale, wc.method, int(wc.seed))


def train_dir(run):
    return f"results/train/{run.path}"


def evaluation(run):
    return f"results/evaluate/{run.path}.json"


def episodes(benchmark, split):
    return f"data/episodes/{benchmark}/{split}.jsonl"


# What a data rule declares for each folder it fills (Snakemake matches whole paths only, so a
# path inside one of these folders depends on the rule through this declared output).
DOWNLOADS = ("sni", "p3", "c4", "t5", "hub")  # hub: pretrained weights (hart.data.hub)
RAW_FOLDERS = {
    "data/suite/suite-sni/raw": "data/suite/suite-sni/raw",  # data_suite (directory outputs)
    "data/suite/suite-p3": "data/suite/suite-p3",
    "data/suite/tokenizer": "data/suite/tokenizer",
    "data/suite/suite-c4": "data/suite/suite-c4",  # data_suite_c4
    **{f"data/cache/{s}": f"data/cache/{s}.lock.json" for s in DOWNLOADS},  # data_download
}


def produced_folder(path):
    """The declared output of the data rule that fills the folder holding `path`."""
    for folder, declared in RAW_FOLDERS.items():
        if path == folder or path.startswith(f"{folder}/"):
            return declared
    raise ValueError(f"{path}: not inside any folder a data rule produces ({list(RAW_FOLDERS)})")


def download_source(name):
    """`data.sources.<name>` of config/data/sources.yaml (the download rule's params)."""
    return hart.config.load_yaml(ROOT / "config/data/sources.yaml")["data"]["sources"][name]


def raw_input(wc):
    return produced_folder(GRID["sources"][wc.benchmark]["raw"])


def tokenizer_path(benchmark):
    return _compose(layer_paths(benchmark))["data"]["tokenizer"]


def tokenizer_input(wc):
    return produced_folder(tokenizer_path(wc.benchmark))


def pretrain_input(wc):
    """What a run starts from: the C4 pretraining run (train.init_from) and/or the base model."""
    run = run_of(wc)
    source = pretrain_run(run)
    inputs = [] if source is None else [f"{train_dir(source)}/done.json"]
    if base_checkpoint(run):
        inputs.append(base_checkpoint(run))
    return inputs


def weights_input(wc):
    """The hub download a run's `model.pretrained` folder comes from (data/cache/hub/<model>), if any:
    its config.json, and so its training and evaluation, wait for the one download on the submit host."""
    run = run_of(wc) if hasattr(wc, "benchmark") else base_run(wc.scale)  # train_base_config: scale only
    pretrained = (resolved(run).get("model") or {}).get("pretrained")
    return [produced_folder(pretrained)] if pretrained and pretrained.startswith("data/cache/") else []


def base_config(wc):
    return train_config(base_run(wc.scale))


def checkpoint_input(wc):
    """What evaluation loads: a finished training run, or only the config (evaluate-only)."""
    run = run_of(wc)
    name = "done.json" if trained(run) else "config.json"
    return f"{train_dir(run)}/{name}"


def table_inputs(wc):
    return [evaluation(r) for r in runs_for(GRID["tables"][wc.name])]


def scale_map(selection):
    """Paper scale -> our scale whose runs fill that column (`hart report --scale-map`)."""
    out = {}
    for paper in selection["scales"]:
        ours = [s for s in scales_for(selection) if paper in GRID["stands_for"][s]]
        if ours:
            out[paper] = paper if paper in ours else ours[0]
    return out


def report_maps(wc):
    """`--methods`, `--scale-map` and `--benchmark-map` arguments of `hart report table`."""
    selection = GRID["tables"][wc.name]
    scales = scale_map(selection)
    first = next(iter(scales.values()))
    benchmarks = {b: GRID["benchmarks"][first][b] for b in selection["benchmarks"]}
    pairs = lambda d: " ".join(f"{k}={v}" for k, v in d.items())
    methods = [m for m in selection["methods"] if all(runnable(m, s) for s in scales.values())]
    return (
        f"--methods {' '.join(methods)} --scale-map {pairs(scales)}" f" --benchmark-map {pairs(benchmarks)}"
    )


def figure_inputs(wc):
    selection = GRID["figures"][wc.name]
    if selection.get("input") == "attention":
        return ["results/fig1/attention.safetensors"]
    return [f"{train_dir(r)}/done.json" for r in runs_for(selection)]


def train_logs(wc, input):
    """train_log.jsonl beside each done.json (the log is not a declared output: see train.smk)."""
    return [
        path if path.endswith(".safetensors") else f"{os.path.dirname(path)}/train_log.jsonl"
        for path in input.inputs
    ]


def figure_caption(wc):
    """The line under a figure: scale and seeds of its runs; at tiny/small, a pipeline check."""
    import hart.report.captions

    selection = GRID["figures"][wc.name]
    seeds = GRID["seeds"][:1] if selection.get("input") == "attention" else None
    return hart.report.captions.caption([f"{train_dir(r)}/done.json" for r in runs_for(selection, seeds)])


def attention_run():
    """Figure 1 shows one map: the first configured scale and seed of its selection."""
    runs = runs_for(GRID["figures"]["fig1"], seeds=GRID["seeds"][:1])
    return runs[0]


def report_targets():
    """Tables and figures with at least one run at the configured scales, and the training logs
    as CSV for `dvc plots`."""
    targets = [f"results/plots/{r.path}.csv" for r in all_runs() if trained(r)]
    for name in GRID["tables"]:
        if runs_for(GRID["tables"][name]):
            targets += [f"results/{name}.{ext}" for ext in ("csv", "md", "tex")]
    for name in GRID["figures"]:
        if runs_for(GRID["figures"][name]):
            targets += [f"results/{name}.{ext}" for ext in ("png", "pdf", "csv")]
    return targets


# ---- resources -----------------------------------------------------------------------------


def resource(stage, key):
    """A resource of `stage` at the job's scale (config/config.yaml run.resources). None (key
    left out) leaves the resource unset: the profile's default-resources/set-resources apply."""

    def get(wc):
        return GRID["resources"][wc.scale][stage].get(key)

    return get


MIN_RUNTIME = 30  # minutes: a planned job never asks for less (start-up, loading the checkpoint)


def runtime(stage):
    """SLURM -t in minutes: the configured minutes, or (`runtime: plan`) `hart plan`'s wall-clock
    hours for this one job times the scale's walltime_factor (config/config.yaml)."""

    def get(wc):
        res = GRID["resources"][wc.scale]
        if res[stage]["runtime"] != "plan":
            return res[stage]["runtime"]
        logical = {v: k for k, v in GRID["benchmarks"][wc.scale].items()}[wc.benchmark]
        hours = hart.plan.job_hours(
            stage, wc.scale, wc.method, logical, ROOT / "config", res[stage]["gpus"], gpu=res.get("gpu_model")
        )
        return max(MIN_RUNTIME, math.ceil(hours * 60 * res.get("walltime_factor", 2.0)))

    return get


def nodes(stage):
    """Always 1 (SLURM --nodes=1): refuses a config asking for more, naming the key."""
    for scale, res in GRID["resources"].items():
        if res[stage].get("nodes", 1) != 1:
            raise ValueError(
                f"config/config.yaml run.resources.{scale}.{stage}.nodes = {res[stage]['nodes']}:"
                " multi-node jobs are not supported (the DeepSpeed launcher runs on one node);"
                " use nodes: 1 with up to one node's GPUs"
            )
    return 1


def launcher(wc):
    """`hart` in one process, or DeepSpeed's launcher over the job's GPUs (ZeRO-2)."""
    gpus = GRID["resources"][wc.scale]["train"]["gpus"]
    if gpus > 1:
        return f"deepspeed --num_gpus {gpus} --module hart.cli"
    return "hart"
