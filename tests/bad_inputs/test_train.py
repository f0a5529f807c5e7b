"""`hart train`: leakage, config values no schema key can catch alone, YAML traps, file-system faults, a second writer."""

from __future__ import annotations

import json

import pytest
import yaml

from badcase import write_jsonl
from unitdata import make_rows, tiny_config


@pytest.fixture
def cfg(unit_data, tmp_path):
    episodes, tok = unit_data
    return tiny_config(episodes, tok, "hart", steps=2)


def _train(cfg, tmp_path, text=None):
    path = tmp_path / "cfg.yaml"
    path.write_text(text if text is not None else yaml.safe_dump(cfg))
    return ["train", "--config", path, "--out", tmp_path / "out"]


def _episodes_in(tmp_path, name, rows, test_rows=None):
    folder = tmp_path / "eps"
    folder.mkdir(exist_ok=True)
    if test_rows is not None:
        write_jsonl(folder / "test.jsonl", test_rows)
    return str(write_jsonl(folder / name, rows))


def _rows(split="train"):
    rows = make_rows(8, seed=3)
    for r in rows:
        r["split"] = split
    return rows


def test_test_rows_refused(cfg, tmp_path, expect):
    rows = _rows()
    rows[5]["split"] = "test"
    cfg["train"]["episodes"] = _episodes_in(tmp_path, "train.jsonl", rows)
    expect(_train(cfg, tmp_path), ["train.jsonl:6", "split 'test'"], watch=[tmp_path / "out"])


def test_test_file_refused(cfg, tmp_path, expect):
    cfg["train"]["episodes"] = _episodes_in(tmp_path, "test.jsonl", _rows())
    expect(_train(cfg, tmp_path), ["test.jsonl", "test episode file"], watch=[tmp_path / "out"])


def test_task_of_the_test_split_refused(cfg, tmp_path, expect):
    test = _rows("test")
    cfg["train"]["episodes"] = _episodes_in(tmp_path, "train.jsonl", _rows(), test_rows=test)
    expect(_train(cfg, tmp_path), ["train.jsonl:1", "also in", "test.jsonl", "leakage"], watch=[tmp_path / "out"])


def test_folder_of_episodes_with_leakage_refused(cfg, tmp_path, expect):
    _episodes_in(tmp_path, "train.jsonl", _rows(), test_rows=_rows("test"))
    cfg["train"]["episodes"] = str(tmp_path / "eps")
    expect(_train(cfg, tmp_path), ["train.jsonl", "leakage"], watch=[tmp_path / "out"])


def test_row_not_an_object(cfg, tmp_path, expect):
    cfg["train"]["episodes"] = _episodes_in(tmp_path, "train.jsonl", ["[1]"])
    expect(_train(cfg, tmp_path), ["train.jsonl:1", "JSON object"], watch=[tmp_path / "out"])


def test_row_field_wrong_type(cfg, tmp_path, expect):
    rows = _rows()
    rows[2]["target"] = ["a list"]
    cfg["train"]["episodes"] = _episodes_in(tmp_path, "train.jsonl", rows)
    expect(_train(cfg, tmp_path), ["train.jsonl:3", "'target'"], watch=[tmp_path / "out"])


def test_episodes_not_utf8(cfg, tmp_path, expect):
    path = tmp_path / "train.jsonl"
    path.write_bytes(b'{"a": "\xff"}\n')
    cfg["train"]["episodes"] = str(path)
    expect(_train(cfg, tmp_path), ["train.jsonl:1", "not UTF-8"], watch=[tmp_path / "out"])


def test_vocab_smaller_than_tokenizer(cfg, tmp_path, expect):
    cfg["model"]["vocab_size"] = 50  # the unit tokenizer has 120 pieces
    expect(_train(cfg, tmp_path), ["model.vocab_size=50", "tokenizer"], watch=[tmp_path / "out"])


def test_hyper_layers_more_than_decoder(cfg, tmp_path, expect):
    cfg["model"]["hyper_decoder_layers"] = 3
    expect(_train(cfg, tmp_path), ["cfg.yaml", "model.hyper_decoder_layers", "num_decoder_layers=2"],
           watch=[tmp_path / "out"])


@pytest.mark.parametrize("key,value", [("lr", ".nan"), ("lr", ".inf"), ("weight_decay", "-.inf")])
def test_non_finite_numbers(key, value, cfg, tmp_path, expect):
    text = yaml.safe_dump(cfg).replace(f"  {key}: ", f"  {key}: {value}\n  _old_{key}: ") if key in cfg["train"] \
        else yaml.safe_dump(cfg).replace("train:\n", f"train:\n  {key}: {value}\n")
    text = "\n".join(line for line in text.splitlines() if "_old_" not in line) + "\n"
    expect(_train(cfg, tmp_path, text), ["cfg.yaml", f"train.{key}"], watch=[tmp_path / "out"])


def test_duplicate_yaml_key(cfg, tmp_path, expect):
    text = yaml.safe_dump(cfg).replace("train:\n", "train:\n  steps: 99\n")
    expect(_train(cfg, tmp_path, text), ["cfg.yaml", "duplicate key 'steps'"], watch=[tmp_path / "out"])


def test_alias_bomb_is_refused_quickly(cfg, tmp_path, expect):
    import time

    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
        f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(8))  # 10^9 leaves once expanded
    t0 = time.perf_counter()
    expect(_train(cfg, tmp_path, bomb), ["cfg.yaml", "alias bomb"], watch=[tmp_path / "out"])
    assert time.perf_counter() - t0 < 10


def test_config_is_a_folder(cfg, tmp_path, expect):
    (tmp_path / "cfgdir").mkdir()
    expect(["train", "--config", tmp_path / "cfgdir", "--out", tmp_path / "out"], ["cfgdir", "is a folder"],
           watch=[tmp_path / "out"])


def test_config_not_utf8(cfg, tmp_path, expect):
    (tmp_path / "cfg.yaml").write_bytes(b"train:\n  steps: \xff\n")
    expect(["train", "--config", tmp_path / "cfg.yaml", "--out", tmp_path / "out"], ["cfg.yaml", "not UTF-8"],
           watch=[tmp_path / "out"])


def test_config_symlink_loop(cfg, tmp_path, expect):
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    expect(["train", "--config", tmp_path / "loop", "--out", tmp_path / "out"], ["loop"], watch=[tmp_path / "out"])


def test_out_is_a_file(cfg, tmp_path, expect):
    (tmp_path / "out").write_text("not a folder\n")
    expect(_train(cfg, tmp_path), ["out", "File exists"], watch=[tmp_path / "out"])


def test_second_train_on_a_locked_folder(cfg, tmp_path, expect):
    from hart.io import RunLock

    with RunLock(tmp_path / "out", "train"):
        expect(_train(cfg, tmp_path), ["out", "in use by `hart train`"], watch=[tmp_path / "out"])


@pytest.mark.parametrize("err,needle", [(28, "disk full"), (30, "read-only file system")])
def test_disk_full_or_read_only_while_writing(err, needle, cfg, tmp_path, expect, monkeypatch):
    """ENOSPC / EROFS on the first write into the run folder: one line naming the file, nothing left."""
    import os

    from hart import io

    def fail(path, *a, **k):
        raise OSError(err, os.strerror(err), str(path))
    monkeypatch.setattr(io, "write_text", fail)
    expect(_train(cfg, tmp_path), ["config.json", needle], watch=[tmp_path / "out"])


def test_relative_deepspeed_config_resolves_from_the_project_root(tmp_path, monkeypatch):
    from hart.config import project_path, project_root

    monkeypatch.chdir(tmp_path)
    path = project_path("config/deepspeed/zero2.json")
    assert path == project_root() / "config" / "deepspeed" / "zero2.json" and path.is_file()


def _built_folder(tmp_path):
    """An episode folder written by the builders' EpisodeWriter: stats.json records task names and file sizes."""
    from hart.data.stats import EpisodeWriter

    test = _rows("test")
    for i, r in enumerate(test):
        r.update(task=f"held-out-{i % 2}", id=f"h-{i}")
    with EpisodeWriter(tmp_path / "eps", "unit") as writer:
        for r in _rows() + test:
            writer.write(r)
    return tmp_path / "eps"


@pytest.fixture
def reads(monkeypatch):
    """The episode files the leakage check parses."""
    import hart.io

    seen, real = [], hart.io.iter_jsonl
    monkeypatch.setattr(hart.io, "iter_jsonl", lambda path, *a, **k: seen.append(path.name) or real(path, *a, **k))
    return seen


def test_leakage_check_reads_the_builders_stats_not_the_files(cfg, tmp_path, reads):
    from hart.runcheck import refuse_test_episodes

    cfg["train"]["episodes"] = str(_built_folder(tmp_path))
    refuse_test_episodes(cfg)  # no leakage, and decided without parsing train.jsonl or test.jsonl
    assert reads == []


def test_leakage_recorded_in_stats_is_refused(cfg, tmp_path, reads, expect):
    folder = _built_folder(tmp_path)
    stats = json.loads((folder / "stats.json").read_text())
    stats["test"]["task_names"].append("copy")  # a training task also listed for test
    (folder / "stats.json").write_text(json.dumps(stats))
    cfg["train"]["episodes"] = str(folder)
    expect(_train(cfg, tmp_path), ["train.jsonl", "'copy'", "leakage", "stats.json"], watch=[tmp_path / "out"])
    assert reads == []


def test_stale_stats_fall_back_to_scanning_the_files(cfg, tmp_path, reads, expect):
    """A training file changed after the build (its size no longer matches stats.json) is scanned."""
    folder = _built_folder(tmp_path)
    leaked = dict(_rows()[0], split="test", id="extra")
    with open(folder / "train.jsonl", "a") as fh:
        fh.write(json.dumps(leaked) + "\n")
    cfg["train"]["episodes"] = str(folder)
    expect(_train(cfg, tmp_path), ["train.jsonl:9", "split 'test'"], watch=[tmp_path / "out"])
    assert "train.jsonl" in reads
