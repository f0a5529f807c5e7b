"""S-NI evaluation loop: one task state per task, batched greedy decoding, decoded strings.

Paper Section 4.1 / Appendix 6.1.3: at inference each task uses one fixed set of demonstrations
(Def+2Pos), so the hypernetwork runs ONCE per task (``model.task_state``) and its state broadcasts
over every query batch of that task. Decoding: greedy, at most 128 new tokens, special tokens
skipped (natural-instructions protocol; PROTOCOL.md, Metrics). Inputs and hypernetwork inputs end
with EOS or not by the benchmark's rule (``formats.input_eos``), as in training and rank scoring.
"""

from __future__ import annotations

from typing import Sequence

import torch

from hart.data.formats import input_eos
from hart.errors import HartError
from hart.evaluate.rank import model_device


class TaskStates:
    """``model.task_state`` memoised on the hyper_input string: one hypernetwork forward per input."""

    def __init__(self, model, tokenizer, max_hyper_len: int = 1024):
        self.model, self.tokenizer, self.max_hyper_len = model, tokenizer, max_hyper_len
        self._cache: dict[str, object] = {}

    @torch.inference_mode()
    def __call__(self, row: dict):
        text = row["hyper_input"]
        if text not in self._cache:
            enc = self.tokenizer([text], truncation=True, max_length=self.max_hyper_len, return_tensors="pt",
                                 add_special_tokens=input_eos(row.get("benchmark", "")))
            device = model_device(self.model)
            self._cache[text] = self.model.task_state(enc["input_ids"].to(device), enc["attention_mask"].to(device))
        return self._cache[text]


def group_by_task(rows: Sequence[dict]) -> dict[str, list[dict]]:
    """Rows per task in first-seen order; every row of a task must carry the same hyper_input."""
    tasks: dict[str, list[dict]] = {}
    for row in rows:
        tasks.setdefault(row["task"], []).append(row)
    for task, group in tasks.items():
        hyper = {r["hyper_input"] for r in group}
        if len(hyper) != 1:
            raise HartError(f"task {task!r}: its {len(group)} test rows carry {len(hyper)} different "
                            "hyper_input strings; evaluation uses one fixed demonstration set per task")
    return tasks


@torch.inference_mode()
def generate_rows(model, tokenizer, rows: Sequence[dict], input_field: str = "query", batch_size: int = 8,
                  max_new_tokens: int = 128, max_input_len: int = 384, max_hyper_len: int = 1024) -> dict[str, str]:
    """Greedy predictions for S-NI rows: id -> decoded string (special tokens skipped)."""
    states = TaskStates(model, tokenizer, max_hyper_len)
    device = model_device(model)
    predictions: dict[str, str] = {}
    for group in group_by_task(rows).values():
        state = states(group[0])  # the one task_state call of this task
        for start in range(0, len(group), batch_size):
            batch = group[start : start + batch_size]
            enc = tokenizer([r[input_field] for r in batch], padding=True, truncation=True,
                            max_length=max_input_len, return_tensors="pt",
                            add_special_tokens=input_eos(batch[0].get("benchmark", "")))
            out = model.generate(state, enc["input_ids"].to(device), enc["attention_mask"].to(device),
                                 max_new_tokens=max_new_tokens)
            texts = tokenizer.batch_decode(out, skip_special_tokens=True)
            predictions.update((r["id"], t.strip()) for r, t in zip(batch, texts))
    return predictions

