"""C4 pretraining episodes for HyperTuning-PT / HINT-style pretraining (PROTOCOL.md, Data).

Documents (the ``text`` field of allenai/c4 ``en/*.json.gz`` shards, or ``*.jsonl`` files) are read
in sorted file order, at most ``max_documents`` of them. Each document is tokenized without EOS and
followed by one EOS, giving one token stream, cut into consecutive ``segment_len`` (512) token
segments (a final partial segment is dropped). Each segment is split at three distinct seeded
random points into A, B, C, D (each non-empty); ``hyper_input = A + "</s>" + D``, ``query = B``,
``target = C``; parts are decoded with special tokens skipped. The FIRST ``test_segments`` segments
form ``test.jsonl`` (the stream is never held in memory, so "the last N" is not available).
``few_shot_input`` and ``tk_instruct_input`` hold the query (there is no few-shot form of C4).
"""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path

from hart.data import formats
from hart.data.stats import EpisodeWriter, record
from hart.errors import HartError

DEFAULTS = {"segment_len": 512, "max_documents": 20000, "test_segments": 100}


def shard_files(raw: Path) -> list[Path]:
    files = sorted(p for p in raw.rglob("*") if p.name.endswith((".json.gz", ".jsonl")))
    if not files:
        raise HartError(f"{raw}: no C4 shards (*.json.gz or *.jsonl) found")
    return files


def documents(raw: Path, limit: int):
    """Yield up to ``limit`` document texts, streaming one shard at a time."""
    n = 0
    for path in shard_files(raw):
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8") as fh:
            for i, line in enumerate(fh):
                if n >= limit:
                    return
                try:
                    text = json.loads(line)["text"]
                except (json.JSONDecodeError, KeyError, TypeError) as exc:
                    raise HartError(f"{path}: line {i + 1}: field 'text': {exc!r}") from None
                n += 1
                yield text


def segments(texts, tok, length: int):
    """Yield consecutive ``length``-token segments of the EOS-joined token stream."""
    buf: list[int] = []
    for text in texts:
        buf += tok(text, add_special_tokens=False)["input_ids"] + [tok.eos_token_id]
        while len(buf) >= length:
            yield buf[:length]
            buf = buf[length:]


def split_segment(seg: list[int], rng: random.Random) -> tuple[list[int], ...]:
    a, b, c = sorted(rng.sample(range(1, len(seg)), 3))
    return seg[:a], seg[a:b], seg[b:c], seg[c:]


def build(raw: str | Path, out: str | Path, tok, cfg: dict | None = None, seed: int = 42) -> dict:
    """Write ``<out>/{train,test}.jsonl`` and ``stats.json``; return the stats."""
    cfg = {**DEFAULTS, **(cfg or {})}
    rng = random.Random(f"{seed}:c4")
    decode = lambda ids: tok.decode(ids, skip_special_tokens=True)  # noqa: E731
    with EpisodeWriter(out, "c4", formats.token_counter(tok)) as writer:
        texts = documents(Path(raw), cfg["max_documents"])
        for n, seg in enumerate(segments(texts, tok, cfg["segment_len"])):
            a, b, c, d = (decode(part) for part in split_segment(seg, rng))
            writer.write(record(
                benchmark="c4", task="c4", id=f"c4-{n}", category="pretraining",
                split="test" if n < cfg["test_segments"] else "train",
                hyper_input=a + "</s>" + d, query=b, few_shot_input=b, tk_instruct_input=b,
                target=c, references=[c],
            ))  # fmt: skip
        writer.extra = {"seed": seed, "settings": cfg}
        stats = writer.stats()
    return stats
