"""convert-llava on malformed original-layout LLaVA folders: each mistake is one clear error."""


import pytest
import torch
from conftest import write_llava

from rsvlm.model import convert_llava


@pytest.mark.parametrize("key,shape", [("model.mm_projector.0.weight", (64, 48)),
                                       ("model.layers.0.mlp.up_proj.weight", (96, 64))])
def test_a_tensor_of_the_wrong_shape_is_named(tmp_path, tiny_llava, key, shape):
    sd, conf, tower, tok = tiny_llava
    src = write_llava(tmp_path / "src", {**sd, key: torch.zeros(shape)}, conf, tok)
    name = key.replace("model.mm_projector.", "projectors.default.net.")
    with pytest.raises(ValueError, match=rf"do not fit its config.json: \['{name} \({shape[0]}, {shape[1]}\) \(expected"):
        convert_llava(src, tmp_path / "out", vision_tower=tower)


def test_a_vision_tower_that_is_not_a_clip_folder_is_named(tmp_path, tiny_llava, monkeypatch):
    sd, conf, tower, tok = tiny_llava
    src = write_llava(tmp_path / "src", sd, conf, tok)
    with pytest.raises(FileNotFoundError, match=r"vision_tower .*nope: not a folder"):  # named the config's 'openai/clip'
        convert_llava(src, tmp_path / "out", vision_tower=tmp_path / "nope")
    with pytest.raises(ValueError, match=r"vision tower .*src/config.json: not a CLIP vision config"):  # a KeyError
        convert_llava(src, tmp_path / "out", vision_tower=src)
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match=r"vision tower .*empty: no config.json"):
        convert_llava(src, tmp_path / "out", vision_tower=tmp_path / "empty")
    # no mm_vision_tower at all: the working directory was taken for the tower
    no_tower = write_llava(tmp_path / "no_tower", sd, {k: v for k, v in conf.items() if k != "mm_vision_tower"}, tok)
    monkeypatch.chdir(tower)
    with pytest.raises(FileNotFoundError, match="pass vision_tower="):
        convert_llava(no_tower, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_llava_folder_without_a_tokenizer_is_named(tmp_path, tiny_llava):
    sd, conf, tower, tok = tiny_llava
    src = write_llava(tmp_path / "src", sd, conf, tok)
    for f in src.glob("tokenizer*"):
        f.unlink()
    with pytest.raises(FileNotFoundError, match=r"src: no tokenizer"):  # was "Couldn't instantiate the backend tokenizer"
        convert_llava(src, tmp_path / "out", vision_tower=tower)


def test_a_vision_tower_given_for_an_hf_layout_llava_is_said_to_be_unused(tmp_path, tiny_llava):
    from transformers import LlavaConfig

    sd, conf, tower, tok = tiny_llava
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "config.json").write_text(LlavaConfig().to_json_string())
    tok.save_pretrained(tmp_path / "src")
    with pytest.warns(UserWarning, match=r"carries its own vision tower; vision_tower .* is not used"):
        # no weights in this folder: named before transformers' OSError listing five file kinds
        with pytest.raises(FileNotFoundError, match=r"src: no \*\.safetensors or pytorch_model\*\.bin weights"):
            convert_llava(tmp_path / "src", tmp_path / "out", vision_tower=tower)
    assert not (tmp_path / "out").exists()
