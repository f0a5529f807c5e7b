"""`hart report study` and `hart report study-curve` (the params study): bad inputs end in one line
naming the file, nothing written; the curve's intermediate checkpoints are checked like a resume."""

from __future__ import annotations

import json

import pytest

from badcase import copy_run, eval_rows, write_jsonl

CHANCE = {"exact_match": 1.0, "rougeL": 20.0}
TASKS = {"t1": {"tier": "easy", "chance": CHANCE}, "t2": {"tier": "hard", "chance": CHANCE}}
RESULT = {"metric": "rougeL", "score": 1.0, "breakdown": {"per_task": {
    "t1": {"exact_match": 50.0, "rougeL": 60.0}, "t2": {"exact_match": 10.0, "rougeL": 20.0}}}}


@pytest.fixture
def study(tmp_path):
    """Arguments of a valid `hart report study` (one method, two seeds) whose files a case then breaks."""
    (tmp_path / "tasks.json").write_text(json.dumps(TASKS))
    ev = tmp_path / "ev" / "hart" / "seed0.json"
    ev.parent.mkdir(parents=True)
    ev.write_text(json.dumps(RESULT))
    ev.with_name("seed1.json").write_text(json.dumps(RESULT))  # two seeds: a standard deviation exists
    log = tmp_path / "tr" / "hart" / "seed0" / "train_log.jsonl"
    log.parent.mkdir(parents=True)
    write_jsonl(log, [{"step": s, "loss_pred": 2.0 - s / 100} for s in range(1, 61)])

    def argv():
        return ["report", "study", "--evaluations", ev, ev.with_name("seed1.json"), "--tasks", tmp_path / "tasks.json",
                "--logs", log, "--out", tmp_path / "out" / "study"]
    return argv, tmp_path


STUDY_CASES = {
    "evaluation not JSON": (lambda t: (t / "ev/hart/seed0.json").write_text("{"), ["seed0.json", "not valid JSON"]),
    "evaluation a list": (lambda t: (t / "ev/hart/seed0.json").write_text("[]"), ["seed0.json", "not a generative"]),
    "evaluation ranked": (lambda t: (t / "ev/hart/seed0.json").write_text(json.dumps({**RESULT, "metric": "accuracy"})),
                          ["seed0.json", "not a generative"]),
    "tasks missing": (lambda t: (t / "tasks.json").unlink(), ["tasks.json", "not found"]),
    "tasks a list": (lambda t: (t / "tasks.json").write_text("[]"), ["tasks.json", "non-empty JSON object"]),
    "task without tier": (lambda t: (t / "tasks.json").write_text(json.dumps({"t1": {"chance": CHANCE}})),
                          ["tasks.json", "'t1'", "'tier'"]),
    "log torn line": (lambda t: (t / "tr/hart/seed0/train_log.jsonl").write_text('{"step": 1, "loss_pred": 1}\n{"st'),
                      ["train_log.jsonl:2", "not valid JSON"]),
    "log too short": (lambda t: write_jsonl(t / "tr/hart/seed0/train_log.jsonl", [{"step": 1, "loss_pred": 1.0}]),
                      ["train_log.jsonl", "1 steps"]),
    "log without loss_pred": (lambda t: (t / "tr/hart/seed0/train_log.jsonl").write_text('{"step": 1}\n'),
                              ["train_log.jsonl:1", "'loss_pred'"]),
}


@pytest.mark.parametrize("case", sorted(STUDY_CASES))
def test_study_report_refuses(case, study, expect):
    argv, tmp = study
    edit, needles = STUDY_CASES[case]
    edit(tmp)
    expect(argv(), needles, watch=[tmp / "out"])


def test_study_report_control(study, capsys):
    from hart.cli import main

    argv, tmp = study
    assert main([str(a) for a in argv()]) == 0, capsys.readouterr().err
    assert sorted(p.name for p in (tmp / "out").iterdir()) == ["study.csv", "study.json", "study.md"]


@pytest.fixture(scope="module")
def kept(trained_run_factory):
    """A hart run of 4 steps that keeps its step-2 checkpoint (what study-curve reads)."""
    return trained_run_factory("kept-checkpoints", train={"steps": 4, "checkpoint_every": 2, "keep_checkpoints": 5})


def _curve(run, tmp_path, *extra):
    eps = write_jsonl(tmp_path / "test.jsonl", eval_rows())
    return ["report", "study-curve", "--run", run, "--episodes", eps, "--out", tmp_path / "c" / "curve.json", *extra]


def _flip_checkpoint(run):
    path = next(run.glob("checkpoints/step-*")) / "state.safetensors"
    data = bytearray(path.read_bytes())
    data[-3] ^= 0xFF
    path.write_bytes(bytes(data))


def _edit_config(run):
    cfg = json.loads((run / "config.json").read_text())
    cfg["train"]["lr"] = 0.5
    (run / "config.json").write_text(json.dumps(cfg))


CURVE_CASES = {
    "intermediate checkpoint changed": (_flip_checkpoint, [], ["state.safetensors", "sha256"]),
    "config.json edited": (_edit_config, [], ["model.safetensors", "config_hash"]),
    "done.json not JSON": (lambda run: (run / "done.json").write_text("{"), [], ["done.json", "not valid JSON"]),
    "--limit 0": (lambda run: None, ["--limit", "0"], ["--limit", "'0'"]),
}


@pytest.mark.parametrize("case", sorted(CURVE_CASES))
def test_study_curve_refuses(case, kept, tmp_path, expect):
    edit, extra, needles = CURVE_CASES[case]
    run = copy_run(kept, tmp_path / "run")
    edit(run)
    expect(_curve(run, tmp_path, *extra), needles, watch=[tmp_path / "c", run])


def test_study_curve_control(kept, tmp_path, capsys):
    from hart.cli import main

    run = copy_run(kept, tmp_path / "run")
    assert main([str(a) for a in _curve(run, tmp_path, "--limit", "2")]) == 0, capsys.readouterr().err
    curve = json.loads((tmp_path / "c" / "curve.json").read_text())
    assert [p["step"] for p in curve["points"]] == [2, 4]
