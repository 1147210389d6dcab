"""Model parts built from configs, tour 56: a stem's colour bands by any of their names, integer pixel
counts, a stem mean that is not a number, more unnamed bands than a stem takes, 'pad' resizing of a
long strip; typos in an hf_clip tower's ``hf_config``, a pretrained file of no open_clip tower; an LLM
folder whose weights lack part of the causal LM or whose model type has none (LLaVA); create_model's
config check and encoder files; a LoRA alpha of 0; the mean-resizing note; docs/models.md's example."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from rsvlm.model.stem import StemConfig, check_stem, mixing_init, prepare

TINY = Path(__file__).resolve().parents[1] / "configs" / "model" / "tiny.yaml"


def _stem(bands, **kw):
    return StemConfig(modality="msi", bands=bands, mean=[0.1] * len(bands), std=[0.1] * len(bands), **kw)


@pytest.mark.parametrize("bands, rgb", [
    (["blue", "green", "red", "nir"], [2, 1, 0]),  # was [0, 1, 2]: blue on the encoder's R
    (["B01", "B02", "B03", "B04", "B08"], [3, 2, 1]),  # was B01 (coastal aerosol) on R
    (["B2", "B3", "B4", "B8"], [2, 1, 0]),  # Earth Engine's names
    (["R", "G", "B"], [0, 1, 2]),
])
def test_a_stem_starts_its_colour_bands_on_r_g_b_by_any_of_their_names(bands, rgb):
    w = mixing_init(_stem(bands))  # (3, n_bands)
    assert w.argmax(dim=1).tolist() == rgb
    assert w.sum().item() == 3.0  # one band per channel, the others at zero


def test_a_stem_without_colour_bands_keeps_its_first_bands_or_its_rgb_bands():
    assert mixing_init(_stem(["HH", "HV", "VV"])).argmax(dim=1).tolist() == [0, 1, 2]
    w = mixing_init(_stem(["red", "green", "blue", "nir"], rgb_bands=["nir", "red", "green"]))  # false colour
    assert w.argmax(dim=1).tolist() == [3, 0, 1]


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.int16, bool])
def test_integer_pixel_counts_are_refused_naming_the_image(dtype):
    from rsvlm.model.processor import ImageInput, Processor

    counts = np.full((3, 8, 8), 200).astype(dtype)  # np.asarray(PIL image).transpose(2, 0, 1)
    with pytest.raises(ValueError, match=f"scene.png: pixel values of dtype {np.dtype(dtype).name} are raw counts"):
        prepare(StemConfig(), counts, 8, name="scene.png")  # was: normalised as if scaled, values up to ~900
    proc = Processor({"optical": StemConfig()}, {"optical": 8}, {"optical": 1}, tokenizer=None, image_token_id=0)
    with pytest.raises(ValueError, match="raw counts"):
        proc.prepare_image(counts)  # was cast to float32 0…255 on the way in
    with pytest.raises(ValueError, match="raw counts"):
        proc.prepare_image(ImageInput(torch.as_tensor(counts), "optical"))
    assert prepare(StemConfig(), counts.astype(np.float32) / 255, 8).shape == (3, 8, 8)


@pytest.mark.parametrize("mean", [[0.5, float("nan"), 0.5], [0.5, float("inf"), 0.5]])
def test_a_stem_mean_that_is_no_number_is_refused(mean):
    with pytest.raises(ValueError, match="stem 'optical': mean must be finite numbers"):
        check_stem(StemConfig(mean=mean))  # was: every pixel of the band NaN, a NaN loss at step 1


def _llama(**kw):
    from transformers import LlamaConfig

    return LlamaConfig(vocab_size=300, hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=4,
                       num_key_value_heads=2, max_position_embeddings=128, **kw)


@pytest.mark.parametrize("kind", ["base", "bert"])
def test_an_llm_folder_whose_weights_lack_part_of_the_causal_lm_is_refused(tmp_path, kind):
    from transformers import BertConfig, BertModel, LlamaModel

    from rsvlm.model.llm import LLMConfig, build_llm, byte_tokenizer

    if kind == "base":  # a base model saved without its LM head (transformers' LlamaModel)
        LlamaModel(_llama(tie_word_embeddings=False)).save_pretrained(tmp_path)
        says = r"LlamaForCausalLM its config.json builds \(first: lm_head.weight\).*it holds a LlamaModel"
    else:  # an encoder, no causal LM at all
        BertModel(BertConfig(vocab_size=300, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                             intermediate_size=64)).save_pretrained(tmp_path)
        says = r"BertLMHeadModel its config.json builds \(first: cls\.predictions.*it holds a BertModel"
    byte_tokenizer().save_pretrained(tmp_path)
    with pytest.raises(ValueError, match=f"llm.name_or_path {tmp_path}: its weights lack .*{says}"):
        build_llm(LLMConfig(name_or_path=str(tmp_path)))  # was: loaded with them at random, a load report logged


def test_an_llm_folder_with_its_head_or_tied_embeddings_loads(tmp_path):
    from transformers import LlamaForCausalLM

    from rsvlm.model.llm import LLMConfig, build_llm, byte_tokenizer

    for tied in (False, True):
        LlamaForCausalLM(_llama(tie_word_embeddings=tied)).save_pretrained(tmp_path / str(tied))
        byte_tokenizer().save_pretrained(tmp_path / str(tied))
        llm, _, _ = build_llm(LLMConfig(name_or_path=str(tmp_path / str(tied))))
        assert llm.config.hidden_size == 32


def test_a_typo_in_an_hf_clip_towers_hf_config_is_refused_naming_the_key():
    from rsvlm.model.checks import check_encoder
    from rsvlm.model.vision import VisionConfig, build_encoder

    cfg = VisionConfig(type="hf_clip", hf_config={"hidden_sise": 32, "num_hidden_layers": 1, "num_attention_heads": 2,
                                                  "intermediate_size": 64, "patch_size": 8, "image_size": 16})
    with pytest.raises(ValueError, match=r"model.encoders.default.hf_config.hidden_sise is not a CLIPVisionConfig field; "
                                         r"did you mean \['hidden_size'\]"):
        check_encoder(cfg, "model.encoders.default", "frozen")  # was: passed, then a 768-wide tower was built
    with pytest.raises(ValueError, match=r"^hf_config.hidden_sise is not a CLIPVisionConfig field"):
        build_encoder(cfg)
    cfg.hf_config["hidden_size"] = cfg.hf_config.pop("hidden_sise")
    assert check_encoder(cfg, "model.encoders.default", "frozen") == 2
    assert build_encoder(cfg)(torch.zeros(1, 3, 16, 16)).shape == (1, 4, 32)  # (B,N,D)


@pytest.mark.parametrize("override, says", [
    ("encoders.default.patch_size=64", r"^encoders.default: image_size 32 is not a multiple of patch_size 64"),  # was at
    ("encoders.default.image_size=0", r"^encoders.default.image_size must be >= 1, got 0"),  # the first image, no key
    ("encoders.sar.feature_layer=-7", r"^encoders.sar.feature_layer must be in \[-3, 2\]"),  # was: after 1 block
    ("llm.config.num_attention_heads=5", r"^llm.config: The hidden size \(64\) is not a multiple"),  # was 3 lines
    ("projector.pool=3", r"^projector.pool 3 does not divide the 4x4 token grid of encoder 'default'"),
])
def test_create_model_refuses_a_bad_config_in_one_line_naming_the_key(override, says):
    import copy

    from rsvlm.config import from_dict, load_yaml
    from rsvlm.model import VLMConfig, create_model
    from rsvlm.overrides import apply_overrides

    raw = copy.deepcopy(load_yaml(TINY))
    cfg = from_dict(VLMConfig, apply_overrides(raw, [override], VLMConfig))
    with pytest.raises(ValueError, match=says) as e:
        create_model(cfg, device="meta")
    assert "\n" not in str(e.value)


@pytest.mark.parametrize("override", ["llm.lora_alpha=0", "encoders.default.lora_alpha=-8"])
def test_a_lora_alpha_that_is_not_positive_is_refused(override):
    from rsvlm.config import load_config
    from rsvlm.model import VLMConfig
    from rsvlm.model.checks import check_model_config

    key = override.split("=")[0]
    cfg = load_config(VLMConfig, TINY, [override, "trainable.encoder=lora"])
    with pytest.raises(ValueError, match=f"^model.{key} must be > 0, got {override.split('=')[1]}"):
        check_model_config(cfg)  # was: built; alpha 0 scales the adapters to 0 and they never learn


@pytest.mark.parametrize("keys, says", [
    (["vision_model.embeddings.patch_embedding.weight", "vision_model.post_layernorm.weight"],
     "a transformers CLIP: use the open_clip release"),  # openai/clip-vit-large-patch14-336's model.safetensors
    (["model.embed_tokens.weight", "lm_head.weight"], r"first keys: lm_head.weight, model.embed_tokens.weight\)$"),
])
def test_a_pretrained_file_of_no_open_clip_tower_says_so(tmp_path, keys, says):
    from safetensors.torch import save_file

    from rsvlm.model.vision import VisionConfig, build_encoder

    path = tmp_path / "model.safetensors"
    save_file({k: torch.zeros(2, 2) for k in keys}, str(path))
    with pytest.raises(ValueError, match=f"{path}: none of its 2 tensors is an open_clip vision tower's.*{says}"):
        build_encoder(VisionConfig(width=32, heads=2, layers=1, patch_size=8, image_size=16, pretrained=str(path)))


def test_more_unnamed_bands_than_the_stem_takes_says_naming_them_picks_them():
    s2 = [f"B{i:02d}" for i in range(1, 13)] + ["B8A"]
    cfg = _stem(["B02", "B03", "B04", "B08"])
    x = np.random.default_rng(0).random((13, 8, 8), dtype=np.float32)
    with pytest.raises(ValueError, match=r"^s2.tif: modality 'msi' expects 4 bands .*, got 13; name them, 13 names in "
                                         r"their order \(--bands, or \"bands\" in a record's image, e.g. --bands "
                                         r"B1,B2,B3,B4,B5,B6,B7,B8,B9,B10,B11,B12,B13 with each band's real name\) "
                                         r"to pick the model's 4 from them$"):
        prepare(cfg, x, 8, name="s2.tif")  # was: 'got 13' alone
    named = prepare(cfg, x, 8, s2)  # the hint holds: named, the four are picked
    assert torch.allclose(named[2], (torch.from_numpy(x[3]) - 0.1) / 0.1, atol=1e-5)  # B04


def test_loading_a_base_llm_logs_no_note_on_mean_resizing(tmp_path):
    import logging

    from transformers import LlamaForCausalLM
    from transformers.utils import logging as hf_logging

    from rsvlm.model.llm import LLMConfig, build_llm, byte_tokenizer

    LlamaForCausalLM(_llama()).save_pretrained(tmp_path)
    byte_tokenizer().save_pretrained(tmp_path)
    hf_logging.warning_once.cache_clear()  # transformers says it once per process: an earlier load may have said it
    said = []  # read from the logger: transformers' own handler writes to the stderr of the test that imported it

    class Keep(logging.Handler):
        def emit(self, record):
            said.append(record.getMessage())

    logger, keep = logging.getLogger("transformers.modeling_utils"), Keep()
    logger.addHandler(keep)
    try:
        llm, tok, _ = build_llm(LLMConfig(name_or_path=str(tmp_path)))
    finally:
        logger.removeHandler(keep)
    assert llm.get_input_embeddings().num_embeddings == len(tok) > 300  # rsvlm's tokens got rows
    assert not [m for m in said if "mean_resizing" in m]  # was said twice, once per table


def test_the_python_example_in_docs_models_runs(monkeypatch):
    docs = (TINY.parents[2] / "docs" / "models.md").read_text()
    code = docs.split("## Building in Python")[1].split("```python\n")[1].split("```")[0]
    monkeypatch.chdir(TINY.parents[2])  # its config path is the repository's
    rng = np.random.default_rng(0)
    scope = {"before": rng.random((3, 40, 50), dtype=np.float32), "after": rng.random((3, 40, 50), dtype=np.float32)}
    assert "max_new_tokens=64" in code
    exec(code.replace("max_new_tokens=64", "max_new_tokens=4"), scope)  # the test's time
    assert len(scope["out"].text) == 1 and scope["batch"]["input_ids"].shape[0] == 1


def test_create_model_names_a_missing_encoder_file_by_its_key_before_loading_the_llm(monkeypatch, tmp_path):
    from rsvlm.config import load_config
    from rsvlm.model import VLMConfig, create_model, factory

    loaded = []
    monkeypatch.setattr(factory, "build_llm", lambda *a, **k: loaded.append(1))
    cfg = load_config(VLMConfig, TINY, [f"encoders.sar.pretrained={tmp_path / 'nope.safetensors'}"])
    with pytest.raises(FileNotFoundError, match=r"nope.safetensors not found \(encoders.sar.pretrained: "):
        create_model(cfg, device="meta")  # was '(encoders.NAME.pretrained: …)', once the LLM had loaded
    assert not loaded


@pytest.mark.parametrize("shape", [(3, 30, 90), (3, 91, 30)])
def test_pad_resizing_gives_the_numbers_of_a_padded_square(shape):
    import torch.nn.functional as F

    cfg = StemConfig(resize="pad")
    x = np.random.default_rng(0).random(shape, dtype=np.float32)
    mean, std = torch.tensor(cfg.mean)[:, None, None], torch.tensor(cfg.std)[:, None, None]  # (C,1,1)
    _, h, w = shape
    s = max(h, w)
    square = mean.expand(3, s, s).clone()  # LLaVA-1.5's expand2square with the band means
    square[:, (s - h) // 2:(s - h) // 2 + h, (s - w) // 2:(s - w) // 2 + w] = torch.from_numpy(x)
    want = F.interpolate(square[None], size=(16, 16), mode="bicubic", align_corners=False, antialias=True)[0]
    assert torch.allclose(prepare(cfg, x, 16), (want - mean) / std, atol=1e-5)


def test_pad_resizing_a_long_strip_makes_no_square_of_its_long_side():
    cfg = StemConfig(modality="sar", bands=["VV"], mean=[0.5], std=[0.2], resize="pad")
    strip = np.full((1, 2, 300_000), 0.7, np.float32)  # a square of its long side: 360 GB
    x = prepare(cfg, strip, 16)  # was: "can't allocate memory"
    assert x.shape == (1, 16, 16)
    assert torch.allclose(x[0, 0], torch.zeros(16), atol=1e-4)  # the band mean above and below the strip


@pytest.mark.parametrize("conf, says", [
    ({"model_type": "llava_llama", "mm_vision_tower": "openai/clip-vit-large-patch14-336"},
     r"has model_type 'llava_llama', of which transformers has no causal LM; a LLaVA-style checkpoint .*rsvlm convert-llava "
     r"--src"),  # GeoChat-7B's folder
    ({"model_type": "clip_vision_model"}, r"has model_type 'clip_vision_model', of which transformers has no causal LM; give"),
])
def test_an_llm_folder_of_no_causal_lm_type_is_one_line_naming_the_key(tmp_path, conf, says):
    import json

    from safetensors.torch import save_file

    from rsvlm.model.llm import LLMConfig, build_llm, byte_tokenizer

    (tmp_path / "config.json").write_text(json.dumps(conf))
    save_file({"w": torch.zeros(1)}, str(tmp_path / "model.safetensors"))
    byte_tokenizer().save_pretrained(tmp_path)
    for device in (None, "meta"):
        with pytest.raises(ValueError, match=f"^llm.name_or_path: {tmp_path / 'config.json'} {says}") as e:
            build_llm(LLMConfig(name_or_path=str(tmp_path)), device=device)  # was transformers' 3-line error
        assert "\n" not in str(e.value)
