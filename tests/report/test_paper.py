"""The transcribed paper numbers: spot checks against the paper text, and table shapes."""

import statistics

import pytest

from hart.report.paper import TABLES, value


def test_spot_values():
    assert value("table2", "hart", "T5-XL") == 50.4
    assert value("table2", "hart", "T5-Large") == 46.8
    assert value("table2", "hint", "T5-Large") is None  # '-' in the paper
    assert value("table5", "hart", "P3 Avg. Score") == 55.0
    assert value("table5", "hypertuning-nopt", "S-NI Avg. ROUGE-L") == 25.3
    assert value("table3", "lora", "CB") == 48.6
    assert value("table4", "t0-3b", "WSC") == 64.9
    assert value("table4", "hint", "Avg.") == 65.4


def test_every_row_has_one_value_per_column():
    for table in TABLES.values():
        for method, (label, values) in table.rows.items():
            assert len(values) == len(table.columns), (table.name, method)


@pytest.mark.parametrize("table", ["table3", "table4"])
def test_hart_avg_is_mean_of_the_eight_columns(table):
    values = TABLES[table].rows["hart"][1]
    # cells are rounded to 0.1, so the mean of the printed cells may differ from Avg. by up to 0.1
    assert statistics.fmean(values[:8]) == pytest.approx(values[8], abs=0.1)


def test_tables_2_and_5_agree_where_they_overlap():
    for method in ("hypertuning-pt", "hypertuning", "hart"):
        assert value("table2", method, "T5-Large") == value("table5", method, "S-NI Avg. ROUGE-L")
        assert value("table3", method, "Avg.") == value("table5", method, "P3 Avg. Score")
