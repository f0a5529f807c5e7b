"""Unit-test data: a tiny self-made task set (two hidden rules, demonstrations in hyper_input) and tokenizer."""

import random


WORDS = "red blue green cat dog bird tree stone river cloud sun moon fish boat car road".split()
RULES = {"copy": lambda ws: ws, "reverse": lambda ws: ws[::-1], "first": lambda ws: ws[:1], "last": lambda ws: ws[-1:]}


def make_rows(n: int, seed: int = 0) -> list[dict]:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        rule = rng.choice(sorted(RULES))
        demos = []
        for _ in range(2):
            ws = rng.sample(WORDS, 3)
            demos.append(f"Input: {' '.join(ws)}\nOutput: {' '.join(RULES[rule](ws))}")
        ws = rng.sample(WORDS, 3)
        query = f"Input: {' '.join(ws)}\nOutput: "
        target = " ".join(RULES[rule](ws))
        rows.append({"benchmark": "unit", "task": rule, "id": f"{rule}-{i}", "split": "train", "category": rule,
                     "template": None, "hyper_input": "Definition: apply the rule.\n\n" + "\n\n".join(demos),
                     "query": query, "few_shot_input": "\n\n".join(demos) + "\n\n" + query,
                     "tk_instruct_input": "\n\n".join(demos) + "\n\n" + query, "target": target,
                     "references": [target], "choices": None, "label": None})
    return rows


def tiny_config(episodes, tokenizer, method="hart", **train) -> dict:
    """A complete config at a geometry small enough for many tests."""
    methods = {
        "hart": {"name": "hart", "generator": "hart", "fid": True, "input_field": "query",
                 "consistency": {"alpha": 1.0, "pairing": "per_example"}},
        "hypertuning": {"name": "hypertuning", "generator": "hypertuning", "fid": True, "input_field": "query"},
        "ft-few-shot": {"name": "ft-few-shot", "generator": "none", "train_main": True, "fid": False,
                        "input_field": "few_shot_input"},
        "prefix-tuning": {"name": "prefix-tuning", "generator": "learned", "fid": False, "input_field": "few_shot_input"},
    }
    cfg = {
        "model": {"scale": "tiny", "d_model": 32, "d_ff": 64, "num_layers": 2, "num_decoder_layers": 2, "num_heads": 4,
                  "d_kv": 8, "vocab_size": None, "dropout": 0.0, "tokenizer": str(tokenizer), "prefix_length": 4,
                  "hyper_decoder_layers": 1, "max_hyper_len": 96, "max_input_len": 48, "max_target_len": 12},
        "method": methods[method],
        "train": {"episodes": str(episodes), "steps": 6, "batch_size": 8, "micro_batch_size": 4, "lr": 3e-3,
                  "optimizer": "adamw", "checkpoint_every": 2, "seed": 0, "threads": 1},
    }
    cfg["train"].update(train)
    return cfg
