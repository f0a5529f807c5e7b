"""`hart adapt`: adapt a trained hypernetwork to a new task in one forward pass.

    hart adapt --checkpoint RUN --task TASK.json --out DIR [--query TEXT ...] [--queries FILE] [--instances]
    hart adapt --checkpoint RUN --prefixes DIR [--query TEXT ...] [--queries FILE]

TASK.json is in the S-NI schema: ``Definition`` and ``Positive Examples`` are required,
``Instances`` optional. Its Def+2Pos string (the training format) goes through the hypernetwork
once (a P3-trained run reads the "16-Shots" format instead: up to 16 positive examples, each
``input`` + newline + ``output``, joined by blank lines, no EOS, as in its training episodes);
demonstrations that do not fit ``max_hyper_len`` are dropped with a warning, and prefixes.json
records the text the hypernetwork read. The prefixes (and, with fusion-in-decoder, the hypernet
encoder output the main decoder attends to) are saved to ``DIR/prefixes.safetensors`` with
``DIR/prefixes.json`` naming the base model, the shapes and the hypernetwork checkpoint (sha256)
they came from. Queries are answered greedily; the task's own instances are scored (ROUGE-L,
exact match) when they carry outputs.
``--prefixes DIR`` answers later queries from saved prefixes with the hypernetwork removed.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch
from safetensors.torch import load_file

from hart.errors import HartError
from hart.argtypes import positive_int


TENSORS = ("enc_k", "enc_v", "dec_k", "dec_v")
SHOTS = 16  # P3's "16-Shots" hypernetwork input (paper, Section 4)


def register(sub) -> None:
    p = sub.add_parser("adapt", help="generate a new task's prefixes in one forward pass and answer queries",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--checkpoint", required=True, help="trained run folder of a hypernetwork method")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--task", help="task file in the S-NI schema")
    src.add_argument("--prefixes", help="folder written by an earlier `hart adapt --out`")
    p.add_argument("--out", help="folder for prefixes.safetensors, prefixes.json, answers.jsonl (with --task)")
    p.add_argument("--query", action="append", default=[], help="a query input (repeatable)")
    p.add_argument("--queries", help="file of query inputs: one per line, or JSONL objects with 'input'")
    p.add_argument("--instances", action="store_true", help="answer (and score) the task's own instances")
    p.add_argument("--max-new-tokens", type=positive_int, default=128)
    p.add_argument("--device", default=None, help="torch device (default: $HART_DEVICE, else cuda:$LOCAL_RANK / cuda / cpu; hart.device)")
    p.set_defaults(func=run)


def load_adapt_task(path: str | Path, need_definition: bool = True) -> dict:
    """Validate a task for adaptation: definition (unless the run reads P3's 16 shots, which have
    none) and positive examples required, instances optional."""
    from hart.data import taskfile

    path = Path(path)
    task = taskfile.read_task_json(path)
    if not need_definition and task.get("Definition") is None:
        task["Definition"] = [""]  # not read: the 16-shot input has no definition
        return _check_examples(path, task)
    definition = task.get("Definition")
    if isinstance(definition, str):
        definition = [definition]
    if not isinstance(definition, list) or not definition or not isinstance(definition[0], str) or not definition[0].strip():
        raise HartError(f"{path}: field 'Definition': missing or empty (the hypernetwork needs the task definition)")
    task["Definition"] = definition
    return _check_examples(path, task)


def _check_examples(path: Path, task: dict) -> dict:
    from hart.data import taskfile

    positives = task.get("Positive Examples")
    if not isinstance(positives, list) or not positives:
        raise HartError(f"{path}: field 'Positive Examples': missing or empty (the hypernetwork needs demonstrations)")
    taskfile.check_examples(path, positives, "Positive Examples")
    if "Instances" in task:
        taskfile.check_instances(path, task["Instances"])
    return task


def base_identity(config: dict) -> dict:
    """What the prefixes are valid for: the main model's source and geometry."""
    m = config["model"]
    ident = {k: m.get(k) for k in ("pretrained", "revision", "d_model", "num_layers", "num_decoder_layers",
                                   "num_heads", "d_kv", "prefix_length")}
    if m.get("base_checkpoint") and not m.get("pretrained"):
        from hart.train.checkpoint import sha256

        from hart.config import project_path

        ident["base_checkpoint_sha256"] = sha256(project_path(m["base_checkpoint"]))
    return ident


def _hyper_sha(run: Path) -> str:
    from hart.train.checkpoint import sha256

    return sha256(run / "model.safetensors")


def _queries(args, task: dict | None) -> list[dict]:
    from hart.data.formats import query_block

    items = [{"id": f"query-{i}", "input": q} for i, q in enumerate(args.query)]
    if args.queries:
        from hart.io import read_text

        path = Path(args.queries)
        for n, line in enumerate(read_text(path, "queries file").splitlines(), start=1):
            if not line.strip():
                continue
            if line.lstrip().startswith("{"):
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise HartError(f"{path}:{n}: not valid JSON ({exc.msg})") from None
                if not isinstance(obj, dict) or not isinstance(obj.get("input"), str):
                    raise HartError(f"{path}:{n}: field 'input' missing or not a string")
                refs = obj.get("output")
                if refs is not None and not (isinstance(refs, list) and all(isinstance(r, str) for r in refs)):
                    raise HartError(f"{path}:{n}: field 'output' must be a list of strings, got {type(refs).__name__}")
                items.append({"id": obj.get("id", f"line-{n}"), "input": obj["input"], "references": obj.get("output")})
            else:
                items.append({"id": f"line-{n}", "input": line})
    if args.instances:
        if task is None or not task.get("Instances"):
            raise HartError("--instances: the task has no Instances")
        items += [{"id": i["id"], "input": i["input"], "references": i["output"]} for i in task["Instances"]]
    for item in items:
        item["query"] = query_block(item["input"])
    return items


def _answer(model, tokenizer, state, items, config, max_new_tokens) -> list[dict]:
    max_len = config["model"].get("max_input_len", 384)
    for start in range(0, len(items), 16):
        batch = items[start:start + 16]
        enc = tokenizer([b["query"] for b in batch], padding=True, truncation=True, max_length=max_len, return_tensors="pt")
        device = next(model.parameters()).device
        out = model.generate(state, enc["input_ids"].to(device), enc["attention_mask"].to(device),
                             max_new_tokens=max_new_tokens)
        for b, text in zip(batch, tokenizer.batch_decode(out, skip_special_tokens=True)):
            b["prediction"] = text.strip()
    return items


def _score(items: list[dict]) -> dict | None:
    from hart.evaluate.metrics import exact_match, max_over_references, rouge_l

    scored = [i for i in items if i.get("references")]
    if not scored:
        return None
    rl = [max_over_references(rouge_l, i["prediction"], i["references"]) for i in scored]
    em = [max_over_references(exact_match, i["prediction"], i["references"]) for i in scored]
    return {"n": len(scored), "rougeL": 100 * sum(rl) / len(rl), "exact_match": 100 * sum(em) / len(em)}


def prefix_files(out: Path, state, meta: dict) -> dict:
    """``{path: bytes/str}`` of prefixes.safetensors and prefixes.json (written with the other outputs)."""
    from safetensors.torch import save

    p = state.prefixes
    tensors = {k: getattr(p, k)[:1].contiguous().cpu() for k in TENSORS}
    if state.memory is not None:
        tensors["memory"] = state.memory[:1].contiguous().cpu()
        tensors["memory_mask"] = state.memory_mask[:1].contiguous().cpu()
    meta = dict(meta, shapes={k: list(v.shape) for k, v in tensors.items()})
    return {out / "prefixes.safetensors": save(tensors),
            out / "prefixes.json": json.dumps(meta, indent=2, sort_keys=True) + "\n"}


def save_prefixes(out: Path, state, meta: dict) -> None:
    from hart.io import write_together

    write_together(prefix_files(out, state, meta))


def hyper_text(task: dict, tokenizer, max_hyper: int, shots: bool = False) -> tuple[str, dict]:
    """(what the hypernetwork reads, what was dropped to fit ``max_hyper`` tokens): demonstrations
    that did not fit are dropped, a text still too long is cut (hart.data.truncation).

    ``shots``: the run was trained on P3's "16-Shots" input (``formats.pack_shots``, no EOS, no
    definition); otherwise Def+2Pos (S-NI, EOS counted)."""
    from hart.data.formats import token_counter, truncate
    from hart.data.truncation import hyper_truncation, shots_truncation

    if not shots:
        text, lost = hyper_truncation(task["Definition"], task["Positive Examples"], token_counter(tokenizer),
                                      max_hyper)
        read = truncate(text, tokenizer, max_hyper)
    else:
        no_eos = lambda t: len(tokenizer(t, add_special_tokens=False)["input_ids"])  # noqa: E731
        pairs = [(ex["input"], ex["output"]) for ex in task["Positive Examples"]]
        text, lost = shots_truncation(pairs, no_eos, max_hyper, SHOTS)
        ids = tokenizer(text, add_special_tokens=False)["input_ids"]
        read = text if len(ids) <= max_hyper else tokenizer.decode(ids[:max_hyper], skip_special_tokens=True)
    return read, {"demonstrations_dropped": lost["demonstrations_dropped"],
                  "cut_at_tokens": max_hyper if lost["cut"] else None}


def shots_format(config: dict) -> bool:
    """Whether the run's hypernetwork was trained on P3's 16-shot inputs (no EOS): by ``run.benchmark``
    (workflow runs), else by the benchmark of the first training episode when that file is at hand."""
    from hart.data.formats import input_eos

    benchmark = (config.get("run") or {}).get("benchmark")
    if benchmark is None:
        from hart.runcheck import localize

        episodes = ((config.get("train") or {}).get("episodes")) if isinstance(config.get("train"), dict) else None
        if not isinstance(episodes, str) or not episodes:
            return False
        path = Path(localize(config)["train"]["episodes"])
        path = path / "train.jsonl" if path.is_dir() else path
        try:
            with open(path, encoding="utf-8") as fh:
                benchmark = json.loads(fh.readline()).get("benchmark")
        except (OSError, ValueError, AttributeError):
            return False  # a moved run without its episodes: the S-NI format, the paper's adaptation case
    return isinstance(benchmark, str) and not input_eos(benchmark)


def load_prefixes(folder: Path, config: dict, run: Path, device: torch.device | str = "cpu"):
    from hart.model.adapted import TaskState
    from hart.model.prefix import Prefixes

    meta_path, tensor_path = folder / "prefixes.json", folder / "prefixes.safetensors"
    if not meta_path.is_file() or not tensor_path.is_file():
        raise HartError(f"{folder}: no saved prefixes (expected prefixes.json and prefixes.safetensors)")
    from hart.io import read_json

    meta = read_json(meta_path, "prefixes.json")
    if not isinstance(meta, dict):
        raise HartError(f"{meta_path}: not a JSON object")
    if meta.get("base") != base_identity(config):
        raise HartError(f"{meta_path}: base-model mismatch: prefixes were made for {meta.get('base')}, "
                        f"the checkpoint's main model is {base_identity(config)}")
    if meta.get("hypernetwork_sha256") != _hyper_sha(run):
        raise HartError(f"{meta_path}: prefixes come from another checkpoint ({meta.get('checkpoint')}, sha256 "
                        f"{str(meta.get('hypernetwork_sha256'))[:12]}...), not {run}")
    t = {k: v.to(device) for k, v in load_file(str(tensor_path)).items()}
    return TaskState(Prefixes(*(t[k] for k in TENSORS)), t.get("memory"), t.get("memory_mask")), meta


def _raw_config(run: Path) -> dict:
    """The run's config.json as plain JSON, {} when unreadable (``load`` reports that, with the file)."""
    try:
        config = json.loads((run / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return config if isinstance(config, dict) else {}


def _check_out(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise HartError(f"{out}: --out must be a folder, not a file")


def run(args) -> int:
    from hart.device import select
    from hart.io import write_together
    from hart.model.adapted import load

    run_dir = Path(args.checkpoint)
    task = None
    if args.task:  # every argument is checked before the model loads and before anything is written
        if not args.out:
            raise HartError("--task needs --out DIR for the generated prefixes")
        _check_out(Path(args.out))
        task = load_adapt_task(args.task, need_definition=not shots_format(_raw_config(run_dir)))
    elif args.out:
        _check_out(Path(args.out))
    device = select(args.device)
    model, tokenizer, config = load(run_dir, device=device)
    if not model.uses_hyper_input:
        raise HartError(f"{run_dir}: method '{config['method'].get('name')}' has no hypernetwork to adapt with")
    items = _queries(args, task)
    files: dict = {}
    if task is not None:
        max_hyper = config["model"].get("max_hyper_len", 1024)
        shots = shots_format(config)
        text, cut = hyper_text(task, tokenizer, max_hyper, shots)
        if cut["demonstrations_dropped"] or cut["cut_at_tokens"]:
            print(f"hart adapt: warning: {args.task}: the task does not fit max_hyper_len={max_hyper} tokens: "
                  f"{cut['demonstrations_dropped']} demonstration(s) dropped"
                  + (f", the rest cut at {max_hyper} tokens" if cut["cut_at_tokens"] else ""), file=sys.stderr)
        enc = tokenizer([text], truncation=True, max_length=max_hyper, return_tensors="pt",
                        add_special_tokens=not shots)  # P3 inputs carry no EOS (formats.input_eos)
        with torch.no_grad():
            state = model.task_state(enc["input_ids"].to(device), enc["attention_mask"].to(device))  # one forward
        out = Path(args.out)
        files.update(prefix_files(out, state, {
            "task": Path(args.task).name, "checkpoint": str(run_dir), "hypernetwork_sha256": _hyper_sha(run_dir),
            "method": config["method"].get("name"), "base": base_identity(config), "hyper_input": text,
            "hyper_format": "16-shots" if shots else "def+2pos", "truncation": cut}))
    else:
        state, _ = load_prefixes(Path(args.prefixes), config, run_dir, device)
        model.source = None  # answer with the saved prefixes alone
        out = Path(args.out) if args.out else Path(args.prefixes)
    if items:
        _answer(model, tokenizer, state, items, config, args.max_new_tokens)
        files[out / "answers.jsonl"] = "".join(json.dumps({k: i.get(k) for k in ("id", "input", "prediction", "references")})
                                               + "\n" for i in items)
    scores = _score(items)
    if scores:
        files[out / "scores.json"] = json.dumps(scores, indent=2, sort_keys=True, allow_nan=False) + "\n"
    write_together(files)  # prefixes, answers and scores: all or nothing
    for i in items:
        print(f"{i['id']}\t{i['prediction']}")
    if scores:
        print(f"scored {scores['n']} instances: ROUGE-L {scores['rougeL']:.2f}, exact match {scores['exact_match']:.2f}")
    return 0
