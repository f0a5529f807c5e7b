"""The embedded suite: counts, split disjointness, determinism, S-NI schema, rules vs instances,
P3-style episodes, and the all-or-nothing `hart data suite` build."""

from __future__ import annotations

import argparse
import json
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from hart.data import formats
from hart.data.suite import build, p3
from hart.data.suite.p3_heldout import HELD_OUT_DATASETS
from hart.data.suite.p3_train import TRAIN_DATASETS
from hart.data.suite.registry import FAMILIES, HELD_OUT_FAMILIES, TRAIN_FAMILIES
from hart.data.suite.sni import write_sni_raw

SNI_KEYS = ["Contributors", "Source", "URL", "Categories", "Reasoning", "Definition", "Input_language",
            "Output_language", "Instruction_language", "Domains", "Positive Examples", "Negative Examples",
            "Instances", "Instance License"]  # fmt: skip
EPISODE_KEYS = {"benchmark", "task", "template", "id", "split", "category", "hyper_input", "query",
                "few_shot_input", "tk_instruct_input", "target", "references", "choices", "label"}  # fmt: skip


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def raw(suite_sni_raw) -> Path:
    return suite_sni_raw


@pytest.fixture(scope="module")
def tasks(raw) -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text()) for p in sorted((raw / "tasks").glob("*.json"))}


@pytest.fixture(scope="module")
def p3_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("p3") / "suite-p3"
    p3.write_p3(out, seed=0)  # whitespace lengths: no tokenizer needed here
    return out


def _episodes(p3_dir: Path, split: str) -> list[dict]:
    return [json.loads(line) for line in (p3_dir / f"{split}.jsonl").read_text().splitlines()]


# ---------------------------------------------------------------- suite-sni: families and split


def test_family_counts_and_kinds():
    assert len(TRAIN_FAMILIES) >= 60 and len(HELD_OUT_FAMILIES) >= 15
    kinds = Counter(f.kind for f in HELD_OUT_FAMILIES)
    assert kinds["classification"] >= 3 and len(kinds) >= 5  # classification and several generation kinds
    assert all(f.why_held_out for f in HELD_OUT_FAMILIES)
    assert all(len(f.labels) >= 2 for f in FAMILIES.values() if f.kind == "classification")


def test_train_and_held_out_are_disjoint(tasks):
    assert not {f.name for f in TRAIN_FAMILIES} & {f.name for f in HELD_OUT_FAMILIES}
    assert not {f.rule_id for f in TRAIN_FAMILIES} & {f.rule_id for f in HELD_OUT_FAMILIES}
    assert len({f.rule_id for f in FAMILIES.values()}) == len(FAMILIES)
    # functional check: no training rule reproduces a held-out task on that task's own inputs
    for held in HELD_OUT_FAMILIES:
        inputs = [inst["input"] for inst in tasks[held.name]["Instances"]]
        for train in (f for f in TRAIN_FAMILIES if f.pool == held.pool):
            same = 0
            for s in inputs:
                try:
                    same += train.rule(s) == held.rule(s)
                except (ValueError, IndexError, KeyError, StopIteration):
                    pass
            assert same < len(inputs), f"{train.name} solves held-out {held.name}"


def test_split_files_list_every_task(raw):
    split = raw / "splits" / "default"
    train = split.joinpath("train_tasks.txt").read_text().split()
    test = split.joinpath("test_tasks.txt").read_text().split()
    assert train == [f.name for f in TRAIN_FAMILIES] and test == [f.name for f in HELD_OUT_FAMILIES]
    assert sorted(p.stem for p in (raw / "tasks").glob("*.json")) == sorted(train + test)


def test_task_files_follow_the_sni_schema(raw, tasks):
    all_ids = set()
    for name, task in tasks.items():
        fam = FAMILIES[name]
        assert list(task) == SNI_KEYS, name
        for key in SNI_KEYS:
            assert isinstance(task[key], list), (name, key)
        for key in ("Input_language", "Output_language", "Instruction_language"):
            assert task[key] == ["English"]
        assert task["Categories"] == [fam.kind]
        assert len(task["Definition"]) == 1 and task["Definition"][0] == fam.definition
        assert 2 <= len(task["Positive Examples"]) <= 4
        for ex in task["Positive Examples"] + task["Negative Examples"]:
            assert set(ex) == {"input", "output", "explanation"} and all(isinstance(v, str) and v for v in ex.values())
        n = len(task["Instances"])
        assert n == 100 if fam.held_out else 60 <= n <= 100
        for inst in task["Instances"]:
            assert set(inst) == {"id", "input", "output"} and isinstance(inst["id"], str)
            assert inst["output"] and all(isinstance(o, str) and o.strip() for o in inst["output"])
            assert len(inst["input"].split()) < 30 and len(inst["output"][0].split()) <= 10
            assert inst["id"] not in all_ids
            all_ids.add(inst["id"])
    taskfile = pytest.importorskip("hart.data.taskfile")  # the S-NI loader the episode builder uses
    for name in list(tasks)[:: max(1, len(tasks) // 10)]:
        taskfile.load_task(raw / "tasks" / f"{name}.json")


def test_every_instance_follows_the_rule_its_definition_states(tasks):
    for name, task in tasks.items():
        fam = FAMILIES[name]
        for inst in task["Instances"] + task["Positive Examples"]:
            out = inst["output"][0] if isinstance(inst["output"], list) else inst["output"]
            assert fam.rule(inst["input"]) == out, (name, inst)
        for neg in task["Negative Examples"]:
            assert fam.rule(neg["input"]) != neg["output"]
        for label in fam.labels:  # classification: the definition names every label word ...
            assert f'"{label}"' in fam.definition, (name, label)
        if fam.labels:  # ... the demonstrations show at least two, the test set is balanced
            assert len({ex["output"] for ex in task["Positive Examples"]}) >= 2
        if fam.held_out and fam.labels:
            counts = Counter(inst["output"][0] for inst in task["Instances"])
            assert set(counts) == set(fam.labels) and min(counts.values()) >= 100 // len(fam.labels) - 1


def test_lookup_tables_are_stated_in_the_definition(tasks):
    """Held-out lookups are solvable: every (key, code) pair used is written in the definition."""
    checked = 0
    for fam in FAMILIES.values():
        for inst in tasks[fam.name]["Instances"]:
            if fam.rule_id.startswith("lookup(table_"):
                pairs = zip(inst["input"].split(), inst["output"][0].split())
            elif fam.rule_id == "cipher(letters,atbash)":
                pairs = zip(inst["input"], inst["output"][0])
            else:
                continue
            for key, code in pairs:
                assert f"{key} = {code}" in fam.definition, (fam.name, key, code)
                checked += 1
    assert checked > 500


def test_held_out_tasks_share_inputs_but_not_outputs(tasks):
    """The proof that the definition is needed: same inputs, different expected outputs."""
    groups = defaultdict(list)
    for fam in HELD_OUT_FAMILIES:
        groups[tuple(i["input"] for i in tasks[fam.name]["Instances"])].append(fam.name)
    shared = [names for names in groups.values() if len(names) >= 2]
    assert shared and max(map(len, shared)) >= 4
    for names in shared:
        for a in names:
            for b in names:
                if a < b:
                    outs_a = [i["output"] for i in tasks[a]["Instances"]]
                    outs_b = [i["output"] for i in tasks[b]["Instances"]]
                    assert sum(x != y for x, y in zip(outs_a, outs_b)) >= 50, (a, b)


def test_vocabulary_is_small(tasks):
    words = {w for t in tasks.values() for i in t["Instances"] for w in i["input"].split() if not w.isdigit()}
    assert 100 <= len(words) <= 300


def test_docs_list_every_family_and_dataset():
    doc = (Path(__file__).resolve().parents[2] / "docs" / "suite.md").read_text()
    for name in [f.name for f in FAMILIES.values()] + [d.name for d in TRAIN_DATASETS + HELD_OUT_DATASETS]:
        assert f"| `{name}` |" in doc, f"docs/suite.md does not list {name}"


def test_same_seed_same_bytes_other_seed_other_bytes(raw, tmp_path):
    write_sni_raw(tmp_path / "a", seed=0)
    write_sni_raw(tmp_path / "b", seed=1)
    assert _files(tmp_path / "a") == _files(raw)
    other = _files(tmp_path / "b")
    assert other.keys() == _files(raw).keys() and other != _files(raw)


# ---------------------------------------------------------------- suite-p3


def test_p3_counts_and_kinds():
    assert len(HELD_OUT_DATASETS) >= 8 and len(TRAIN_DATASETS) >= 6
    kinds = {d.kind for d in HELD_OUT_DATASETS}
    assert {"natural language inference", "coreference", "sentence completion", "word sense disambiguation"} <= kinds
    assert all(2 <= len(d.templates) <= 4 for d in HELD_OUT_DATASETS + TRAIN_DATASETS)
    assert not {d.name for d in TRAIN_DATASETS} & {d.name for d in HELD_OUT_DATASETS}


def test_p3_episodes_follow_the_schema(p3_dir):
    for split in ("train", "test"):
        eps = _episodes(p3_dir, split)
        assert len({e["id"] for e in eps}) == len(eps)
        kinds = {d.name: d.kind for d in TRAIN_DATASETS + HELD_OUT_DATASETS}
        for e in eps:
            assert set(e) == EPISODE_KEYS and e["benchmark"] == "suite-p3" and e["split"] == split
            assert e["category"] == kinds[e["task"]] and isinstance(e["template"], str)
            assert e["target"] == e["choices"][e["label"]] and e["references"] == [e["target"]]
            assert len(set(e["choices"])) == len(e["choices"]) >= 2
            assert e["few_shot_input"] == e["hyper_input"] + "\n\n" + e["query"]
        per_task = defaultdict(set)
        for e in eps:
            per_task[e["task"]].add(e["template"])
        assert all(len(t) >= 2 for t in per_task.values())
        for task in per_task:  # no dataset always answers the same choice index
            assert len({e["label"] for e in eps if e["task"] == task}) >= 2
    stats = json.loads((p3_dir / "stats.json").read_text())
    assert stats["test"]["tasks"] == len(HELD_OUT_DATASETS) and stats["train"]["tasks"] == len(TRAIN_DATASETS)


def _shots(hyper: str) -> list[str]:
    return hyper.split("\n\n")


def test_p3_hyper_inputs_are_16_shots_of_the_same_task(p3_dir):
    train = _episodes(p3_dir, "train")
    blocks = defaultdict(set)
    for e in train:
        blocks[e["task"], e["template"]].add(formats.shot_block(e["query"], e["target"]))
    for e in train[::37]:
        shots = _shots(e["hyper_input"])
        assert len(shots) == 16 and formats.shot_block(e["query"], e["target"]) not in shots
        assert set(shots) <= blocks[e["task"], e["template"]]
    test = _episodes(p3_dir, "test")
    by_template = defaultdict(set)
    for e in test:
        by_template[e["task"], e["template"]].add(e["hyper_input"])
    assert all(len(h) == 1 for h in by_template.values())  # one fixed set per (dataset, template)
    for (task, template), (hyper,) in by_template.items():
        queries = {e["query"] for e in test if e["task"] == task and e["template"] == template}
        shots = _shots(hyper)
        assert len(shots) == 16 and not any(s.rsplit("\n", 1)[0] in queries for s in shots)


def test_p3_fast_packing_equals_pack_shots(p3_dir):
    rng_shots = [(e["query"], e["target"]) for e in _episodes(p3_dir, "train")[:40]]
    for max_len in (20, 150, 400, 10_000):  # from one shot to all shots
        for start in range(0, 24, 6):
            shots = rng_shots[start : start + 16]
            want = formats.pack_shots(shots, p3.words_counter, max_len, 16)
            assert p3.pack(shots, p3.words_counter, max_len) == want


def test_p3_deterministic(p3_dir, tmp_path):
    p3.write_p3(tmp_path / "a", seed=0)
    p3.write_p3(tmp_path / "b", seed=1)
    assert _files(tmp_path / "a") == _files(p3_dir)
    assert (tmp_path / "b" / "test.jsonl").read_bytes() != (p3_dir / "test.jsonl").read_bytes()


# ---------------------------------------------------------------- `hart data suite`


def _parse(argv: list[str]) -> argparse.Namespace:
    from hart.data.suite_cli import register

    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    return parser.parse_args(argv)


def test_cli_builds_everything(raw, tmp_path, capsys):
    args = _parse(["suite", "--out", str(tmp_path), "--seed", "0", "--vocab-size", "800"])
    assert args.func(args) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["sni_tasks"] == {"train": len(TRAIN_FAMILIES), "test": len(HELD_OUT_FAMILIES)}
    assert _files(tmp_path / "suite-sni" / "raw") == _files(raw)
    assert {p.name for p in tmp_path.iterdir()} == {"suite-sni", "suite-p3", "tokenizer"}  # no temp left
    from hart.data.tokenizer import load_tokenizer

    tok = load_tokenizer(tmp_path / "tokenizer")
    assert len(tok) <= 800
    episode = json.loads((tmp_path / "suite-p3" / "test.jsonl").read_text().splitlines()[0])
    ids = tok(episode["hyper_input"])["input_ids"]
    assert ids[-1] == 1 and tok.unk_token_id not in ids
    assert tok.decode(ids, skip_special_tokens=True) == episode["hyper_input"]


def test_cli_failure_leaves_old_outputs_intact(tmp_path, monkeypatch):
    (tmp_path / "tokenizer").mkdir()
    (tmp_path / "tokenizer" / "old.txt").write_text("old")

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(build, "write_p3", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        build.build_suite(tmp_path, seed=0, vocab_size=300)
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["old.txt", "tokenizer"]
