"""`hart report`, `hart plan` and `hart data`: bad results, bad numbers, leakage at build time; nothing written."""

from __future__ import annotations

import json
import shutil

import pytest

from badcase import write_jsonl


def _result(seed=0, **change):
    r = {"meta": {}, "benchmark": "sni", "scale": "large", "method": "hart", "seed": seed, "metric": "rougeL",
         "score": 47.0, "breakdown": {"columns": {}}}
    r.update(change)
    return r


def _table(tmp_path, *results, extra=()):
    paths = []
    for i, r in enumerate(results):
        p = tmp_path / f"r{i}.json"
        p.write_text(r if isinstance(r, str) else json.dumps(r))
        paths.append(p)
    return ["report", "table", "--name", "table2", "--methods", "hart", "--results", *paths,
            "--out", tmp_path / "out" / "t2", *extra]


RESULTS = {
    "NaN score": ('{"meta": {}, "benchmark": "sni", "scale": "large", "method": "hart", "seed": 0, '
                  '"metric": "rougeL", "score": NaN, "breakdown": {}}', ["r0.json", "'score'", "nan"]),
    "infinite score": (json.dumps(_result()).replace("47.0", "Infinity"), ["r0.json", "'score'", "inf"]),
    "score a string": (_result(score="47"), ["r0.json", "'score'"]),
    "score null": (_result(score=None), ["r0.json", "'score'"]),
    "method missing": ({k: v for k, v in _result().items() if k != "method"}, ["r0.json", "'method'"]),
    "seed a string": (_result(seed="0"), ["r0.json", "'seed'"]),
    "not an object": ("[1]", ["r0.json", "JSON object"]),
    "not JSON": ("{", ["r0.json", "not valid JSON"]),
    "not UTF-8": (None, ["r0.json", "not UTF-8"]),
}


@pytest.mark.parametrize("case", sorted(RESULTS))
def test_bad_result(case, tmp_path, expect):
    content, needles = RESULTS[case]
    argv = _table(tmp_path, content if content is not None else "x")
    if content is None:
        (tmp_path / "r0.json").write_bytes(b'{"score": "\xff"}')
    expect(argv, needles, watch=[tmp_path / "out"])


def test_nan_breakdown_column(tmp_path, expect):
    r = _result(benchmark="p3", metric="accuracy", breakdown={"columns": {"ANLI": float("nan")}})
    argv = ["report", "table", "--name", "table3", "--methods", "hart", "--results", tmp_path / "r.json",
            "--out", tmp_path / "out" / "t3"]
    (tmp_path / "r.json").write_text(json.dumps(r))
    expect(argv, ["not a finite number"], watch=[tmp_path / "out"])


def test_result_missing(tmp_path, expect):
    expect(["report", "table", "--name", "table2", "--results", tmp_path / "none.json", "--out", tmp_path / "out" / "t"],
           ["none.json", "not found"], watch=[tmp_path / "out"])


def test_result_is_a_folder(tmp_path, expect):
    (tmp_path / "res").mkdir()
    expect(["report", "table", "--name", "table2", "--results", tmp_path / "res", "--out", tmp_path / "out" / "t"],
           ["res"], watch=[tmp_path / "out"])


@pytest.mark.parametrize("value", ["-1", "11", "two"])
def test_bad_decimals(value, tmp_path, expect):
    expect(_table(tmp_path, _result(), extra=["--decimals", value]), ["--decimals", value], watch=[tmp_path / "out"])


def test_bad_scale_map(tmp_path, expect):
    expect(_table(tmp_path, _result(), extra=["--scale-map", "large"]), ["--scale-map", "'large'"],
           watch=[tmp_path / "out"])


def _disk_full_on_rename(monkeypatch, suffix: str) -> None:
    """os.replace fails with ENOSPC for a destination ending in ``suffix`` (the last write of a set)."""
    import errno
    import os

    real = os.replace

    def replace(src, dst):
        if str(dst).endswith(suffix):
            raise OSError(errno.ENOSPC, "No space left on device", str(dst))
        return real(src, dst)
    monkeypatch.setattr(os, "replace", replace)


def test_table_written_all_or_nothing(tmp_path, expect, monkeypatch):
    """The third of csv/md/tex fails to be renamed (disk full): the first two are removed again."""
    _disk_full_on_rename(monkeypatch, ".tex")
    expect(_table(tmp_path, _result(scale="tiny")), ["t2.tex", "disk full"], watch=[tmp_path / "out"])


def test_figure_written_all_or_nothing(tmp_path, expect, monkeypatch):
    """The PDF of a figure fails to be renamed (disk full): its CSV and PNG are not left behind either."""
    logs = []
    for name in ("sni-noar", "sni-ar", "p3-noar", "p3-ar"):
        log = write_jsonl(tmp_path / f"{name}.jsonl", [{"step": s, "loss_pred": 3.0 - s / 10} for s in range(1, 6)])
        logs.append(f"{name}={log}")
    _disk_full_on_rename(monkeypatch, ".pdf")
    expect(["report", "figure", "--name", "fig3", "--inputs", *logs, "--out", tmp_path / "out" / "f3"],
           ["f3.pdf", "disk full"], watch=[tmp_path / "out"])


@pytest.mark.parametrize("value", ["0", "-3"])
def test_figure_bad_smooth(value, tmp_path, expect):
    expect(["report", "figure", "--name", "fig3", "--inputs", tmp_path / "x.jsonl", "--out", tmp_path / "out" / "f",
            "--smooth", value], ["--smooth", value], watch=[tmp_path / "out"])


LOGS = {
    "torn line": ('{"step": 1, "loss": 2.0}\n{"step": 2, "lo', ["log.jsonl:2", "not valid JSON"]),
    "empty": ("", ["log.jsonl", "no logged steps"]),
    "not an object": ("[1]\n", ["log.jsonl:1", "JSON object"]),
}


@pytest.mark.parametrize("case", sorted(LOGS))
def test_log_csv_bad_log(case, tmp_path, expect):
    text, needles = LOGS[case]
    (tmp_path / "log.jsonl").write_text(text)
    expect(["report", "log-csv", tmp_path / "log.jsonl", tmp_path / "out" / "log.csv"], needles, watch=[tmp_path / "out"])


@pytest.mark.parametrize("option,value", [("--mfu", "0"), ("--mfu", "-0.4"), ("--mfu", "1.5"), ("--mfu", "nan"),
                                          ("--mfu", "x"), ("--gpus", "0"), ("--gpus", "-8"), ("--gpus", "2.5")])
def test_plan_bad_numbers(option, value, tmp_path, expect):
    expect(["plan", "--scale", "large", "--target", "table2", option, value], [option, value], watch=[tmp_path])


@pytest.mark.parametrize("option,value", [("--max-hyper-len", "0"), ("--max-hyper-len", "-5"),
                                          ("--vocab-size", "0"), ("--seed", "-1"), ("--seed", "1.5")])
def test_suite_bad_numbers(option, value, tmp_path, expect):
    expect(["data", "suite", "--out", tmp_path / "suite", option, value], [option, value], watch=[tmp_path / "suite"])


def _episodes_argv(raw, tmp_path, unit_data, *extra):
    from pathlib import Path

    config = Path(__file__).resolve().parents[2] / "config" / "data" / "sources.yaml"
    return ["data", "episodes", "--config", config, *extra, "--benchmark", "suite-sni", "--raw", raw,
            "--out", tmp_path / "eps" / "suite-sni", "--tokenizer", unit_data[1]]


def test_episodes_task_in_train_and_test_lists(suite_sni_raw, unit_data, tmp_path, expect):
    """Leakage at build time: a test task added to the training list stops the build; no output, no stage left."""
    raw = tmp_path / "raw"
    shutil.copytree(suite_sni_raw, raw)
    split = raw / "splits" / "default"
    test_task = split.joinpath("test_tasks.txt").read_text().split()[0]
    with split.joinpath("train_tasks.txt").open("a") as fh:
        fh.write(test_task + "\n")
    expect(_episodes_argv(raw, tmp_path, unit_data), [test_task, "leakage"], watch=[tmp_path / "eps"])


def test_episodes_raw_missing(unit_data, tmp_path, expect):
    expect(_episodes_argv(tmp_path / "nope", tmp_path, unit_data), ["nope", "not found"], watch=[tmp_path / "eps"])


def test_episodes_config_duplicate_key(suite_sni_raw, unit_data, tmp_path, expect):
    bad = tmp_path / "o.yaml"
    bad.write_text("data:\n  seed: 1\n  seed: 2\n")
    expect(_episodes_argv(suite_sni_raw, tmp_path, unit_data, "--config", bad), ["o.yaml", "duplicate key 'seed'"],
           watch=[tmp_path / "eps"])


def test_episodes_stale_stage_of_a_killed_build_is_removed(suite_sni_raw, unit_data, tmp_path, capsys):
    """A build killed mid-way left its staging folder (pid no longer alive): the next build removes it."""
    from hart.cli import main

    stale = tmp_path / "eps" / ".suite-sni.episodes.999999999.abc"
    stale.mkdir(parents=True)
    (stale / "train.jsonl").write_text("partial")
    legacy = tmp_path / "eps" / "suite-sni" / ".episodes.xyz"  # the old layout: inside the output
    legacy.mkdir(parents=True)
    override = write_jsonl(tmp_path / "o.yaml", ["data: {sni: {max_train_instances: 1, max_test_instances: 1}}"])
    assert main([str(a) for a in _episodes_argv(suite_sni_raw, tmp_path, unit_data, "--config", override)]) == 0
    assert not stale.exists() and not legacy.exists()
    assert sorted(p.name for p in (tmp_path / "eps").iterdir()) == ["suite-sni"]
    stats = json.loads((tmp_path / "eps" / "suite-sni" / "stats.json").read_text())
    assert "truncation" in stats and "per_task" in stats["truncation"]
