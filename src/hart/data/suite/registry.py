"""The family lists of ``suite-sni``: names are numbered in list order (train 001.., held-out 501..)."""

from __future__ import annotations

from dataclasses import replace

from hart.data.suite.families_chars import HELD_OUT_CHARS, TRAIN_CHARS, TRAIN_LOOKUP
from hart.data.suite.families_numbers import HELD_OUT_NUMBERS, HELD_OUT_PAIRS, TRAIN_NUMBERS, TRAIN_PAIRS
from hart.data.suite.families_words import HELD_OUT_SENTENCES, HELD_OUT_WORDS, TRAIN_SENTENCES, TRAIN_WORDS
from hart.data.suite.family import Family

HELD_OUT_START = 501


def _numbered(families: list[Family], start: int, held_out: bool) -> tuple[Family, ...]:
    return tuple(
        replace(f, name=f"suite{start + i:03d}_{f.name}", held_out=held_out) for i, f in enumerate(families)
    )


TRAIN_FAMILIES = _numbered(
    TRAIN_WORDS + TRAIN_SENTENCES + TRAIN_NUMBERS + TRAIN_PAIRS + TRAIN_CHARS + TRAIN_LOOKUP, 1, False
)
HELD_OUT_FAMILIES = _numbered(
    HELD_OUT_WORDS + HELD_OUT_SENTENCES + HELD_OUT_NUMBERS + HELD_OUT_PAIRS + HELD_OUT_CHARS, HELD_OUT_START, True
)
FAMILIES = {f.name: f for f in TRAIN_FAMILIES + HELD_OUT_FAMILIES}
