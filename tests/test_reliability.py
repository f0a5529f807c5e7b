"""Reliability, measured: kill -9 at random points, then resume -> identical to an uninterrupted run.

Marked slow (about 2-3 minutes): `pytest -m slow tests/test_reliability.py`. The figures in the
README come from this test's output (`-s` prints them).
"""

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from unitdata import tiny_config

STEPS = 12


def _launch(cfg: Path, out: Path):
    env = dict(os.environ, OMP_NUM_THREADS="1")
    return subprocess.Popen([sys.executable, "-m", "hart.cli", "train", "--config", str(cfg), "--out", str(out)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _logged(out: Path) -> int:
    p = out / "train_log.jsonl"
    return len(p.read_text().splitlines()) if p.exists() else 0


@pytest.mark.slow
def test_kill9_at_ten_random_points_resumes_identically(unit_data, tmp_path):
    episodes, tok = unit_data
    cfg = tmp_path / "cfg.json"
    cfg.write_text(json.dumps(tiny_config(episodes, tok, "hart", steps=STEPS, checkpoint_every=1, optimizer="adam8bit")))
    ref = tmp_path / "ref"
    assert _launch(cfg, ref).wait() == 0
    ref_w = load_file(str(ref / "model.safetensors"))
    ref_log = (ref / "train_log.jsonl").read_text()
    rng = random.Random(1234)
    killed_at = []
    for trial in range(10):
        out = tmp_path / f"trial{trial}"
        target = rng.randint(1, STEPS - 1)  # kill once `target` steps are logged, plus a random delay
        delay = rng.uniform(0.0, 0.3)
        proc = _launch(cfg, out)
        t0 = time.time()
        while _logged(out) < target and proc.poll() is None and time.time() - t0 < 120:
            time.sleep(0.01)
        time.sleep(delay)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.wait()
        killed_at.append(_logged(out))
        resume = _launch(cfg, out)
        assert resume.wait() == 0, resume.stderr.read().decode()
        w = load_file(str(out / "model.safetensors"))
        assert w.keys() == ref_w.keys() and all(torch.equal(w[k], ref_w[k]) for k in w), f"trial {trial}"
        log = (out / "train_log.jsonl").read_text()
        strip = lambda text: [{k: v for k, v in json.loads(l).items() if k != "examples_per_s"} for l in text.splitlines()]  # noqa
        assert strip(log) == strip(ref_log), f"trial {trial}: logged metrics differ"
    print(f"\nkill -9 after logged steps {killed_at}: 10/10 resumed bit-identical (weights and per-step losses)")
    assert len(set(killed_at)) >= 4  # the kills really landed at different points
