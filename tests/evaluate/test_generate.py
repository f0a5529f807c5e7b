"""S-NI loop: one task_state per task, batched greedy decoding, special tokens skipped."""

import pytest

from hart.errors import HartError
from hart.evaluate.generate import generate_rows, group_by_task


def _rows():
    rows = []
    for i in range(7):  # tasks interleaved: a, b, a, b, ...
        task = "ab"[i % 2]
        rows.append({"id": str(i), "task": task, "hyper_input": f"Definition: task {task}.",
                     "query": f"Input: example {i}.\nOutput: "})
    return rows


def test_task_state_called_once_per_task(tokenizer, tiny_model, counting):
    spy = counting(tiny_model)
    preds = generate_rows(spy, tokenizer, _rows(), batch_size=2)
    assert len(spy.task_state_calls) == 2
    assert sorted(preds) == [str(i) for i in range(7)]
    # batches never mix tasks and each uses its own task's state: a has 4 rows (2+2), b has 3 (2+1)
    assert [(k["state"][1], k["batch"]) for k in spy.generate_kwargs] == [(1, 2), (1, 2), (2, 2), (2, 1)]
    assert all(k["max_new_tokens"] == 128 for k in spy.generate_kwargs)
    decoded_hyper = tokenizer.decode(spy.task_state_calls[0][0], skip_special_tokens=True)
    assert decoded_hyper == "Definition: task a."


def test_predictions_skip_special_tokens(tokenizer, tiny_model):
    preds = generate_rows(tiny_model, tokenizer, _rows()[:3], max_new_tokens=6)
    for text in preds.values():
        assert "<pad>" not in text and "</s>" not in text and text == text.strip()


def test_rows_of_a_task_must_share_hyper_input():
    rows = _rows()
    rows[2]["hyper_input"] = "another demonstration set"
    with pytest.raises(HartError, match="'a'.*2 different hyper_input"):
        group_by_task(rows)
