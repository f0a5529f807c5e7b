"""Families over number lists (pool ``numbers``) and pairs of numbers (pool ``pair``)."""

from __future__ import annotations

from hart.data.suite.families_words import gen
from hart.data.suite.family import classify

NUMS = "In this task, you are given a list of whole numbers separated by spaces. "
PAIR = "In this task, you are given two whole numbers separated by a space. "


def _n(s: str) -> list[int]:
    return [int(x) for x in s.split()]


def _j(nums) -> str:
    return " ".join(map(str, nums))


def num(slug, kind, rule_id, summary, definition, rule, pool="numbers", **kw):
    return gen(slug, kind, rule_id, summary, definition, pool, rule, **kw)


TRAIN_NUMBERS = [
    num("sort_numbers", "rewriting", "sort(numbers)", "sort the numbers from smallest to largest",
        NUMS + "Output the numbers sorted from the smallest to the largest.", lambda s: _j(sorted(_n(s)))),
    num("sort_numbers_descending", "rewriting", "reverse(sort(numbers))", "sort the numbers from largest to smallest",
        NUMS + "Output the numbers sorted from the largest to the smallest.",
        lambda s: _j(sorted(_n(s), reverse=True))),
    num("reverse_numbers", "rewriting", "reverse(numbers)", "write the numbers in reverse order",
        NUMS + "Output the numbers in reverse order.", lambda s: _j(_n(s)[::-1])),
    num("sum_numbers", "arithmetic", "sum(numbers)", "add up the numbers",
        NUMS + "Output the sum of all the numbers.", lambda s: str(sum(_n(s)))),
    num("max_number", "arithmetic", "max(numbers)", "output the largest number",
        NUMS + "Output the largest number.", lambda s: str(max(_n(s)))),
    num("min_number", "arithmetic", "min(numbers)", "output the smallest number",
        NUMS + "Output the smallest number.", lambda s: str(min(_n(s)))),
    num("count_numbers", "arithmetic", "count(numbers)", "count the numbers",
        NUMS + "Output how many numbers the list has.", lambda s: str(len(_n(s)))),
    num("keep_even", "extraction", "keep(numbers,even)", "keep only the even numbers",
        NUMS + "Output only the even numbers, in order.", lambda s: _j(x for x in _n(s) if x % 2 == 0),
        valid=lambda s: any(x % 2 == 0 for x in _n(s))),
    num("count_above_ten", "arithmetic", "count(numbers,>10)", "count the numbers greater than 10",
        NUMS + "Output how many of the numbers are greater than 10.", lambda s: str(sum(x > 10 for x in _n(s)))),
    num("double_numbers", "arithmetic", "map(numbers,x*2)", "double each number",
        NUMS + "Multiply each number by 2 and output the results in order.", lambda s: _j(2 * x for x in _n(s))),
    num("increment_numbers", "arithmetic", "map(numbers,x+1)", "add 1 to each number",
        NUMS + "Add 1 to each number and output the results in order.", lambda s: _j(x + 1 for x in _n(s))),
    classify("is_sorted", "is_sorted(numbers)", lambda s: _n(s) == sorted(_n(s)), ("sorted", "mixed"),
             NUMS + 'Answer "sorted" if the numbers go from smallest to largest (never decreasing), '
             'otherwise "mixed".', "numbers", 'answer "sorted" if never decreasing, else "mixed"'),
    classify("sum_over_thirty", "sum(numbers)>30", lambda s: sum(_n(s)) > 30, ("large", "little"),
             NUMS + 'Answer "large" if the sum of the numbers is greater than 30, otherwise "little".',
             "numbers", 'answer "large" if the sum exceeds 30, else "little"'),
]

TRAIN_PAIRS = [
    num("add_pair", "arithmetic", "a+b", "add the two numbers",
        PAIR + "Output their sum (the first number plus the second).", lambda s: str(sum(_n(s))), "pair"),
    num("subtract_pair", "arithmetic", "a-b", "subtract the second number from the first",
        PAIR + "Output the first number minus the second number (it can be negative).",
        lambda s: str(_n(s)[0] - _n(s)[1]), "pair"),
    num("multiply_pair", "arithmetic", "a*b", "multiply the two numbers",
        PAIR + "Output their product (the first number times the second).",
        lambda s: str(_n(s)[0] * _n(s)[1]), "pair"),
    num("max_pair", "arithmetic", "max(a,b)", "output the larger number",
        PAIR + "Output the larger of the two numbers.", lambda s: str(max(_n(s))), "pair"),
    num("min_pair", "arithmetic", "min(a,b)", "output the smaller number",
        PAIR + "Output the smaller of the two numbers.", lambda s: str(min(_n(s))), "pair"),
    classify("which_larger", "a>b", lambda s: _n(s)[0] > _n(s)[1], ("first", "second"),
             PAIR + 'Answer "first" if the first number is larger, or "second" if the second is larger.',
             "pair", 'answer "first" or "second": which number is larger',
             valid=lambda s: _n(s)[0] != _n(s)[1]),
    classify("sum_parity", "parity(a+b)", lambda s: sum(_n(s)) % 2 == 0, ("even", "odd"),
             PAIR + 'Answer "even" if their sum is even, otherwise "odd".',
             "pair", 'answer "even" if the sum is even, else "odd"'),
]

HELD_OUT_NUMBERS = [
    num("number_range", "arithmetic", "max(numbers)-min(numbers)", "subtract the smallest number from the largest",
        NUMS + "Output the largest number minus the smallest number.", lambda s: str(max(_n(s)) - min(_n(s))),
        why_held_out="same lists as the other number tasks; a composition of max, min and minus"),
    num("keep_odd", "extraction", "keep(numbers,odd)", "keep only the odd numbers",
        NUMS + "Output only the odd numbers, in order.", lambda s: _j(x for x in _n(s) if x % 2 == 1),
        valid=lambda s: any(x % 2 == 1 for x in _n(s)),
        why_held_out="the training task keeps the even numbers: same inputs, other outputs"),
    num("sum_first_last", "arithmetic", "first(numbers)+last(numbers)", "add the first and the last number",
        NUMS + "Output the sum of the first number and the last number of the list.",
        lambda s: str(_n(s)[0] + _n(s)[-1]), why_held_out="a composition of position and addition"),
    classify("goes_up", "last(numbers)>first(numbers)", lambda s: _n(s)[-1] > _n(s)[0], ("up", "down"),
             NUMS + 'Answer "up" if the last number is larger than the first number, otherwise "down".',
             "numbers", 'answer "up" if the last number exceeds the first, else "down"',
             valid=lambda s: _n(s)[-1] != _n(s)[0], why_held_out="arbitrary label words given in the definition"),
]

HELD_OUT_PAIRS = [
    num("absolute_difference", "arithmetic", "|a-b|", "output the difference between the larger and the smaller",
        PAIR + "Output the absolute difference: the larger number minus the smaller number.",
        lambda s: str(abs(_n(s)[0] - _n(s)[1])), "pair",
        why_held_out="same pairs as the other pair tasks; the operator is named only in the definition"),
    classify("near_or_far", "|a-b|<=3", lambda s: abs(_n(s)[0] - _n(s)[1]) <= 3, ("near", "far"),
             PAIR + 'Answer "near" if the two numbers differ by 3 or less, otherwise "far".',
             "pair", 'answer "near" if they differ by at most 3, else "far"',
             why_held_out="the threshold and the label words are given only in the definition"),
]
