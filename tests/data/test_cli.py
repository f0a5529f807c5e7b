"""`hart data` through the real CLI entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from hart.cli import main

CONFIG = str(Path(__file__).resolve().parents[2] / "config" / "data" / "sources.yaml")


def test_help_lists_subcommands(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["data", "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "download" in out and "episodes" in out


def test_suite_sni_episodes_via_cli(shared_data, tmp_path, capsys):
    override = tmp_path / "o.yaml"
    override.write_text(yaml.safe_dump({"data": {"seed": 9, "sni": {"max_train_instances": 2}}}))
    out = tmp_path / "suite-sni"
    rc = main(["data", "episodes", "--config", CONFIG, "--config", str(override),
               "--benchmark", "suite-sni", "--raw", str(shared_data / "sni"), "--out", str(out),
               "--tokenizer", str(shared_data / "t5" / "tokenizer")])  # fmt: skip
    assert rc == 0
    assert "train 18 episodes / 9 tasks" in capsys.readouterr().out
    recs = [json.loads(x) for x in (out / "train.jsonl").read_text().splitlines()]
    assert {r["benchmark"] for r in recs} == {"suite-sni"} and len(recs) == 18
    assert json.loads((out / "stats.json").read_text())["seed"] == 9
    assert sorted(p.name for p in out.iterdir()) == ["stats.json", "test.jsonl", "train.jsonl"]


def test_config_typo_is_rejected_before_work(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({"data": {"sni": {"max_train_instance": 5}}}))
    rc = main(["data", "episodes", "--config", str(bad), "--benchmark", "sni",
               "--raw", str(tmp_path), "--out", str(tmp_path / "o")])  # fmt: skip
    assert rc == 2
    err = capsys.readouterr().err
    assert "bad.yaml" in err and "data.sni" in err and "max_train_instance" in err
    assert not (tmp_path / "o").exists()


def test_missing_tokenizer_and_unknown_source(tmp_path, capsys):
    rc = main(["data", "episodes", "--config", CONFIG, "--benchmark", "sni", "--raw", str(tmp_path),
               "--out", str(tmp_path / "o")])  # fmt: skip
    assert rc == 2 and "tokenizer" in capsys.readouterr().err
    empty = tmp_path / "empty.yaml"
    empty.write_text("data: {sources: {}}\n")
    rc = main(["data", "download", "--config", str(empty), "--source", "c4", "--cache", str(tmp_path / "c")])
    assert rc == 2 and "data.sources.c4" in capsys.readouterr().err
