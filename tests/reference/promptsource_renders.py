"""Our promptsource reproduction against the real promptsource 0.2.3 ``Template.apply``.

``hart.data.promptsource`` re-implements ``Template.apply`` (promptsource 0.2.3 refuses Python
>= 3.10 through its pins). This module renders every template of the shared P3 data on the same
rows two independent ways and compares them:

    # reference digests from the real promptsource (the sdist `hart data download --source p3` fetches)
    .venv/bin/python tests/reference/promptsource_renders.py \\
        --sdist data/cache/p3/promptsource-0.2.3.tar.gz --p3 ../shared/data/p3 \\
        [--rows 20] [--write tests/reference/promptsource-0.2.3.json]

It imports ``promptsource/templates.py`` from the sdist (a one-line ``pkg_resources`` shim, the
module's only import that current setuptools lacks), loads each ``templates.yaml`` with the
module's own YAML classes, seeds Python's ``random`` as our renderer seeds its own generator (so the
``choice`` filter draws the same), and digests ``[input, target, answer_choices]`` per template
over the first ``--rows`` rows. ``--write`` stores the digests; ``tests/data/test_promptsource.py``
recomputes them with our renderer, offline, and requires equality. Without ``--write`` it compares
ours with the real one over the same rows and prints the counts.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import random
import sys
import tarfile
import tempfile
import types
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SEED = 0  # the seed both renderers use for the `choice` filter


def template_rows(p3: Path, rows: int) -> list[tuple[str, Path, list[dict]]]:
    """(task, its templates.yaml, its first ``rows`` rows) for every task of the shared P3 data
    that has rows and templates, in the layout and with the field normalisation that
    ``hart data episodes --benchmark p3`` uses."""
    from hart.config import compose
    from hart.data.p3 import data_files, find_file, normalize, read_rows

    cfg = compose([REPO / "config" / "data" / "sources.yaml"])["data"]["p3"]
    out = []
    for task in cfg["train"]:
        folder = p3 / "train" / cfg["data_dirs"].get(task, task)
        tpath = p3 / "templates" / task / "templates.yaml"
        if folder.is_dir() and tpath.is_file():
            got = []
            for path in data_files(folder):
                got += [normalize(task, r) for r in read_rows(path, rows - len(got))]
            out.append((task, tpath, got))
    for spec in cfg["eval"]:
        dataset = spec.get("templates", spec["task"])
        path, tpath = find_file(p3, spec["file"]), p3 / "templates" / dataset / "templates.yaml"
        if path is not None and tpath.is_file():
            out.append((spec["task"], tpath, [normalize(dataset, r) for r in read_rows(path, rows)]))
    return out


def ours(template, row: dict) -> list:
    from hart.data.promptsource import render

    inp, tgt, choices = render(template, copy.deepcopy(row), seed=SEED)
    return [inp, tgt, choices]


def digest(renders: list[list]) -> str:
    return hashlib.sha256(json.dumps(renders, ensure_ascii=False).encode()).hexdigest()


def our_digests(p3: Path, rows: int) -> dict[str, str]:
    """``<task>|<template id>`` -> digest of our renders of its rows."""
    from hart.data.promptsource import load_templates

    out = {}
    for task, tpath, data in template_rows(p3, rows):
        for t in load_templates(tpath):
            out[f"{task}|{t.id}"] = digest([ours(t, r) for r in data])
    return out


def _import_real(sdist: Path, into: Path) -> None:
    """Import promptsource/templates.py of the sdist: it registers the ``!Template`` YAML class
    that ``yaml.FullLoader`` then builds real promptsource templates with."""
    with tarfile.open(sdist) as tar:
        member = tar.getmember("promptsource-0.2.3/promptsource/templates.py")
        (into / "templates.py").write_bytes(tar.extractfile(member).read())
    sys.modules.setdefault(
        "pkg_resources", types.SimpleNamespace(resource_filename=lambda pkg, name: str(into / name))
    )
    sys.path.insert(0, str(into))
    import templates  # noqa: F401, PLC0415  (promptsource/templates.py of the sdist)


def real_renders(template, row: dict) -> list:
    random.seed(f"{SEED}:{template.get_id()}")  # our renderer seeds its generator the same way
    parts = template.apply(copy.deepcopy(row))
    if len(parts) == 1:
        parts.append("")
    return [parts[0], parts[1], template.get_answer_choices_list(copy.deepcopy(row))]


def main(argv=None) -> int:
    import yaml

    from hart.data.promptsource import load_templates

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sdist", type=Path, required=True)
    ap.add_argument("--p3", type=Path, default=REPO.parent / "shared" / "data" / "p3")
    ap.add_argument("--rows", type=int, default=20)
    ap.add_argument("--write", type=Path)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        _import_real(args.sdist, Path(tmp))
        ref, same, differ, renders = {}, 0, 0, 0
        for task, tpath, data in template_rows(args.p3, args.rows):
            doc = yaml.load(tpath.read_text(encoding="utf-8"), Loader=yaml.FullLoader)
            mine = {t.id: t for t in load_templates(tpath)}
            for tid, t in doc["templates"].items():
                theirs = [real_renders(t, r) for r in data]
                ref[f"{task}|{tid}"] = digest(theirs)
                renders += len(data)
                for row, want in zip(data, theirs):
                    if ours(mine[tid], row) == want:
                        same += 1
                    else:
                        differ += 1
                        print(f"differs: {task} {t.name!r} row {row.get('idx', row.get('id'))}", file=sys.stderr)
    print(json.dumps({"templates": len(ref), "renders": renders, "identical": same, "different": differ}))
    if args.write:
        meta = {"promptsource": "0.2.3 sdist", "rows_per_template": args.rows, "seed": SEED}
        args.write.write_text(json.dumps({"meta": meta, "digests": ref}, indent=1, sort_keys=True) + "\n")
    return 0 if differ == 0 else 1


if __name__ == "__main__":
    sys.path.insert(0, str(REPO / "src"))
    raise SystemExit(main())
