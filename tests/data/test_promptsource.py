"""The promptsource renderer on real templates.yaml files and real rows (shared data)."""

from __future__ import annotations

import json

import pytest

from hart.data.p3 import normalize, t0_task_name
from hart.data.promptsource import load_templates, render
from hart.errors import HartError


def first_row(shared_data, rel: str, dataset: str) -> dict:
    with open(shared_data / "p3" / rel) as fh:
        return normalize(dataset, json.loads(fh.readline()))


def by_name(path, name):
    return next(t for t in load_templates(path) if t.name == name)


def test_cb_can_we_infer_exact(shared_data):
    t = by_name(shared_data / "p3/templates/super_glue/cb/templates.yaml", "can we infer")
    row = first_row(shared_data, "eval/super_glue/cb/validation.jsonl", "super_glue/cb")
    assert row["label"] == 1  # raw "contradiction" -> HF int 1
    inp, tgt, choices = render(t, row)
    assert inp == ("Suppose Valence the void-brain, Valence the virtuous valet. Why couldn't the figger "
                   "choose his own portion of titanic anatomy to shaft? Did he think he was helping? "
                   'Can we infer that "Valence was helping"? Yes, no, or maybe?')  # fmt: skip
    assert (tgt, choices) == ("No", ["Yes", "No", "Maybe"])
    assert t.original_task and t.dataset == "super_glue/cb"


def test_wsc_spans_flattened(shared_data):
    row = first_row(shared_data, "eval/super_glue/wsc.fixed/validation.jsonl", "super_glue/wsc.fixed")
    assert (row["span1_text"], row["span2_text"], row["span1_index"], row["label"]) == ("anyone", "him", 32, 0)
    assert "target" not in row
    t = by_name(shared_data / "p3/templates/super_glue/wsc.fixed/templates.yaml", "GPT-3 Style")
    inp, tgt, choices = render(t, row)
    assert inp.endswith('Question: In the passage above, does the pronoun "him" refer to anyone?\n\nAnswer:')
    assert (tgt, choices) == ("No", ["No", "Yes"])


def test_choice_filter_is_seeded(shared_data):
    t = by_name(shared_data / "p3/templates/hellaswag/templates.yaml", "Randomized prompts template")
    row = first_row(shared_data, "eval/hellaswag/validation.jsonl", "hellaswag")
    outs = [render(t, row, seed=s)[0] for s in range(6)]
    assert outs == [render(t, row, seed=s)[0] for s in range(6)]  # same seed, same draw
    assert len(set(outs)) > 1  # the filter really draws


def test_pipes_in_rows_are_protected_and_long_fields_truncated(shared_data):
    t = by_name(shared_data / "p3/templates/super_glue/cb/templates.yaml", "can we infer")
    inp, tgt, _ = render(t, {"premise": "a ||| b", "hypothesis": "h", "label": 0})
    assert inp.startswith("Suppose a ||| b Can we infer") and tgt == "Yes"
    inp, _, _ = render(t, {"premise": "word " * 1000, "hypothesis": "h", "label": 0})
    assert len(inp) < 2048 + 100 and "..." in inp  # jinja truncate(2048), promptsource's default


def test_broken_template_names_file_and_template(tmp_path):
    path = tmp_path / "templates.yaml"
    path.write_text(
        "dataset: demo\ntemplates:\n  abc: !Template\n    answer_choices: null\n    id: abc\n"
        "    jinja: '{{ premise ||| {{ label }}'\n    metadata: !TemplateMetadata\n"
        "      original_task: true\n    name: broken one\n    reference: ''\n"
    )
    (t,) = load_templates(path)
    with pytest.raises(HartError) as err:
        render(t, {"premise": "p", "label": 0})
    assert str(path) in str(err.value) and "broken one" in str(err.value) and "jinja" in str(err.value)


def test_bad_yaml_and_t0_task_names(tmp_path):
    path = tmp_path / "templates.yaml"
    path.write_text("dataset: x\ntemplates: [1, 2\n")
    with pytest.raises(HartError, match="templates.yaml: not valid YAML"):
        load_templates(path)
    assert t0_task_name("gigaword", "summarize ") == "gigaword_summarize_"
    assert t0_task_name("glue/mrpc", "same thing") == "glue_mrpc_same_thing"


def test_renders_match_the_real_promptsource(shared_data):
    """Every template of the shared P3 data (266 task/template pairs), first 20 rows each: our
    renders ([input, target, answer choices]) digest to exactly what the real promptsource 0.2.3
    ``Template.apply`` gave on the same rows (tests/reference/promptsource_renders.py, run once
    with the PyPI sdist; the full comparison over all 70,543 rows is in docs/data.md)."""
    import importlib.util
    from pathlib import Path

    here = Path(__file__).resolve().parents[1] / "reference"
    spec = importlib.util.spec_from_file_location("promptsource_renders", here / "promptsource_renders.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    ref = json.loads((here / "promptsource-0.2.3.json").read_text())
    assert ref["meta"]["rows_per_template"] == 20 and len(ref["digests"]) == 266
    ours = mod.our_digests(shared_data / "p3", ref["meta"]["rows_per_template"])
    assert sorted(ours) == sorted(ref["digests"])
    differ = [key for key in ours if ours[key] != ref["digests"][key]]
    assert differ == []
