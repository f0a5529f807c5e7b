"""Pretrained weights through huggingface_hub, offline: a loopback server speaks the hub's HTTP API.

The repositories it serves are hub-format snapshots of the small LM-adapt architecture
(../shared/data/t5/small-lm-adapt-arch, random weights, ``save_pretrained``), one with
``model.safetensors`` and one with ``pytorch_model.bin`` only, like the LM-adapt main branches.
The download goes through the real huggingface_hub client (HfApi.model_info, hf_hub_download);
the model is loaded through ``hart.model.t5.load_pretrained``, the code the cluster jobs run.
"""

import hashlib
import shutil
from pathlib import Path

import pytest
import torch

from hart.data.download import download_source, read_lock
from hart.errors import HartError
from hubserver import TOKENIZER_FILES, Hub, small_lm_adapt_snapshot

COMMITS = {"google/t5-small-st": "a" * 40, "google/t5-small-bin": "b" * 40}


@pytest.fixture(scope="module")
def repos(shared_data, tmp_path_factory):
    """{repo: folder} and the random model they hold."""
    root = tmp_path_factory.mktemp("hubrepos")
    st, binary = root / "st", root / "bin"
    model = small_lm_adapt_snapshot(shared_data, st)
    shutil.copytree(st, binary)
    (binary / "model.safetensors").unlink()
    torch.save(model.state_dict(), binary / "pytorch_model.bin")  # shared embeddings stay shared
    return {"google/t5-small-st": st, "google/t5-small-bin": binary}, model


@pytest.fixture
def hub(repos, monkeypatch, tmp_path):
    server = Hub(repos[0], COMMITS)
    monkeypatch.setenv("HF_ENDPOINT", server.url)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))  # never the user's cache
    yield server
    server.stop()


def _config(*repos):
    return {"data": {"sources": {"hub": {
        "allow": ["config.json", "generation_config.json", "model.safetensors", "pytorch_model.bin", *TOKENIZER_FILES],
        "models": [{"repo": r, "revision": "main", "name": r.split("/")[1]} for r in repos]}}}}


def _offline(monkeypatch):
    import huggingface_hub.constants as hc

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(hc, "HF_HUB_OFFLINE", True)


@pytest.mark.parametrize("repo", ["google/t5-small-st", "google/t5-small-bin"])
def test_download_pins_commit_checksums_and_loads_offline(repos, hub, tmp_path, monkeypatch, repo):
    from transformers import AutoTokenizer

    from hart.model.t5 import load_pretrained, untied_head

    lock = download_source(_config(repo), "hub", tmp_path / "cache")
    name = repo.split("/")[1]
    folder = tmp_path / "cache" / "hub" / name
    rec = lock[name]
    assert rec["commit"] == COMMITS[repo] and rec["revision"] == "main"
    assert read_lock(tmp_path / "cache" / "hub") == lock  # written to disk
    for f, v in rec["files"].items():
        assert v["sha256"] == hashlib.sha256((folder / f).read_bytes()).hexdigest()
    fetched = {p.split("/")[-1] for m, p in hub.requests if m == "GET" and "/resolve/" in p}
    assert all(f"/resolve/{COMMITS[repo]}/" in p for m, p in hub.requests if "/resolve/" in p)  # the pinned commit
    if repo.endswith("bin"):
        assert "pytorch_model.bin" in rec["files"] and set(rec["converted"]) == {"model.safetensors"}
    else:
        assert "pytorch_model.bin" not in fetched and "converted" not in rec

    _offline(monkeypatch)
    hub.stop()  # the hub is unreachable from here on
    model = load_pretrained(str(folder), None)
    expected = repos[1]
    assert untied_head(model)
    for key, value in expected.state_dict().items():
        torch.testing.assert_close(model.state_dict()[key], value, rtol=0, atol=0, msg=key)
    tok = AutoTokenizer.from_pretrained(folder)
    assert tok("hello").input_ids[-1] == 1  # T5's EOS
    again = download_source(_config(repo), "hub", tmp_path / "cache")  # cached: no network needed
    assert again[name]["files"] == rec["files"]


def test_checksum_mismatch_stops_and_removes_the_file(repos, hub, tmp_path):
    download_source(_config("google/t5-small-st"), "hub", tmp_path / "cache")
    folder = tmp_path / "cache" / "hub" / "t5-small-st"
    (folder / "config.json").write_text("{}")  # a corrupted cached file
    with pytest.raises(HartError, match=r"config.json: sha256 mismatch.*expected [0-9a-f]{64}, got"):
        download_source(_config("google/t5-small-st"), "hub", tmp_path / "cache")
    assert not (folder / "config.json").exists()


def test_unreachable_hub_is_one_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # nothing listens on the discard port
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    with pytest.raises(HartError, match="cannot reach google/t5-small-st@main.*login node"):
        download_source(_config("google/t5-small-st"), "hub", tmp_path / "cache")


class Evil:
    def __reduce__(self):
        return (print, ("code ran while unpickling",))


def test_bin_conversion_never_runs_pickled_code(tmp_path, capsys):
    from hart.data.hub import convert_bin

    torch.save({"w": torch.ones(2), "x": Evil()}, tmp_path / "pytorch_model.bin")
    with pytest.raises(HartError, match="weights_only=True"):
        convert_bin(tmp_path / "pytorch_model.bin", tmp_path / "model.safetensors")
    assert "code ran" not in capsys.readouterr().out
    assert not (tmp_path / "model.safetensors").exists()


def test_load_pretrained_names_a_missing_snapshot(tmp_path):
    from hart.model.t5 import load_pretrained

    with pytest.raises(HartError, match="hart data download --source hub"):
        load_pretrained(str(tmp_path / "data" / "cache" / "hub" / "t5-large-lm-adapt"), None)
    (tmp_path / "only-bin").mkdir()
    (tmp_path / "only-bin" / "pytorch_model.bin").write_bytes(b"")
    with pytest.raises(HartError, match="model.safetensors missing"):
        load_pretrained(str(tmp_path / "only-bin"), None)
