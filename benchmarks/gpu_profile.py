"""Where a training step's time goes: `hart train` in this process under cProfile and torch.profiler.

    python benchmarks/gpu_profile.py [--scale small|large] [--steps 6] [--out /tmp/hart-gpu-profile]
    python benchmarks/gpu_profile.py --smoke    # toy geometry on the CPU: checks this script

Same synthetic episodes and configs as benchmarks/gpu_check.py. Prints the 25 functions with the
most own time (cProfile, all steps), then the 20 operators with the most device time over the last
two steps (torch.profiler). Written because gpu_check measured MFU far below what `hart plan`
assumes: this says whether the step is bound by the GPU, by Python, or by host-device waits.
"""

from __future__ import annotations

import argparse
import cProfile
import importlib.util
import io
import json
import pstats
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent


def _gpu_check():
    spec = importlib.util.spec_from_file_location("gpu_check", ROOT / "gpu_check.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", default="small", choices=["small", "large"])
    ap.add_argument("--steps", type=int, default=6)
    ap.add_argument("--out", default="/tmp/hart-gpu-profile")
    ap.add_argument("--smoke", action="store_true")
    args = ap.parse_args(argv)
    import torch

    from hart.cli import main as hart

    gc = _gpu_check()
    device = "cpu" if args.smoke else "cuda"
    if device == "cuda" and not torch.cuda.is_available():
        print("gpu_profile: no CUDA device visible to torch; nothing was measured", file=sys.stderr)
        return 2
    out = Path(args.out)
    data = gc.episodes(out / "data")
    scale = "toy" if args.smoke else args.scale
    batch, micro = (32, 8) if scale != "large" else (8, 4)
    for name, steps in (("cprofile", args.steps), ("torchprof", 3)):
        cfg = gc.config(data, scale, steps, batch, micro)
        (out / f"{name}.json").write_text(json.dumps(cfg))
        argv_ = ["train", "--config", str(out / f"{name}.json"), "--out", str(out / name), "--device", device]
        if name == "cprofile":
            prof = cProfile.Profile()
            prof.enable()
            rc = hart(argv_)
            prof.disable()
            text = io.StringIO()
            stats = pstats.Stats(prof, stream=text)
            stats.sort_stats("tottime").print_stats(25)
            stats.sort_stats("cumulative").print_stats(25)
            print(text.getvalue())
            log = [json.loads(x) for x in (out / name / "train_log.jsonl").read_text().splitlines()]
            print("examples/s per step:", [round(r["examples_per_s"], 1) for r in log], flush=True)
        else:
            from torch.profiler import ProfilerActivity, profile

            acts = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if device == "cuda" else [])
            with profile(activities=acts) as p:
                rc = hart(argv_)
            key = "self_cuda_time_total" if device == "cuda" else "self_cpu_time_total"
            print(p.key_averages().table(sort_by=key, row_limit=20), flush=True)
        if rc != 0:
            print(f"gpu_profile: hart train exited {rc}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
