"""Core-model costs, measured side by side in one run on the CPU (issue: core model).

    .venv/bin/python benchmarks/bench_core.py [--repeats 5] [--threads 2]

For the tiny and the T5 v1.1 small geometry (random init, prefix length 8 / 32, hypernet decoder
1 / 4 layers), with identical inputs:
  - HART training step time / HyperTuning training step time (goal <= 1.05),
  - time to generate one task's prefixes (one hypernetwork forward, no grad) / one main-model
    training step (forward+backward of the frozen main model with those prefixes, batch 8).
Steps are interleaved (A, B, A, B, ...) and the median is reported, so drift hits both alike.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from hart.model.build import build_model
from hart.settings import MethodSettings, ModelSettings

GEOMS = {
    "tiny": dict(d_model=64, d_ff=128, num_layers=2, num_decoder_layers=2, num_heads=4, d_kv=16, vocab_size=2000,
                 prefix_length=8, hyper_decoder_layers=1),
    "small": dict(d_model=512, d_ff=1024, num_layers=8, num_decoder_layers=8, num_heads=6, d_kv=64, vocab_size=32128,
                  prefix_length=32, hyper_decoder_layers=4),
}


def _inputs(vocab, batch=8, hyper=256, src=128, tgt=32):
    g = torch.Generator().manual_seed(0)
    r = lambda n: torch.randint(3, vocab, (batch, n), generator=g)  # noqa: E731
    return r(hyper), r(src), r(tgt)


def _train_step(model, opt, h, x, y):
    state = model.task_state(h, torch.ones_like(h))
    loss = model.loss(state, x, torch.ones_like(x), y)
    loss.backward()
    opt.step()
    opt.zero_grad(set_to_none=True)


def _timed(fn, repeats):
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def measure(scale: str, repeats: int) -> dict:
    ms = ModelSettings(scale=scale, dropout=0.0, **GEOMS[scale])
    models = {k: build_model(ms, MethodSettings(name=k, generator=k, fid=True)) for k in ("hart", "hypertuning")}
    opts = {k: torch.optim.AdamW([p for p in m.parameters() if p.requires_grad], lr=1e-5) for k, m in models.items()}
    h, x, y = _inputs(ms.vocab_size)
    for k in models:  # warm-up
        _train_step(models[k], opts[k], h, x, y)
    times = {"hart": [], "hypertuning": []}
    for _ in range(repeats):
        for k in ("hart", "hypertuning"):
            times[k] += _timed(lambda: _train_step(models[k], opts[k], h, x, y), 1)
    hart = models["hart"]
    with torch.no_grad():
        one_task = lambda: hart.task_state(h[:1], torch.ones_like(h[:1]))  # noqa: E731
        one_task()
        state = hart.task_state(h[:1], torch.ones_like(h[:1]))
    main_opt = torch.optim.SGD([hart.source.z], lr=0.0)

    def main_step():  # the frozen main model's forward+backward with fixed prefixes
        s = type(state)(*(t.detach().requires_grad_() if torch.is_tensor(t) and t.is_floating_point() else t
                          for t in (state.prefixes, state.memory, state.memory_mask, state.states)))
        loss = hart.loss(s, x, torch.ones_like(x), y)
        loss.backward()
        main_opt.zero_grad()

    gen, step = [], []
    for _ in range(repeats):
        with torch.no_grad():
            gen += _timed(one_task, 1)
        step += _timed(main_step, 1)
    med = statistics.median
    return {"scale": scale, "hart_step_s": med(times["hart"]), "hypertuning_step_s": med(times["hypertuning"]),
            "ratio_hart_over_hypertuning": med(times["hart"]) / med(times["hypertuning"]),
            "prefix_gen_s": med(gen), "main_step_s": med(step), "ratio_gen_over_main_step": med(gen) / med(step)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--scales", nargs="+", default=["tiny", "small"])
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    print("| scale | HART step s | HyperTuning step s | HART/HT | prefix gen s | main step s | gen/main step |")
    print("|---|---|---|---|---|---|---|")
    for scale in args.scales:
        r = measure(scale, args.repeats)
        print(f"| {scale} | {r['hart_step_s']:.4f} | {r['hypertuning_step_s']:.4f} | {r['ratio_hart_over_hypertuning']:.3f} "
              f"| {r['prefix_gen_s']:.4f} | {r['main_step_s']:.4f} | {r['ratio_gen_over_main_step']:.3f} |", flush=True)


if __name__ == "__main__":
    main()
