"""Training loop: frozen main model, gradients, consistency loss, exact resume, faults."""

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
from hart.errors import HartError
from hart.train import checkpoint as ckpt
from hart.train.consistency import consistency_loss
from hart.train.loop import setup, train


def _write(cfg, path: Path) -> Path:
    path.write_text(json.dumps(cfg))
    return path


def test_one_step_keeps_main_frozen_and_feeds_every_hypernet_param(unit_data):
    from hart.train.batches import Batches, read_episodes

    episodes, tok = unit_data
    cfg = tiny_config(episodes, tok, "hart")
    ms, meth, ts, tokenizer, model = setup(cfg)
    main_before = {n: p.detach().clone() for n, p in model.main.named_parameters()}
    rows = read_episodes(episodes, ("query", "target", "hyper_input"))
    data = Batches(rows, tokenizer, "query", True, 96, 48, 12)
    batch = data.collate(list(range(4)))
    state = model.task_state(batch["hyper_ids"], batch["hyper_mask"])
    loss = model.loss(state, batch["input_ids"], batch["attention_mask"], batch["labels"])
    loss.backward()
    trainable = {n: p for n, p in model.named_parameters() if p.requires_grad}
    assert trainable and all(n.startswith("source.") for n in trainable)
    no_grad = [n for n, p in trainable.items() if p.grad is None or p.grad.abs().sum() == 0]
    assert no_grad == []
    torch.optim.AdamW(trainable.values(), lr=1e-2).step()
    for n, p in model.main.named_parameters():
        assert torch.equal(p, main_before[n]), n
    assert any(not torch.equal(p, p0) for p, p0 in [(model.source.z, model.source.z.detach() * 0)])


def test_consistency_loss_zero_first_positive_later_and_detached():
    cur = torch.randn(4, 3, 2, 8, requires_grad=True)
    assert consistency_loss(cur, None, "per_example").item() == 0.0
    prev = torch.randn(4, 3, 2, 8, requires_grad=True)
    loss = consistency_loss(cur, prev.detach(), "per_example")
    assert loss.item() > 0
    loss.backward()
    assert prev.grad is None and cur.grad is not None
    torch.testing.assert_close(loss, ((cur - prev) ** 2).mean())
    with pytest.raises(HartError, match="per_example"):
        consistency_loss(cur, prev[:2].detach(), "per_example")
    with pytest.raises(HartError, match="pairing: unknown value 'batch_mean'"):
        consistency_loss(cur, prev.detach(), "batch_mean")


def _cst_log(unit_data, tmp_path, micro: int) -> list[dict]:
    # lr ~0: the prediction loss is a per-micro-batch token mean (its gradient depends on how the
    # batch is cut), so updated weights would differ for reasons unrelated to the consistency term
    episodes, tok = unit_data
    cfg = tiny_config(episodes, tok, "hart", steps=4, batch_size=8, micro_batch_size=micro, lr=1e-12,
                      checkpoint_every=100)
    assert train(cfg, tmp_path) == 0
    return [json.loads(l) for l in (tmp_path / "train_log.jsonl").read_text().splitlines()]


def test_consistency_compares_optimizer_steps_not_micro_batches(unit_data, tmp_path):
    """2 and 4 micro-batches per step (micro-batch 4 and 2 of a global batch of 8) give the same
    consistency values; step 1 has no previous step and logs exactly 0."""
    two = _cst_log(unit_data, tmp_path / "two", micro=4)
    four = _cst_log(unit_data, tmp_path / "four", micro=2)
    assert two[0]["loss_cst"] == 0.0 and four[0]["loss_cst"] == 0.0
    assert all(r["loss_cst"] > 0 for r in two[1:])
    for a, b in zip(two, four):
        assert a["loss_cst"] == pytest.approx(b["loss_cst"], rel=1e-4, abs=1e-7), (a["step"], a, b)


def test_step_consistency_pairs_global_positions():
    from hart.train.consistency import StepConsistency

    prev = torch.randn(8, 3, 2, 4)
    cst = StepConsistency("per_example", prev)
    cur = torch.randn(8, 3, 2, 4)
    parts = [cst.loss(cur[i:i + 2], i) for i in range(0, 8, 2)]
    torch.testing.assert_close(torch.stack(parts).mean(), ((cur - prev) ** 2).mean())
    assert torch.equal(cst.previous, prev)  # fixed for the whole step
    cst.end_step()
    assert torch.equal(cst.previous, cur)


def test_training_logs_falling_loss_and_consistency(unit_data, tmp_path):
    episodes, tok = unit_data
    cfg = tiny_config(episodes, tok, "hart", steps=40, lr=1e-2, checkpoint_every=10)
    assert train(cfg, tmp_path) == 0
    log = [json.loads(l) for l in (tmp_path / "train_log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log] == list(range(1, 41))
    assert sum(r["loss_pred"] for r in log[-10:]) / 10 < 0.8 * log[0]["loss_pred"]
    assert log[0]["loss_cst"] == 0.0 and all(r["loss_cst"] > 0 for r in log[1:])  # step 1: no previous step
    assert set(log[0]) == {"step", "loss", "loss_pred", "loss_cst", "lr", "examples_per_s", "grad_norm"}
    assert log[-1]["lr"] == 0.0  # linear decay to zero at the last step
    assert (tmp_path / "model.safetensors").exists() and (tmp_path / "done.json").exists()


def _run_cli(cfg_path, out, **kw):
    env = dict(os.environ, PYTHONHASHSEED="0", OMP_NUM_THREADS="1")
    return subprocess.Popen([sys.executable, "-m", "hart.cli", "train", "--config", str(cfg_path), "--out", str(out)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)


def _wait_for_lines(path: Path, n: int, proc, timeout=120):
    t0 = time.time()
    while time.time() - t0 < timeout:
        if path.exists() and len(path.read_text().splitlines()) >= n:
            return
        if proc.poll() is not None:
            raise AssertionError(proc.stderr.read().decode())
        time.sleep(0.02)
    raise AssertionError("training did not progress")


def _weights(run: Path) -> dict:
    return load_file(str(run / "model.safetensors"))


@pytest.fixture(scope="module")
def reference_run(unit_data, tmp_path_factory):
    episodes, tok = unit_data
    root = tmp_path_factory.mktemp("ref")
    cfg = _write(tiny_config(episodes, tok, "hart", steps=10, checkpoint_every=1, optimizer="adam8bit"), root / "cfg.json")
    proc = _run_cli(cfg, root / "run")
    assert proc.wait() == 0, proc.stderr.read().decode()
    return cfg, root / "run"


def test_kill_9_then_resume_is_bit_identical(reference_run, tmp_path):
    cfg, ref = reference_run
    rng = random.Random(0)
    run = tmp_path / "run"
    for point in sorted(rng.sample(range(1, 10), 3)):  # kill -9 after `point` logged steps, three times
        proc = _run_cli(cfg, run)
        _wait_for_lines(run / "train_log.jsonl", point, proc)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    proc = _run_cli(cfg, run)
    assert proc.wait() == 0, proc.stderr.read().decode()
    a, b = _weights(ref), _weights(run)
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)
    # the same model is the same file (its metadata header too), so done.json and DVC hashes match
    assert (ref / "model.safetensors").read_bytes() == (run / "model.safetensors").read_bytes()
    assert json.loads((ref / "done.json").read_text())["sha256"] == json.loads((run / "done.json").read_text())["sha256"]
    assert (ref / "train_log.jsonl").read_text().count("\n") == (run / "train_log.jsonl").read_text().count("\n")
    ref_loss = [json.loads(l)["loss"] for l in (ref / "train_log.jsonl").read_text().splitlines()]
    run_loss = [json.loads(l)["loss"] for l in (run / "train_log.jsonl").read_text().splitlines()]
    assert ref_loss == run_loss


def test_sigterm_writes_checkpoint_and_resume_finishes(reference_run, tmp_path):
    cfg, ref = reference_run
    cfg_data = json.loads(cfg.read_text())
    cfg_data["train"]["checkpoint_every"] = 100  # only the signal writes a checkpoint mid-run
    cfg2 = _write(cfg_data, tmp_path / "cfg.json")
    run = tmp_path / "run"
    proc = _run_cli(cfg2, run)
    _wait_for_lines(run / "train_log.jsonl", 3, proc)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait() == 3
    assert list((run / "checkpoints").glob("step-*")), "no checkpoint written on SIGTERM"
    assert not (run / "model.safetensors").exists()
    proc = _run_cli(cfg2, run)
    assert proc.wait() == 0
    assert "resuming" in proc.stderr.read().decode()


def test_corrupt_checkpoint_falls_back_and_failed_write_keeps_previous(unit_data, tmp_path, monkeypatch):
    root = tmp_path / "run"
    tensors = {"x": torch.arange(4.0)}
    ckpt.write(root, 1, tensors, {"config_hash": "h"}, keep=3)
    ckpt.write(root, 2, {"x": torch.arange(4.0) + 1}, {"config_hash": "h"}, keep=3)
    newest = root / "checkpoints" / "step-0000002" / "state.safetensors"
    data = bytearray(newest.read_bytes())
    data[-1] ^= 0xFF
    newest.write_bytes(bytes(data))
    path, meta, got = ckpt.latest(root)
    assert meta["step"] == 1 and torch.equal(got["x"], torch.arange(4.0))

    def disk_full(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(ckpt, "save_safetensors", disk_full)
    with pytest.raises(OSError):
        ckpt.write(root, 3, tensors, {"config_hash": "h"}, keep=1)
    assert [p.name for p in sorted((root / "checkpoints").iterdir())] == ["step-0000001", "step-0000002"]
    assert ckpt.latest(root)[1]["step"] == 1


def test_nan_loss_stops_with_error_and_keeps_last_checkpoint(unit_data, tmp_path, monkeypatch):
    episodes, tok = unit_data
    cfg = tiny_config(episodes, tok, "ft-few-shot", steps=6, checkpoint_every=2)
    from hart.model import adapted

    real = adapted.AdaptedT5.loss
    calls = {"n": 0}

    def poisoned(self, *a, **k):
        calls["n"] += 1
        out = real(self, *a, **k)
        return out * float("nan") if calls["n"] > 6 else out  # step 4 (2 micro-batches per step)

    monkeypatch.setattr(adapted.AdaptedT5, "loss", poisoned)
    with pytest.raises(HartError, match="non-finite loss nan at step 3"):
        train(cfg, tmp_path)
    assert [p.name for p in (tmp_path / "checkpoints").glob("step-*")] == ["step-0000002"]
    assert not (tmp_path / "model.safetensors").exists()


def test_unknown_config_key_fails_before_work(unit_data, tmp_path):
    episodes, tok = unit_data
    cfg = tiny_config(episodes, tok, "hart")
    cfg["train"]["learning_rate"] = 0.1
    path = _write(cfg, tmp_path / "bad.json")
    proc = subprocess.run([sys.executable, "-m", "hart.cli", "train", "--config", str(path), "--out", str(tmp_path / "o")],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert "bad.json" in proc.stderr and "learning_rate" in proc.stderr
    assert not (tmp_path / "o").exists()


def test_alpha_grid_and_selection_rule(tmp_path, capsys):
    from hart.config import compose
    from hart.train.consistency import main as select_main, select_alpha

    repo = Path(__file__).resolve().parents[2]
    cst = compose([repo / "config/method/hart.yaml"])["method"]["consistency"]
    assert cst["alpha_grid"] == [1, 5, 10, 20] and cst["alpha"] in cst["alpha_grid"]
    assert select_alpha({1: 30.0, 5: 32.5, 10: 31.0, 20: 29.0}) == 5
    assert select_alpha({1: 30.0, 5: 30.0, 10: 12.0}) == 1  # tie: the weaker regulariser
    with pytest.raises(HartError, match="alpha=10"):
        select_alpha({1: 30.0, 10: float("nan")})
    paths = []
    for alpha, score in ((1, 40.0), (5, 41.5), (10, 41.0), (20, 39.0)):
        p = tmp_path / f"dev-{alpha}.json"
        p.write_text(json.dumps({"score": score, "metric": "rougeL"}))
        paths.append(f"{alpha}={p}")
    assert select_main(["--out", str(tmp_path / "choice.json")] + paths) == 0
    assert json.loads((tmp_path / "choice.json").read_text())["alpha"] == 5.0
    assert "alpha = 5" in capsys.readouterr().out
    (tmp_path / "dev-20.json").write_text("{}")
    assert select_main(["--out", str(tmp_path / "bad.json")] + paths) == 2
    assert "dev-20.json" in capsys.readouterr().err and not (tmp_path / "bad.json").exists()


_SAVE = """
import sys, torch
from hart.model.build import save_weights
meta = {f"key{i}": f"value{i}" for i in range(8)}
tensors = {f"t{i}": torch.arange(i + 3, dtype=torch.float32 if i % 2 else torch.int64) for i in range(12)}
save_weights(tensors, sys.argv[1], meta)
"""


def test_saved_safetensors_are_byte_identical_across_processes(tmp_path):
    """safetensors' writer orders the metadata by a per-process random hash: the header is canonicalised."""
    from safetensors import safe_open

    paths = [tmp_path / f"w{i}.safetensors" for i in range(3)]
    for path in paths:
        subprocess.run([sys.executable, "-c", _SAVE, str(path)], check=True)
    blobs = {p.read_bytes() for p in paths}
    assert len(blobs) == 1
    with safe_open(str(paths[0]), "pt") as fh:  # still a valid file: same tensors, same metadata
        assert fh.metadata() == {f"key{i}": f"value{i}" for i in range(8)}
        assert torch.equal(fh.get_tensor("t5"), torch.arange(8, dtype=torch.float32))
        assert torch.equal(fh.get_tensor("t4"), torch.arange(7))
    header = blobs.pop()[8:].split(b'"t', 1)[0]
    assert header.index(b"key0") < header.index(b"key3") < header.index(b"key7")
