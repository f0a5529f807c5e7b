"""Evaluation stage: S-NI generation + ROUGE-L, P3 rank classification + accuracy.

``metrics`` (scoring, no torch), ``rank`` (P3 choice scoring), ``generate`` (S-NI decoding loop),
``plain`` (the model API over a bare T5, for FT baselines, tests and benchmarks), ``run`` (one
evaluation run: load, predict, score, write) and ``cli`` (`hart evaluate`).
"""
