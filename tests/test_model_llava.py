"""LLaVA import checked against transformers' own LlavaForConditionalGeneration (tiny, random)."""

import json

import numpy as np
import pytest
import torch

from rsvlm.model import ImageInput, convert_llava, load_pretrained
from rsvlm.model.llm import byte_tokenizer
from rsvlm.model.stem import CLIP_MEAN, CLIP_STD
from rsvlm.tokens import IMAGE_TOKEN


def original_layout(hf) -> tuple[dict, dict]:
    """(state dict, config.json dict) of an HF ``LlavaForConditionalGeneration`` written as original
    LLaVA / GeoChat files: ``model.*`` LLM keys, ``mm_projector`` keys, the tower kept apart."""
    sd = {f"model.{k}": v for k, v in hf.model.language_model.state_dict().items()}
    sd["lm_head.weight"] = hf.lm_head.weight
    p = hf.model.multi_modal_projector
    sd.update({"model.mm_projector.0.weight": p.linear_1.weight, "model.mm_projector.0.bias": p.linear_1.bias,
               "model.mm_projector.2.weight": p.linear_2.weight, "model.mm_projector.2.bias": p.linear_2.bias})
    conf = hf.config.text_config.to_dict()
    conf.update({"architectures": ["LlavaLlamaForCausalLM"], "model_type": "llava", "mm_vision_tower": "openai/clip",
                 "mm_projector_type": "mlp2x_gelu", "mm_vision_select_layer": -2, "mm_hidden_size": 32})
    return {k: v.detach().contiguous() for k, v in sd.items()}, conf


def tiny_llava(text_config="llama", **text_kw):
    """(tokenizer, a random tiny transformers ``LlavaForConditionalGeneration`` on a CLIP tower and a Llama or
    Mistral ``text_config`` (``text_kw`` added to it), its image token id)."""
    from transformers import (
        CLIPVisionConfig,
        LlamaConfig,
        LlavaConfig,
        LlavaForConditionalGeneration,
        MistralConfig,
    )

    tok = byte_tokenizer()
    tok.add_special_tokens({"additional_special_tokens": [IMAGE_TOKEN]})
    image_id = tok.convert_tokens_to_ids(IMAGE_TOKEN)
    text = {"llama": LlamaConfig, "mistral": MistralConfig}[text_config]
    cfg = LlavaConfig(
        vision_config=CLIPVisionConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=3,
                                       num_attention_heads=2, image_size=32, patch_size=8, projection_dim=32),
        text_config=text(vocab_size=len(tok), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, bos_token_id=1, eos_token_id=2,
                         pad_token_id=3, **text_kw),
        image_token_id=image_id, vision_feature_layer=-2, vision_feature_select_strategy="default")
    torch.manual_seed(0)
    return tok, LlavaForConditionalGeneration(cfg).eval(), image_id


@pytest.fixture(scope="module")
def llava_dir(tmp_path_factory):
    tok, model, image_id = tiny_llava()
    d = tmp_path_factory.mktemp("llava")
    model.save_pretrained(d)
    tok.save_pretrained(d)
    return d, model, image_id


def llava_inputs(proc, n_vis, image_id):
    """A chat prompt about one seeded random 32 x 32 image: (prompt, processor batch, CLIP-normalised pixels)."""
    rng = np.random.default_rng(0)
    img = rng.random((3, 32, 32), dtype=np.float32)
    prompt = proc.chat_prompt([{"role": "user", "content": f"{IMAGE_TOKEN}\nWhat is in the image?"}])
    batch = proc(prompt, [ImageInput(img)])
    pixel_values = ((torch.from_numpy(img) - torch.tensor(CLIP_MEAN)[:, None, None])
                    / torch.tensor(CLIP_STD)[:, None, None])[None]
    return prompt, batch, pixel_values


def test_hf_llava_import_matches_transformers(llava_dir, tmp_path):
    src, hf, image_id = llava_dir
    convert_llava(src, tmp_path / "ck")
    model, proc = load_pretrained(tmp_path / "ck")
    model.eval()
    prompt, batch, pixel_values = llava_inputs(proc, 16, image_id)
    assert prompt.startswith("A chat between a curious human") and prompt.endswith(
        "USER: <image>\nWhat is in the image? ASSISTANT:")
    assert proc.stems["optical"].mean == pytest.approx(CLIP_MEAN)
    # LLaVA was trained on a bare "<image>\n": chat and predict must not add a sensor word
    from rsvlm.inference import user_text
    from rsvlm.model import ImageInput
    assert user_text("Q?", [ImageInput(None, "optical")], True, proc.prompt) == "<image>\nQ?"
    ids = batch["input_ids"]
    assert int((ids == image_id).sum()) == 16 and model.special.image == image_id
    with torch.no_grad():
        ours = model(**batch).logits
        theirs = hf(input_ids=ids, attention_mask=batch["attention_mask"], pixel_values=pixel_values).logits
    v = theirs.shape[-1]
    assert ours.shape[-1] >= v  # rsvlm's tokens were added after LLaVA's vocabulary
    diff = (ours[..., :v] - theirs).abs().max().item()
    assert diff <= 1e-4, f"max abs logit diff {diff}"
    ours_gen = model.generate(**batch, max_new_tokens=8).tokens[0]
    with torch.no_grad():
        hf_gen = hf.generate(input_ids=ids, attention_mask=batch["attention_mask"], pixel_values=pixel_values,
                             max_new_tokens=8, do_sample=False, eos_token_id=None)[0, ids.shape[1]:].tolist()
    assert all(t < v for t in ours_gen)
    assert ours_gen == hf_gen[: len(ours_gen)] and len(ours_gen) > 0


def test_original_llava_layout_import(llava_dir, tmp_path):
    """The same weights written as original LLaVA / GeoChat files (mm_projector keys, separate tower)."""
    from safetensors.torch import save_file

    src, hf, image_id = llava_dir
    tower_dir = tmp_path / "clip"
    hf.model.vision_tower.save_pretrained(tower_dir)
    sd, conf = original_layout(hf)
    orig = tmp_path / "orig"
    orig.mkdir()
    save_file(sd, str(orig / "model.safetensors"))
    conf.update({"mm_vision_select_feature": "patch", "image_aspect_ratio": "pad"})
    (orig / "config.json").write_text(json.dumps(conf))
    import shutil

    for f in src.iterdir():
        if f.name.startswith(("tokenizer", "special_tokens")):
            shutil.copy(f, orig / f.name)
    with pytest.raises(FileNotFoundError, match="pass vision_tower="):
        convert_llava(orig, tmp_path / "fail")
    convert_llava(orig, tmp_path / "ck", vision_tower=tower_dir)
    model, proc = load_pretrained(tmp_path / "ck")
    model.eval()
    assert proc.stems["optical"].resize == "pad"
    _, batch, pixel_values = llava_inputs(proc, 16, image_id)
    with torch.no_grad():
        ours = model(**batch).logits
        theirs = hf(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"],
                    pixel_values=pixel_values).logits
    assert (ours[..., : theirs.shape[-1]] - theirs).abs().max().item() <= 1e-4


def test_not_a_llava_dir_is_a_clear_error(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "llama"}))
    with pytest.raises(ValueError, match="not a LLaVA checkpoint"):
        convert_llava(tmp_path, tmp_path / "out")
    (tmp_path / "config.json").write_text("{broken")  # was a bare JSONDecodeError
    with pytest.raises(ValueError, match=r"config.json: not valid JSON"):
        convert_llava(tmp_path, tmp_path / "out")
    (tmp_path / "config.json").write_text("[1]")  # was an AttributeError on list.get
    with pytest.raises(ValueError, match="expected a JSON object"):
        convert_llava(tmp_path, tmp_path / "out")
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "vision.safetensors").write_bytes(b"")  # another model's file would stay beside ours
    with pytest.raises(FileExistsError, match="not empty"):
        convert_llava(tmp_path, tmp_path / "used")


def test_a_larger_tower_starts_from_a_converted_llava(llava_dir, tmp_path):
    """GeoChat's start: LLaVA's 32-px (here) tower and projector into a 48-px model, positions resized."""
    from safetensors.torch import load_file

    from rsvlm.config import load_config
    from rsvlm.model import VLMConfig, create_model
    from rsvlm.model.vision import interpolate_pos_embed
    from rsvlm.train.loop import init_vision

    src, _, _ = llava_dir
    ck = convert_llava(src, tmp_path / "ck")
    cfg = load_config(VLMConfig, ck / "config.yaml", ["encoders.default.image_size=48",
                                                     "encoders.default.hf_config.image_size=48",
                                                     f"llm.name_or_path={ck / 'llm'}",
                                                     f"llm.tokenizer={ck / 'tokenizer'}"])
    model, proc = create_model(cfg)
    init_vision(model, ck)
    key = "encoders.default.model.embeddings.position_embedding.weight"
    old = load_file(str(ck / "vision.safetensors"))
    assert old[key].shape[0] == 17 and model.state_dict()[key].shape[0] == 37
    torch.testing.assert_close(model.state_dict()[key], interpolate_pos_embed(old[key], (4, 4), (6, 6)))
    proj = "projectors.default.net.0.weight"
    torch.testing.assert_close(model.state_dict()[proj], old[proj])
    rng = np.random.default_rng(0)
    batch = proc(proc.chat_prompt([{"role": "user", "content": f"{IMAGE_TOKEN}\nQ?"}]),
                 [ImageInput(rng.random((3, 48, 48), dtype=np.float32))])
    assert int((batch["input_ids"] == model.special.image).sum()) == 36  # a 6×6 grid of tokens
    with torch.no_grad():
        assert torch.isfinite(model(**batch).logits).all()
