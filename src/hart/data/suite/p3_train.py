"""Training datasets of ``suite-p3`` (the T0 training mixture's clusters, in the suite's vocabulary):
sentiment, topic classification, paraphrase, multiple-choice QA and closed-book comparisons."""

from __future__ import annotations

import random

from hart.data.suite.p3_types import Dataset, Template, pick, shuffled_options
from hart.data.suite.vocab import ANIMALS, COLORS, FOODS, MIXED, PEOPLE, PLACES, SIZES, THINGS, VERBS

POSITIVE = "loves likes enjoys".split()
NEGATIVE = "hates fears dislikes".split()
SYNONYMS = {"sees": "watches", "likes": "enjoys", "finds": "discovers", "takes": "grabs",
            "holds": "carries", "wants": "needs"}  # fmt: skip
TOPICS = {"animals": ANIMALS, "food": FOODS, "things": THINGS}


def sentiment(rng: random.Random) -> dict:
    label = rng.randrange(2)
    verb = rng.choice((POSITIVE, NEGATIVE)[label])
    return {"text": f"{rng.choice(PEOPLE)} {verb} the {rng.choice(SIZES + COLORS)} {rng.choice(THINGS + FOODS)}",
            "label": label}


def topic(rng: random.Random) -> dict:
    label = rng.randrange(3)
    a, b = pick(rng, list(TOPICS.values())[label], 2)
    return {"text": f"{rng.choice(PEOPLE)} sees the {a} and the {b} in the {rng.choice(PLACES)}", "label": label}


def paraphrase(rng: random.Random) -> dict:
    p, verb, place = rng.choice(PEOPLE), rng.choice(VERBS), rng.choice(PLACES)
    obj, other = pick(rng, FOODS + THINGS, 2)
    s1 = f"{p} {verb} the {obj} in the {place}"
    label = rng.randrange(2)  # 0: same meaning (synonym), 1: different (another object)
    s2 = f"{p} {SYNONYMS[verb]} the {obj} in the {place}" if label == 0 else f"{p} {verb} the {other} in the {place}"
    return {"s1": s1, "s2": s2, "label": label}


def where(rng: random.Random) -> dict:
    places = pick(rng, PLACES, 3)
    animal, obj = rng.choice(ANIMALS), rng.choice(THINGS)
    return {"text": f"the {animal} {rng.choice(VERBS)} the {obj} in the {places[0]}", "subject": f"the {animal}",
            **shuffled_options(rng, places[0], places[1:])}


def color(rng: random.Random) -> dict:
    c1, c2, c3 = pick(rng, COLORS, 3)
    animal, obj = rng.choice(ANIMALS), rng.choice(THINGS)
    return {"text": f"the {c1} {animal} {rng.choice(VERBS)} the {c2} {obj}", "subject": animal,
            **shuffled_options(rng, c1, [c2, c3])}


def bigger(rng: random.Random) -> dict:
    a, b = pick(rng, range(0, 50), 2)
    return {"a": a, "b": b, "options": [str(a), str(b)], "label": int(b > a)}


def who_has(rng: random.Random) -> dict:
    giver, taker = pick(rng, PEOPLE, 2)
    thing = rng.choice(THINGS)
    return {"text": f"{giver} gives the {thing} to {taker}", "thing": thing,
            **shuffled_options(rng, taker, [giver])}


def first_word(rng: random.Random) -> dict:
    a, b = pick(rng, MIXED, 2)
    return {"a": a, "b": b, "options": [a, b], "label": int(b < a)}


TRAIN_DATASETS = (
    Dataset("suite_sentiment", "sentiment", sentiment, (
        Template("positive_or_negative", "{text}\nIs this sentence positive or negative?", ("positive", "negative")),
        Template("did_they_like_it", "Review: {text}\nDid the person like it?", ("yes", "no")),
        Template("feeling", "{text}\nHow does the person feel about it, happy or sad?", ("happy", "sad")),
    ), "imdb / yelp / amazon"),
    Dataset("suite_topic", "topic classification", topic, (
        Template("what_topic", "{text}\nWhat is this sentence about: animals, food or things?",
                 ("animals", "food", "things")),
        Template("which_section", "Which section of a shop fits this sentence?\n{text}", ("pets", "kitchen", "tools")),
        Template("classify", "Classify the sentence: {text}\nAnswer with animal, meal or object.",
                 ("animal", "meal", "object")),
    ), "ag_news / dbpedia"),
    Dataset("suite_paraphrase", "paraphrase identification", paraphrase, (
        Template("same_meaning", "Sentence 1: {s1}\nSentence 2: {s2}\nDo they mean the same thing?", ("yes", "no")),
        Template("paraphrase", "{s1}\n{s2}\nAre these two sentences paraphrases?", ("yes", "no")),
        Template("another_way", 'Is "{s2}" another way to say "{s1}"?', ("true", "false")),
    ), "mrpc / qqp / paws"),
    Dataset("suite_where", "multiple-choice qa", where, (
        Template("question_options", "{text}\nQuestion: where is {subject}?\nOptions: {opt0}, {opt1}, {opt2}\nAnswer:"),
        Template("where_happen", "{text}. Where does this happen? Choose from {opt0}, {opt1} or {opt2}."),
        Template("read_and_answer", "Read: {text}\nWhere is {subject}: {opt0}, {opt1} or {opt2}?"),
    ), "cos_e / quail / social_i_qa"),
    Dataset("suite_color", "multiple-choice qa", color, (
        Template("what_color", "{text}\nWhat color is the {subject}? {opt0}, {opt1} or {opt2}?"),
        Template("context_question", "Context: {text}\nQuestion: the {subject} is which color?\nAnswer:"),
    ), "dream / wiqa"),
    Dataset("suite_bigger", "closed-book qa", bigger, (
        Template("which_bigger", "Which number is bigger: {a} or {b}?"),
        Template("larger_of", "Name the larger of the two numbers {a} and {b}."),
    ), "wiki_qa / hotpot (closed-book)"),
    Dataset("suite_who_has", "multiple-choice qa", who_has, (
        Template("who_has_now", "{text}. Who has the {thing} now, {opt0} or {opt1}?"),
        Template("story_question", "Story: {text}.\nQuestion: who is holding the {thing}?\nAnswer:"),
        Template("options_first", "Options: {opt0}, {opt1}\n{text}. Which one has the {thing}?"),
    ), "quartz / quarel"),
    Dataset("suite_dictionary", "closed-book qa", first_word, (
        Template("comes_first", "Which word comes first in the dictionary: {a} or {b}?"),
        Template("alphabetical", "Put {a} and {b} in alphabetical order. Which is first?"),
    ), "trivia-style closed-book qa"),
)
