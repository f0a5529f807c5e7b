"""Shared fixtures: the real T5 tokenizer (offline copy) and a tiny random T5 behind the model API."""

from pathlib import Path

import pytest
import torch

TOKENIZER = Path("/work/shared/data/t5/tokenizer")
TINY = dict(vocab_size=32128, d_model=64, d_ff=128, d_kv=16, num_heads=4, num_layers=2, num_decoder_layers=2,
            feed_forward_proj="gated-gelu", tie_word_embeddings=False, decoder_start_token_id=0,
            pad_token_id=0, eos_token_id=1, dropout_rate=0.0)


@pytest.fixture(scope="session")
def tokenizer():
    if not TOKENIZER.is_dir():
        pytest.skip(f"{TOKENIZER} not available")
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(TOKENIZER))


@pytest.fixture(scope="session")
def tiny_model():
    """PlainT5 over a random 2+2-layer T5 (float32, eval mode)."""
    from hart.evaluate.plain import PlainT5, random_t5

    return PlainT5(random_t5(TINY, seed=0))


@pytest.fixture(scope="session")
def tiny_model64():
    """The same geometry in float64, so batched-vs-naive comparisons are not limited by fp32 noise."""
    from hart.evaluate.plain import PlainT5, random_t5

    return PlainT5(random_t5(TINY, seed=1).to(torch.float64))


class Counting:
    """Wraps a model, counting task_state calls and recording what encode/logits/generate receive."""

    def __init__(self, model):
        self.model = model
        self.task_state_calls = []
        self.encode_inputs = []
        self.logits_labels = []
        self.generate_kwargs = []

    def parameters(self):
        return self.model.parameters()

    def task_state(self, hyper_ids, hyper_mask):
        self.task_state_calls.append(hyper_ids.clone())
        return ("state", len(self.task_state_calls))

    def encode(self, state, input_ids, attention_mask):
        self.encode_inputs.append((input_ids.clone(), attention_mask.clone()))
        return self.model.encode(None, input_ids, attention_mask)

    def logits(self, state, memory, memory_mask, labels):
        self.logits_labels.append(labels.clone())
        return self.model.logits(None, memory, memory_mask, labels)

    def generate(self, state, input_ids, attention_mask, max_new_tokens):
        self.generate_kwargs.append({"state": state, "batch": input_ids.shape[0], "max_new_tokens": max_new_tokens})
        return self.model.generate(None, input_ids, attention_mask, max_new_tokens=2)


@pytest.fixture
def counting():
    return Counting
