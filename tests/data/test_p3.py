"""P3 episodes on the real shared rows and promptsource templates."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from hart.config import compose
from hart.data import formats, p3
from hart.data.promptsource import load_templates, render
from hart.errors import HartError

REPO = Path(__file__).resolve().parents[2]
TRAIN = {"glue/mrpc": "paraphrase", "trec": "topic_classification", "cos_e/v1.11": "QA_multiple_choice",
         "ropes": "QA_extractive", "quoref": "QA_extractive", "imdb": "sentiment"}  # fmt: skip


def small_cfg(**over) -> dict:
    cfg = compose([REPO / "config/data/sources.yaml"])["data"]["p3"]
    cfg.update(train=TRAIN, max_rows_per_dataset=24, max_eval_rows=20, shots=4,
               blacklist=cfg["blacklist"] + ["trec_what_category_best_describe"])  # fmt: skip
    cfg.update(over)
    return cfg


def read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.fixture(scope="module")
def built(shared_data, t5_tokenizer, tmp_path_factory):
    out = tmp_path_factory.mktemp("p3") / "p3"
    stats = p3.build(shared_data / "p3", out, t5_tokenizer, small_cfg(), seed=5)
    return out, stats, read(out / "train.jsonl"), read(out / "test.jsonl")


def test_template_filter_counts_match_an_independent_count(built, shared_data, t5_tokenizer):
    _, stats, train, _ = built
    rep = stats["p3"]
    assert rep["missing_datasets"] == ["imdb"]  # templates shipped, rows not
    assert rep["blacklisted"] == ["trec_what_category_best_describe"]
    expect_long, expect_kept = [], 0
    for task in ("cos_e/v1.11", "glue/mrpc", "ropes", "trec", "quoref"):
        folder = shared_data / "p3/train" / {"cos_e/v1.11": "cos_e/v1.0"}.get(task, task)
        (path,) = folder.glob("train*.jsonl")
        rows = [p3.normalize(task, json.loads(line)) for line in path.read_text().splitlines()[:24]]
        for t in load_templates(shared_data / "p3/templates" / task / "templates.yaml"):
            if p3.t0_task_name(task, t.name) == "trec_what_category_best_describe":
                continue
            outs = [render(t, r, f"5:{i}") for i, r in enumerate(rows)]
            lens = [len(t5_tokenizer(o[0], add_special_tokens=False)["input_ids"]) for o in outs if o[0] and o[1]]
            if sum(lens) / len(lens) >= 320:
                expect_long.append(p3.t0_task_name(task, t.name))
            else:
                expect_kept += 1
    assert sorted(rep["too_long"]) == sorted(expect_long) and len(expect_long) == 11  # all quoref
    assert rep["kept_templates"] == expect_kept
    assert {r["template"] for r in train if r["task"] == "trec"} .isdisjoint({"what_category_best_describe"})
    assert rep["kept_tasks"] == ["cos_e/v1.11", "glue/mrpc", "ropes", "trec"]  # quoref: none kept
    assert "quoref" not in {r["task"] for r in train}


def test_train_shots_come_from_same_template_and_exclude_the_query(built):
    _, _, train, _ = built
    by_key = {}
    for r in train:
        by_key.setdefault((r["task"], r["template"]), []).append(r)
    for (task, template), recs in by_key.items():
        blocks = {r["query"].strip() + "\n" + r["target"].strip(): r["id"] for r in recs}
        for r in recs[:3]:
            if not r["hyper_input"]:  # a template with one non-empty render has no other prompt
                assert len(recs) == 1
                continue
            shots = r["hyper_input"].split("\n\n") if "\n\n" not in r["query"] else None
            if shots is None:
                continue
            assert r["query"].strip() + "\n" + r["target"].strip() not in shots
            assert all(s in blocks for s in shots), (task, template)
            assert r["few_shot_input"].endswith(r["query"])
    assert all(r["split"] == "train" and r["category"] == TRAIN[r["task"]] for r in train)


def test_block_counter_is_exact(built, t5_tokenizer):
    _, _, train, test = built
    count = p3.BlockCounter(t5_tokenizer)
    for r in (train[::40] + test[::40]):
        for text in (r["hyper_input"], r["few_shot_input"], r["query"]):
            assert count(text) == len(t5_tokenizer(text)["input_ids"])
        assert count(r["hyper_input"]) - 1 <= 1024 and count(r["few_shot_input"]) - 1 <= 384  # P3: no EOS


def test_eval_episodes_labels_and_templates(built, shared_data):
    _, stats, _, test = built
    tasks = {r["task"] for r in test}
    assert tasks == {"anli/r1", "anli/r2", "anli/r3", "hellaswag", "super_glue/cb", "super_glue/copa",
                     "super_glue/rte", "super_glue/wic", "super_glue/wsc.fixed", "winogrande/winogrande_xl"}
    for r in test:
        assert r["choices"][r["label"]] == r["target"] == r["references"][0]
    cb = [r for r in test if r["task"] == "super_glue/cb" and r["template"] == "can we infer"]
    assert len(cb) == 20  # every (capped) validation row is scored: demonstrations come from training rows
    raw = [json.loads(x) for x in (shared_data / "p3/eval/super_glue/cb/validation.jsonl").read_text().splitlines()]
    names = ["entailment", "contradiction", "neutral"]
    for r in cb:
        assert names[r["label"]] == raw[int(r["id"].rsplit("|", 1)[1])]["label"]
    originals = {t.name for t in load_templates(shared_data / "p3/templates/hellaswag/templates.yaml")
                 if t.original_task and t.answer_choices}  # fmt: skip
    assert {r["template"] for r in test if r["task"] == "hellaswag"} == originals
    assert stats["p3"]["eval_templates"]["super_glue/cb"] == 15
    assert len({r["hyper_input"] for r in cb}) == 1  # one fixed demonstration set per template


def test_rebuild_byte_identical(built, shared_data, t5_tokenizer, tmp_path):
    out, _, _, _ = built
    p3.build(shared_data / "p3", tmp_path / "again", t5_tokenizer, small_cfg(), seed=5)
    for name in ("train.jsonl", "test.jsonl", "stats.json"):
        assert (tmp_path / "again" / name).read_bytes() == (out / name).read_bytes()


def test_template_that_fails_to_render_aborts_without_output(shared_data, t5_tokenizer, tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(shared_data / "p3", raw)
    path = raw / "templates/trec/templates.yaml"
    path.write_text(path.read_text().replace("{{text}}", "{{text | no_such_filter}}"))
    with pytest.raises(HartError) as err:
        p3.build(raw, tmp_path / "out", t5_tokenizer, small_cfg(), seed=5)
    assert str(path) in str(err.value) and "jinja" in str(err.value)
    assert not (tmp_path / "out").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["raw"]


def test_suite_p3_benchmark_name(shared_data, t5_tokenizer, tmp_path):
    cfg = small_cfg(train={"trec": "topic_classification"}, eval=small_cfg()["eval"][4:5])
    stats = p3.build(shared_data / "p3", tmp_path / "s", t5_tokenizer, cfg, seed=5, benchmark="suite-p3")
    recs = read(tmp_path / "s" / "train.jsonl") + read(tmp_path / "s" / "test.jsonl")
    assert stats["benchmark"] == "suite-p3" and {r["benchmark"] for r in recs} == {"suite-p3"}
    assert {r["task"] for r in recs} == {"trec", "super_glue/cb"}


def test_not_a_p3_folder(t5_tokenizer, tmp_path):
    (tmp_path / "train.jsonl").write_text("{}\n")  # e.g. an episode folder passed as --raw
    with pytest.raises(HartError, match="not a P3 raw folder"):
        p3.build(tmp_path, tmp_path / "out", t5_tokenizer, small_cfg())
    assert not (tmp_path / "out").exists()


def test_pack_shots_drops_demonstrations_down_to_zero_for_the_query():
    count = lambda text: len(text.split())  # noqa: E731  (one token per word)
    shots = [("a b c", "d"), ("e f", "g")]
    assert formats.pack_shots(shots, count, 20, query="q r s") == "a b c\nd\n\ne f\ng\n\nq r s"
    assert formats.pack_shots(shots, count, 8, query="q r s") == "a b c\nd\n\nq r s"  # second dropped
    assert formats.pack_shots(shots, count, 4, query="q r s") == "q r s"  # no shot fits: none kept
    assert formats.pack_shots(shots, count, 2) == "a b c\nd"  # hypernet input keeps one (cut later)


def test_few_shot_inputs_never_cut_a_query_that_fits(shared_data, t5_tokenizer, tmp_path):
    """Real rows where 16 shots + query overflow 384 tokens (HellaSwag, ANLI r3, ROPES): the query
    reaches the model whole, demonstrations are dropped (down to none), nothing exceeds 384."""
    heavy = ("hellaswag", "anli/r3", "super_glue/cb")
    cfg = small_cfg(train={"ropes": "QA_extractive"}, eval=[e for e in small_cfg()["eval"] if e["task"] in heavy],
                    shots=16, max_rows_per_dataset=60, max_eval_rows=40)
    p3.build(shared_data / "p3", tmp_path / "p3", t5_tokenizer, cfg, seed=5)
    recs = read(tmp_path / "p3/train.jsonl") + read(tmp_path / "p3/test.jsonl")
    n = lambda text: len(t5_tokenizer(text, add_special_tokens=False)["input_ids"])  # noqa: E731 (no EOS)
    alone = 0
    for r in recs:
        assert n(r["few_shot_input"]) <= 384, r["id"]
        if n(r["query"]) <= 384:
            assert r["few_shot_input"].endswith(r["query"]), r["id"]
        alone += r["few_shot_input"] == r["query"]
    assert {r["task"] for r in recs} == {"ropes", *heavy} and alone > 0


def test_full_validation_scored_and_demonstrations_from_the_training_split(shared_data, t5_tokenizer, tmp_path):
    """T0 scores every validation row; the demonstrations are training-split rows (HINT/FLAN)."""
    cfg = small_cfg(train={}, eval=[e for e in small_cfg()["eval"] if e["task"] in ("super_glue/cb", "super_glue/copa")],
                    max_eval_rows=None, shots=16, max_rows_per_dataset=500)
    stats = p3.build(shared_data / "p3", tmp_path / "p3", t5_tokenizer, cfg, seed=5)
    test = read(tmp_path / "p3/test.jsonl")
    assert stats["p3"]["eval_rows"] == {"super_glue/cb": 56, "super_glue/copa": 100}  # whole files
    for task, folder in (("super_glue/cb", "super_glue/cb"), ("super_glue/copa", "super_glue/copa")):
        val = [p3.normalize(task, json.loads(x)) for x in (shared_data / "p3/eval" / folder / "validation.jsonl").read_text().splitlines()]
        trn = [p3.normalize(task, json.loads(x)) for x in (shared_data / "p3/heldout-train" / folder / "train.jsonl").read_text().splitlines()]
        for t in load_templates(shared_data / "p3/templates" / folder / "templates.yaml"):
            if not (t.original_task and t.answer_choices):
                continue
            recs = [r for r in test if r["task"] == task and r["template"] == t.name]
            scored = [i for i, *_ in p3.rendered(t, val, 5)]
            assert sorted(int(r["id"].rsplit("|", 1)[1]) for r in recs) == scored  # no row held back
            train_blocks = {formats.shot_block(i, o) for _, i, o, _ in p3.rendered(t, trn, 5)}
            val_blocks = {formats.shot_block(i, o) for _, i, o, _ in p3.rendered(t, val, 5)}
            hyper = recs[0]["hyper_input"]  # prompts may hold blank lines: match whole blocks as substrings
            used = [b for b in train_blocks if b in hyper]
            assert any(hyper.startswith(b + "\n\n") or hyper == b for b in used), (task, t.name)
            assert 1 <= len(used) <= 16 and not any(b in hyper for b in val_blocks - train_blocks), (task, t.name)
            assert len({r["hyper_input"] for r in recs}) == 1  # one fixed set per (dataset, template)


def test_download_config_fetches_each_held_out_training_split():
    cfg = compose([REPO / "config/data/sources.yaml"])["data"]
    names = {f.get("name", f["path"]) for f in cfg["sources"]["p3"]["files"]}
    assert cfg["p3"]["max_eval_rows"] is None  # paper scales score every validation row
    for spec in cfg["p3"]["eval"]:
        assert spec["train_file"] + ".parquet" in names, spec["task"]
        assert spec["train_file"].startswith("heldout-train/") and "train" in spec["train_file"].rsplit("/", 1)[1]


def test_empty_targets_counted_and_the_rule_stated(shared_data, t5_tokenizer, tmp_path):
    """trec's fine-grained templates render an empty target for rows of other coarse labels."""
    rows = [p3.normalize("trec", json.loads(x))
            for x in (shared_data / "p3/train/trec/train.jsonl").read_text().splitlines()]  # all 500
    expect = {}
    for t in load_templates(shared_data / "p3/templates/trec/templates.yaml"):
        n = sum(1 for i, r in enumerate(rows) if (o := render(t, r, f"5:{i}"))[0] and not o[1])
        if n and p3.t0_task_name("trec", t.name) != "trec_what_category_best_describe":
            expect[p3.t0_task_name("trec", t.name)] = n
    assert expect == {"trec_fine_grained_ENTY": 3}  # rows 181, 302, 446 (independent count above)
    for rule in ("drop", "no_label"):
        cfg = small_cfg(train={"trec": "topic_classification"}, eval=[], empty_targets=rule, max_rows_per_dataset=500)
        stats = p3.build(shared_data / "p3", tmp_path / rule, t5_tokenizer, cfg, seed=5)
        assert stats["p3"]["empty_targets"] == expect and stats["p3"]["empty_targets_rule"] == rule
        assert stats["p3"]["empty_targets_total"] == sum(expect.values())
        labels = sum(r["target"] == "<NO LABEL>" for r in read(tmp_path / rule / "train.jsonl"))
        assert labels == (sum(expect.values()) if rule == "no_label" else 0)
