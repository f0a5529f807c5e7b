"""Parameterised task families of the ``params`` benchmark (``hart data suite --kind params``).

Every family is a rule with a per-task PARAMETER written in marked slots ``[ ... ]`` of the
definition and shown by the two demonstrations. Training draws a fresh parameter per episode;
held-out tasks are parameter values (or rule x parameter combinations) that training never draws
(``HELD_OUT`` below; ``params.py`` rejects them from the training draws and tests check it).

Tiers (the episode's ``category``, so that evaluation reports a score per tier):

- ``easy``: ``label``: a FIXED rule (does the list contain a colour word) and two label words in
  slots; answer ``true <A>`` or ``false <B>`` ("decide, then name the label": SMALL-SCALE.md found
  this form essential at this size). Only the label words vary: reading one slot and copying it.
- ``hard``: ``label-rule``: the same with the category itself a slot (colour, animal, food, place),
  so the decision needs a second lookup; ``mark``: write the first or last word, then the slot word;
  ``table``: a three-entry substitution table (colour -> code word); ``after``: output the word that
  follows the slot marker word in the list.

Why the easy tier has one rule (pilot 1, docs/study.md): with the category a slot, FT-Few-Shot
copied the right label words every time after 1,000 steps but made the true/false decision at
chance, and never learned to copy the first/last input word: the per-query computation, not the
parameter, was the bottleneck.

An instance is ``(input, output)``; ``answer(param, input)`` recomputes the output, so that the
parameter-blind chance floor (params.chance) can score other parameters on the same inputs.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Callable

from hart.data.suite.vocab import ANIMALS, CATEGORIES, COLORS, FOODS, MIXED, PLACES

# Label / code / marker words: short nonsense words that never occur in an input list.
SLOT_WORDS = (
    "zip zap dax wug blick fep kiki bouba toma lira nemo pavo quil rask sefo tibo ulma vesk wola yeni "
    "zuko zop mib tark lune fesh gorp wix dabo kelt rumo sivo pake nudi yorb vapi temo jolk harn brip"
).split()
RULES = ("color", "animal", "food", "place")  # the `label` family's rule slot: "contains a <rule> word"
POSITIONS = ("first", "last")
TABLE_KEYS = COLORS[:6]  # the `table` family substitutes these colours

Param = tuple


def slot(text: str) -> str:
    """A marked slot. Spaces inside the brackets keep the slot word its own token (``[wola]`` would
    be one piece of the Unigram tokenizer, a different id from the ``wola`` the answer needs)."""
    return f"[ {text} ]"


def slot_else(text: str) -> str:
    """The label of the "false" branch, marked with braces: pilot 3 (docs/study.md) found that with
    two identical ``[ ]`` slots the model copies a slot word but not the one the decision needs;
    a distinct marker makes "which slot" a one-step cue instead of a position."""
    return f"{{ {text} }}"


@dataclass(frozen=True)
class ParamFamily:
    """One family: how to draw a parameter, state it, draw an input and answer it."""

    name: str
    tier: str
    draw_param: Callable[[random.Random], Param]
    definition: Callable[[Param], str]
    draw_input: Callable[[random.Random, Param], str]
    answer: Callable[[Param, str], str]
    slots: Callable[[Param], tuple[str, ...]]  # the marked slot texts, as written in the definition


def _list(rng: random.Random, n_min: int = 3, n_max: int = 5, pool=MIXED) -> list[str]:
    return [rng.choice(pool) for _ in range(rng.randint(n_min, n_max))]


# ---- easy: label ---------------------------------------------------------------------------


def _label_param(rng: random.Random) -> Param:
    a, b = rng.sample(SLOT_WORDS, 2)
    return ("color", a, b)


def _label_rule_param(rng: random.Random) -> Param:
    a, b = rng.sample(SLOT_WORDS, 2)
    return (rng.choice(RULES), a, b)


def _label_def(p: Param) -> str:
    return (f'If the list contains a {slot(p[0])} word, answer "true" and then the label {slot(p[1])}; '
            f'otherwise answer "false" and then the label {slot_else(p[2])}')  # fmt: skip


def _label_input(rng: random.Random, p: Param) -> str:
    """3-5 words; half the lists contain a word of the rule's category, half none."""
    members = CATEGORIES[p[0]]
    others = [w for w in MIXED if w not in members]
    words = _list(rng, pool=others)
    if rng.random() < 0.5:
        words[rng.randrange(len(words))] = rng.choice(members)
    return " ".join(words)


def _label_answer(p: Param, text: str) -> str:
    hit = any(w in CATEGORIES[p[0]] for w in text.split())
    return f"true {p[1]}" if hit else f"false {p[2]}"


def _label_slots(p: Param) -> tuple[str, ...]:
    return (slot(p[0]), slot(p[1]), slot_else(p[2]))


# ---- easy: mark ----------------------------------------------------------------------------


def _mark_param(rng: random.Random) -> Param:
    return (rng.choice(POSITIONS), rng.choice(SLOT_WORDS))


def _mark_def(p: Param) -> str:
    return f"Write the {slot(p[0])} word of the list and then the word {slot(p[1])}"


def _mark_answer(p: Param, text: str) -> str:
    words = text.split()
    return f"{words[0] if p[0] == 'first' else words[-1]} {p[1]}"


# ---- hard: table ---------------------------------------------------------------------------


def _table_param(rng: random.Random) -> Param:
    keys = rng.sample(TABLE_KEYS, 3)
    codes = rng.sample(SLOT_WORDS, 3)
    return tuple(sorted(zip(keys, codes)))


def _table_def(p: Param) -> str:
    table = ", ".join(slot(f"{k} = {v}") for k, v in p)
    return f"Replace each word by its code from the table {table}"


def _table_input(rng: random.Random, p: Param) -> str:
    keys = [k for k, _ in p]
    return " ".join(rng.choice(keys) for _ in range(rng.randint(1, 2)))


def _table_answer(p: Param, text: str) -> str:
    table = dict(p)
    return " ".join(table.get(w, w) for w in text.split())


# ---- hard: after ---------------------------------------------------------------------------


def _after_param(rng: random.Random) -> Param:
    return (rng.choice(SLOT_WORDS),)


def _after_def(p: Param) -> str:
    return f"Output the word that comes right after the word {slot(p[0])} in the list"


def _after_input(rng: random.Random, p: Param) -> str:
    """3-4 words of MIXED with the marker inserted once, never last, and two other slot words
    (distractors) anywhere: "copy the word after a nonsense word" is right at most 1 time in 3."""
    words = _list(rng, 3, 4, pool=ANIMALS + FOODS + PLACES + COLORS)
    words.insert(rng.randrange(len(words)), p[0])
    for other in rng.sample([w for w in SLOT_WORDS if w != p[0]], 2):
        words.insert(rng.randrange(len(words) + 1), other)
    return " ".join(words)


def _after_answer(p: Param, text: str) -> str:
    words = text.split() + [""]  # "" when the marker is absent or last (only the chance floor asks)
    return words[words.index(p[0]) + 1] if p[0] in words else ""


FAMILIES = (
    ParamFamily("label", "easy", _label_param, _label_def, _label_input, _label_answer, _label_slots),
    ParamFamily("label-rule", "hard", _label_rule_param, _label_def, _label_input, _label_answer, _label_slots),
    ParamFamily("mark", "hard", _mark_param, _mark_def, lambda r, p: " ".join(_list(r)), _mark_answer,
                lambda p: tuple(slot(x) for x in p)),  # fmt: skip
    ParamFamily("table", "hard", _table_param, _table_def, _table_input, _table_answer,
                lambda p: tuple(slot(f"{k} = {v}") for k, v in p)),  # fmt: skip
    ParamFamily("after", "hard", _after_param, _after_def, _after_input, _after_answer, lambda p: (slot(p[0]),)),
)
BY_NAME = {f.name: f for f in FAMILIES}


def held_out_params() -> dict[str, list[Param]]:
    """The held-out parameters per family: fixed lists drawn with a fixed seed (independent of the
    build seed, so that every build holds out the same values). label: 12 label pairs, label-rule:
    8 (rule, A, B), two per rule; their unordered label pairs are never drawn in training by either
    label family; mark: 6 (position, word) combinations; table: 8 whole tables; after: 4 marker
    words never a marker in training."""
    rng = random.Random("params:held-out")
    pairs = []
    while len(pairs) < 20:
        a, b = rng.sample(SLOT_WORDS, 2)
        if {a, b} not in [{x, y} for x, y in pairs]:
            pairs.append((a, b))
    label = [("color", *pairs[i]) for i in range(12)]
    label_rule = [(RULES[i % len(RULES)], *pairs[12 + i]) for i in range(8)]
    mark = [(POSITIONS[i % 2], w) for i, w in enumerate(rng.sample(SLOT_WORDS, 6))]
    table = []
    while len(table) < 8:
        t = _table_param(rng)
        if t not in table:
            table.append(t)
    after = [(w,) for w in rng.sample(SLOT_WORDS, 4)]
    return {"label": label, "label-rule": label_rule, "mark": mark, "table": table, "after": after}


HELD_OUT = held_out_params()
_HELD_LABEL_PAIRS = {frozenset(p[1:]) for p in HELD_OUT["label"] + HELD_OUT["label-rule"]}
_HELD_MARKERS = {p[0] for p in HELD_OUT["after"]}


def is_held_out(family: str, p: Param) -> bool:
    """True for a parameter training must never draw (see held_out_params)."""
    if family in ("label", "label-rule"):
        return frozenset(p[1:]) in _HELD_LABEL_PAIRS
    if family == "after":
        return p[0] in _HELD_MARKERS
    return p in HELD_OUT[family]


def draw_train_param(fam: ParamFamily, rng: random.Random) -> Param:
    """A fresh training parameter (rejection sampling away from the held-out values)."""
    while True:
        p = fam.draw_param(rng)
        if not is_held_out(fam.name, p):
            return p
