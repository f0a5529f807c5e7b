"""The `params` benchmark (hart data suite --kind params): determinism, held-out parameters
disjoint from training, episode schema, the slot text present in definitions and demonstrations."""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path

import pytest

from hart.data.suite import params_families as pf
from hart.data.suite.params import build_params, sni_rows
from hart.data.tokenizer import load_tokenizer

EPISODE_KEYS = {"benchmark", "task", "template", "id", "split", "category", "hyper_input", "query",
                "few_shot_input", "tk_instruct_input", "target", "references", "choices", "label"}  # fmt: skip
SMALL = {"train_episodes": 800, "queries": 50, "lm_episodes": 300}


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("params") / "a"
    build_params(out, seed=0, **SMALL)
    return out


def test_same_seed_same_bytes_other_seed_other_episodes(built, tmp_path):
    build_params(tmp_path / "b", seed=0, **SMALL)
    assert _files(built) == _files(tmp_path / "b")
    build_params(tmp_path / "c", seed=1, **SMALL)
    other = _files(tmp_path / "c")
    assert other["params-sni/train.jsonl"] != _files(built)["params-sni/train.jsonl"]
    # held-out PARAMETERS do not depend on the build seed (only the instances do)
    meta = lambda root: {k: v["param"] for k, v in json.loads((root / "params-sni/tasks.json").read_text()).items()}  # noqa: E731
    assert meta(built) == meta(tmp_path / "c")


def test_episode_schema_and_counts(built):
    for split in ("train", "test"):
        rows = _rows(built / "params-sni" / f"{split}.jsonl")
        assert all(set(r) == EPISODE_KEYS and r["split"] == split and r["target"] in r["references"] for r in rows)
        assert all(r["few_shot_input"].startswith(r["hyper_input"]) and r["few_shot_input"].endswith(r["query"])
                   for r in rows)  # fmt: skip
        assert len({r["id"] for r in rows}) == len(rows)
    train = _rows(built / "params-sni/train.jsonl")
    assert len({r["task"] for r in train}) == len(train) == SMALL["train_episodes"]  # a fresh task per episode
    test = Counter(r["task"] for r in _rows(built / "params-sni/test.jsonl"))
    assert len(test) == 38 and set(test.values()) == {SMALL["queries"]}
    assert {r["category"] for r in train} == {"easy", "hard"}


def test_inputs_fit_the_study_scale(built):
    tok = load_tokenizer(built / "tokenizer")
    rows = _rows(built / "params-sni/test.jsonl")[::7] + _rows(built / "params-sni/train.jsonl")[::50]
    assert max(len(tok(r["tk_instruct_input"]).input_ids) for r in rows) <= 256  # model.max_input_len
    # a slot word is one token, the same id in the slot and in the answer (copyable)
    for w in pf.SLOT_WORDS:
        assert len(tok.tokenize(f"[ {w} ]")) == len(tok.tokenize("[ ]")) + 1, w


def test_slot_text_in_definition_and_demonstrations():
    rows, meta = sni_rows(0, 200, 50)
    for name, info in meta.items():
        task_rows = [r for r in rows["test"] if r["task"] == name]
        definition = task_rows[0]["hyper_input"].split("\n\n")[0]
        for s in info["slots"]:
            assert s in definition and s[0] in "[{", (name, s)
        demos = task_rows[0]["hyper_input"].split("Positive Example")[1:]
        assert len(demos) == 2
        if info["family"].startswith("label"):  # both label words are demonstrated
            assert f"true {info['param'][1]}" in demos[0] and f"false {info['param'][2]}" in demos[1]
        if info["family"] == "mark":
            assert all(info["param"][1] in d for d in demos)
        assert all(r["hyper_input"] == task_rows[0]["hyper_input"] for r in task_rows)  # fixed demonstrations


def test_answers_follow_the_stated_parameter():
    rows, meta = sni_rows(0, 400, 50)
    for name, info in meta.items():
        fam, p = pf.BY_NAME[info["family"]], tuple(tuple(x) if isinstance(x, list) else x for x in info["param"])
        for r in rows["test"]:
            if r["task"] == name:
                inp = r["query"].split("Input: ")[1].split("\nOutput")[0].rstrip(".")
                assert fam.answer(p, inp) == r["target"]


def test_held_out_parameters_never_drawn_in_training():
    rows, meta = sni_rows(0, 4000, 50)
    held_defs = {info["definition"] for info in meta.values()}
    train_defs = {r["hyper_input"].split("\n\n")[0][len("Definition: "):] for r in rows["train"]}
    assert not held_defs & train_defs
    # stronger than whole definitions: no held-out label PAIR with any rule, no held-out marker
    pairs = {frozenset(p[1:]) for p in pf.HELD_OUT["label"] + pf.HELD_OUT["label-rule"]}
    for d in train_defs:
        slots = [s.split("]")[0].split("}")[0].strip() for s in d.replace("{", "[").split("[")[1:]]
        if d.startswith("If the list"):
            assert frozenset(slots[1:]) not in pairs, d
        if d.startswith("Output the word"):
            assert slots[0] not in {p[0] for p in pf.HELD_OUT["after"]}, d
    assert len(train_defs) > 2000  # thousands of distinct training tasks


def test_is_held_out_rejects_every_held_out_value():
    rng = random.Random(0)
    for fam in pf.FAMILIES:
        for p in pf.HELD_OUT[fam.name]:
            assert pf.is_held_out(fam.name, p)
        assert not any(pf.is_held_out(fam.name, pf.draw_train_param(fam, rng)) for _ in range(500))


def test_chance_floor_is_low_and_recorded(built):
    meta = json.loads((built / "params-sni/tasks.json").read_text())
    assert all(0 <= v["chance"]["exact_match"] < 10 for v in meta.values())
    assert {v["tier"] for v in meta.values()} == {"easy", "hard"}


def test_cli_refuses_too_few_queries(tmp_path):
    import argparse

    from hart.data import suite_cli
    from hart.errors import HartError

    args = argparse.Namespace(kind="params", out=tmp_path, seed=0, vocab_size=2000, max_hyper_len=1024,
                              train_episodes=10, queries=10)  # fmt: skip
    with pytest.raises(HartError, match="--queries"):
        suite_cli.run(args)
    assert not any(tmp_path.iterdir())


def test_word_tokenizer_keeps_words_whole_and_round_trips(built):
    tok = load_tokenizer(built / "tokenizer")
    rows = _rows(built / "params-sni/test.jsonl")[::25] + _rows(built / "params-lm/train.jsonl")[::25]
    for r in rows:
        for text in (r["tk_instruct_input"], r["target"]):
            ids = tok(text).input_ids
            assert tok.unk_token_id not in ids and tok.decode(ids, skip_special_tokens=True) == text
    assert tok.tokenize("If the list contains a [ color ] word") == \
        ["▁If", "▁the", "▁list", "▁contains", "▁a", "▁", "[", "▁color", "▁", "]", "▁word"]


def test_lm_rows_are_generic_and_next_rows_recall_the_successor():
    """The base's rows never state a benchmark rule, and the `next` objective (associative recall,
    the skill pilots 1-4 lacked) names the start word and the words that follow it in the input."""
    from hart.data.suite.params_lm import OBJECTIVES, lm_rows

    rows = lm_rows(0, 400)["train"]
    assert {r["category"] for r in rows} == set(OBJECTIVES) == {"copy", "next"}
    defs = {info["definition"] for info in sni_rows(0, 10, 50)[1].values()}
    assert not any(d in r["query"] or r["query"] in d for r in rows for d in defs)
    nexts = [r for r in rows if r["category"] == "next"]
    assert len(nexts) == 200
    for r in nexts:
        head, words = r["query"].split(": ", 1)
        words, target = words.split(), r["target"].split()
        start = head.removeprefix("Continue from ")
        assert len(set(words)) == len(words) and 2 <= len(target) <= 3  # distinct: one successor each
        i = words.index(start)
        assert target == words[i:i + len(target)]
    for r in rows:
        if r["category"] == "copy":
            assert r["query"] == "Copy: " + r["target"]


def test_params_lm_has_the_hypernetwork_pretraining_layouts(built):
    """hint-c4 / hypertuning-c4 read <params-lm>/hint/ and /hypertuning/ (method.episodes_subdir):
    the same rows with the word string moved to the hypernetwork's input."""
    lm = _rows(built / "params-lm/train.jsonl")
    for sub in ("hint", "hypertuning"):
        rows = _rows(built / "params-lm" / sub / "train.jsonl")
        assert [r["id"] for r in rows] == [r["id"] for r in lm]
        for r, base in zip(rows, lm):
            assert set(r) == EPISODE_KEYS and r["target"] == base["target"]
            assert f"{r['query']} {r['hyper_input']}" == base["query"] and r["hyper_input"] not in r["query"]
