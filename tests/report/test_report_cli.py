"""`hart report table|figure` through the real CLI entry point: files, exit codes, config defaults."""

import json

from hart.cli import main


def test_report_cli(tmp_path, write_log):
    log = write_log(tmp_path / "results/train/p3/large/hart/seed0/train_log.jsonl", 0.01)
    log2 = write_log(tmp_path / "results/train/p3/large/hart-nolc/seed0/train_log.jsonl", 0.02)
    assert main(["report", "figure", "--name", "fig4", "--inputs", str(log), str(log2),
                 "--out", str(tmp_path / "fig4")]) == 0
    assert (tmp_path / "fig4.png").is_file() and (tmp_path / "fig4.pdf").is_file()
    res = []
    for seed in (0, 1):
        for scale in ("large", "xl"):
            p = tmp_path / f"{scale}{seed}.json"
            p.write_text(json.dumps({"meta": {}, "benchmark": "sni", "scale": scale, "method": "hart", "seed": seed,
                                     "metric": "rougeL", "score": 40.0 + seed, "breakdown": {}}))
            res.append(str(p))
    assert main(["report", "table", "--name", "table2", "--methods", "hart", "--results", *res,
                 "--out", str(tmp_path / "t2")]) == 0
    assert "40.5 ± 0.7 (n=2)" in (tmp_path / "t2.md").read_text()
    assert (tmp_path / "t2.csv").is_file() and (tmp_path / "t2.tex").is_file()
    assert main(["report", "table", "--name", "table2", "--results", *res, "--out", str(tmp_path / "t3")]) == 2
    assert not (tmp_path / "t3.md").exists()  # missing rows: an error, no partial table
    cfg = tmp_path / "report.yaml"
    cfg.write_text("report:\n  methods: {table2: [hart]}\n  decimals: 2\n")
    assert main(["report", "table", "--name", "table2", "--results", *res, "--config", str(cfg),
                 "--out", str(tmp_path / "t4")]) == 0
    assert "40.50 ± 0.71 (n=2)" in (tmp_path / "t4.md").read_text()


def test_log_csv(tmp_path, capsys):
    """`hart report log-csv` (rule report_plot_data): every step and value, read back with csv."""
    import csv

    log = tmp_path / "train_log.jsonl"
    steps = [{"step": s, "loss": 1.0 / s, "lr": 0.001 * (10 - s), "loss_cst": 0.0} for s in range(1, 10)]
    log.write_text("".join(json.dumps(r) + "\n" for r in steps) + "\n")
    assert main(["report", "log-csv", str(log), str(tmp_path / "log.csv")]) == 0
    back = list(csv.DictReader((tmp_path / "log.csv").open()))
    assert list(back[0]) == ["loss", "loss_cst", "lr", "step"] and len(back) == 9
    assert [float(r["loss"]) for r in back] == [r["loss"] for r in steps]
    assert [int(r["step"]) for r in back] == list(range(1, 10))

    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(steps[0]) + "\n{not json\n")
    assert main(["report", "log-csv", str(bad), str(tmp_path / "bad.csv")]) == 2
    assert "bad.jsonl:2: not valid JSON" in capsys.readouterr().err
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    assert main(["report", "log-csv", str(empty), str(tmp_path / "empty.csv")]) == 2
    assert not (tmp_path / "bad.csv").exists() and not (tmp_path / "empty.csv").exists()
