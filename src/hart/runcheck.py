"""Checks that keep a wrong number from leaving the pipeline with exit 0.

- ``verify_run``: a trained run folder's weights belong to its ``config.json`` (method, geometry,
  config hash recorded at training time in ``model.safetensors`` metadata and ``done.json``), are
  the bytes training wrote (sha256 in ``done.json``) and are finite. Used by ``hart.model.adapted.load``,
  hence by ``hart evaluate``, ``hart adapt`` and ``hart attention``.
- ``refuse_test_episodes``: ``hart train`` is never given test episodes (split ``test`` rows, or
  tasks of the test file beside the training file); read from the builder's ``stats.json`` when it
  still describes the files (task names, file sizes), else by scanning them.
- ``check_eval_rows``: evaluation rows are well-typed before anything is scored.
- ``empty_share``: how many predictions are empty, for the flag in results and tables.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from hart.errors import HartError

GEOMETRY = ("d_model", "d_ff", "num_layers", "num_decoder_layers", "num_heads", "d_kv", "vocab_size",
            "prefix_length", "hyper_decoder_layers")
EMPTY_FLAG = 0.5  # a run is flagged when more than this share of its predictions are empty strings


def geometry(config: dict) -> dict:
    """The model shape a run was trained with (settings defaults filled in), as recorded in its weights."""
    from hart.settings import from_config

    ms, _, _ = from_config(config)
    return {k: getattr(ms, k) for k in GEOMETRY}


def identity(config: dict) -> dict:
    """What the final weights and done.json record about the config that produced them."""
    from hart.config import config_hash
    from hart.settings import from_config

    _, meth, _ = from_config(config)
    return {"config_hash": config_hash(config), "method": meth.name, "geometry": geometry(config)}


def weights_metadata(config: dict) -> dict[str, str]:
    """safetensors metadata (string values) written with a run's final weights."""
    ident = identity(config)
    return {"config_hash": ident["config_hash"], "method": ident["method"],
            "geometry": json.dumps(ident["geometry"], sort_keys=True)}


def done_record(config: dict, weights: Path, steps: int) -> dict:
    """done.json: the run's identity and the sha256 of the final weights, like the intermediate checkpoints."""
    from hart.train.checkpoint import sha256

    return {"steps": steps, **identity(config), "sha256": sha256(Path(weights))}


def _mismatch(recorded: dict, expected: dict) -> str | None:
    """The first difference, most specific first (method, then shape, then any other key via the hash)."""
    if recorded.get("method") != expected["method"]:
        return f"method {recorded.get('method')!r}, but config.json gives {expected['method']!r}"
    got = recorded.get("geometry")
    for key, value in expected["geometry"].items():
        if not isinstance(got, dict) or got.get(key) != value:
            have = got.get(key) if isinstance(got, dict) else None
            return f"geometry {key}={have!r}, but config.json gives {key}={value!r}"
    if recorded.get("config_hash") != expected["config_hash"]:
        return f"config_hash {str(recorded.get('config_hash'))[:12]!r}..., but config.json hashes to " \
               f"{expected['config_hash'][:12]!r}..."
    return None


def _read_metadata(weights: Path) -> dict:
    from safetensors import safe_open

    try:
        with safe_open(str(weights), "pt") as fh:
            meta = dict(fh.metadata() or {})
    except Exception as exc:  # safetensors raises its own error types for a corrupt header
        raise HartError(f"{weights}: not a readable safetensors file ({exc})") from None
    if "geometry" in meta:
        try:
            meta["geometry"] = json.loads(meta["geometry"])
        except json.JSONDecodeError:
            raise HartError(f"{weights}: metadata 'geometry' is not JSON") from None
    return meta


def check_finite(weights: Path) -> None:
    """Refuse weights with NaN or infinity, naming the first such tensor (read one tensor at a time)."""
    import torch
    from safetensors import safe_open

    with safe_open(str(weights), "pt") as fh:
        for name in fh.keys():
            t = fh.get_tensor(name)
            if t.is_floating_point() and not bool(torch.isfinite(t).all()):
                bad = int((~torch.isfinite(t)).sum())
                raise HartError(f"{weights}: tensor {name!r} has {bad} NaN/infinite values; refusing to use it")


def verify_run(run: str | Path, config: dict) -> None:
    """Raise a HartError unless ``run``'s final weights were trained from exactly ``config``.

    ``config`` is the run's own (validated) ``config.json``. An evaluation-only method has no weights.
    """
    from hart.io import read_json
    from hart.settings import from_config
    from hart.train.checkpoint import sha256

    run = Path(run)
    if from_config(config)[1].eval_only:
        return
    weights, done = run / "model.safetensors", run / "done.json"
    if not weights.is_file():
        raise HartError(f"{weights}: missing (training of this run has not finished)")
    expected = identity(config)
    problem = _mismatch(_read_metadata(weights), expected)
    if problem:
        raise HartError(f"{weights}: recorded {problem} (weights of another run or method, or config.json "
                        "edited after training)")
    if not done.is_file():
        raise HartError(f"{done}: missing (training of this run has not finished)")
    record = read_json(done, "done.json")
    if not isinstance(record, dict):
        raise HartError(f"{done}: not a JSON object")
    problem = _mismatch(record, expected)
    if problem:
        raise HartError(f"{done}: recorded {problem}")
    if record.get("sha256") != sha256(weights):
        raise HartError(f"{weights}: sha256 differs from the one recorded in {done} (weights changed or "
                        "truncated after training)")
    check_base(run, config, record)
    check_finite(weights)


def refuse_test_episodes(config: dict) -> None:
    """``hart train`` must not see test data: no ``split: test`` row, no task of the test file beside it."""
    from hart.data.stats import LM_CORPORA
    from hart.io import iter_jsonl

    episodes = Path((localize(config).get("train") or {}).get("episodes", ""))
    path = episodes / "train.jsonl" if episodes.is_dir() else episodes
    if not path.is_file():
        return  # reported by the loader with its own message
    if path.name.startswith("test"):
        raise HartError(f"{path}: a test episode file given to `hart train` (train.episodes)")
    test_path = path.with_name("test.jsonl")
    tasks = _tasks_from_stats(path, test_path)
    if tasks is not None:  # the episode writer's record: no need to parse the (large) files again
        benchmark, train_tasks, test_tasks = tasks
        leaked = sorted(train_tasks & test_tasks) if benchmark not in LM_CORPORA else []
        if leaked:
            raise HartError(f"{path}: task {leaked[0]!r} is also in {test_path}: train/test leakage "
                            f"({len(leaked)} task(s), per {path.with_name('stats.json')})")
        return
    test_tasks = set()
    if test_path.is_file() and test_path != path:
        test_tasks = {row.get("task") for _, row in iter_jsonl(test_path, "episode file") if isinstance(row, dict)}
    for lineno, row in iter_jsonl(path, "episode file"):
        if not isinstance(row, dict):
            raise HartError(f"{path}:{lineno}: an episode must be a JSON object, got {type(row).__name__}")
        if row.get("split") == "test":
            raise HartError(f"{path}:{lineno}: a test episode (split 'test') given to `hart train`")
        if row.get("task") in test_tasks and row.get("benchmark") not in LM_CORPORA:  # objectives, not tasks
            raise HartError(f"{path}:{lineno}: task {row['task']!r} is also in {test_path}: "
                            "train/test leakage")


def _tasks_from_stats(path: Path, test_path: Path) -> tuple[str, set, set] | None:
    """(benchmark, train task names, test task names) from the ``stats.json`` beside a ``train.jsonl``
    written by the episode builders, when it records the task names and the byte size of every split
    file present (so it still describes them); None means: scan the files."""
    stats_path = path.with_name("stats.json")
    if path.name != "train.jsonl" or not stats_path.is_file():
        return None
    try:
        stats = json.loads(stats_path.read_text(encoding="utf-8"))
        sizes = {p.name: stats["files"][p.name]["bytes"] for p in (path, test_path) if p.is_file()}
        names = {split: set(stats[split]["task_names"]) for split in ("train", "test") if split in stats}
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if "train" not in names or any((path.parent / n).stat().st_size != b for n, b in sizes.items()):
        return None
    if test_path.is_file() and "test" not in names:
        return None
    return stats.get("benchmark"), names["train"], names.get("test", set()) if test_path.is_file() else set()


def _strings(value) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def check_eval_rows(rows: list[tuple[int, dict]], path: str | Path) -> None:
    """Each evaluation row is well-typed: unique id, task, references a list of strings, a label in its choices."""
    seen: dict[str, int] = {}
    for lineno, row in rows:
        where = f"{path}:{lineno}"
        if not isinstance(row, dict):
            raise HartError(f"{where}: an episode must be a JSON object, got {type(row).__name__}")
        for key in ("id", "task", "benchmark"):
            if not isinstance(row.get(key), str):
                raise HartError(f"{where}: field {key!r} missing or not a string")
        if row["id"] in seen:
            raise HartError(f"{where}: duplicate id {row['id']!r} (first on line {seen[row['id']]})")
        seen[row["id"]] = lineno
        choices = row.get("choices")
        if choices is not None:
            if not _strings(choices) or not choices:
                raise HartError(f"{where}: field 'choices' must be a non-empty list of strings")
            label = row.get("label")
            if not isinstance(label, int) or isinstance(label, bool) or not 0 <= label < len(choices):
                raise HartError(f"{where}: field 'label' {label!r} is not an index into its {len(choices)} choices")
        else:
            refs = row.get("references", row.get("output"))
            key = "references" if "references" in row else "output"
            if not _strings(refs) or not refs:
                raise HartError(f"{where}: field {key!r} must be a non-empty list of strings, got "
                                f"{type(refs).__name__}")


def empty_share(predictions) -> float:
    """Share of predictions that are empty (or whitespace) strings."""
    preds = list(predictions)
    return sum(1 for p in preds if not str(p).strip()) / len(preds) if preds else 0.0


def require_finite(value, what: str) -> None:
    if not isinstance(value, (int, float)) or not math.isfinite(value):
        raise HartError(f"{what}: score {value!r} is not a finite number; refusing to report it")


PATH_KEYS = (("model", "tokenizer"), ("model", "base_checkpoint"), ("train", "episodes"), ("train", "init_from"),
             ("train", "deepspeed_config"))


def localize(config: dict, run: str | Path | None = None) -> dict:
    """A copy of ``config`` whose relative paths resolve from the project root, not the working
    directory; with ``run``, the tokenizer stored in the run folder wins (a moved run still loads).

    The run's identity (config hash) is always taken from the unresolved config.
    """
    import copy

    from hart.config import project_path

    out = copy.deepcopy(config)
    for section, key in PATH_KEYS:
        value = (out.get(section) or {}).get(key)
        if isinstance(value, str) and value:
            out[section][key] = str(project_path(value))
    if run is not None and (Path(run) / "tokenizer").is_dir() and out.get("model"):
        out["model"]["tokenizer"] = str(Path(run) / "tokenizer")
    return out


def store_with_run(out: Path, config: dict) -> dict:
    """Copy the tokenizer into the run folder and return what done.json records about external inputs
    (the base checkpoint's sha256), so the folder can be moved or copied and still be checked."""
    import shutil

    from hart.io import stage_dir
    from hart.train.checkpoint import sha256

    local = localize(config)
    model = local.get("model") or {}
    tok = Path(model.get("tokenizer", ""))
    if tok.is_dir():
        stage = stage_dir(out, "tokenizer")
        try:
            shutil.copytree(tok, stage / "tokenizer")
            shutil.rmtree(out / "tokenizer", ignore_errors=True)
            (stage / "tokenizer").rename(out / "tokenizer")
        finally:
            shutil.rmtree(stage, ignore_errors=True)
    extra = {}
    if model.get("base_checkpoint") and Path(model["base_checkpoint"]).is_file():
        extra["base_sha256"] = sha256(Path(model["base_checkpoint"]))
    return extra


def check_base(run: Path, config: dict, record: dict) -> None:
    """The base checkpoint a run was trained on top of is the one recorded (by sha256) in done.json."""
    from hart.train.checkpoint import sha256

    want = record.get("base_sha256")
    base = (localize(config).get("model") or {}).get("base_checkpoint")
    if not base:
        return
    if not isinstance(want, str) or not want:  # training records it whenever the base existed
        raise HartError(f"{run / 'done.json'}: records no base_sha256 for model.base_checkpoint {base} "
                        "(done.json edited, or trained before bases were recorded: retrain)")
    if not Path(base).is_file():
        raise HartError(f"{base}: base checkpoint of {run} not found (model.base_checkpoint)")
    if sha256(Path(base)) != want:
        raise HartError(f"{base}: sha256 differs from the base checkpoint {run} was trained on "
                        f"({want[:12]}... in {run / 'done.json'})")
