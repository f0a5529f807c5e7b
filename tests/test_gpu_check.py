"""benchmarks/gpu_check.py: on a machine without CUDA it says so and exits 2; its configs are valid."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "gpu_check.py"


def _module():
    spec = importlib.util.spec_from_file_location("gpu_check", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_without_cuda_one_clear_line_and_exit_2():
    proc = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "no CUDA device" in proc.stderr and "nothing was measured" in proc.stderr
    assert proc.stdout == ""


def test_its_configs_validate_and_its_flops_follow_the_plan(tmp_path):
    from hart.config import validate
    from hart.plan import train_flops

    gc = _module()
    data = gc.episodes(tmp_path / "data", n=16)
    for scale in ("small", "large", "xl"):
        cfg = gc.config(data, scale, 2, 8, 4)
        validate(cfg, f"gpu_check {scale}")
    cfg = gc.config(data, "large", 2, 8, 4)
    _, tflops, util = gc.mfu({"step_s": 1.0}, cfg, peak=100.0)
    flops = train_flops(cfg["model"], cfg["method"], {**gc.LENGTHS, "prefix_length": 32, "hyper_decoder_layers": 8},
                        c4=False)[0]
    assert tflops == pytest.approx(8 * flops / 1e12) and util == pytest.approx(tflops / 100.0)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_gpu_check_runs_on_a_gpu(tmp_path):
    assert _module().main(["--out", str(tmp_path), "--skip-xl"]) == 0


def test_smoke_runs_every_step_on_the_cpu(tmp_path):
    """`--smoke`: the same steps at toy size on the CPU, so the script cannot rot between GPU sessions
    (it did twice: YAML read its JSON 5e-05 as a string, and its episodes became 'test' rows)."""
    import json

    proc = subprocess.run([sys.executable, str(SCRIPT), "--smoke", "--out", str(tmp_path)], capture_output=True,
                          text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    figures = json.loads((tmp_path / "figures.json").read_text())
    assert set(figures["steps"]) == {"small", "small-deepspeed", "evaluate", "kill-resume", "large"}
    assert not any("failed" in v for v in figures["steps"].values() if isinstance(v, dict))
    assert len(figures["steps"]["small"]["losses"]) == 6 and figures["steps"]["small"]["precision"] == "fp32"
    resumed = figures["steps"]["kill-resume"][0]
    assert "relative gap 0.0e+00" in resumed, resumed
