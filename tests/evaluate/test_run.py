"""`hart evaluate` end to end on a tiny random T5: files, result shape, scores, meta, reruns."""

import json
import re
import sys
import types

import pytest
import yaml

from hart.cli import main
from hart.config import config_hash
from hart.errors import HartError
from hart.evaluate import metrics
from hart.evaluate.run import evaluate, predictions_path
from hart.meta import PACKAGES, git_commit, meta

RUN = {"benchmark": "suite-sni", "scale": "tiny", "method": "hart", "seed": 0}
KEYS = {"meta", "benchmark", "scale", "method", "seed", "metric", "score", "breakdown"}


def _write(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def sni_rows(benchmark="suite-sni"):
    rows = []
    for t in range(2):
        for i in range(3):
            rows.append({"benchmark": benchmark, "task": f"task{t}", "template": None, "id": f"{t}-{i}",
                         "split": "test", "category": f"cat{t}", "hyper_input": f"Definition: do {t}.",
                         "query": f"Input: item {i}.", "few_shot_input": "x", "tk_instruct_input": "x",
                         "target": "yes", "references": ["yes", "protectie"], "choices": None, "label": None})
    return rows


def p3_rows():
    rows = []
    for task in ("super_glue/cb", "anli/r1"):
        for tpl in ("t1", "t2"):
            for i in range(2):
                rows.append({"benchmark": "p3", "task": task, "template": tpl, "id": f"{task}|{tpl}|{i}",
                             "split": "test", "category": "NLI", "hyper_input": f"shots for {task} {tpl}",
                             "query": f"Premise {i}. Hypothesis? ", "few_shot_input": "x", "tk_instruct_input": "x",
                             "target": "yes", "references": ["yes"], "choices": ["yes", "no", "maybe"], "label": i})
    return rows


@pytest.fixture
def loader(tiny_model, tokenizer):
    calls = []

    def load(checkpoint):
        calls.append(str(checkpoint))
        return tiny_model, tokenizer, {"run": dict(RUN)}

    load.calls = calls
    return load


def test_sni_result_and_predictions(tmp_path, loader):
    config = {"run": RUN, "evaluate": {"batch_size": 2, "max_new_tokens": 4}}
    eps = _write(tmp_path / "test.jsonl", sni_rows())
    out = tmp_path / "res" / "seed0.json"
    result = evaluate(config, "ckpt", eps, out, load=loader)
    assert loader.calls == ["ckpt"]
    on_disk = json.loads(out.read_text())
    assert on_disk == json.loads(json.dumps(result))
    assert set(on_disk) == KEYS
    assert (on_disk["benchmark"], on_disk["metric"], on_disk["method"], on_disk["seed"]) == ("suite-sni", "rougeL", "hart", 0)
    preds = [json.loads(line) for line in predictions_path(out).read_text().splitlines()]
    assert [p["id"] for p in preds] == [r["id"] for r in sni_rows()]
    expected = metrics.sni_scores(sni_rows(), {p["id"]: p["prediction"] for p in preds})
    assert on_disk["score"] == pytest.approx(expected["rougeL"])
    assert set(on_disk["breakdown"]["per_task"]) == {"task0", "task1"}
    assert on_disk["meta"]["config_hash"] == config_hash(config)
    first = out.read_bytes()
    evaluate(config, "ckpt", eps, out, load=loader)
    assert out.read_bytes() == first  # timestamp-free: a rerun is byte-identical


def test_p3_result(tmp_path, loader):
    config = {"run": {**RUN, "benchmark": "p3"}, "evaluate": {"batch_size": 3}}
    out = tmp_path / "p3.json"
    result = evaluate(config, "ckpt", _write(tmp_path / "t.jsonl", p3_rows()), out, load=loader)
    assert result["metric"] == "accuracy" and set(result) == KEYS
    assert set(result["breakdown"]["columns"]) == {"ANLI", "CB"}
    assert result["score"] == pytest.approx(sum(result["breakdown"]["columns"].values()) / 2)
    preds = [json.loads(line) for line in predictions_path(out).read_text().splitlines()]
    assert all(len(p["scores"]) == 3 and p["prediction"] in (0, 1, 2) for p in preds)


def test_limit_keeps_every_task(tmp_path, loader):
    result = evaluate({"run": RUN}, "c", _write(tmp_path / "t.jsonl", sni_rows()), tmp_path / "o.json",
                      limit=1, load=loader)
    assert result["breakdown"]["n"] == 2 and result["breakdown"]["limit"] == 1


def test_mixed_rows_and_missing_axes_fail(tmp_path, loader, tiny_model, tokenizer):
    rows = sni_rows() + p3_rows()
    for r in rows:
        r["benchmark"] = "p3"
    with pytest.raises(HartError, match="some rows have `choices`"):
        evaluate({"run": RUN}, "c", _write(tmp_path / "t.jsonl", rows), tmp_path / "o.json", load=loader)
    with pytest.raises(HartError, match="run.seed"):
        evaluate({"run": {"method": "hart", "scale": "tiny"}}, "c", _write(tmp_path / "u.jsonl", sni_rows()),
                 tmp_path / "o.json", load=lambda c: (tiny_model, tokenizer, {}))


def test_meta_block(tmp_path):
    m = meta({"a": 1}, seed=3, device="cpu")
    assert set(m["packages"]) == set(PACKAGES)
    assert m["packages"]["rouge-score"] != "not installed"
    assert m["seed"] == 3 and m["device"] == "cpu" and m["config_hash"] == config_hash({"a": 1})
    assert re.fullmatch(r"[0-9a-f]{40}|unknown", m["git_commit"])
    assert git_commit(tmp_path) == "unknown"  # not a repository
    assert meta({"a": 1}, seed=3) == m  # deterministic, no timestamp


def test_cli(tmp_path, monkeypatch, tiny_model, tokenizer):
    fake = types.ModuleType("hart.model.adapted")
    fake.load = lambda checkpoint, device=None: (tiny_model, tokenizer, {})
    monkeypatch.setitem(sys.modules, "hart.model", types.ModuleType("hart.model"))
    monkeypatch.setitem(sys.modules, "hart.model.adapted", fake)
    cfg = tmp_path / "config.yaml"
    cfg.write_text(yaml.safe_dump({"run": RUN, "evaluate": {"batch_size": 4, "max_new_tokens": 3}}))
    eps = _write(tmp_path / "test.jsonl", sni_rows())
    out = tmp_path / "eval" / "seed0.json"
    assert main(["evaluate", "--config", str(cfg), "--checkpoint", "ck", "--episodes", str(eps),
                 "--out", str(out), "--limit", "2"]) == 0
    assert json.loads(out.read_text())["breakdown"]["n"] == 4
    cfg.write_text(yaml.safe_dump({"run": RUN, "evaluate": {"batchsize": 4}}))
    assert main(["evaluate", "--config", str(cfg), "--checkpoint", "ck", "--episodes", str(eps),
                 "--out", str(out)]) == 2  # schema error, clear message, no traceback
