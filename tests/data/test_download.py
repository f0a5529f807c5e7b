"""The real download code against a loopback HTTP server (127.0.0.1, port 0) that honours Range.

The archive is a .tar.gz built here from the real S-NI files of the shared data. The download path
never skips: without the shared data the archive is built from this repository's own files.
"""

from __future__ import annotations

import hashlib
import http.server
import io
import json
import os
import re
import tarfile
import threading
from pathlib import Path

import pytest
import yaml

from hart.cli import main
from hart.data.archive import safe_extract
from hart.data.download import LOCK_NAME, download_source
from hart.errors import HartError

REPO = Path(__file__).resolve().parents[2]


class RangeHandler(http.server.BaseHTTPRequestHandler):
    """Serves ``self.server.files`` (url path -> bytes); answers Range with 206."""

    def do_GET(self):  # noqa: N802
        data = self.server.files.get(self.path)
        self.server.log.append((self.path, self.headers.get("Range")))
        if data is None:
            self.send_error(404)
            return
        start = 0
        if self.headers.get("Range"):
            start = int(self.headers["Range"].split("=")[1].rstrip("-"))
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(len(data) - start))
        self.end_headers()
        self.wfile.write(data[start:])

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), RangeHandler)
    httpd.files, httpd.log = {}, []
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def url(httpd) -> str:
    return f"http://127.0.0.1:{httpd.server_address[1]}"


def sni_source_files() -> dict[str, bytes]:
    """archive member (below the top folder) -> bytes: shared S-NI data, else repo docs."""
    root = os.environ.get("HART_SHARED_DATA") or REPO.parent / "shared" / "data"
    shared = Path(root) / "sni"
    if shared.is_dir():
        files = {f"tasks/{p.name}": p.read_bytes() for p in sorted((shared / "tasks").glob("*.json"))}
        for p in sorted((shared / "splits" / "default").glob("*.txt")):
            files[f"splits/default/{p.name}"] = p.read_bytes()
    else:  # the download path never skips: a stand-in archive from the repo itself
        files = {"tasks/design.json": (REPO / "docs" / "design.md").read_bytes(),
                 "splits/default/train_tasks.txt": b"design\n"}  # fmt: skip
    files["README.md"] = b"not extracted\n"
    return files


def make_tar(files: dict[str, bytes], top: str = "natural-instructions-2.8", extra=()) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(f"{top}/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for info in extra:
            tar.addfile(info, io.BytesIO(b"x" * info.size) if info.isfile() else None)
    return buf.getvalue()


def sni_config(httpd, sha=None) -> dict:
    entry = {"path": "v2.8", "name": "ni.tar.gz", "sha256": sha,
             "extract": {"into": "natural-instructions", "strip_components": 1,
                         "members": ["tasks/*.json", "splits/default/*"]}}  # fmt: skip
    return {"data": {"sources": {"sni": {"url": url(httpd) + "/archive/{path}.tar.gz", "files": [entry]}}}}


def test_download_extract_lock_and_cache_hit(server, tmp_path):
    files = sni_source_files()
    blob = make_tar(files)
    server.files["/archive/v2.8.tar.gz"] = blob
    lock = download_source(sni_config(server), "sni", tmp_path)
    root = tmp_path / "sni"
    assert (root / "ni.tar.gz").read_bytes() == blob
    assert lock["ni.tar.gz"]["sha256"] == hashlib.sha256(blob).hexdigest()
    assert json.loads((root / LOCK_NAME).read_text()) == lock
    extracted = sorted(str(p.relative_to(root / "natural-instructions"))
                       for p in (root / "natural-instructions").rglob("*") if p.is_file())  # fmt: skip
    assert extracted == sorted([*(k for k in files if k != "README.md"), ".extracted"])
    for name, data in files.items():
        if name != "README.md":
            assert (root / "natural-instructions" / name).read_bytes() == data
    n = len(server.log)
    download_source(sni_config(server), "sni", tmp_path)  # verified cache hit: no request
    assert len(server.log) == n


def test_resume_after_truncated_part(server, tmp_path):
    blob = make_tar(sni_source_files())
    server.files["/archive/v2.8.tar.gz"] = blob
    part = tmp_path / "sni" / "ni.tar.gz.part"
    part.parent.mkdir(parents=True)
    part.write_bytes(blob[: len(blob) // 3])
    download_source(sni_config(server, hashlib.sha256(blob).hexdigest()), "sni", tmp_path)
    assert server.log == [("/archive/v2.8.tar.gz", f"bytes={len(blob) // 3}-")]
    assert (tmp_path / "sni" / "ni.tar.gz").read_bytes() == blob
    assert not part.exists()


def test_checksum_mismatch_names_file_and_hashes_and_writes_nothing(server, tmp_path):
    blob = make_tar(sni_source_files())
    server.files["/archive/v2.8.tar.gz"] = blob
    wrong = "0" * 64
    with pytest.raises(HartError) as err:
        download_source(sni_config(server, wrong), "sni", tmp_path)
    msg = str(err.value)
    assert "ni.tar.gz" in msg and wrong in msg and hashlib.sha256(blob).hexdigest() in msg
    assert not any(p.is_file() for p in tmp_path.rglob("*"))


def test_lock_file_detects_changed_content(server, tmp_path):
    server.files["/archive/v2.8.tar.gz"] = make_tar(sni_source_files())
    download_source(sni_config(server), "sni", tmp_path)
    (tmp_path / "sni" / "ni.tar.gz").write_bytes(b"tampered")
    with pytest.raises(HartError, match="sha256 mismatch"):
        download_source(sni_config(server), "sni", tmp_path)


def _unsafe(kind: str) -> tarfile.TarInfo:
    if kind == "traversal":
        info = tarfile.TarInfo("natural-instructions-2.8/tasks/../../evil.json")
        info.size = 1
    elif kind == "absolute":
        info = tarfile.TarInfo("/tmp/evil.json")
        info.size = 1
    elif kind == "symlink":
        info = tarfile.TarInfo("natural-instructions-2.8/tasks/link.json")
        info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
    else:
        info = tarfile.TarInfo("natural-instructions-2.8/tasks/hard.json")
        info.type, info.linkname = tarfile.LNKTYPE, "natural-instructions-2.8/README.md"
    return info


@pytest.mark.parametrize("kind", ["traversal", "absolute", "symlink", "hardlink"])
def test_unsafe_members_rejected_nothing_extracted(server, tmp_path, kind):
    info = _unsafe(kind)
    server.files["/archive/v2.8.tar.gz"] = make_tar(sni_source_files(), extra=[info])
    with pytest.raises(HartError) as err:
        download_source(sni_config(server), "sni", tmp_path)
    assert info.name in str(err.value) and "nothing extracted" in str(err.value)
    assert not (tmp_path / "sni" / "natural-instructions").exists()
    assert not any(p.name.startswith(".natural") for p in (tmp_path / "sni").iterdir())
    assert not (tmp_path / "evil.json").exists()


def test_safe_extract_direct_rejects_traversal(tmp_path):
    archive = tmp_path / "a.tar.gz"
    archive.write_bytes(make_tar({"tasks/ok.json": b"{}"}, extra=[_unsafe("traversal")]))
    with pytest.raises(HartError, match=r"a\.tar\.gz: unsafe member"):
        safe_extract(archive, tmp_path / "out", ["tasks/*.json"])
    assert not (tmp_path / "out").exists()


def test_p3_files_and_cli(server, tmp_path, shared_data):
    """P3 rows and templates from the shared data, through the CLI with a config override."""
    picks = ["eval/super_glue/cb/validation.jsonl", "templates/super_glue/cb/templates.yaml"]
    entries = []
    for rel in picks:
        server.files[f"/p3/rev1/{rel}"] = (shared_data / "p3" / rel).read_bytes()
        entries.append({"path": rel, "sha256": None})
    cfg = {"data": {"sources": {"p3": {"url": url(server) + "/p3/{revision}/{path}",
                                       "revision": "rev1", "files": entries}}}}  # fmt: skip
    path = tmp_path / "override.yaml"
    path.write_text(yaml.safe_dump(cfg))
    rc = main(["data", "download", "--config", str(path), "--source", "p3", "--cache", str(tmp_path / "c")])
    assert rc == 0
    for rel in picks:
        assert (tmp_path / "c" / "p3" / rel).read_bytes() == (shared_data / "p3" / rel).read_bytes()


def test_t5_pickled_weights_refused(tmp_path, capsys):
    cfg = {"data": {"sources": {"t5": {"url": "http://127.0.0.1:9/{path}", "weights_only_safetensors": True,
                                       "files": [{"path": "pytorch_model.bin", "sha256": None}]}}}}  # fmt: skip
    path = tmp_path / "t5.yaml"
    path.write_text(yaml.safe_dump(cfg))
    rc = main(["data", "download", "--config", str(path), "--source", "t5", "--cache", str(tmp_path / "c")])
    assert rc == 2
    assert "pytorch_model.bin" in capsys.readouterr().err
    assert not (tmp_path / "c").exists()


def test_shipped_config_is_valid_and_pins_every_file():
    from hart.config import compose

    data = compose([REPO / "config" / "data" / "sources.yaml"])["data"]
    assert data["sources"]["sni"]["revision"] == "v2.8"
    assert len(data["p3"]["train"]) == 38
    for name, source in data["sources"].items():
        for entry in source.get("files") or source["models"]:  # hub: models, each with a revision
            assert "revision" in entry or "revision" in source, (name, entry)


def test_file_urls_and_parquet_rows(tmp_path, shared_data):
    """file:// URLs work too; a downloaded parquet file is read like the jsonl it came from."""
    import pandas as pd

    from hart.data.p3 import read_rows

    src = shared_data / "p3" / "eval" / "super_glue" / "rte" / "validation.jsonl"
    rows = [json.loads(x) for x in src.read_text().splitlines()]
    served = tmp_path / "served"
    served.mkdir()
    pd.DataFrame(rows).to_parquet(served / "rte.parquet")
    cfg = {"data": {"sources": {"p3": {"url": served.as_uri() + "/{path}",
                                       "files": [{"path": "rte.parquet", "name": "eval/rte.parquet",
                                                  "sha256": None}]}}}}  # fmt: skip
    lock = download_source(cfg, "p3", tmp_path / "cache")
    got = tmp_path / "cache" / "p3" / "eval" / "rte.parquet"
    assert lock["eval/rte.parquet"]["sha256"] == hashlib.sha256((served / "rte.parquet").read_bytes()).hexdigest()
    assert list(read_rows(got, 5)) == rows[:5] and len(list(read_rows(got, 10**6))) == 277


def _shipped() -> dict:
    """The ``data`` section of config/data/sources.yaml, composed and validated."""
    from hart.config import compose

    return compose([REPO / "config" / "data" / "sources.yaml"])["data"]


def _shipped_templates():
    """The shipped data section and its promptsource sdist entry."""
    data = _shipped()
    [entry] = [e for e in data["sources"]["p3"]["files"] if "extract" in e]
    return data, entry


def test_template_members_are_the_ones_p3_episodes_read():
    """The sdist entry extracts exactly the template files of the 38 training pairs and the 8
    held-out template folders, into the ``templates/`` folder that ``hart data episodes`` reads."""
    data, entry = _shipped_templates()
    wanted = {f"{task}/templates.yaml" for task in data["p3"]["train"]}
    wanted |= {f"{spec.get('templates', spec['task'])}/templates.yaml" for spec in data["p3"]["eval"]}
    assert len(wanted) == 46
    assert sorted(entry["extract"]["members"]) == sorted(wanted)
    assert entry["extract"]["into"] == "templates" and entry["extract"]["strip_components"] == 3


def _sdist(templates: Path, members: list[str]) -> bytes:
    """A promptsource-0.2.3 sdist laid out like PyPI's, holding the given template files."""
    files = {f"promptsource/templates/{m}": (templates / m).read_bytes() for m in members}
    files["PKG-INFO"] = b"Name: promptsource\nVersion: 0.2.3\n"
    return make_tar(files, top="promptsource-0.2.3")


def test_template_sdist_download_and_extract(server, tmp_path, shared_data):
    """The shipped sdist entry, its URL path served by the loopback server: (1) as shipped, the
    pinned PyPI sha256 refuses an archive that is not PyPI's, and nothing is written; (2) with
    this archive's hash, the members land byte-identical under templates/; (3) a listed member
    missing from the archive is an error naming it, and nothing is extracted."""
    from urllib.parse import urlsplit

    from hart.data.download import file_url

    data, entry = _shipped_templates()
    p3 = data["sources"]["p3"]
    real = file_url(p3, entry)
    assert real.startswith("https://files.pythonhosted.org/") and real.endswith("/promptsource-0.2.3.tar.gz")
    here = shared_data / "p3" / "templates"
    have = [m for m in entry["extract"]["members"] if (here / m).is_file()]
    assert len(have) == 25  # the shared data holds 25 of the 46
    blob = _sdist(here, have)
    served = {**entry, "url": url(server) + urlsplit(real).path.rsplit("/", 1)[0] + "/{path}"}
    server.files[urlsplit(real).path] = blob
    config = {"data": {"sources": {"p3": {"url": p3["url"], "files": [served]}}}}

    with pytest.raises(HartError, match=f"sha256 mismatch.*expected {entry['sha256']}"):
        download_source(config, "p3", tmp_path / "c1")
    assert not (tmp_path / "c1" / "p3" / "promptsource-0.2.3.tar.gz").exists()
    assert not (tmp_path / "c1" / "p3" / "templates").exists()

    served.update(sha256=hashlib.sha256(blob).hexdigest(), extract={**entry["extract"], "members": have})
    lock = download_source(config, "p3", tmp_path / "c2")
    assert lock["promptsource-0.2.3.tar.gz"]["sha256"] == served["sha256"]
    got = sorted(str(p.relative_to(tmp_path / "c2" / "p3" / "templates"))
                 for p in (tmp_path / "c2" / "p3" / "templates").rglob("templates.yaml"))  # fmt: skip
    assert got == sorted(have)
    for m in have:
        assert (tmp_path / "c2" / "p3" / "templates" / m).read_bytes() == (here / m).read_bytes()

    served["extract"] = entry["extract"]  # all 46 listed, 25 in the archive
    missing = next(m for m in entry["extract"]["members"] if m not in have)
    with pytest.raises(HartError, match=f"21 listed member.*{re.escape(missing)}.*nothing extracted"):
        download_source(config, "p3", tmp_path / "c3")
    assert not (tmp_path / "c3" / "p3" / "templates").exists()


def test_shipped_spiece_pin_verifies_the_real_vocabulary(server, tmp_path, shared_data):
    """The pinned T5 spiece.model entry, served from the real 32k vocabulary of the shared data at
    the shipped URL's path: the pin verifies; the same entry refuses a file one byte longer."""
    from urllib.parse import urlsplit

    from hart.data.download import file_url

    t5 = _shipped()["sources"]["t5"]
    [entry] = [e for e in t5["files"] if e["path"] == "spiece.model" and e.get("sha256")]
    real = file_url(t5, entry)
    blob = (shared_data / "t5" / "tokenizer" / "spiece.model").read_bytes()
    assert len(blob) == 791_656
    server.files[urlsplit(real).path] = blob
    source = {**t5, "url": url(server) + "/{repo}/resolve/{revision}/{path}", "files": [entry]}
    lock = download_source({"data": {"sources": {"t5": source}}}, "t5", tmp_path / "c")
    assert lock[entry["name"]]["sha256"] == entry["sha256"]
    server.files[urlsplit(real).path] = blob + b"\0"
    with pytest.raises(HartError, match="sha256 mismatch"):
        download_source({"data": {"sources": {"t5": source}}}, "t5", tmp_path / "c2")
    assert not (tmp_path / "c2" / "t5" / entry["name"]).exists()


def test_extract_once_reextracts_when_the_member_list_changes(tmp_path):
    """A finished extraction is reused only for the same archive AND the same member selection:
    adding a member to the config extracts again (the new file appears)."""
    from hart.data.archive import extract_once

    archive = tmp_path / "a.tar.gz"
    archive.write_bytes(make_tar({"tasks/a.json": b"1", "tasks/b.json": b"2"}))
    spec = {"members": ["tasks/a.json"], "strip_components": 1}
    assert extract_once(archive, tmp_path / "out", spec) == 1
    assert extract_once(archive, tmp_path / "out", spec) == 0  # reused
    assert not (tmp_path / "out" / "tasks" / "b.json").exists()
    assert extract_once(archive, tmp_path / "out", {**spec, "members": ["tasks/a.json", "tasks/b.json"]}) == 2
    assert (tmp_path / "out" / "tasks" / "b.json").read_bytes() == b"2"
