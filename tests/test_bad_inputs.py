"""Bad inputs to train / evaluate / adapt: a message naming the file or key, exit 2, no partial output.

Each case builds a broken input from a valid tiny setup, runs the real CLI in-process and checks
(1) the exit status, (2) that the message names the file/key/value, (3) that the output path was
not created. docs/reliability.md lists these and the data-stage cases tested in tests/data/.
"""

import json
import shutil

import pytest

from hart.cli import main
from hart.train.loop import train
from unitdata import tiny_config


@pytest.fixture(scope="module")
def trained(unit_data, tmp_path_factory):
    episodes, tok = unit_data
    run = tmp_path_factory.mktemp("bad") / "run"
    assert train(tiny_config(episodes, tok, "hart", steps=2), run) == 0
    return run


def _cfg(unit_data, tmp_path, mutate, name="cfg.json"):
    episodes, tok = unit_data
    cfg = tiny_config(episodes, tok, "hart", steps=2)
    text = mutate(cfg, tmp_path)
    path = tmp_path / name
    path.write_text(text if isinstance(text, str) else json.dumps(cfg))
    return path


def _set(section, key, value):
    def f(cfg, tmp):
        cfg[section][key] = value
    return f


def _episodes(content):
    def f(cfg, tmp):
        p = tmp / "eps.jsonl"
        p.write_text(content)
        cfg["train"]["episodes"] = str(p)
    return f


def _wrong_tokenizer(cfg, tmp):
    src = cfg["model"]["tokenizer"]
    dst = tmp / "tok"
    shutil.copytree(src, dst)
    tj = json.loads((dst / "tokenizer_config.json").read_text())
    tj["pad_token"] = "</s>"  # pad id 1: not a T5-shaped tokenizer
    (dst / "tokenizer_config.json").write_text(json.dumps(tj))
    cfg["model"]["tokenizer"] = str(dst)


TRAIN_CASES = {
    "unknown key": (_set("train", "learning_rate", 0.1), ["cfg.json", "learning_rate"]),
    "wrong type": (_set("train", "steps", "ten"), ["cfg.json", "train.steps"]),
    "bad enum value": (_set("train", "optimizer", "sgd"), ["cfg.json", "train.optimizer", "sgd"]),
    "negative value": (_set("train", "lr", -1.0), ["cfg.json", "train.lr"]),
    "unknown section": (lambda c, t: c.update({"trian": {}}), ["cfg.json", "trian"]),
    "not YAML": (lambda c, t: "train: [unclosed", ["cfg.json", "not valid YAML"]),
    "top level not a mapping": (lambda c, t: "- a\n- b\n", ["cfg.json", "mapping"]),
    "batch not a multiple": (_set("train", "batch_size", 6), ["train.batch_size=6", "micro_batch_size"]),
    "episodes missing": (_set("train", "episodes", "/nonexistent/eps.jsonl"), ["/nonexistent/eps.jsonl", "not found"]),
    "episode line not JSON": (_episodes('{"query": "a"\n'), ["eps.jsonl:1", "not valid JSON"]),
    "episode field missing": (_episodes('{"query": "a", "hyper_input": "b"}\n'), ["eps.jsonl:1", "'target'"]),
    "empty split": (_episodes(""), ["eps.jsonl", "empty split"]),
    "tokenizer missing": (_set("model", "tokenizer", "/nonexistent/tok"), ["/nonexistent/tok", "no tokenizer"]),
    "wrong tokenizer": (_wrong_tokenizer, ["tok", "wrong tokenizer"]),
    "init_from missing": (_set("train", "init_from", "/nonexistent/run"), ["/nonexistent/run/model.safetensors"]),
    "eval-only method": (lambda c, t: c["method"].update({"generator": "none", "eval_only": True, "name": "t0-3b"}),
                         ["t0-3b", "evaluation-only"]),
}


@pytest.mark.parametrize("case", sorted(TRAIN_CASES))
def test_train_rejects(case, unit_data, tmp_path, capsys):
    mutate, needles = TRAIN_CASES[case]
    cfg = _cfg(unit_data, tmp_path, mutate)
    out = tmp_path / "out"
    assert main(["train", "--config", str(cfg), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    for needle in needles:
        assert needle in err, (case, err)
    assert not (out / "model.safetensors").exists() and not (out / "checkpoints").exists()


def _copy_run(trained, tmp_path, edit):
    run = tmp_path / "run"
    shutil.copytree(trained, run)
    edit(run)
    return run


RUN_CASES = {
    "checkpoint missing": (lambda r: shutil.rmtree(r), ["run", "no config.json"]),
    "weights missing": (lambda r: (r / "model.safetensors").unlink(), ["model.safetensors", "missing"]),
    "weights truncated": (lambda r: (r / "model.safetensors").write_bytes((r / "model.safetensors").read_bytes()[:100]),
                          ["model.safetensors", "not a readable safetensors"]),
    "config not JSON": (lambda r: (r / "config.json").write_text("{"), ["config.json", "not valid JSON"]),
    "config key invalid": (lambda r: (r / "config.json").write_text(json.dumps({"model": {"d_model": "x"}})),
                           ["config.json", "model.d_model"]),
}


@pytest.mark.parametrize("case", sorted(RUN_CASES))
def test_adapt_and_attention_reject_bad_runs(case, trained, unit_data, tmp_path, capsys):
    edit, needles = RUN_CASES[case]
    run = _copy_run(trained, tmp_path, edit)
    task = tmp_path / "task.json"
    task.write_text(json.dumps({"Definition": ["d"], "Positive Examples": [{"input": "a", "output": "b"}]}))
    out = tmp_path / "adapted"
    assert main(["adapt", "--checkpoint", str(run), "--task", str(task), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    for needle in needles:
        assert needle in err, (case, err)
    assert not out.exists()


TASK_CASES = {
    "task not JSON": ("{", ["task.json", "not valid JSON"]),
    "task not an object": ("[1, 2]", ["task.json", "object"]),
    "definition empty": (json.dumps({"Definition": [" "], "Positive Examples": [{"input": "a", "output": "b"}]}),
                         ["task.json", "'Definition'"]),
    "examples wrong type": (json.dumps({"Definition": ["d"], "Positive Examples": [{"input": 3, "output": "b"}]}),
                            ["task.json", "Positive Examples[0].input"]),
    "duplicate instance ids": (json.dumps({"Definition": ["d"], "Positive Examples": [{"input": "a", "output": "b"}],
                                           "Instances": [{"id": "x", "input": "a", "output": ["b"]},
                                                         {"id": "x", "input": "c", "output": ["d"]}]}),
                               ["task.json", "duplicate instance id"]),
}


@pytest.mark.parametrize("case", sorted(TASK_CASES))
def test_adapt_rejects_bad_tasks(case, trained, tmp_path, capsys):
    text, needles = TASK_CASES[case]
    task = tmp_path / "task.json"
    task.write_text(text)
    out = tmp_path / "adapted"
    assert main(["adapt", "--checkpoint", str(trained), "--task", str(task), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    for needle in needles:
        assert needle in err, (case, err)
    assert not out.exists()
