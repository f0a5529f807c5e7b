"""Runs that cannot be used as asked: a base checkpoint changed after training (base-model reference
by hash, done.json ``base_sha256``), and `hart adapt` on a method without a hypernetwork."""

from __future__ import annotations

import json
import shutil

import pytest

from badcase import copy_run, eval_rows, write_jsonl
from hart.config import load_yaml, project_root


@pytest.fixture(scope="module")
def based(runs, trained_run_factory, tmp_path_factory):
    """(a hart run trained on top of a base checkpoint, that base's path, its original bytes)."""
    base = tmp_path_factory.mktemp("base") / "base.safetensors"
    shutil.copy(runs["hart"] / "model.safetensors", base)  # main.* of a trained run: a complete main T5
    run = trained_run_factory("on-base", model={"base_checkpoint": str(base)})
    return run, base, base.read_bytes()


@pytest.fixture
def base_case(based, tmp_path):
    """The run on a base and its base file; the base's bytes are put back after the test."""
    run, base, original = based
    yield copy_run(run, tmp_path / "run"), base
    base.write_bytes(original)


def _flip(base, runs, run):
    data = bytearray(base.read_bytes())
    data[-3] ^= 0xFF  # a weight, not the header: still a readable, loadable file
    base.write_bytes(bytes(data))


def _replace(base, runs, run):
    shutil.copy(runs["hart_b"] / "model.safetensors", base)  # another complete main model


def _drop_record(base, runs, run):
    done = json.loads((run / "done.json").read_text())
    done.pop("base_sha256")
    (run / "done.json").write_text(json.dumps(done))


BASE_CASES = {
    "base changed after training": (_flip, ["base.safetensors", "sha256 differs"]),
    "base replaced by another model": (_replace, ["base.safetensors", "sha256 differs"]),
    "base removed": (lambda base, runs, run: base.unlink(), ["base.safetensors", "not found"]),
    "done.json without the base hash": (_drop_record, ["done.json", "base_sha256"]),
}


def _argv(command, run, tmp_path):
    if command == "evaluate":
        cfg = write_jsonl(tmp_path / "eval.yaml", ["evaluate: {batch_size: 4, max_new_tokens: 3}"])
        eps = write_jsonl(tmp_path / "test.jsonl", eval_rows())
        return ["evaluate", "--config", cfg, "--checkpoint", run, "--episodes", eps,
                "--out", tmp_path / "ev" / "r.json"]
    task = tmp_path / "task.json"
    task.write_text(json.dumps({"Definition": ["d"], "Positive Examples": [{"input": "a", "output": "b"}]}))
    return ["adapt", "--checkpoint", run, "--task", task, "--out", tmp_path / "ev"]


@pytest.mark.parametrize("command", ["evaluate", "adapt"])
@pytest.mark.parametrize("case", sorted(BASE_CASES))
def test_base_checkpoint_changed_after_training_is_refused(case, command, base_case, runs, tmp_path, expect):
    run, base = base_case
    edit, needles = BASE_CASES[case]
    edit(base, runs, run)
    expect(_argv(command, run, tmp_path), needles, watch=[tmp_path / "ev", run])


@pytest.mark.parametrize("command", ["evaluate", "adapt"])
def test_untouched_base_is_accepted(command, base_case, tmp_path, capsys):
    """The control: with the base as trained on, both commands succeed."""
    from hart.cli import main

    run, _ = base_case
    assert "base_sha256" in json.loads((run / "done.json").read_text())
    assert main([str(a) for a in _argv(command, run, tmp_path)]) == 0, capsys.readouterr().err


@pytest.fixture(scope="module")
def plain_runs(trained_run_factory):
    """Runs of methods without a hypernetwork: full fine-tuning, a learned prefix, LoRA."""
    lora = load_yaml(project_root() / "config" / "method" / "lora.yaml")["method"]
    return {"ft-few-shot": trained_run_factory("ft-few-shot", "ft-few-shot"),
            "prefix-tuning": trained_run_factory("prefix-tuning", "prefix-tuning"),
            "lora": trained_run_factory("lora", method=lora)}


@pytest.mark.parametrize("source", ["--task", "--prefixes"])
@pytest.mark.parametrize("method", ["ft-few-shot", "prefix-tuning", "lora"])
def test_adapt_refuses_a_method_without_hypernetwork(method, source, plain_runs, runs, tmp_path, expect):
    from hart.cli import main

    task = tmp_path / "task.json"
    task.write_text(json.dumps({"Definition": ["d"], "Positive Examples": [{"input": "a", "output": "b"}]}))
    if source == "--task":
        argv = ["adapt", "--checkpoint", plain_runs[method], "--task", task, "--out", tmp_path / "ad", "--query", "x"]
        watch = [tmp_path / "ad"]
    else:  # prefixes a hart run made, offered to a run that has no hypernetwork
        made = main(["adapt", "--checkpoint", str(runs["hart"]), "--task", str(task), "--out", str(tmp_path / "p")])
        assert made == 0
        argv = ["adapt", "--checkpoint", plain_runs[method], "--prefixes", tmp_path / "p", "--query", "x"]
        watch = [tmp_path / "p"]
    expect(argv, [str(plain_runs[method]), f"method '{method}'", "no hypernetwork"], watch=watch)
