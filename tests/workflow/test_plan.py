"""`hart plan`: T5 v1.1 parameter counts and GPU-hour totals."""

from __future__ import annotations

from pathlib import Path

import pytest

from hart import plan

CONFIG = Path(__file__).resolve().parents[2] / "config"


def hand_count(d, d_ff, layers, heads, d_kv, vocab):
    """T5 v1.1 by hand: per encoder layer q,k,v,o + gated FFN (wi_0, wi_1, wo) + 2 RMS norms; per
    decoder layer two attentions + FFN + 3 norms; each stack a 32-bucket relative bias and a final
    norm; an input embedding and an untied LM head."""
    attn = 4 * d * heads * d_kv
    enc = layers * (attn + 3 * d * d_ff + 2 * d) + 32 * heads + d
    dec = layers * (2 * attn + 3 * d * d_ff + 3 * d) + 32 * heads + d
    return 2 * vocab * d + enc + dec


def test_t5_large_and_xl_parameter_counts():
    assert plan.t5_params(plan.GEOMETRY["large"]) == hand_count(1024, 2816, 24, 16, 64, 32128)
    assert plan.t5_params(plan.GEOMETRY["xl"]) == hand_count(2048, 5120, 24, 32, 64, 32128)
    # the published sizes: t5-v1_1-large 783M, t5-v1_1-xl 2.85B
    assert plan.t5_params(plan.GEOMETRY["large"]) == 783_150_080
    assert plan.t5_params(plan.GEOMETRY["xl"]) == 2_849_757_184


@pytest.mark.parametrize("scale,target", [("large", "table2"), ("large", "table5"),
                                          ("xl", "table4"), ("large", "fig3")])
def test_total_is_the_sum_of_rows(scale, target, capsys):
    rows = plan.plan(scale, target, CONFIG)
    text = plan.render(rows, scale, target, plan.MFU, plan.GPUS_PER_JOB)
    total = next(line for line in text.splitlines() if line.startswith("TOTAL")).split()
    assert float(total[-1]) == pytest.approx(sum(r.gpu_hours for r in rows), abs=0.051)
    assert float(total[-2]) == pytest.approx(sum(r.flops for r in rows) / 1e15, abs=0.051)
    assert "TFLOP/s" in text and "MFU" in text  # the assumed throughput is stated


def test_frozen_main_model_still_costs_its_backward():
    g, t = plan.GEOMETRY["large"], plan.PAPER["large"]
    forward = 2 * (plan.encoder_params(g) * t["max_input_len"]
                   + (plan.decoder_params(g) + g["vocab_size"] * g["d_model"]) * t["max_target_len"])
    full, *_ = plan.train_flops(g, {"generator": "none", "train_main": True}, t, c4=False)
    prefix, _, trainable, _ = plan.train_flops(g, {"generator": "learned"}, t, c4=False)
    assert full == 3 * forward  # 6 N D
    assert prefix == 2 * forward  # 4 N D: activations' backward, no weight gradients
    assert trainable == plan.prefix_params(g, 32) == 2 * 48 * 32 * 1024


def test_table2_runs_every_method_and_its_pretraining():
    jobs = plan.jobs("table2", CONFIG)
    assert ("hint-c4", "c4") in jobs and ("hypertuning-c4", "c4") in jobs
    assert jobs.index(("hint-c4", "c4")) < jobs.index(("hint", "sni"))
    rows = plan.plan("xl", "table2", CONFIG)
    assert any(r.job == "train sni/hart" and r.gpu_hours > 0 for r in rows)


@pytest.mark.parametrize("capability,gpu,bf16", [((7, 0), "V100", False), ((8, 0), "A100", True),
                                                 ((9, 0), "H100", True)])
def test_plan_precision_is_what_training_uses_on_that_gpu(monkeypatch, capability, gpu, bf16):
    import torch

    from hart.device import precision

    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda *a: capability)
    assert precision(torch.device("cuda", 0), "auto") == ("bf16" if bf16 else "fp32")
    assert plan.GPUS[gpu][0] == ("bf16" if bf16 else "fp32")
    fast = plan.job_hours("train", "large", "hart", "p3", CONFIG, 8, gpu=gpu)
    assert fast == pytest.approx(plan.job_hours("train", "large", "hart", "p3", CONFIG, 1, gpu=gpu) / 8)


def test_the_scale_gpu_model_comes_from_config():
    assert plan.gpu_for("xl", CONFIG)[0] == "A100"
    with pytest.raises(plan.HartError, match="GPU model 'K80'"):
        plan.gpu_for("xl", CONFIG, "K80")


def test_hart_rows_carry_the_measured_mfu_note_and_others_do_not():
    """HART's generator measured 0.9 % MFU at Large on an H200 (docs/cluster.md): a plan with HART
    rows says so beside its 40 % assumption; one without them does not."""
    row = lambda job: plan.Row(job, 10**9, 10**8, 10**6, 1e18, 2.0, 3.0)  # noqa: E731
    with_hart = plan.render([row("train sni/lora"), row("train sni/hart-nolc")], "large", "table5", 0.4, 8)
    assert with_hart.splitlines()[-1] == (
        "note: HART's layer-by-layer generator measured 0.9% MFU at Large on an H200 (launch-bound; "
        "docs/cluster.md, GPU check): its rows above assume 40%; measure with benchmarks/gpu_check.py and "
        "rerun with --mfu")
    without = plan.render([row("train sni/lora"), row("evaluate sni/lora")], "large", "table2", 0.4, 8)
    assert "note:" not in without and without.splitlines()[-1].startswith("TOTAL")
