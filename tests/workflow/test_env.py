"""The software environment: pyproject.toml, environment.yml, workflow/envs and workflow/setup.sh
agree with requirements/lock.txt, and the declared dependencies are exactly what src/hart imports.

No conda channel can be reached where the tests run: environment.yml and workflow/envs/hart.yaml
are read and compared here, never solved."""

from __future__ import annotations

import ast
import importlib.util
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "requirements"))
import envs  # noqa: E402  (requirements/envs.py, the generator of workflow/envs/hart.yaml)

STDLIB = set(sys.stdlib_module_names)


def lock() -> dict[str, str]:
    pins = {}
    for line in envs.lock_lines():
        name, _, version = line.partition("==")
        assert version and " " not in line, f"requirements/lock.txt: not a name==version pin: {line!r}"
        pins[canonicalize_name(name)] = version
    return pins


def project() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text())["project"]


def declared(extra: str | None = None) -> list[Requirement]:
    reqs = project()["dependencies"] if extra is None else project()["optional-dependencies"][extra]
    return [Requirement(r) for r in reqs]


def test_pyproject_ranges_admit_the_locked_versions():
    pins = lock()
    for req in declared() + declared("test"):
        name = canonicalize_name(req.name)
        assert name in pins, f"{req.name}: declared in pyproject.toml, missing from requirements/lock.txt"
        assert req.specifier.contains(pins[name], prereleases=True), \
            f"{req.name}: locked {pins[name]} outside pyproject.toml's {req.specifier}"


def test_workflow_env_is_the_lock():
    env = yaml.safe_load((REPO / "workflow/envs/hart.yaml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert pip == envs.lock_lines(), "workflow/envs/hart.yaml is stale: run requirements/update.sh"
    assert env["channels"] == ["conda-forge"] and "python=3.11" in env["dependencies"]


def test_environment_yml_installs_the_lock_with_a_current_torch():
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    assert env["channels"] == ["conda-forge"], "the pytorch channel stops at 2.5.1 (< transformers 5's 2.6)"
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    assert not [d for d in conda if d.split("=")[0] in ("pytorch", "pytorch-cuda")]
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert "-r requirements/lock.txt" in pip and "-e ." in pip
    assert f"torch=={lock()['torch']}" in pip
    assert "python=3.11" in conda  # the lock's interpreter


def test_setup_installs_from_the_lock():
    text = (REPO / "workflow/setup.sh").read_text()
    assert "lock=requirements/lock.txt" in text and '-r "$lock"' in text and "--no-deps -e ." in text
    assert "https://download.pytorch.org/whl/cpu" in text  # no GPU: never PyPI's CUDA build


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names - STDLIB - {"hart", "__future__"}


def test_declared_dependencies_are_what_src_hart_imports():
    """Every third-party module src/hart imports is a declared dependency, and every declared
    dependency is imported somewhere in src/hart (the installed distributions map the two)."""
    modules = set().union(*(_imports(p) for p in (REPO / "src/hart").rglob("*.py")))
    dists = metadata.packages_distributions()
    imported = set()
    for module in modules:
        assert module in dists or importlib.util.find_spec(module), f"{module}: not installed"
        imported |= {canonicalize_name(d) for d in dists.get(module, [])}
    wanted = {canonicalize_name(r.name) for r in declared()}
    # Tools the workflow runs as programs rather than imports (Snakefile, dvc.yaml, the profile).
    programs = {"snakemake", "snakemake-executor-plugin-slurm", "dvc"}
    # huggingface_hub: the pretrained-weights download imports it (hart data download of the T5
    # checkpoints); kept direct because the download pins revisions through its API.
    programs.add("huggingface-hub")
    assert imported - wanted == set(), "imported by src/hart but not declared in pyproject.toml"
    assert wanted - imported - programs == set(), "declared in pyproject.toml but never imported"
