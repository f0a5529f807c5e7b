"""Held-out coreference, sentence-completion and word-sense datasets of ``suite-p3`` (mirroring
WSC, Winogrande, COPA, HellaSwag and WiC). With the NLI-like ones (p3_nli) they form the test set."""

from __future__ import annotations

import random

from hart.data.suite.p3_nli import NLI_DATASETS
from hart.data.suite.p3_types import Dataset, Template, pick, shuffled_options
from hart.data.suite.vocab import ANIMALS, MEN, WOMEN

REASONS = ["is happy", "is tired", "is late", "is hungry", "is in the park", "is sad"]


def wsc(rng: random.Random) -> dict:
    """Gendered pronoun resolution; the question names one candidate (label 1 = it is the referent)."""
    woman, man = rng.choice(WOMEN), rng.choice(MEN)
    first, second = (woman, man) if rng.random() < 0.5 else (man, woman)
    pron = rng.choice(["he", "she"])
    referent = woman if pron == "she" else man
    cand = rng.choice([woman, man])
    text = f"{first} calls {second} because {pron} {rng.choice(REASONS)}"
    return {"text": text, "pronoun": pron, "candidate": cand, "label": int(cand == referent)}


ANIMATE = ["hungry", "bored", "playful", "excited"]
INANIMATE = ["shiny", "rolling", "squeaky", "bright"]


def winogrande(rng: random.Random) -> dict:
    """Fill the blank with the animal (an animate property) or the thing (an inanimate one)."""
    animal, thing = rng.choice(ANIMALS), rng.choice(["ball", "toy", "shoe", "bottle", "key", "spoon"])
    verb = rng.choice(["chased", "watched", "wanted"])
    label = rng.randrange(2)  # option1 is the animal (mentioned first), option2 the thing
    adj = rng.choice([ANIMATE, INANIMATE][label])
    return {"sentence": f"The {animal} {verb} the {thing} because _ was {adj}.",
            "options": [f"the {animal}", f"the {thing}"], "label": label}


CAUSE_EFFECT = [
    ("{p} was hungry", "{p} ate some bread"), ("{p} was tired", "{p} went to sleep"),
    ("it started to rain", "{p} took a coat"), ("the cup was empty", "{p} filled the cup"),
    ("the door was locked", "{p} used the key"), ("the room was dark", "{p} turned on the lamp"),
    ("{p} was cold", "{p} put on a hat"), ("the phone rang", "{p} answered the phone"),
    ("the dog was dirty", "{p} washed the dog"), ("{p} was thirsty", "{p} drank some water"),
    ("the book was funny", "{p} laughed"), ("the shop was closed", "{p} went home"),
]  # fmt: skip


def copa(rng: random.Random) -> dict:
    p = rng.choice(WOMEN + MEN)
    (c1, e1), (c2, e2) = pick(rng, CAUSE_EFFECT, 2)
    ask_effect = rng.random() < 0.5
    premise, right, wrong = (c1, e1, e2) if ask_effect else (e1, c1, c2)
    return {"premise": premise.format(p=p),
            "question": "What happened as a result?" if ask_effect else "What was the cause?",
            "connector": "so" if ask_effect else "because",
            **shuffled_options(rng, right.format(p=p), [wrong.format(p=p)])}


ACTIONS = {"book": "reads it", "cup": "drinks from it", "chair": "sits on it", "hat": "puts it on",
           "pen": "writes a letter", "phone": "calls a friend", "key": "opens the door",
           "ball": "throws it", "spoon": "eats some soup", "lamp": "turns it on"}  # fmt: skip


def hellaswag(rng: random.Random) -> dict:
    thing, *others = pick(rng, ACTIONS, 4)
    ctx = f"{rng.choice(WOMEN + MEN)} picks up the {thing} and"
    return {"context": ctx, **shuffled_options(rng, ACTIONS[thing], [ACTIONS[o] for o in others])}


SENSES = {
    "bat": (["the bat sleeps in the cave", "a bat flies at night", "the small bat eats insects"],
            ["ben hits the ball with a bat", "the bat is made of wood", "anna buys a new bat for the game"]),
    "bank": (["they sit on the bank of the river", "the grass on the bank is green", "fish swim near the bank"],
             ["anna puts money in the bank", "the bank opens at nine", "ben works at the bank"]),
    "ring": (["she wears a gold ring", "the ring is on her finger", "he buys a silver ring"],
             ["we hear the phone ring", "the bells ring at noon", "the clock will ring soon"]),
    "letter": (["a is the first letter", "the word has one letter", "write a big letter b"],
               ["ben writes a letter to anna", "the letter arrived today", "she reads the long letter"]),
    "light": (["turn on the light", "the light is bright", "the lamp gives light"],
              ["the bag is light", "a feather is light", "the box is light and small"]),
    "watch": (["he wears a silver watch", "my watch is slow", "the watch shows the time"],
              ["we watch the birds", "they watch the game", "the cat likes to watch the fish"]),
    "bark": (["the dog has a loud bark", "we hear the bark of the dog", "the bark woke the baby"],
             ["the bark of the tree is brown", "the bark is rough", "moss grows on the bark"]),
    "fly": (["a fly sits on the cake", "the fly is small and black", "a fly buzzes near the lamp"],
            ["birds fly south", "planes fly high", "the ducks fly over the lake"]),
}  # fmt: skip


def wic(rng: random.Random) -> dict:
    """label 1: the word has the same sense in both sentences (WiC's True)."""
    word = rng.choice(sorted(SENSES))
    label = rng.randrange(2)
    a = rng.randrange(2)
    if label:
        s1, s2 = pick(rng, SENSES[word][a], 2)
    else:
        s1, s2 = rng.choice(SENSES[word][a]), rng.choice(SENSES[word][1 - a])
    return {"word": word, "s1": s1, "s2": s2, "label": label}


HELD_OUT_DATASETS = NLI_DATASETS + (
    Dataset("suite_wsc", "coreference", wsc, (
        Template("does_pronoun_refer", '{text}. In the previous sentence, does the pronoun "{pronoun}" refer to '
                 "{candidate}? Yes or no?", ("No", "Yes")),
        Template("by_p_they_mean", '{text}. Here, by "{pronoun}" they mean "{candidate}". Yes or no?', ("No", "Yes")),
        Template("replaced_with", '{text}. If "{pronoun}" is replaced with "{candidate}", is the meaning the same? '
                 "Yes or no?", ("No", "Yes")),
    ), "super_glue wsc.fixed"),
    Dataset("suite_winogrande", "coreference", winogrande, (
        Template("replace_underscore", "{sentence}\nReplace the _ in the above sentence with the correct option:\n"
                 "- {opt0}\n- {opt1}"),
        Template("fill_in_the_blank", "Fill in the blank: {sentence} Choose between {opt0} and {opt1}."),
        Template("underscore_refer_to", "{sentence} In the previous sentence, does _ refer to {opt0} or {opt1}?"),
    ), "winogrande_xl"),
    Dataset("suite_copa", "sentence completion", copa, (
        Template("more_likely", "{premise}. {question}\nOption 1: {opt0}\nOption 2: {opt1}"),
        Template("connector", '"{opt0}" or "{opt1}"? {premise} {connector}'),
        Template("best_option", "Pick the more likely continuation: {premise} {connector} ... {opt0} / {opt1}"),
    ), "super_glue copa"),
    Dataset("suite_hellaswag", "sentence completion", hellaswag, (
        Template("how_ends", "{context} ...\nHow does the description likely end?\nEnding 1: {opt0}\n"
                 "Ending 2: {opt1}\nEnding 3: {opt2}\nEnding 4: {opt3}"),
        Template("complete", "Complete the description with an appropriate ending:\n{context} ..."),
    ), "hellaswag"),
    Dataset("suite_wic", "word sense disambiguation", wic, (
        Template("same_meaning", 'Does the word "{word}" have the same meaning in these two sentences? Yes, No?\n'
                 "{s1}\n{s2}", ("No", "Yes")),
        Template("same_sense", "{s1}\n{s2}\nQuestion: Is the word '{word}' used in the same sense in the two "
                 "sentences above?", ("No", "Yes")),
        Template("similar_sense", 'Sentence A: {s1}\nSentence B: {s2}\n"{word}" has a similar meaning in '
                 "sentences A and B. True or False?", ("False", "True")),
    ), "super_glue wic"),
)
