"""A word-level tokenizer for the params benchmark: every word of the benchmark is one piece.

Why not hart.data.tokenizer.train_tokenizer: on the params texts (a few hundred distinct words,
repeated tens of thousands of times) the Unigram trainer keeps ~740 pieces and splits most
definition words into single characters ("contains" -> 8 pieces), so a Def+2Pos input is ~175
tokens and the slot words sit far from the query (pilot 2, docs/study.md). Here the Unigram model
is not trained but written: one piece per distinct word (``▁word``), every printable ASCII
character and ``▁`` as fallbacks, scores that make a whole word always win (Viterbi maximises the
summed log-probabilities). Same normalizer, pre-tokenizer, decoder, special ids (pad 0, eos 1,
unk 2) and EOS post-processing as the suite tokenizer, saved the same way, so
hart.data.tokenizer.load_tokenizer loads it and decode(encode(x)) == x.
"""

from __future__ import annotations

import re
import string
from pathlib import Path
from typing import Iterable

WORD = re.compile(r"[A-Za-z0-9]+")


def build_word_tokenizer(texts: Iterable[str], out_dir: str | Path):
    """Write the tokenizer to ``out_dir``; return the ``PreTrainedTokenizerFast``."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    from hart.data.tokenizer import EOS, PAD, SPECIAL_IDS, UNK

    words = sorted({w for t in texts for w in WORD.findall(t)})
    chars = sorted((set(string.printable) - {" "}) | {"▁"})  # newlines kept: Def+2Pos has them
    vocab = [(PAD, 0.0), (EOS, 0.0), (UNK, 0.0)]
    vocab += [(f"▁{w}", -1.0) for w in words]  # a word at the start of a pre-token
    vocab += [(w, -2.0) for w in words if f"▁{w}" not in {c for c in chars}]  # a word after punctuation
    vocab += [(c, -20.0) for c in chars]  # fallback: never preferred over a word piece
    seen, pieces = set(), []
    for p, s in vocab:
        if p not in seen:
            seen.add(p)
            pieces.append((p, s))
    tok = Tokenizer(models.Unigram(pieces, unk_id=SPECIAL_IDS[UNK], byte_fallback=False))
    tok.normalizer = normalizers.NFKC()
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    tok.post_processor = processors.TemplateProcessing(
        single=f"$A {EOS}", pair=f"$A {EOS} $B {EOS}", special_tokens=[(EOS, SPECIAL_IDS[EOS])]
    )
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, pad_token=PAD, eos_token=EOS, unk_token=UNK,
                                   model_max_length=1024, clean_up_tokenization_spaces=False)  # fmt: skip
    fast.save_pretrained(str(out_dir))
    return fast
