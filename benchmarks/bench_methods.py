"""Method costs measured side by side (issue: methods and evaluation).

    .venv/bin/python benchmarks/bench_methods.py lora [--scales tiny small]
    .venv/bin/python benchmarks/bench_methods.py adapt --run results/train/suite-sni/tiny/hart/seed0 \
        --task data/suite/suite-sni/raw/tasks/<held-out task>.json [--steps 100]

``lora``: one training step of our loop (PEFT LoRA model, AdamW, same batch) vs the transformers
Trainer driving the same PEFT model on the same data and batch size; median seconds per step and the
ratio (goal: ours no slower). ``adapt``: adapting to one unseen task with HART (one hypernetwork
forward) vs Prefix-Tuning the frozen main model on that task's demonstrations for ``--steps`` steps;
wall-time ratio (goal >= 100x) and both methods' ROUGE-L on the task's instances.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import torch

GEOMS = {
    "tiny": dict(d_model=64, d_ff=128, num_layers=2, num_decoder_layers=2, num_heads=4, d_kv=16, vocab_size=2000),
    "small": dict(d_model=512, d_ff=1024, num_layers=8, num_decoder_layers=8, num_heads=6, d_kv=64, vocab_size=32128),
}


def bench_lora(scale: str, steps: int = 12, batch: int = 8) -> dict:
    from datasets import Dataset
    from transformers import Trainer, TrainingArguments

    from hart.model.build import build_model
    from hart.settings import LoraSettings, MethodSettings, ModelSettings

    ms = ModelSettings(scale=scale, dropout=0.0, **GEOMS[scale])
    meth = MethodSettings(name="lora", generator="none", fid=False, lora=LoraSettings())
    g = torch.Generator().manual_seed(0)
    x = torch.randint(3, ms.vocab_size, (batch, 128), generator=g)
    y = torch.randint(3, ms.vocab_size, (batch, 32), generator=g)

    ours = build_model(ms, meth)
    opt = torch.optim.AdamW([p for p in ours.parameters() if p.requires_grad], lr=1e-4)
    state = ours.task_state()

    def our_step():
        loss = ours.loss(state, x, torch.ones_like(x), y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_([p for p in ours.parameters() if p.requires_grad], 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)

    theirs = build_model(ms, meth).main  # the same PEFT-wrapped T5, driven by the Trainer
    data = Dataset.from_dict({"input_ids": x.repeat(steps + 2, 1).tolist(), "labels": y.repeat(steps + 2, 1).tolist(),
                              "attention_mask": torch.ones_like(x).repeat(steps + 2, 1).tolist()})
    stamps = []

    class Clock(__import__("transformers").TrainerCallback):
        def on_step_end(self, *a, **k):
            stamps.append(time.perf_counter())

    args = TrainingArguments(output_dir="/tmp/hart-bench-trainer", per_device_train_batch_size=batch, max_steps=steps + 2,
                             learning_rate=1e-4, report_to=[], save_strategy="no", logging_strategy="no",
                             use_cpu=True, dataloader_num_workers=0, disable_tqdm=True, max_grad_norm=1.0)
    Trainer(model=theirs, args=args, train_dataset=data, callbacks=[Clock()]).train()
    trainer_steps = [b - a for a, b in zip(stamps[1:], stamps[2:])]
    our_step()
    ours_t = []
    for _ in range(steps):
        t0 = time.perf_counter()
        our_step()
        ours_t.append(time.perf_counter() - t0)
    med = statistics.median
    return {"scale": scale, "ours_s": med(ours_t), "trainer_s": med(trainer_steps), "ratio": med(trainer_steps) / med(ours_t)}


def bench_adapt(run: Path, task_path: Path, steps: int) -> dict:
    from hart.adapt import _score, load_adapt_task
    from hart.data.formats import def_pos, query_block, token_counter
    from hart.model.adapted import AdaptedT5, TaskState, load
    from hart.model.heads import LearnedPrefix

    model, tok, cfg = load(run)
    task = load_adapt_task(task_path)
    items = [{"id": i["id"], "query": query_block(i["input"]), "references": i["output"]} for i in task["Instances"]]

    def answer(m, state):
        for start in range(0, len(items), 32):
            b = items[start:start + 32]
            enc = tok([i["query"] for i in b], padding=True, return_tensors="pt")
            out = m.generate(state, enc["input_ids"], enc["attention_mask"], max_new_tokens=32)
            for i, t in zip(b, tok.batch_decode(out, skip_special_tokens=True)):
                i["prediction"] = t.strip()
        return _score(items)["rougeL"]

    text = def_pos(task["Definition"], task["Positive Examples"], None, token_counter(tok), cfg["model"]["max_hyper_len"])
    enc = tok([text], return_tensors="pt")
    times = []
    with torch.no_grad():
        for _ in range(6):  # the first call is a warm-up; median of the other five
            t0 = time.perf_counter()
            state = model.task_state(enc["input_ids"], enc["attention_mask"])
            times.append(time.perf_counter() - t0)
    hart_s = statistics.median(times[1:])
    hart_score = answer(model, state)

    # Prefix-Tuning the same frozen main model on the task's demonstrations (queries in training format)
    c = model.main.config
    prefix = LearnedPrefix(c.num_heads * c.d_kv, c.num_layers, c.num_decoder_layers, cfg["model"]["prefix_length"])
    pt = AdaptedT5(model.main, prefix, fid=False)
    demos = task["Positive Examples"]
    x = tok([query_block(d["input"]) for d in demos], padding=True, return_tensors="pt")
    y = tok([d["output"] for d in demos], padding=True, return_tensors="pt")
    labels = y["input_ids"].masked_fill(y["attention_mask"] == 0, -100)
    opt = torch.optim.AdamW(prefix.parameters(), lr=1e-2)
    t0 = time.perf_counter()
    for _ in range(steps):
        loss = pt.loss(pt.task_state(), x["input_ids"], x["attention_mask"], labels)
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
    pt_s = time.perf_counter() - t0
    with torch.no_grad():
        pt_score = answer(pt, pt.task_state())
    return {"task": task_path.name, "hart_s": hart_s, "prefix_tuning_s": pt_s, "ratio": pt_s / hart_s,
            "hart_rougeL": hart_score, "prefix_tuning_rougeL": pt_score, "steps": steps}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="which", required=True)
    lo = sub.add_parser("lora")
    lo.add_argument("--scales", nargs="+", default=["tiny", "small"])
    ad = sub.add_parser("adapt")
    ad.add_argument("--run", type=Path, required=True)
    ad.add_argument("--task", type=Path, required=True)
    ad.add_argument("--steps", type=int, default=100)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    if args.which == "lora":
        print("| scale | ours s/step | Trainer+PEFT s/step | Trainer / ours |\n|---|---|---|---|")
        for s in args.scales:
            r = bench_lora(s)
            print(f"| {s} | {r['ours_s']:.4f} | {r['trainer_s']:.4f} | {r['ratio']:.2f} |", flush=True)
    else:
        print(json.dumps(bench_adapt(args.run, args.task, args.steps), indent=1))


if __name__ == "__main__":
    main()
