"""S-NI has no dev list: no dev split by default, or N seeded training tasks moved to dev.jsonl.

Runs on the generated suite (no shared data needed), through the same builder as real S-NI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hart.data import sni
from hart.data.tokenizer import load_tokenizer
from hart.errors import HartError


@pytest.fixture(scope="module")
def raw(suite_sni_raw) -> Path:
    return suite_sni_raw


@pytest.fixture(scope="module")
def tok(unit_data):
    return load_tokenizer(unit_data[1])


def _tasks(path: Path) -> list[str]:
    return list(dict.fromkeys(json.loads(line)["task"] for line in path.read_text().splitlines()))


def test_default_has_no_dev_split(raw, tok, tmp_path):
    stats = sni.build(raw, tmp_path / "ep", tok, seed=1, benchmark="suite-sni")
    assert stats["dev_split"] == sni.NO_DEV and "dev" not in stats
    assert sorted(p.name for p in (tmp_path / "ep").iterdir()) == ["stats.json", "test.jsonl", "train.jsonl"]


def test_dev_tasks_moves_seeded_training_tasks(raw, tok, tmp_path):
    train_list = sni.read_split(raw, "default", "train")
    stats = sni.build(raw, tmp_path / "a", tok, {"dev_tasks": 5}, seed=1, benchmark="suite-sni")
    dev, train = _tasks(tmp_path / "a" / "dev.jsonl"), _tasks(tmp_path / "a" / "train.jsonl")
    assert len(dev) == 5 and not set(dev) & set(train) and set(dev) | set(train) == set(train_list)
    assert dev == [t for t in train_list if t in set(dev)]  # list order
    assert stats["english_tasks"] == {"train": len(train_list) - 5, "test": 22, "dev": 5}
    assert stats["dev"]["tasks"] == 5
    # dev instances are the FIRST 100 of each task, like test
    task = json.loads((raw / "tasks" / f"{dev[0]}.json").read_text())
    ids = [json.loads(x)["id"] for x in (tmp_path / "a" / "dev.jsonl").read_text().splitlines()
           if json.loads(x)["task"] == dev[0]]  # fmt: skip
    assert ids == [i["id"] for i in task["Instances"][:100]]
    # the same seed gives the same bytes; another seed other dev tasks
    sni.build(raw, tmp_path / "b", tok, {"dev_tasks": 5}, seed=1, benchmark="suite-sni")
    assert (tmp_path / "a" / "dev.jsonl").read_bytes() == (tmp_path / "b" / "dev.jsonl").read_bytes()
    sni.build(raw, tmp_path / "c", tok, {"dev_tasks": 5}, seed=2, benchmark="suite-sni")
    assert _tasks(tmp_path / "c" / "dev.jsonl") != dev


@pytest.mark.parametrize("n", [-1, 10_000, "5", True])
def test_bad_dev_tasks_names_the_key_and_writes_nothing(raw, tok, tmp_path, n):
    with pytest.raises(HartError, match="data.sni.dev_tasks"):
        sni.build(raw, tmp_path / "ep", tok, {"dev_tasks": n}, seed=1, benchmark="suite-sni")
    assert not (tmp_path / "ep").exists()


def test_a_dev_list_file_is_used_and_checked(raw, tok, tmp_path):
    import shutil

    own = tmp_path / "raw"
    shutil.copytree(raw, own)
    train = sni.read_split(own, "default", "train")
    (own / "splits" / "default" / "dev_tasks.txt").write_text(f"{train[3]}\n{train[7]}\n")
    stats = sni.build(own, tmp_path / "ep", tok, seed=1, benchmark="suite-sni")
    assert _tasks(tmp_path / "ep" / "dev.jsonl") == [train[3], train[7]]
    assert stats["dev_split"] == "file: dev_tasks.txt" and train[3] not in _tasks(tmp_path / "ep" / "train.jsonl")
    with pytest.raises(HartError, match="dev_tasks.txt: a dev list exists"):
        sni.build(own, tmp_path / "ep2", tok, {"dev_tasks": 2}, seed=1, benchmark="suite-sni")
    test = sni.read_split(own, "default", "test")
    (own / "splits" / "default" / "dev_tasks.txt").write_text(f"{test[0]}\n")
    with pytest.raises(HartError, match="dev tasks are also test tasks"):
        sni.build(own, tmp_path / "ep3", tok, seed=1, benchmark="suite-sni")
    assert not (tmp_path / "ep2").exists() and not (tmp_path / "ep3").exists()
