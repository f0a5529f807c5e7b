"""The tokenizer the pipeline trains itself for the ``tiny`` scale (benchmarks ``suite-sni``, ``suite-p3``).

A SentencePiece-style Unigram model built with the ``tokenizers`` library, shaped like T5's:
NFKC normalizer, Metaspace pre-tokenizer and decoder, ``<pad>`` = 0, ``</s>`` = 1, ``<unk>`` = 2, and
a post-processor that appends ``</s>`` to every encoded sequence (single and pair), as T5 does.
It is saved through ``transformers.PreTrainedTokenizerFast.save_pretrained`` so that
``transformers.AutoTokenizer.from_pretrained(folder)`` loads it (docs/design.md, Episode files).
(``T5TokenizerFast(vocab_file=...)`` is not used: it is broken in transformers 5.x.)

Every printable ASCII character is added to the training texts, so ASCII text never maps to
``<unk>`` even when a character was absent from the suite.
"""

from __future__ import annotations

import json
import string
from pathlib import Path
from typing import Iterable

from hart.errors import HartError

PAD, EOS, UNK = "<pad>", "</s>", "<unk>"
SPECIAL_IDS = {PAD: 0, EOS: 1, UNK: 2}  # T5's ids; the models and the collators rely on them
ALPHABET = sorted(set(string.printable) - set(string.whitespace) | {"\n"})


def _canonical(tok):
    """The trained Unigram model with scores rounded to 1e-6 and pieces in (score, text) order.

    The trainer sums floats in hash-map order, so two runs on the same texts differ in the last
    bits of the scores, in the order of tied pieces and in which rare character gets which of the
    lowest scores (the piece SET is the same); rounding and sorting make ``tokenizer.json``
    byte-identical across runs and processes.
    """
    from tokenizers import models

    vocab = json.loads(tok.to_str())["model"]["vocab"]  # [[piece, log prob], ...], specials first
    specials, rest = vocab[: len(SPECIAL_IDS)], vocab[len(SPECIAL_IDS) :]
    rest = [(p, round(s, 6)) for p, s in rest]
    # characters missing after pruning are re-added with scores min + k * 1e-4, k in hash-set
    # order (tokenizers' UnigramTrainer::finalize): give those values to them in sorted order
    low = min((s for _, s in rest), default=0.0)
    steps = {p: (s - low) / 1e-4 for p, s in rest if len(p) == 1}
    readded = sorted(p for p, k in steps.items() if abs(k - round(k)) < 0.02)
    values = sorted((s for p, s in rest if p in set(readded)), reverse=True)
    fixed = dict(zip(readded, values))
    rest = sorted(((p, fixed.get(p, s)) for p, s in rest), key=lambda ps: (-ps[1], ps[0]))
    return models.Unigram([(p, s) for p, s in specials] + rest, unk_id=SPECIAL_IDS[UNK], byte_fallback=False)


def build_backend(texts: Iterable[str], vocab_size: int = 2000):
    """Train the raw ``tokenizers.Tokenizer`` (Unigram) on ``texts``; same texts, same model."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

    tok = Tokenizer(models.Unigram())
    tok.normalizer = normalizers.NFKC()
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    trainer = trainers.UnigramTrainer(
        vocab_size=vocab_size,
        special_tokens=[PAD, EOS, UNK],  # ids 0, 1, 2 in this order
        unk_token=UNK,
        shrinking_factor=0.75,
        max_piece_length=16,
        n_sub_iterations=2,
        show_progress=False,
    )
    # every printable ASCII character seen once (not via initial_alphabet, whose unseen characters
    # get scores in hash-map order), so ASCII text never maps to <unk>
    tok.train_from_iterator([*texts, " ".join(ALPHABET)], trainer=trainer)
    tok.model = _canonical(tok)
    for token, idx in SPECIAL_IDS.items():
        if tok.token_to_id(token) != idx:  # would break every model built on this vocabulary
            raise HartError(f"tokenizer training put {token!r} at id {tok.token_to_id(token)}, not {idx}")
    tok.post_processor = processors.TemplateProcessing(
        single=f"$A {EOS}", pair=f"$A {EOS} $B {EOS}", special_tokens=[(EOS, SPECIAL_IDS[EOS])]
    )
    return tok


def train_tokenizer(texts: Iterable[str], out_dir: str | Path, vocab_size: int = 2000, seed: int = 0):
    """Train on ``texts`` and save to ``out_dir``; return the ``PreTrainedTokenizerFast``.

    ``seed`` is recorded for provenance only: Unigram training (EM + pruning) has no random step,
    and ``_canonical`` removes its float-summation noise, so the same texts in the same order give
    the same ``tokenizer.json`` bytes.
    """
    from transformers import PreTrainedTokenizerFast

    fast = PreTrainedTokenizerFast(
        tokenizer_object=build_backend(texts, vocab_size),
        pad_token=PAD,
        eos_token=EOS,
        unk_token=UNK,
        model_max_length=1024,  # the longest input of the paper (hypernetwork, Appendix 6.1.3)
        clean_up_tokenization_spaces=False,  # keep decode(encode(x)) == x
    )
    fast.init_kwargs["hart_seed"] = seed
    fast.save_pretrained(str(out_dir))
    return fast


def load_tokenizer(path: str | Path):
    """Load a tokenizer folder; HartError naming ``path`` if it is missing or not T5-shaped."""
    path = Path(path)
    if not (path / "tokenizer.json").is_file() and not (path / "tokenizer_config.json").is_file():
        raise HartError(f"{path}: no tokenizer here (expected tokenizer.json; run `hart data suite`)")
    from transformers import AutoTokenizer

    try:
        tok = AutoTokenizer.from_pretrained(str(path))
    except (OSError, ValueError) as exc:
        raise HartError(f"{path}: cannot load the tokenizer: {exc}") from None
    if tok.pad_token_id != SPECIAL_IDS[PAD] or tok.eos_token_id != SPECIAL_IDS[EOS]:
        raise HartError(
            f"{path}: wrong tokenizer: pad id {tok.pad_token_id}, eos id {tok.eos_token_id} "
            f"(expected pad {SPECIAL_IDS[PAD]} and eos {SPECIAL_IDS[EOS]}, like T5)"
        )
    return tok
