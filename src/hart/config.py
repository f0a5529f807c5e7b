"""One config flow: YAML files layered by ``compose()`` and validated against one JSON Schema.

The schema is assembled from ``hart/schemas/<section>.json`` (one file per stage section:
``data``, ``model``, ``method``, ``train``, ``evaluate``, ``report``) under a root object that
forbids unknown top-level keys. Every section schema sets ``additionalProperties: false`` so that a
typo fails before any work starts, naming the file and the key path.
"""

from __future__ import annotations

import copy
import hashlib
import json
from importlib import resources
from pathlib import Path
from typing import Any, Iterable

import jsonschema
import yaml

from hart.errors import HartError

SECTIONS = ("run", "data", "model", "method", "train", "evaluate", "report", "adapt")


def schema() -> dict:
    """The root JSON Schema: every known section, nothing else."""
    props = {}
    root = resources.files("hart") / "schemas"
    for section in SECTIONS:
        path = root / f"{section}.json"
        if path.is_file():
            props[section] = json.loads(path.read_text())
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "additionalProperties": False,
        "properties": props,
    }


def deep_merge(base: dict, override: dict) -> dict:
    """Return ``base`` updated by ``override``; nested dicts merge, everything else replaces."""
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def load_yaml(path: str | Path) -> dict:
    path = Path(path)
    if not path.is_file():
        raise HartError(f"{path}: config file not found")
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise HartError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise HartError(f"{path}: top level must be a mapping, got {type(data).__name__}")
    return data


def validate(config: dict, source: str = "<config>") -> dict:
    """Validate against the schema; the error names the source and the key path."""
    validator = jsonschema.Draft202012Validator(schema())
    errors = sorted(validator.iter_errors(config), key=lambda e: list(e.absolute_path))
    if errors:
        err = errors[0]
        where = ".".join(str(p) for p in err.absolute_path) or "(top level)"
        raise HartError(f"{source}: invalid config at '{where}': {err.message}")
    return config


def compose(paths: Iterable[str | Path], overrides: dict | None = None) -> dict:
    """Layer YAML files left to right (later wins), then ``overrides``; validate the result.

    Each file is also validated on its own first, so an unknown key is reported with the file
    that holds it.
    """
    config: dict[str, Any] = {}
    paths = list(paths)
    for path in paths:
        layer = load_yaml(path)
        validate(layer, str(path))
        config = deep_merge(config, layer)
    if overrides:
        config = deep_merge(config, overrides)
    return validate(config, " + ".join(str(p) for p in paths) or "<overrides>")


def config_hash(config: dict) -> str:
    """sha256 of the canonical JSON form (sorted keys): the identity of a resolved config."""
    blob = json.dumps(config, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(blob).hexdigest()


def load_resolved(path: str | Path) -> dict:
    """Load a resolved config (YAML or JSON, one file) and validate it."""
    config = load_yaml(path)
    return validate(config, str(path))
