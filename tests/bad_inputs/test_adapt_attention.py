"""`hart adapt` and `hart attention`: every argument is checked before anything is written."""

from __future__ import annotations

import json

import pytest

from badcase import eval_rows, write_jsonl

TASK = {"Definition": ["Reverse the words."], "Positive Examples": [{"input": "a b", "output": "b a"}],
        "Instances": [{"id": "i1", "input": "c d", "output": ["d c"]}]}


@pytest.fixture
def adapt(runs, tmp_path):
    task = tmp_path / "task.json"
    task.write_text(json.dumps(TASK))
    out = tmp_path / "adapted"

    def argv(*extra, task=task):
        return ["adapt", "--checkpoint", runs["hart"], "--task", task, "--out", out, *extra]
    return argv, tmp_path


QUERIES = {
    "line not JSON": ('{"input": ', ["q.jsonl:1", "not valid JSON"]),
    "object without input": ('{"text": "x"}', ["q.jsonl:1", "'input'"]),
    "input a number": ('{"input": 3}', ["q.jsonl:1", "'input'"]),
    "output a string": ('{"input": "a", "output": "b"}', ["q.jsonl:1", "'output'", "list of strings"]),
    "output of numbers": ('{"input": "a", "output": [1]}', ["q.jsonl:1", "'output'"]),
}


@pytest.mark.parametrize("case", sorted(QUERIES))
def test_bad_queries_file(case, adapt, expect):
    argv, tmp = adapt
    line, needles = QUERIES[case]
    (tmp / "q.jsonl").write_text(line + "\n")
    expect(argv("--queries", tmp / "q.jsonl"), needles, watch=[tmp / "adapted"])


def test_queries_missing(adapt, expect):
    argv, tmp = adapt
    expect(argv("--queries", tmp / "none.txt"), ["none.txt", "not found"], watch=[tmp / "adapted"])


def test_queries_not_utf8(adapt, expect):
    argv, tmp = adapt
    (tmp / "q.txt").write_bytes(b"ok\n\xff\n")
    expect(argv("--queries", tmp / "q.txt"), ["q.txt", "not UTF-8"], watch=[tmp / "adapted"])


def test_out_is_a_file(adapt, expect):
    argv, tmp = adapt
    (tmp / "adapted").write_text("x")
    expect(argv(), ["adapted", "must be a folder"], watch=[tmp / "adapted"])


def test_task_without_out(runs, tmp_path, expect):
    (tmp_path / "task.json").write_text(json.dumps(TASK))
    expect(["adapt", "--checkpoint", runs["hart"], "--task", tmp_path / "task.json"], ["--out"], watch=[tmp_path])


def test_task_is_a_folder(adapt, expect):
    argv, tmp = adapt
    (tmp / "taskdir").mkdir()
    expect(argv(task=tmp / "taskdir"), ["taskdir"], watch=[tmp / "adapted"])


def test_task_not_utf8(adapt, expect):
    argv, tmp = adapt
    (tmp / "t.json").write_bytes(b'{"Definition": ["\xff"]}')
    expect(argv(task=tmp / "t.json"), ["t.json", "can't decode byte 0xff"], watch=[tmp / "adapted"])


def test_instances_requested_but_none(adapt, expect):
    argv, tmp = adapt
    task = tmp / "t.json"
    task.write_text(json.dumps({k: v for k, v in TASK.items() if k != "Instances"}))
    expect(argv("--instances", task=task), ["--instances", "no Instances"], watch=[tmp / "adapted"])


def test_earlier_output_untouched_by_a_failed_rerun(adapt, expect):
    """A rerun into a folder with earlier prefixes fails on its queries: the earlier files stay byte-identical."""
    from hart.cli import main

    argv, tmp = adapt
    assert main([str(a) for a in argv("--query", "x y")]) == 0
    (tmp / "q.jsonl").write_text('{"input": 1}\n')
    expect(argv("--queries", tmp / "q.jsonl"), ["q.jsonl:1"], watch=[tmp / "adapted"])


@pytest.mark.parametrize("value", ["0", "-1", "many"])
def test_bad_max_new_tokens(value, adapt, expect):
    argv, tmp = adapt
    expect(argv("--max-new-tokens", value), ["--max-new-tokens", value], watch=[tmp / "adapted"])


PREFIXES = {
    "folder empty": (lambda d: None, ["no saved prefixes"]),
    "prefixes.json not JSON": (lambda d: (d / "prefixes.json").write_text("{"), ["prefixes.json", "not valid JSON"]),
    "prefixes.json a list": (lambda d: (d / "prefixes.json").write_text("[]"), ["prefixes.json", "not a JSON object"]),
    "prefixes.json of another base": (lambda d: (d / "prefixes.json").write_text(json.dumps({"base": {"d_model": 7}})),
                                      ["prefixes.json", "base-model mismatch"]),
}


@pytest.mark.parametrize("case", sorted(PREFIXES))
def test_bad_saved_prefixes(case, runs, tmp_path, expect):
    edit, needles = PREFIXES[case]
    folder = tmp_path / "p"
    folder.mkdir()
    (folder / "prefixes.safetensors").write_bytes(b"")
    edit(folder)
    if case == "folder empty":
        (folder / "prefixes.safetensors").unlink()
    expect(["adapt", "--checkpoint", runs["hart"], "--prefixes", folder, "--query", "a"], needles, watch=[folder])


@pytest.fixture
def attention(runs, tmp_path):
    out = tmp_path / "att" / "map.safetensors"

    def argv(eps, *extra, run="layerwise"):
        return ["attention", "--checkpoint", runs[run], "--episodes", eps, "--out", out, *extra]
    return argv, tmp_path


ATT_ROWS = {
    "row without hyper_input": ([{"task": "a"}], ["e.jsonl:1", "'hyper_input'"]),
    "row not an object": (["3"], ["e.jsonl:1", "'task'"]),
    "task a number": ([{"task": 1, "hyper_input": "x"}], ["e.jsonl:1", "'task'"]),
    "empty file": ([], ["e.jsonl", "no episodes"]),
    "line not JSON": (["{"], ["e.jsonl:1", "not valid JSON"]),
}


@pytest.mark.parametrize("case", sorted(ATT_ROWS))
def test_attention_bad_episodes(case, attention, expect):
    argv, tmp = attention
    rows, needles = ATT_ROWS[case]
    eps = write_jsonl(tmp / "e.jsonl", rows)
    expect(argv(eps), needles, watch=[tmp / "att"])


def test_attention_needs_layerwise(attention, expect):
    argv, tmp = attention
    eps = write_jsonl(tmp / "e.jsonl", eval_rows())
    expect(argv(eps, run="hart"), ["'hart'", "layerwise"], watch=[tmp / "att"])


def test_attention_episodes_missing(attention, expect):
    argv, tmp = attention
    expect(argv(tmp / "nope.jsonl"), ["nope.jsonl", "not found"], watch=[tmp / "att"])


def test_attention_out_is_a_folder(attention, expect):
    argv, tmp = attention
    (tmp / "att" / "map.safetensors").mkdir(parents=True)
    expect(argv(write_jsonl(tmp / "e.jsonl", eval_rows())), ["map.safetensors", "is a folder"], watch=[tmp / "att"])


@pytest.mark.parametrize("value", ["0", "-2", "1.5"])
def test_attention_bad_max_tasks(value, attention, expect):
    argv, tmp = attention
    expect(argv(write_jsonl(tmp / "e.jsonl", eval_rows()), "--max-tasks", value), ["--max-tasks", value],
           watch=[tmp / "att"])


def test_truncation_is_reported_and_prefixes_record_what_was_read(adapt, capsys):
    """A task longer than max_hyper_len (96 tokens here): a warning, and prefixes.json holds the cut text."""
    from hart.cli import main

    argv, tmp = adapt
    long = {"Definition": [" ".join(["red blue green"] * 80)],
            "Positive Examples": [{"input": "a b", "output": "b a"}, {"input": "c d", "output": "d c"}]}
    (tmp / "long.json").write_text(json.dumps(long))
    assert main([str(a) for a in argv(task=tmp / "long.json")]) == 0
    err = capsys.readouterr().err
    assert "does not fit max_hyper_len=96" in err and "2 demonstration(s) dropped" in err
    meta = json.loads((tmp / "adapted" / "prefixes.json").read_text())
    assert meta["truncation"] == {"demonstrations_dropped": 2, "cut_at_tokens": 96}
    assert meta["hyper_input"].startswith("Definition: red blue green") and len(meta["hyper_input"]) < len(long["Definition"][0])
