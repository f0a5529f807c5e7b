"""P3's "16-Shots" hypernetwork input: shots lost to max_hyper_len are counted per task in stats.json."""

import json
from collections import defaultdict

from hart.data import formats
from hart.data.p3 import BlockCounter, shot_inputs
from hart.data.stats import EpisodeWriter
from hart.data.suite import p3 as suite_p3


def _expected(rows, k=16):
    """Per task, from the written episodes alone: inputs holding fewer than ``k`` shots, shots missing."""
    out = defaultdict(lambda: {"hyper_inputs": 0, "demonstrations_dropped": 0, "cut": 0})
    for r in rows:
        kept = r["hyper_input"].count("\n\n") + 1  # suite prompts hold no blank line (checked below)
        if kept < k:
            out[r["task"]]["hyper_inputs"] += 1
            out[r["task"]]["demonstrations_dropped"] += k - kept
    return dict(out)


def test_suite_p3_counts_dropped_shots_per_task(tmp_path):
    stats = suite_p3.write_p3(tmp_path / "p3", seed=0, max_hyper_len=200)  # whitespace words: many drop
    rows = [json.loads(line) for split in ("train", "test")
            for line in (tmp_path / "p3" / f"{split}.jsonl").read_text().splitlines()]
    assert not any("\n\n" in r["query"] for r in rows)
    want = _expected(rows)
    trunc = stats["truncation"]
    assert want and trunc["per_task"] == want
    assert trunc["tasks_with_dropped_demonstrations"] == len(want)
    assert trunc["hyper_inputs_truncated"] == sum(v["hyper_inputs"] for v in want.values())
    assert json.loads((tmp_path / "p3" / "stats.json").read_text())["truncation"] == trunc
    held_out = {r["task"] for r in rows if r["split"] == "test"} & set(want)
    assert held_out, "test episodes (one fixed shot set per template) are counted too"


def test_suite_p3_at_the_default_length_drops_nothing(tmp_path):
    stats = suite_p3.write_p3(tmp_path / "p3", seed=0)
    assert stats["truncation"] == {"tasks_with_dropped_demonstrations": 0, "tasks_cut": 0,
                                   "hyper_inputs_truncated": 0, "per_task": {}}


def test_shots_truncation_counts_dropped_and_cut():
    from hart.data.truncation import shots_truncation

    words = lambda text: len(text.split())  # noqa: E731
    shots = [(f"q{i} " + "w " * 8, f"a{i}") for i in range(20)]  # 10 words per shot
    text, lost = shots_truncation(shots, words, 35)
    assert text == formats.pack_shots(shots, words, 35) and text.count("\n\n") == 2  # 3 of 16 fit
    assert lost == {"demonstrations_dropped": 13, "cut": False}
    text, lost = shots_truncation([("long " * 50, "x")] + shots, words, 35)
    assert lost == {"demonstrations_dropped": 15, "cut": True}  # the first shot is kept, then cut
    _, lost = shots_truncation(shots[:4], words, 1000)
    assert lost == {"demonstrations_dropped": 0, "cut": False}
    block = ("para one\n\npara two", "t")  # a shot that holds a blank line itself is one shot
    _, lost = shots_truncation([block] * 3, words, 1000, k=2)
    assert lost == {"demonstrations_dropped": 0, "cut": False}


def test_real_p3_builder_notes_truncation_in_the_writer(t5_tokenizer, tmp_path):
    """``hart.data.p3.shot_inputs`` (the real P3 build) reports what its hyper_input lost."""
    cfg = {"max_hyper_len": 40, "max_source_len": 384, "shots": 16}
    count = BlockCounter(t5_tokenizer)
    shots = [(f"Question {i}: is the sky blue today over the town?", "yes") for i in range(16)]
    with EpisodeWriter(tmp_path / "eps", "p3", count) as writer:
        hyper, _ = shot_inputs(shots, "Is it?", count, cfg, writer, "super_glue/boolq")
        shot_inputs(shots[:1], "Is it?", count, cfg, writer, "super_glue/boolq")  # one shot fits: nothing lost
        long = [("word " * 80, "no")] + shots
        cut, _ = shot_inputs(long, "Is it?", count, cfg, writer, "glue/mrpc")
        stats = writer.stats()
    kept = hyper.count("\n\n") + 1
    assert 1 < kept < 16 and len(t5_tokenizer(hyper, add_special_tokens=False)["input_ids"]) <= 40
    assert len(t5_tokenizer(cut, add_special_tokens=False)["input_ids"]) <= 40  # the episode holds the cut text
    assert stats["truncation"]["per_task"] == {
        "super_glue/boolq": {"hyper_inputs": 1, "demonstrations_dropped": 16 - kept, "cut": 0},
        "glue/mrpc": {"hyper_inputs": 1, "demonstrations_dropped": 15, "cut": 1}}
    assert stats["truncation"]["tasks_cut"] == 1 and stats["truncation"]["tasks_with_dropped_demonstrations"] == 2
    assert json.loads((tmp_path / "eps" / "stats.json").read_text())["truncation"] == stats["truncation"]
