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


FAULT_STEPS = 6


@pytest.fixture(scope="module")
def fault_reference(unit_data, tmp_path_factory):
    """An uninterrupted run of the config the precise-kill tests use: its weights and log."""
    episodes, tok = unit_data
    root = tmp_path_factory.mktemp("fault")
    cfg = root / "cfg.json"
    cfg.write_text(json.dumps(tiny_config(episodes, tok, "hart", steps=FAULT_STEPS, checkpoint_every=1)))
    ref = root / "ref"
    assert _launch(cfg, ref).wait() == 0
    return cfg, load_file(str(ref / "model.safetensors")), (ref / "train_log.jsonl").read_text()


def _launch_with(cfg: Path, out: Path, fault: str):
    env = dict(os.environ, OMP_NUM_THREADS="1", HART_FAULT=fault)
    return subprocess.Popen([sys.executable, "-m", "hart.cli", "train", "--config", str(cfg), "--out", str(out)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


@pytest.mark.parametrize("fault", ["log_append:4", "checkpoint_write:3"])
def test_kill9_mid_log_append_or_mid_checkpoint_write_resumes_identically(fault, fault_reference, tmp_path):
    """kill -9 at a precise point (hart.io.fault_point): half a log line written, or a checkpoint's tensors
    written without its manifest. The rerun repairs the torn line / ignores and removes the partial
    checkpoint, and ends bit-identical to the uninterrupted run."""
    cfg, ref_w, ref_log = fault_reference
    out = tmp_path / "run"
    proc = _launch_with(cfg, out, fault)
    assert proc.wait() == -signal.SIGKILL, proc.stderr.read().decode()
    log = (out / "train_log.jsonl").read_bytes()
    if fault.startswith("log_append"):
        assert log.count(b"\n") == 3 and not log.endswith(b"\n")  # the kill landed mid-line
    else:
        assert list((out / "checkpoints").glob(".tmp-step-0000003-*/state.safetensors"))  # tensors, no manifest
        assert not (out / "checkpoints" / "step-0000003").exists()
    resume = _launch(cfg, out)
    assert resume.wait() == 0, resume.stderr.read().decode()
    w = load_file(str(out / "model.safetensors"))
    assert w.keys() == ref_w.keys() and all(torch.equal(w[k], ref_w[k]) for k in w)
    strip = lambda text: [{k: v for k, v in json.loads(l).items() if k != "examples_per_s"} for l in text.splitlines()]  # noqa
    assert strip((out / "train_log.jsonl").read_text()) == strip(ref_log)
    assert not list((out / "checkpoints").glob(".tmp-*"))
    assert not list(out.parent.glob(".run.lock"))  # the lock went with the process that held it


def test_torn_tail_repair_keeps_complete_lines(tmp_path):
    from hart.io import repair_jsonl_tail

    log = tmp_path / "log.jsonl"
    log.write_text('{"step": 1}\n{"step": 2}\n{"st')
    assert repair_jsonl_tail(log) == 4 and log.read_text() == '{"step": 1}\n{"step": 2}\n'
    log.write_text('{"step": 1}\n{"step": 2, \n')  # newline written, record not complete (disk full)
    assert repair_jsonl_tail(log) > 0 and log.read_text() == '{"step": 1}\n'
    assert repair_jsonl_tail(log) == 0


def test_second_writer_process_is_refused_and_a_killed_holder_does_not_block(unit_data, tmp_path):
    """Another process holds the run folder's lock: `hart train` (a real process) exits 2 naming the folder
    and writes nothing; after that holder is killed (-9, its lock file left behind) training proceeds."""
    episodes, tok = unit_data
    cfg = tmp_path / "cfg.json"
    cfg.write_text(json.dumps(tiny_config(episodes, tok, "hart", steps=2)))
    out = tmp_path / "run"
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time; from hart.io import RunLock\n"
                               f"with RunLock({str(out)!r}, 'train'):\n print('locked', flush=True); time.sleep(300)"],
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"
    second = _launch(cfg, out)
    assert second.wait() == 2
    assert f"{out}: in use by `hart train` (pid {holder.pid})" in second.stderr.read().decode()
    assert not out.exists()
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    assert (tmp_path / ".run.lock").exists()  # stale file, no live lock
    assert _launch(cfg, out).wait() == 0
    assert (out / "done.json").exists() and not (tmp_path / ".run.lock").exists()
