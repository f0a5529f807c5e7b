"""EpisodeWriter: all-or-nothing output, unique ids per split (8-byte digests, confirmed on the
ids themselves), extra splits."""

from __future__ import annotations

import json

import pytest

from hart.data import stats
from hart.data.stats import EpisodeWriter, record
from hart.errors import HartError


def _rec(task: str, i: str, split: str = "train") -> dict:
    return record(benchmark="b", task=task, id=i, split=split, category="c", hyper_input="h w",
                  query="q", few_shot_input="f", tk_instruct_input="t", target="x y z", references=["x"])  # fmt: skip


def test_duplicate_id_names_task_and_id_and_writes_nothing(tmp_path):
    out = tmp_path / "ep"
    with pytest.raises(HartError, match=r"taskB: duplicate episode id 'a-1' in train \(first in task taskA\)"):
        with EpisodeWriter(out, "b") as w:
            w.write(_rec("taskA", "a-1"))
            w.write(_rec("taskA", "a-2"))
            w.write(_rec("taskB", "a-1"))
    assert not out.exists()


def test_same_id_in_two_splits_is_fine_and_counts_are_exact(tmp_path):
    with EpisodeWriter(tmp_path / "ep", "b") as w:
        for i in range(50):
            w.write(_rec(f"t{i % 3}", f"id-{i}"))
        w.write(_rec("t9", "id-0", split="test"))  # same id, another split; a test task never trains
    got = json.loads((tmp_path / "ep" / "stats.json").read_text())
    assert (got["train"]["instances"], got["train"]["tasks"], got["test"]["instances"]) == (50, 3, 1)
    assert got["train"]["token_length_percentiles"]["target"]["p50"] == 3


def test_a_digest_collision_is_not_a_duplicate(tmp_path, monkeypatch):
    monkeypatch.setattr(stats, "_digest", lambda episode_id: 7)  # every id collides
    with EpisodeWriter(tmp_path / "ep", "b") as w:
        w.write(_rec("t", "x"))
        w.write(_rec("t", "y"))
    assert len((tmp_path / "ep" / "train.jsonl").read_text().splitlines()) == 2


def test_unknown_split_is_refused(tmp_path):
    with pytest.raises(HartError, match="split 'dev', not one of"):
        with EpisodeWriter(tmp_path / "ep", "b") as w:
            w.write(_rec("t", "x", split="dev"))
    assert not (tmp_path / "ep").exists()
