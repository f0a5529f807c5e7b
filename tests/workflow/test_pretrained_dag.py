"""The cluster's pretrained-weights path through the DAG, with the hub unreachable for the jobs.

A copy of the workflow whose tiny scale is the small LM-adapt architecture (d 512, 8+8 layers, the
T5 vocabulary) loaded from `data/cache/hub/t5-small-lm-adapt`, the folder the `data_download` rule
(source `hub`) fills: as on a cluster, one Snakemake run fetches the weights through huggingface_hub
(here from a loopback hub serving a random-weight snapshot), then the server is gone and HF_ENDPOINT
points at a port nothing listens on, and a second run trains HART and evaluates it. Only the sizes
are cut (2 steps of batch 4; 16 test rows, 8 new tokens). Slow (about 2 min on 2 cores)."""

from __future__ import annotations

import json
import math
import os

import pytest
import torch
from safetensors.torch import load_file

from hubserver import Hub, small_lm_adapt_snapshot
from workflow_helpers import VENV_BIN, snakemake

COMMIT = "c" * 40
REPO_ID = "google/t5-small-lm-adapt"


def _edit(path, old, new):
    text = path.read_text()
    assert old in text, f"{path}: the text this test replaces is gone: {old!r}"
    path.write_text(text.replace(old, new))


@pytest.mark.slow
def test_tiny_dag_with_small_lm_adapt_weights_from_a_local_snapshot_offline(workdir, shared_data, tmp_path):
    _edit(workdir / "config/scale/tiny.yaml",
          "  d_model: 64\n  d_ff: 128\n  num_layers: 2\n  num_decoder_layers: 2\n  num_heads: 4\n  d_kv: 16\n"
          "  vocab_size: null          # the suite tokenizer's size\n",
          "  d_model: 512\n  d_ff: 1024\n  num_layers: 8\n  num_decoder_layers: 8\n  num_heads: 6\n  d_kv: 64\n"
          "  vocab_size: 32128\n  tokenizer: data/cache/hub/t5-small-lm-adapt\n")
    _edit(workdir / "config/scale/tiny.yaml",
          "  pretrained: null\n  base_checkpoint: results/base/tiny/model.safetensors",
          "  pretrained: data/cache/hub/t5-small-lm-adapt\n  base_checkpoint: null")
    _edit(workdir / "config/scale/tiny.yaml", "  steps: 120\n  batch_size: 16\n  micro_batch_size: 16\n",
          "  steps: 2\n  batch_size: 4\n  micro_batch_size: 4\n")
    with open(workdir / "config/scale/tiny.yaml", "a") as fh:  # 16 test rows, 8 new tokens: the path, not a score
        fh.write("evaluate:\n  limit: 16\n  max_new_tokens: 8\n")
    _edit(workdir / "config/data/sources.yaml",
          "        - {repo: google/t5-large-lm-adapt, revision: main, name: t5-large-lm-adapt}\n"
          "        - {repo: google/t5-xl-lm-adapt, revision: main, name: t5-xl-lm-adapt}\n"
          "        - {repo: bigscience/T0_3B, revision: main, name: T0_3B}",
          f"        - {{repo: {REPO_ID}, revision: main, name: t5-small-lm-adapt}}")
    snapshot = tmp_path / "snapshot"
    model = small_lm_adapt_snapshot(shared_data, snapshot)
    env = {**os.environ, "PATH": f"{VENV_BIN}:{os.environ.get('PATH', '')}", "HF_HOME": str(tmp_path / "hf-home")}
    env.pop("HF_HUB_OFFLINE", None)

    server = Hub({REPO_ID: snapshot}, {REPO_ID: COMMIT})
    try:  # the submit host: the download rule, with the hub reachable
        got = snakemake(workdir, "--cores", "2", "data/cache/hub.lock.json", env={**env, "HF_ENDPOINT": server.url})
    finally:
        server.stop()
    assert got.returncode == 0, got.stdout[-4000:]
    lock = json.loads((workdir / "data/cache/hub.lock.json").read_text())
    assert json.dumps(lock).count(COMMIT) >= 1  # the branch was recorded as its commit

    target = "results/evaluate/suite-sni/tiny/hart/seed0.json"  # the compute jobs: the hub is unreachable
    got = snakemake(workdir, "--cores", "2", target, env={**env, "HF_ENDPOINT": "http://127.0.0.1:9"}, timeout=900)
    assert got.returncode == 0, got.stdout[-6000:]
    run = workdir / "results/train/suite-sni/tiny/hart/seed0"
    cfg = json.loads((run / "config.json").read_text())
    assert cfg["model"]["pretrained"] == "data/cache/hub/t5-small-lm-adapt" and cfg["model"]["d_model"] == 512
    # HART trains the hypernetwork, initialised from the main model (hyper_init: pretrained); the main
    # model stays frozen and is not in the checkpoint (it is the snapshot). The hypernetwork's copy of
    # the encoder's first attention matrix moved from the snapshot's by at most 2 Adam steps (lr 0.002).
    weights = load_file(run / "model.safetensors")
    ref = model.state_dict()["encoder.block.0.layer.0.SelfAttention.q.weight"].float()
    hyper = weights["source.encoder.block.0.layer.0.SelfAttention.q.weight"].float()
    assert hyper.shape == ref.shape == (384, 512)
    assert (hyper - ref).abs().max() <= 2 * 0.002 + 1e-6 and not torch.equal(hyper, ref)  # from the snapshot; trained
    result = json.loads((workdir / target).read_text())
    assert result["method"] == "hart" and result["meta"]["device"] == "cpu" and math.isfinite(result["score"])
