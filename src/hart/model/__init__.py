"""Model: a frozen T5 main model, prefix injection, hypernetworks (HyperTuning, HART)."""
