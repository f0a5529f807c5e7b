"""Held-out NLI-like datasets of ``suite-p3`` (mirroring ANLI r1-r3, CB and RTE).

Labels follow the originals: 3-way 0 entailment, 1 neutral, 2 contradiction; RTE 0 entailment,
1 not entailment. The templates are the promptsource ``original_task`` styles (GPT-3 style,
"must be true", "based on the previous passage"), each with its own answer words.
"""

from __future__ import annotations

import random

from hart.data.suite.p3_types import Dataset, Template, pick
from hart.data.suite.vocab import ANIMALS, COLORS, FOODS, PEOPLE, PLACES, SIZES, THINGS

ENTAIL, NEUTRAL, CONTRA = 0, 1, 2
COUNTABLE = [a for a in ANIMALS if a not in ("mouse", "sheep", "fish", "fox")]  # regular plurals

NLI3 = (
    Template("gpt3_style", "{premise}\nQuestion: {hypothesis} True, False, or Neither?\nAnswer:",
             ("True", "Neither", "False")),
    Template("must_be_true", 'Given that {premise}. Therefore, it must be true that "{hypothesis}"? '
             "Yes, no, or maybe?", ("Yes", "Maybe", "No")),
    Template("based_on_passage", '{premise}. Based on the previous passage, is it true that "{hypothesis}"? '
             "Yes, no, or maybe?", ("Yes", "Maybe", "No")),
)


def anli_r1(rng: random.Random) -> dict:
    """Attributes of a scene: color and place stated, size and the object's color not."""
    (c1, c2, c3), (pl1, pl2) = pick(rng, COLORS, 3), pick(rng, PLACES, 2)
    animal, obj = rng.choice(ANIMALS), rng.choice(THINGS + FOODS)
    premise = f"the {c1} {animal} sees the {obj} in the {pl1}"
    label = rng.randrange(3)
    hyp = rng.choice({
        ENTAIL: [f"the {animal} is {c1}", f"the {animal} is in the {pl1}"],
        NEUTRAL: [f"the {animal} is {rng.choice(SIZES)}", f"the {obj} is {c3}"],
        CONTRA: [f"the {animal} is {c2}", f"the {animal} is in the {pl2}"],
    }[label])
    return {"premise": premise, "hypothesis": hyp, "label": label}


def anli_r2(rng: random.Random) -> dict:
    """Counting: which group is larger."""
    a1, a2 = pick(rng, COUNTABLE, 2)
    n1, n2 = pick(rng, range(2, 10), 2)
    big, small = (a1, a2) if n1 > n2 else (a2, a1)
    premise = f"there are {n1} {a1}s and {n2} {a2}s in the {rng.choice(PLACES)}"
    label = rng.randrange(3)
    other = rng.choice([n for n in range(2, 10) if n != n1])
    hyp = rng.choice({
        ENTAIL: [f"there are more {big}s than {small}s", f"there are {n1} {a1}s"],
        NEUTRAL: [f"the {a1}s are {rng.choice(COLORS)}", f"the {a2}s are {rng.choice(SIZES)}"],
        CONTRA: [f"there are more {small}s than {big}s", f"there are {other} {a1}s"],
    }[label])
    return {"premise": premise, "hypothesis": hyp, "label": label}


def anli_r3(rng: random.Random) -> dict:
    """Possession after giving."""
    giver, taker = pick(rng, PEOPLE, 2)
    thing = rng.choice(THINGS)
    premise = f"{giver} gives the {thing} to {taker} in the {rng.choice(PLACES)}"
    label = rng.randrange(3)
    hyp = rng.choice({
        ENTAIL: [f"{taker} has the {thing}", f"{giver} gave something to {taker}"],
        NEUTRAL: [f"{taker} likes the {thing}", f"the {thing} is {rng.choice(COLORS)}"],
        CONTRA: [f"{giver} keeps the {thing}", f"{taker} gives the {thing} to {giver}"],
    }[label])
    return {"premise": premise, "hypothesis": hyp, "label": label}


def cb(rng: random.Random) -> dict:
    """Embedded clauses: "knows that" commits to the clause, "hopes that" does not."""
    person, animal, place = rng.choice(PEOPLE), rng.choice(ANIMALS), rng.choice(PLACES)
    label = rng.randrange(3)
    verb = rng.choice(["hopes", "thinks", "wishes"]) if label == NEUTRAL else rng.choice(["knows", "sees"])
    clause = f"the {animal} is {'not ' if label == CONTRA else ''}in the {place}"
    return {"premise": f"{person} {verb} that {clause}", "hypothesis": f"the {animal} is in the {place}",
            "label": label}


def rte(rng: random.Random) -> dict:
    """Two animals, two sizes, one place: which facts follow."""
    (a1, a2), (s1, s2), (p1, p2) = pick(rng, ANIMALS, 2), pick(rng, SIZES, 2), pick(rng, PLACES, 2)
    premise = f"the {s1} {a1} and the {s2} {a2} are in the {p1}"
    label = rng.randrange(2)
    hyp = rng.choice([[f"the {a2} is in the {p1}", f"the {a1} is {s1}"],
                      [f"the {a2} is {s1}", f"the {a1} is in the {p2}"]][label])  # fmt: skip
    return {"premise": premise, "hypothesis": hyp, "label": label}


NLI_DATASETS = (
    Dataset("suite_anli_r1", "natural language inference", anli_r1, NLI3, "anli r1"),
    Dataset("suite_anli_r2", "natural language inference", anli_r2, NLI3, "anli r2"),
    Dataset("suite_anli_r3", "natural language inference", anli_r3, NLI3, "anli r3"),
    Dataset("suite_cb", "natural language inference", cb, NLI3[:2] + (
        Template("can_we_infer", 'Suppose {premise}. Can we infer that "{hypothesis}"? Yes, no, or maybe?',
                 ("Yes", "Maybe", "No")),
    ), "super_glue cb"),
    Dataset("suite_rte", "natural language inference", rte, (
        Template("does_it_follow", '{premise}.\nDoes this mean that "{hypothesis}" is true? Yes or no?', ("yes", "no")),
        Template("gpt3_style", "{premise}\nQuestion: {hypothesis} True or False?\nAnswer:", ("True", "False")),
        Template("must_be_true", 'Given that {premise}. Therefore, it must be true that "{hypothesis}"? Yes or no?',
                 ("Yes", "No")),
    ), "super_glue rte"),
)
