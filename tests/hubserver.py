"""A loopback server that speaks the few endpoints of the Hugging Face Hub's HTTP API that
huggingface_hub's client uses (model_info, resolve with HEAD/GET), and hub-format snapshots of the
small LM-adapt architecture (random weights). Used by tests/data/test_hub.py and
tests/workflow/test_pretrained_dag.py: the real download code runs against it, never the hub."""

from __future__ import annotations

import hashlib
import json
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

TOKENIZER_FILES = ("tokenizer.json", "spiece.model", "tokenizer_config.json", "special_tokens_map.json")


def small_lm_adapt_snapshot(shared_data: Path, folder: Path, seed: int = 3):
    """``save_pretrained`` of a random T5 of the small LM-adapt architecture, with the T5 tokenizer
    files beside it (a hub repository's safetensors form); returns the model."""
    import torch
    from transformers import T5Config

    from hart.evaluate.plain import random_t5

    model = random_t5(T5Config.from_pretrained(shared_data / "t5" / "small-lm-adapt-arch"), seed=seed)
    torch.nn.init.normal_(model.lm_head.weight, std=0.05)  # an untied head that differs from the embedding
    model.save_pretrained(folder)  # config.json, generation_config.json, model.safetensors
    for name in TOKENIZER_FILES:
        shutil.copy(shared_data / "t5" / "tokenizer" / name, folder / name)
    return model


class Hub:
    """The few endpoints huggingface_hub uses: model_info and resolve (HEAD/GET)."""

    def __init__(self, repos: dict[str, Path], commits: dict[str, str]):
        self.repos, self.commits, self.requests = repos, commits, []
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_HEAD(self):
                self._serve(body=False)

            def do_GET(self):
                self._serve(body=True)

            def _serve(self, body):
                hub.requests.append((self.command, self.path))
                parts = self.path.split("?")[0].strip("/").split("/")
                if parts[:2] == ["api", "models"]:
                    repo = "/".join(parts[2:4])
                    if repo not in hub.repos:
                        return self._send(404, b"{}")
                    files = sorted(p.name for p in hub.repos[repo].iterdir())
                    data = json.dumps({"id": repo, "modelId": repo, "sha": hub.commits[repo],
                                       "siblings": [{"rfilename": f} for f in files]}).encode()
                    return self._send(200, data, {"Content-Type": "application/json"})
                repo, rest = "/".join(parts[:2]), parts[2:]
                if repo not in hub.repos or rest[:1] != ["resolve"] or rest[1] not in ("main", hub.commits[repo]):
                    return self._send(404, b"not found")
                path = hub.repos[repo] / "/".join(rest[2:])
                if not path.is_file():
                    return self._send(404, b"not found", {"X-Error-Code": "EntryNotFound"})
                data = path.read_bytes()
                self._send(200, data if body else b"", {"X-Repo-Commit": hub.commits[repo],
                                                         "ETag": f'"{hashlib.sha256(data).hexdigest()}"'},
                           length=len(data))

            def _send(self, code, data, headers=None, length=None):
                self.send_response(code)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data) if length is None else length))
                self.end_headers()
                if data:
                    self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
