"""What the length limits removed from a hypernetwork input, so that truncation is never silent.

Def+2Pos (hart.data.formats) adds demonstrations while the text fits ``max_len`` tokens and cuts a
text that still does not fit; ``hyper_truncation`` reports both steps for one task. Episode stats
(``stats.json`` key ``truncation``) count them per task, and ``hart adapt`` warns about them.
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
