"""Generic pretraining rows for the ``params`` benchmark's frozen base model (method ``base-lm``).

Stand-in for LM-adapted T5: the base must read and copy the suite's symbols, but must never see a
benchmark rule. Two objectives over random word strings (the input words, the slot words, the
scaffold words of the definitions, all in random order, so no rule of params_families is ever
stated or computed):

- ``copy``: ``Copy: w1 ... wn`` -> ``w1 ... wn``;
- ``next``: associative recall (the induction pattern): ``Continue from x: w1 ... wn`` over
  DISTINCT words -> ``x`` and the one or two words that follow ``x`` in the string: "having
  written a word, write the word that follows it in the input".

Why these two (pilots 5-7, docs/study.md): T5's cross-attention has no position information, so
the decoder can only copy a string, or write the label that follows "true" in a demonstration, by
finding in the encoder the token that follows the one it just wrote. Without a base that does this,
FT-Few-Shot never bound the decision to its label (pilots 1-5, from random init too). The earlier
span-corruption and bracket-reading objectives are gone: in a 2,000-step base they diluted the two
that matter (pilot 7: FT-Few-Shot learned the binding more slowly from that base).

Rows are in the EPISODE FILE SCHEMA (``query`` is the input; base-lm reads ``query``).
"""

from __future__ import annotations

import random

from hart.data.stats import record
from hart.data.suite.params_families import SLOT_WORDS
from hart.data.suite.vocab import MIXED

# Words of the definitions and answers, as plain symbols (never in a sentence that states a rule).
SCAFFOLD = ("the a of and then word words list label answer true false if write output table code "
            "each by its from in right after first last contains otherwise replace comes").split()
SYMBOLS = MIXED + SLOT_WORDS + SCAFFOLD
DISTINCT = tuple(dict.fromkeys(SYMBOLS))  # SCAFFOLD repeats a few MIXED words ("table")


def _words(rng: random.Random, lo: int, hi: int) -> list[str]:
    return [rng.choice(SYMBOLS) for _ in range(rng.randint(lo, hi))]


def copy_row(rng: random.Random) -> tuple[str, str]:
    w = " ".join(_words(rng, 2, 8))
    return f"Copy: {w}", w


def next_row(rng: random.Random) -> tuple[str, str]:
    words = rng.sample(DISTINCT, rng.randint(5, 12))  # distinct: every word has one successor
    k = rng.randint(1, 2)
    i = rng.randrange(len(words) - k)
    return f"Continue from {words[i]}: " + " ".join(words), " ".join(words[i:i + k + 1])


OBJECTIVES = {"copy": copy_row, "next": next_row}


def lm_rows(seed: int, n_train: int, n_test: int = 300) -> dict[str, list[dict]]:
    """{'train': [...], 'test': [...]}: objectives in turn, each row its own random string."""
    out: dict[str, list[dict]] = {}
    for split, n in (("train", n_train), ("test", n_test)):
        rng, rows = random.Random(f"{seed}:params-lm:{split}"), []
        for i in range(n):
            name = list(OBJECTIVES)[i % len(OBJECTIVES)]
            src, tgt = OBJECTIVES[name](rng)
            rows.append(record(benchmark="params-lm", task=f"lm-{name}", id=f"lm-{split}-{i:06d}", split=split,
                               category=name, hyper_input=src, query=src, few_shot_input=src,
                               tk_instruct_input=src, target=tgt, references=[tgt]))  # fmt: skip
        out[split] = rows
    return out


def hyper_rows(rows: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """The same rows in the layout of the hypernetwork pretraining methods (hint-c4 and
    hypertuning-c4 read ``<params-lm>/hint/`` and ``<params-lm>/hypertuning/``, as on C4): the
    hypernetwork reads the word string (``hyper_input``), the main encoder only the instruction
    (``Copy:`` or ``Continue from x:``), so the prefixes must carry the string to the decoder."""
    out = {}
    for split, recs in rows.items():
        out[split] = []
        for r in recs:
            head, words = r["query"].split(": ", 1)
            out[split].append(record(benchmark="params-lm", task=r["task"], id=r["id"], split=split,
                                     category=r["category"], hyper_input=words, query=head + ":",
                                     few_shot_input=head + ":", tk_instruct_input=head + ":",
                                     target=r["target"], references=[r["target"]]))  # fmt: skip
    return out

