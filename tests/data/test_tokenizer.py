"""The `tiny` tokenizer: T5-shaped special ids, EOS appended, lossless on suite text, deterministic,
and a clear error for a missing or wrong tokenizer."""

from __future__ import annotations

import json

import pytest

from hart.data.suite.build import sni_texts
from hart.data.suite.family import build_task
from hart.data.suite.p3 import prompt_texts
from hart.data.suite.registry import HELD_OUT_FAMILIES, TRAIN_FAMILIES
from hart.data.tokenizer import load_tokenizer, train_tokenizer
from hart.errors import HartError


@pytest.fixture(scope="module")
def texts() -> list[str]:
    tasks = {f.name: build_task(f, 0) for f in TRAIN_FAMILIES[::4] + HELD_OUT_FAMILIES[::3]}
    return list(sni_texts(tasks)) + list(prompt_texts(0))


@pytest.fixture(scope="module")
def tok_dir(texts, tmp_path_factory):
    out = tmp_path_factory.mktemp("tok")
    train_tokenizer(texts, out, vocab_size=1000, seed=0)
    return out


@pytest.fixture(scope="module")
def tok(tok_dir):
    return load_tokenizer(tok_dir)


def test_loads_with_autotokenizer_and_t5_ids(tok_dir):
    from transformers import AutoTokenizer

    auto = AutoTokenizer.from_pretrained(str(tok_dir))
    assert (auto.pad_token_id, auto.eos_token_id, auto.unk_token_id) == (0, 1, 2)
    assert auto.convert_ids_to_tokens([0, 1, 2]) == ["<pad>", "</s>", "<unk>"]
    assert 200 < len(auto) <= 1000


def test_eos_appended_to_single_and_pair(tok):
    ids = tok("the red cat")["input_ids"]
    assert ids[-1] == 1 and 1 not in ids[:-1]
    pair = tok("the red cat", "sees a dog")["input_ids"]
    assert pair.count(1) == 2 and pair[-1] == 1
    batch = tok(["a", "the big red dog"], padding=True)["input_ids"]
    assert batch[0][-1] == 0 and batch[1][-1] == 1  # right padding with pad id 0


def test_round_trip_on_suite_text(tok, texts):
    sample = texts[::7] + ["Definition: x.\n\n Positive Example 1 -\nInput: a b.\n Output: b a.\n\n"]
    for text in sample:
        ids = tok(text)["input_ids"]
        assert tok.unk_token_id not in ids, text
        assert tok.decode(ids, skip_special_tokens=True) == text


def test_unseen_ascii_is_not_unknown(tok):
    ids = tok("Zebra~quux#42 {JSON}")["input_ids"]
    assert tok.unk_token_id not in ids
    assert tok.decode(ids, skip_special_tokens=True) == "Zebra~quux#42 {JSON}"


def test_deterministic(texts, tok_dir, tmp_path):
    train_tokenizer(texts, tmp_path / "again", vocab_size=1000, seed=0)
    assert (tmp_path / "again" / "tokenizer.json").read_bytes() == (tok_dir / "tokenizer.json").read_bytes()
    train_tokenizer(texts[: len(texts) // 3], tmp_path / "fewer", vocab_size=1000, seed=0)
    assert (tmp_path / "fewer" / "tokenizer.json").read_bytes() != (tok_dir / "tokenizer.json").read_bytes()


def test_missing_tokenizer_names_the_path(tmp_path):
    with pytest.raises(HartError, match="nowhere"):
        load_tokenizer(tmp_path / "nowhere")


def test_wrong_tokenizer_is_refused(tok_dir, tmp_path):
    """A tokenizer whose pad/eos ids are not T5's (here: pad and eos swapped) is a HartError."""
    bad = tmp_path / "bad"
    bad.mkdir()
    spec = json.loads((tok_dir / "tokenizer.json").read_text())
    vocab = spec["model"]["vocab"]
    vocab[0], vocab[1] = vocab[1], vocab[0]  # "</s>" at 0, "<pad>" at 1
    for added in spec["added_tokens"]:
        added["id"] = {0: 1, 1: 0}.get(added["id"], added["id"])
    (bad / "tokenizer.json").write_text(json.dumps(spec))
    (bad / "tokenizer_config.json").write_text((tok_dir / "tokenizer_config.json").read_text())
    with pytest.raises(HartError, match=r"bad.*wrong tokenizer"):
        load_tokenizer(bad)
