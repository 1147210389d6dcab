"""Model and checkpoints, tour 66: compare_checkpoints says in words when only a LoRA adapter's factors differ."""

from __future__ import annotations

import pytest
import torch
from safetensors.torch import save_file
from script_loader import load_script

LORA = "base_model.model.model.layers.0.self_attn.q_proj"


def _ckpt(root, name, a, b, base=0.0, adapter=True):
    d = root / name
    (d / "adapter").mkdir(parents=True)
    if adapter:
        save_file({f"{LORA}.lora_A.weight": a, f"{LORA}.lora_B.weight": b},
                  str(d / "adapter" / "adapter_model.safetensors"))
    save_file({"v": torch.full((2, 3), base)}, str(d / "vision.safetensors"))
    return str(d)


@pytest.mark.parametrize("case, said", [
    ("trained", "differ by their unmerged adapters alone"),
    ("untrained", "untrained adapters, which add nothing"),
    ("a_only", "only lora_A differs, every lora_B and every other weight the same"),
    ("one_side", "held by A alone"),
    ("base_too", None),
])
def test_compare_says_when_only_lora_factors_differ(tmp_path, monkeypatch, capsys, case, said):
    cmp = load_script("compare_checkpoints", monkeypatch)
    g = torch.Generator().manual_seed(0)
    a1, a2, b1, b2 = (torch.randn(4, 16, generator=g) for _ in range(4))
    zero = torch.zeros(4, 16)
    sides = {"trained": ((a1, b1), (a2, b2)), "untrained": ((a1, zero), (a2, zero)), "a_only": ((a1, b1), (a2, b1)),
             "one_side": ((a1, b1), (a1, b1)), "base_too": ((a1, b1), (a2, b2))}[case]
    x = _ckpt(tmp_path, "x", *sides[0])
    y = _ckpt(tmp_path, "y", *sides[1], base=0.5 if case == "base_too" else 0.0, adapter=case != "one_side")
    assert cmp.main([x, y]) == 1
    notes = [line for line in capsys.readouterr().out.splitlines() if line.startswith("note:")]
    if said is None:  # a base weight moved too: the adapter is not the whole story, no note
        assert notes == []
    else:
        assert len(notes) == 1 and said in notes[0], notes


def _lora_step(tmp_path, base_dir, moved: bool):
    """A step folder naming a copy of ``base_dir`` as its base, recording that copy's fingerprint; ``moved``:
    the copy's weights changed afterwards (re-downloaded, another revision)."""
    import json
    import shutil

    from safetensors.torch import load_file

    from rsvlm.model.base_print import FINGERPRINT, fingerprint

    base = tmp_path / "base"
    shutil.copytree(base_dir, base)
    step = tmp_path / "run" / "checkpoints" / "step_000002"
    step.mkdir(parents=True)
    (step / "train_config.yaml").write_text(f"model:\n  llm:\n    name_or_path: {base}\n")
    (step / FINGERPRINT).write_text(json.dumps({"base": str(base), "fingerprint": fingerprint(base)}))
    if moved:
        state = load_file(str(base / "model.safetensors"))
        save_file({k: v + 1 for k, v in state.items()}, str(base / "model.safetensors"), metadata={"format": "pt"})
    return step


@pytest.mark.parametrize("moved, force, code", [(False, False, 0), (True, False, 2), (True, True, 0)])
def test_export_step_refuses_a_base_changed_since_training(tmp_path, base_dir, monkeypatch, capsys, moved, force,
                                                          code):
    export = load_script("export_step", monkeypatch)
    built = []

    def exported(step, out):  # the model build and save, stood in for: only whether it ran matters here
        built.append(step)
        out.mkdir(parents=True, exist_ok=True)
        return out

    monkeypatch.setattr("rsvlm.train.loop.export_step", exported)
    step = _lora_step(tmp_path, base_dir, moved)
    argv = [str(step), "--out", str(tmp_path / "out")] + (["--force"] if force else [])
    assert export.main(argv) == code
    err = capsys.readouterr().err
    assert bool(built) == (code == 0)  # refused before the model is built
    if moved:  # was: exported on the new weights, its adapter/rsvlm_base.json vouching for them
        assert "now holds other weights" in err and str(tmp_path / "base") in err
        assert ("--force" in err) and (("exported anyway" in err) == force)
    else:
        assert err == ""


def test_export_step_says_when_it_vouches_for_a_base_it_could_not_check(tmp_path, base_dir, monkeypatch, capsys):
    from rsvlm.model.base_print import FINGERPRINT

    export = load_script("export_step", monkeypatch)

    def exported(step, out):  # an adapter-only export: save_pretrained records the base as it is now
        (out / "adapter").mkdir(parents=True)
        (out / "adapter" / FINGERPRINT).write_text("{}")
        return out

    monkeypatch.setattr("rsvlm.train.loop.export_step", exported)
    step = _lora_step(tmp_path, base_dir, moved=False)
    (step / FINGERPRINT).unlink()  # step folders of rsvlm train record none (yet)
    assert export.main([str(step), "--out", str(tmp_path / "out")]) == 0
    err = capsys.readouterr().err
    assert "records no fingerprint of its LLM base" in err and "nothing could tell" in err


class _Boobytrap:  # unpickled, it makes a folder: proof that nothing was unpickled
    def __init__(self, where):
        self.where = where

    def __reduce__(self):
        import os

        return os.makedirs, (self.where,)


@pytest.mark.parametrize("how", ["torch.save", "pickle"])
def test_a_pickled_file_named_safetensors_is_named_as_such_and_never_unpickled(tmp_path, ckpt, monkeypatch, capsys,
                                                                               how):
    import pickle
    import shutil

    from rsvlm.model.checkpoint import load_pretrained

    trap = tmp_path / "unpickled"
    bad = tmp_path / "ck"
    shutil.copytree(ckpt, bad)
    if how == "torch.save":  # a zip archive
        torch.save({"w": torch.zeros(2), "trap": _Boobytrap(str(trap))}, bad / "vision.safetensors")
    else:
        (bad / "vision.safetensors").write_bytes(pickle.dumps(_Boobytrap(str(trap))))
    # was: 'not a readable safetensors file (Error while deserializing header: header too large)', no more
    with pytest.raises(ValueError, match=r"vision.safetensors: not a readable safetensors file .*pickled torch.save"):
        load_pretrained(bad)
    cmp = load_script("compare_checkpoints", monkeypatch)
    assert cmp.main([str(ckpt / "vision.safetensors"), str(bad / "vision.safetensors")]) == 2
    assert "pickled torch.save file" in capsys.readouterr().err
    assert not trap.exists()
    _unpickle(bad / "vision.safetensors", how)  # the trap is armed: unpickled, the file makes the folder
    assert trap.is_dir()


def _unpickle(path, how):
    import pickle

    if how == "torch.save":  # under another name: this torch reads a .safetensors name with safetensors
        import shutil

        torch.load(shutil.copyfile(path, path.with_suffix(".pt")), weights_only=False)
    else:
        pickle.loads(path.read_bytes())


@pytest.mark.parametrize("edit, said", [
    ("nan", "1 weight holds NaN or inf"),
    ("int", "stored as integers where the model's are floating point"),
    ("pickle", "not a safetensors file; it is a pickled torch.save file"),
])
def test_an_adapter_of_nan_integer_or_pickled_weights_is_refused(tmp_path, ckpt, edit, said):
    import shutil

    from safetensors.torch import load_file

    from rsvlm.model.checkpoint import load_pretrained

    bad = tmp_path / "ck"
    shutil.copytree(ckpt, bad)
    path = bad / "adapter" / "adapter_model.safetensors"
    state = {k: v.clone() for k, v in load_file(str(path)).items()}
    key = next(k for k in sorted(state) if "lora_A" in k)
    if edit == "nan":  # a diverged run's adapter: peft loaded it without a word, every answer garbage
        state[key][0, 0] = float("nan")
    elif edit == "int":  # peft cast it to float without a word
        state[key] = state[key].to(torch.int64)
    trap = tmp_path / "unpickled"
    if edit == "pickle":  # was: 'cannot be read (SafetensorError: … header too large)'
        torch.save({**state, "trap": _Boobytrap(str(trap))}, path)
    else:
        save_file(state, str(path), metadata={"format": "pt"})
    with pytest.raises(ValueError, match=said) as err:
        load_pretrained(bad)
    assert "adapter_model.safetensors" in str(err.value)
    assert not trap.exists()  # peft never got to torch.load it either
    if edit == "pickle":
        _unpickle(path, "torch.save")  # the trap is armed
        assert trap.is_dir()


def test_a_checkpoints_own_llm_of_integer_weights_is_refused(tmp_path, ckpt):
    import shutil

    from safetensors.torch import load_file

    from rsvlm.model.checkpoint import load_pretrained

    bad = tmp_path / "ck"
    shutil.copytree(ckpt, bad)
    path = bad / "llm" / "model.safetensors"
    state = {k: v.clone() for k, v in load_file(str(path)).items()}
    key = "model.norm.weight"
    state[key] = state[key].to(torch.int32)  # transformers cast it to float without a word
    save_file(state, str(path), metadata={"format": "pt"})
    with pytest.raises(ValueError, match="stored as integers") as err:
        load_pretrained(bad)
    assert str(bad / "llm") in str(err.value) and key in str(err.value)


@pytest.mark.parametrize("gone", ["trainable_tokens_delta", "lora_A"])
def test_an_adapter_file_lacking_a_tensor_names_it(tmp_path, ckpt, gone):
    import shutil

    from safetensors.torch import load_file

    from rsvlm.model.checkpoint import load_pretrained

    bad = tmp_path / "ck"
    shutil.copytree(ckpt, bad)
    path = bad / "adapter" / "adapter_model.safetensors"
    state = load_file(str(path))
    key = next(k for k in sorted(state) if gone in k)
    del state[key]
    save_file(state, str(path), metadata={"format": "pt"})
    with pytest.raises(ValueError) as err:  # was: 'cannot be read (KeyError: …)', not saying what is missing
        load_pretrained(bad)
    said = str(err.value)
    assert str(path) in said and key in said and "lacks" in said and "KeyError" not in said, said


def test_a_training_step_records_its_base_and_export_step_refuses_it_changed(tmp_path, base_dir, monkeypatch,
                                                                              capsys):
    import json
    import shutil

    from safetensors.torch import load_file
    from test_train_utils import make_records, recipe

    from rsvlm.model.base_print import FINGERPRINT, fingerprint
    from rsvlm.train import main as train_main

    base = shutil.copytree(base_dir, tmp_path / "base")
    data = make_records(tmp_path / "d", n=4, ir_every=0)
    out = tmp_path / "run"
    argv = ["--config", str(recipe(tmp_path)), f"data.train={data}", f"out_dir={out}", "log.progress=false",
            "batch_size=2", "max_steps=1", "ckpt.every=1", "optim.warmup_steps=0",
            f"model.llm.name_or_path={base}", "model.llm.config=null"]
    assert train_main(argv) == 0
    step = out / "checkpoints" / "step_000001"
    recorded = step / FINGERPRINT  # was: none, so export_step's check never ran
    assert json.loads(recorded.read_text()) == {"base": str(base), "fingerprint": fingerprint(base)}

    export = load_script("export_step", monkeypatch)
    assert export.main([str(step), "--out", str(tmp_path / "same")]) == 0
    assert (tmp_path / "same" / "adapter" / FINGERPRINT).read_text() == recorded.read_text()
    assert "records no fingerprint" not in capsys.readouterr().err

    state = load_file(str(base / "model.safetensors"))  # the base re-downloaded as another revision
    save_file({k: v + 1 for k, v in state.items()}, str(base / "model.safetensors"), metadata={"format": "pt"})
    assert export.main([str(step), "--out", str(tmp_path / "moved")]) == 2
    assert "now holds other weights" in capsys.readouterr().err and not (tmp_path / "moved").exists()
    assert export.main([str(step), "--out", str(tmp_path / "forced"), "--force"]) == 0
    # the base it trained on, copied: not the base it was exported on, re-fingerprinted
    assert (tmp_path / "forced" / "adapter" / FINGERPRINT).read_text() == recorded.read_text()
    assert "exported anyway" in capsys.readouterr().err
    assert train_main([*argv, "max_steps=2", "ckpt.resume=auto"]) == 0  # was: resumed on the new base unsaid
    err = capsys.readouterr().err
    assert "holds other weights" in err and str(recorded) in err, err[-2000:]
    assert json.loads((out / "checkpoints" / "step_000002" / FINGERPRINT).read_text())["fingerprint"] == fingerprint(base)


def test_the_nan_scan_is_one_min_max_pass_and_finds_each_nan_and_inf(monkeypatch):
    from rsvlm.model.weights import odd_values

    seen = []
    isfinite = torch.isfinite
    monkeypatch.setattr(torch, "isfinite", lambda t: seen.append(t.numel()) or isfinite(t))
    params = {"w": torch.empty(0)}
    for dtype in (torch.bfloat16, torch.float16, torch.float32):
        assert odd_values("a", {"w": torch.randn(64, 300, dtype=dtype)}, params) is None
        for where in (0, 7, 64 * 300 - 1):  # the first value, inside a vector lane, the last
            for value in (float("nan"), float("inf"), float("-inf")):
                w = torch.randn(64, 300, dtype=dtype)
                w.view(-1)[where] = value
                assert "1 weight holds NaN or inf" in odd_values("a", {"w": w}, params), (dtype, where, value)
    assert odd_values("a", {"w": torch.empty(0, 4)}, params) is None
    # was isfinite over every value (1.6 s for a rank-64 LoRA of a 7B model on one CPU thread): now its min and max
    assert seen and max(seen) == 1, max(seen)


def test_a_cut_safetensors_file_whose_header_size_starts_with_a_pickles_byte_is_not_called_pickled(tmp_path):
    import json
    import struct

    from rsvlm.model.weights import load_safetensors

    header = json.dumps({"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}).encode()
    header += b" " * ((128 - len(header)) % 256 or 256)  # its size's first byte 0x80, as a pickle's PROTO opcode
    path = tmp_path / "vision.safetensors"
    path.write_bytes(struct.pack("<Q", len(header)) + header + bytes(8))  # cut: 8 of its 16 data bytes
    assert path.read_bytes()[:1] == b"\x80"
    with pytest.raises(ValueError, match="not a readable safetensors file") as err:
        load_safetensors(path)
    assert "pickled" not in str(err.value), err.value  # was: 'it is a pickled torch.save file', a cut download


def test_a_legacy_torch_save_named_safetensors_is_called_pickled(tmp_path):
    from rsvlm.model.weights import load_safetensors

    path = tmp_path / "vision.safetensors"
    torch.save({"w": torch.zeros(2)}, path, _use_new_zipfile_serialization=False)
    with pytest.raises(ValueError, match="pickled torch.save file"):
        load_safetensors(path)
