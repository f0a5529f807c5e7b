"""Train stage: a plain PyTorch loop (optionally under DeepSpeed) with exact resume."""
