"""Shared fixture: a constructed train_log.jsonl in the format `hart train` writes."""

import json

import numpy as np
import pytest


def _write_log(path, slope, spikes=False):
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    lines = []
    for step in range(1, 51):
        loss = 3.0 - slope * step + (rng.random() if spikes else 0.0)
        lines.append(json.dumps({"step": step, "loss": loss, "loss_pred": loss, "loss_cst": 0.1, "lr": 5e-5,
                                 "examples_per_s": 10.0, "grad_norm": 1.0}))
    lines.insert(3, json.dumps({"step": 0, "eval": True}))  # a line without loss_pred is skipped
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def write_log():
    """write_log(path, slope, spikes=False) -> path: 50 steps of decreasing loss_pred."""
    return _write_log
