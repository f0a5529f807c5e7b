"""A checkpoint belongs to its config: evaluate, adapt and attention refuse a run whose weights do not.

Each corruption is applied to a copy of a trained run; the three commands share hart.runcheck.verify_run
(called from hart.model.adapted.load), so every case runs against each command.
"""

from __future__ import annotations

import json
import shutil

import pytest
import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from badcase import copy_run, eval_rows, write_jsonl
from hart.train.checkpoint import sha256


def _edit_config(section, key, value):
    def f(run, runs):
        cfg = json.loads((run / "config.json").read_text())
        cfg[section][key] = value
        (run / "config.json").write_text(json.dumps(cfg))
    return f


def _copy_from(other, name):
    def f(run, runs):
        layerwise = json.loads((run / "config.json").read_text())["method"]["name"] == "bidir-layerwise"
        src = runs["hart_b"] if other == "other run" else runs["hart" if layerwise else "layerwise"]
        shutil.copy(src / name, run / name)
    return f


def _rewrite_weights(change):
    def f(run, runs):
        path = run / "model.safetensors"
        with safe_open(str(path), "pt") as fh:
            meta = fh.metadata()
        tensors = load_file(str(path))
        meta = change(tensors, meta)
        save_file(tensors, str(path), metadata=meta)
        done = json.loads((run / "done.json").read_text())
        done["sha256"] = sha256(path)  # a consistent record: only the content check can catch it
        (run / "done.json").write_text(json.dumps(done))
    return f


def _poison(value):
    def change(tensors, meta):
        name = next(k for k, v in tensors.items() if v.is_floating_point())
        tensors[name].view(-1)[0] = value
        return meta
    return change


def _flip_byte(run, runs):
    data = bytearray((run / "model.safetensors").read_bytes())
    data[-3] ^= 0xFF  # tensor bytes, not the header: still a readable file
    (run / "model.safetensors").write_bytes(bytes(data))


CASES = {
    "config.json method edited": (_edit_config("method", "name", "hypertuning"), ["model.safetensors", "method"]),
    "config.json key edited": (_edit_config("train", "lr", 0.5), ["model.safetensors", "config_hash"]),
    "config.json geometry edited": (_edit_config("model", "prefix_length", 8), ["model.safetensors", "prefix_length"]),
    "weights of another run": (_copy_from("other run", "model.safetensors"), ["model.safetensors", "another run"]),
    "weights of another method": (_copy_from("other method", "model.safetensors"), ["model.safetensors", "method"]),
    "done.json of another run": (_copy_from("other run", "done.json"), ["done.json", "recorded"]),
    "done.json missing": (lambda run, runs: (run / "done.json").unlink(), ["done.json", "missing"]),
    "done.json not JSON": (lambda run, runs: (run / "done.json").write_text("{"), ["done.json", "not valid JSON"]),
    "weights changed after training": (_flip_byte, ["model.safetensors", "sha256"]),
    "NaN in the weights": (_rewrite_weights(_poison(float("nan"))), ["model.safetensors", "NaN"]),
    "inf in the weights": (_rewrite_weights(_poison(float("-inf"))), ["model.safetensors", "NaN/infinite"]),
    "weights without metadata": (_rewrite_weights(lambda t, m: {}), ["model.safetensors", "method None"]),
}
COMMANDS = ("evaluate", "adapt", "attention")


def _argv(command, run, tmp_path):
    eps = write_jsonl(tmp_path / "test.jsonl", eval_rows())
    if command == "evaluate":
        cfg = tmp_path / "eval.yaml"
        cfg.write_text("evaluate: {batch_size: 4, max_new_tokens: 3}\n")
        return ["evaluate", "--config", cfg, "--checkpoint", run, "--episodes", eps, "--out", tmp_path / "ev" / "r.json"]
    if command == "adapt":
        task = tmp_path / "task.json"
        task.write_text(json.dumps({"Definition": ["d"], "Positive Examples": [{"input": "a", "output": "b"}]}))
        return ["adapt", "--checkpoint", run, "--task", task, "--out", tmp_path / "ev"]
    return ["attention", "--checkpoint", run, "--episodes", eps, "--out", tmp_path / "ev" / "a.safetensors"]


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("case", sorted(CASES))
def test_run_not_matching_its_config_is_refused(case, command, runs, tmp_path, expect):
    edit, needles = CASES[case]
    run = copy_run(runs["layerwise" if command == "attention" else "hart"], tmp_path / "run")
    edit(run, runs)
    expect(_argv(command, run, tmp_path), needles, watch=[tmp_path / "ev", run])


@pytest.mark.parametrize("command", COMMANDS)
def test_untouched_run_is_accepted(command, runs, tmp_path, capsys):
    """The control: the same commands on an unmodified copy succeed (the checks do not refuse good runs)."""
    from hart.cli import main

    run = copy_run(runs["layerwise" if command == "attention" else "hart"], tmp_path / "run")
    assert main([str(a) for a in _argv(command, run, tmp_path)]) == 0, capsys.readouterr().err


@pytest.mark.parametrize("command", COMMANDS)
def test_moved_run_works_from_any_directory(command, unit_data, tmp_path, monkeypatch, capsys):
    """A run trained with a cwd-relative tokenizer path, then moved, is used from another directory by
    each command: the run folder carries its tokenizer (and the base model is checked by its sha256,
    tests/bad_inputs/test_run_kinds.py)."""
    from hart.cli import main
    from hart.train.loop import train
    from unitdata import tiny_config

    episodes, tok = unit_data
    work = tmp_path / "project"
    shutil.copytree(tok, work / "tok")
    monkeypatch.chdir(work)
    cfg = tiny_config(episodes, "tok", "hart", steps=1)
    cfg["method"] = {"name": "bidir-layerwise", "generator": "layerwise", "fid": True, "input_field": "query"}
    assert train(cfg, work / "run") == 0  # layerwise: attention needs it, evaluate and adapt take it too
    assert (work / "run" / "tokenizer").is_dir()
    moved = tmp_path / "elsewhere" / "run"
    shutil.move(str(work / "run"), moved)
    shutil.rmtree(work / "tok")  # what the config names is gone
    monkeypatch.chdir(tmp_path)
    assert main([str(a) for a in _argv(command, moved, tmp_path)]) == 0, capsys.readouterr().err
    made = {"evaluate": "r.json", "adapt": "prefixes.json", "attention": "a.safetensors"}[command]
    assert (tmp_path / "ev" / made).is_file()
