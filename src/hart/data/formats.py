"""Prompt strings shared by every benchmark, byte for byte where a peer defines them.

Def+2Pos follows Tk-Instruct's collator (allenai/tk-instruct ``src/ni_collator.py`` @7c0e400; see
PROTOCOL.md): the definition, then positive examples added one at a time while the tokenized total
stays within ``max_len`` (the peer's check joins the examples with a space, the output joins them
with nothing: both kept), then the query; a source still too long is cut at ``max_len`` tokens.
"""

from __future__ import annotations

import string
from typing import Callable, Sequence

TokenCount = Callable[[str], int]  # number of tokens the model will see

# The EOS rule, one per benchmark, used by training (train/batches.py), generation
# (evaluate/generate.py) and rank scoring (evaluate/rank.py) alike (docs/data.md, "EOS rule").
# P3 inputs (main-encoder input and the 16-shot hypernetwork input) carry NO EOS, as T0's seqio
# tasks and HINT's t0 tasks feed them; every other benchmark (S-NI, C4, the S-NI-style suite) is
# tokenized the way Tk-Instruct's collator does it, with the HF T5 tokenizer's default, which
# appends EOS to the source. Targets and answer choices carry EOS everywhere.
NO_INPUT_EOS = frozenset({"p3", "suite-p3"})


def input_eos(benchmark: str) -> bool:
    """Whether a benchmark's inputs (main and hypernetwork) end with EOS."""
    return benchmark not in NO_INPUT_EOS


def _dot(text: str) -> str:
    """Append "." unless the text already ends with punctuation (the peer's rule)."""
    return text if text and text[-1] in string.punctuation else text + "."


def definition_block(definition: str | Sequence[str]) -> str:
    if not isinstance(definition, str):  # S-NI stores a list; the peer takes its first entry
        definition = definition[0]
    return _dot("Definition: " + definition.strip()) + "\n\n"


def example_block(i: int, example: dict, explanation: bool = False) -> str:
    """One positive example, 1-based ``i``, with the peer's leading spaces."""
    s = f" Positive Example {i} -\n"
    s = _dot(s + "Input: " + example["input"].strip()) + "\n"
    s = _dot(s + " Output: " + example["output"].strip()) + "\n"
    if explanation and "explanation" in example:
        s = _dot(s + " Explanation: " + example["explanation"].strip()) + "\n"
    return s + "\n"


def query_block(query_input: str) -> str:
    return _dot("Now complete the following example -\nInput: " + query_input.strip()) + "\nOutput: "


def def_pos(
    definition: str | Sequence[str],
    positives: Sequence[dict],
    query_input: str | None,
    count: TokenCount,
    max_len: int,
    num_pos: int = 2,
    explanation: bool = False,
) -> str:
    """Def+{num_pos}Pos source string; ``query_input=None`` leaves the query out (hypernet input).

    Returns the untruncated string; callers cut at ``max_len`` tokens with ``truncate``.
    """
    head = definition_block(definition)
    tail = query_block(query_input) if query_input is not None else ""
    kept: list[str] = []
    for i, ex in enumerate(positives[:num_pos], start=1):
        block = example_block(i, ex, explanation)
        if count(head + " ".join(kept) + block + tail) <= max_len:
            kept.append(block)
        else:
            break
    return head + "".join(kept) + tail


def truncate(text: str, tokenizer, max_len: int) -> str:
    """The peer's rule: keep a source that fits; otherwise decode its first ``max_len`` tokens."""
    ids = tokenizer(text)["input_ids"]
    if len(ids) <= max_len:
        return text
    return tokenizer.decode(ids[:max_len], skip_special_tokens=True)


def token_counter(tokenizer) -> TokenCount:
    return lambda text: len(tokenizer(text)["input_ids"])


def shot_block(prompt: str, target: str) -> str:
    """One P3 demonstration: the rendered prompt, a newline, its target."""
    return prompt.strip() + "\n" + target.strip()


def pack_shots(shots: Sequence[tuple[str, str]], count: TokenCount, max_len: int, k: int = 16,
               query: str | None = None) -> str:
    """P3 demonstrations (``shot_block``s joined by a blank line), in the given order.

    ``query=None`` ("16-Shots" hypernetwork input): up to ``k`` shots, added while the tokenized
    total stays within ``max_len`` and stopping at the first that does not fit (the Def+2Pos rule
    applied to P3); the first shot is always kept (cut to ``max_len`` later by the caller), since
    the hypernetwork must read at least one demonstration.

    With a ``query`` (few-shot main input, FT-Few-Shot / PEFT baselines): shots + "\n\n" + query,
    with demonstrations dropped from the end, DOWN TO ZERO, until the whole fits ``max_len`` (the
    FLAN/HINT few-shot builder); the query is never cut to make room. Only a query that is longer
    than ``max_len`` on its own is cut, by the caller, like any input.
    """
    kept: list[str] = []
    for prompt, target in shots[:k]:
        block = shot_block(prompt, target)
        trial = "\n\n".join(kept + [block] + ([query] if query is not None else []))
        if count(trial) > max_len and (kept or query is not None):
            break
        kept.append(block)
    return "\n\n".join(kept + ([query] if query is not None else []))
