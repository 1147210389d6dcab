"""Stop 80's model tour: a TorchScript archive is told by its data.pkl's scripted classes as well as by its
members; pickle_scan asks torch's public get_unsafe_globals_in_checkpoint first, its private list next."""

import argparse
import warnings
import zipfile
from pathlib import Path

import pytest
import torch


class _Tiny(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(2, 2)

    def forward(self, x):
        return self.lin(x)


def _jit_file(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.jit.trace's deprecation note
        torch.jit.save(torch.jit.trace(_Tiny(), torch.zeros(1, 2)), path)
    return path


def _without(src, dst, drop):
    """``src``'s zip members, less those ``drop`` says of, written to ``dst``."""
    with zipfile.ZipFile(src) as a, zipfile.ZipFile(dst, "w") as b:
        for n in a.namelist():
            if not drop(n):
                b.writestr(n, a.read(n))
    return dst


def test_a_torchscript_archive_is_told_by_its_members_or_its_data_pkl(tmp_path):
    """Only the code/ and constants.pkl members told TorchScript: an archive repacked without them (a zip tool,
    a partial extract) was called a pickle of '__torch__…' classes; its data.pkl's classes now tell it too."""
    from rsvlm.model.pickle_scan import is_torchscript, pickled_globals

    ts = _jit_file(tmp_path / "ts.pt")
    assert is_torchscript(ts)
    bare = _without(ts, tmp_path / "bare.pt", lambda n: "/code/" in n or n.endswith("constants.pkl"))
    assert not any("/code/" in n or n.endswith("constants.pkl") for n in zipfile.ZipFile(bare).namelist())
    assert any(n.startswith("__torch__.") for n in pickled_globals(bare))
    assert is_torchscript(bare)
    torch.save({"w": torch.ones(2), "s": {1}}, tmp_path / "sd.pt")  # a plain zip state dict
    torch.save(_Tiny(), tmp_path / "mod.pt")  # a pickled (not scripted) module
    torch.save({"w": torch.ones(2)}, tmp_path / "legacy.pt", _use_new_zipfile_serialization=False)
    for name in ("sd.pt", "mod.pt", "legacy.pt"):
        assert not is_torchscript(tmp_path / name), name
    assert not is_torchscript(_without(ts, tmp_path / "nodata.pt", lambda n: "/code/" in n or n.endswith(".pkl")))


def test_read_state_dict_calls_a_repacked_torchscript_file_so(tmp_path):
    from rsvlm.model.vision import read_state_dict

    ts = _jit_file(tmp_path / "ts.pt")
    bare = _without(ts, tmp_path / "bare.pt", lambda n: "/code/" in n or n.endswith("constants.pkl"))
    with pytest.raises(ValueError, match=r"bare.pt: not a plain tensor state dict \(a TorchScript archive,"):
        read_state_dict(bare)


def _files(tmp_path):
    w = torch.ones(2)
    torch.save({"w": w, "args": argparse.Namespace(lr=1)}, tmp_path / "ns2.pt")
    torch.save({"w": w, "args": argparse.Namespace(lr=1)}, tmp_path / "ns4.pt", pickle_protocol=4)
    torch.save({"w": w, "s": {1}}, tmp_path / "set.pt")
    torch.save({"w": w, "m": _Tiny()}, tmp_path / "mod.pt")
    return {"ns2.pt": "argparse.Namespace", "ns4.pt": "argparse.Namespace", "set.pt": None,
            "mod.pt": f"{__name__}._Tiny"}


def test_the_public_torch_api_answers_first_and_the_private_list_after_it(tmp_path, monkeypatch):
    """Torch's private _get_allowed_globals was asked alone; torch's public get_unsafe_globals_in_checkpoint is
    asked first, and where it cannot answer (protocol 4: it reads GLOBAL alone) the private list is."""
    import torch.serialization

    from rsvlm.model import pickle_scan

    want = _files(tmp_path)
    asked = []
    real = torch.serialization.get_unsafe_globals_in_checkpoint

    def spy(f):
        asked.append(str(f))
        return real(f)

    monkeypatch.setattr(torch.serialization, "get_unsafe_globals_in_checkpoint", spy)
    for name, said in want.items():
        assert pickle_scan.foreign_global(tmp_path / name) == said, name
    assert len(asked) == 4
    assert pickle_scan._unsafe(tmp_path / "ns2.pt") == {"argparse.Namespace"}
    assert pickle_scan._unsafe(tmp_path / "ns4.pt") is None  # the public call raised: the private list answers
    monkeypatch.delattr(torch.serialization, "get_unsafe_globals_in_checkpoint")  # a torch before 2.5
    assert pickle_scan._unsafe(tmp_path / "ns2.pt") is None
    for name, said in want.items():
        assert pickle_scan.foreign_global(tmp_path / name) == said, name
    import torch._weights_only_unpickler as wou

    monkeypatch.delattr(wou, "_get_allowed_globals")  # nor the private list: the modules' rule (_PLAIN)
    assert pickle_scan._allowed() is None
    for name, said in want.items():
        assert pickle_scan.foreign_global(tmp_path / name) == said, name


def _cache(tmp_path, monkeypatch, repo_id, files):
    """``files`` (name: text) as the Hugging Face cache's snapshot of hub repo ``repo_id``."""
    import huggingface_hub.constants

    snap = tmp_path / "cache" / f"models--{repo_id.replace('/', '--')}" / "snapshots" / "0123abc"
    snap.mkdir(parents=True)
    for name, text in files.items():
        (snap / name).write_text(text)
    (snap.parents[1] / "refs").mkdir()
    (snap.parents[1] / "refs" / "main").write_text("0123abc")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "cache"))
    return snap


def test_a_hub_name_given_as_model_says_nothing_is_downloaded_and_how_to_fetch_it(tmp_path, monkeypatch, capsys):
    """`rsvlm chat --model Qwen/Qwen2.5-0.5B-Instruct` said only '(no such folder)': not that a hub name is never
    fetched, nor how to fetch it, nor where the cache already held it."""
    from rsvlm.cli import main

    monkeypatch.chdir(tmp_path)
    _cache(tmp_path, monkeypatch, "acme/rsvlm-tiny", {"config.yaml": "llm: {}\n"})
    assert main(["chat", "--model", "Qwen/Qwen2.5-0.5B-Instruct"]) == 2
    err = capsys.readouterr().err
    assert ("Qwen/Qwen2.5-0.5B-Instruct: not an rsvlm checkpoint (no such folder; rsvlm reads a checkpoint from a "
            "local folder and downloads none, HF_HUB_OFFLINE or not; were it a Hugging Face hub name: fetch it on a "
            "connected machine (hf download Qwen/Qwen2.5-0.5B-Instruct --local-dir DIR) and give DIR)") in err
    assert main(["chat", "--model", "acme/rsvlm-tiny"]) == 2
    err = capsys.readouterr().err
    snap = tmp_path / "cache" / "models--acme--rsvlm-tiny" / "snapshots" / "0123abc"
    assert (f"the Hugging Face cache holds acme/rsvlm-tiny at {snap} but not whole (no vision.safetensors): fetch it "
            "whole on a connected machine (hf download acme/rsvlm-tiny) and give acme/rsvlm-tiny again)") in err
    assert main(["chat", "--model", str(tmp_path / "none")]) == 2  # an absolute path reads as no hub name
    assert capsys.readouterr().err.endswith("not an rsvlm checkpoint (no such folder)\n")


def test_a_vision_encoders_folder_is_named_as_one(tmp_path):
    """A folder of open_clip weights said only '(no config.yaml)', and a Hugging Face CLIP folder was sent to
    convert-llava as if it were a LLaVA."""
    from safetensors.torch import save_file
    from transformers import CLIPVisionConfig

    from rsvlm.loading import resolve_model_dir

    oc = tmp_path / "openclip"
    oc.mkdir()
    save_file({"visual.conv1.weight": torch.zeros(4, 3, 2, 2)}, oc / "open_clip_model.safetensors")
    with pytest.raises(FileNotFoundError) as e:
        resolve_model_dir(str(oc))
    assert str(e.value) == (
        f"{oc}: not an rsvlm checkpoint (no config.yaml); it holds weights (open_clip_model.safetensors) and no "
        f"config: an open_clip / CLIP vision state dict is given as encoders.NAME.pretrained (a file: "
        f"{oc / 'open_clip_model.safetensors'}) of a model config, to train a model on (docs/models.md)")
    hf = tmp_path / "clip"
    CLIPVisionConfig(hidden_size=8, num_hidden_layers=1, num_attention_heads=2).save_pretrained(hf)
    with pytest.raises(FileNotFoundError, match=r"clip: not an rsvlm checkpoint \(no config.yaml\); it is a Hugging "
                       r"Face vision tower \(clip_vision_model\) with no language side: it is the --vision-tower of "
                       "rsvlm convert-llava"):
        resolve_model_dir(str(hf))


def test_an_original_layout_llava_on_qwen_is_refused_before_its_weights_are_read(tmp_path):
    """A llava_qwen (LLaVA-OneVision's original layout, auto_map naming its own code) was converted as Llama and
    failed with "LLM weights do not fit llama: unexpected [...q_proj.bias]"; it is now refused by its model_type,
    saying its code is never run."""
    import json

    from rsvlm.loading import resolve_model_dir
    from rsvlm.model.convert_llava import convert_llava

    src = tmp_path / "llava-qwen"
    src.mkdir()
    (src / "config.json").write_text(json.dumps({
        "model_type": "llava_qwen", "mm_vision_tower": "openai/clip", "mm_hidden_size": 8,
        "auto_map": {"AutoModelForCausalLM": "modeling_llava.LlavaQwenForCausalLM"}}))
    (src / "tokenizer.json").write_text("{}")
    with pytest.raises(ValueError) as e:
        convert_llava(src, tmp_path / "out")
    assert str(e.value) == (
        f"{src}: model_type 'llava_qwen' is a LLaVA on another LLM than Llama or Mistral (its auto_map's code, "
        "modeling_llava.LlavaQwenForCausalLM, is never run: rsvlm passes no trust_remote_code); only LLaVA-1.5 and "
        "GeoChat convert")
    assert not (tmp_path / "out").exists()
    # given as --model: was sent to convert-llava, which refuses it
    with pytest.raises(FileNotFoundError) as e:
        resolve_model_dir(str(src))
    assert str(e.value) == (
        f"{src}: not an rsvlm checkpoint (no config.yaml); it is a LLaVA that rsvlm does not convert (model_type "
        "'llava_qwen' is a LLaVA on another LLM than Llama or Mistral (its auto_map's code, modeling_llava."
        "LlavaQwenForCausalLM, is never run: rsvlm passes no trust_remote_code); only LLaVA-1.5 and GeoChat convert)")


def test_the_checkpoint_scripts_say_the_same_of_a_hub_name(tmp_path, monkeypatch, capsys):
    """compare_checkpoints / average_checkpoints said '…: no such checkpoint folder' of a hub name, no more."""
    import importlib.util

    from rsvlm.model.weights import compare_weights

    monkeypatch.chdir(tmp_path)
    (tmp_path / "b").mkdir()
    note = ("; rsvlm reads a checkpoint from a local folder and downloads none, HF_HUB_OFFLINE or not; were it a "
            "Hugging Face hub name: fetch it on a connected machine (hf download acme/ckpt --local-dir DIR) and "
            "give DIR")
    with pytest.raises(FileNotFoundError) as e:
        compare_weights("acme/ckpt", "b")
    assert str(e.value) == f"acme/ckpt: no such checkpoint folder or file{note}"
    path = Path(__file__).parents[1] / "scripts" / "average_checkpoints.py"
    spec = importlib.util.spec_from_file_location("average_checkpoints_tour80", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert mod.main(["acme/ckpt", "b", "--out", str(tmp_path / "avg")]) == 2
    assert capsys.readouterr().err == f"error: acme/ckpt: no such checkpoint folder{note}\n"
