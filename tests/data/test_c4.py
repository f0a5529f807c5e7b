"""C4 segments: a json.gz shard written here from real S-NI text (C4 itself is not shipped)."""

from __future__ import annotations

import gzip
import json
import random

import pytest

from hart.data import c4
from hart.errors import HartError


@pytest.fixture
def shard(shared_data, tmp_path):
    texts = []
    for path in sorted((shared_data / "sni" / "tasks").glob("*.json")):
        task = json.loads(path.read_text())
        texts.append(task["Definition"][0] + " " + " ".join(i["input"] for i in task["Instances"]))
    raw = tmp_path / "raw"
    (raw / "en").mkdir(parents=True)
    with gzip.open(raw / "en" / "c4-train.00000-of-01024.json.gz", "wt") as fh:
        for t in texts:
            fh.write(json.dumps({"text": t, "timestamp": "", "url": ""}) + "\n")
    return raw, texts


def test_split_segment_parts_are_nonempty_and_cover_the_segment():
    rng = random.Random(0)
    seg = list(range(512))
    for _ in range(200):
        parts = c4.split_segment(seg, rng)
        assert all(parts) and sum(parts, []) == seg


def test_segments_and_episodes(shard, t5_tokenizer, tmp_path):
    raw, texts = shard
    stream = sum((t5_tokenizer(t, add_special_tokens=False)["input_ids"] + [1] for t in texts), [])
    cfg = {"segment_len": 64, "max_documents": 1000, "test_segments": 3}
    segs = list(c4.segments(iter(texts), t5_tokenizer, 64))
    assert len(segs) == len(stream) // 64 and segs[1] == stream[64:128]
    stats = c4.build(raw, tmp_path / "o", t5_tokenizer, cfg, seed=1)
    assert stats["test"]["instances"] == 3 and stats["train"]["instances"] == len(segs) - 3
    recs = [json.loads(x) for x in (tmp_path / "o" / "train.jsonl").read_text().splitlines()]
    rng = random.Random("1:c4")
    decode = lambda ids: t5_tokenizer.decode(ids, skip_special_tokens=True)  # noqa: E731
    expected = [c4.split_segment(s, rng) for s in segs]
    a, b, c, d = expected[3]
    assert recs[0]["id"] == "c4-3"
    assert recs[0]["hyper_input"] == decode(a) + "</s>" + decode(d)
    assert (recs[0]["query"], recs[0]["target"]) == (decode(b), decode(c))
    c4.build(raw, tmp_path / "again", t5_tokenizer, cfg, seed=1)
    assert (tmp_path / "again" / "train.jsonl").read_bytes() == (tmp_path / "o" / "train.jsonl").read_bytes()


def test_document_cap_and_bad_line(shard, t5_tokenizer, tmp_path):
    raw, texts = shard
    assert list(c4.documents(raw, 2)) == texts[:2]
    (raw / "en" / "bad.jsonl").write_text('{"no_text": 1}\n')
    with pytest.raises(HartError, match=r"bad\.jsonl: line 1: field 'text'"):
        c4.build(raw, tmp_path / "o", t5_tokenizer, {"max_documents": 10**6})
    assert not (tmp_path / "o").exists()


def test_hypertuning_fixed_four_chunks_and_hint_random_three(shard, t5_tokenizer, tmp_path):
    """HyperTuning-PT: A, B, C, D of the configured lengths (A</s>D -> hypernet, B -> encoder, C
    target); HINT: three random-length chunks of the same segment, its own episodes."""
    raw, texts = shard
    cfg = {"segment_len": 64, "max_documents": 1000, "test_segments": 3, "hypertuning_lengths": [24, 16, 8, 16]}
    c4.build(raw, tmp_path / "o", t5_tokenizer, cfg, seed=1)
    segs = list(c4.segments(iter(texts), t5_tokenizer, 64))
    decode = lambda ids: t5_tokenizer.decode(ids, skip_special_tokens=True)  # noqa: E731
    read = lambda p: [json.loads(x) for x in p.read_text().splitlines()]  # noqa: E731
    ht = read(tmp_path / "o/hypertuning/test.jsonl") + read(tmp_path / "o/hypertuning/train.jsonl")
    hint = read(tmp_path / "o/hint/test.jsonl") + read(tmp_path / "o/hint/train.jsonl")
    assert len(ht) == len(hint) == len(segs) and (tmp_path / "o/hint/stats.json").is_file()
    rng = random.Random("1:c4:hint")
    lengths = set()
    for seg, h, r in zip(segs, ht, hint):
        assert h["hyper_input"] == decode(seg[:24]) + "</s>" + decode(seg[48:])
        assert (h["query"], h["target"]) == (decode(seg[24:40]), decode(seg[40:48]))
        first, second, third = c4.split_three(seg, rng)
        assert first and second and third and first + second + third == seg
        assert (r["hyper_input"], r["query"], r["target"]) == (decode(first), decode(second), decode(third))
        assert "</s>" not in r["hyper_input"]
        lengths.add((len(first), len(second)))
    assert len(lengths) > len(segs) // 2  # random lengths, not a fixed layout


def test_hypertuning_lengths_must_fill_the_segment(shard, t5_tokenizer, tmp_path):
    raw, _ = shard
    with pytest.raises(HartError, match=r"data.c4.hypertuning_lengths: \[16, 16, 16, 8\] must be four positive"):
        c4.build(raw, tmp_path / "o", t5_tokenizer, {"segment_len": 64, "hypertuning_lengths": [16, 16, 16, 8]})
    assert not (tmp_path / "o").exists()


def test_pretraining_methods_read_their_own_layout(unit_data, tmp_path):
    from pathlib import Path

    from hart.config import compose
    from hart.train.loop import train
    from unitdata import tiny_config

    repo = Path(__file__).resolve().parents[2]
    for method, sub in (("hint-c4", "hint"), ("hypertuning-c4", "hypertuning")):
        assert compose([repo / "config/method" / f"{method}.yaml"])["method"]["episodes_subdir"] == sub
    episodes, tok = unit_data
    folder = tmp_path / "c4"
    (folder / "hint").mkdir(parents=True)
    (folder / "hint" / "train.jsonl").write_text(episodes.read_text())
    cfg = tiny_config(folder, tok, "hypertuning", steps=1)
    with pytest.raises(HartError, match="train.jsonl"):
        train(cfg, tmp_path / "top")  # no top-level train.jsonl: the method must pick its folder
    cfg["method"]["episodes_subdir"] = "hint"
    assert train(cfg, tmp_path / "run") == 0
