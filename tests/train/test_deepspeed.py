"""Two CPU processes under the `deepspeed` launcher (ZeRO-2, gloo) reach the one-process losses."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from unitdata import tiny_config

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> str:
    """A free TCP port for the launcher's rendezvous: the default 29500 makes two test sessions on
    one machine join each other's process group and hang."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return str(s.getsockname()[1])


@pytest.mark.skipif(shutil.which("deepspeed") is None and not (Path(sys.executable).parent / "deepspeed").exists(),
                    reason="deepspeed launcher not installed")
def test_two_processes_match_one_process(unit_data, tmp_path):
    episodes, tok = unit_data
    # no consistency loss: its "previous batch" is per process, so it legitimately differs
    cfg = tiny_config(episodes, tok, "hypertuning", steps=3, batch_size=8, micro_batch_size=2, optimizer="adamw",
                      checkpoint_every=10, deepspeed_config=str(ROOT / "config/deepspeed/zero2.json"))
    path = tmp_path / "cfg.json"
    path.write_text(json.dumps(cfg))
    env = dict(os.environ, OMP_NUM_THREADS="1")
    launcher = str(Path(sys.executable).parent / "deepspeed")
    two = subprocess.run([launcher, "--num_gpus", "2", "--master_port", _free_port(), "--module", "hart.cli", "train", "--config", str(path),
                          "--out", str(tmp_path / "two")], env=env, capture_output=True, text=True, timeout=500)
    assert two.returncode == 0, two.stdout[-3000:] + two.stderr[-3000:]
    one = subprocess.run([sys.executable, "-m", "hart.cli", "train", "--config", str(path), "--out", str(tmp_path / "one")],
                         env=env, capture_output=True, text=True, timeout=300)
    assert one.returncode == 0, one.stderr[-3000:]
    read = lambda d: [json.loads(l) for l in (tmp_path / d / "train_log.jsonl").read_text().splitlines()]  # noqa: E731
    a, b = read("one"), read("two")
    assert [r["step"] for r in a] == [r["step"] for r in b] == [1, 2, 3]
    for ra, rb in zip(a, b):  # tolerance: gloo all-reduce sums in another order (seen: <= 1e-6 relative)
        assert rb["loss_pred"] == pytest.approx(ra["loss_pred"], rel=1e-4)
        assert rb["grad_norm"] == pytest.approx(ra["grad_norm"], rel=1e-4)
    assert a[2]["loss_pred"] < a[0]["loss_pred"]  # the runs trained, not merely agreed


def _rank_pids(tag: str) -> dict[int, int]:
    """PIDs of the launched training processes (found by a marker in their environment) by RANK."""
    found = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            env = dict(kv.split("=", 1) for kv in (proc / "environ").read_bytes().decode(errors="replace").split("\0")
                       if "=" in kv)
        except OSError:
            continue
        if env.get("HART_TEST_TAG") == tag and "RANK" in env and "LOCAL_RANK" in env:
            found[int(env["RANK"])] = int(proc.name)
    return found


@pytest.mark.skipif(shutil.which("deepspeed") is None and not (Path(sys.executable).parent / "deepspeed").exists(),
                    reason="deepspeed launcher not installed")
def test_signal_to_one_rank_stops_all_at_one_step_and_resume_keeps_the_optimizer(unit_data, tmp_path):
    """SIGUSR1 to rank 1 only: both ranks stop after the same step, one checkpoint, exit 3; the
    resumed run's losses equal an uninterrupted run's (ZeRO-2 moments and fp32 masters restored)."""
    import signal
    import time

    episodes, tok = unit_data
    steps = 30
    cfg = tiny_config(episodes, tok, "hypertuning", steps=steps, batch_size=8, micro_batch_size=2, optimizer="adamw",
                      checkpoint_every=1000, deepspeed_config=str(ROOT / "config/deepspeed/zero2.json"))
    path = tmp_path / "cfg.json"
    path.write_text(json.dumps(cfg))
    tag = str(tmp_path)
    env = dict(os.environ, OMP_NUM_THREADS="1", HART_TEST_TAG=tag)
    launcher = [str(Path(sys.executable).parent / "deepspeed"), "--num_gpus", "2", "--master_port", _free_port(), "--module", "hart.cli", "train",
                "--config", str(path), "--out", str(tmp_path / "two")]
    log = tmp_path / "two" / "train_log.jsonl"
    proc = subprocess.Popen(launcher, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)  # its own process group: a hang is killed whole below
    deadline = time.time() + 400
    while time.time() < deadline and proc.poll() is None:
        lines = log.read_text().splitlines() if log.exists() else []
        if len(lines) >= 3:
            pids = _rank_pids(tag)
            assert set(pids) == {0, 1}, pids
            os.kill(pids[1], signal.SIGUSR1)
            break
        time.sleep(0.05)
    try:
        out, _ = proc.communicate(timeout=400)
    except subprocess.TimeoutExpired:  # ranks that disagree on the stop step wait for each other forever
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        pytest.fail(f"the ranks hung after a signal to rank 1 (no agreed stop step):\n{out[-2000:]}")
    assert proc.returncode != 0, out[-3000:]  # the launcher passes on the ranks' exit status 3
    ckpts = sorted((tmp_path / "two" / "checkpoints").glob("step-*"))
    assert len(ckpts) == 1, out[-3000:]
    stopped = json.loads((ckpts[0] / "state.json").read_text())["step"]
    assert 3 <= stopped < steps
    assert out.count(f"checkpoint at step {stopped} written; exiting") == 2, out[-3000:]  # both ranks, same step
    assert "SIGUSR1 received" in out and "another rank's signal received" in out
    assert not (tmp_path / "two" / "done.json").exists()

    resumed = subprocess.run(launcher, env=env, capture_output=True, text=True, timeout=500)
    assert resumed.returncode == 0, resumed.stdout[-3000:] + resumed.stderr[-3000:]
    assert "optimizer moments restart" not in resumed.stdout + resumed.stderr
    one = subprocess.run([sys.executable, "-m", "hart.cli", "train", "--config", str(path), "--out", str(tmp_path / "one")],
                         env=env, capture_output=True, text=True, timeout=300)
    assert one.returncode == 0, one.stderr[-3000:]
    read = lambda d: [json.loads(l) for l in (tmp_path / d / "train_log.jsonl").read_text().splitlines()]  # noqa: E731
    a, b = read("one"), read("two")
    assert [r["step"] for r in b] == list(range(1, steps + 1))
    for ra, rb in zip(a, b):  # same tolerance as above (gloo's summation order)
        assert rb["loss_pred"] == pytest.approx(ra["loss_pred"], rel=1e-4), (ra["step"], stopped)


def test_an_8bit_adam_partition_over_2_31_elements_is_refused_before_deepspeed_starts(monkeypatch):
    """gpu_check's XL step on one H200 died inside bitsandbytes ("invalid argument ... ops.cu"):
    ZeRO-2 gave 8-bit Adam one flat partition of ~2.9 B elements. wrap() must refuse it, naming
    how many GPUs would do, before deepspeed.initialize (checked with a lowered limit)."""
    from types import SimpleNamespace

    import hart.train.distributed as d
    from hart.errors import HartError

    d.check_partition(2**31 - 1, 1, "adam8bit", 2)  # at the limit: fine
    d.check_partition(3 * 2**31, 2, "adamw", 2)  # PyTorch's AdamW has no such limit
    d.check_partition(3 * 2**31, 1, "adam8bit", 0)  # no ZeRO: tensors are stepped one by one
    with pytest.raises(HartError, match=r"2,899,999,744 parameters.*at least 2 GPUs.*adamw"):
        d.check_partition(2_899_999_744, 1, "adam8bit", 2)
    d.check_partition(2_899_999_744, 2, "adam8bit", 2)  # 1.45 B per rank on two GPUs

    monkeypatch.setattr(d, "BNB_MAX_ELEMENTS", 100)
    started = []
    import deepspeed

    monkeypatch.setattr(deepspeed, "initialize", lambda **kw: started.append(kw))
    model = torch.nn.Linear(20, 10)  # 210 trainable parameters > 100
    ts = SimpleNamespace(deepspeed_config="config/deepspeed/zero2.json", batch_size=4, micro_batch_size=4,
                         grad_clip=1.0, optimizer="adam8bit")
    with pytest.raises(HartError, match=r"210 parameters.*at least 3 GPUs"):
        d.Dist(forced=True).wrap(model, None, None, ts, 1)
    assert started == []
