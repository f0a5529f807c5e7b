"""What the length limits removed from a hypernetwork input, so that truncation is never silent.

Def+2Pos (hart.data.formats) adds demonstrations while the text fits ``max_len`` tokens and cuts a
text that still does not fit; ``hyper_truncation`` reports both steps for one task. P3's "16-Shots"
input (``formats.pack_shots``) drops the shots that do not fit the same way; ``shots_truncation``
reports that. Episode stats (``stats.json`` key ``truncation``) count them per task, and ``hart adapt``
warns about them.
"""

from __future__ import annotations

from typing import Sequence

from hart.data import formats

MARK = " Positive Example "


def hyper_truncation(definition, positives: Sequence[dict], count: formats.TokenCount, max_len: int,
                     num_pos: int = 2) -> tuple[str, dict]:
    """(the Def+{num_pos}Pos text that fits, {"demonstrations_dropped": k, "cut": bool}).

    ``cut``: the kept text is still longer than ``max_len`` tokens and will be cut by ``formats.truncate``.
    """
    text = formats.def_pos(definition, positives, None, count, max_len, num_pos)
    full = formats.def_pos(definition, positives, None, lambda _: 0, max_len, num_pos)
    dropped = full.count(MARK) - text.count(MARK)
    return text, {"demonstrations_dropped": dropped, "cut": count(text) > max_len}


def shots_truncation(shots: Sequence[tuple[str, str]], count: formats.TokenCount, max_len: int,
                     k: int = 16) -> tuple[str, dict]:
    """(the packed "16-Shots" text ``formats.pack_shots`` keeps, {"demonstrations_dropped": n, "cut": bool}).

    ``demonstrations_dropped``: of the ``min(k, len(shots))`` shots offered, how many did not fit;
    ``cut``: the kept text (at least one shot) is still longer than ``max_len`` tokens and will be cut.
    """
    text = formats.pack_shots(shots, count, max_len, k)
    kept = _shots_kept(shots[:k], text)  # not text.count("\n\n"): a shot may hold blank lines itself
    return text, {"demonstrations_dropped": len(shots[:k]) - kept, "cut": count(text) > max_len}


def _shots_kept(shots: Sequence[tuple[str, str]], text: str) -> int:
    """How many leading shots ``text`` (a ``pack_shots`` result: whole shots joined by a blank line) holds."""
    joined = ""
    for n, (p, t) in enumerate(shots, start=1):
        joined = formats.shot_block(p, t) if n == 1 else joined + "\n\n" + formats.shot_block(p, t)
        if joined == text:
            return n
    return 0
