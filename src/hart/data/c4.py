"""C4 pretraining episodes for HyperTuning-PT and HINT (paper Section 4.1; PROTOCOL.md, Data).

Documents (the ``text`` field of allenai/c4 ``en/*.json.gz`` shards, or ``*.jsonl`` files) are read
in sorted file order, at most ``max_documents`` of them. Each document is tokenized without EOS and
followed by one EOS, giving one token stream, cut into consecutive ``segment_len`` (512) token
segments (a final partial segment is dropped). Each segment gives three episodes, one per layout,
each in its own folder (same ids, same splits):

- ``<out>/hypertuning/`` (HyperTuning-PT): FOUR chunks of PREDEFINED lengths ``hypertuning_lengths``
  (A, B, C, D; default: equal quarters, 128 each of 512): ``hyper_input = A + "</s>" + D``, ``query = B``,
  ``target = C``.
- ``<out>/hint/`` (HINT): THREE chunks of RANDOM length (two distinct seeded split points):
  ``hyper_input`` = first, ``query`` = second, ``target`` = third.
- ``<out>/`` itself: the tiny/small ``base-lm`` stand-in's prefix-LM episodes (no paper defines
  them): four chunks at three distinct seeded random points, ``query = B``, ``target = C``, as before.

Parts are decoded with special tokens skipped. The FIRST ``test_segments`` segments form
``test.jsonl`` (the stream is never held in memory, so "the last N" is not available).
``few_shot_input`` and ``tk_instruct_input`` hold the query (there is no few-shot form of C4).
A method picks its folder with ``method.episodes_subdir``.
"""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path

from hart.data import formats
from hart.data.stats import EpisodeWriter, record
from hart.errors import HartError

# hypertuning_lengths None: four equal quarters of segment_len (128 each of 512; the remainder to D)
DEFAULTS = {"segment_len": 512, "max_documents": 20000, "test_segments": 100, "hypertuning_lengths": None}


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
    """base-lm: four non-empty parts at three distinct random points."""
    a, b, c = sorted(rng.sample(range(1, len(seg)), 3))
    return seg[:a], seg[a:b], seg[b:c], seg[c:]


def split_fixed(seg: list[int], lengths: list[int]) -> tuple[list[int], ...]:
    """HyperTuning-PT: A, B, C, D of the predefined ``lengths`` (summing to ``len(seg)``)."""
    a, b, c, _ = lengths
    return seg[:a], seg[a:a + b], seg[a + b:a + b + c], seg[a + b + c:]


def split_three(seg: list[int], rng: random.Random) -> tuple[list[int], ...]:
    """HINT: three non-empty chunks at two distinct random points."""
    a, b = sorted(rng.sample(range(1, len(seg)), 2))
    return seg[:a], seg[a:b], seg[b:]


def check_lengths(cfg: dict) -> None:
    if cfg["hypertuning_lengths"] is None:
        q = cfg["segment_len"] // 4
        cfg["hypertuning_lengths"] = [q, q, q, cfg["segment_len"] - 3 * q]
    lengths = cfg["hypertuning_lengths"]
    if len(lengths) != 4 or sum(lengths) != cfg["segment_len"] or min(lengths) < 1:
        raise HartError(f"data.c4.hypertuning_lengths: {lengths} must be four positive lengths summing to "
                        f"data.c4.segment_len = {cfg['segment_len']}")


def _episode(n: int, split: str, hyper: str, query: str, target: str) -> dict:
    return record(benchmark="c4", task="c4", id=f"c4-{n}", category="pretraining", split=split,
                  hyper_input=hyper, query=query, few_shot_input=query, tk_instruct_input=query,
                  target=target, references=[target])  # fmt: skip


def build(raw: str | Path, out: str | Path, tok, cfg: dict | None = None, seed: int = 42) -> dict:
    """Write ``<out>/{,hypertuning/,hint/}{train,test}.jsonl`` and ``stats.json``; return the stats
    of ``<out>`` (with the chunk rules)."""
    cfg = {**DEFAULTS, **(cfg or {})}
    check_lengths(cfg)
    out = Path(out)
    rng, rng_hint = random.Random(f"{seed}:c4"), random.Random(f"{seed}:c4:hint")
    decode = lambda ids: tok.decode(ids, skip_special_tokens=True)  # noqa: E731
    count = formats.token_counter(tok)
    rules = {"base-lm": "four chunks at 3 random points: query = B, target = C (hyper_input A</s>D unused)",
             "hypertuning": f"four chunks of {cfg['hypertuning_lengths']} tokens: A</s>D -> hypernet, B -> "
                            "main encoder, C target", "hint": "three chunks at 2 random points: first -> "
             "hypernet, second -> main encoder, third target"}  # fmt: skip
    with EpisodeWriter(out, "c4", count) as lm, EpisodeWriter(out / "hypertuning", "c4", count) as ht, \
            EpisodeWriter(out / "hint", "c4", count) as hint:  # fmt: skip
        for n, seg in enumerate(segments(documents(Path(raw), cfg["max_documents"]), tok, cfg["segment_len"])):
            split = "test" if n < cfg["test_segments"] else "train"
            a, b, c, d = (decode(p) for p in split_segment(seg, rng))
            lm.write(_episode(n, split, a + "</s>" + d, b, c))
            a, b, c, d = (decode(p) for p in split_fixed(seg, cfg["hypertuning_lengths"]))
            ht.write(_episode(n, split, a + "</s>" + d, b, c))
            first, second, third = (decode(p) for p in split_three(seg, rng_hint))
            hint.write(_episode(n, split, first, second, third))
        for w, name in ((lm, "base-lm"), (ht, "hypertuning"), (hint, "hint")):
            w.extra = {"seed": seed, "settings": cfg, "chunks": rules[name], "chunk_rules": rules}
        stats = lm.stats()
    return stats
