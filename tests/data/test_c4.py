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
