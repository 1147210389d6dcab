"""Stop 80's model review: TorchScript is not told by a state dict's strings, an original-layout llava_mistral
converts (into Mistral, not Llama), a missing relative path's hub-name note stays conditional, and a SigLIP folder
is not sent to convert-llava."""

import json

import pytest
import torch


def test_a_state_dict_whose_strings_name_torch_classes_is_no_torchscript(tmp_path):
    """is_torchscript reads data.pkl for ``__torch__.`` classes: key and value strings holding those words are
    no GLOBAL and must not make a plain state dict TorchScript (at any pickle protocol; a real, repacked
    TorchScript file is still told: test_model_tour80)."""
    from rsvlm.model.pickle_scan import foreign_global, is_torchscript

    for proto in (2, 4, 5):
        p = tmp_path / f"keys{proto}.pt"
        torch.save({"__torch__.M": torch.ones(2), "torch.jit.x": torch.ones(1), "n": "__torch__.foo.Bar",
                    "__torch__": "torch.jit._pickle"}, p, pickle_protocol=proto)
        assert not is_torchscript(p), proto
        assert foreign_global(p) is None, proto


@pytest.mark.parametrize("window", [None, 64])
def test_an_original_layout_llava_mistral_converts_into_mistral(tmp_path, window):
    """A llava_mistral (LLaVA-1.5's recipe on Mistral) converted as Llama before stop 80 (its sliding_window
    dropped: logits 0.17 off past the window), and stop 80 refused it; it converts into transformers' Mistral,
    as an HF-layout LLaVA with a Mistral text_config does, and matches transformers' logits."""
    from safetensors.torch import save_file
    from test_model_llava import llava_inputs, original_layout, tiny_llava

    from rsvlm.model import convert_llava, load_pretrained

    tok, hf, image_id = tiny_llava("mistral", sliding_window=window, rope_theta=1e6)
    tower = tmp_path / "clip"
    hf.model.vision_tower.save_pretrained(tower)
    sd, conf = original_layout(hf)
    conf.update({"model_type": "llava_mistral", "architectures": ["LlavaMistralForCausalLM"],
                 "mm_vision_select_feature": "patch", "image_aspect_ratio": "pad"})
    src = tmp_path / "orig"
    src.mkdir()
    save_file(sd, str(src / "model.safetensors"))
    (src / "config.json").write_text(json.dumps(conf))
    tok.save_pretrained(src)
    with pytest.warns(UserWarning, match="holds no vision tower weights"):  # the tower given apart, as GeoChat's
        convert_llava(src, tmp_path / "ck", vision_tower=tower)
    assert json.loads((tmp_path / "ck" / "llm" / "config.json").read_text())["model_type"] == "mistral"
    model, proc = load_pretrained(tmp_path / "ck")
    model.eval()
    _, batch, pixel_values = llava_inputs(proc, 16, image_id)
    assert batch["input_ids"].shape[1] > 64  # past the window, where a Llama differs
    with torch.no_grad():
        ours = model(**batch).logits
        theirs = hf(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"],
                    pixel_values=pixel_values).logits
    assert (ours[..., : theirs.shape[-1]] - theirs).abs().max().item() <= 1e-4


def test_other_original_layout_llavas_stay_refused():
    """llava_mistral's acceptance stops at Mistral: a llava_qwen / llava_mpt is refused by its model_type, and a
    LLaVA-1.6 on Mistral (anyres tiles) by its tiles."""
    from rsvlm.model.convert_llava import not_llava15

    base = {"mm_vision_tower": "openai/clip", "mm_hidden_size": 8}
    assert not_llava15({**base, "model_type": "llava_mistral"}) is None
    assert not_llava15({**base, "model_type": "llava_llama"}) is None
    for kind in ("llava_qwen", "llava_mpt"):
        assert not_llava15({**base, "model_type": kind}) == (
            f"model_type {kind!r} is a LLaVA on another LLM than Llama or Mistral")
    assert not_llava15({**base, "model_type": "llava_mistral", "image_aspect_ratio": "anyres"}) == (
        "image_aspect_ratio 'anyres' is LLaVA-1.6 (NeXT)'s")


def test_a_missing_relative_run_folder_gets_a_conditional_hub_note(tmp_path, monkeypatch):
    """`--model runs/exp1` (one slash, not made yet) reads like a hub name: the note must say 'were it' one and
    that rsvlm downloads no checkpoint, not that it is one; '../x' and an absolute path get no note."""
    import huggingface_hub.constants

    from rsvlm.loading import resolve_model_dir

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "empty-cache"))
    with pytest.raises(FileNotFoundError) as e:
        resolve_model_dir("runs/exp1")
    assert str(e.value) == (
        "runs/exp1: not an rsvlm checkpoint (no such folder; rsvlm reads a checkpoint from a local folder and "
        "downloads none, HF_HUB_OFFLINE or not; were it a Hugging Face hub name: fetch it on a connected machine "
        "(hf download runs/exp1 --local-dir DIR) and give DIR)")
    for given in ("../exp1", str(tmp_path / "runs" / "exp1")):
        with pytest.raises(FileNotFoundError) as e:
            resolve_model_dir(given)
        assert str(e.value) == f"{given}: not an rsvlm checkpoint (no such folder)"


def test_a_siglip_tower_is_not_sent_to_convert_llava_and_many_weight_files_are_counted(tmp_path):
    """A SigLIP folder was called convert-llava's --vision-tower, which builds a CLIP from it and fails on its
    weights; an open_clip folder of five weight files named three, with no word of the rest."""
    from safetensors.torch import save_file
    from transformers import SiglipVisionConfig

    from rsvlm.loading import resolve_model_dir

    sig = tmp_path / "siglip"
    SiglipVisionConfig(hidden_size=8, num_hidden_layers=1, num_attention_heads=2).save_pretrained(sig)
    with pytest.raises(FileNotFoundError) as e:
        resolve_model_dir(str(sig))
    assert str(e.value) == (
        f"{sig}: not an rsvlm checkpoint (no config.yaml); it is a Hugging Face vision tower (siglip_vision_model) "
        "with no language side: rsvlm reads none (convert-llava's --vision-tower is a CLIP one) (docs/models.md)")
    oc = tmp_path / "openclip"
    oc.mkdir()
    for i in range(5):
        save_file({"w": torch.zeros(1)}, oc / f"epoch_{i}.safetensors")
    with pytest.raises(FileNotFoundError, match=r"it holds weights \(epoch_0.safetensors, epoch_1.safetensors, "
                       r"epoch_2.safetensors and 2 more\) and no config"):
        resolve_model_dir(str(oc))
