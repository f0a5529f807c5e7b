"""A build killed mid-way (kill -9) leaves its staging folder behind; the next build removes it
(hart.io.stage_dir, used by every builder that stages a folder before renaming it into place)."""

from __future__ import annotations

import os

DEAD = 999_999_999  # above any pid_max: no such process


def _stages(parent, name):
    return sorted(p.name for p in parent.glob(f".{name}.*"))


def test_stage_dir_removes_dead_and_legacy_stages_only(tmp_path):
    from hart.io import stage_dir

    for kept in (f".suite-build.{os.getpid()}.live1234",  # a build still running (this process)
                 ".suite-build.episodes.1.x"):  # another builder's stage that shares the prefix
        (tmp_path / kept).mkdir()
    for gone in (f".suite-build.{DEAD}.dead1234", ".suite-build.ab12cd34"):  # dead pid; pid-less (old code)
        (tmp_path / gone / "new").mkdir(parents=True)
    (tmp_path / f".suite-build.{DEAD}.file").write_text("not a folder: left alone")
    new = stage_dir(tmp_path, "suite-build")
    assert new.is_dir() and new.name.startswith(f".suite-build.{os.getpid()}.")
    assert _stages(tmp_path, "suite-build") == sorted([f".suite-build.{os.getpid()}.live1234", new.name,
                                                       ".suite-build.episodes.1.x", f".suite-build.{DEAD}.file"])


def test_suite_p3_build_removes_a_killed_builds_stage(tmp_path):
    from hart.data.suite.p3 import write_p3

    (tmp_path / f".suite-p3.{DEAD}.abcd1234" / "train.jsonl").parent.mkdir()
    write_p3(tmp_path / "suite-p3", seed=0)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["suite-p3"]


def test_data_suite_removes_a_killed_builds_stage_inside_its_output(tmp_path, capsys):
    """`hart data suite` stages inside its (DVC-tracked) output folder: a killed build's stage went
    unnoticed there until every later build removed it."""
    from hart.cli import main

    out = tmp_path / "suite"
    (out / f".suite-build.{DEAD}.abcd1234" / "new").mkdir(parents=True)
    (out / ".suite-build.ab12cd34").mkdir()  # the old code's pid-less name
    assert main(["data", "suite", "--out", str(out), "--vocab-size", "300"]) == 0, capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == ["suite-p3", "suite-sni", "tokenizer"]


def test_file_temporaries_of_a_killed_writer_are_removed(tmp_path, capsys):
    """A writer killed between staging and renaming leaves ``.<name>.<pid>.<random>.tmp`` beside the
    output; the next write of that file removes it (a live writer's temporary is kept)."""
    from hart.cli import main
    from hart.io import write_together

    out = tmp_path / "out"
    out.mkdir()
    dead, live = out / f".log.csv.{DEAD}.ab12.tmp", out / f".log.csv.{os.getpid()}.cd34.tmp"
    other = out / f".other.csv.{DEAD}.ef56.tmp"  # another file's temporary: left to that file's next write
    for p in (dead, live, other):
        p.write_text("partial")
    (tmp_path / "log.jsonl").write_text('{"step": 1, "loss_pred": 2.0}\n')
    assert main(["report", "log-csv", str(tmp_path / "log.jsonl"), str(out / "log.csv")]) == 0, capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == sorted(["log.csv", live.name, other.name])
    write_together({out / "other.csv": "a\n", out / "third.csv": "b\n"})
    assert sorted(p.name for p in out.iterdir()) == sorted(["log.csv", live.name, "other.csv", "third.csv"])
