"""Stop 81, model loading and conversion: a hub name whose checkpoint the Hugging Face cache holds loads from there;
an HF-layout LLaVA on a SigLIP tower is refused by its config, before anything is built; convert-llava's tile note
is told by what refused the LLaVA, not by its wording; a torch file torch names one foreign class of is not scanned
a second time."""

import argparse
import json
import re

import pytest
from conftest import hub_cache


def test_a_hub_name_the_cache_holds_a_checkpoint_of_loads_from_there(tmp_path, monkeypatch, ckpt, capsys):
    """`rsvlm chat --model acme/rsvlm-tiny` with that checkpoint in the Hugging Face cache was refused as 'no such
    folder' and told to give the cache's folder: nothing need be fetched, so it is read there, and chat says so."""
    from rsvlm.cli import main
    from rsvlm.loading import model_arg_problem, resolve_model_dir

    monkeypatch.chdir(tmp_path)
    snap = hub_cache(tmp_path, monkeypatch, "acme/rsvlm-tiny", ckpt)
    assert resolve_model_dir("acme/rsvlm-tiny") == snap
    assert model_arg_problem("acme/rsvlm-tiny") is None
    (tmp_path / "acme" / "rsvlm-tiny").mkdir(parents=True)  # a local folder of that name comes first, and is none
    with pytest.raises(FileNotFoundError, match=r"rsvlm-tiny: not an rsvlm checkpoint \(no config.yaml\)"):
        resolve_model_dir("acme/rsvlm-tiny")
    # the cache holding its config.yaml alone is no checkpoint: refused, naming the cache's folder as before
    (tmp_path / "empty").mkdir()
    part = hub_cache(tmp_path / "p", monkeypatch, "acme/part", tmp_path / "empty")
    (part / "config.yaml").write_text("llm: {}\n")
    with pytest.raises(FileNotFoundError, match="the Hugging Face cache holds acme/part at"):
        resolve_model_dir("acme/part")
    assert main(["chat", "--model", "acme/none"]) == 2
    assert "downloads none" in capsys.readouterr().err


def test_a_cached_checkpoint_given_by_hub_name_answers_in_chat(tmp_path, monkeypatch, ckpt, capsys):
    """The whole way: chat loads the cached checkpoint, names its folder, and answers."""
    import io
    import sys

    from PIL import Image

    from rsvlm.cli import main

    monkeypatch.chdir(tmp_path)
    snap = hub_cache(tmp_path, monkeypatch, "acme/rsvlm-tiny", ckpt)
    Image.new("RGB", (32, 32), (40, 90, 10)).save(tmp_path / "x.png")
    monkeypatch.setattr(sys, "stdin", io.StringIO("[count] How many ships?\n"))
    assert main(["chat", "--model", "acme/rsvlm-tiny", "--image", "x.png", "--device", "cpu",
                 "--max-new-tokens", "2"]) == 0
    out = capsys.readouterr()
    assert f"loading model from {snap} " in out.err
    assert ">>>" in out.out


def _hf_llava(tmp_path, name, **conf):
    src = tmp_path / name
    src.mkdir()
    (src / "config.json").write_text(json.dumps({"model_type": "llava", "architectures": [
        "LlavaForConditionalGeneration"], "text_config": {"model_type": "llama"}, **conf}))
    (src / "tokenizer.json").write_text("{}")
    return src


def test_an_hf_layout_llava_on_a_siglip_tower_is_refused_by_its_config(tmp_path):
    """llava-interleave's layout (model_type llava, a siglip_vision_model vision_config) was built, its LLM
    converted and staged, then refused as 'vision weights do not fit its config.json: [...position_embedding
    (4, 32) (expected (5, 32))]'; it is refused up front as a SigLIP tower, by convert-llava and as --model."""
    from rsvlm.loading import resolve_model_dir
    from rsvlm.model.convert_llava import convert_llava, not_llava15

    src = _hf_llava(tmp_path, "sig", vision_config={"model_type": "siglip_vision_model", "hidden_size": 32})
    why = "its vision_config is a SigLIP tower (model_type siglip_vision_model), not LLaVA-1.5's CLIP ViT"
    with pytest.raises(ValueError) as e:
        convert_llava(src, tmp_path / "out")
    assert str(e.value) == f"{src}: {why}; only LLaVA-1.5 and GeoChat convert"
    assert not (tmp_path / "out").exists()
    with pytest.raises(FileNotFoundError, match=re.escape(f"a LLaVA that rsvlm does not convert ({why};")):
        resolve_model_dir(str(src))
    for clip in ({"model_type": "clip_vision_model"}, {}):  # LLaVA-1.5's own, or left to LlavaConfig's CLIP default
        assert not_llava15({"model_type": "llava", "vision_config": clip}) is None


def test_the_tile_note_follows_what_refused_the_llava(tmp_path):
    """The note '(tiles and an image_newline token …)' was added unless the refusal's text held 'another LLM': a
    VipLLaVA (no tiles) got it; a NeXT's model_type and an original layout's anyres keep it."""
    from rsvlm.model.convert_llava import convert_llava

    tiles = " (tiles and an image_newline token have no rsvlm counterpart)"
    for kind, noted in (("llava_next", True), ("llava_onevision", True), ("vipllava", False)):
        src = _hf_llava(tmp_path, kind, vision_config={"model_type": "clip_vision_model"})
        (src / "config.json").write_text(json.dumps({**json.loads((src / "config.json").read_text()),
                                                     "model_type": kind}))
        with pytest.raises(ValueError) as e:
            convert_llava(src, tmp_path / f"out-{kind}")
        assert str(e.value).endswith("only LLaVA-1.5 and GeoChat convert" + (tiles if noted else "")), kind
    src = tmp_path / "next-orig"
    src.mkdir()
    (src / "config.json").write_text(json.dumps({"model_type": "llava_llama", "mm_vision_tower": "openai/clip",
                                                 "mm_hidden_size": 8, "image_aspect_ratio": "anyres"}))
    (src / "tokenizer.json").write_text("{}")
    with pytest.raises(ValueError, match=r"is LLaVA-1.6 \(NeXT\)'s; only LLaVA-1.5 and GeoChat convert \(tiles"):
        convert_llava(src, tmp_path / "out-orig")


def test_one_foreign_class_torch_names_is_not_scanned_again(tmp_path, monkeypatch):
    """After torch.load refused a file, foreign_global read its data.pkl with its own opcode scan (6.3 s on a
    72 MB data.pkl) as well as torch's (1.7 s), for the order of names where torch named one; the scan now runs
    only to order two or more."""
    import torch

    from rsvlm.model import pickle_scan

    torch.save({"w": torch.zeros(2), "args": argparse.Namespace(lr=1)}, tmp_path / "ns.bin")
    torch.save(torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.ReLU()), tmp_path / "mod.bin")
    scanned = []
    real = pickle_scan.pickled_globals
    monkeypatch.setattr(pickle_scan, "pickled_globals", lambda p: scanned.append(p.name) or real(p))
    assert pickle_scan.foreign_global(tmp_path / "ns.bin") == "argparse.Namespace"
    if pickle_scan._unsafe(tmp_path / "ns.bin") is not None:  # a torch that answers (2.5 on)
        assert scanned == []
    assert pickle_scan.foreign_global(tmp_path / "mod.bin") == "torch.nn.modules.container.Sequential"  # the
    assert scanned[-1] == "mod.bin"  # first pickled of three torch names, told by the scan (ReLU sorts first)


def test_a_tower_folder_of_another_kind_is_named_as_what_it_is(tmp_path, tiny_llava):
    """--vision-tower at an LLM's folder said only "not a CLIP vision config (no ['patch_size', 'image_size'])", and
    at a whole HF-layout LLaVA "a tower (model_type llava, …)": each is now named (a language model, a LLaVA)."""
    from conftest import write_llava

    from rsvlm.model.convert_llava import convert_llava

    sd, conf, _tower, tok = tiny_llava
    src = write_llava(tmp_path / "src", sd, conf, tok)
    llm = tmp_path / "qwen"
    llm.mkdir()
    (llm / "config.json").write_text(json.dumps({"model_type": "qwen2", "architectures": ["Qwen2ForCausalLM"],
                                                 "hidden_size": 32}))
    with pytest.raises(ValueError) as e:
        convert_llava(src, tmp_path / "out", vision_tower=llm)
    assert str(e.value) == (f"vision tower {llm}/config.json: not a CLIP vision config (no ['patch_size', "
                            "'image_size']; it is a language model (model_type qwen2, Qwen2ForCausalLM))")
    hf = _hf_llava(tmp_path, "hf", vision_config={"model_type": "clip_vision_model", "hidden_size": 32,
                                                  "patch_size": 14, "image_size": 28})
    with pytest.raises(ValueError, match=re.escape(f"vision tower {hf}: a LLaVA (model_type llava, "
                                                   "LlavaForConditionalGeneration), not a CLIP one")):
        convert_llava(src, tmp_path / "out", vision_tower=hf)
    assert not (tmp_path / "out").exists()
