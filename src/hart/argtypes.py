"""argparse types for numeric options: a bad value is a usage error naming the option and the value.

``type=positive_int`` makes argparse print ``argument --limit: invalid positive_int value: '0'`` and
exit 2 before any work starts (zero or negative values once gave negative GPU-hours, one shot
instead of sixteen, or empty output with exit 0).
"""

from __future__ import annotations

import argparse
import math


def _number(text: str, kind):
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not {'an integer' if kind is int else 'a number'}") from None
    if kind is float and not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    return value


def positive_int(text: str) -> int:
    value = _number(text, int)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be a positive integer (1 or more)")
    return value


def nonneg_int(text: str) -> int:
    value = _number(text, int)
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be 0 or more")
    return value


def fraction(text: str) -> float:
    """A float in (0, 1]: a utilisation or a share."""
    value = _number(text, float)
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be in (0, 1]")
    return value


def decimals(text: str) -> int:
    value = _number(text, int)
    if not 0 <= value <= 10:
        raise argparse.ArgumentTypeError(f"{text!r} must be an integer from 0 to 10")
    return value
