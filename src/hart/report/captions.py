"""Caption lines that say what a figure or table was built from: scale, seeds, and at the
stand-in scales that it is a pipeline check. No plotting imports (the Snakefile calls this at parse
time for the report's figure captions)."""

from __future__ import annotations

from pathlib import Path

STAND_INS = ("tiny", "small")
PIPELINE_CHECK = "Pipeline check, not a reproduction"


def caption(items: list[str]) -> str:
    """Scale and seeds of the runs behind a figure, read from workflow paths
    (results/train/<benchmark>/<scale>/<method>/seed<s>/...); the first seed of each curve is drawn.
    At tiny/small: a pipeline check, not a reproduction. Named inputs without run folders: ""."""
    runs = [Path(i.partition("=")[2] or i).parts for i in items]
    runs = [p for p in runs if len(p) >= 5 and p[-2].startswith("seed") and p[-2][4:].isdigit()]
    if not runs:
        return ""
    scales = sorted({p[-4] for p in runs})
    seeds = sorted({int(p[-2][4:]) for p in runs})
    text = (f"Scale {', '.join(scales)}; seed {seeds[0]} drawn"
            f" ({len(seeds)} seed{'s' if len(seeds) > 1 else ''} run: {', '.join(map(str, seeds))}).")
    if set(scales) & set(STAND_INS):
        text += f" {PIPELINE_CHECK}: {'/'.join(scales)} runs stand in for the paper's T5 scales."
    return text
