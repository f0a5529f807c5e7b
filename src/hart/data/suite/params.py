"""The ``params`` benchmark: parameterised families, a fresh task per training episode.

    hart data suite --kind params --out data/suite-params --seed 0 [--train-episodes 20000]

writes, all or nothing (temporary folder inside ``--out``, then one rename per output):

| output | content |
|---|---|
| ``params-sni/{train,test}.jsonl``, ``stats.json`` | S-NI-style episodes (EPISODE FILE SCHEMA) |
| ``params-sni/tasks.json`` | each held-out task: family, tier, parameter, slots, chance floors |
| ``params-lm/{train,test}.jsonl``, ``stats.json`` | generic pretraining for the frozen base model |
| ``params-lm/{hint,hypertuning}/`` | the same rows for hint-c4 / hypertuning-c4 (params_lm.hyper_rows) |
| ``tokenizer/`` | word-level tokenizer of all of the above (params_tokenizer) |

Training rows: every row is its OWN task (``params-train-<n>``, a fresh parameter and fresh
demonstrations); held-out rows: 30 tasks (``params-<tier>-<family>-h<k>``) with fixed
demonstrations and ``queries`` (default 60) queries each. Strings are Tk-Instruct's Def+2Pos
(hart.data.formats) as for ``suite-sni``, so every method's input field means the same thing.
"""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

from hart.data import formats
from hart.data.stats import EpisodeWriter, record
from hart.data.suite.params_families import FAMILIES, HELD_OUT, ParamFamily, draw_train_param
from hart.data.suite.params_lm import OBJECTIVES, hyper_rows, lm_rows
from hart.data.suite.params_tokenizer import build_word_tokenizer
from hart.evaluate.metrics import exact_match, rouge_l
from hart.io import stage_dir

OUTPUTS = ("params-sni", "params-lm", "tokenizer")


def make_task(fam: ParamFamily, p: tuple, rng: random.Random, n_queries: int) -> dict:
    """A task: definition, two demonstrations (for `label`: one per label) and queries, every
    input distinct from the demonstrations' inputs where the input space allows it."""
    demos: list[dict] = []
    want = [True, False] if fam.name.startswith("label") else [None, None]
    for kind in want:
        for _ in range(1000):
            inp = fam.draw_input(rng, p)
            out = fam.answer(p, inp)
            if kind is None or out.startswith("true") == kind:
                break
        demos.append({"input": inp, "output": out, "explanation": "See the definition."})
    seen = {d["input"] for d in demos}
    queries = []
    for _ in range(n_queries):
        inp = fam.draw_input(rng, p)
        for _ in range(20):  # prefer a query that is not a demonstration (tiny input spaces repeat)
            if inp not in seen:
                break
            inp = fam.draw_input(rng, p)
        queries.append((inp, fam.answer(p, inp)))
    return {"definition": fam.definition(p), "demos": demos, "queries": queries}


def episode(task_name: str, fam: ParamFamily, task: dict, inp: str, out: str, split: str, i: int) -> dict:
    defn, demos = [task["definition"]], task["demos"]
    unlimited = lambda s: 0  # noqa: E731  (lengths are checked against MAX_LEN by the caller's tests)
    return record(
        benchmark="params-sni", task=task_name, id=f"{task_name}-{i:04d}", split=split, category=fam.tier,
        hyper_input=formats.def_pos(defn, demos, None, unlimited, 1 << 30),
        query=formats.query_block(inp),
        few_shot_input=formats.def_pos(defn, demos, inp, unlimited, 1 << 30),
        tk_instruct_input=formats.def_pos(defn, demos, inp, unlimited, 1 << 30, explanation=True),
        target=out, references=[out],
    )  # fmt: skip


def chance(fam: ParamFamily, task: dict, rng: random.Random, draws: int = 40) -> dict:
    """Parameter-blind floor: the score of answering each query as if the task had another
    parameter drawn from the training distribution (a model that knows the family and reads the
    input but not the slots). Mean over ``draws`` parameters; x100 like the evaluator."""
    em = rl = 0.0
    for _ in range(draws):
        p = draw_train_param(fam, rng)
        for inp, gold in task["queries"]:
            em += exact_match(fam.answer(p, inp), gold)
            rl += rouge_l(fam.answer(p, inp), gold)
    n = draws * len(task["queries"])
    return {"exact_match": 100.0 * em / n, "rougeL": 100.0 * rl / n}


def held_out_tasks(seed: int, queries: int) -> list[tuple[str, ParamFamily, tuple, dict]]:
    out = []
    for fam in FAMILIES:
        for k, p in enumerate(HELD_OUT[fam.name]):
            name = f"params-{fam.tier}-{fam.name}-h{k:02d}"
            out.append((name, fam, p, make_task(fam, p, random.Random(f"{seed}:{name}"), queries)))
    return out


def sni_rows(seed: int, train_episodes: int, queries: int) -> tuple[dict[str, list[dict]], dict]:
    """({'train': rows, 'test': rows}, tasks.json content)."""
    rng, rows = random.Random(f"{seed}:params:train"), {"train": [], "test": []}
    for n in range(train_episodes):
        fam = FAMILIES[n % len(FAMILIES)]
        task = make_task(fam, draw_train_param(fam, rng), rng, 1)
        (inp, ans), name = task["queries"][0], f"params-train-{n:06d}"
        rows["train"].append(episode(name, fam, task, inp, ans, "train", 0))
    meta = {}
    for name, fam, p, task in held_out_tasks(seed, queries):
        rows["test"] += [episode(name, fam, task, inp, ans, "test", i) for i, (inp, ans) in enumerate(task["queries"])]
        meta[name] = {"family": fam.name, "tier": fam.tier, "param": list(p), "slots": list(fam.slots(p)),
                      "definition": task["definition"], "queries": len(task["queries"]),
                      "chance": chance(fam, task, random.Random(f"{seed}:chance:{name}"))}  # fmt: skip
    return rows, meta


def write_episodes(out: Path, benchmark: str, rows: dict[str, list[dict]], count, extra: dict) -> dict:
    with EpisodeWriter(out, benchmark, count, tuple(rows)) as writer:
        for split, recs in rows.items():
            for rec in recs:
                writer.write(rec)
        writer.extra = extra
        return writer.stats()


def build_params(out: str | Path, seed: int = 0, train_episodes: int = 20000, queries: int = 60,
                 lm_episodes: int = 20000) -> dict:  # fmt: skip
    """Generate the params benchmark into ``out`` (see the module docstring); return a summary."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    stage = stage_dir(out, "params-build")  # a killed build's stage is removed by the next one
    try:
        new = stage / "new"
        sni, meta = sni_rows(seed, train_episodes, queries)
        lm = lm_rows(seed, lm_episodes)
        texts = [r[k] for r in sni["train"] + sni["test"] for k in ("tk_instruct_input", "target")]
        texts += [r[k] for r in lm["train"] for k in ("query", "target")]
        tok = build_word_tokenizer(texts, new / "tokenizer")  # word-level: see params_tokenizer
        count = formats.token_counter(tok)
        write_episodes(new / "params-sni", "params-sni", sni, count,
                       {"seed": seed, "train_episodes": train_episodes, "queries_per_task": queries})
        (new / "params-sni" / "tasks.json").write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n")
        write_episodes(new / "params-lm", "params-lm", lm, count, {"seed": seed, "objectives": sorted(OBJECTIVES)})
        for sub in ("hint", "hypertuning"):  # method.episodes_subdir of hint-c4 / hypertuning-c4
            write_episodes(new / "params-lm" / sub, "params-lm", hyper_rows(lm), count,
                           {"seed": seed, "layout": "hyper_input = the word string, query = the instruction"})
        _install_all(stage, out)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return {"out": str(out), "seed": seed, "train_episodes": train_episodes, "queries_per_task": queries,
            "held_out_tasks": len(meta), "lm_episodes": lm_episodes, "tokenizer_vocab": len(tok)}  # fmt: skip


def _install_all(stage: Path, out: Path) -> None:
    import os

    trash = stage / ".replaced"
    trash.mkdir(exist_ok=True)
    for rel in OUTPUTS:
        src, dst = stage / "new" / rel, out / rel
        if dst.exists():
            os.replace(dst, trash / rel)
        os.replace(src, dst)
