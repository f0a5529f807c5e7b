"""P3 rank classification as T0 (bigscience-workshop/t-zero ``t0/model.py``).

Each answer choice scores the SUM of its target tokens' log-probabilities (no length
normalisation); the prediction is the argmax. Inputs are tokenized WITHOUT EOS, choices WITH EOS
(P3's rule in ``formats.input_eos``, which training and generation apply too; a benchmark whose
rule appends EOS, e.g. S-NI, gets it here as well).
The batched scorer encodes each input ONCE and reuses that memory for all its choices (T0 repeats
the input per choice and re-encodes it); the naive scorer runs one full forward per (input, choice)
and is the reference for tests and ``benchmarks/bench_rank.py``.
"""

from __future__ import annotations

from typing import Sequence

import torch

from hart.data.formats import input_eos


def tokenize_inputs(tokenizer, texts: Sequence[str], max_len: int, eos: bool = False) -> list[list[int]]:
    """Main-encoder inputs; no EOS by default (T0's rank-classification convention)."""
    return tokenizer(list(texts), add_special_tokens=eos, truncation=True, max_length=max_len)["input_ids"]


def tokenize_choices(tokenizer, choices: Sequence[str], max_len: int) -> list[list[int]]:
    """Answer choices, EOS appended."""
    return tokenizer(list(choices), add_special_tokens=True, truncation=True, max_length=max_len)["input_ids"]


def _pad(seqs: Sequence[Sequence[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-pad to (n, max_len) ids and a 0/1 mask."""
    width = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(seqs), width), dtype=torch.long)
    for i, s in enumerate(seqs):
        ids[i, : len(s)] = torch.tensor(s, dtype=torch.long)
        mask[i, : len(s)] = 1
    return ids, mask


def sequence_logprob(logits: torch.Tensor, labels: torch.Tensor, label_mask: torch.Tensor) -> torch.Tensor:
    """logits (n, tgt, vocab), labels/mask (n, tgt) -> (n,) sum of the unmasked tokens' log-probs."""
    logits = logits.to(torch.promote_types(logits.dtype, torch.float32))  # fp16/bf16 -> fp32; fp64 kept
    logp = torch.log_softmax(logits, dim=-1).gather(-1, labels.unsqueeze(-1)).squeeze(-1)
    return (logp * label_mask).sum(-1)


@torch.inference_mode()
def score_batched(model, state, inputs: Sequence[Sequence[int]], choices: Sequence[Sequence[Sequence[int]]],
                  pad_id: int = 0, max_label_tokens: int = 256) -> list[list[float]]:
    """Scores of every choice of every input: one encoder pass per input, choices batched.

    ``inputs``: B token lists; ``choices[b]``: the C_b token lists of input b (C_b may differ).
    The memory (B, src, d) is index-expanded to (n, src, d) for each decoder call. Choices are sorted
    by length and cut into calls of at most ``max_label_tokens`` padded label tokens, which bounds
    the (n, tgt, vocab) logits and keeps padding small; padding is masked out of the sum. (On a CPU,
    256 tokens = a 33 MB fp32 logits block was fastest: bigger blocks fall out of cache.)
    """
    device = model_device(model)
    ids, mask = _pad(inputs, pad_id)
    memory, memory_mask = model.encode(state, ids.to(device), mask.to(device))  # (B, src, d), (B, src)
    flat = [(b, c) for b, cs in enumerate(choices) for c in cs]
    order = sorted(range(len(flat)), key=lambda k: -len(flat[k][1]))
    scores = [0.0] * len(flat)
    start = 0
    while start < len(order):
        width = len(flat[order[start]][1])  # longest in this call (sorted descending)
        stop = min(len(order), start + max(1, max_label_tokens // width))
        chunk = order[start:stop]
        owner = torch.tensor([flat[k][0] for k in chunk], device=device)
        labels, label_mask = _pad([flat[k][1] for k in chunk], pad_id)
        labels, label_mask = labels.to(device), label_mask.to(device)
        logits = model.logits(state, memory[owner], memory_mask[owner], labels)  # (n, tgt, vocab)
        for k, s in zip(chunk, sequence_logprob(logits, labels, label_mask).tolist()):
            scores[k] = s
        start = stop
    out, at = [], 0
    for cs in choices:
        out.append(scores[at : at + len(cs)])
        at += len(cs)
    return out


@torch.inference_mode()
def score_naive(model, state, inputs: Sequence[Sequence[int]], choices: Sequence[Sequence[Sequence[int]]],
                pad_id: int = 0) -> list[list[float]]:
    """Reference scorer: one full encoder + decoder forward per (input, choice) pair, batch 1."""
    device = model_device(model)
    out = []
    for inp, cs in zip(inputs, choices):
        ids = torch.tensor([list(inp)], device=device)
        row = []
        for c in cs:
            memory, memory_mask = model.encode(state, ids, torch.ones_like(ids))
            labels = torch.tensor([list(c)], device=device)
            row.append(sequence_logprob(model.logits(state, memory, memory_mask, labels), labels,
                                        torch.ones_like(labels)).item())
        out.append(row)
    return out


def model_device(model) -> torch.device:
    try:
        return next(model.parameters()).device
    except (AttributeError, StopIteration):
        return torch.device("cpu")


def rank_rows(model, tokenizer, rows: Sequence[dict], state_for, input_field: str = "query",
              batch_size: int = 8, max_input_len: int = 384, max_choice_len: int = 128,
              max_label_tokens: int = 256) -> dict[str, dict]:
    """Score P3 rows; returns id -> {"scores": [...], "prediction": argmax index}.

    ``state_for(row)`` gives the row's task state (computed once per distinct hyper_input by the
    caller). Rows are batched in order within runs of the same state.
    """
    results: dict[str, dict] = {}
    i = 0
    while i < len(rows):
        state = state_for(rows[i])
        batch = [rows[i]]
        while len(batch) < batch_size and i + len(batch) < len(rows) and state_for(rows[i + len(batch)]) is state:
            batch.append(rows[i + len(batch)])
        eos = input_eos(batch[0].get("benchmark", "p3"))  # the benchmark's EOS rule, as in training
        inputs = tokenize_inputs(tokenizer, [r[input_field] for r in batch], max_input_len, eos)
        choices = [tokenize_choices(tokenizer, r["choices"], max_choice_len) for r in batch]
        scores_batch = score_batched(model, state, inputs, choices, tokenizer.pad_token_id, max_label_tokens)
        for row, scores in zip(batch, scores_batch):
            results[row["id"]] = {"scores": scores, "prediction": max(range(len(scores)), key=scores.__getitem__)}
        i += len(batch)
    return results
