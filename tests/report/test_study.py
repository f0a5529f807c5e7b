"""The params study report: paired bootstrap, loss-spike statistics, curve areas, tier tables."""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

import pytest

from hart.errors import HartError
from hart.report import study
from hart.report.study_curve import auc

TASKS = {f"params-{tier}-f-h{i}": {"tier": tier, "chance": {"exact_match": 1.0, "rougeL": 20.0}}
         for tier in ("easy", "hard") for i in range(4)}  # fmt: skip


def _scores(value) -> dict:
    return {t: {"exact_match": value(t), "rougeL": value(t)} for t in TASKS}


def test_paired_bootstrap_pairs_task_and_seed():
    a = {0: _scores(lambda t: 10.0), 1: _scores(lambda t: 20.0)}
    b = {0: _scores(lambda t: 15.0), 1: _scores(lambda t: 25.0), 2: _scores(lambda t: 99.0)}  # seed 2 unpaired
    ci = study.paired_bootstrap(a, b, TASKS, None)
    assert ci["diff"] == pytest.approx(5.0) and ci["lo"] == pytest.approx(5.0) and ci["hi"] == pytest.approx(5.0)
    assert ci["units"] == 16 and ci["seeds"] == 2 and ci["seed_diffs"] == [5.0, 5.0]
    easy = study.paired_bootstrap(a, {0: _scores(lambda t: 30.0 if "easy" in t else 10.0)}, TASKS, "easy")
    assert easy["diff"] == pytest.approx(20.0) and easy["units"] == 4


def test_paired_bootstrap_interval_covers_noise():
    rng = random.Random(1)
    a = {s: _scores(lambda t: 50.0) for s in range(5)}
    b = {s: {t: {"exact_match": 50.0 + rng.gauss(0, 10), "rougeL": 0.0} for t in TASKS} for s in range(5)}
    ci = study.paired_bootstrap(a, b, TASKS, None)
    assert ci["lo"] < ci["diff"] < ci["hi"] and ci["hi"] - ci["lo"] > 1.0


def test_loss_stats_counts_spikes():
    smooth = [2.0 - i / 1000 for i in range(400)]
    spiky = list(smooth)
    for i in (250, 300, 350):
        spiky[i] *= 3
    assert study.loss_stats(smooth)["spikes"] == 0
    bump = list(smooth)
    bump[300] *= 1.3  # below the 1.5 x moving-median threshold: not a spike
    assert study.loss_stats(bump)["spikes"] == 0
    s = study.loss_stats(spiky)
    assert s["spikes"] == 3 and s["step_var"] > study.loss_stats(smooth)["step_var"]
    with pytest.raises(HartError, match="need more than"):
        study.loss_stats(smooth[:40])


def test_auc_is_the_mean_score_over_steps():
    pts = [{"step": 0, "exact_match": 0.0}, {"step": 100, "exact_match": 100.0}, {"step": 300, "exact_match": 100.0}]
    assert auc(pts) == pytest.approx((50 * 100 + 100 * 200) / 300)
    with pytest.raises(HartError):
        auc(pts[:1])


def test_run_of_reads_method_and_seed():
    assert study.run_of("results/evaluate/params-sni/study/hart-nolc/seed3.json") == ("hart-nolc", 3)
    assert study.run_of("results/train/params-sni/study/hart/seed1/train_log.jsonl") == ("hart", 1)
    with pytest.raises(HartError, match="cannot tell the run"):
        study.run_of("results/evaluate/x.json")


def _write_eval(path, per_task):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"metric": "rougeL", "score": 0.0, "breakdown": {"per_task": per_task}}))


def _study_inputs(tmp_path) -> argparse.Namespace:
    """Evaluations and logs of three methods x three seeds, and the tasks file: `hart report study` arguments."""
    tasks = tmp_path / "tasks.json"
    tasks.write_text(json.dumps(TASKS))
    paths, logs = [], []
    for method, base in (("hypertuning", 40.0), ("hart-nolc", 60.0), ("ft-zero-shot", 0.0)):
        for seed in range(3):
            p = tmp_path / "ev" / method / f"seed{seed}.json"
            _write_eval(p, _scores(lambda t: base + seed))
            paths.append(str(p))
            log = tmp_path / "tr" / method / f"seed{seed}" / "train_log.jsonl"
            log.parent.mkdir(parents=True)
            log.write_text("".join(json.dumps({"step": i, "loss_pred": 1.0 + (i % 7) / 10}) + "\n" for i in range(200)))
            logs.append(str(log))
    out = tmp_path / "out" / "study"
    return argparse.Namespace(evaluations=paths, tasks=str(tasks), curves=[], logs=logs, out=str(out), title=None)


def test_report_written_all_or_nothing(tmp_path, monkeypatch, capsys):
    """The md fails to be renamed (disk full): the json and csv written before it are removed again."""
    import errno
    import os

    from hart.cli import main

    args, real = _study_inputs(tmp_path), os.replace

    def replace(src, dst):
        if str(dst).endswith(".md"):
            raise OSError(errno.ENOSPC, "No space left on device", str(dst))
        return real(src, dst)
    monkeypatch.setattr(os, "replace", replace)
    argv = ["report", "study", "--evaluations", *args.evaluations, "--tasks", args.tasks, "--logs", *args.logs,
            "--out", args.out]
    assert main(argv) == 2
    assert "study.md" in capsys.readouterr().err and not (tmp_path / "out").exists()


def test_report_end_to_end(tmp_path):
    args = _study_inputs(tmp_path)
    out = Path(args.out)
    assert study.main(args) == 0
    md = out.with_suffix(".md").read_text()
    s = json.loads(out.with_suffix(".json").read_text())
    step = next(a for a in s["ablation"] if a["to"] == "hart-nolc")
    assert step["exact_match"]["all"]["diff"] == pytest.approx(20.0)
    assert "+1.2 ROUGE-L (45.2 -> 46.4)" in md and "20.0 [20.0, 20.0] (n=24; 3/3 seeds > 0)" in md
    assert s["methods"]["hart-nolc"]["exact_match"]["easy"][0] == pytest.approx(61.0)
    assert "| chance (parameter-blind) | - | 1.0 | 1.0 | 1.0 | 20.0 | 20.0 | 20.0 |" in md
    # Figure 3 / 4 of the study: written from the logs, with the plotted seed means as CSV
    assert (out.parent / "study-fig3.png").read_bytes()[:4] == b"\x89PNG"
    assert (out.parent / "study-fig3.csv").read_text().splitlines()[0] == "step,hypertuning,hart-nolc"
    assert not (out.parent / "study-fig4.png").exists()  # no HART run: no Figure 4


def _args(tmp_path, runs, logs=True) -> argparse.Namespace:
    """`hart report study` arguments for {(method, seed): (per-task score function, loss list)}."""
    tasks = tmp_path / "tasks.json"
    tasks.write_text(json.dumps({t: {**v, "family": "fa" if t.endswith(("h0", "h1")) else "fb"}
                                 for t, v in TASKS.items()}))
    paths, log_paths = [], []
    for (method, seed), (score, losses) in runs.items():
        p = tmp_path / "ev" / method / f"seed{seed}.json"
        _write_eval(p, _scores(score))
        paths.append(str(p))
        log = tmp_path / "tr" / method / f"seed{seed}" / "train_log.jsonl"
        log.parent.mkdir(parents=True)
        log.write_text("".join(json.dumps({"step": i + 1, "loss_pred": x}) + "\n" for i, x in enumerate(losses)))
        log_paths.append(str(log))
    return argparse.Namespace(evaluations=paths, tasks=str(tasks), curves=[], logs=log_paths if logs else [],
                              out=str(tmp_path / "out" / "quick"), title=None)


def test_report_over_one_seed_leaves_the_sd_out(tmp_path):
    """study_quick has one seed per method: no sd (JSON null, '-' nowhere in place of a number)."""
    flat = [1.0] * 100
    args = _args(tmp_path, {("hypertuning", 0): (lambda t: 40.0, flat), ("hart", 0): (lambda t: 50.0, flat)})
    assert study.main(args) == 0
    s = json.loads((tmp_path / "out" / "quick.json").read_text())
    assert s["methods"]["hart"]["exact_match"]["all"] == [50.0, None]
    md = (tmp_path / "out" / "quick.md").read_text()
    assert "| hart | 1 | 50.0 | 50.0 | 50.0 |" in md
    csv = (tmp_path / "out" / "quick.csv").read_text().splitlines()
    assert csv[1].startswith("hart,1,50.000,50.000,50.000,,,,")


def test_glance_report_has_its_title_and_no_empty_sections(tmp_path):
    """study_glance: FT-Zero-Shot, FT-Few-Shot, HyperTuning-no-FiD, one seed, no logs: the tables of
    what was run, under the glance's title; no ablation step, Table 2 row or dynamics claim to show."""
    runs = {("ft-zero-shot", 0): (lambda t: 2.0, []), ("ft-few-shot", 0): (lambda t: 90.0, []),
            ("hypertuning-nopt", 0): (lambda t: 30.0, [])}
    args = _args(tmp_path, runs, logs=False)
    args.title = "The params study at a glance: one seed, 300 training steps"
    assert study.main(args) == 0
    md = (tmp_path / "out" / "quick.md").read_text()
    assert md.startswith("# The params study at a glance: one seed, 300 training steps\n")
    assert "| ft-few-shot | 1 | 90.0 | 90.0 | 90.0 |" in md and "| hypertuning-nopt | 1 | 30.0 |" in md
    assert "## Exact match per family" in md
    assert "## Ablation" not in md and "## Table 2" not in md and "## Figures 3 and 4" not in md
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["quick.csv", "quick.json", "quick.md"]
    # with one step's two runs present, its section is back
    runs[("hypertuning", 0)] = (lambda t: 40.0, [])
    (tmp_path / "b").mkdir()
    args = _args(tmp_path / "b", runs, logs=False)
    assert study.main(args) == 0
    md = (tmp_path / "b" / "out" / "quick.md").read_text()
    assert md.startswith("# The params study: held-out")
    assert "## Ablation" in md and "| + fusion-in-decoder | hypertuning-nopt -> hypertuning | 10.0 [" in md


def test_report_table2_rows_and_families(tmp_path):
    """HART minus each Table 2 row, paired, beside the paper's HART minus that row; EM per family."""
    runs = {}
    for seed in range(3):
        runs[("hypertuning", seed)] = (lambda t: 40.0, [1.0] * 100)
        runs[("hart", seed)] = (lambda t: 70.0 if t.endswith("h0") else 50.0, [1.0] * 100)
        runs[("ft-zero-shot", seed)] = (lambda t: 2.0, [2.0] * 100)
    args = _args(tmp_path, runs)
    assert study.main(args) == 0
    s = json.loads((tmp_path / "out" / "quick.json").read_text())
    rows = {r["method"]: r for r in s["table2"]}
    assert set(rows) == {"hypertuning", "ft-zero-shot"}
    assert rows["hypertuning"]["paper_large"] == pytest.approx(1.6)  # 46.8 - 45.2
    assert rows["ft-zero-shot"]["paper_xl"] == pytest.approx(3.8)   # 50.4 - 46.6
    assert rows["hypertuning"]["exact_match"]["all"]["diff"] == pytest.approx(15.0)  # (30 + 3 x 10) / 4
    assert s["methods"]["hart"]["exact_match_family"]["fa"][0] == pytest.approx(60.0)
    assert s["methods"]["hart"]["exact_match_family"]["fb"][0] == pytest.approx(50.0)
    md = (tmp_path / "out" / "quick.md").read_text()
    assert "| HART - HyperTuning | 15.0 [" in md and "| 1.6 | 1.6 |" in md


def test_dynamics_are_paired_by_seed(tmp_path):
    """Figure 3/4 measures: to - from per seed, mean over seeds, bootstrap over seeds; None with one seed."""
    a = {s: {"spikes": 4.0, "mean_loss": 1.0} for s in range(3)}
    b = {0: {"spikes": 1.0, "mean_loss": 0.5}, 1: {"spikes": 2.0, "mean_loss": 0.7}, 2: {"spikes": 0.0, "mean_loss": 0.6},
         7: {"spikes": 99.0, "mean_loss": 9.0}}  # seed 7 unpaired
    d = study.seed_paired(a, b, "spikes")
    assert d["diff"] == pytest.approx(-3.0) and d["seeds"] == 3 and -4.0 <= d["lo"] <= d["hi"] <= -2.0
    assert study.seed_paired({0: a[0]}, {0: b[0]}, "spikes") is None
    spiky = [2.0 - i / 1000 for i in range(200)]
    for i in (150, 170):
        spiky[i] *= 3
    runs = {("hart-nolc", s): (lambda t: 10.0, spiky) for s in range(2)}
    runs.update({("hart", s): (lambda t: 10.0, [2.0 - i / 1000 for i in range(200)]) for s in range(2)})
    args = _args(tmp_path, runs)
    assert study.main(args) == 0
    s = json.loads((tmp_path / "out" / "quick.json").read_text())
    fig4 = next(v for k, v in s["dynamics"].items() if k.startswith("Figure 4"))
    assert fig4["diff"]["spikes"]["diff"] == pytest.approx(-2.0)
    rows = (tmp_path / "out" / "quick-fig4.csv").read_text().splitlines()
    assert rows[0] == "step,hart-nolc,hart" and rows[1].startswith("101,")  # the second half only


def test_report_refuses_a_ranked_evaluation(tmp_path):
    p = tmp_path / "hart" / "seed0.json"
    p.parent.mkdir()
    p.write_text(json.dumps({"metric": "accuracy", "breakdown": {}}))
    with pytest.raises(HartError, match="not a generative"):
        study.per_task_scores([p])
