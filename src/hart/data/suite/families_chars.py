"""Families over single words (pool ``word``: spelling) and lookup tables stated in the definition."""

from __future__ import annotations

import string

from hart.data.suite.families_words import gen
from hart.data.suite.family import classify
from hart.data.suite.vocab import (
    ANIMALS,
    COLORS,
    FOODS,
    NUMBER_WORDS,
    PEOPLE,
    TABLE_ANIMALS,
    TABLE_FOODS,
    TABLE_THINGS,
    THINGS,
    VOWELS,
)  # fmt: skip

WORD = "In this task, you are given one word. "
LETTERS = string.ascii_lowercase
CAESAR = dict(zip(LETTERS, LETTERS[1:] + LETTERS[:1]))
ATBASH = dict(zip(LETTERS, LETTERS[::-1]))
OPPOSITES = {"big": "small", "small": "big", "tall": "short", "short": "tall", "old": "new", "new": "old"}
CATEGORY_OF = {**{w: "color" for w in COLORS}, **{w: "animal" for w in ANIMALS},
               **{w: "food" for w in FOODS}, **{w: "thing" for w in THINGS}}  # fmt: skip


def _cipher(table: dict[str, str]):
    return lambda s: "".join(table.get(c, c) for c in s)


def _table_text(table: dict[str, str]) -> str:
    return ", ".join(f"{k} = {v}" for k, v in table.items())


def _lookup(table: dict[str, str]):
    return lambda s: " ".join(table[w] for w in s.split())


def _no_vowels(s: str) -> str:
    return "".join(c for c in s if c not in VOWELS)


TRAIN_CHARS = [
    gen("spell_word", "spelling", "spell(word)", "spell the word letter by letter",
        WORD + "Spell it: output its letters separated by spaces.", "word", lambda s: " ".join(s)),
    gen("reverse_letters", "spelling", "reverse(letters)", "write the word backwards",
        WORD + "Write the word backwards, letters in reverse order, with no spaces.", "word", lambda s: s[::-1]),
    gen("first_letter", "spelling", "nth(letters,1)", "output the first letter",
        WORD + "Output its first letter.", "word", lambda s: s[0]),
    gen("letter_count", "arithmetic", "count(letters)", "count the letters",
        WORD + "Output how many letters it has, as digits.", "word", lambda s: str(len(s))),
    gen("caesar_next", "spelling", "cipher(letters,next)", "replace each letter by the next letter",
        WORD + "Replace every letter by the next letter of the alphabet (a becomes b, ..., z becomes a).",
        "word", _cipher(CAESAR)),
    gen("remove_vowels", "spelling", "remove(letters,vowel)", "remove the vowels",
        WORD + "Remove the vowels (a, e, i, o, u) and output the remaining letters.", "word", _no_vowels,
        valid=lambda s: bool(_no_vowels(s))),
    gen("plural", "rewriting", "append(letters,s)", "add the letter s at the end",
        WORD + 'Add the letter "s" at the end of the word.', "word", lambda s: s + "s"),
    classify("word_category", "category(word)", lambda s: ("color", "animal", "food", "thing").index(CATEGORY_OF[s]),
             ("color", "animal", "food", "thing"),
             WORD + 'Answer "color", "animal", "food" or "thing": the category the word belongs to.',
             "word", "name the category of the word", valid=lambda s: s in CATEGORY_OF),
    classify("long_or_short", "length(word)>4", lambda s: len(s) > 4, ("long", "short"),
             WORD + 'Answer "long" if it has more than four letters, otherwise "short".',
             "word", 'answer "long" for more than four letters, else "short"'),
    classify("starts_with_vowel", "first(letters) in vowels", lambda s: s[0] in VOWELS, ("vowel", "consonant"),
             WORD + 'Answer "vowel" if it starts with a vowel (a, e, i, o, u), otherwise "consonant".',
             "word", 'answer "vowel" if the first letter is a vowel, else "consonant"'),
    classify("is_name", "is_person(word)", lambda s: s in PEOPLE, ("name", "word"),
             WORD + 'Answer "name" if it is a first name of a person, otherwise "word".',
             "word", 'answer "name" for a first name, else "word"'),
]

TRAIN_LOOKUP = [
    gen("code_animals", "lookup", "lookup(table_animals)", "replace each word by its code from the table",
        "In this task, you are given one to three animal words. Replace each word by its code from this "
        f"table: {_table_text(TABLE_ANIMALS)}. Output the codes separated by spaces.",
        "table_animals", _lookup(TABLE_ANIMALS)),
    gen("code_things", "lookup", "lookup(table_things)", "replace each word by its code from the table",
        "In this task, you are given one to three words for things. Replace each word by its code from this "
        f"table: {_table_text(TABLE_THINGS)}. Output the codes separated by spaces.",
        "table_things", _lookup(TABLE_THINGS)),
    gen("digits_to_words", "lookup", "lookup(digit->word)", "write each number in words",
        "In this task, you are given one to three numbers written with digits. Write each number in "
        "English words (0 = zero, 1 = one, ..., 20 = twenty), separated by spaces.",
        "digits", lambda s: " ".join(NUMBER_WORDS[int(x)] for x in s.split())),
    gen("words_to_digits", "lookup", "lookup(word->digit)", "write each number with digits",
        "In this task, you are given one to three numbers written in English words (zero to twenty). "
        "Write each number with digits, separated by spaces.",
        "number_words", lambda s: " ".join(str(NUMBER_WORDS.index(x)) for x in s.split())),
    gen("opposites", "lookup", "lookup(opposite)", "replace each adjective by its opposite",
        "In this task, you are given one to three adjectives. Replace each by its opposite: "
        f"{_table_text(OPPOSITES)}. Output them separated by spaces.",
        "adjectives", _lookup(OPPOSITES)),
]

HELD_OUT_CHARS = [
    gen("spell_backwards", "spelling", "spell(reverse(letters))", "spell the word backwards",
        WORD + "Spell it backwards: output its letters from the last to the first, separated by spaces.",
        "word", lambda s: " ".join(s[::-1]), why_held_out="same words as the other spelling tasks; a composition"),
    gen("atbash_cipher", "spelling", "cipher(letters,atbash)", "replace each letter using the cipher table",
        WORD + f"Replace every letter using this cipher table: {_table_text(ATBASH)}. Output the new word.",
        "word", _cipher(ATBASH), why_held_out="the cipher table is given only in the definition"),
    gen("second_letter", "spelling", "nth(letters,2)", "output the second letter",
        WORD + "Output its second letter.", "word", lambda s: s[1],
        why_held_out="same words as the other spelling tasks; only the position differs"),
    classify("ends_with_vowel", "last(letters) in vowels", lambda s: s[-1] in VOWELS, ("alpha", "omega"),
             WORD + 'Answer "alpha" if it ends with a vowel (a, e, i, o, u), otherwise "omega".',
             "word", 'answer "alpha" if the last letter is a vowel, else "omega"',
             why_held_out="arbitrary label words given only in the definition"),
    gen("code_foods", "lookup", "lookup(table_foods)", "replace each word by its code from the table",
        "In this task, you are given one to three food words. Replace each word by its code from this "
        f"table: {_table_text(TABLE_FOODS)}. Output the codes separated by spaces.",
        "table_foods", _lookup(TABLE_FOODS),
        why_held_out="the table (new keys, reshuffled codes) is only in the definition"),
]
