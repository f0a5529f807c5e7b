"""P3 (T0 mixture) episodes: promptsource templates over the T0 training datasets, 16-shot
hypernetwork inputs, and the held-out rank-classification sets (PROTOCOL.md, Data; paper Table 3).

Raw folder layout (what `hart data download --source p3` writes, and /work/shared/data/p3):
``train/<dataset>[/<subset>]/*.{jsonl,parquet}``, ``eval/<file>.{jsonl,parquet}``,
``templates/<dataset>[/<subset>]/templates.yaml``.

Training (``data.p3.train``: the 38 BASE pairs of t-zero ``t0/datasets.csv``): every template of a
dataset except T0's TASK_BLACKLIST is applied to the dataset's first ``max_rows_per_dataset`` rows;
empty renders are dropped (T0 does the same); rows whose TARGET alone renders empty are dropped too
(``empty_targets: drop``; T0 trains on them as ``<NO LABEL>``, ``no_label``), counted per template in
``stats.json`` ``p3.empty_targets``. The length filter (paper: average input < 320
tokens) is computed per template as the mean, over its non-empty renders, of the T5 token count of
the rendered INPUT without EOS (T0 feeds inputs without EOS); templates at or above
``max_avg_input_tokens`` are dropped. ``hyper_input`` packs up to 16 other prompts of the same
(dataset, template), drawn with a seeded RNG, with ``formats.pack_shots`` into 1024 tokens.

Evaluation (``data.p3.eval``): only templates with ``original_task: true`` and answer choices;
``choices`` are the rendered answer choices, ``label`` the index of the rendered target. EVERY row of
the validation file is scored (T0 ``run_eval.py``; ``max_eval_rows`` is a tiny-scale cap, null by
default). One fixed set of ``shots`` demonstrations per (dataset, template) (seeded) forms
``hyper_input``; it is drawn from the dataset's TRAINING split (``train_file``), as FLAN/HINT do, so
no scored row is a demonstration.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

from hart.data import formats
from hart.data.promptsource import Template, load_templates, render
from hart.data.stats import EpisodeWriter, record
from hart.errors import HartError

DEFAULTS = {
    "max_rows_per_dataset": 500,  # first N training rows per dataset (T0 caps at 500k/#templates)
    "max_eval_rows": None,  # None = every validation row (T0); an int caps it (tiny-scale option only)
    "max_avg_input_tokens": 320,  # paper: templates with average input under 320 tokens
    "empty_targets": "drop",  # training rows whose target renders empty: "drop" or "no_label" (T0)
    "shots": 16,  # "16-Shots" hypernetwork input
    "max_hyper_len": 1024,
    "max_source_len": 384,
    "blacklist": [],
    "data_dirs": {},
    "train": {},
    "eval": [],
}
# Raw SuperGLUE files store some labels as strings/bools; HF super_glue uses these ints.
LABEL_MAPS = {
    "super_glue/cb": {"entailment": 0, "contradiction": 1, "neutral": 2},
    "super_glue/rte": {"entailment": 0, "not_entailment": 1},
}


def t0_task_name(dataset: str, template_name: str) -> str:
    """t-zero ``utils.get_task_name``: dataset_subset_template with odd characters as '_'."""
    return re.sub(r"[^\w\d\._]+", "_", dataset.replace("/", "_") + "_" + template_name)


def normalize(dataset: str, row: dict) -> dict:
    """Map a raw row to the HF ``datasets`` fields the templates expect (idempotent)."""
    row = {k.replace("-", "_"): v for k, v in row.items()}  # promptsource.utils.removeHyphen
    if dataset in LABEL_MAPS and isinstance(row.get("label"), str):
        row["label"] = LABEL_MAPS[dataset][row["label"]]
    if isinstance(row.get("label"), bool):  # WiC, WSC
        row["label"] = int(row["label"])
    if dataset == "super_glue/wsc.fixed" and isinstance(row.get("target"), dict):
        row.update(row.pop("target"))  # span1_index, span2_index, span1_text, span2_text
    if dataset == "hellaswag" and "label" in row:
        row["label"] = str(row["label"])  # HF casts the label to str
    return row


def read_rows(path: Path, limit: int):
    """Yield up to ``limit`` rows of a .jsonl or .parquet file, in file order."""
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        n = 0
        for batch in pq.ParquetFile(path).iter_batches(batch_size=1024):
            for row in batch.to_pylist():
                if n >= limit:
                    return
                n += 1
                yield row
        return
    with open(path, encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            if i >= limit:
                return
            try:
                yield json.loads(line)
            except json.JSONDecodeError as exc:
                raise HartError(f"{path}: line {i + 1}: not valid JSON: {exc}") from None


def data_files(folder: Path) -> list[Path]:
    """A dataset's row files: the ``train*`` ones when present, else every file (the offline
    subset holds some datasets only as validation/test rows; recorded in stats)."""
    files = sorted(p for p in folder.glob("*") if p.suffix in (".jsonl", ".parquet"))
    files = [p for p in files if not p.name.endswith(".mosaicml_source.jsonl")]
    train = [p for p in files if p.name.startswith("train")]
    return train or files


NO_LABEL = "<NO LABEL>"  # T0's stand-in for an empty target (t-zero seqio_tasks/utils.py)


def rendered(template: Template, rows: list[dict], seed: int, empty_targets: str = "drop",
             counts: dict | None = None) -> list[tuple[int, str, str, list | None]]:
    """(row index, input, target, choices) for every row with a non-empty input. A row whose target
    renders empty (conditional templates, e.g. trec's fine-grained ones) is dropped
    (``empty_targets: drop``, the default) or kept with target ``<NO LABEL>`` (``no_label``, as T0
    trains); ``counts["empty_targets"]`` counts them either way."""
    out = []
    for i, row in enumerate(rows):
        inp, tgt, choices = render(template, row, f"{seed}:{i}")
        if inp and not tgt and counts is not None:
            counts["empty_targets"] = counts.get("empty_targets", 0) + 1
        if inp and not tgt and empty_targets == "no_label":
            tgt = NO_LABEL
        if inp and tgt:
            out.append((i, inp, tgt, choices))
    return out


def avg_input_tokens(prompts, count: "BlockCounter") -> float:
    """Mean T5 token count of the rendered inputs, without EOS (T0 feeds inputs without EOS)."""
    return sum(count(p[1]) - 1 for p in prompts) / len(prompts)


class BlockCounter:
    """Exact T5 token count (EOS included) of texts made of blank-line-joined blocks, memoized
    per block. Exact because the T5 fast tokenizer pre-splits on whitespace (WhitespaceSplit +
    Metaspace), so counts add up across a "\n\n" boundary (checked in tests/data/test_p3.py).
    ``pack_shots`` re-counts its growing join up to 16 times per episode; this makes that cheap."""

    def __init__(self, tok):
        self.tok, self.cache = tok, {}

    def piece(self, text: str) -> int:
        n = self.cache.get(text)
        if n is None:
            n = self.cache[text] = len(self.tok(text, add_special_tokens=False)["input_ids"])
        return n

    def __call__(self, text: str) -> int:
        return 1 + sum(self.piece(p) for p in text.split("\n\n"))

    def fit(self, text: str, max_len: int, eos: bool = True) -> str:
        """``text`` if its token count (EOS counted only when ``eos``) is within ``max_len``, else
        its first ``max_len`` tokens decoded."""
        return text if self(text) - (0 if eos else 1) <= max_len else formats.truncate(text, self.tok, max_len)


def shot_inputs(shots: list, query: str, count: BlockCounter, cfg: dict, writer=None,
                task: str = "") -> tuple[str, str]:  # fmt: skip
    """(hyper_input, few_shot_input) from (input, target) shots. P3 inputs carry no EOS
    (``formats.input_eos``), so lengths are counted without it. The few-shot input drops
    demonstrations, down to none, until shots + query fit ``max_source_len``; the query is never cut
    while it fits alone (``formats.pack_shots``). Shots the hypernetwork input lost to
    ``max_hyper_len`` (dropped, or the first one cut) are counted per task in ``writer``'s stats."""
    from hart.data.truncation import shots_truncation

    n = lambda text: count(text) - 1  # noqa: E731  (BlockCounter counts the EOS; P3 inputs have none)
    packed, lost = shots_truncation(shots, n, cfg["max_hyper_len"], cfg["shots"])
    if writer is not None:
        writer.note_truncation(task, lost["demonstrations_dropped"], lost["cut"])
    hyper = count.fit(packed, cfg["max_hyper_len"], eos=False)
    few = formats.pack_shots(shots, n, cfg["max_source_len"], cfg["shots"], query=query)
    return hyper, count.fit(few, cfg["max_source_len"], eos=False)


def label_of(template: Template, target: str, choices, where: str) -> int | None:
    if choices is None:
        return None
    if target not in choices:
        raise HartError(f"{where}: template {template.name!r}: target {target!r} is not one of "
                        f"its answer_choices {choices}")  # fmt: skip
    return choices.index(target)


def episode(task, template, split, cluster, idx, inp, tgt, choices, hyper, few, where,
            benchmark="p3") -> dict:  # fmt: skip
    label = label_of(template, tgt, choices, where) if split == "test" else None
    if split == "train" and choices is not None and tgt in choices:
        label = choices.index(tgt)
    return record(
        benchmark=benchmark, task=task, template=template.name, split=split, category=cluster,
        id=f"{task}|{template.name}|{idx}", hyper_input=hyper, query=inp, few_shot_input=few,
        tk_instruct_input=few, target=tgt, references=[tgt], choices=choices, label=label,
    )  # fmt: skip


def build_train_task(raw, task, cluster, count, cfg, seed, writer, report) -> None:
    folder = raw / "train" / cfg["data_dirs"].get(task, task)
    tpath = raw / "templates" / task / "templates.yaml"
    files = data_files(folder) if folder.is_dir() else []
    if not files or not tpath.is_file():
        report["missing_datasets"].append(task)
        return
    rows = []
    for path in files:
        rows += [normalize(task, r) for r in read_rows(path, cfg["max_rows_per_dataset"] - len(rows))]
    report["row_files"][task] = [str(p.relative_to(raw)) for p in files]
    kept_any = False
    for template in load_templates(tpath):
        report["templates"] += 1
        if t0_task_name(task, template.name) in cfg["blacklist"]:
            report["blacklisted"].append(t0_task_name(task, template.name))
            continue
        counts: dict = {}
        prompts = rendered(template, rows, seed, cfg["empty_targets"], counts)
        if counts:
            report["empty_targets"][t0_task_name(task, template.name)] = counts["empty_targets"]
        if not prompts:
            report["empty_templates"].append(t0_task_name(task, template.name))
            continue
        avg = avg_input_tokens(prompts, count)
        report["avg_input_tokens"][t0_task_name(task, template.name)] = round(avg, 2)
        if avg >= cfg["max_avg_input_tokens"]:
            report["too_long"].append(t0_task_name(task, template.name))
            continue
        kept_any = True
        report["kept_templates"] += 1
        rng = random.Random(f"{seed}:{task}:{template.name}")
        for j, (idx, inp, tgt, choices) in enumerate(prompts):
            # up to `shots` other prompts: sample among n-1 indices, skipping the query's own
            picks = rng.sample(range(len(prompts) - 1), min(cfg["shots"], len(prompts) - 1))
            shots = [(prompts[i + (i >= j)][1], prompts[i + (i >= j)][2]) for i in picks]
            hyper, few = shot_inputs(shots, inp, count, cfg, writer, task) if shots else ("", inp)
            writer.write(episode(task, template, "train", cluster, idx, inp, tgt, choices, hyper, few, "",
                                 writer.benchmark))  # fmt: skip
    if kept_any:
        report["kept_tasks"].append(task)


def find_file(raw: Path, stem: str) -> Path | None:
    """``<stem>.jsonl`` or ``.parquet`` (the download layout); ``<stem>.tiny.jsonl`` is how the shared
    offline subset marks its few-row files (ANLI's training heads)."""
    for suffix in (".jsonl", ".parquet", ".tiny.jsonl"):
        if (raw / (stem + suffix)).is_file():
            return raw / (stem + suffix)
    return None


def demonstrations(raw, spec, template, cfg, seed) -> list[tuple[str, str]]:
    """The fixed ``shots`` demonstrations of a held-out (dataset, template), drawn from the dataset's
    TRAINING split (FLAN/HINT), never from the scored validation rows: a seeded sample of the
    non-empty renders of the first ``max_rows_per_dataset`` training rows (all when fewer)."""
    task, dataset = spec["task"], spec.get("templates", spec["task"])
    path = find_file(raw, spec["train_file"])
    rows = [normalize(dataset, r) for r in read_rows(path, cfg["max_rows_per_dataset"])]
    prompts = rendered(template, rows, seed)
    rng = random.Random(f"{seed}:{task}:{template.name}:train")
    picks = rng.sample(range(len(prompts)), min(cfg["shots"], len(prompts)))
    return [(prompts[i][1], prompts[i][2]) for i in picks]


def build_eval_task(raw, spec, count, cfg, seed, writer, report) -> None:
    """Every row of the held-out validation file is scored (T0 ``run_eval.py``), unless the tiny-scale
    option ``max_eval_rows`` caps it; demonstrations come from the training split."""
    task, dataset = spec["task"], spec.get("templates", spec["task"])
    path = find_file(raw, spec["file"])
    tpath = raw / "templates" / dataset / "templates.yaml"
    if path is None or not tpath.is_file():
        report["missing_eval"].append(task)
        return
    if "train_file" not in spec or find_file(raw, spec["train_file"]) is None:
        raise HartError(f"{raw}: data.p3.eval {task}: no training-split file "
                        f"{spec.get('train_file', '(train_file not set)')}.{{jsonl,parquet}}; the "
                        "demonstrations come from the training split (run `hart data download --source p3`)")
    limit = cfg["max_eval_rows"] if cfg["max_eval_rows"] is not None else float("inf")
    rows = [normalize(dataset, r) for r in read_rows(path, limit)]
    report["eval_rows"][task] = len(rows)
    for template in load_templates(tpath):
        if not (template.original_task and template.answer_choices):
            continue
        shots = demonstrations(raw, spec, template, cfg, seed)
        report["eval_templates"][task] = report["eval_templates"].get(task, 0) + 1
        for idx, inp, tgt, choices in rendered(template, rows, seed):
            hyper, few = shot_inputs(shots, inp, count, cfg, writer, task) if shots else ("", inp)
            where = f"{path} row {idx}"
            writer.write(episode(task, template, "test", spec["cluster"], idx, inp, tgt, choices,
                                 hyper, few, where, writer.benchmark))  # fmt: skip


def build(raw: str | Path, out: str | Path, tok, cfg: dict | None = None, seed: int = 42,
          benchmark: str = "p3") -> dict:  # fmt: skip
    """Write ``<out>/{train,test}.jsonl`` and ``stats.json``; return the stats. ``benchmark``
    ``suite-p3``: the embedded suite, whose raw folder follows the same layout."""
    cfg = {**DEFAULTS, **(cfg or {})}
    raw = Path(raw)
    if not (raw / "templates").is_dir():
        raise HartError(f"{raw}: not a P3 raw folder (no templates/; expected train/, eval/, "
                        "templates/ as in docs/data.md)")  # fmt: skip
    report = {"templates": 0, "kept_templates": 0, "blacklisted": [], "empty_templates": [],
              "too_long": [], "kept_tasks": [], "missing_datasets": [], "missing_eval": [],
              "avg_input_tokens": {}, "row_files": {}, "eval_templates": {}, "eval_rows": {},
              "empty_targets": {}}  # fmt: skip
    count = BlockCounter(tok)
    with EpisodeWriter(out, benchmark, count) as writer:
        for task in sorted(cfg["train"]):
            build_train_task(raw, task, cfg["train"][task], count, cfg, seed, writer, report)
            count.cache.clear()  # memory stays flat: one dataset's blocks at a time
        for spec in cfg["eval"]:
            build_eval_task(raw, spec, count, cfg, seed, writer, report)
            count.cache.clear()
        report["length_filter"] = (f"mean T5 tokens (no EOS) of a template's non-empty rendered "
                                   f"inputs < {cfg['max_avg_input_tokens']}")  # fmt: skip
        report["train_datasets_configured"] = len(cfg["train"])
        report["empty_targets_rule"] = cfg["empty_targets"]
        report["empty_targets_total"] = sum(report["empty_targets"].values())
        writer.extra = {"p3": report, "seed": seed}
        stats = writer.stats()
    return stats
