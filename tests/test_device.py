"""Device placement: every command puts the model AND its inputs on the chosen device.

The chosen device here is ``meta`` (``HART_DEVICE=meta`` or ``--device meta``): a device other than
the CPU the batches are made on, where nothing is computed. Spies on the model's entry points (``loss``,
``task_state``, ``generate``, ``logits``) check that every parameter and every tensor argument is
on meta, then stop the command with ``Reached``: a meta tensor has no values, so the forward
itself cannot run (transformers' mask code reads values); past the entry points, transformers and
our model code create their tensors on the inputs' device.
"""

import argparse
import json

import pytest
import torch

from hart.model import adapted
from hart.train.loop import train
from unitdata import make_rows, tiny_config


class Reached(Exception):
    """The command got its inputs to the model on the chosen device."""


def _on_meta(model, *tensors):
    where = {p.device.type for p in model.parameters()}
    assert where == {"meta"}, f"model parameters on {where}, not on the chosen device (meta)"
    for t in tensors:
        if isinstance(t, torch.Tensor):
            assert t.device.type == "meta", f"an input of shape {tuple(t.shape)} was left on {t.device}"


@pytest.fixture
def spy(monkeypatch):
    """Stop at the named AdaptedT5 method once its arguments were checked: ``spy("loss")``."""
    calls = []

    def install(name: str, returns=None):
        """Check the arguments of ``name``; then stop (or, with ``returns``, answer with meta tensors)."""

        def wrapped(self, *args, **kwargs):
            _on_meta(self, *args, *kwargs.values())
            state = args[0] if args and isinstance(args[0], adapted.TaskState) else None
            if state is not None:  # task states (prefixes, FiD memory) must be on the device too
                _on_meta(self, state.memory, state.memory_mask,
                         *(vars(state.prefixes).values() if state.prefixes is not None else ()))
            calls.append(name)
            if returns is not None:
                return returns(self, *args)
            raise Reached(name)

        monkeypatch.setattr(adapted.AdaptedT5, name, wrapped)
        return calls

    return install


@pytest.fixture(scope="module")
def cpu_run(unit_data, tmp_path_factory):
    episodes, tok = unit_data
    run = tmp_path_factory.mktemp("device") / "run"
    assert train(tiny_config(episodes, tok, "hart", steps=2), run) == 0
    return run


def test_training_step_runs_on_the_chosen_device(unit_data, tmp_path, spy, monkeypatch):
    episodes, tok = unit_data
    monkeypatch.setenv("HART_DEVICE", "meta")
    spy("task_state", returns=lambda self, *a: adapted.TaskState())
    calls = spy("loss")
    with pytest.raises(Reached):
        train(tiny_config(episodes, tok, "hart", steps=2), tmp_path / "run")
    assert calls == ["task_state", "loss"]
    assert not (tmp_path / "run" / "done.json").exists()


def _eval_config(tmp_path):
    cfg = {"run": {"method": "hart", "scale": "tiny", "seed": 0}, "evaluate": {"batch_size": 4, "max_new_tokens": 4}}
    return cfg


def _rows(kind):
    rows = [dict(r, split="test", benchmark="sni") for r in make_rows(4, seed=5)]
    for r in rows:
        r["hyper_input"] = "Definition: one fixed set per task."
    if kind == "rank":
        rows = [dict(r, benchmark="p3", choices=[r["target"], "red", "blue blue"], label=0) for r in rows]
    return rows


@pytest.mark.parametrize("kind, entry", [("gen", "generate"), ("rank", "logits")])
def test_evaluation_runs_on_the_chosen_device(cpu_run, tmp_path, spy, kind, entry):
    from hart.evaluate.run import evaluate

    eps = tmp_path / "eps.jsonl"
    eps.write_text("".join(json.dumps(r, sort_keys=True) + "\n" for r in _rows(kind)))
    spy("task_state", returns=lambda self, *a: adapted.TaskState())
    spy("encode", returns=_meta_memory)
    calls = spy(entry)
    with pytest.raises(Reached):
        evaluate(_eval_config(tmp_path), cpu_run, eps, tmp_path / "out.json", device="meta")
    assert calls[0] == "task_state" and calls[-1] == entry


def _meta_memory(self, state, input_ids, attention_mask):
    """What encode returns, without running it: memory (batch, src, d_model) on the inputs' device."""
    d = self.main.config.d_model
    return torch.empty(*input_ids.shape, d, device=input_ids.device), attention_mask


def test_evaluation_task_state_on_the_chosen_device(cpu_run, tmp_path, spy):
    from hart.evaluate.run import evaluate

    eps = tmp_path / "eps.jsonl"
    eps.write_text("".join(json.dumps(r, sort_keys=True) + "\n" for r in _rows("gen")))
    calls = spy("task_state")  # the hypernetwork input goes to the device too
    with pytest.raises(Reached):
        evaluate(_eval_config(tmp_path), cpu_run, eps, tmp_path / "out.json", device="meta")
    assert calls == ["task_state"]


def _adapt_args(cpu_run, tmp_path, **kw):
    task = {"Definition": ["Reverse the words."],
            "Positive Examples": [{"input": "red blue", "output": "blue red", "explanation": "-"}],
            "Instances": [{"id": "t-1", "input": "sun moon", "output": ["moon sun"]}]}
    (tmp_path / "task.json").write_text(json.dumps(task))
    base = dict(checkpoint=str(cpu_run), task=str(tmp_path / "task.json"), prefixes=None, out=str(tmp_path / "a"),
                query=["red cat"], queries=None, instances=False, max_new_tokens=3, device="meta")
    return argparse.Namespace(**{**base, **kw})


def test_adapt_runs_on_the_chosen_device(cpu_run, tmp_path, spy):
    from hart import adapt

    calls = spy("task_state")
    with pytest.raises(Reached):
        adapt.run(_adapt_args(cpu_run, tmp_path))
    assert calls == ["task_state"]


def test_adapt_answers_from_saved_prefixes_on_the_chosen_device(cpu_run, tmp_path, spy):
    from hart import adapt

    assert adapt.run(_adapt_args(cpu_run, tmp_path, device="cpu")) == 0  # prefixes made on the CPU
    calls = spy("generate")  # its state argument: the saved prefixes, loaded onto the device
    with pytest.raises(Reached):
        adapt.run(_adapt_args(cpu_run, tmp_path, task=None, prefixes=str(tmp_path / "a"), out=None))
    assert calls == ["generate"]


def test_select_and_precision(monkeypatch):
    from hart import device as dev
    from hart.errors import HartError

    monkeypatch.delenv("HART_DEVICE", raising=False)
    monkeypatch.delenv("LOCAL_RANK", raising=False)
    assert dev.select("cpu") == torch.device("cpu")
    monkeypatch.setenv("HART_DEVICE", "meta")
    assert dev.select() == torch.device("meta") and dev.select("cpu") == torch.device("cpu")  # --device wins
    monkeypatch.delenv("HART_DEVICE")
    if not torch.cuda.is_available():
        assert dev.select() == torch.device("cpu")
        with pytest.raises(HartError, match="no GPU"):
            dev.select("cuda")
        monkeypatch.setenv("LOCAL_RANK", "1")  # a launcher without CUDA (CPU DeepSpeed): the CPU
        assert dev.select() == torch.device("cpu")
    with pytest.raises(HartError, match="not a torch device"):
        dev.select("gpu0")
    assert dev.precision(torch.device("cpu"), "auto") == "fp32"
    with pytest.raises(HartError, match="train.bf16"):
        dev.precision(torch.device("cpu"), True)
    # a GPU without bf16 (V100) trains in fp32, one with it in bf16; never fp16
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda *a, **k: (7, 0))  # V100
    assert dev.precision(torch.device("cuda", 0), "auto") == "fp32"
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda *a, **k: (8, 0))  # A100
    assert dev.precision(torch.device("cuda", 0), "auto") == "bf16"
    assert dev.precision(torch.device("cuda", 0), False) == "fp32"


def test_cuda_rng_state_saved_and_restored(monkeypatch):
    """A GPU checkpoint carries the CUDA generator's state and resume puts it back (mocked CUDA)."""
    from hart import device as dev

    store = {"state": torch.arange(16, dtype=torch.uint8)}
    monkeypatch.setattr(torch.cuda, "get_rng_state", lambda device=None: store["state"].clone())
    monkeypatch.setattr(torch.cuda, "set_rng_state", lambda t, device=None: store.update(state=t.clone()))
    gpu = torch.device("cuda", 0)
    saved = dev.rng_state(gpu)
    assert torch.equal(saved["rng.cuda"], torch.arange(16, dtype=torch.uint8))
    store["state"] = torch.zeros(16, dtype=torch.uint8)  # the generator moved on (or a fresh process)
    cpu_before = torch.get_rng_state()
    torch.rand(3)
    dev.set_rng_state(saved, gpu)
    assert torch.equal(store["state"], torch.arange(16, dtype=torch.uint8))
    assert torch.equal(torch.get_rng_state(), cpu_before)
    assert "rng.cuda" not in dev.rng_state(torch.device("cpu"))


def test_training_records_device_and_precision(cpu_run):
    done = json.loads((cpu_run / "done.json").read_text())
    assert done["device"] == "cpu" and done["precision"] == "fp32" and done["processes"] == 1


def test_attention_runs_on_the_chosen_device(unit_data, tmp_path, spy):
    from hart import attention

    episodes, tok = unit_data
    cfg = tiny_config(episodes, tok, "hart", steps=1)
    cfg["method"] = {"name": "bidir-layerwise", "generator": "layerwise", "fid": True, "input_field": "query"}
    assert train(cfg, tmp_path / "layerwise") == 0
    calls = spy("task_state")
    with pytest.raises(Reached):
        attention.run(argparse.Namespace(checkpoint=str(tmp_path / "layerwise"), episodes=str(episodes),
                                         out=str(tmp_path / "a.safetensors"), max_tasks=1, device="meta"))
    assert calls == ["task_state"]
