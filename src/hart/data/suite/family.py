"""A suite task family: a rule over one input pool, stated in a definition, rendered as an S-NI task.

Each family exposes ``rule(input) -> output`` (tests check it against every instance) and a
``rule_id`` (the canonical rule, compared across the train/held-out split). Randomness:

- training tasks draw their inputs from ``Random(f"{seed}:{name}:instances")`` (every task its own);
- held-out tasks draw from ``Random(f"{seed}:{pool}:held-out")``: held-out families of the same pool
  and without a balancing or validity constraint get the SAME inputs, so only the definition and
  the demonstrations tell which output is wanted;
- classification families are label-balanced (labels in turn, rejection sampling, then shuffled),
  like S-NI's curated test instances.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Callable, Sequence

from hart.data.suite.vocab import POOLS
from hart.errors import HartError

N_TEST = 100  # S-NI test tasks: the first 100 instances
N_TRAIN = (60, 100)  # training tasks: a seeded size in this range (Tk-Instruct keeps up to 100)
MAX_TRIES = 20000
N_CANDIDATES = 8  # inputs drawn per positive example; the most telling one is kept


@dataclass(frozen=True)
class Family:
    name: str  # task name, e.g. "suite003_reverse_words"
    kind: str  # S-NI "Categories": classification | extraction | rewriting | arithmetic | lookup | spelling
    rule_id: str  # canonical rule, e.g. "reverse(words)"; distinct across the split
    summary: str  # the rule in a few words (docs/suite.md, explanations)
    definition: str
    pool: str
    rule: Callable[[str], str] = field(compare=False)
    held_out: bool = False
    labels: tuple[str, ...] = ()  # classification: the label words the definition names
    valid: Callable[[str], bool] = field(default=lambda s: True, compare=False)
    why_held_out: str = ""  # docs: why the definition is needed


def classify(name, rule_id, feature, labels, definition, pool, summary, **kw) -> Family:
    """A classification family: ``labels[0]`` when ``feature(input)`` holds, else ``labels[1]``
    (or ``labels[feature(input)]`` when the feature returns an index)."""

    def rule(s: str) -> str:
        f = feature(s)
        return labels[int(f)] if not isinstance(f, bool) else labels[0 if f else 1]

    return Family(name, "classification", rule_id, summary, definition, pool, rule, labels=tuple(labels), **kw)


def _rng(seed: int, *parts) -> random.Random:
    return random.Random(":".join(map(str, (seed, *parts))))  # str seeds hash with sha512: stable


def _draw(fam: Family, rng: random.Random, n: int, exclude: set[str], want: str | None = None) -> list[str]:
    """``n`` inputs (unique while the pool allows it, then repeats) with an output of ``want``."""
    pool, out, seen, tries = POOLS[fam.pool], [], set(exclude), 0
    while len(out) < n:
        tries += 1
        if tries > MAX_TRIES:
            raise HartError(f"suite family {fam.name}: cannot draw {n} inputs (label {want!r})")
        s = pool(rng)
        if not fam.valid(s) or (want is not None and fam.rule(s) != want):
            continue
        if s in seen and tries < MAX_TRIES // 2:
            continue
        seen.add(s)
        out.append(s)
    return out


def _sample(fam: Family, rng: random.Random, n: int, exclude: set[str]) -> list[str]:
    if not fam.labels:
        return _draw(fam, rng, n, exclude)
    out: list[str] = []
    for i, label in enumerate(fam.labels):  # balanced: n // k of each label, the rest from the first
        k = n // len(fam.labels) + (1 if i < n % len(fam.labels) else 0)
        out += _draw(fam, rng, k, exclude | set(out), label)
    rng.shuffle(out)
    return out


def explanation(fam: Family, inp: str, out: str) -> str:
    return f'The rule is to {fam.summary}. Applied to "{inp}", it gives "{out}".'


def _disagreement(s: str, peers: Sequence[Family]) -> int:
    """How many different outputs the rules of ``peers`` give for ``s``."""
    outs = set()
    for peer in peers:
        try:
            if peer.valid(s):
                outs.add(peer.rule(s))
        except (ValueError, IndexError, KeyError, StopIteration):
            pass
    return len(outs)


def _demonstration(
    fam: Family, rng: random.Random, exclude: set[str], want: str | None, peers: Sequence[Family]
) -> str:
    """The most telling of ``N_CANDIDATES`` inputs: the one on which the rules of the same pool
    disagree most (e.g. no "forest forest forest" for a word-order rule)."""
    candidates = _draw(fam, rng, N_CANDIDATES, exclude, want)
    return max(candidates, key=lambda s: _disagreement(s, peers))  # first of the best: deterministic


def build_task(fam: Family, seed: int, peers: Sequence[Family] = ()) -> dict:
    """The S-NI task dict (key order of allenai/natural-instructions task files). ``peers``: the
    families that demonstrations should tell apart (those of the same pool)."""
    split = "held-out" if fam.held_out else "train"
    inst_rng = _rng(seed, fam.pool if fam.held_out else fam.name, "instances", split)
    fam_rng = _rng(seed, fam.name, "examples")
    n = N_TEST if fam.held_out else fam_rng.randint(*N_TRAIN)
    inputs = _sample(fam, inst_rng, n, set())
    n_pos = min(4, max(fam_rng.randint(2, 4), len(fam.labels)))
    pos: list[str] = []
    same_pool = [p for p in peers if p.pool == fam.pool]
    for i in range(n_pos):  # classification: the label words in turn, so every label is shown
        want = fam.labels[i % len(fam.labels)] if fam.labels else None
        pos.append(_demonstration(fam, fam_rng, set(inputs) | set(pos), want, same_pool))
    neg_in = _draw(fam, fam_rng, 1, set(inputs) | set(pos))[0]
    wrong = next(fam.rule(s) for s in inputs if fam.rule(s) != fam.rule(neg_in))
    number = fam.name.split("_")[0]
    return {
        "Contributors": ["hart-repro suite generator"],
        "Source": ["synthetic"],
        "URL": ["docs/suite.md"],
        "Categories": [fam.kind],
        "Reasoning": [],
        "Definition": [fam.definition],
        "Input_language": ["English"],
        "Output_language": ["English"],
        "Instruction_language": ["English"],
        "Domains": ["Synthetic"],
        "Positive Examples": [
            {"input": p, "output": fam.rule(p), "explanation": explanation(fam, p, fam.rule(p))} for p in pos
        ],
        "Negative Examples": [
            {
                "input": neg_in,
                "output": wrong,
                "explanation": f'This is wrong: the rule is to {fam.summary}, which gives "{fam.rule(neg_in)}".',
            }
        ],
        "Instances": [{"id": f"{number}-{i:04d}", "input": s, "output": [fam.rule(s)]} for i, s in enumerate(inputs)],
        "Instance License": ["Apache 2.0"],
    }
