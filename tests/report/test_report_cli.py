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
