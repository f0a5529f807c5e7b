"""A small reader and renderer for promptsource ``templates.yaml`` files (no promptsource import).

Choice (docs/data.md): promptsource 0.2.3 pins old dependencies and imports its whole template
collection, so we read the YAML ourselves (its ``!Template`` / ``!TemplateMetadata`` tags become
plain mappings) and render with jinja2, reproducing ``Template.apply`` of
bigscience-workshop/promptsource @v0.2.3 (``promptsource/templates.py``):

- every ``}}`` gets `` | string | truncate(2048) }}`` (TEXT_VAR_LENGTH; apply's default);
- ``|||`` inside example strings is protected before rendering and restored after;
- ``answer_choices`` is rendered from its own Jinja expression, split on ``|||``, stripped;
- the output is split on ``|||`` and each part stripped: [input, target];
- the same Jinja globals/filters: ``zip``, ``choice`` (random.choice), ``most_frequent``.

The one deliberate difference: ``choice`` draws from a ``random.Random`` seeded per (template,
row) instead of the process-global ``random``, so rebuilt episode files are byte-identical.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import jinja2
import yaml

from hart.errors import HartError

TEXT_VAR_LENGTH = 2048
PIPE_PROTECTOR = "3ed2dface8203c4c9dfb1a5dc58e41e0"


class _Loader(yaml.SafeLoader):
    """SafeLoader that reads promptsource's custom tags as plain mappings."""


for _tag in ("!Template", "!TemplateMetadata"):
    _Loader.add_constructor(_tag, lambda loader, node: loader.construct_mapping(node, deep=True))


@dataclass(frozen=True)
class Template:
    source: str  # the templates.yaml it came from (for error messages)
    dataset: str  # "super_glue/cb" style
    id: str
    name: str
    jinja: str
    answer_choices: str | None
    original_task: bool


def _most_frequent(items):
    if not items:
        return None
    counts = Counter(items).most_common()
    return [item for item, n in counts if n == counts[0][1]]


_RNG = random.Random(0)  # reseeded before every render: (seed, row, template) -> same draws
_ENV = jinja2.Environment(loader=jinja2.BaseLoader())
_ENV.globals.update(zip=zip)
_ENV.filters["choice"] = lambda seq: _RNG.choice(seq)
_ENV.filters["most_frequent"] = _most_frequent


@lru_cache(maxsize=512)
def _compiled(jinja: str, answer_choices: str | None):
    """Compiling Jinja dominates render time; templates are compiled once."""
    body = _ENV.from_string(jinja.replace("}}", f" | string | truncate({TEXT_VAR_LENGTH}) }}}}"))
    return body, (None if answer_choices is None else _ENV.from_string(answer_choices))


def load_templates(path: str | Path) -> list[Template]:
    """All templates of one ``templates.yaml``, sorted by name (deterministic order)."""
    path = Path(path)
    try:
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    except FileNotFoundError:
        raise HartError(f"{path}: templates file not found") from None
    except yaml.YAMLError as exc:
        raise HartError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("templates"), dict):
        raise HartError(f"{path}: field 'templates': missing or not a mapping")
    dataset = doc.get("dataset", "") + (f"/{doc['subset']}" if doc.get("subset") else "")
    out = []
    for key, t in doc["templates"].items():
        if not isinstance(t, dict) or not isinstance(t.get("jinja"), str) or not t.get("name"):
            raise HartError(f"{path}: template {key}: field 'jinja' or 'name' missing")
        meta = t.get("metadata") or {}
        out.append(Template(str(path), dataset, str(t.get("id", key)), t["name"], t["jinja"],
                            t.get("answer_choices"), bool(meta.get("original_task"))))  # fmt: skip
    return sorted(out, key=lambda t: t.name)


def _protect(row: dict) -> dict:
    return {k: v.replace("|||", PIPE_PROTECTOR) if isinstance(v, str) else v for k, v in row.items()}


def _restore(text: str) -> str:
    return text.replace(PIPE_PROTECTOR, "|||")


def render(template: Template, row: dict, seed: int | str = 0) -> tuple[str, str, list[str] | None]:
    """Apply ``template`` to ``row``: (input, target, answer choices or None).

    An empty input or target (conditional templates) is returned as is; callers drop the row like
    T0 does. A Jinja error is a HartError naming the file, the template and the row field.
    """
    if "answer_choices" in row:
        raise HartError(f"{template.source}: row has the reserved key 'answer_choices'")
    protected = _protect(row)
    _RNG.seed(f"{seed}:{template.id}")
    try:
        body, choices_jinja = _compiled(template.jinja, template.answer_choices)
        choices = None
        if choices_jinja is not None:
            rendered = choices_jinja.render(**protected)
            choices = [_restore(c.strip()) for c in rendered.split("|||")]
        text = body.render(**protected, answer_choices=choices)
    except (jinja2.TemplateError, TypeError, ValueError, KeyError, IndexError) as exc:
        raise HartError(
            f"{template.source}: template {template.name!r} ({template.id}) failed to render "
            f"row {row.get('idx', row.get('id', '?'))!r}: field 'jinja': {type(exc).__name__}: {exc}"
        ) from None
    parts = [_restore(p).strip() for p in text.split("|||")]
    if len(parts) == 1:
        parts.append("")
    if len(parts) != 2:
        raise HartError(f"{template.source}: template {template.name!r}: field 'jinja' has "
                        f"{len(parts) - 1} '|||' separators after rendering (expected 1)")  # fmt: skip
    return parts[0], parts[1], choices
