"""Tour of stop 82's model loading and checkpoint scripts (A): an AIMv2 tower and a whole InternVL model given as
convert-llava's --vision-tower (or as --model) are named as what they are, not "a tower"; compare_checkpoints.py
checks, sizes and reads a cached hub name at its snapshot, as compare_weights does; the average's card names each
input as given; a hub name is looked up as the string given, not through Path."""

import json
from pathlib import Path

import pytest
from conftest import hub_cache, load_script, write_llava

AIMV2 = {"architectures": ["AIMv2Model"], "model_type": "aimv2", "hidden_size": 1024, "image_size": 224,
         "patch_size": 14}
INTERNVL_CHAT = {"architectures": ["InternVLChatModel"], "model_type": "internvl_chat",
                 "vision_config": {"architectures": ["InternVisionModel"], "model_type": "intern_vit_6b",
                                   "hidden_size": 1024, "image_size": 448, "patch_size": 14},
                 "llm_config": {"model_type": "qwen2", "architectures": ["Qwen2ForCausalLM"]}}
INTERNVL_HF = {"architectures": ["InternVLForConditionalGeneration"], "model_type": "internvl",
               "vision_config": {"model_type": "internvl_vision", "hidden_size": 1024, "image_size": [448, 448],
                                 "patch_size": [14, 14]}, "text_config": {"model_type": "qwen2"}}


def folder_of(root: Path, name: str, conf: dict) -> Path:
    (root / name).mkdir()
    (root / name / "config.json").write_text(json.dumps(conf))
    return root / name


@pytest.mark.parametrize("conf, said", [
    (AIMV2, "an AIMv2 tower (model_type aimv2, AIMv2Model)"),
    ({**AIMV2, "model_type": "aimv2_vision_model", "architectures": ["Aimv2VisionModel"]},
     "an AIMv2 tower (model_type aimv2_vision_model, Aimv2VisionModel)"),
    (INTERNVL_CHAT, "a whole InternVL model (an InternViT tower and an LLM) (model_type internvl_chat, "
                    "InternVLChatModel)"),
    (INTERNVL_HF, "a whole InternVL model (an InternViT tower and an LLM) (model_type internvl, "
                  "InternVLForConditionalGeneration)"),
])
def test_convert_llava_names_an_aimv2_or_internvl_tower(tmp_path, tiny_llava, conf, said):
    """Both were 'vision tower T: a tower (model_type …), not a CLIP one' while SigLIP / DINOv2 / InternViT were
    named; now the kind is named, with what --vision-tower takes, before any weight is read."""
    from rsvlm.model.convert_llava import convert_llava

    sd, llava_conf, _, tok = tiny_llava
    src = write_llava(tmp_path / "llava", sd, llava_conf, tok)
    tower = folder_of(tmp_path, "tower", conf)
    with pytest.raises(ValueError) as e:
        convert_llava(src, tmp_path / "out", vision_tower=tower)
    assert str(e.value) == (f"vision tower {tower}: {said}, not a CLIP one; --vision-tower takes a CLIP ViT in HF "
                            "layout (LLaVA-1.5's and GeoChat's clip-vit-large-patch14-336) (docs/models.md)")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("conf, said", [
    (AIMV2, "it is a Hugging Face vision tower (aimv2) with no language side: rsvlm reads none"),
    (INTERNVL_CHAT, "it is an InternVL model (internvl_chat), which rsvlm does not convert (only LLaVA-1.5 and "
                    "GeoChat do)"),
    (INTERNVL_HF, "it is an InternVL model (internvl), which rsvlm does not convert (only LLaVA-1.5 and GeoChat do)"),
])
def test_an_aimv2_or_internvl_folder_as_model_is_not_sent_to_convert_llava(tmp_path, conf, said):
    """As --model, Apple's AIMv2 (model_type aimv2) and an InternVL folder were 'a Hugging Face model folder: a
    LLaVA-1.5 / GeoChat one converts with rsvlm convert-llava', which then refused them."""
    from rsvlm.loading import resolve_model_dir

    folder = folder_of(tmp_path, "m", conf)
    with pytest.raises(FileNotFoundError) as e:
        resolve_model_dir(str(folder))
    assert said in str(e.value)
    assert "converts with rsvlm convert-llava" not in str(e.value)


def test_convert_llava_names_an_internvl_src_before_asking_for_a_tokenizer(tmp_path):
    """An InternVL folder without a tokenizer as --src was told to 'copy the LLaVA's tokenizer files there', which
    would only lead to the refusal of its InternViT tower."""
    from rsvlm.model.convert_llava import convert_llava

    src = folder_of(tmp_path, "internvl", INTERNVL_HF)
    with pytest.raises(ValueError) as e:
        convert_llava(src, tmp_path / "out")
    assert str(e.value) == (f"{src}: its vision_config is an InternViT tower (model_type internvl_vision), not "
                            "LLaVA-1.5's CLIP ViT; only LLaVA-1.5 and GeoChat convert")


def test_compare_checkpoints_sizes_and_reads_a_cached_hub_name(tmp_path, monkeypatch, capsys, ckpt):
    """`compare_checkpoints.py acme/x OTHER` sized A as '0 values in 0 files, 0 B' and, where a tensor differed,
    died reading acme/x/vision.safetensors (a traceback): its pre-checks used the name, not the snapshot read."""
    from safetensors.torch import load_file, save_file

    monkeypatch.chdir(tmp_path)
    snap = hub_cache(tmp_path, monkeypatch, "acme/x", ckpt)
    other = tmp_path / "other"
    import shutil

    shutil.copytree(ckpt, other)
    tensors = load_file(ckpt / "vision.safetensors")
    name = next(k for k, t in tensors.items() if t.is_floating_point() and t.abs().max() > 0)
    tensors[name] = tensors[name] * 2
    save_file(tensors, str(other / "vision.safetensors"))
    cmp = load_script("compare_checkpoints")
    assert cmp.main(["acme/x", str(other), "--show", "1"]) == 1
    said = capsys.readouterr()
    assert f"acme/x: read from the Hugging Face cache, {snap}\n" in said.err
    sizes = dict(side.split(" ", 1) for side in said.err.split("size: ", 1)[1].splitlines()[0].split("; "))
    assert sizes["A"] == sizes["B"] and not sizes["A"].startswith("0 values"), said.err
    assert f"vision.safetensors: {name}  100% of " in said.out, said.out  # sized against A's largest |value|
    assert said.out.splitlines()[-1].startswith(f"  vision.safetensors: {name}")


def test_weights_at_looks_a_hub_name_up_as_given(tmp_path, monkeypatch, ckpt):
    """compare_weights looked a hub name up as str(Path(name)), which Windows spells org\\name; a str is looked up
    as it is, a Path as its posix spelling; a local folder is read first, and neither gives the path back as is."""
    from rsvlm.model import ckpt_files
    from rsvlm.model.weights import compare_weights, weights_at

    monkeypatch.chdir(tmp_path)
    snap = hub_cache(tmp_path, monkeypatch, "acme/x", ckpt)
    asked = []
    real = ckpt_files.cached_checkpoint
    monkeypatch.setattr(ckpt_files, "cached_checkpoint", lambda name: asked.append(name) or real(name))
    assert weights_at("acme/x") == snap and weights_at(Path("acme/x")) == snap
    assert asked == ["acme/x", "acme/x"] and all(isinstance(n, str) for n in asked)
    assert weights_at("acme/none") == Path("acme/none")
    assert weights_at(str(ckpt)) == ckpt and len(asked) == 3  # a local folder: no cache look-up
    assert all(r["status"] == "same" for r in compare_weights("acme/x", ckpt))
    with pytest.raises(FileNotFoundError) as e:
        compare_weights("acme/none", ckpt)
    assert str(e.value).startswith("acme/none: no such checkpoint folder or file; ")


def test_the_average_card_names_inputs_as_given(tmp_path, monkeypatch, capsys, ckpt):
    """The card listed each cached hub name's snapshot path; now the name given, with the snapshot read where its
    @REV does not name it; a local folder as given."""
    import huggingface_hub.constants
    from safetensors.torch import load_file, save_file

    from rsvlm.model import merge_lora

    monkeypatch.chdir(tmp_path)
    merged = merge_lora(ckpt, tmp_path / "merged")
    other = tmp_path / "other"
    import shutil

    shutil.copytree(merged, other)
    tensors = load_file(merged / "vision.safetensors")
    save_file({k: t + 1 if t.is_floating_point() else t for k, t in tensors.items()}, str(other / "vision.safetensors"))
    snap = hub_cache(tmp_path, monkeypatch, "acme/m", merged)
    assert huggingface_hub.constants.HF_HUB_CACHE == str(tmp_path / "cache")
    avg = load_script("average_checkpoints")
    assert avg.main(["acme/m", "other", "--out", "avg"]) == 0
    assert avg.main(["acme/m@0123abc", "other", "--out", "avg2", "--weights", "3", "1"]) == 0
    assert f"acme/m: read from the Hugging Face cache at {snap}" in capsys.readouterr().out
    card, card2 = ((tmp_path / d / "README.md").read_text() for d in ("avg", "avg2"))
    assert "Weight average of: acme/m at snapshot 0123abc (0.500), other (0.500)\n" in card
    assert "Weight average of: acme/m@0123abc (0.750), other (0.250)\n" in card2
    assert str(snap) not in card + card2


def test_average_checkpoints_refuses_names_not_one_per_input(tmp_path, ckpt):
    from rsvlm.model.weights import average_checkpoints

    with pytest.raises(ValueError, match=r"names \['a'\]: 1 for 2 checkpoints; give one per checkpoint"):
        average_checkpoints([ckpt, ckpt], tmp_path / "out", names=["a"])
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("bits, have, said", [
    (4, None, "bitsandbytes is not installed"),
    (8, "0.45.0", "bitsandbytes 0.45.0 is installed"),
    (4, "99.0", "bitsandbytes 99.0 fails to import (python -c 'import bitsandbytes')"),
])
def test_a_quantised_load_without_bitsandbytes_says_what_to_install(tmp_path, monkeypatch, bits, have, said):
    """`rsvlm chat --load-4bit` on an install without bitsandbytes (it comes with the train extra) ended in
    transformers' ImportError traceback; now the load is refused before anything is built, naming the flag."""
    import importlib.metadata

    from transformers.utils import import_utils

    from rsvlm.model.llm import LLMConfig, build_llm

    def version(name):
        if name == "bitsandbytes" and have is None:
            raise importlib.metadata.PackageNotFoundError(name)
        return have if name == "bitsandbytes" else real(name)

    real = importlib.metadata.version
    monkeypatch.setattr(importlib.metadata, "version", version)
    monkeypatch.setattr(import_utils, "is_bitsandbytes_available", lambda *a, **k: False)
    monkeypatch.setattr(import_utils, "BITSANDBYTES_MIN_VERSION", "0.46.1")
    base = tmp_path / "base"
    llm, tok, _ = build_llm(LLMConfig(config=dict(model_type="llama", vocab_size=260, hidden_size=64,
                                                  intermediate_size=128, num_hidden_layers=1, num_attention_heads=2,
                                                  num_key_value_heads=2, max_position_embeddings=64)))
    llm.save_pretrained(base)
    tok.save_pretrained(base)
    with pytest.raises(ValueError) as e:
        build_llm(LLMConfig(name_or_path=str(base), load_in_4bit=bits == 4, load_in_8bit=bits == 8))
    assert str(e.value) == (f"llm.load_in_{bits}bit (--load-{bits}bit): quantising needs bitsandbytes >= 0.46.1, and "
                            f"{said}: pip install -U 'bitsandbytes>=0.46.1', or load without --load-{bits}bit")


def test_compare_checkpoints_notes_weights_sharded_otherwise(tmp_path, capsys, ckpt):
    """An llm/ saved in two shards against the same weights in one file read '21 of 120 tensors differ (21 only in
    A, … only in B)' and nothing more; a note now says they are the same tensors in other files, not compared."""
    import shutil

    from safetensors.torch import load_file, save_file

    other = tmp_path / "sharded"
    shutil.copytree(ckpt, other)
    tensors = load_file(other / "llm" / "model.safetensors")
    names = sorted(tensors)
    (other / "llm" / "model.safetensors").unlink()
    for i, part in enumerate((names[:2], names[2:]), 1):
        save_file({k: tensors[k] for k in part}, str(other / "llm" / f"model-0000{i}-of-00002.safetensors"))
    assert load_script("compare_checkpoints").main([str(ckpt), str(other)]) == 1
    out = capsys.readouterr().out
    assert out.endswith(f"note: {len(names)} tensors of llm/ are in one file in A and another in B (sharded "
                        "otherwise): compared by file, each counts as only in A and only in B; their values are not "
                        "compared\n"), out
    assert f"{2 * len(names)} of " in out
