"""One EOS rule per benchmark, the same in training, rank scoring and generation (docs/data.md)."""

import torch

from hart.data.formats import input_eos
from hart.evaluate.generate import TaskStates, generate_rows
from hart.evaluate.rank import rank_rows
from hart.train.batches import Batches


def _row(benchmark: str) -> dict:
    return {"benchmark": benchmark, "task": "t", "id": "t|0", "query": "Is the sky blue?",
            "hyper_input": "Is grass green?\nyes\n\nIs coal white?\nno", "target": "yes",
            "choices": ["yes", "no"], "label": 0}


class _Recorder:
    """Stands in for the model: records the token ids evaluation feeds it."""

    def __init__(self):
        self.hyper, self.inputs = [], []

    def task_state(self, ids, mask):
        self.hyper.append(ids[0][mask[0].bool()].tolist())
        return object()

    def encode(self, state, ids, mask):
        self.inputs += [i[m.bool()].tolist() for i, m in zip(ids, mask)]
        return torch.zeros(ids.shape[0], ids.shape[1], 4), mask

    def logits(self, state, memory, memory_mask, labels):
        return torch.zeros(labels.shape[0], labels.shape[1], 32128)

    def generate(self, state, ids, mask, max_new_tokens):
        self.encode(state, ids, mask)
        return torch.ones(ids.shape[0], 1, dtype=torch.long)


def test_rule_per_benchmark():
    assert not input_eos("p3") and not input_eos("suite-p3")
    assert input_eos("sni") and input_eos("suite-sni") and input_eos("c4")


def test_training_and_scoring_feed_the_same_tokens(t5_tokenizer):
    eos = t5_tokenizer.eos_token_id
    for benchmark in ("p3", "sni"):
        row = _row(benchmark)
        batch = Batches([row], t5_tokenizer, "query", True, 1024, 384, 128).collate([0])
        train_in = batch["input_ids"][0][batch["attention_mask"][0].bool()].tolist()
        train_hyper = batch["hyper_ids"][0][batch["hyper_mask"][0].bool()].tolist()
        assert batch["labels"][0].tolist()[-1] == eos  # targets always end with EOS
        assert (train_in[-1] == eos) == (train_hyper[-1] == eos) == input_eos(benchmark), benchmark
        model = _Recorder()
        states = TaskStates(model, t5_tokenizer)
        if benchmark == "p3":
            rank_rows(model, t5_tokenizer, [row], states)
        else:
            generate_rows(model, t5_tokenizer, [row])
        assert model.inputs == [train_in], benchmark
        assert model.hyper == [train_hyper], benchmark
