"""The tiny reproduction end to end on a fresh copy: every table and figure, no empty cell, and a
rerun that does nothing. Marked slow and e2e (about 15 minutes on 2 cores): run it with
`pytest -m e2e`; the README's test command leaves it out and CI runs a tiny target through SLURM.
"""

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.e2e
def test_tiny_pipeline_end_to_end(tmp_path):
    repo = tmp_path / "repo"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(repo)], check=True)
    # as the README runs it: the venv's snakemake, venv NOT activated (`hart` is not on PATH)
    env = dict(os.environ, PATH=os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep)
                                               if Path(p) != Path(sys.executable).parent))
    snakemake = [sys.executable, "-m", "snakemake"]
    run = subprocess.run([*snakemake, "-c2"], cwd=repo, env=env, capture_output=True, text=True, timeout=3600)
    assert run.returncode == 0, run.stderr[-4000:]
    for name in ("table2", "table3", "table4", "table5"):
        for ext in ("csv", "md", "tex"):
            assert (repo / "results" / f"{name}.{ext}").stat().st_size > 0
        rows = list(csv.DictReader((repo / "results" / f"{name}.csv").open()))
        assert rows and all(r["mean"] != "" for r in rows), f"{name}: empty cell"
    for name in ("fig1", "fig3", "fig4"):
        assert (repo / "results" / f"{name}.png").read_bytes()[:4] == b"\x89PNG"
        assert (repo / "results" / f"{name}.pdf").read_bytes()[:4] == b"%PDF"
    again = subprocess.run([*snakemake, "-c2", "-n"], cwd=repo, env=env, capture_output=True, text=True)
    assert "Nothing to be done" in again.stdout + again.stderr
    report = subprocess.run([*snakemake, "--report", "results/report.html"], cwd=repo, env=env,
                            capture_output=True, text=True, timeout=600)
    assert report.returncode == 0, report.stderr[-3000:]
    html = (repo / "results" / "report.html").read_text(errors="replace")
    assert "table2.md" in html and "fig3.png" in html
