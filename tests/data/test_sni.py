"""S-NI episodes on the real shared task files: exact strings, counts, rebuilds, bad input."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from hart.cli import main
from hart.data import sni
from hart.errors import HartError

CAPITAL = (
    "Definition: In this task, you are given a country name and you need to return the capital "
    "city of the given country.\n\n"
    " Positive Example 1 -\nInput: United States.\n Output: Washington.\n\n"
    " Positive Example 2 -\nInput: India.\n Output: New Delhi.\n\n"
)
CAPITAL_EXPL = (
    "Definition: In this task, you are given a country name and you need to return the capital "
    "city of the given country.\n\n"
    " Positive Example 1 -\nInput: United States.\n Output: Washington.\n"
    " Explanation: Washington is the capital city of United States.\n\n"
    " Positive Example 2 -\nInput: India.\n Output: New Delhi.\n"
    " Explanation: New Delhi is the capital city of India.\n\n"
)
QUERY = "Now complete the following example -\nInput: Afghanistan.\nOutput: "


def read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.fixture(scope="module")
def built(shared_data, t5_tokenizer, tmp_path_factory):
    out = tmp_path_factory.mktemp("sni") / "sni"
    stats = sni.build(shared_data / "sni", out, t5_tokenizer, seed=3)
    return out, stats


def test_def2pos_strings_by_hand(built):
    out, _ = built
    rec = next(r for r in read(out / "train.jsonl") if r["id"] == "task1146-caea1179adc149ffb2a3ecb2ea3abefc")
    assert rec["hyper_input"] == CAPITAL
    assert rec["query"] == QUERY
    assert rec["few_shot_input"] == CAPITAL + QUERY
    assert rec["tk_instruct_input"] == CAPITAL_EXPL + QUERY
    assert (rec["target"], rec["references"], rec["category"]) == ("Kabul", ["Kabul"], "Misc.")
    assert rec["template"] is None and rec["choices"] is None and rec["label"] is None
    assert sorted(rec) == sorted(["benchmark", "task", "template", "id", "split", "category",
                                  "hyper_input", "query", "few_shot_input", "tk_instruct_input",
                                  "target", "references", "choices", "label"])  # fmt: skip


def test_counts_and_test_instances_are_the_first_ones(built, shared_data):
    out, stats = built
    assert stats["english_tasks"] == {"train": 9, "test": 6}
    assert (stats["train"]["tasks"], stats["test"]["tasks"]) == (9, 6)
    assert stats["train"]["instances"] == 9 * 15  # fewer than 100 per task: all are kept
    assert stats["test"]["instances"] == 5 * 20 + 12  # task1345 holds 12 instances (README)
    test = [r for r in read(out / "test.jsonl") if r["task"] == "task1155_bard_analogical_reasoning_trash_or_treasure"]
    task = json.loads((shared_data / "sni/tasks/task1155_bard_analogical_reasoning_trash_or_treasure.json").read_text())
    assert [r["id"] for r in test] == [i["id"] for i in task["Instances"][:100]]
    assert test[0]["query"] == "Now complete the following example -\nInput: crumbs : trash. remote : ?\nOutput: "
    pct = stats["train"]["token_length_percentiles"]["hyper_input"]
    assert pct["p50"] <= pct["p90"] <= pct["p100"] <= 1024
    assert json.loads((out / "stats.json").read_text()) == stats


def test_rebuild_is_byte_identical_and_seed_matters(built, shared_data, t5_tokenizer, tmp_path):
    out, _ = built
    sni.build(shared_data / "sni", tmp_path / "again", t5_tokenizer, seed=3)
    for name in ("train.jsonl", "test.jsonl", "stats.json"):
        assert (tmp_path / "again" / name).read_bytes() == (out / name).read_bytes()
    cfg = {"max_train_instances": 5}
    sni.build(shared_data / "sni", tmp_path / "a", t5_tokenizer, cfg, seed=1)
    sni.build(shared_data / "sni", tmp_path / "b", t5_tokenizer, cfg, seed=2)
    ids_a = [r["id"] for r in read(tmp_path / "a" / "train.jsonl")]
    ids_b = [r["id"] for r in read(tmp_path / "b" / "train.jsonl")]
    assert len(ids_a) == len(ids_b) == 9 * 5 and ids_a != ids_b


def test_truncation_to_max_source_len(shared_data, t5_tokenizer, tmp_path):
    stats = sni.build(shared_data / "sni", tmp_path / "o", t5_tokenizer,
                      {"max_source_len": 40, "max_hyper_len": 30}, seed=0)  # fmt: skip
    for rec in read(tmp_path / "o" / "train.jsonl"):
        assert len(t5_tokenizer(rec["few_shot_input"])["input_ids"]) <= 40 + 1
    assert stats["train"]["token_length_percentiles"]["hyper_input"]["p100"] <= 31


def copy_raw(shared_data: Path, dest: Path) -> Path:
    shutil.copytree(shared_data / "sni" / "tasks", dest / "tasks")
    shutil.copytree(shared_data / "sni" / "splits", dest / "splits")
    return dest


def test_bad_task_file_through_cli_leaves_no_output(shared_data, tmp_path, capsys):
    raw = copy_raw(shared_data, tmp_path / "raw")
    bad = raw / "tasks" / "task1508_wordnet_antonyms.json"
    task = json.loads(bad.read_text())
    task["Instances"][3]["output"] = []
    bad.write_text(json.dumps(task))
    out = tmp_path / "out"
    counts = tmp_path / "counts.yaml"  # the shared subset lists 9 / 6 tasks, not the full 756 / 119
    counts.write_text("data: {sni: {expected_tasks: {train: 9, test: 6}}}\n")
    rc = main(["data", "episodes", "--config", str(Path(__file__).parents[2] / "config/data/sources.yaml"),
               "--config", str(counts), "--benchmark", "sni", "--raw", str(raw), "--out", str(out),
               "--tokenizer", str(shared_data / "t5" / "tokenizer")])  # fmt: skip
    err = capsys.readouterr().err
    assert rc == 2
    assert "task1508_wordnet_antonyms.json" in err and "Instances[3].output" in err
    assert not out.exists() and sorted(tmp_path.iterdir()) == [counts, raw]


def test_non_english_task_error_or_skip(shared_data, t5_tokenizer, tmp_path):
    raw = copy_raw(shared_data, tmp_path / "raw")
    path = raw / "tasks" / "task1146_country_capital.json"
    task = json.loads(path.read_text())
    task["Output_language"] = ["Spanish"]
    path.write_text(json.dumps(task))
    with pytest.raises(HartError, match=r"task1146_country_capital\.json: field 'Output_language'"):
        sni.build(raw, tmp_path / "o", t5_tokenizer)
    assert not (tmp_path / "o").exists()
    stats = sni.build(raw, tmp_path / "o", t5_tokenizer, {"non_english": "skip"})
    assert stats["skipped_non_english"] == ["task1146_country_capital"]
    assert stats["english_tasks"] == {"train": 8, "test": 6}


def test_failed_rebuild_keeps_previous_output(built, shared_data, t5_tokenizer, tmp_path):
    out, _ = built
    target = tmp_path / "o"
    shutil.copytree(out, target)
    before = (target / "train.jsonl").read_bytes()
    raw = copy_raw(shared_data, tmp_path / "raw")
    (raw / "tasks" / "task092_check_prime_classification.json").write_text("{broken")
    with pytest.raises(HartError, match="task092_check_prime_classification.json: not valid JSON"):
        sni.build(raw, target, t5_tokenizer, seed=3)
    assert (target / "train.jsonl").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o", "raw"]


def test_other_files_in_out_are_kept(shared_data, t5_tokenizer, tmp_path):
    """The workflow keeps the resolved config.json in the episode folder: never deleted."""
    out = tmp_path / "sni"
    out.mkdir()
    (out / "config.json").write_text("{}\n")
    sni.build(shared_data / "sni", out, t5_tokenizer, {"max_train_instances": 1}, seed=0)
    assert sorted(p.name for p in out.iterdir()) == ["config.json", "stats.json", "test.jsonl", "train.jsonl"]


def test_full_default_split_counts(shared_data, tmp_path):
    """The complete default-split lists (shared/data/sni/splits-full-original, taken from
    allenai/natural-instructions at 9f47066 (train) / b00871c (test)): 756 train and 119 test
    tasks, disjoint, and the shared subset's split lists are drawn from them."""
    full = shared_data / "sni" / "splits-full-original"
    (tmp_path / "splits").symlink_to(full, target_is_directory=True)
    train = sni.read_split(tmp_path, "default", "train")
    test = sni.read_split(tmp_path, "default", "test")
    assert (len(train), len(test)) == (756, 119)
    assert not set(train) & set(test)
    assert set(sni.read_split(shared_data / "sni", "default", "train")) <= set(train)
    assert set(sni.read_split(shared_data / "sni", "default", "test")) <= set(test)


def test_split_counts_printed_and_checked_against_the_config(shared_data, tmp_path, capsys):
    """`hart data episodes --benchmark sni` prints the task counts it finds; counts other than
    data.sni.expected_tasks (756 / 119 in the shipped config, the full default lists) stop it."""
    from hart.config import compose

    config = Path(__file__).parents[2] / "config/data/sources.yaml"
    assert compose([config])["data"]["sni"]["expected_tasks"] == {"train": 756, "test": 119}
    args = ["data", "episodes", "--config", str(config), "--benchmark", "sni", "--raw", str(shared_data / "sni"),
            "--tokenizer", str(shared_data / "t5" / "tokenizer")]  # fmt: skip
    rc = main(args + ["--out", str(tmp_path / "a")])
    err = capsys.readouterr().err
    assert rc == 2 and not (tmp_path / "a").exists()
    assert "9 train / 6 test tasks listed, expected 756 / 119 (data.sni.expected_tasks)" in err
    counts = tmp_path / "counts.yaml"
    counts.write_text("data: {sni: {expected_tasks: {train: 9, test: 6}, max_train_instances: 1}}\n")
    rc = main(args + ["--config", str(counts), "--out", str(tmp_path / "b")])
    assert rc == 0 and "9 train / 6 test tasks listed" in capsys.readouterr().err
    assert json.loads((tmp_path / "b" / "stats.json").read_text())["listed_tasks"] == {"train": 9, "test": 6}
