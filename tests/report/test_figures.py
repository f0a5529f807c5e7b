"""Figures from constructed logs and an attention map: files written, PNG/PDF headers, errors."""

import numpy as np
import pytest
from safetensors.numpy import save_file

from hart.errors import HartError
from hart.report.figures import draw, moving_average, name_inputs, read_log


def assert_images(paths):
    png, pdf = paths
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 1000
    assert pdf.read_bytes()[:5] == b"%PDF-"


def test_read_log_and_moving_average(tmp_path, write_log):
    steps, loss = read_log(write_log(tmp_path / "a.jsonl", 0.01))
    assert len(steps) == 50 and steps[0] == 1 and loss[0] == pytest.approx(2.99)
    assert moving_average(np.array([1.0, 3.0, 5.0, 7.0]), 2).tolist() == [1.0, 2.0, 4.0, 6.0]


def test_fig3_fig4_fig1(tmp_path, write_log):
    logs = {k: str(write_log(tmp_path / f"{k}.jsonl", s, spikes=True))
            for k, s in (("sni-noar", 0.01), ("sni-ar", 0.02), ("p3-noar", 0.01), ("p3-ar", 0.02))}
    assert_images(draw("fig3", logs, tmp_path / "out" / "fig3", smooth=5))
    assert_images(draw("fig4", {"p3-nocst": logs["p3-noar"], "p3-cst": logs["p3-ar"]}, tmp_path / "fig4"))
    att = np.random.default_rng(0).random((24, 24)).astype(np.float32)
    save_file({"attention": att / att.sum(1, keepdims=True)}, str(tmp_path / "att.safetensors"))
    assert_images(draw("fig1", {"attention": str(tmp_path / "att.safetensors")}, tmp_path / "fig1"))


def test_missing_input_is_named(tmp_path):
    with pytest.raises(HartError, match="missing input 'p3-cst'"):
        draw("fig4", {"p3-nocst": "x"}, tmp_path / "f")


def test_bare_workflow_paths_are_named_by_run_folder():
    paths = [f"results/train/suite-{b}/tiny/{m}/seed{s}/train_log.jsonl"
             for b in ("sni", "p3") for m in ("hypertuning", "hart-nolc") for s in (0, 1)]
    named = name_inputs("fig3", paths)
    assert named["sni-noar"] == "results/train/suite-sni/tiny/hypertuning/seed0/train_log.jsonl"
    assert named["p3-ar"] == "results/train/suite-p3/tiny/hart-nolc/seed0/train_log.jsonl"
    with pytest.raises(HartError, match="no role in fig4"):
        name_inputs("fig4", paths)


def test_figure_writes_its_curves_as_csv_and_states_scale_and_seeds(tmp_path, write_log):
    from hart.report.captions import caption

    logs = {k: str(write_log(tmp_path / f"{k}.jsonl", 0.01)) for k in ("p3-nocst", "p3-cst")}
    draw("fig4", logs, tmp_path / "fig4", caption="Scale tiny; seed 0 drawn")
    rows = (tmp_path / "fig4.csv").read_text().splitlines()
    assert rows[0] == "step,p3-nocst,p3-cst" and len(rows) == 51  # 50 logged steps
    assert rows[1].split(",")[0] == "1" and float(rows[1].split(",")[1]) == pytest.approx(2.99)
    paths = [f"results/train/suite-p3/tiny/{m}/seed{s}/train_log.jsonl" for m in ("hart", "hart-nolc")
             for s in (0, 1, 2)]
    text = caption(paths)
    assert "Scale tiny" in text and "3 seeds run: 0, 1, 2" in text
    assert "Pipeline check, not a reproduction" in text
    large = caption([p.replace("/tiny/", "/large/") for p in paths])
    assert "Scale large" in large and "Pipeline check" not in large
