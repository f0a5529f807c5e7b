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
import math
import re
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


MAX_NODES = 100_000  # a config has hundreds of values; an alias bomb expands to billions


class StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key given twice in one mapping (PyYAML keeps the last one silently)."""

    def construct_mapping(self, node, deep=False):
        seen: dict = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                hash(key)
            except TypeError:
                raise yaml.constructor.ConstructorError(None, None, f"unhashable key {key!r}", key_node.start_mark)
            if key in seen:
                raise HartError(f"duplicate key {key!r} (line {key_node.start_mark.line + 1}, first on line {seen[key]})")
            seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


# YAML 1.1 (PyYAML) reads `1e-4` and `5e-05` (what json.dumps writes for 5e-5) as strings: only a
# number with a dot is a float there. Resolve them as YAML 1.2 and JSON do, on this loader only.
StrictLoader.yaml_implicit_resolvers = {k: list(v) for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()}
StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
                    |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
                    |\.[0-9_]+(?:[eE][-+]?[0-9]+)?
                    |[-+]?\.(?:inf|Inf|INF)
                    |\.(?:nan|NaN|NAN))$""", re.X),
    list("-+0123456789."))


def check_values(data, source: str, limit: int = MAX_NODES) -> None:
    """Refuse NaN/infinity (naming the key path) and trees larger than ``limit`` nodes, visited with
    an early stop so an alias bomb is rejected after ``limit`` steps, not after expanding it."""
    stack, seen = [(data, "")], 0
    while stack:
        value, where = stack.pop()
        seen += 1
        if seen > limit:
            raise HartError(f"{source}: more than {limit} values (an alias bomb?); refusing to expand it")
        if isinstance(value, float) and not math.isfinite(value):
            raise HartError(f"{source}: invalid config at '{where or '(top level)'}': {value} is not a finite number")
        if isinstance(value, dict):
            stack.extend((v, f"{where}.{k}" if where else str(k)) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((v, f"{where}[{i}]") for i, v in enumerate(value))


def load_yaml(path: str | Path) -> dict:
    path = Path(path)
    if path.is_dir():
        raise HartError(f"{path}: is a folder, expected a config file")
    if not path.is_file():
        raise HartError(f"{path}: config file not found")
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=StrictLoader) or {}
    except HartError as exc:
        raise HartError(f"{path}: {exc}") from None
    except UnicodeDecodeError as exc:
        raise HartError(f"{path}: not UTF-8 text (byte offset {exc.start})") from None
    except yaml.YAMLError as exc:
        raise HartError(f"{path}: not valid YAML: {exc}") from None
    except RecursionError:
        raise HartError(f"{path}: nested too deeply (a recursive alias?)") from None
    if not isinstance(data, dict):
        raise HartError(f"{path}: top level must be a mapping, got {type(data).__name__}")
    check_values(data, str(path))
    return data


def validate(config: dict, source: str = "<config>", whole: bool = True) -> dict:
    """Validate against the schema; the error names the source and the key path."""
    validator = jsonschema.Draft202012Validator(schema())
    errors = sorted(validator.iter_errors(config), key=lambda e: list(e.absolute_path))
    if errors:
        err = errors[0]
        where = ".".join(str(p) for p in err.absolute_path) or "(top level)"
        raise HartError(f"{source}: invalid config at '{where}': {err.message}")
    check_values(config, source)
    if whole:  # one layer alone may rely on another layer's values for its partner key
        check_cross_fields(config, source)
    return config


def check_cross_fields(config: dict, source: str) -> None:
    """Constraints between keys that a per-key schema cannot express (defaults from hart.settings)."""
    from hart.settings import ModelSettings

    model = config.get("model") or {}
    if not model:
        return
    get = lambda key: model.get(key, getattr(ModelSettings, key))  # noqa: E731
    if get("hyper_decoder_layers") > get("num_decoder_layers"):
        raise HartError(f"{source}: invalid config at 'model.hyper_decoder_layers': {get('hyper_decoder_layers')} is "
                        f"more than model.num_decoder_layers={get('num_decoder_layers')} (the hypernetwork keeps "
                        "the first layers of the main decoder)")


def check_vocab(vocab_size: int | None, tokenizer, where: str = "model.vocab_size") -> None:
    """The embedding table must cover every id the tokenizer can produce."""
    if vocab_size is not None and vocab_size < len(tokenizer):
        raise HartError(f"{where}={vocab_size} is smaller than the tokenizer's {len(tokenizer)} tokens "
                        "(ids past the embedding table would crash or be silently wrong)")


def project_root() -> Path:
    """The checkout holding this package (src/hart -> ..), where relative config paths start;
    the working directory when the package is installed outside a checkout."""
    root = Path(__file__).resolve().parents[2]
    return root if (root / "pyproject.toml").is_file() else Path.cwd()


def project_path(value: str | Path) -> Path:
    """A config path: absolute as given; relative from the project root (not the working directory)."""
    path = Path(value)
    if path.is_absolute():
        return path
    rooted = project_root() / path
    return rooted if rooted.exists() or not path.exists() else path.resolve()


def compose(paths: Iterable[str | Path], overrides: dict | None = None) -> dict:
    """Layer YAML files left to right (later wins), then ``overrides``; validate the result.

    Each file is also validated on its own first, so an unknown key is reported with the file
    that holds it.
    """
    config: dict[str, Any] = {}
    paths = list(paths)
    for path in paths:
        layer = load_yaml(path)
        validate(layer, str(path), whole=False)
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
