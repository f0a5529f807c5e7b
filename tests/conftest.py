"""Shared fixtures: the read-only real data in shared/data and the real T5 tokenizer.

The shared data is found through $HART_SHARED_DATA, else ``../shared/data`` beside the repo root.
Tests that need it skip with the reason when it is absent; nothing else skips.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _shared_root() -> Path:
    env = os.environ.get("HART_SHARED_DATA")
    return Path(env) if env else REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    root = _shared_root()
    if not (root / "sni").is_dir():
        pytest.skip(f"shared real data not found at {root} (set HART_SHARED_DATA)")
    return root


@pytest.fixture(scope="session")
def t5_tokenizer(shared_data):
    from transformers import AutoTokenizer
    from transformers.utils import logging

    logging.set_verbosity_error()
    return AutoTokenizer.from_pretrained(shared_data / "t5" / "tokenizer")


@pytest.fixture(scope="session")
def unit_data(tmp_path_factory):
    """(episodes path, tokenizer folder) shared by the training tests."""
    from hart.data.tokenizer import train_tokenizer
    from unitdata import make_rows

    root = tmp_path_factory.mktemp("unit")
    rows = make_rows(64)
    path = root / "train.jsonl"
    path.write_text("".join(json.dumps(r, sort_keys=True) + "\n" for r in rows))
    texts = [r[k] for r in rows for k in ("hyper_input", "query", "target")]
    train_tokenizer(texts, root / "tokenizer", vocab_size=120)
    return path, root / "tokenizer"


@pytest.fixture(scope="session")
def suite_sni_raw(tmp_path_factory):
    """The embedded suite's S-NI raw folder (task files + default split), seed 0; read-only:
    a test that changes it works on a copy."""
    from hart.data.suite.sni import write_sni_raw

    out = tmp_path_factory.mktemp("suite-sni") / "raw"
    write_sni_raw(out, seed=0)
    return out


@pytest.fixture(scope="session")
def trained_runs(unit_data, tmp_path_factory):
    """Tiny trained runs shared by tests/test_adapt.py and tests/bad_inputs/ (read-only: a test that
    changes one works on a copy): ``hart`` (seed 0), ``hart_b`` (seed 1), ``layerwise`` (bidir-layerwise)."""
    from hart.train.loop import train
    from unitdata import tiny_config

    episodes, tok = unit_data
    root = tmp_path_factory.mktemp("trained-runs")
    out = {}
    for name, seed in (("hart", 0), ("hart_b", 1)):
        cfg = tiny_config(episodes, tok, "hart", steps=2)
        cfg["model"]["seed"] = seed
        assert train(cfg, root / name) == 0
        out[name] = root / name
    cfg = tiny_config(episodes, tok, "hart", steps=2)
    cfg["method"] = {"name": "bidir-layerwise", "generator": "layerwise", "fid": True, "input_field": "query"}
    assert train(cfg, root / "layerwise") == 0
    out["layerwise"] = root / "layerwise"
    return out


@pytest.fixture(scope="session")
def trained_run_factory(unit_data, tmp_path_factory):
    """``make(name, method="hart", **config_edits)``: one more tiny trained run (2 steps), built once per
    session and name; ``method`` names a unitdata.tiny_config method or is a method section;
    ``config_edits`` maps a section to the keys it updates (``run={"benchmark": ...}``)."""
    from hart.train.loop import train
    from unitdata import tiny_config

    episodes, tok = unit_data
    root, made = tmp_path_factory.mktemp("more-runs"), {}

    def make(name: str, method: str | dict = "hart", **edits):
        if name not in made:
            cfg = tiny_config(episodes, tok, method if isinstance(method, str) else "hart", steps=2)
            if isinstance(method, dict):  # a method section, e.g. from config/method/<name>.yaml
                cfg["method"] = method
            for section, keys in edits.items():
                cfg.setdefault(section, {}).update(keys)
            assert train(cfg, root / name) == 0
            made[name] = root / name
        return made[name]
    return make
