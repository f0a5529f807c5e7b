"""`hart evaluate` on bad episode files, options and outputs: an error naming file, line and key; nothing written."""

from __future__ import annotations

import json

import pytest

from badcase import eval_rows, write_jsonl


def _rows(edit):
    rows = eval_rows()
    edit(rows)
    return rows


def _set(i, key, value):
    def f(rows):
        if value is KeyError:
            del rows[i][key]
        else:
            rows[i][key] = value
    return f


def _p3(rows):
    for r in rows:
        r.update(choices=["yes", "no"], label=0)


def _both(*edits):
    def f(rows):
        for e in edits:
            e(rows)
    return f


ROWS = {  # name: (edit of valid rows, needles); line numbers are 1-based
    "duplicate id": (_set(2, "id", "t-0"), ["test.jsonl:3", "duplicate id 't-0'", "line 1"]),
    "references a string": (_set(1, "references", "yes"), ["test.jsonl:2", "'references'", "list of strings"]),
    "references empty": (_set(1, "references", []), ["test.jsonl:2", "'references'"]),
    "references of numbers": (_set(0, "references", [1, 2]), ["test.jsonl:1", "'references'"]),
    "label outside its choices": (_both(_p3, _set(3, "label", 2)), ["test.jsonl:4", "'label' 2", "2 choices"]),
    "label negative": (_both(_p3, _set(0, "label", -1)), ["test.jsonl:1", "'label' -1"]),
    "label a string": (_both(_p3, _set(0, "label", "0")), ["test.jsonl:1", "'label'"]),
    "label a bool": (_both(_p3, _set(0, "label", True)), ["test.jsonl:1", "'label' True"]),
    "choices a string": (_both(_p3, _set(1, "choices", "yes")), ["test.jsonl:2", "'choices'"]),
    "choices empty": (_both(_p3, _set(1, "choices", [])), ["test.jsonl:2", "'choices'"]),
    "id missing": (_set(0, "id", KeyError), ["test.jsonl:1", "'id'"]),
    "id a number": (_set(0, "id", 7), ["test.jsonl:1", "'id'"]),
    "task missing": (_set(1, "task", KeyError), ["test.jsonl:2", "'task'"]),
    "benchmark a list": (_set(1, "benchmark", ["unit"]), ["test.jsonl:2", "'benchmark'"]),
    "query missing": (_set(0, "query", KeyError), ["test.jsonl", "'query'"]),
    "hyper_input a list": (_set(0, "hyper_input", ["a"]), ["test.jsonl", "'hyper_input'"]),
    "mixed benchmarks": (_set(0, "benchmark", "other"), ["test.jsonl", "mix benchmarks"]),
    "only some rows with choices": (_both(_set(0, "choices", ["a"]), _set(0, "label", 0)), ["test.jsonl", "`choices`"]),
    "no test rows": (lambda rows: [r.update(split="train") for r in rows], ["test.jsonl", "no test rows"]),
}
LINES = {
    "row not an object": (["[1, 2]"], ["test.jsonl:1", "JSON object"]),
    "line not JSON": (['{"id": '], ["test.jsonl:1", "not valid JSON"]),
    "empty file": ([], ["test.jsonl", "no test rows"]),
}


@pytest.fixture
def setup(runs, tmp_path):
    cfg = tmp_path / "eval.yaml"
    cfg.write_text("evaluate: {batch_size: 4, max_new_tokens: 3}\n")
    out = tmp_path / "ev" / "r.json"

    def argv(eps, *extra, config=cfg):
        return ["evaluate", "--config", config, "--checkpoint", runs["hart"], "--episodes", eps, "--out", out, *extra]
    return argv, tmp_path


@pytest.mark.parametrize("case", sorted(ROWS))
def test_bad_rows(case, setup, expect):
    argv, tmp = setup
    edit, needles = ROWS[case]
    eps = write_jsonl(tmp / "test.jsonl", _rows(edit))
    expect(argv(eps), needles, watch=[tmp / "ev"])


@pytest.mark.parametrize("case", sorted(LINES))
def test_bad_lines(case, setup, expect):
    argv, tmp = setup
    lines, needles = LINES[case]
    eps = write_jsonl(tmp / "test.jsonl", lines)
    expect(argv(eps), needles, watch=[tmp / "ev"])


def test_not_utf8(setup, expect):
    argv, tmp = setup
    eps = tmp / "test.jsonl"
    eps.write_bytes(json.dumps(eval_rows()[0]).encode() + b"\n\xff\xfe{}\n")
    expect(argv(eps), ["test.jsonl:2", "not UTF-8"], watch=[tmp / "ev"])


def test_episodes_is_a_folder(setup, expect):
    argv, tmp = setup
    (tmp / "folder").mkdir()
    expect(argv(tmp / "folder"), ["folder", "is a folder"], watch=[tmp / "ev"])


def test_out_is_a_folder(setup, expect):
    argv, tmp = setup
    eps = write_jsonl(tmp / "test.jsonl", eval_rows())
    (tmp / "ev" / "r.json").mkdir(parents=True)
    expect(argv(eps), ["r.json", "is a folder"], watch=[tmp / "ev"])


@pytest.mark.parametrize("value", ["0", "-3", "two"])
def test_bad_limit(value, setup, expect):
    argv, tmp = setup
    eps = write_jsonl(tmp / "test.jsonl", eval_rows())
    expect(argv(eps, "--limit", value), ["--limit", value], watch=[tmp / "ev"])


@pytest.mark.parametrize("text,needles", [
    ("evaluate: {batch_sise: 4}\n", ["eval.yaml", "batch_sise"]),
    ("evaluate: {batch_size: 4}\nevaluate: {batch_size: 8}\n", ["eval.yaml", "duplicate key 'evaluate'"]),
    ("evaluate: {max_new_tokens: .nan}\n", ["eval.yaml", "evaluate.max_new_tokens"]),
])
def test_bad_config(text, needles, setup, expect):
    argv, tmp = setup
    eps = write_jsonl(tmp / "test.jsonl", eval_rows())
    (tmp / "eval.yaml").write_text(text)
    expect(argv(eps), needles, watch=[tmp / "ev"])


def test_second_writer_is_refused(setup, expect):
    """A live lock on the result (another `hart evaluate` writing it) stops a second one; nothing changes."""
    from hart.io import RunLock

    argv, tmp = setup
    eps = write_jsonl(tmp / "test.jsonl", eval_rows())
    (tmp / "ev").mkdir()
    (tmp / "ev" / "r.json").write_text("{}\n")  # an earlier result stays as it was
    with RunLock(tmp / "ev" / "r.json", "evaluate"):
        expect(argv(eps), ["r.json", "in use by `hart evaluate`"], watch=[tmp / "ev" / "r.json"])


def test_nan_score_is_refused_and_nothing_written(setup, expect, monkeypatch):
    from hart.evaluate import metrics

    argv, tmp = setup
    eps = write_jsonl(tmp / "test.jsonl", eval_rows())
    real = metrics.sni_scores
    monkeypatch.setattr(metrics, "sni_scores", lambda rows, texts: {**real(rows, texts), "rougeL": float("nan")})
    expect(argv(eps), ["not a finite number"], watch=[tmp / "ev"])


def test_result_write_failure_leaves_no_predictions(setup, expect, monkeypatch):
    """Disk full while the pair is renamed: neither predictions nor result (nor temporaries) remain."""
    import errno
    import os

    argv, tmp = setup
    eps = write_jsonl(tmp / "test.jsonl", eval_rows())
    (tmp / "ev").mkdir()
    real, calls = os.replace, []

    def replace(src, dst):
        calls.append(dst)
        if str(dst).endswith("r.json"):
            raise OSError(errno.ENOSPC, "No space left on device", str(dst))
        return real(src, dst)
    monkeypatch.setattr(os, "replace", replace)
    expect(argv(eps), ["r.json", "disk full"], watch=[tmp / "ev"])
    assert any(str(c).endswith("predictions.jsonl") for c in calls)  # the predictions were renamed, then removed


def test_mostly_empty_predictions_are_flagged_in_result_and_table(setup, monkeypatch, capsys):
    """LoRA once scored 0.0 on empty strings silently: the result carries a flag, the table a † and a footnote."""
    from hart.cli import main
    from hart.evaluate import run as run_mod
    from hart.report.tables import render

    argv, tmp = setup
    eps = write_jsonl(tmp / "test.jsonl", eval_rows())
    monkeypatch.setattr(run_mod, "generate_rows", lambda model, tok, rows, *a: {r["id"]: "" for r in rows})
    assert main([str(a) for a in argv(eps)]) == 0
    assert "100% of predictions are empty" in capsys.readouterr().err
    result = json.loads((tmp / "ev" / "r.json").read_text())
    assert result["flag"] == "100% of predictions are empty" and result["breakdown"]["empty_predictions"] == 1.0
    result.update(benchmark="sni", method="hart")
    md = render("table2", [result], "md", methods=["hart"])
    assert "(n=1) †" in md and "† Most predictions of the run are empty strings" in md
    assert r"$^\dagger$" in render("table2", [result], "tex", methods=["hart"])
