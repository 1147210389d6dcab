"""Model parts, tour 57: load_pretrained's overrides checked as create_model checks them and a position table
resized to an overridden image_size; a checkpoint whose encoder started from a pretrained file no longer
there; a contrastive pretraining model.safetensors as an encoder's pretrained file; 'crop' resizing of a
thin strip; an arch preset against explicit dims; rgb_bands by any of a band's names; an MLP of 0 units."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from rsvlm.model.stem import StemConfig, check_stem, mixing_init, prepare

TINY = Path(__file__).resolve().parents[1] / "configs" / "model" / "tiny.yaml"


def _tiny():
    from rsvlm.config import load_config
    from rsvlm.model import VLMConfig

    return load_config(VLMConfig, TINY)


def test_an_image_size_override_resizes_the_saved_position_table(ckpt):
    from rsvlm.model.checkpoint import load_pretrained
    from rsvlm.model.vision import interpolate_pos_embed

    base, _ = load_pretrained(ckpt)
    # was: ValueError, positional_embedding (17, 64) where the config builds (65, 64)
    big, proc = load_pretrained(ckpt, overrides=["encoders.default.image_size=64", "encoders.sar.image_size=64"])
    assert proc.image_sizes["optical"] == 64 and proc.n_tokens["optical"] == 64  # an 8x8 grid
    table = big.encoders["default"].visual.positional_embedding  # (65,64)
    old = base.encoders["default"].visual.positional_embedding  # (17,64)
    assert torch.allclose(table, interpolate_pos_embed(old, (4, 4), (8, 8)))
    pixels = torch.randn(1, 3, 64, 64)
    with torch.no_grad():  # the same tower as the saved one run at 64 px (positions interpolated on the fly)
        assert torch.allclose(big.encoders["default"](pixels), base.encoders["default"](pixels), atol=1e-5)
    # sin-cos positions are not learned: those of the 8x8 grid, as a fresh encoder builds them
    from rsvlm.model.vision import VisionConfig, build_encoder

    fresh = build_encoder(dataclasses.replace(big.cfg.encoders["sar"], pretrained=None))
    assert isinstance(big.cfg.encoders["sar"], VisionConfig)
    assert torch.equal(big.encoders["sar"].visual.positional_embedding, fresh.visual.positional_embedding)


@pytest.mark.parametrize("override, match", [
    ("projector.pool=3", r"config.yaml with the overrides given: projector.pool 3 does not divide the 4x4 token grid"),
    ("encoders.default.patch_size=5", r"encoders.default: image_size 32 is not a multiple of patch_size 5"),
    ("encoders.default.feature_layer=7", r"encoders.default.feature_layer must be in \[-3, 2\]"),
])
def test_overrides_at_load_are_checked_as_create_model_checks_them(ckpt, override, match):
    from rsvlm.model.checkpoint import load_pretrained

    with pytest.raises(ValueError, match=match):  # was a bare traceback or a weights-shape message
        load_pretrained(ckpt, overrides=[override])


def test_a_checkpoint_loads_without_the_pretrained_file_its_encoder_started_from(tmp_path):
    from safetensors.torch import save_file

    from rsvlm.model import create_model
    from rsvlm.model.checkpoint import load_pretrained

    cfg = _tiny()
    torch.manual_seed(0)
    model, _ = create_model(cfg)
    start = tmp_path / "encoder.safetensors"
    save_file({f"visual.{k}": v.contiguous() for k, v in model.encoders["default"].visual.state_dict().items()},
              str(start))
    enc = dataclasses.replace(cfg.encoders["default"], pretrained=str(start))
    model, _ = create_model(dataclasses.replace(cfg, encoders={**cfg.encoders, "default": enc}))
    model.save_pretrained(tmp_path / "ckpt")
    start.unlink()  # the checkpoint moved to another machine: was FileNotFoundError for encoder.safetensors
    loaded, _ = load_pretrained(tmp_path / "ckpt")
    assert loaded.cfg.encoders["default"].pretrained == str(start)  # its provenance is kept
    for k, v in model.encoders.state_dict().items():
        assert torch.equal(loaded.encoders.state_dict()[k], v), k


def test_a_contrastive_pretraining_model_file_gives_its_encoder(tmp_path):
    from safetensors.torch import save_file

    from rsvlm.model.vision import VisionConfig, build_encoder

    vc = VisionConfig(width=32, heads=2, layers=1, patch_size=8, image_size=16)
    torch.manual_seed(0)
    trained = build_encoder(vc)
    # what rsvlm.train.clip_ckpt.save_clip writes: ClipModel's whole state (encoder, image_proj, text tower)
    state = {**{f"encoder.visual.{k}": v for k, v in trained.visual.state_dict().items()},
             "image_proj.weight": torch.zeros(16, 32), "text.token_embedding.weight": torch.zeros(8, 16),
             "logit_scale": torch.zeros(())}
    path = tmp_path / "step_000010" / "model.safetensors"
    path.parent.mkdir()
    save_file({k: v.contiguous() for k, v in state.items()}, str(path))
    enc = build_encoder(dataclasses.replace(vc, pretrained=str(path)))  # was: none of its tensors is a tower's
    for k, v in trained.visual.state_dict().items():
        assert torch.equal(enc.visual.state_dict()[k], v), k


def test_a_checkpoints_vision_file_as_pretrained_points_at_init_from(tmp_path):
    from safetensors.torch import save_file

    from rsvlm.model.vision import VisionConfig, build_encoder

    path = tmp_path / "vision.safetensors"
    save_file({"encoders.default.visual.conv1.weight": torch.zeros(2, 2)}, str(path))
    with pytest.raises(ValueError, match=r"an rsvlm checkpoint's vision.safetensors .*init_from=DIR"):
        build_encoder(VisionConfig(width=32, heads=2, layers=1, patch_size=8, image_size=16, pretrained=str(path)))


@pytest.mark.parametrize("overrides, match", [
    (["encoders.default.mlp_ratio=0.01"], r"^model.encoders.default.mlp_ratio 0.01 gives width 64 an MLP of 0 units; "
                                          r"it needs >= 0.0156$"),
    (["encoders.default.type=hf_clip", "encoders.default.mlp_ratio=0.001", "encoders.sar.pos_embed=learned"],
     r"^model.encoders.default.mlp_ratio 0.001 gives width 64 an MLP of 0 units"),
    (["encoders.default.type=hf_clip", "encoders.default.hf_config={intermediate_size: 0}"],
     r"^model.encoders.default.hf_config.intermediate_size must be >= 1, got 0$"),
])
def test_an_mlp_of_no_units_is_refused_naming_the_key(overrides, match):
    from rsvlm.config import load_config
    from rsvlm.model import VLMConfig
    from rsvlm.model.checks import check_model_config

    cfg = load_config(VLMConfig, TINY, overrides)
    with pytest.raises(ValueError, match=match):  # was: built, an MLP of 0 units, and a weights-shape error on load
        check_model_config(cfg)


def _msi(bands, **kw):
    return StemConfig(modality="msi", bands=bands, mean=[0.1] * len(bands), std=[0.1] * len(bands), **kw)


@pytest.mark.parametrize("rgb", [["B08", "B04", "B03"], ["b8", "red", "green"], ["NIR", "R", "B3"], ["nir", "B4", "g"]])
def test_rgb_bands_match_any_name_of_a_band(rgb):
    cfg = _msi(["B02", "B03", "B04", "B08"], rgb_bands=rgb)  # false colour: NIR, red, green
    check_stem(cfg)  # was: "rgb_bands … must be 3 of" for any name but the exact one
    assert mixing_init(cfg).argmax(dim=1).tolist() == [3, 2, 1]


def test_rgb_bands_naming_no_band_is_refused_naming_it():
    with pytest.raises(ValueError, match=r"rgb_bands \['B08', 'B04', 'swir'\] must be 3 of .*; 'swir' names none of them$"):
        check_stem(_msi(["B02", "B03", "B04", "B08"], rgb_bands=["B08", "B04", "swir"]))


@pytest.mark.parametrize("arch, extra, match", [
    ("ViT-B-16", {"width": 512}, r"encoders.default.width 512 \(the preset's: 768\)"),
    ("ViT-B-16", {"layers": 6, "heads": 8},
     r"encoders.default.layers 6 \(the preset's: 12\), encoders.default.heads 8 \(the preset's: 12\) contradict;"),
    ("ViT-B-16-quickgelu", {"quick_gelu": False}, r"quick_gelu false \(the preset is QuickGELU; for GELU use its plain "
                                                  r"arch, 'ViT-B-16'\)"),
])
def test_an_arch_preset_against_explicit_dims_is_refused_naming_them(arch, extra, match):
    from rsvlm.model.checks import check_model_config
    from rsvlm.model.vision import VisionConfig, build_encoder

    enc = VisionConfig(arch=arch, image_size=32, **extra)
    cfg = _tiny()
    cfg = dataclasses.replace(cfg, encoders={**cfg.encoders, "default": enc})
    with pytest.raises(ValueError, match=match):  # was: the preset won without a word
        check_model_config(cfg, prefix="")
    with torch.device("meta"), pytest.raises(ValueError, match=match.replace("default", "NAME")):  # the build too
        build_encoder(enc)


def test_an_arch_preset_takes_its_own_activation_unless_quick_gelu_is_set():
    from open_clip.transformer import QuickGELU

    from rsvlm.model.vision import VisionConfig, build_encoder

    def quick(**kw):
        with torch.device("meta"):
            enc = build_encoder(VisionConfig(image_size=32, **kw))
        return isinstance(enc.visual.transformer.resblocks[0].mlp.gelu, QuickGELU)

    assert quick(arch="ViT-B-16-quickgelu")  # was GELU: the default quick_gelu false was taken as asked
    assert not quick(arch="ViT-B-16")
    assert quick(arch="ViT-B-16", quick_gelu=True)  # OpenAI weights in a plain preset, as the configs do
    assert not quick(arch="ViT-B-16", width=768, layers=12, heads=12)  # the preset's own dims, written out, pass
    assert not quick(width=64) and quick(width=64, quick_gelu=True)


def _crop_reference(x, size):  # what 'crop' computed before: the whole image resized, then its centre cut
    import torch.nn.functional as F

    _, h, w = x.shape
    nh, nw = max(size, round(h * size / min(h, w))), max(size, round(w * size / min(h, w)))
    y = F.interpolate(x[None], size=(nh, nw), mode="bicubic", align_corners=False, antialias=True)[0]
    return y[:, (nh - size) // 2:(nh - size) // 2 + size, (nw - size) // 2:(nw - size) // 2 + size]


@pytest.mark.parametrize("shape, size", [((3, 30, 50), 24), ((1, 7, 333), 32), ((2, 50, 30), 32), ((1, 37, 1001), 32),
                                         ((1, 333, 7), 16)])
def test_crop_resizing_gives_the_numbers_of_resizing_the_whole_image(shape, size):
    torch.manual_seed(0)
    x = torch.rand(shape)
    cfg = StemConfig(bands=["R", "G", "B"][:shape[0]], mean=[0.0] * shape[0], std=[1.0] * shape[0], resize="crop")
    assert torch.allclose(prepare(cfg, x, size), _crop_reference(x, size), atol=1e-4)


def test_crop_resizing_of_a_thin_strip_resizes_only_what_it_keeps(monkeypatch):
    import torch.nn.functional as F

    sizes, interpolate = [], F.interpolate

    def spy(x, *args, **kwargs):
        y = interpolate(x, *args, **kwargs)
        sizes.append(y.shape[-2] * y.shape[-1])
        return y

    monkeypatch.setattr(F, "interpolate", spy)
    strip = np.random.default_rng(0).random((1, 4, 20000), dtype=np.float32)  # e.g. a pushbroom line scan
    cfg = StemConfig(bands=["TIR"], mean=[0.5], std=[0.2], resize="crop")
    t = time.perf_counter()
    out = prepare(cfg, strip, 32)
    assert out.shape == (1, 32, 32) and time.perf_counter() - t < 2
    assert max(sizes) <= 4 * 32 * 32  # was a 32x160000 intermediate (4x200000 at 336 px: 336x16.8M, minutes)


def test_an_override_naming_a_part_the_checkpoint_lacks_is_refused_naming_it(ckpt):
    from rsvlm.config import ConfigError
    from rsvlm.model.checkpoint import load_pretrained

    with pytest.raises(ConfigError, match=r"^override encoders.defualt: .* has no encoder 'defualt' \(it has default, "
                                          r"sar\); did you mean 'default'\?"):
        load_pretrained(ckpt, overrides=["encoders.defualt.image_size=64"])  # was: missing keys [every tensor]


@pytest.mark.parametrize("grid", [2, 4])  # the encoder's own grid, and another one
def test_a_sincos_encoder_keeps_its_fixed_positions_from_a_pretrained_file(tmp_path, grid):
    from safetensors.torch import save_file

    from rsvlm.model.vision import VisionConfig, build_encoder

    vc = VisionConfig(width=32, heads=2, layers=1, patch_size=8, image_size=16, pos_embed="sincos2d")
    torch.manual_seed(0)
    trained = build_encoder(dataclasses.replace(vc, image_size=8 * grid))  # e.g. contrastive pretraining's encoder
    path = tmp_path / "encoder.safetensors"
    save_file({f"visual.{k}": v.contiguous() for k, v in trained.visual.state_dict().items()}, str(path))
    enc = build_encoder(dataclasses.replace(vc, pretrained=str(path)))
    assert torch.equal(enc.visual.positional_embedding, build_encoder(vc).visual.positional_embedding)
    assert torch.equal(enc.visual.conv1.weight, trained.visual.conv1.weight)
    learned = build_encoder(dataclasses.replace(vc, pos_embed="learned"))  # e.g. OpenAI's CLIP
    save_file({f"visual.{k}": v.contiguous() for k, v in learned.visual.state_dict().items()}, str(path))
    with pytest.raises(ValueError, match=r"its positional_embedding is learned, and pos_embed sincos2d keeps fixed"):
        build_encoder(dataclasses.replace(vc, pretrained=str(path)))  # was: loaded, frozen, in place of sin-cos


def test_an_hf_clip_tower_sizes_its_mlp_from_its_own_hidden_size():
    from rsvlm.model.vision import VisionConfig, build_encoder

    hf = {"hidden_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2, "patch_size": 8, "image_size": 16}
    enc = build_encoder(VisionConfig(type="hf_clip", hf_config=hf))  # width left at its default, 64
    assert enc.model.config.intermediate_size == 128  # was 256: 4 × the unused width 64, for any hidden_size
    assert build_encoder(VisionConfig(type="hf_clip", hf_config={**hf, "intermediate_size": 40})).model.config \
        .intermediate_size == 40


def test_stretch_resizing_of_a_tall_strip_is_as_quick_as_of_a_wide_one():
    import torch.nn.functional as F

    cfg = StemConfig(resize="stretch")
    tall = np.random.default_rng(0).random((3, 100000, 1), dtype=np.float32)  # a line scan stored as a column
    t = time.perf_counter()
    out = prepare(cfg, tall, 336)
    assert time.perf_counter() - t < 1.0  # was 2.5 s: torch resized its width first, to 100000x336
    x = torch.rand(2, 900, 3)  # the same numbers as torch's own order
    want = F.interpolate(x[None], size=(32, 32), mode="bicubic", align_corners=False, antialias=True)[0]
    assert out.shape == (3, 336, 336) and torch.allclose(prepare(StemConfig(bands=["R", "G"], mean=[0.0, 0.0],
                                                                            std=[1.0, 1.0]), x, 32), want, atol=1e-5)


def _pad_reference(x, size, fill):  # what 'pad' computed before: the whole square canvas, resized
    import torch.nn.functional as F

    c, h, w = x.shape
    s = max(h, w)
    canvas = fill.expand(c, s, s).clone()
    canvas[:, (s - h) // 2:(s - h) // 2 + h, (s - w) // 2:(s - w) // 2 + w] = x
    return F.interpolate(canvas[None], size=(size, size), mode="bicubic", align_corners=False, antialias=True)[0]


@pytest.mark.parametrize("shape, size", [((3, 30, 50), 24), ((1, 7, 333), 32), ((2, 50, 30), 32), ((1, 1, 900), 16)])
def test_pad_resizing_gives_the_numbers_of_the_whole_canvas_and_reads_only_what_a_strip_reaches(monkeypatch, shape, size):
    import torch.nn.functional as F

    torch.manual_seed(0)
    x = torch.rand(shape)
    c = shape[0]
    cfg = StemConfig(bands=["R", "G", "B"][:c], mean=[0.4] * c, std=[1.0] * c, resize="pad")
    fill = torch.full((c, 1, 1), 0.4)
    assert torch.allclose(prepare(cfg, x, size) + 0.4, _pad_reference(x, size, fill), atol=1e-5)

    sizes, interpolate = [], F.interpolate

    def spy(t, *args, **kwargs):
        sizes.append(t.numel())
        return interpolate(t, *args, **kwargs)

    monkeypatch.setattr(F, "interpolate", spy)
    strip = np.random.default_rng(0).random((1, 4, 20000), dtype=np.float32)
    prepare(StemConfig(bands=["TIR"], mean=[0.5], std=[0.2], resize="pad"), strip, 112)
    assert max(sizes) <= 20000 * 112 / 4  # was the whole 20000x112 canvas (4x200000 at 336 px: 4 s, 800 MB)


def test_an_hf_clip_field_its_hf_config_overrules_is_refused_naming_both():
    from rsvlm.model.checks import check_model_config
    from rsvlm.model.vision import VisionConfig, build_encoder

    hf = {"hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4, "patch_size": 8, "image_size": 32}
    enc = VisionConfig(type="hf_clip", hf_config=hf, width=64, patch_size=8, image_size=32)  # as convert-llava writes
    cfg = _tiny()
    cfg = dataclasses.replace(cfg, encoders={**cfg.encoders, "default": enc})
    check_model_config(cfg, prefix="")
    odd = dataclasses.replace(enc, image_size=64)
    with pytest.raises(ValueError, match=r"^encoders.NAME: an hf_clip tower is sized by its hf_config, which "
                                         r"encoders.NAME.image_size 64 \(hf_config.image_size: 32\) contradicts; set "
                                         r"encoders.NAME.hf_config.image_size"):
        build_encoder(odd)  # was: built at 32 px, the 64 ignored
    with pytest.raises(ValueError, match=r"encoders.default.image_size 64 \(hf_config.image_size: 32\) contradicts"):
        check_model_config(dataclasses.replace(cfg, encoders={**cfg.encoders, "default": odd}), prefix="")


def test_an_hf_clip_checkpoint_loads_at_the_size_its_hf_config_override_asks(tmp_path):
    from rsvlm.model import create_model
    from rsvlm.model.checkpoint import load_pretrained
    from rsvlm.model.vision import VisionConfig

    hf = {"hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4, "patch_size": 8, "image_size": 32}
    cfg = _tiny()
    cfg = dataclasses.replace(cfg, encoders={**cfg.encoders, "default": VisionConfig(type="hf_clip", hf_config=hf)})
    torch.manual_seed(0)
    model, _ = create_model(cfg)
    model.save_pretrained(tmp_path / "ckpt")
    big, proc = load_pretrained(tmp_path / "ckpt", overrides=["encoders.default.hf_config.image_size=64"])
    assert proc.n_tokens["optical"] == 64  # its position table resized to the 8x8 grid
    assert big.encoders["default"].model.embeddings.position_embedding.weight.shape == (65, 64)
