"""Load and validate one Super-NaturalInstructions task file.

The schema is the one of allenai/natural-instructions ``tasks/*.json`` (see
/work/shared/data/sni/README.md): ``Definition`` (list of str), ``Positive Examples`` (list of
{input, output[, explanation]}), ``Instances`` (list of {id, input, output: list[str]}),
``Categories`` and the three ``*_language`` lists. Every problem is a HartError naming the file and
the field, raised before any episode of the task is written. Some original files hold a bare
``NaN`` in ``URL``; Python's json accepts it and so do we (the field is unused).
"""

from __future__ import annotations

import json
from pathlib import Path

from hart.errors import HartError

LANGUAGE_FIELDS = ("Input_language", "Output_language", "Instruction_language")


def _fail(path: Path, field: str, problem: str) -> HartError:
    return HartError(f"{path}: field '{field}': {problem}")


def _str_list(path: Path, task: dict, field: str, nonempty: bool = True) -> list[str]:
    value = task.get(field)
    if value is None:
        raise _fail(path, field, "missing")
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _fail(path, field, f"expected a list of strings, got {type(value).__name__}")
    if nonempty and not value:
        raise _fail(path, field, "empty")
    return value


def _check_examples(path: Path, examples, field: str) -> None:
    if not isinstance(examples, list):
        raise _fail(path, field, f"expected a list, got {type(examples).__name__}")
    for i, ex in enumerate(examples):
        if not isinstance(ex, dict):
            raise _fail(path, f"{field}[{i}]", "expected an object")
        for key in ("input", "output"):
            if not isinstance(ex.get(key), str):
                raise _fail(path, f"{field}[{i}].{key}", "missing or not a string")


def _check_instances(path: Path, instances) -> None:
    if not isinstance(instances, list) or not instances:
        raise _fail(path, "Instances", "missing, not a list, or empty")
    seen: set[str] = set()
    for i, inst in enumerate(instances):
        where = f"Instances[{i}]"
        if not isinstance(inst, dict):
            raise _fail(path, where, "expected an object")
        if not isinstance(inst.get("id"), str) or not inst["id"]:
            raise _fail(path, f"{where}.id", "missing or not a string")
        if inst["id"] in seen:
            raise _fail(path, f"{where}.id", f"duplicate instance id {inst['id']!r}")
        seen.add(inst["id"])
        if not isinstance(inst.get("input"), str):
            raise _fail(path, f"{where}.input", "missing or not a string")
        out = inst.get("output")
        if not isinstance(out, list) or not all(isinstance(o, str) for o in out):
            raise _fail(path, f"{where}.output", "expected a list of strings")
        if not out:
            raise _fail(path, f"{where}.output", "empty list of outputs")


def is_english(task: dict) -> bool:
    """PROTOCOL.md (Data): the English track has English input, output and instruction."""
    return all(task.get(f) == ["English"] for f in LANGUAGE_FIELDS)


def read_task_json(path: Path, missing: str = "task file not found") -> dict:
    """The JSON object of a task file; errors name the file."""
    try:
        task = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise HartError(f"{path}: {missing}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise HartError(f"{path}: not valid JSON: {exc}") from None
    if not isinstance(task, dict):
        raise HartError(f"{path}: top level must be an object")
    return task


check_examples = _check_examples  # public names for other readers of the schema (hart adapt)
check_instances = _check_instances


def load_task(path: str | Path, require_english: bool = True) -> dict:
    """Parse and validate ``path``; return the task dict (with ``Instances`` as in the file)."""
    path = Path(path)
    task = read_task_json(path, "task file not found (listed in the split)")
    definition = _str_list(path, task, "Definition")
    if not definition[0].strip():
        raise _fail(path, "Definition", "empty definition text")
    _str_list(path, task, "Categories")
    if "Positive Examples" not in task:
        raise _fail(path, "Positive Examples", "missing")
    _check_examples(path, task["Positive Examples"], "Positive Examples")
    _check_instances(path, task.get("Instances"))
    for field in LANGUAGE_FIELDS:
        _str_list(path, task, field)
    if require_english and not is_english(task):
        bad = next(f for f in LANGUAGE_FIELDS if task[f] != ["English"])
        raise _fail(path, bad, f"{task[bad]} is not ['English'] (the default split is English-only)")
    return task
