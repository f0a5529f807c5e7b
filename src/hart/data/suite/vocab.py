"""The closed vocabulary of the embedded suite and its input distributions ("pools").

Every suite task draws its inputs from one pool, so that training and held-out families read the
same kinds of strings and differ only in the rule their definition states. Words are lowercase
ASCII; no word belongs to two categories (a rule can find a word's category by set membership).
"""

from __future__ import annotations

import random
from typing import Callable

COLORS = "red blue green yellow black white pink brown purple gray gold silver".split()
ANIMALS = (
    "cat dog bird fish horse cow pig sheep goat duck lion tiger bear wolf fox mouse frog owl snake rabbit"
).split()
FOODS = "apple banana grape lemon pear peach plum cherry melon mango bread cheese rice egg cake soup".split()
THINGS = "chair table lamp cup book pen key box bag hat shoe coat door clock phone spoon bottle ball".split()
PLACES = "park school house city river lake forest beach farm shop garden road".split()
WOMEN = "anna dora emma grace iris kate mia nina".split()
MEN = "ben carl frank hugo jack leo omar paul".split()
PEOPLE = WOMEN + MEN
SIZES = "big small tall short old new".split()
VERBS = "sees likes finds takes holds wants".split()
NUMBER_WORDS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty"
).split()
# nonsense code words for the lookup tables stated in definitions
CODES = "zop mib tark lune fesh gorp wix dabo kelt rumo sivo pake nudi yorb vapi temo".split()

CATEGORIES = {"color": COLORS, "animal": ANIMALS, "food": FOODS, "thing": THINGS, "place": PLACES}
MIXED = COLORS + ANIMALS + FOODS + THINGS + PLACES  # the word-list pool draws from these
NOUNS = ANIMALS + FOODS + THINGS
VOWELS = set("aeiou")

Pool = Callable[[random.Random], str]


def words_pool(rng: random.Random) -> str:
    """3-6 words from MIXED; each later word repeats an earlier one with probability 1/5."""
    out: list[str] = []
    for _ in range(rng.randint(3, 6)):
        out.append(rng.choice(out) if out and rng.random() < 0.2 else rng.choice(MIXED))
    return " ".join(out)


def word_pool(rng: random.Random) -> str:
    """One word of MIXED or PEOPLE (spelling rules)."""
    return rng.choice(MIXED + PEOPLE)


def numbers_pool(rng: random.Random) -> str:
    """3-6 integers in 0..20; sorted ascending one time in four (so "is it sorted" is learnable)."""
    nums = [rng.randint(0, 20) for _ in range(rng.randint(3, 6))]
    return " ".join(map(str, sorted(nums) if rng.random() < 0.25 else nums))


def pair_pool(rng: random.Random) -> str:
    return f"{rng.randint(0, 20)} {rng.randint(0, 20)}"


def _noun_phrase(rng: random.Random, nouns: list[str]) -> str:
    adj = rng.choice([[], [rng.choice(COLORS)], [rng.choice(SIZES)]])
    return " ".join(["the", *adj, rng.choice(nouns)])


def sentence_pool(rng: random.Random) -> str:
    """'<subject> <verb> <object> in the <place>': subject a person or 'the [adj] animal', object
    'the [adj] food|thing'; adjectives are a color, a size or nothing."""
    subj = rng.choice(PEOPLE) if rng.random() < 0.5 else _noun_phrase(rng, ANIMALS)
    obj = _noun_phrase(rng, FOODS + THINGS)
    return f"{subj} {rng.choice(VERBS)} {obj} in the {rng.choice(PLACES)}"


def table_pool(keys: list[str]) -> Pool:
    """1-3 words of a lookup table's keys (the table itself is given in the definition)."""

    def draw(rng: random.Random) -> str:
        return " ".join(rng.choice(keys) for _ in range(rng.randint(1, 3)))

    return draw


def adjective_pool(rng: random.Random) -> str:
    return " ".join(rng.choice(SIZES) for _ in range(rng.randint(1, 3)))


def digit_pool(rng: random.Random) -> str:
    return " ".join(str(rng.randint(0, 20)) for _ in range(rng.randint(1, 3)))


def number_word_pool(rng: random.Random) -> str:
    return " ".join(rng.choice(NUMBER_WORDS) for _ in range(rng.randint(1, 3)))


# the lookup tables (key -> code) stated in definitions; train and held-out tables share no key
TABLE_ANIMALS = dict(zip(ANIMALS[:8], CODES[:8]))
TABLE_THINGS = dict(zip(THINGS[:8], CODES[8:16]))
TABLE_FOODS = dict(zip(FOODS[:8], CODES[4:12]))  # held out: new keys, codes reshuffled

POOLS: dict[str, Pool] = {
    "words": words_pool,
    "word": word_pool,
    "numbers": numbers_pool,
    "pair": pair_pool,
    "sentence": sentence_pool,
    "adjectives": adjective_pool,
    "digits": digit_pool,
    "number_words": number_word_pool,
    "table_animals": table_pool(list(TABLE_ANIMALS)),
    "table_things": table_pool(list(TABLE_THINGS)),
    "table_foods": table_pool(list(TABLE_FOODS)),
}


def all_words() -> list[str]:
    """Every word the suite can emit (docs and tests: the vocabulary stays small)."""
    return sorted(set(MIXED + PEOPLE + SIZES + VERBS + NUMBER_WORDS + CODES))
