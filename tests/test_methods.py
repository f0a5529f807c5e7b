"""Every method config trains a few tiny steps, its loss falls, and exactly its parameters train."""

import json
from pathlib import Path

import pytest

from hart.config import compose, load_yaml
from hart.train.loop import setup, train
from unitdata import tiny_config

ROOT = Path(__file__).resolve().parents[1]
METHODS = sorted(p.stem for p in (ROOT / "config/method").glob("*.yaml"))
HYPER = {"hypertuning", "hypertuning-c4", "hypertuning-pt", "hypertuning-nopt", "hart", "hart-nolc", "hart-nolc-nofid",
         "bidir-layerwise"}
FULL = {"ft-zero-shot", "ft-few-shot", "tk-instruct", "base-lm"}
HINT = {"hint", "hint-c4"}


def _config(unit_data, method: str, **train_over) -> dict:
    episodes, tok = unit_data
    base = tiny_config(episodes, tok, "hart", **train_over)
    method_file = load_yaml(ROOT / "config/method" / f"{method}.yaml")
    base["method"] = method_file["method"]
    base["model"].update({k: v for k, v in method_file.get("model", {}).items() if k == "base_checkpoint"})
    return base


def test_every_paper_method_has_a_config():
    assert set(METHODS) >= HYPER | FULL | HINT | {"prefix-tuning", "lora", "t0-3b"}


def test_method_configs_compose_with_every_scale():
    for scale in ("tiny", "small", "large", "xl"):
        for m in METHODS:
            compose([ROOT / "config/config.yaml", ROOT / f"config/scale/{scale}.yaml", ROOT / f"config/method/{m}.yaml"])


def _expected(method: str, names: list[str], all_names: list[str]) -> None:
    main = [n for n in all_names if n.startswith("main.")]
    if method in FULL:
        assert names == main
    elif method == "prefix-tuning":
        assert names == ["source.enc_k", "source.enc_v", "source.dec_k", "source.dec_v"]
    elif method == "lora":
        assert names and all(("lora_A" in n or "lora_B" in n) for n in names)
        assert any(".k.lora_A" in n for n in names) and any(".o.lora_B" in n for n in names)
    elif method in HYPER:
        assert names == [n for n in all_names if n.startswith("source.")]
        assert not any(n.startswith("main.") for n in names)
    elif method in HINT:
        # hypernet encoder/decoder are the main model's modules: listed once, under main.
        assert set(main) <= set(names)
        assert {n for n in names if n.startswith("source.")} == {n for n in all_names if n.startswith("source.")}
        assert not any(n.startswith("source.encoder.") or n.startswith("source.decoder.") for n in names)
    else:
        raise AssertionError(f"no expectation for {method}")


@pytest.mark.parametrize("method", [m for m in METHODS if m != "t0-3b"])
def test_method_trains_its_parameters_and_loss_falls(method, unit_data, tmp_path):
    cfg = _config(unit_data, method, steps=16, lr=1e-2, checkpoint_every=100)
    *_, model = setup(cfg)
    names = [n for n, p in model.named_parameters() if p.requires_grad]
    _expected(method, names, [n for n, _ in model.named_parameters()])
    assert train(cfg, tmp_path) == 0
    log = [json.loads(l) for l in (tmp_path / "train_log.jsonl").read_text().splitlines()]
    first, last = log[0]["loss_pred"], sum(r["loss_pred"] for r in log[-4:]) / 4
    assert last < 0.9 * first, (method, first, last)


def test_eval_only_method_cannot_train(unit_data, tmp_path):
    from hart.errors import HartError

    cfg = _config(unit_data, "t0-3b")
    cfg["model"]["base_checkpoint"] = None
    cfg["method"]["eval_only"] = True
    with pytest.raises(HartError, match="evaluation-only"):
        train(cfg, tmp_path)
