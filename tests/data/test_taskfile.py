"""Task-file validation: each malformed file is a HartError naming the file and the field."""

from __future__ import annotations

import copy
import json

import pytest

from hart.data.taskfile import is_english, load_task
from hart.errors import HartError

NAME = "task1146_country_capital.json"


@pytest.fixture(scope="module")
def real_task(shared_data) -> dict:
    return json.loads((shared_data / "sni" / "tasks" / NAME).read_text())


def write(tmp_path, task) -> str:
    path = tmp_path / NAME
    path.write_text(task if isinstance(task, str) else json.dumps(task))
    return str(path)


def test_real_task_loads(shared_data, real_task):
    task = load_task(shared_data / "sni" / "tasks" / NAME)
    assert task == real_task and is_english(task) and len(task["Instances"]) == 15


def mutate(kind: str, task: dict):
    task = copy.deepcopy(task)
    if kind == "broken_json":
        return '{"Definition": ["x"],'
    if kind == "no_definition":
        del task["Definition"]
    elif kind == "no_instances":
        del task["Instances"]
    elif kind == "empty_outputs":
        task["Instances"][2]["output"] = []
    elif kind == "output_not_list":
        task["Instances"][0]["output"] = "Kabul"
    elif kind == "definition_wrong_type":
        task["Definition"] = 7
    elif kind == "duplicate_ids":
        task["Instances"][5]["id"] = task["Instances"][4]["id"]
    elif kind == "non_english":
        task["Input_language"] = ["French"]
    elif kind == "positive_no_output":
        del task["Positive Examples"][1]["output"]
    return task


@pytest.mark.parametrize(
    "kind, field",
    [
        ("broken_json", "not valid JSON"),
        ("no_definition", "field 'Definition': missing"),
        ("no_instances", "field 'Instances'"),
        ("empty_outputs", "field 'Instances[2].output': empty list of outputs"),
        ("output_not_list", "field 'Instances[0].output'"),
        ("definition_wrong_type", "field 'Definition': expected a list of strings"),
        ("duplicate_ids", "field 'Instances[5].id': duplicate instance id"),
        ("non_english", "field 'Input_language'"),
        ("positive_no_output", "field 'Positive Examples[1].output'"),
    ],
)
def test_malformed(tmp_path, real_task, kind, field):
    path = write(tmp_path, mutate(kind, real_task))
    with pytest.raises(HartError) as err:
        load_task(path)
    assert str(err.value).startswith(path) and field in str(err.value)


def test_non_english_allowed_when_not_required(tmp_path, real_task):
    task = load_task(write(tmp_path, mutate("non_english", real_task)), require_english=False)
    assert not is_english(task)
