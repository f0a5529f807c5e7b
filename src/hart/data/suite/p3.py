"""``suite-p3`` episodes: P3-style multiple choice, written directly in the EPISODE FILE SCHEMA.

- train: every training dataset (p3_train) gives ``N_TRAIN`` examples, each rendered with every
  template; ``hyper_input`` packs 16 OTHER training prompts of the same dataset and template
  (seeded per episode) with ``formats.pack_shots`` ("16-Shots", PROTOCOL.md Data);
- test: every held-out dataset (p3_nli, p3_heldout) gives ``N_TEST`` examples (its "validation
  split"), each rendered with every template; ``hyper_input`` packs 16 examples of a SEPARATE pool
  drawn for that dataset (its "training split"), one fixed set per dataset rendered with the
  query's template (PROTOCOL.md Training: one fixed set of demonstrations per task at inference).
- ``few_shot_input`` = ``tk_instruct_input`` = hyper_input + blank line + query (P3 has no
  definition and no explanations: in-context shots followed by the query).
- ``target`` = the gold choice, ``references`` = [target], ``choices`` and ``label`` as rendered.
"""

from __future__ import annotations

import json
import os
import random
import shutil
from collections import Counter
from pathlib import Path
from typing import Callable, Iterator

from hart.data import formats
from hart.data.stats import count_truncation, file_sizes, truncation_summary
from hart.data.suite.p3_heldout import HELD_OUT_DATASETS
from hart.data.suite.p3_train import TRAIN_DATASETS
from hart.data.suite.p3_types import Dataset, render
from hart.io import stage_dir

N_TRAIN = 100  # examples per training dataset (each rendered with every template)
N_TEST = 100  # examples per held-out dataset (each rendered with every template)
N_SHOTS = 16  # "16-Shots" hypernetwork input (paper, Section 4)
BENCHMARK = "suite-p3"


def words_counter(text: str) -> int:
    """Fallback length when no tokenizer is given: whitespace words + EOS."""
    return len(text.split()) + 1


def draw_examples(ds: Dataset, seed: int, part: str, n: int, exclude: set[str] = frozenset()) -> list[dict]:
    """``n`` examples from ``Random(f"{seed}:{name}:{part}")``, distinct (and not in ``exclude``)
    while the generator allows it, then with repeats."""
    rng, out, seen, tries = random.Random(f"{seed}:{ds.name}:{part}"), [], set(exclude), 0
    while len(out) < n:
        tries += 1
        ex = ds.make(rng)
        key = json.dumps(ex, sort_keys=True)
        if key in seen and tries < 50 * n:
            continue
        seen.add(key)
        out.append(ex)
    return out


def pack(shots: list[tuple[str, str]], count: Callable[[str], int], max_len: int,
         truncated: dict | None = None, task: str = "") -> str:
    """``formats.pack_shots`` with a fast path: when all ``k`` shots fit, pack_shots keeps them all
    (its prefixes of whole shots have no more tokens than the whole; tests check the two agree), so
    one count replaces its ``k`` growing ones (12 s -> ~1.5 s for the training episodes). Shots lost
    to ``max_len`` are counted per task in ``truncated`` (stats.json ``truncation``)."""
    from hart.data.truncation import shots_truncation

    full = "\n\n".join(formats.shot_block(p, t) for p, t in shots[:N_SHOTS])
    if count(full) <= max_len:
        return full
    text, lost = shots_truncation(shots, count, max_len, N_SHOTS)
    if truncated is not None:
        count_truncation(truncated, task, lost["demonstrations_dropped"], lost["cut"])
    return text


def draw_demos(ds: Dataset, seed: int, test: list[dict]) -> list[dict]:
    """The fixed 16 demonstrations of a held-out dataset (its "training split"): examples none of
    whose rendered prompts, under any template, is a test query (no query among its own shots)."""
    taken = {render(t, ex)[0] for ex in test for t in ds.templates}
    rng, out = random.Random(f"{seed}:{ds.name}:train"), []
    for _ in range(100 * N_SHOTS):
        ex = ds.make(rng)
        prompts = {render(t, ex)[0] for t in ds.templates}
        if not prompts & taken:
            taken |= prompts
            out.append(ex)
            if len(out) == N_SHOTS:
                return out
    raise ValueError(f"{ds.name}: cannot draw {N_SHOTS} demonstrations apart from the test queries")


def _episode(ds: Dataset, tname: str, split: str, i: int, hyper: str, prompt: str, choices, label) -> dict:
    few = hyper + "\n\n" + prompt
    return {
        "benchmark": BENCHMARK, "task": ds.name, "template": tname, "id": f"{ds.name}.{tname}.{i:04d}",
        "split": split, "category": ds.kind, "hyper_input": hyper, "query": prompt, "few_shot_input": few,
        "tk_instruct_input": few, "target": choices[label], "references": [choices[label]],
        "choices": list(choices), "label": label,
    }  # fmt: skip


def train_episodes(seed: int, count: Callable[[str], int], max_len: int,
                   truncated: dict | None = None) -> Iterator[dict]:  # fmt: skip
    for ds in TRAIN_DATASETS:
        examples = draw_examples(ds, seed, "train", N_TRAIN)
        for t in ds.templates:
            rendered = [render(t, ex) for ex in examples]
            rng = random.Random(f"{seed}:{ds.name}:{t.name}:shots")
            for i, (prompt, choices, label) in enumerate(rendered):
                others = rng.sample([j for j in range(len(rendered)) if j != i], N_SHOTS)
                shots = [(rendered[j][0], rendered[j][1][rendered[j][2]]) for j in others]
                yield _episode(ds, t.name, "train", i, pack(shots, count, max_len, truncated, ds.name),
                               prompt, choices, label)  # fmt: skip


def test_episodes(seed: int, count: Callable[[str], int], max_len: int,
                  truncated: dict | None = None) -> Iterator[dict]:  # fmt: skip
    for ds in HELD_OUT_DATASETS:
        test = draw_examples(ds, seed, "test", N_TEST)
        demos = draw_demos(ds, seed, test)
        for t in ds.templates:
            shots = [(p, c[lab]) for p, c, lab in (render(t, ex) for ex in demos)]
            once: dict = {}
            hyper = pack(shots, count, max_len, once, ds.name)
            for i, ex in enumerate(test):
                if once and truncated is not None:  # every test episode of the template reads this hyper_input
                    lost = once[ds.name]
                    count_truncation(truncated, ds.name, lost["demonstrations_dropped"], lost["cut"])
                yield _episode(ds, t.name, "test", i, hyper, *render(t, ex))


def prompt_texts(seed: int) -> Iterator[str]:
    """Every prompt and answer choice of the suite (tokenizer training)."""
    for datasets, part, n in ((TRAIN_DATASETS, "train", N_TRAIN), (HELD_OUT_DATASETS, "test", N_TEST)):
        for ds in datasets:
            for ex in draw_examples(ds, seed, part, n):
                for t in ds.templates:
                    prompt, choices, _ = render(t, ex)
                    yield prompt
                    yield from choices


def _stats(episodes: list[dict], lengths_of: Callable[[list[str]], list[int]], unit: str) -> dict:
    out: dict = {}
    for split in ("train", "test"):
        eps = [e for e in episodes if e["split"] == split]
        lengths = {f: lengths_of([e[f] for e in eps]) for f in ("hyper_input", "query", "target")}
        out[split] = {
            "tasks": len({e["task"] for e in eps}),
            "instances": len(eps),
            "templates": len({(e["task"], e["template"]) for e in eps}),
            "per_task": dict(sorted(Counter(e["task"] for e in eps).items())),
            "task_names": sorted({e["task"] for e in eps}),  # hart train's leakage check reads these
            "token_length": {f: {"mean": round(sum(v) / len(v), 1), "max": max(v)} for f, v in lengths.items()},
        }
    return {"benchmark": BENCHMARK, "length_unit": unit, **out}


def write_p3(out: str | Path, seed: int, tokenizer=None, max_hyper_len: int = 1024) -> dict:
    """Write ``<out>/{train,test}.jsonl`` and ``stats.json`` (a temporary sibling folder renamed
    into place, replacing an older ``out``); return the stats. JSONL: UTF-8, keys sorted.

    Shots are packed by ``tokenizer`` lengths (EOS included) when given, else by whitespace words.
    """
    if tokenizer is not None:
        backend = tokenizer.backend_tokenizer  # the raw tokenizer: same ids, much faster per call
        count, unit = (lambda text: len(backend.encode(text).ids)), "tokens with EOS"
        lengths_of = lambda texts: [len(e.ids) for e in backend.encode_batch(texts)]  # noqa: E731
    else:
        count, unit = words_counter, "whitespace words + 1"
        lengths_of = lambda texts: [words_counter(t) for t in texts]  # noqa: E731
    truncated: dict[str, dict] = {}  # task -> hyper_inputs whose shots did not all fit max_hyper_len
    episodes = [*train_episodes(seed, count, max_hyper_len, truncated),
                *test_episodes(seed, count, max_hyper_len, truncated)]
    for split in ("train", "test"):
        ids = [e["id"] for e in episodes if e["split"] == split]
        assert len(set(ids)) == len(ids), "episode ids must be unique within a file"
    stats = _stats(episodes, lengths_of, unit)
    stats.update(seed=seed, shots=N_SHOTS, max_hyper_len=max_hyper_len, truncation=truncation_summary(truncated),
                 datasets={
        split: {ds.name: {"kind": ds.kind, "mirrors": ds.mirrors, "templates": [t.name for t in ds.templates]}
                for ds in group}
        for split, group in (("train", TRAIN_DATASETS), ("test", HELD_OUT_DATASETS))
    })  # fmt: skip
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = stage_dir(out.parent, out.name)
    try:
        for split in ("train", "test"):
            lines = (json.dumps(e, sort_keys=True, ensure_ascii=False) + "\n" for e in episodes if e["split"] == split)
            (tmp / f"{split}.jsonl").write_text("".join(lines), encoding="utf-8")
        stats["files"] = file_sizes(tmp, ("train", "test"))
        (tmp / "stats.json").write_text(json.dumps(stats, indent=2, sort_keys=True) + "\n")
        if out.exists():
            shutil.rmtree(out)
        tmp.chmod(0o755)  # mkdtemp makes it private
        os.replace(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return stats
