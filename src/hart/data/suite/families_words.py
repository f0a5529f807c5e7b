"""Families over word lists (pool ``words``) and simple sentences (pool ``sentence``)."""

from __future__ import annotations

from hart.data.suite.family import Family, classify
from hart.data.suite.vocab import ANIMALS, COLORS, FOODS, PEOPLE, THINGS, VERBS

LIST = "In this task, you are given a list of words separated by spaces. "
SENT = "In this task, you are given a simple sentence: who does what to which object, and where. "


def _w(s: str) -> list[str]:
    return s.split()


def _j(words) -> str:
    return " ".join(words)


def _dedupe(s: str) -> str:
    return _j(dict.fromkeys(_w(s)))


def _keep(cat: list[str], keep: bool = True):
    members = set(cat)
    return lambda s: _j(w for w in _w(s) if (w in members) == keep)


def _longest(s: str, sign: int = 1) -> str:
    words = _w(s)
    return max(words, key=lambda w: sign * len(w)) if sign > 0 else min(words, key=len)


def gen(slug, kind, rule_id, summary, definition, pool="words", rule=None, **kw) -> Family:
    return Family(slug, kind, rule_id, summary, definition, pool, rule, **kw)


def _color_list() -> str:
    return ", ".join(COLORS)


def _animal_list() -> str:
    return ", ".join(ANIMALS)


TRAIN_WORDS = [
    gen("copy_words", "rewriting", "identity(words)", "copy the words unchanged",
        LIST + "Output the same words, in the same order.", rule=lambda s: _j(_w(s))),
    gen("reverse_words", "rewriting", "reverse(words)", "write the words in reverse order",
        LIST + "Output the words in reverse order: the last word first.", rule=lambda s: _j(_w(s)[::-1])),
    gen("sort_words", "rewriting", "sort(words)", "sort the words alphabetically",
        LIST + "Output the words sorted in alphabetical order (keep repeated words).",
        rule=lambda s: _j(sorted(_w(s)))),
    gen("dedupe_words", "rewriting", "dedupe(words)", "remove repeated words",
        LIST + "Remove every repeated word, keeping only its first occurrence, and output the rest in order.",
        rule=_dedupe),
    gen("rotate_words", "rewriting", "rotate_left(words)", "move the first word to the end",
        LIST + "Move the first word to the end of the list and output the new list.",
        rule=lambda s: _j(_w(s)[1:] + _w(s)[:1])),
    gen("swap_ends", "rewriting", "swap_first_last(words)", "swap the first and the last word",
        LIST + "Swap the first word and the last word; keep the words in between as they are.",
        rule=lambda s: _j(_w(s)[-1:] + _w(s)[1:-1] + _w(s)[:1])),
    gen("upper_words", "rewriting", "upper(words)", "write every word in capital letters",
        LIST + "Output the same words written in capital letters.", rule=str.upper),
    gen("capitalize_words", "rewriting", "capitalize(words)", "capitalize the first letter of each word",
        LIST + "Output the words with the first letter of each word in capital letters.",
        rule=lambda s: _j(w.capitalize() for w in _w(s))),
    gen("append_stop", "rewriting", "append(words,stop)", "add the word stop at the end",
        LIST + 'Output the list followed by the word "stop".', rule=lambda s: s + " stop"),
    gen("double_words", "rewriting", "repeat_each(words,2)", "write every word twice",
        LIST + "Output every word twice in a row, keeping the order.",
        rule=lambda s: _j(w for w in _w(s) for _ in range(2)), valid=lambda s: len(_w(s)) <= 5),
    gen("hyphen_words", "rewriting", "join(words,-)", "join the words with hyphens",
        LIST + 'Join the words with a hyphen "-" instead of spaces.', rule=lambda s: "-".join(_w(s))),
    gen("drop_first_word", "extraction", "drop_first(words)", "remove the first word",
        LIST + "Remove the first word and output the remaining words.", rule=lambda s: _j(_w(s)[1:])),
    gen("drop_last_word", "extraction", "drop_last(words)", "remove the last word",
        LIST + "Remove the last word and output the remaining words.", rule=lambda s: _j(_w(s)[:-1])),
    gen("first_word", "extraction", "nth(words,1)", "output the first word",
        LIST + "Output the first word of the list.", rule=lambda s: _w(s)[0]),
    gen("second_word", "extraction", "nth(words,2)", "output the second word",
        LIST + "Output the second word of the list.", rule=lambda s: _w(s)[1]),
    gen("third_word", "extraction", "nth(words,3)", "output the third word",
        LIST + "Output the third word of the list.", rule=lambda s: _w(s)[2]),
    gen("last_word", "extraction", "nth(words,-1)", "output the last word",
        LIST + "Output the last word of the list.", rule=lambda s: _w(s)[-1]),
    gen("first_two_words", "extraction", "head(words,2)", "output the first two words",
        LIST + "Output the first two words of the list.", rule=lambda s: _j(_w(s)[:2])),
    gen("last_two_words", "extraction", "tail(words,2)", "output the last two words",
        LIST + "Output the last two words of the list.", rule=lambda s: _j(_w(s)[-2:])),
    gen("keep_colors", "extraction", "keep(words,color)", "keep only the color words",
        LIST + f"Output only the words that are colors ({_color_list()}), in order.",
        rule=_keep(COLORS), valid=lambda s: bool(_keep(COLORS)(s))),
    gen("keep_animals", "extraction", "keep(words,animal)", "keep only the animal words",
        LIST + f"Output only the words that are animals ({_animal_list()}), in order.",
        rule=_keep(ANIMALS), valid=lambda s: bool(_keep(ANIMALS)(s))),
    gen("keep_foods", "extraction", "keep(words,food)", "keep only the food words",
        LIST + f"Output only the words that are foods ({', '.join(FOODS)}), in order.",
        rule=_keep(FOODS), valid=lambda s: bool(_keep(FOODS)(s))),
    gen("remove_colors", "extraction", "remove(words,color)", "remove the color words",
        LIST + f"Remove every color word ({_color_list()}) and output the other words in order.",
        rule=_keep(COLORS, False), valid=lambda s: bool(_keep(COLORS, False)(s))),
    gen("count_words", "arithmetic", "count(words)", "count the words",
        LIST + "Output how many words the list has, as digits.", rule=lambda s: str(len(_w(s)))),
    gen("count_colors", "arithmetic", "count(words,color)", "count the color words",
        LIST + f"Output how many of the words are colors ({_color_list()}), as digits.",
        rule=lambda s: str(sum(w in COLORS for w in _w(s)))),
    gen("longest_word", "extraction", "longest(words)", "output the longest word",
        LIST + "Output the longest word; if several are equally long, the first of them.", rule=_longest),
    gen("shortest_word", "extraction", "shortest(words)", "output the shortest word",
        LIST + "Output the shortest word; if several are equally short, the first of them.",
        rule=lambda s: _longest(s, -1)),
    gen("initials", "spelling", "initials(words)", "join the first letters of the words",
        LIST + "Output one string made of the first letter of every word, in order, with no spaces.",
        rule=lambda s: "".join(w[0] for w in _w(s))),
    gen("final_letters", "spelling", "finals(words)", "join the last letters of the words",
        LIST + "Output one string made of the last letter of every word, in order, with no spaces.",
        rule=lambda s: "".join(w[-1] for w in _w(s))),
    classify("has_color", "has(words,color)", lambda s: any(w in COLORS for w in _w(s)), ("yes", "no"),
             LIST + f'Answer "yes" if one of the words is a color ({_color_list()}), otherwise "no".',
             "words", 'answer "yes" if a color word is present, else "no"'),
    classify("has_animal", "has(words,animal)", lambda s: any(w in ANIMALS for w in _w(s)), ("true", "false"),
             LIST + f'Answer "true" if one of the words is an animal ({_animal_list()}), otherwise "false".',
             "words", 'answer "true" if an animal word is present, else "false"'),
    classify("even_length", "parity(count(words))", lambda s: len(_w(s)) % 2 == 0, ("even", "odd"),
             LIST + 'Answer "even" if the number of words is even, otherwise "odd".',
             "words", 'answer "even" for an even number of words, else "odd"'),
    classify("has_repeat", "has_duplicate(words)", lambda s: len(set(_w(s))) < len(_w(s)), ("repeat", "unique"),
             LIST + 'Answer "repeat" if some word appears more than once, otherwise "unique".',
             "words", 'answer "repeat" if a word appears twice, else "unique"'),
]


def _subject(s: str) -> str:
    return next(w for w in _w(s) if w in PEOPLE or w in ANIMALS)


def _object(s: str) -> str:
    return next(w for w in _w(s) if w in FOODS or w in THINGS)


def _colors(s: str) -> str:
    return _j(w for w in _w(s) if w in COLORS)


TRAIN_SENTENCES = [
    gen("sentence_subject", "extraction", "subject(sentence)", "output who does the action",
        SENT + "Output the person or animal that does the action (one word, without 'the' or adjectives).",
        "sentence", _subject),
    gen("sentence_verb", "extraction", "verb(sentence)", "output the verb",
        SENT + f"Output the verb of the sentence (one of: {', '.join(VERBS)}).", "sentence",
        lambda s: next(w for w in _w(s) if w in VERBS)),
    gen("sentence_object", "extraction", "object(sentence)", "output the object noun",
        SENT + "Output the object of the action: the food or thing (one word, without 'the' or adjectives).",
        "sentence", _object),
    gen("sentence_place", "extraction", "place(sentence)", "output the place",
        SENT + "Output the place where it happens (the last word).", "sentence", lambda s: _w(s)[-1]),
    classify("subject_kind", "is_person(subject(sentence))", lambda s: _subject(s) in PEOPLE, ("person", "animal"),
             SENT + 'Answer "person" if the one who does the action is a person (a first name), '
             'or "animal" if it is an animal.', "sentence", 'answer "person" or "animal" for the subject'),
    classify("object_kind", "is_food(object(sentence))", lambda s: _object(s) in FOODS, ("edible", "object"),
             SENT + 'Answer "edible" if the object of the action is a food, or "object" if it is a thing.',
             "sentence", 'answer "edible" for a food object, "object" for a thing'),
]

_WHY_WORDS = "the same word lists as the other held-out list tasks; only the stated rule differs"

HELD_OUT_WORDS = [
    gen("reverse_upper_words", "rewriting", "upper(reverse(words))", "reverse the words and capitalize them",
        LIST + "Output the words in reverse order, every word written in capital letters.",
        rule=lambda s: _j(_w(s)[::-1]).upper(), why_held_out=_WHY_WORDS + " (a composition of two rules)"),
    gen("second_to_last_word", "extraction", "nth(words,-2)", "output the second-to-last word",
        LIST + "Output the second-to-last word of the list (the word just before the last one).",
        rule=lambda s: _w(s)[-2], why_held_out=_WHY_WORDS),
    gen("drop_both_ends", "extraction", "drop_first(drop_last(words))", "remove the first and the last word",
        LIST + "Remove the first word and the last word; output the words in between.",
        rule=lambda s: _j(_w(s)[1:-1]), why_held_out=_WHY_WORDS + " (a composition of two rules)"),
    gen("sort_words_descending", "rewriting", "reverse(sort(words))", "sort the words in reverse alphabetical order",
        LIST + "Output the words sorted in reverse alphabetical order (from z to a; keep repeated words).",
        rule=lambda s: _j(sorted(_w(s), reverse=True)), why_held_out=_WHY_WORDS),
    gen("count_animals", "arithmetic", "count(words,animal)", "count the animal words",
        LIST + f"Output how many of the words are animals ({_animal_list()}), as digits.",
        rule=lambda s: str(sum(w in ANIMALS for w in _w(s))), why_held_out=_WHY_WORDS),
    gen("remove_animals", "extraction", "remove(words,animal)", "remove the animal words",
        LIST + f"Remove every animal word ({_animal_list()}) and output the other words in order.",
        rule=_keep(ANIMALS, False), valid=lambda s: bool(_keep(ANIMALS, False)(s)),
        why_held_out="which category to remove is only named in the definition"),
    gen("keep_colors_and_animals", "extraction", "keep(words,color|animal)", "keep the color and animal words",
        LIST + f"Output only the words that are colors ({_color_list()}) or animals ({_animal_list()}), in order.",
        rule=lambda s: _j(w for w in _w(s) if w in COLORS or w in ANIMALS),
        valid=lambda s: any(w in COLORS or w in ANIMALS for w in _w(s)),
        why_held_out="the union of two categories is only stated in the definition"),
    classify("has_food_zipzap", "has(words,food)", lambda s: any(w in FOODS for w in _w(s)), ("zip", "zap"),
             LIST + f'Answer "zip" if one of the words is a food ({", ".join(FOODS)}), otherwise "zap".',
             "words", 'answer "zip" if a food word is present, else "zap"',
             why_held_out="the label words zip/zap and the food category appear only in the definition"),
]

HELD_OUT_SENTENCES = [
    gen("sentence_colors", "extraction", "colors(sentence)", "output the color words",
        SENT + "Output every color word of the sentence, in order.", "sentence", _colors,
        valid=lambda s: bool(_colors(s)), why_held_out="same sentences as the other sentence tasks"),
    gen("sentence_subject_place", "extraction", "subject+place(sentence)", "output the subject and the place",
        SENT + "Output two words: the person or animal that does the action, then the place.", "sentence",
        lambda s: f"{_subject(s)} {_w(s)[-1]}", why_held_out="a composition of two training rules"),
    classify("sentence_mentions_color", "has(sentence,color)", lambda s: bool(_colors(s)), ("bright", "plain"),
             SENT + f'Answer "bright" if the sentence mentions a color ({_color_list()}), otherwise "plain".',
             "sentence", 'answer "bright" if a color is mentioned, else "plain"',
             why_held_out="arbitrary label words given only in the definition"),
]
