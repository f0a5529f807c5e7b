"""Does bitsandbytes' 8-bit Adam step a single tensor of more than 2**31 elements on this GPU?

    python benchmarks/gpu_bnb_limit.py

Why: ZeRO-2 hands the optimizer one flat fp32 partition per rank. HART-XL trains about 2.9 B
hypernetwork parameters, so on ONE GPU that partition exceeds 2**31 elements, and gpu_check's XL
step failed with "Error invalid argument at line 177 in file /src/csrc/ops.cu". This steps a
tensor just under and one just over 2**31 elements (about 22 GB of GPU memory each) and prints
what happened to each.
"""

import sys

import torch


def one(n: int) -> None:
    import bitsandbytes as bnb

    p = torch.nn.Parameter(torch.zeros(n, device="cuda"))
    p.grad = torch.full_like(p, 1e-3)
    bnb.optim.Adam8bit([p], lr=1e-3).step()
    torch.cuda.synchronize()
    print(f"{n:,} elements: step ok, p[0] = {p[0].item():.2e}, p[-1] = {p[-1].item():.2e}")


def main() -> int:
    if len(sys.argv) == 2:
        one(int(sys.argv[1]))
        return 0
    if not torch.cuda.is_available():
        print("gpu_bnb_limit: no CUDA device; nothing was measured", file=sys.stderr)
        return 2
    import subprocess

    for n in (2**31 - 2**20, 2**31 + 2**20):  # one process each: bitsandbytes exits the process on a CUDA error
        proc = subprocess.run([sys.executable, __file__, str(n)], capture_output=True, text=True)
        said = (proc.stdout + proc.stderr).strip().splitlines()
        print(f"2**31 {'+' if n > 2**31 else '-'} 2**20 = {n:,} elements: exit {proc.returncode}: "
              f"{said[-1] if said else ''}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
