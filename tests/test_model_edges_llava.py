"""convert-llava on malformed original-layout LLaVA folders: each mistake is one clear error."""

import json
from pathlib import Path

import pytest
import torch
from test_model_llava import original_layout

from rsvlm.model import convert_llava
from rsvlm.model.llm import byte_tokenizer
from rsvlm.tokens import IMAGE_TOKEN


@pytest.fixture(scope="module")
def parts(tmp_path_factory):
    """(original-layout state dict, its config.json dict, a CLIP tower folder, the tokenizer) of a tiny random LLaVA."""
    from transformers import CLIPVisionConfig, LlamaConfig, LlavaConfig, LlavaForConditionalGeneration

    tok = byte_tokenizer()
    tok.add_special_tokens({"additional_special_tokens": [IMAGE_TOKEN]})
    cfg = LlavaConfig(
        vision_config=CLIPVisionConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                       num_attention_heads=2, image_size=32, patch_size=8, projection_dim=32),
        text_config=LlamaConfig(vocab_size=len(tok), hidden_size=64, intermediate_size=128, num_hidden_layers=1,
                                num_attention_heads=4, num_key_value_heads=2),
        image_token_id=tok.convert_tokens_to_ids(IMAGE_TOKEN))
    torch.manual_seed(0)
    hf = LlavaForConditionalGeneration(cfg).eval()
    tower = tmp_path_factory.mktemp("clip")
    hf.model.vision_tower.save_pretrained(tower)
    sd, conf = original_layout(hf)
    return sd, conf, tower, tok


def _write(d: Path, sd, conf, tok) -> Path:
    from safetensors.torch import save_file

    d.mkdir()
    save_file(sd, str(d / "model.safetensors"))
    (d / "config.json").write_text(json.dumps(conf))
    tok.save_pretrained(d)
    return d


@pytest.mark.parametrize("key,shape", [("model.mm_projector.0.weight", (64, 48)),
                                       ("model.layers.0.mlp.up_proj.weight", (96, 64))])
def test_a_tensor_of_the_wrong_shape_is_named(tmp_path, parts, key, shape):
    sd, conf, tower, tok = parts
    src = _write(tmp_path / "src", {**sd, key: torch.zeros(shape)}, conf, tok)
    name = key.replace("model.mm_projector.", "projectors.default.net.")
    with pytest.raises(ValueError, match=rf"do not fit its config.json: \['{name} \({shape[0]}, {shape[1]}\) \(expected"):
        convert_llava(src, tmp_path / "out", vision_tower=tower)


def test_a_vision_tower_that_is_not_a_clip_folder_is_named(tmp_path, parts, monkeypatch):
    sd, conf, tower, tok = parts
    src = _write(tmp_path / "src", sd, conf, tok)
    with pytest.raises(FileNotFoundError, match=r"vision_tower .*nope: not a folder"):  # named the config's 'openai/clip'
        convert_llava(src, tmp_path / "out", vision_tower=tmp_path / "nope")
    with pytest.raises(ValueError, match=r"vision tower .*src/config.json: not a CLIP vision config"):  # a KeyError
        convert_llava(src, tmp_path / "out", vision_tower=src)
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match=r"vision tower .*empty: no config.json"):
        convert_llava(src, tmp_path / "out", vision_tower=tmp_path / "empty")
    # no mm_vision_tower at all: the working directory was taken for the tower
    no_tower = _write(tmp_path / "no_tower", sd, {k: v for k, v in conf.items() if k != "mm_vision_tower"}, tok)
    monkeypatch.chdir(tower)
    with pytest.raises(FileNotFoundError, match="pass vision_tower="):
        convert_llava(no_tower, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_llava_folder_without_a_tokenizer_is_named(tmp_path, parts):
    sd, conf, tower, tok = parts
    src = _write(tmp_path / "src", sd, conf, tok)
    for f in src.glob("tokenizer*"):
        f.unlink()
    with pytest.raises(FileNotFoundError, match=r"src: no tokenizer"):  # was "Couldn't instantiate the backend tokenizer"
        convert_llava(src, tmp_path / "out", vision_tower=tower)


def test_a_vision_tower_given_for_an_hf_layout_llava_is_said_to_be_unused(tmp_path, parts):
    from transformers import LlavaConfig

    sd, conf, tower, tok = parts
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "config.json").write_text(LlavaConfig().to_json_string())
    tok.save_pretrained(tmp_path / "src")
    with pytest.warns(UserWarning, match=r"carries its own vision tower; vision_tower .* is not used"):
        # no weights in this folder: named before transformers' OSError listing five file kinds
        with pytest.raises(FileNotFoundError, match=r"src: no \*\.safetensors or pytorch_model\*\.bin weights"):
            convert_llava(tmp_path / "src", tmp_path / "out", vision_tower=tower)
    assert not (tmp_path / "out").exists()
