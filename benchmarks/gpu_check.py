"""GPU check in one command (about 5-8 minutes on one A100/H100-class GPU; nothing here runs on a CPU).

    python benchmarks/gpu_check.py [--out /tmp/hart-gpu-check] [--skip-xl]
    python benchmarks/gpu_check.py --smoke     # the same steps at toy size on the CPU: checks this script

Every step runs even when an earlier one failed (one GPU session should say as much as it can); the
figures also go to OUT/figures.json, and the exit code is 1 when any step failed.

Random-init models, synthetic episodes at the paper's lengths (hypernet 1024, input 384, target
128 tokens), 8-bit Adam, bf16 autocast where the GPU supports it (else fp32). Each step runs
through the real commands (`hart train`, `hart evaluate`) in subprocesses, on `--device cuda`:

1. single-process training, HART, small and Large geometry: step time, tokens/s, model FLOPs
   utilisation (FLOPs per example from `hart plan`'s model, src/hart/plan.py, against the GPU's peak
   dense bf16/fp16 tensor throughput) next to the MFU `hart plan` assumes, peak GPU memory;
2. the same through the DeepSpeed engine (ZeRO-2, `deepspeed --num_gpus 1` with HART_DEEPSPEED=1, which
   makes `hart train` use the engine in one process), small geometry;
3. kill and resume: SIGTERM at step 3 of 8 (exit 3, a checkpoint), rerun, compare the final loss
   with an uninterrupted run;
4. one evaluation of each protocol (S-NI generation, P3 rank classification) of the small run;
5. XL: two steps of HART at micro-batch 1 through DeepSpeed ZeRO-2 with 8-bit Adam; prints the
   peak memory and whether it stays under 80 GB (`--skip-xl` leaves it out).

Exit 0 when every step ran; 1 when one failed (its error is printed, the others still run); 2 with one
clear line when torch sees no CUDA device (without --smoke).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Peak dense bf16/fp16 tensor TFLOP/s (vendor datasheets, SXM parts, no sparsity) by name fragment.
PEAK_TFLOPS = {"H200": 989.0, "H100": 989.0, "A100": 312.0, "A10": 125.0, "L40": 181.0, "V100": 125.0, "A6000": 155.0}
GEOMETRY = {
    "small": dict(d_model=512, d_ff=1024, num_layers=8, num_decoder_layers=8, num_heads=6, d_kv=64),
    "large": dict(d_model=1024, d_ff=2816, num_layers=24, num_decoder_layers=24, num_heads=16, d_kv=64),
    "xl": dict(d_model=2048, d_ff=5120, num_layers=24, num_decoder_layers=24, num_heads=32, d_kv=64),
    "toy": dict(d_model=32, d_ff=64, num_layers=2, num_decoder_layers=2, num_heads=2, d_kv=16),  # --smoke
}
LENGTHS = dict(max_hyper_len=1024, max_input_len=384, max_target_len=128)
SMOKE_LENGTHS = dict(max_hyper_len=64, max_input_len=32, max_target_len=16)
DEVICE = "cuda"  # --smoke: "cpu"
WORDS = [f"w{i}" for i in range(400)]


def episodes(folder: Path, n: int = 256) -> Path:
    """Synthetic S-NI-style rows long enough to fill the paper's lengths, and a word-level tokenizer."""
    from hart.data.tokenizer import train_tokenizer

    rng = random.Random(0)
    rows = []
    for i in range(n):
        task = f"t{i % 8}"
        words = lambda k: " ".join(rng.choice(WORDS) for _ in range(k))  # noqa: E731
        rows.append({"benchmark": "sni", "task": task, "id": f"{task}-{i}", "split": "train", "category": task,
                     "template": None, "hyper_input": f"Definition {task}: " + words(1100), "query": words(400),
                     "few_shot_input": words(400), "tk_instruct_input": words(400), "target": words(140),
                     "references": [words(8)], "choices": None, "label": None})
    for i, row in enumerate(rows):  # one fixed demonstration set per task (evaluation needs it)
        row["hyper_input"] = rows[int(row["task"][1:])]["hyper_input"]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "train.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    test = [dict(r, task=f"e{r['task']}", id=f"e{r['id']}", split="test") for r in rows[:64]]  # unseen tasks
    ranked = [dict(r, benchmark="p3", choices=[r["references"][0], "w1 w2", "w3"], label=0) for r in test]
    (folder / "rank.jsonl").write_text("".join(json.dumps(r) + "\n" for r in ranked))
    (folder / "gen.jsonl").write_text("".join(json.dumps(r) + "\n" for r in test))
    train_tokenizer([" ".join(WORDS)] * 4, folder / "tokenizer", vocab_size=600)
    return folder


def config(data: Path, scale: str, steps: int, batch: int, micro: int, **train) -> dict:
    toy = scale == "toy"
    model = {"scale": "tiny" if toy else scale, **GEOMETRY[scale], "vocab_size": 640 if toy else 32128, "dropout": 0.1,
             "tokenizer": str(data / "tokenizer"), "prefix_length": 4 if toy else 32,
             "hyper_decoder_layers": 2 if toy else 8, **(SMOKE_LENGTHS if toy else LENGTHS)}
    return {"model": model,
            "method": {"name": "hart", "generator": "hart", "fid": True, "input_field": "query",
                       "consistency": {"alpha": 1.0, "pairing": "per_example"}},
            "train": {"episodes": str(data / "train.jsonl"), "steps": steps, "batch_size": batch,
                      "micro_batch_size": micro, "lr": 5e-5, "optimizer": "adam8bit", "checkpoint_every": 1000,
                      "log_every": 1, "seed": 0, "deterministic": False, "bf16": "auto",
                      "deepspeed_config": str(ROOT / "config/deepspeed/zero2.json"), **train}}


def hart(args: list[str], env: dict | None = None, timeout: int = 600) -> subprocess.CompletedProcess:
    """`hart ARGS`; with HART_DEEPSPEED=1 in ``env``, under `deepspeed --num_gpus 1` (the engine in one process)."""
    env = {**os.environ, **(env or {})}
    launcher = [sys.executable, "-m", "hart.cli"]
    if env.get("HART_DEEPSPEED") == "1":  # the runner module, not a `deepspeed` script that may not be on PATH
        gpus = ["--num_gpus", "1"] if DEVICE == "cuda" else []
        launcher = [sys.executable, "-m", "deepspeed.launcher.runner", *gpus, "--master_port", str(_free_port()),
                    "--module", "hart.cli"]
    return subprocess.run([*launcher, *args], env=env, capture_output=True, text=True, timeout=timeout)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def train(name: str, cfg: dict, out: Path, env: dict | None = None) -> dict:
    """Run `hart train`; returns figures from its log and done.json."""
    run = out / name
    (out / f"{name}.json").write_text(json.dumps(cfg))
    t0 = time.perf_counter()
    proc = hart(["train", "--config", str(out / f"{name}.json"), "--out", str(run), "--device", DEVICE], env)
    if proc.returncode != 0:
        raise StepFailed(f"{name}: hart train failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
    log = [json.loads(l) for l in (run / "train_log.jsonl").read_text().splitlines()]
    done = json.loads((run / "done.json").read_text())
    times = [cfg["train"]["batch_size"] / r["examples_per_s"] for r in log[1:]] or \
            [cfg["train"]["batch_size"] / log[0]["examples_per_s"]]  # the first step includes warm-up
    return {"name": name, "step_s": statistics.median(times), "wall_s": time.perf_counter() - t0, "log": log, **done}


class StepFailed(Exception):
    """One step of the check failed; the others still run."""


def mfu(result: dict, cfg: dict, peak: float | None) -> tuple[float, float, float | None]:
    """(tokens/s, achieved TFLOP/s, MFU) with `hart plan`'s FLOPs per example."""
    from hart.plan import train_flops

    g = {**cfg["model"]}
    t = {k: cfg["model"][k] for k in (*LENGTHS, "prefix_length", "hyper_decoder_layers")}
    flops, _, _, tokens = train_flops(g, cfg["method"], t, c4=False)
    per_s = cfg["train"]["batch_size"] / result["step_s"]
    achieved = flops * per_s / 1e12
    return tokens * per_s, achieved, (achieved / peak if peak else None)


def kill_and_resume(data: Path, out: Path, scale: str) -> str:
    cfg = config(data, scale, 8, 8, 4, checkpoint_every=2)
    (out / "resume.json").write_text(json.dumps(cfg))
    run = out / "resumed"
    cmd = [sys.executable, "-m", "hart.cli", "train", "--config", str(out / "resume.json"), "--out", str(run), "--device", DEVICE]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    log = run / "train_log.jsonl"
    while proc.poll() is None and not (log.exists() and len(log.read_text().splitlines()) >= 3):
        time.sleep(0.1)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=300)
    if proc.returncode != 3:
        raise StepFailed(f"kill/resume: expected exit 3 after SIGTERM, got {proc.returncode}:\n{err[-2000:]}")
    again = hart(cmd[3:])
    if again.returncode != 0 or "resuming from" not in again.stderr:
        raise StepFailed(f"kill/resume: the rerun did not resume:\n{again.stderr[-2000:]}")
    whole = train("uninterrupted", cfg, out)
    a = json.loads(log.read_text().splitlines()[-1])["loss"]
    b = whole["log"][-1]["loss"]
    return f"stopped and resumed: final loss {a:.5f} vs uninterrupted {b:.5f} (relative gap {abs(a - b) / abs(b):.1e})"


def evaluate(data: Path, out: Path, run: Path, scale: str) -> list[str]:
    lines = []
    (out / "eval.json").write_text(json.dumps({"run": {"benchmark": "sni", "scale": "tiny" if scale == "toy" else scale, "method": "hart", "seed": 0},
                                               "evaluate": {"batch_size": 16, "max_new_tokens": 128}}))
    for kind in ("gen", "rank"):
        t0 = time.perf_counter()
        proc = hart(["evaluate", "--config", str(out / "eval.json"), "--checkpoint", str(run), "--episodes",
                     str(data / f"{kind}.jsonl"), "--out", str(out / f"eval-{kind}.json"), "--device", DEVICE])
        if proc.returncode != 0:
            raise StepFailed(f"evaluate ({kind}) failed:\n{proc.stderr[-2000:]}")
        res = json.loads((out / f"eval-{kind}.json").read_text())
        lines.append(f"evaluate {'S-NI generation' if kind == 'gen' else 'P3 ranking'}: 64 rows in "
                     f"{time.perf_counter() - t0:.1f} s (incl. loading), {res['metric']} {res['score']:.2f}, "
                     f"{res['meta']['device']}")
    return lines


def main(argv=None) -> int:
    global DEVICE
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="/tmp/hart-gpu-check")
    ap.add_argument("--skip-xl", action="store_true")
    ap.add_argument("--smoke", action="store_true", help="toy geometry on the CPU: checks this script, measures nothing")
    args = ap.parse_args(argv)
    import torch

    from hart.device import precision
    from hart.plan import MFU

    if args.smoke:
        DEVICE, args.skip_xl = "cpu", True
    elif not torch.cuda.is_available():
        print(f"gpu_check: no CUDA device visible to torch {torch.__version__} (CUDA build: {torch.version.cuda}); "
              "nothing was measured. Run it on a GPU node.", file=sys.stderr)
        return 2
    name = torch.cuda.get_device_name(0) if DEVICE == "cuda" else "CPU (smoke run: no figure is a measurement)"
    peak = next((v for k, v in PEAK_TFLOPS.items() if k in name), None)
    out = Path(args.out)
    data = episodes(out / "data")
    small, large = ("toy", "toy") if args.smoke else ("small", "large")
    prec = precision(torch.device(DEVICE), "auto")
    print(f"GPU: {name}, precision {prec}, torch {torch.__version__} (CUDA {torch.version.cuda}), "
          f"peak {peak or 'unknown'} TFLOP/s; hart plan assumes MFU {MFU:.0%}", flush=True)
    import bitsandbytes
    import deepspeed
    import transformers

    versions = {"torch": torch.__version__, "cuda": torch.version.cuda, "transformers": transformers.__version__,
                "deepspeed": deepspeed.__version__, "bitsandbytes": bitsandbytes.__version__}
    print("versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()), flush=True)
    figures: dict = {"device": name, "precision": prec, **versions, "steps": {}}
    failed: list[str] = []

    def step(label: str, fn) -> None:
        t0 = time.perf_counter()
        try:
            figures["steps"][label] = fn()
        except Exception as exc:  # noqa: BLE001 (a failed step is reported; the next one still runs)
            failed.append(label)
            figures["steps"][label] = {"failed": str(exc)[-3000:]}
            print(f"FAILED {label} after {time.perf_counter() - t0:.0f} s: {exc}", flush=True)
        (out / "figures.json").write_text(json.dumps(figures, indent=1, default=str))

    def training(label: str, cfg: dict, env: dict) -> dict:
        r = train(label, cfg, out, env)
        tok_s, tflops, util = mfu(r, cfg, peak)
        util_text = f"MFU {util:.1%}" if util is not None else "MFU unknown (peak not in PEAK_TFLOPS)"
        print(f"train {label:16s} step {r['step_s']:.3f} s (batch {cfg['train']['batch_size']}), {tok_s:,.0f} main "
              f"tokens/s, {tflops:.1f} TFLOP/s, {util_text} (plan assumes {MFU:.0%}), "
              f"peak memory {r.get('peak_memory_gib', float('nan')):.1f} GiB, {r['precision']}, "
              f"wall {r['wall_s']:.0f} s", flush=True)
        return {"step_s": r["step_s"], "tokens_per_s": tok_s, "tflops": tflops, "mfu": util,
                "peak_memory_gib": r.get("peak_memory_gib"), "precision": r["precision"], "wall_s": r["wall_s"],
                "losses": [x["loss"] for x in r["log"]]}

    def printed(lines):
        lines = [lines] if isinstance(lines, str) else lines
        for line in lines:
            print(line, flush=True)
        return lines

    step("small", lambda: training("small", config(data, small, 6, 32, 8), {}))
    step("small-deepspeed", lambda: training("small-deepspeed", config(data, small, 6, 32, 8), {"HART_DEEPSPEED": "1"}))
    step("evaluate", lambda: printed(evaluate(data, out, out / "small", small)))
    step("kill-resume", lambda: printed(kill_and_resume(data, out, small)))
    step("large", lambda: training("large", config(data, large, 4, 8, 4), {}))
    if not args.skip_xl:
        def xl() -> dict:
            r = training("xl-deepspeed", config(data, "xl", 2, 1, 1), {"HART_DEEPSPEED": "1"})
            fits = r["peak_memory_gib"] * 2**30 < 80e9
            print(f"XL, ZeRO-2 + 8-bit Adam, micro-batch 1: peak {r['peak_memory_gib']:.1f} GiB -> "
                  f"{'fits' if fits else 'does NOT fit'} on one 80 GB GPU", flush=True)
            return {**r, "fits_80gb": fits}
        step("xl-deepspeed", xl)
    if failed:
        print(f"gpu_check: {len(failed)} step(s) failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
