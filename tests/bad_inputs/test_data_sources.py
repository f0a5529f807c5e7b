"""`hart data download` and `hart data c4-from-suite` refuse bad arguments with one line and write nothing;
`hart data episodes` counts per task what the length limit removed from the S-NI hypernetwork input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from badcase import write_jsonl

SOURCES = Path(__file__).resolve().parents[2] / "config" / "data" / "sources.yaml"


@pytest.fixture
def suite(suite_sni_raw, tmp_path):
    """A `hart data suite` folder (only the S-NI raw part, which c4-from-suite reads) and a file named out."""
    (tmp_path / "suite" / "suite-sni").mkdir(parents=True)
    (tmp_path / "suite" / "suite-sni" / "raw").symlink_to(suite_sni_raw)
    (tmp_path / "afile").write_text("x")
    return tmp_path


C4_CASES = {
    "suite missing": (lambda t: ["--suite", t / "nope", "--out", t / "c4"], ["nope", "missing"]),
    "suite a file": (lambda t: ["--suite", t / "afile", "--out", t / "c4"], ["afile", "missing"]),
    "out a file": (lambda t: ["--suite", t / "suite", "--out", t / "afile"], ["afile", "a file where a folder"]),
    "seed negative": (lambda t: ["--suite", t / "suite", "--out", t / "c4", "--seed", "-1"], ["--seed", "-1"]),
    "seed not a number": (lambda t: ["--suite", t / "suite", "--out", t / "c4", "--seed", "x"], ["--seed", "'x'"]),
}


@pytest.mark.parametrize("case", sorted(C4_CASES))
def test_c4_from_suite_refuses(case, suite, expect):
    args, needles = C4_CASES[case]
    expect(["data", "c4-from-suite", *args(suite)], needles, watch=[suite / "c4", suite / "afile"])


DOWNLOAD_CASES = {
    "config missing": (lambda t: ["--config", t / "none.yaml", "--source", "t5", "--cache", t / "c"],
                       ["none.yaml", "not found"]),
    "config duplicate key": (lambda t: ["--config", write_jsonl(t / "d.yaml", ["data:", "  seed: 1", "  seed: 2"]),
                                        "--source", "t5", "--cache", t / "c"], ["d.yaml", "duplicate key 'seed'"]),
    "config without sources": (lambda t: ["--config", write_jsonl(t / "e.yaml", ["data: {}"]), "--source", "t5",
                                          "--cache", t / "c"], ["data.sources.t5"]),
    "unknown source": (lambda t: ["--config", SOURCES, "--source", "s3", "--cache", t / "c"], ["--source", "'s3'"]),
    "cache a file": (lambda t: ["--config", SOURCES, "--source", "t5", "--cache", t / "afile"],
                     ["afile", "a file where a folder"]),
}


@pytest.mark.parametrize("case", sorted(DOWNLOAD_CASES))
def test_download_refuses_before_any_network_access(case, tmp_path, expect, monkeypatch):
    import urllib.request

    def no_network(*a, **k):
        raise AssertionError("network access before the arguments were checked")
    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    (tmp_path / "afile").write_text("x")
    args, needles = DOWNLOAD_CASES[case]
    expect(["data", "download", *args(tmp_path)], needles, watch=[tmp_path / "c", tmp_path / "afile"])


def test_sni_episodes_count_dropped_demonstrations_per_task(suite_sni_raw, unit_data, tmp_path, capsys):
    """With max_hyper_len 200 (unit tokenizer) Def+2Pos inputs lose one or two demonstrations, some are
    cut too: stats.json counts them per task, and the counts agree with the episodes written (how many
    ' Positive Example ' blocks each kept; cut when those blocks and EOS exceed 200 tokens)."""
    from transformers import AutoTokenizer

    from hart.cli import main
    from hart.data import formats

    override = write_jsonl(tmp_path / "o.yaml", ["data: {sni: {max_hyper_len: 200, max_train_instances: 1, "
                                                 "max_test_instances: 1}}"])
    out = tmp_path / "eps" / "suite-sni"
    assert main(["data", "episodes", "--config", str(SOURCES), "--config", str(override), "--benchmark",
                 "suite-sni", "--raw", str(suite_sni_raw), "--out", str(out), "--tokenizer", str(unit_data[1])]) == 0
    trunc = json.loads((out / "stats.json").read_text())["truncation"]
    tok, want = AutoTokenizer.from_pretrained(unit_data[1]), {}
    for split in ("train", "test"):
        for line in (out / f"{split}.jsonl").read_text().splitlines():
            row = json.loads(line)
            task = json.loads((suite_sni_raw / "tasks" / f"{row['task']}.json").read_text())
            kept = row["hyper_input"].count(" Positive Example ")
            offered = min(2, len(task["Positive Examples"]))
            blocks = formats.definition_block(task["Definition"]) + "".join(
                formats.example_block(i, ex) for i, ex in enumerate(task["Positive Examples"][:kept], start=1))
            cut = len(tok(blocks)["input_ids"]) > 200
            assert row["hyper_input"] == (blocks if not cut else formats.truncate(blocks, tok, 200))
            if kept < offered or cut:
                want[row["task"]] = {"hyper_inputs": 1, "demonstrations_dropped": offered - kept, "cut": int(cut)}
    assert {(v["demonstrations_dropped"], v["cut"]) for v in want.values()} == {(1, 0), (2, 0), (2, 1)}
    assert trunc["per_task"] == want
    assert trunc["tasks_with_dropped_demonstrations"] == sum(1 for v in want.values() if v["demonstrations_dropped"])
    assert trunc["tasks_cut"] == sum(1 for v in want.values() if v["cut"])
