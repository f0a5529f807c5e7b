"""Episodes -> tensors. Step ``t``'s batch is a pure function of (seed, t), so resuming needs only t.

Task sampling follows MetaICL (Appendix 6.1.3): a task is drawn in proportion to its size and then
an example from it, which is the same as drawing an episode row uniformly; rows are drawn with
replacement. The hypernetwork input of each row is fixed in the episode file (Def+2Pos for S-NI, a
seeded 16-shot draw per row for P3), so a task's demonstrations vary across its rows.

EOS: the main-encoder and hypernetwork inputs end with EOS or not by the benchmark's rule
(``formats.input_eos``: none for P3, as T0 and HINT feed them; EOS for S-NI and C4, as the HF
tokenizer adds it in Tk-Instruct's collator), the same rule rank scoring and generation apply;
targets always end with EOS.
"""

from __future__ import annotations

from pathlib import Path

import torch

from hart.data.formats import input_eos
from hart.errors import HartError
from hart.io import iter_jsonl

FIELDS = ("query", "few_shot_input", "tk_instruct_input", "hyper_input", "target")


def read_episodes(path: str | Path, need: tuple[str, ...]) -> list[dict]:
    rows = []
    for n, row in iter_jsonl(path, "episode file (run `hart data episodes` first)"):
        for key in need:
            if not isinstance(row.get(key), str):
                raise HartError(f"{path}:{n}: field '{key}' missing or not a string")
        rows.append(row)
    if not rows:
        raise HartError(f"{path}: no episodes (empty split)")
    return rows


class Batches:
    """Tokenised micro-batches for one method's input layout."""

    def __init__(self, rows, tokenizer, input_field: str, hyper: bool, max_hyper: int, max_input: int, max_target: int):
        self.rows, self.tok = rows, tokenizer
        self.input_field, self.hyper = input_field, hyper
        self.max_hyper, self.max_input, self.max_target = max_hyper, max_input, max_target
        rules = {input_eos(r.get("benchmark", "")) for r in rows}
        if len(rules) > 1:
            raise HartError(f"episodes mix benchmarks with different EOS rules: "
                            f"{sorted({r.get('benchmark') for r in rows})}")
        self.input_eos = rules.pop() if rules else True

    def __len__(self) -> int:
        return len(self.rows)

    def step_indices(self, seed: int, step: int, batch_size: int) -> list[int]:
        g = torch.Generator().manual_seed(seed * 1_000_003 + step)
        return torch.randint(len(self.rows), (batch_size,), generator=g).tolist()

    def _tok(self, texts, max_len, eos: bool = True):
        return self.tok(texts, max_length=max_len, truncation=True, padding="longest", return_tensors="pt",
                        add_special_tokens=eos)

    def collate(self, indices: list[int]) -> dict[str, torch.Tensor]:
        rows = [self.rows[i] for i in indices]
        enc = self._tok([r[self.input_field] for r in rows], self.max_input, self.input_eos)
        tgt = self._tok([r["target"] for r in rows], self.max_target)
        labels = tgt["input_ids"].masked_fill(tgt["attention_mask"] == 0, -100)
        out = {"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"], "labels": labels}
        if self.hyper:
            h = self._tok([r["hyper_input"] for r in rows], self.max_hyper, self.input_eos)
            out["hyper_ids"], out["hyper_mask"] = h["input_ids"], h["attention_mask"]
        return out
