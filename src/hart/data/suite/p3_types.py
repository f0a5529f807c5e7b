"""P3-style datasets of the embedded suite: an example generator and promptsource-like templates.

An example is a dict of fields plus ``label`` (gold choice index) and optionally ``options`` (the
answer choices when they depend on the example; a template with ``choices=None`` uses them, and
its prompt may name them as ``{opt0}``, ``{opt1}``, ...). A template with fixed ``choices`` maps
the label to its own answer words, as promptsource's ``answer_choices`` do.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class Template:
    name: str
    prompt: str  # str.format over the example's fields (and opt0, opt1, ...)
    choices: tuple[str, ...] | None = None  # answer words by label; None: the example's options


@dataclass(frozen=True)
class Dataset:
    name: str  # task name in episodes, e.g. "suite_anli_r1"
    kind: str  # episode "category": the P3 task cluster it mirrors
    make: Callable[[random.Random], dict]
    templates: tuple[Template, ...]
    mirrors: str = ""  # the real P3 dataset it stands in for (docs/suite.md)


def render(template: Template, ex: dict) -> tuple[str, list[str], int]:
    """(prompt, choices, label) of one example under one template."""
    options = list(ex.get("options", ()))
    fields = {**ex, **{f"opt{i}": o for i, o in enumerate(options)}}
    choices = list(template.choices) if template.choices is not None else options
    if not choices:
        raise ValueError(f"template {template.name}: no answer choices")
    return template.prompt.format(**fields), choices, ex["label"]


def pick(rng: random.Random, items, k: int = 1):
    """``k`` distinct items, in random order."""
    return rng.sample(list(items), k)


def shuffled_options(rng: random.Random, correct: str, distractors: list[str]) -> dict:
    """{"options": [...], "label": index of ``correct``}."""
    options = [correct, *distractors]
    rng.shuffle(options)
    return {"options": options, "label": options.index(correct)}
