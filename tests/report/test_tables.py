"""Table rendering from constructed result JSONs: mean ± std, n, paper value, difference, errors."""

import csv
import io

import pytest

from hart.errors import HartError
from hart.report.tables import build, render


def result(method, scale, seed, score, benchmark="sni", metric="rougeL", columns=None):
    return {"meta": {}, "benchmark": benchmark, "scale": scale, "method": method, "seed": seed,
            "metric": metric, "score": score, "breakdown": {"columns": columns or {}}}


def table2_results():
    out = []
    for seed, (large, xl) in enumerate([(46.0, 50.0), (47.0, 51.0), (48.0, 52.0)]):
        out += [result("hart", "large", seed, large), result("hart", "xl", seed, xl)]
    out += [result("hypertuning", "large", 0, 45.0), result("hypertuning", "xl", 0, 49.0)]
    return out


def test_cells_mean_std_n_and_difference():
    cells = {(c["method"], c["column"]): c for c in build("table2", table2_results(), methods=["hypertuning", "hart"])}
    hart_l = cells[("hart", "T5-Large")]
    assert hart_l["mean"] == pytest.approx(47.0) and hart_l["std"] == pytest.approx(1.0) and hart_l["n"] == 3
    assert hart_l["paper"] == 46.8 and hart_l["diff"] == pytest.approx(0.2)
    assert cells[("hart", "T5-XL")]["diff"] == pytest.approx(51.0 - 50.4)
    assert cells[("hypertuning", "T5-XL")]["std"] is None and cells[("hypertuning", "T5-XL")]["n"] == 1
    assert hart_l["direction"] == "higher is better"


def test_markdown_latex_csv():
    kw = dict(methods=["hypertuning", "hart"])
    md = render("table2", table2_results(), "md", **kw)
    assert "| HART | 47.0 ± 1.0 (n=3) | 46.8 | +0.2 | 51.0 ± 1.0 (n=3) | 50.4 | +0.6 |" in md
    assert "| HyperTuning | 45.0 (n=1) | 45.2 | -0.2 |" in md
    assert "higher is better" in md
    tex = render("table2", table2_results(), "tex", **kw)
    assert r"47.0 $\pm$ 1.0 (n=3) & 46.8 & +0.2" in tex and r"\begin{tabular}" in tex
    rows = list(csv.DictReader(io.StringIO(render("table2", table2_results(), "csv", **kw))))
    assert len(rows) == 4
    hart_xl = next(r for r in rows if r["method"] == "hart" and r["column"] == "T5-XL")
    assert float(hart_xl["mean"]) == pytest.approx(51.0) and float(hart_xl["diff"]) == pytest.approx(0.6)
    assert hart_xl["seeds"] == "0 1 2" and hart_xl["metric"] == "rougeL"


def test_missing_run_names_method_and_scale():
    results = [r for r in table2_results() if not (r["method"] == "hart" and r["scale"] == "xl")]
    with pytest.raises(HartError, match="method=hart scale=xl benchmark=sni"):
        build("table2", results, methods=["hypertuning", "hart"])
    with pytest.raises(HartError, match="method=ft-zero-shot scale=large"):
        build("table2", table2_results())  # default: every paper row


def test_p3_columns_and_stand_in_scale():
    cols = {"ANLI": 33.0, "HSwag": 28.0, "CB": 70.0, "COPA": 70.0, "RTE": 72.0, "WiC": 50.0, "WSC": 62.0, "WGD": 53.0}
    results = [result("hart", "tiny", s, 55.0 + s, benchmark="suite-p3", metric="accuracy",
                      columns={k: v + s for k, v in cols.items()}) for s in (0, 1)]
    cells = {c["column"]: c for c in build("table3", results, methods=["hart"])}
    assert cells["CB"]["mean"] == pytest.approx(70.5) and cells["CB"]["diff"] == pytest.approx(0.3)
    assert cells["Avg."]["mean"] == pytest.approx(55.5) and cells["Avg."]["scale"] == "tiny"
    md = render("table3", results, "md", methods=["hart"])
    assert "suite-p3/tiny" in md and "T5-Large column = our tiny runs" in md


def test_duplicate_seed_and_metric_mismatch_fail():
    with pytest.raises(HartError, match="two results"):
        build("table2", table2_results() + [result("hart", "xl", 0, 1.0)], methods=["hart"])
    bad = [result("hart", s, 0, 1.0, metric="accuracy") for s in ("large", "xl")]
    with pytest.raises(HartError, match="metric"):
        build("table2", bad, methods=["hart"])


def p3_results(scale, methods=("hart", "hint"), seeds=(0, 1)):
    cols = {"ANLI": 33.0, "HSwag": 28.0, "CB": 70.0, "COPA": 70.0, "RTE": 72.0, "WiC": 50.0, "WSC": 62.0, "WGD": 53.0}
    return [result(m, scale, s, 55.0 + s, benchmark="suite-p3" if scale == "tiny" else "p3", metric="accuracy",
                   columns={k: v + s for k, v in cols.items()}) for m in methods for s in seeds]


def test_every_table_states_scale_seeds_and_at_tiny_that_it_is_a_pipeline_check():
    for fmt in ("md", "tex"):
        tiny = render("table4", p3_results("tiny"), fmt, methods=["hint", "hart"])
        assert "PIPELINE CHECK, NOT A REPRODUCTION" in tiny and "Scale: tiny. Seeds: 0, 1 (n = 2 per cell)" in tiny
        xl = render("table4", p3_results("xl"), fmt, methods=["hint", "hart"])
        assert "PIPELINE CHECK" not in xl and "Scale: xl. Seeds: 0, 1" in xl
    rows = list(csv.DictReader(io.StringIO(render("table4", p3_results("tiny"), "csv", methods=["hart"]))))
    assert {r["status"] for r in rows} == {"pipeline check, not a reproduction"}


def test_p3_tables_are_compact_with_the_full_detail_in_the_csv():
    md = render("table4", p3_results("xl"), "md", methods=["hint", "hart"])
    header = next(line for line in md.splitlines() if line.startswith("| Method"))
    assert header.count("|") - 1 == 11  # method, 9 columns, Δ Avg.
    assert "| HART (ours) | 33.5 ± 0.7 | 28.5 ± 0.7 |" in md and "| HART (paper) | 37.8 | 28.5 |" in md
    assert len(list(csv.DictReader(io.StringIO(render("table4", p3_results("xl"), "csv", methods=["hart"]))))) == 9
    tex = render("table4", p3_results("xl"), "tex", methods=["hint", "hart"])
    assert r"\begin{tabular}{lrrrrrrrrrr}" in tex and r"Method & ANLI & HSwag" in tex


def test_table4_avg_of_t0_and_hint_is_footnoted_and_not_differenced():
    """The paper's Avg. for HINT (65.4) is not the mean of its eight columns (61.5): no Δ, a note."""
    cells = {(c["method"], c["column"]): c for c in build("table4", p3_results("xl"), methods=["hint", "hart"])}
    assert cells[("hint", "Avg.")]["diff"] is None and "StoryCloze" in cells[("hint", "Avg.")]["note"]
    assert cells[("hart", "Avg.")]["diff"] == pytest.approx(55.5 - 57.6) and cells[("hart", "Avg.")]["note"] == ""
    md = render("table4", p3_results("xl"), "md", methods=["hint", "hart"])
    assert "| 65.4† |" in md and "† HINT: paper Avg. 65.4 is not the mean of its eight columns (61.5)" in md
    from hart.report.paper import TABLES

    for method, (_, values) in TABLES["table4"].rows.items():  # the note is needed exactly there
        off = abs(sum(values[:8]) / 8 - values[8]) > 0.1
        assert off == (method in ("t0-3b", "hint")), method
