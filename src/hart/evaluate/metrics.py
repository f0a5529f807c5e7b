"""Scores: S-NI ROUGE-L / exact match and P3 rank-classification accuracy. No torch here.

S-NI follows allenai/natural-instructions ``eval/automatic/evaluation.py`` (default English track):
Google rouge_score ``rougeL`` F-measure with ``use_stemmer=True``. The library's DefaultTokenizer
lowercases, replaces every run of characters outside [a-z0-9] with a space, splits on whitespace and
Porter-stems tokens longer than 3 characters; we pass that tokenizer explicitly to ``RougeScorer``
so the behaviour is pinned to rouge_score's own classes. (The official script passes a custom GPT-2
tokenizer only for the cross-lingual track, which the paper does not use.) Each prediction scores
the max over its references; reported numbers are 100 x the MICRO average over instances; a missing
prediction is an empty string.

P3 follows T0: accuracy per (dataset, template); per dataset the mean (used by the tables) and the
median over templates; the benchmark score is the average over the paper's columns (Table 3/4:
ANLI r1-r3 form one column, the mean of its rounds; Avg. = mean of the 8 columns).
"""

from __future__ import annotations

import re
import statistics
import string
from collections import defaultdict
from typing import Callable, Iterable, Mapping, Sequence

from rouge_score import rouge_scorer, tokenizers

from hart.errors import HartError

_SCORER = rouge_scorer.RougeScorer(["rougeL"], tokenizer=tokenizers.DefaultTokenizer(use_stemmer=True))
_PUNCT = set(string.punctuation)


def rouge_l(prediction: str, reference: str) -> float:
    """ROUGE-L F-measure in [0, 1] (symmetric in its arguments)."""
    return _SCORER.score(target=reference, prediction=prediction)["rougeL"].fmeasure


def normalize_answer(text: str) -> str:
    """SQuAD-style normalisation without removing articles: lowercase, drop punctuation, squeeze spaces."""
    return " ".join("".join(ch for ch in text.lower() if ch not in _PUNCT).split())


def exact_match(prediction: str, reference: str) -> float:
    return float(normalize_answer(prediction) == normalize_answer(reference))


def max_over_references(metric: Callable[[str, str], float], prediction: str, references: Sequence[str]) -> float:
    if not references:
        raise ValueError("an instance without references cannot be scored")
    return max(metric(prediction, ref) for ref in references)


def _group_means(values: Iterable[tuple[str, float, float]]) -> dict:
    """(group, rouge, em) triples -> {group: {rougeL, exact_match, n}} (x100, micro within the group)."""
    acc: dict = defaultdict(lambda: [0.0, 0.0, 0])
    for group, r, e in values:
        acc[group][0] += r
        acc[group][1] += e
        acc[group][2] += 1
    return {g: {"rougeL": 100.0 * r / n, "exact_match": 100.0 * e / n, "n": n} for g, (r, e, n) in sorted(acc.items())}


def sni_scores(rows: Sequence[Mapping], predictions: Mapping[str, str]) -> dict:
    """Score S-NI rows (episode dicts with ``id``, ``task``, ``category``, ``references``).

    Returns ``{"rougeL", "exact_match", "n", "missing", "per_task", "per_category"}``; the two top-level
    numbers are 100 x micro averages over all rows (not means of task means).
    """
    if not rows:
        raise HartError("no rows to score")
    scored = []  # (task, category, rouge, em)
    missing = 0
    for row in rows:
        pred = predictions.get(row["id"])
        if pred is None:
            missing += 1
            pred = ""
        refs = row.get("references") or []
        if not refs:
            raise HartError(f"row {row['id']!r} (task {row['task']!r}) has no references to score against")
        scored.append((row["task"], row.get("category", ""), max_over_references(rouge_l, pred, refs),
                       max_over_references(exact_match, pred, refs)))
    n = len(scored)
    return {
        "rougeL": 100.0 * sum(s[2] for s in scored) / n,
        "exact_match": 100.0 * sum(s[3] for s in scored) / n,
        "n": n,
        "missing": missing,
        "per_task": _group_means((s[0], s[2], s[3]) for s in scored),
        "per_category": _group_means((s[1], s[2], s[3]) for s in scored),
    }


def macro_over_tasks(per_task: Mapping[str, Mapping]) -> float:
    """Mean of task means: NOT what the paper reports; kept to show the difference in tests/docs."""
    return sum(v["rougeL"] for v in per_task.values()) / len(per_task)


# Paper Tables 3/4 columns and the dataset name that identifies each in a P3 task name
# (`anli/r1`, `super_glue/wsc.fixed`, `winogrande/winogrande_xl`, suite stand-ins `suite_cb`, ...).
P3_COLUMNS = (
    ("ANLI", "anli"), ("HSwag", "hellaswag"), ("CB", "cb"), ("COPA", "copa"),
    ("RTE", "rte"), ("WiC", "wic"), ("WSC", "wsc"), ("WGD", "winogrande"),
)


def p3_column(task: str) -> str:
    """The paper column a P3 task belongs to (by a name part split on / _ . -); else the task itself."""
    parts = set(re.split(r"[/_.\-]", task.lower()))
    for column, dataset in P3_COLUMNS:
        if dataset in parts:
            return column
    return task


def p3_scores(rows: Sequence[Mapping], predictions: Mapping[str, int]) -> dict:
    """Accuracy per (task, template), mean and median over templates, then over the paper columns.

    ``rows``: episode dicts with ``id``, ``task``, ``template``, ``label``; ``predictions``: id -> chosen
    index (a missing prediction counts as wrong). ``accuracy`` (the table number) averages the per-task
    template means within each column, then the columns; ``accuracy_median`` does the same with medians.
    """
    if not rows:
        raise HartError("no rows to score")
    hits: dict = defaultdict(lambda: defaultdict(list))  # task -> template -> [0/1]
    missing = 0
    for row in rows:
        pred = predictions.get(row["id"])
        missing += pred is None
        hits[row["task"]][row.get("template") or ""].append(float(pred is not None and pred == row["label"]))
    per_task = {}
    for task, by_template in sorted(hits.items()):
        accs = {t: 100.0 * sum(v) / len(v) for t, v in sorted(by_template.items())}
        per_task[task] = {"templates": accs, "mean": statistics.fmean(accs.values()),
                          "median": statistics.median(accs.values()), "n": sum(len(v) for v in by_template.values())}
    by_column: dict = defaultdict(list)
    for task, v in per_task.items():
        by_column[p3_column(task)].append(v)
    columns = {c: statistics.fmean(v["mean"] for v in vs) for c, vs in sorted(by_column.items())}
    medians = {c: statistics.fmean(v["median"] for v in vs) for c, vs in sorted(by_column.items())}
    return {
        "accuracy": statistics.fmean(columns.values()),
        "accuracy_median": statistics.fmean(medians.values()),
        "accuracy_over_tasks": statistics.fmean(v["mean"] for v in per_task.values()),
        "columns": columns,
        "columns_median": medians,
        "per_task": per_task,
        "n": len(rows),
        "missing": missing,
    }
