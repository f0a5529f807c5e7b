"""CPU attention at the study scale: torch's scaled_dot_product_attention (what hart.model.prefix
calls) against the eager matmul-softmax-matmul, forward + backward, with T5's additive bias
(position bias + padding mask, prefix columns included) as the study's encoder self-attention has it.

    python benchmarks/cpu_attention.py [--threads 1] [--repeats 30]

Prints one line per shape: milliseconds per forward+backward for each kernel and their ratio,
measured interleaved in one run (this VM's speed drifts by up to 2x over minutes, so separate runs
do not compare). The outputs agree to float rounding (max abs diff printed).

The kernel alone is not the training step: with eager attention on the CPU in
hart.model.prefix.prefix_attention, a whole HART step at the study scale was 3-13% SLOWER than with
SDPA (2026-11-30, three interleaved pairs of 60-step `hart train` runs, seed-1 HART config: 102.5 /
103.4 / 103.5 examples/s with SDPA against 97.4 / 99.4 / 89.6 eager), so the code keeps SDPA.
"""

from __future__ import annotations

import argparse
import time

import torch
import torch.nn.functional as F


def sdpa(q, k, v, bias):
    return F.scaled_dot_product_attention(q, k, v, attn_mask=bias, scale=1.0)


def eager(q, k, v, bias):
    return torch.matmul(torch.softmax(torch.matmul(q, k.transpose(2, 3)) + bias, dim=-1), v)


def time_kernel(fn, q, k, v, pos, mask, repeats: int) -> float:
    t0 = time.perf_counter()
    for _ in range(repeats):
        fn(q, k, v, pos + mask).sum().backward()
    return (time.perf_counter() - t0) / repeats * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=30)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    # (batch, heads, query length, key length incl. 8 prefix columns, d_kv): study encoder / decoder
    shapes = [(32, 4, 110, 118, 16), (32, 4, 4, 12, 16), (64, 4, 110, 118, 16)]
    print("batch heads q k d_kv | sdpa ms | eager ms | sdpa/eager | max abs diff")
    for b, h, lq, lk, d in shapes:
        q, k, v = (torch.randn(b, h, n, d, requires_grad=True) for n in (lq, lk, lk))
        pos = torch.randn(1, h, lq, lk, requires_grad=True)  # learned relative-position bias
        mask = torch.zeros(b, 1, lq, lk)
        mask[: b // 2, :, :, -lk // 4:] = torch.finfo(torch.float32).min  # padded keys
        diff = (sdpa(q, k, v, pos + mask) - eager(q, k, v, pos + mask)).abs().max().item()
        times = {"sdpa": [], "eager": []}
        for _ in range(3):  # interleaved
            for name, fn in (("sdpa", sdpa), ("eager", eager)):
                times[name].append(time_kernel(fn, q, k, v, pos, mask, args.repeats))
        s, e = min(times["sdpa"]), min(times["eager"])
        print(f"{b} {h} {lq} {lk} {d} | {s:.1f} | {e:.1f} | {s / e:.2f} | {diff:.1e}")


if __name__ == "__main__":
    main()
