"""P3 rank classification: batched shared-encoder scorer == naive loop; EOS conventions; sums."""

import pytest
import torch

from hart.evaluate import rank

INPUTS = ["Premise: the cat sleeps. Hypothesis: an animal rests. True, false or neither?",
          "Which is more likely?", "Fill in: the sky is ___"]
CHOICES = [["True", "False", "Neither"], ["The man fell over because the ice was slippery.", "No"],
           ["blue", "green", "made of cheese, obviously", "red"]]


def _tokens(tokenizer):
    inputs = rank.tokenize_inputs(tokenizer, INPUTS, 384)
    choices = [rank.tokenize_choices(tokenizer, cs, 128) for cs in CHOICES]
    return inputs, choices


def test_batched_equals_naive(tokenizer, tiny_model64):
    inputs, choices = _tokens(tokenizer)
    batched = rank.score_batched(tiny_model64, None, inputs, choices)
    naive = rank.score_naive(tiny_model64, None, inputs, choices)
    assert [len(r) for r in batched] == [len(c) for c in CHOICES]
    for b, n in zip(batched, naive):
        assert b == pytest.approx(n, abs=1e-5)
        assert max(range(len(b)), key=b.__getitem__) == max(range(len(n)), key=n.__getitem__)


def test_chunked_decoder_calls_equal_naive(tokenizer, tiny_model64):
    inputs, choices = _tokens(tokenizer)
    chunked = rank.score_batched(tiny_model64, None, inputs, choices, max_label_tokens=8)  # ~1 choice per call
    for b, n in zip(chunked, rank.score_naive(tiny_model64, None, inputs, choices)):
        assert b == pytest.approx(n, abs=1e-5)


def test_batched_equals_naive_float32(tokenizer, tiny_model):
    inputs, choices = _tokens(tokenizer)
    batched = rank.score_batched(tiny_model, None, inputs, choices)
    naive = rank.score_naive(tiny_model, None, inputs, choices)
    for b, n in zip(batched, naive):
        assert b == pytest.approx(n, rel=1e-5)


def test_score_is_sum_of_token_logprobs_without_length_normalisation(tokenizer, tiny_model64):
    inputs, choices = _tokens(tokenizer)
    ids = torch.tensor([inputs[2]])
    memory, mask = tiny_model64.encode(None, ids, torch.ones_like(ids))
    labels = torch.tensor([choices[2][2]])  # the long choice: 8+ tokens
    logp = torch.log_softmax(tiny_model64.logits(None, memory, mask, labels), -1)[0]
    expected = sum(logp[t, tok].item() for t, tok in enumerate(choices[2][2]))
    assert rank.score_batched(tiny_model64, None, inputs, choices)[2][2] == pytest.approx(expected, abs=1e-9)


def test_eos_on_choices_not_on_inputs_and_one_encode_per_batch(tokenizer, tiny_model, counting):
    spy = counting(tiny_model)
    rows = [{"id": str(i), "query": q, "choices": cs, "hyper_input": "h"} for i, (q, cs) in enumerate(zip(INPUTS, CHOICES))]
    out = rank.rank_rows(spy, tokenizer, rows, state_for=lambda row: "state", batch_size=8)
    assert set(out) == {"0", "1", "2"}
    assert len(spy.encode_inputs) == 1  # one encoder pass for all 3 inputs and their 9 choices
    ids, mask = spy.encode_inputs[0]
    assert ids.shape[0] == 3
    assert not (ids[mask.bool()] == tokenizer.eos_token_id).any()  # inputs: no EOS
    (labels,) = spy.logits_labels
    assert labels.shape[0] == sum(len(c) for c in CHOICES)
    lengths = (labels != tokenizer.pad_token_id).sum(1)
    last = labels[torch.arange(len(labels)), lengths - 1]
    assert (last == tokenizer.eos_token_id).all()  # choices: EOS last
    assert ids[0].tolist() == tokenizer(INPUTS[0], add_special_tokens=False)["input_ids"]


def test_rank_rows_batches_by_state_and_predicts_argmax(tokenizer, tiny_model, counting):
    spy = counting(tiny_model)
    rows = [{"id": str(i), "query": INPUTS[i % 3], "choices": CHOICES[i % 3], "hyper_input": f"h{i // 2}"}
            for i in range(6)]
    states = {}
    out = rank.rank_rows(spy, tokenizer, rows, state_for=lambda r: states.setdefault(r["hyper_input"], object()),
                         batch_size=8)
    assert len(spy.encode_inputs) == 3  # a batch never mixes task states
    for rid, res in out.items():
        assert res["prediction"] == max(range(len(res["scores"])), key=res["scores"].__getitem__)
