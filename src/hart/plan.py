"""`hart plan`: GPU-hours and memory of every job a table or figure needs, before running it.

    hart plan --scale large --target table2

Parameter counts come from the T5 v1.1 geometry (untied input embedding and LM head, gated-GELU
feed-forward, no biases, relative position bias in the first layer of each stack). Compute is
6 * params * tokens for trained weights and 4 * params * tokens for frozen weights that gradients
still flow through (forward 2 + backward to the activations 2; no weight gradients), e.g. the main
model under prefix tuning, LoRA or a hypernetwork; 2 * params * tokens for forward-only work.
Attention-score FLOPs (n^2 terms) are left out. Steps, batch and sequence lengths follow the paper
(Appendix 6.1.3) at large/xl and config/scale/<scale>.yaml at tiny/small.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from hart.errors import HartError
from hart.argtypes import fraction, positive_int

# Geometry of the LM-adapted T5 v1.1 checkpoints (their config.json on the hub).
GEOMETRY = {
    "large": dict(d_model=1024, d_ff=2816, num_layers=24, num_decoder_layers=24, num_heads=16,
                  d_kv=64, vocab_size=32128),
    "xl": dict(d_model=2048, d_ff=5120, num_layers=24, num_decoder_layers=24, num_heads=32,
               d_kv=64, vocab_size=32128),
}
# Paper, Appendix 6.1.2/6.1.3: steps, batch 256, hypernet/main/target lengths, prefix 32, 8 hyper
# decoder layers. C4 pretraining length is not given: assumed equal to fine-tuning.
PAPER = {
    "large": dict(steps=10_000, batch_size=256, max_hyper_len=1024, max_input_len=384,
                  max_target_len=128, prefix_length=32, hyper_decoder_layers=8),
    "xl": dict(steps=20_000, batch_size=256, max_hyper_len=1024, max_input_len=384,
               max_target_len=128, prefix_length=32, hyper_decoder_layers=8),
}
# Assumed sustained throughput: peak dense TFLOP/s of the precision training uses on that GPU x
# utilisation (MFU). Training autocasts to bf16 on a GPU with native bf16 (compute capability >= 8:
# A100, H100) and stays fp32 elsewhere (V100: no bf16, and T5 overflows in fp16), so a V100 is
# planned at its fp32 peak. The paper trained Large on V100 32GB and XL on A100 80GB; the GPU a
# scale is planned for is `run.resources.<scale>.gpu_model` in config/config.yaml (--gpu overrides).
GPUS = {"V100": ("fp32", 15.7), "A100": ("bf16", 312.0), "H100": ("bf16", 989.0)}
DEFAULT_GPU = "A100"
MFU = 0.40
# The one measurement (docs/cluster.md, GPU check; one H200, bf16, 8-bit Adam, paper lengths): HART
# trained at 0.3 % (small, micro-batch 8) and 0.9 % (Large, micro-batch 4) MFU, launch-bound by its
# layer-by-layer generator. `hart plan` prints it beside rows of that generator; MFU stays an assumption.
MEASURED_HART_MFU = {"small": 0.003, "large": 0.009}
GPUS_PER_JOB = 8  # ZeRO-2 shards gradients and optimizer state over the job's GPUs
REL_BUCKETS = 32
C4_LENGTHS = dict(max_hyper_len=256, max_input_len=128, max_target_len=128)  # 512-token segments
# Held-out test sizes for evaluation rows: S-NI 119 tasks x 100; P3 23,074 episodes (docs/data.md)
# with about 3 choices of about 16 target tokens each.
EVAL_EXAMPLES = {"sni": 11_900, "p3": 23_074}
P3_CHOICES, P3_CHOICE_LEN = 3, 16


# ---- parameter counts ----------------------------------------------------------------------


def attention_params(g: dict) -> int:
    """q, k, v, o without biases: 4 * d_model * (heads * d_kv)."""
    return 4 * g["d_model"] * g["num_heads"] * g["d_kv"]


def ffn_params(g: dict) -> int:
    """Gated-GELU: wi_0, wi_1 (d_model x d_ff) and wo (d_ff x d_model)."""
    return 3 * g["d_model"] * g["d_ff"]


def encoder_params(g: dict) -> int:
    """Encoder stack (no embedding): layers + relative bias + final RMS norm."""
    layer = attention_params(g) + ffn_params(g) + 2 * g["d_model"]
    return g["num_layers"] * layer + REL_BUCKETS * g["num_heads"] + g["d_model"]


def decoder_params(g: dict, layers: int | None = None) -> int:
    """Decoder stack (no embedding): self + cross attention, FFN, 3 norms per layer."""
    layers = g["num_decoder_layers"] if layers is None else layers
    layer = 2 * attention_params(g) + ffn_params(g) + 3 * g["d_model"]
    return layers * layer + REL_BUCKETS * g["num_heads"] + g["d_model"]


def t5_params(g: dict) -> int:
    """Whole T5 v1.1: shared input embedding + untied LM head + both stacks."""
    return 2 * g["vocab_size"] * g["d_model"] + encoder_params(g) + decoder_params(g)


def generator_params(g: dict, generator: str, p: int) -> int:
    """MLP heads and learned decoder input (Appendix 6.1.2). Four families (enc/dec x key/value),
    one MLP per main-model layer each; within a family the first Linear is shared. Each MLP:
    LayerNorm (2d), Linear, tanh, Linear (with biases)."""
    d, layers = g["d_model"], g["num_layers"]
    if generator in ("hypertuning", "layerwise"):  # first d->d shared, per layer LN + d->d
        family = (d * d + d) + layers * (2 * d + d * d + d)
        z = 2 * p * d if generator == "hypertuning" else 2 * layers * d
    elif generator == "hart":  # first d->p*d shared, per layer LN + d->d
        family = (d * p * d + p * d) + layers * (2 * d + d * d + d)
        z = 2 * d
    else:
        raise HartError(f"unknown generator {generator!r}")
    return 4 * family + z


def hypernet_params(g: dict, generator: str, p: int, hyper_layers: int) -> int:
    """Hypernetwork: T5 embedding + full encoder + first `hyper_layers` decoder layers + heads."""
    return (g["vocab_size"] * g["d_model"] + encoder_params(g)
            + decoder_params(g, hyper_layers) + generator_params(g, generator, p))


def prefix_params(g: dict, p: int) -> int:
    """Prefix-Tuning: a key and a value prefix (p, d) per layer of both stacks."""
    return 2 * (g["num_layers"] + g["num_decoder_layers"]) * p * g["d_model"]


def lora_params(g: dict, r: int, targets: list[str]) -> int:
    """LoRA A (r x d_in) and B (d_out x r) on each target projection of every attention module
    (encoder self, decoder self and cross)."""
    hd = g["num_heads"] * g["d_kv"]
    modules = g["num_layers"] + 2 * g["num_decoder_layers"]
    return modules * len(targets) * r * (g["d_model"] + hd)


# ---- one job -------------------------------------------------------------------------------


@dataclass
class Row:
    job: str
    params: int  # parameters in memory
    trainable: int
    tokens: int  # tokens through the main model over the whole job
    flops: float
    gpu_hours: float
    mem_gib: float  # model states per GPU (weights, grads, optimizer), activations not included


def train_flops(g: dict, method: dict, t: dict, c4: bool) -> tuple[float, int, int, int]:
    """(FLOPs per example, params in memory, trainable params, main tokens per example)."""
    lens = {**t, **C4_LENGTHS} if c4 else t
    th, ti, to = lens["max_hyper_len"], lens["max_input_len"], lens["max_target_len"]
    p, hyper_layers = t["prefix_length"], t["hyper_decoder_layers"]
    enc, dec, head = encoder_params(g), decoder_params(g), g["vocab_size"] * g["d_model"]
    main_fwd = 2 * (enc * ti + (dec + head) * to)  # one forward of the main model
    main_total = t5_params(g)
    gen = method.get("generator", "none")
    if gen == "none":
        if method.get("train_main"):  # full fine-tuning
            return 3 * main_fwd, main_total, main_total, ti + to
        lora = method.get("lora")
        if lora:
            n = lora_params(g, lora.get("r", 8), lora.get("target_modules", ["q", "v"]))
            return 2 * main_fwd + 6 * n * (ti + to), main_total + n, n, ti + to
        raise HartError(f"method {method.get('name')}: nothing to train")
    if gen == "learned":  # prefixes: frozen main, gradients through it
        n = prefix_params(g, p)
        return 2 * main_fwd, main_total + n, n, ti + to
    # hypernetwork: encoder over the demonstrations, a short decoder pass, then the main model
    hyper = hypernet_params(g, gen, p, hyper_layers)
    positions = 2 * p if gen == "hypertuning" else 2 * g["num_layers"]
    hyper_fwd = 2 * (encoder_params(g) * th + decoder_params(g, hyper_layers) * positions
                     + generator_params(g, gen, p))
    if method.get("share_weights"):  # HINT: one set of weights, all trained
        return 3 * (main_fwd + hyper_fwd), main_total + generator_params(g, gen, p), \
            main_total + generator_params(g, gen, p), ti + to
    return 2 * main_fwd + 3 * hyper_fwd, main_total + hyper, hyper, ti + to


def state_bytes(params: int, trainable: int, gpus: int) -> float:
    """bf16 weights (2 B) for everything; for trained weights an fp32 master copy (4 B), bf16
    gradients (2 B) and Adam-8bit moments (2 B), the last three sharded by ZeRO-2."""
    return 2 * params + (4 + 2 + 2) * trainable / gpus


def eval_flops(g: dict, t: dict, benchmark: str) -> float:
    enc, dec, head = encoder_params(g), decoder_params(g), g["vocab_size"] * g["d_model"]
    n = EVAL_EXAMPLES[benchmark]
    if benchmark == "sni":  # greedy generation with a KV cache, up to max_target_len tokens
        per = 2 * (enc * t["max_input_len"] + (dec + head) * t["max_target_len"])
    else:  # rank classification: every choice scored teacher-forced
        per = 2 * (enc * t["max_input_len"] + P3_CHOICES * (dec + head) * P3_CHOICE_LEN)
    return float(n * per)


# ---- the plan ------------------------------------------------------------------------------


def settings(scale: str, config_dir: Path) -> tuple[dict, dict]:
    """(geometry, training settings) of a scale."""
    if scale in PAPER:
        return GEOMETRY[scale], PAPER[scale]
    from hart.config import load_yaml

    cfg = load_yaml(config_dir / "scale" / f"{scale}.yaml")
    model, train = cfg.get("model", {}), cfg.get("train", {})
    g = {k: model[k] for k in GEOMETRY["large"] if k != "vocab_size"}
    g["vocab_size"] = model.get("vocab_size") or 32128
    t = {k: model[k] for k in ("max_hyper_len", "max_input_len", "max_target_len",
                               "prefix_length", "hyper_decoder_layers")}
    t.update(steps=train["steps"], batch_size=train["batch_size"])
    return g, t


def jobs(target: str, config_dir: Path) -> list[tuple[str, str]]:
    """(method, logical benchmark) of every training job the target needs, pretraining included."""
    from hart.config import load_yaml

    run = load_yaml(config_dir / "config.yaml")["run"]
    selection = {**run.get("tables", {}), **run.get("figures", {})}.get(target)
    if selection is None:
        raise HartError(f"--target {target}: not a table or figure of config/config.yaml")
    out = []
    for bench in selection["benchmarks"]:
        for method in selection["methods"]:
            pre = run.get("pretrain", {}).get(method)
            if pre and (pre, "c4") not in out:
                out.append((pre, "c4"))
            out.append((method, bench))
    return out


def gpu_for(scale: str, config_dir: Path, gpu: str | None = None) -> tuple[str, str, float]:
    """(GPU model, precision, peak TFLOP/s): `gpu`, else the scale's `gpu_model` in config.yaml."""
    if gpu is None:
        from hart.config import load_yaml

        resources = load_yaml(config_dir / "config.yaml").get("run", {}).get("resources", {})
        gpu = resources.get(scale, {}).get("gpu_model", DEFAULT_GPU)
    if gpu not in GPUS:
        raise HartError(f"GPU model {gpu!r}: not one of {sorted(GPUS)}")
    return (gpu, *GPUS[gpu])


def job_rows(scale: str, method_name: str, bench: str, config_dir: Path, rate: float,
             gpus: int) -> list[Row]:
    """The train row (unless evaluation-only) and the evaluate row (unless C4) of one job."""
    from hart.config import load_yaml

    g, t = settings(scale, config_dir)
    method = load_yaml(config_dir / "method" / f"{method_name}.yaml").get("method", {})
    rows = []
    if not method.get("eval_only"):
        per, params, trainable, tok = train_flops(g, method, t, c4=bench == "c4")
        examples = t["steps"] * t["batch_size"]
        flops = float(per * examples)
        rows.append(Row(f"train {bench}/{method_name}", params, trainable, tok * examples,
                        flops, flops / rate / 3600, state_bytes(params, trainable, gpus) / 2**30))
    if bench != "c4":
        flops = eval_flops(g, t, bench)
        rows.append(Row(f"evaluate {bench}/{method_name}", t5_params(g), 0, 0, flops,
                        flops / rate / 3600, 2 * t5_params(g) / 2**30))
    return rows


def plan(scale: str, target: str, config_dir: Path, mfu: float = MFU,
         gpus: int = GPUS_PER_JOB, gpu: str | None = None) -> list[Row]:
    rate = gpu_for(scale, config_dir, gpu)[2] * 1e12 * mfu  # FLOP/s per GPU
    return [row for method_name, bench in jobs(target, config_dir)
            for row in job_rows(scale, method_name, bench, config_dir, rate, gpus)]


def job_hours(stage: str, scale: str, method: str, bench: str, config_dir: Path, gpus: int,
              mfu: float = MFU, gpu: str | None = None) -> float:
    """Planned wall-clock hours of one Snakemake job (`stage` train or evaluate) on `gpus` GPUs:
    its GPU-hours over its GPUs (perfect scaling assumed: the walltime factor covers the rest)."""
    rate = gpu_for(scale, config_dir, gpu)[2] * 1e12 * mfu
    rows = [r for r in job_rows(scale, method, bench, config_dir, rate, max(gpus, 1))
            if r.job.startswith(f"{stage} ")]
    if not rows:
        raise HartError(f"hart plan: no {stage} job for {bench}/{method} at {scale}")
    return rows[0].gpu_hours / max(gpus, 1)


def render(rows: list[Row], scale: str, target: str, mfu: float, gpus: int,
           gpu: tuple[str, str, float] = (DEFAULT_GPU, *GPUS[DEFAULT_GPU])) -> str:
    gpu_name, precision, peak = gpu
    lines = [
        f"hart plan: {target} at scale {scale}",
        f"assumed GPU: {gpu_name}, {precision} (what training uses there), {peak:.0f} TFLOP/s peak"
        f" x {mfu:.0%} MFU"
        f" = {peak * mfu:.0f} TFLOP/s sustained; memory = model states per GPU with ZeRO-2 over"
        f" {gpus} GPUs (activations not included)",
        f"{'job':<40} {'params':>9} {'trainable':>10} {'PFLOP':>10} {'GPU-h':>9} {'GiB/GPU':>8}",
    ]
    for r in rows:
        lines.append(f"{r.job:<40} {r.params / 1e6:>8.1f}M {r.trainable / 1e6:>9.2f}M"
                     f" {r.flops / 1e15:>10.1f} {r.gpu_hours:>9.1f} {r.mem_gib:>8.1f}")
    total_flops = sum(r.flops for r in rows)
    total_hours = sum(r.gpu_hours for r in rows)
    lines.append(f"{'TOTAL':<40} {'':>9} {'':>10} {total_flops / 1e15:>10.1f} {total_hours:>9.1f}")
    if any(r.job.split("/")[-1].startswith("hart") for r in rows):
        lines.append(f"note: HART's layer-by-layer generator measured {MEASURED_HART_MFU['large']:.1%} MFU at Large on an H200"
                     " (launch-bound; docs/cluster.md, GPU check): its rows above assume "
                     f"{mfu:.0%}; measure with benchmarks/gpu_check.py and rerun with --mfu")
    return "\n".join(lines)


def default_config_dir() -> Path:
    """config/ of the checkout this module lives in (editable install), else ./config."""
    here = Path(__file__).resolve().parents[2] / "config"
    return here if (here / "config.yaml").is_file() else Path("config")


def register(subparsers) -> None:
    p = subparsers.add_parser("plan", help="estimate GPU-hours and memory of a table's jobs",
                              description=__doc__.splitlines()[0])
    p.add_argument("--scale", required=True, choices=["tiny", "small", "large", "xl"])
    p.add_argument("--target", required=True,
                   choices=["table2", "table3", "table4", "table5", "fig1", "fig3", "fig4"])
    p.add_argument("--config-dir", type=Path, default=None, help="default: the checkout's config/")
    p.add_argument("--mfu", type=fraction, default=MFU, help="model FLOP utilisation (default 0.4)")
    p.add_argument("--gpus", type=positive_int, default=GPUS_PER_JOB, help="GPUs per job (ZeRO-2 shards)")
    p.add_argument("--gpu", choices=sorted(GPUS), default=None,
                   help="GPU model (default: run.resources.<scale>.gpu_model of config.yaml)")
    p.set_defaults(func=main)


def main(args) -> int:
    config_dir = args.config_dir or default_config_dir()
    gpu = gpu_for(args.scale, config_dir, args.gpu)
    rows = plan(args.scale, args.target, config_dir, args.mfu, args.gpus, gpu[0])
    print(render(rows, args.scale, args.target, args.mfu, args.gpus, gpu))
    return 0
