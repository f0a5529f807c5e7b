"""`hart adapt` (one forward pass, saved prefixes, reload without the hypernetwork) and `hart attention`."""

import json
import shutil

import pytest
import torch
from safetensors.torch import load_file

from hart.cli import main

TASK = {
    "Definition": ["Reverse the order of the words."],
    "Positive Examples": [{"input": "red blue green", "output": "green blue red", "explanation": "reversed"},
                          {"input": "cat dog", "output": "dog cat", "explanation": "reversed"}],
    "Instances": [{"id": "t-1", "input": "sun moon", "output": ["moon sun"]},
                  {"id": "t-2", "input": "fish boat car", "output": ["car boat fish"]}],
}


@pytest.fixture(scope="module")
def runs(trained_runs, tmp_path_factory):
    """The session's trained runs (tests/conftest.py) and this module's task file."""
    task = tmp_path_factory.mktemp("adapt") / "task.json"
    task.write_text(json.dumps(TASK))
    return {**trained_runs, "task": task}


def test_adapt_one_forward_saves_prefixes_equal_to_direct_computation(runs, tmp_path, capsys):
    from hart.data.formats import def_pos, token_counter
    from hart.model.adapted import load

    assert main(["adapt", "--checkpoint", str(runs["hart"]), "--task", str(runs["task"]), "--out", str(tmp_path),
                 "--instances", "--query", "red cat"]) == 0
    saved = load_file(str(tmp_path / "prefixes.safetensors"))
    meta = json.loads((tmp_path / "prefixes.json").read_text())
    assert meta["shapes"]["enc_k"] == [1, 2, 4, 32] and meta["method"] == "hart"
    model, tok, cfg = load(runs["hart"])
    text = def_pos(TASK["Definition"], TASK["Positive Examples"], None, token_counter(tok), 96)
    assert meta["hyper_input"] == text and text.startswith("Definition: Reverse the order of the words.\n\n Positive Example 1 -")
    enc = tok([text], return_tensors="pt")
    with torch.no_grad():
        direct = model.task_state(enc["input_ids"], enc["attention_mask"])
    torch.testing.assert_close(saved["enc_k"], direct.prefixes.enc_k)
    torch.testing.assert_close(saved["dec_v"], direct.prefixes.dec_v)
    torch.testing.assert_close(saved["memory"], direct.memory)
    answers = [json.loads(l) for l in (tmp_path / "answers.jsonl").read_text().splitlines()]
    assert [a["id"] for a in answers] == ["query-0", "t-1", "t-2"]
    scores = json.loads((tmp_path / "scores.json").read_text())
    assert scores["n"] == 2 and 0.0 <= scores["rougeL"] <= 100.0


def test_saved_prefixes_answer_without_hypernetwork(runs, tmp_path, monkeypatch):
    from hart.model import adapted

    first = tmp_path / "a"
    assert main(["adapt", "--checkpoint", str(runs["hart"]), "--task", str(runs["task"]), "--out", str(first),
                 "--instances"]) == 0
    calls = []
    real = adapted.AdaptedT5.task_state
    monkeypatch.setattr(adapted.AdaptedT5, "task_state", lambda self, *a, **k: calls.append(1) or real(self, *a, **k))
    again = tmp_path / "b"
    shutil.copytree(first, again)
    (again / "answers.jsonl").unlink()
    queries = tmp_path / "q.jsonl"
    queries.write_text("".join(json.dumps({"id": i["id"], "input": i["input"], "output": i["output"]}) + "\n"
                               for i in TASK["Instances"]))
    assert main(["adapt", "--checkpoint", str(runs["hart"]), "--prefixes", str(again), "--queries", str(queries)]) == 0
    assert calls == []  # no hypernetwork forward
    a = [json.loads(l)["prediction"] for l in (first / "answers.jsonl").read_text().splitlines()]
    b = [json.loads(l)["prediction"] for l in (again / "answers.jsonl").read_text().splitlines()]
    assert a == b


@pytest.mark.parametrize("edit,message", [
    (lambda t: t.pop("Definition"), "'Definition'"),
    (lambda t: t.update({"Positive Examples": []}), "'Positive Examples'"),
    (lambda t: t["Positive Examples"][0].pop("output"), "Positive Examples[0].output"),
])
def test_bad_tasks_are_named(runs, tmp_path, capsys, edit, message):
    task = json.loads(json.dumps(TASK))
    edit(task)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(task))
    assert main(["adapt", "--checkpoint", str(runs["hart"]), "--task", str(path), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "bad.json" in err and message in err
    assert not (tmp_path / "o").exists()


def test_prefixes_from_another_checkpoint_or_base_are_refused(runs, tmp_path, capsys):
    out = tmp_path / "p"
    assert main(["adapt", "--checkpoint", str(runs["hart"]), "--task", str(runs["task"]), "--out", str(out)]) == 0
    assert main(["adapt", "--checkpoint", str(runs["hart_b"]), "--prefixes", str(out), "--query", "x"]) == 2
    assert "another checkpoint" in capsys.readouterr().err
    meta = json.loads((out / "prefixes.json").read_text())
    meta["base"]["d_model"] = 1024
    (out / "prefixes.json").write_text(json.dumps(meta))
    assert main(["adapt", "--checkpoint", str(runs["hart"]), "--prefixes", str(out), "--query", "x"]) == 2
    assert "base-model mismatch" in capsys.readouterr().err


def test_attention_map_for_figure_1(runs, unit_data, tmp_path, capsys):
    episodes, _ = unit_data
    out = tmp_path / "attn.safetensors"
    assert main(["attention", "--checkpoint", str(runs["layerwise"]), "--episodes", str(episodes), "--out", str(out)]) == 0
    amap = load_file(str(out))["attention"]
    assert amap.shape == (2, 2)
    torch.testing.assert_close(amap.sum(-1), torch.ones(2))
    assert main(["attention", "--checkpoint", str(runs["hart"]), "--episodes", str(episodes), "--out", str(tmp_path / "x")]) == 2
    assert "bidir-layerwise" in capsys.readouterr().err


@pytest.mark.parametrize("benchmark,eos", [("suite-p3", False), ("p3", False), ("suite-sni", True)])
def test_attention_tokenizes_by_the_benchmarks_eos_rule(benchmark, eos, runs, unit_data, tmp_path, monkeypatch):
    """Figure 1 reads each hyper_input as training did: P3 without EOS, S-NI with it."""
    from hart.model import adapted

    episodes, _ = unit_data
    row = dict(json.loads(episodes.read_text().splitlines()[0]), benchmark=benchmark)
    path = tmp_path / "eps.jsonl"
    path.write_text(json.dumps(row) + "\n")
    seen, real = [], adapted.AdaptedT5.task_state
    monkeypatch.setattr(adapted.AdaptedT5, "task_state",
                        lambda self, ids, *a, **k: seen.append(ids[0].tolist()) or real(self, ids, *a, **k))
    assert main(["attention", "--checkpoint", str(runs["layerwise"]), "--episodes", str(path), "--out",
                 str(tmp_path / "a.safetensors")]) == 0
    _, tok, _ = adapted.load(runs["layerwise"])
    assert seen == [tok(row["hyper_input"], add_special_tokens=eos)["input_ids"]]


SHOTS_TASK = {"Positive Examples": [{"input": f"Input: {a} {b} {c}", "output": f"{c} {b} {a}"}
                                    for a, b, c in [("red", "blue", "green"), ("cat", "dog", "bird"),
                                                    ("tree", "stone", "river"), ("cloud", "sun", "moon")] * 4]}


@pytest.fixture(scope="module")
def p3_runs(trained_run_factory, unit_data, tmp_path_factory):
    """A hart run whose run.benchmark is suite-p3, and one trained on P3 episodes without run.benchmark."""
    episodes, _ = unit_data
    rows = [dict(json.loads(line), benchmark="suite-p3") for line in episodes.read_text().splitlines()]
    p3_eps = tmp_path_factory.mktemp("p3-eps") / "train.jsonl"
    p3_eps.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return {"named": trained_run_factory("p3-named", run={"benchmark": "suite-p3"}),
            "episodes": trained_run_factory("p3-episodes", train={"episodes": str(p3_eps)})}


def _no_eos_len(tok, text):
    return len(tok(text, add_special_tokens=False)["input_ids"])


@pytest.mark.parametrize("which", ["named", "episodes"])
def test_p3_run_adapts_from_16_shots_and_reports_dropped_shots(which, p3_runs, tmp_path, capsys):
    """A P3 run reads the 16-shot format (no definition, no EOS) it was trained on; shots beyond
    max_hyper_len (96 tokens here) are dropped with a warning, and prefixes.json holds the text read."""
    from hart.model.adapted import load

    run = p3_runs[which]
    (tmp_path / "task.json").write_text(json.dumps(SHOTS_TASK))  # no Definition: P3 has none
    assert main(["adapt", "--checkpoint", str(run), "--task", str(tmp_path / "task.json"),
                 "--out", str(tmp_path / "o")]) == 0
    meta = json.loads((tmp_path / "o" / "prefixes.json").read_text())
    model, tok, _ = load(run)
    blocks = [f"{ex['input']}\n{ex['output']}" for ex in SHOTS_TASK["Positive Examples"]]
    kept = max(n for n in range(1, 17) if _no_eos_len(tok, "\n\n".join(blocks[:n])) <= 96)
    assert 1 < kept < 16
    assert meta["hyper_format"] == "16-shots" and meta["hyper_input"] == "\n\n".join(blocks[:kept])
    assert meta["truncation"] == {"demonstrations_dropped": 16 - kept, "cut_at_tokens": None}
    assert f"max_hyper_len=96 tokens: {16 - kept} demonstration(s) dropped" in capsys.readouterr().err
    enc = tok([meta["hyper_input"]], add_special_tokens=False, return_tensors="pt")
    with torch.no_grad():
        direct = model.task_state(enc["input_ids"], enc["attention_mask"])
    torch.testing.assert_close(load_file(str(tmp_path / "o" / "prefixes.safetensors"))["enc_k"], direct.prefixes.enc_k)


def test_p3_run_records_the_cut_text_when_one_shot_is_too_long(p3_runs, tmp_path, capsys):
    from hart.model.adapted import load

    long = {"Positive Examples": [{"input": "Input: " + " ".join(["red blue green"] * 60), "output": "red"},
                                  {"input": "Input: cat", "output": "cat"}]}
    (tmp_path / "task.json").write_text(json.dumps(long))
    assert main(["adapt", "--checkpoint", str(p3_runs["named"]), "--task", str(tmp_path / "task.json"),
                 "--out", str(tmp_path / "o")]) == 0
    meta = json.loads((tmp_path / "o" / "prefixes.json").read_text())
    _, tok, _ = load(p3_runs["named"])
    assert meta["truncation"] == {"demonstrations_dropped": 1, "cut_at_tokens": 96}
    assert meta["hyper_input"].startswith("Input: red blue green") and _no_eos_len(tok, meta["hyper_input"]) <= 96
    assert len(meta["hyper_input"]) < len(long["Positive Examples"][0]["input"])
    assert "1 demonstration(s) dropped, the rest cut at 96 tokens" in capsys.readouterr().err
