"""Tour 57 (W2): band names matched without torch, sin-cos freezing by the encoder's flag, and
small leftovers (tiled predict's notes on Ctrl-C, the preview's constant band, ReadConfig keys)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest


def test_an_overlay_with_rgb_bands_by_other_names_does_not_load_torch(tmp_path):
    """rgb_bands B08/B04/B03 on a Google Earth Engine image named B2, B3, B4, B8: the names meet in
    ``bandnames`` (was: vis imported rsvlm.model.stem for them, 4-9 s of torch for a name lookup)."""
    code = f"""
import sys
import numpy as np
import pytest
from rsvlm.io import RSImage
from rsvlm.io.vis import draw_overlay, to_display_rgb
data = np.zeros((4, 16, 16), np.float32)
data[3, :, 8:] = 0.4  # B8 bright on the right
img = RSImage(data=data, modality="msi", bands=["B2", "B3", "B4", "B8"], path="gee", valid=None)
rgb = to_display_rgb(img, rgb_bands=["B08", "B04", "B03"])
assert rgb[0, 12, 0] == 255 and rgb[0, 12, 1] == 0 and rgb[0, 2, 0] == 0, rgb[0]
assert (to_display_rgb(img)[..., 0] == 0).all()  # true colour: B4 (dark) as red
draw_overlay(img, [{{"kind": "box", "label": "x", "coords": [1, 1, 8, 8]}}], r"{tmp_path / 'o.png'}",
             rgb_bands=["B08", "B04", "B03"])
print("torch" in sys.modules)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
    assert (tmp_path / "o.png").stat().st_size > 0


def test_band_names_meet_as_before_from_bandnames_and_stem():
    from rsvlm.io.bandnames import band_at, band_key, colour_band_at
    from rsvlm.model import stem

    assert band_key("B04") == band_key("b4") == "b4" and band_key("B8A") == "b8a"
    assert band_at(["B2", "B3", "B4", "B8"], "red") == 2 and band_at(["R", "G", "B"], "B04") == 0
    assert band_at(["VV", "VH"], "HH") is None
    assert colour_band_at(["blue", "green", "red", "nir"]) == [2, 1, 0] and colour_band_at(["VV", "VH"]) is None
    assert stem.band_at is band_at and stem.SAME_BAND[0] == ("R", "red", "B04")
    assert stem.colour_bands(stem.StemConfig(modality="msi", bands=["B2", "B3", "B4"], mean=[0] * 3,
                                             std=[1] * 3)) == ["B4", "B3", "B2"]


def _encoder_model(enc, cfg):
    """What set_trainable reads of a model, around one encoder (no LLM to build)."""
    from types import SimpleNamespace

    from torch import nn

    from rsvlm.model.vlm import TrainableConfig

    return SimpleNamespace(cfg=SimpleNamespace(trainable=TrainableConfig(encoder="full"), encoders={"default": cfg}),
                           stems=nn.ModuleDict(), projectors=nn.ModuleDict(), loc_pointer=None,
                           encoders=nn.ModuleDict({"default": enc}))


def test_set_trainable_keeps_fixed_positions_fixed_by_the_encoders_flag_whatever_its_type():
    """Was: frozen only where the cfg said sincos2d and the encoder had open_clip's ``visual``; an
    hf_clip (or any) encoder that carries ``fixed_positions`` trained its fixed table under encoder: full."""
    from torch import nn

    from rsvlm.model.vision import VisionConfig, build_encoder
    from rsvlm.model.vlm import set_trainable

    hf_cfg = VisionConfig(type="hf_clip")
    for fixed in (True, False):  # an hf_clip tower's layout (vision.POS_KEYS), without loading transformers
        hf = nn.Module()
        hf.model = nn.Module()
        hf.model.embeddings = nn.Module()
        hf.model.embeddings.position_embedding = nn.Embedding(5, 8)  # (1+4, 8)
        hf.model.embeddings.patch_embedding = nn.Conv2d(3, 8, 8)
        hf.fixed_positions = fixed
        set_trainable(_encoder_model(hf, hf_cfg))
        params = dict(hf.named_parameters())
        assert params["model.embeddings.position_embedding.weight"].requires_grad is (not fixed)
        assert params["model.embeddings.patch_embedding.weight"].requires_grad
    oc_cfg = VisionConfig(width=32, heads=2, layers=1, patch_size=8, image_size=16, pos_embed="sincos2d")
    oc = build_encoder(oc_cfg)
    oc.visual.positional_embedding.requires_grad_(True)  # as encoders.requires_grad_(True) leaves it
    set_trainable(_encoder_model(oc, oc_cfg))
    assert not oc.visual.positional_embedding.requires_grad and oc.visual.conv1.weight.requires_grad


def test_ctrl_c_in_a_tiled_run_prints_the_empty_mask_note_as_a_whole_run_does(ckpt, geotiff, tmp_path, monkeypatch,
                                                                              capsys):
    """Was: written to --out's notes only; run_tiled prints what merging found, but a Ctrl-C skips it."""
    import json

    import rsvlm.predict as predict
    from rsvlm.cli import main

    made = predict.tile_predictor

    def empty_masks_then_ctrl_c(*a, **k):
        fn, calls = made(*a, **k), []

        def run(tiles):
            calls.append(len(tiles))
            if len(calls) == 2:
                raise KeyboardInterrupt
            return [objs + [{"kind": "mask", "label": "field", "mask": np.zeros((t.height, t.width), bool)}]
                    for t, objs in zip(tiles, fn(tiles))]
        return run

    monkeypatch.setattr(predict, "tile_predictor", empty_masks_then_ctrl_c)
    out = tmp_path / "t.json"
    rc = main(["predict", "--model", str(ckpt), "--image", str(geotiff), "--task", "det", "--max-new-tokens", "2",
               "--device", "cpu", "--tile", "32", "--overlap", "0", "--batch-size", "2", "--out", str(out)])
    assert rc == 130
    said = "2 masks in the tile answers hold no pixel: no object, not kept"
    assert any(n.endswith(said) for n in json.loads(out.read_text())["notes"])
    assert said in capsys.readouterr().err


def test_the_synth_preview_draws_a_constant_ir_band_at_the_middle_of_its_map_not_black(tmp_path):
    """Was: a percentile stretch with hi == lo, every pixel 0 (black), as rsvlm.io drew one before."""
    import tifffile

    from data_gen.synth.preview import modality_rgb

    path = tmp_path / "ir.tif"
    tifffile.imwrite(path, np.full((8, 8), 29500, np.uint16))  # as data_gen.synth writes ir: K x 100
    rgb = modality_rgb(path, "ir")  # (8, 8, 3)
    assert rgb.shape == (8, 8, 3) and (rgb == rgb[0, 0]).all()
    assert rgb[0, 0, 0] == 255 and 120 <= rgb[0, 0, 1] <= 130 and rgb[0, 0, 2] == 0  # the hot map at 0.5
    ramp = np.linspace(29000, 30000, 64).astype(np.uint16).reshape(8, 8)
    tifffile.imwrite(path, ramp)
    varied = modality_rgb(path, "ir")
    assert tuple(varied[0, 0]) == (0, 0, 0) and tuple(varied[-1, -1]) == (255, 255, 255)  # stretched as before


def test_scaling_as_a_dict_is_built_as_configs_are_its_values_converted_or_refused_by_key():
    """Was: a hand-made copy of from_dict's key check only; a YAML value of the wrong type went in as it
    was (msi_scale 'ten thousand' met numpy's "ufunc 'isfinite' not supported", naming nothing)."""
    from rsvlm.io.scaling import as_config, check_config

    cfg = as_config({"stats_max_side": 512.0, "sar_db_scale": 1, "percentiles": [1, 99]})
    assert cfg.stats_max_side == 512 and isinstance(cfg.stats_max_side, int)  # a slice bound, never 512.0
    assert isinstance(cfg.sar_db_scale, float) and cfg.percentiles == (1, 99)
    check_config(cfg)
    with pytest.raises(ValueError, match=r"scaling\.msi_scale: expected float, got 'ten thousand'"):
        check_config(as_config({"msi_scale": "ten thousand"}))
    with pytest.raises(ValueError, match=r"scaling\.nodta for ReadConfig; valid keys at this level: .*nodata"):
        as_config({"nodta": 0})


def _black(n=64):
    from rsvlm.io import RSImage

    return RSImage(data=np.zeros((3, n, n), np.float32), modality="optical", bands=["R", "G", "B"], path="black",
                   valid=None)


def test_an_overlay_takes_class_id_labels_boxes_given_corner_last_and_a_question_of_lines(tmp_path):
    """Was: a label 3 (a GeoJSON's class id) met "int + str"; a box [x2, y2, x1, y1] PIL's "x1 must be greater
    than or equal to x0"; a two-line question (predict --vis, after the model ran) "can't measure length of
    multiline text"."""
    from PIL import Image

    from rsvlm.io import draw_overlay

    objs = [{"kind": "box", "label": 3, "coords": [20, 20, 4, 4], "score": 0.5},
            {"kind": "point", "label": 0, "coords": [50, 50]}]
    p = draw_overlay(_black(), objs, tmp_path / "o.png")  # 64 px drawn at 512: 8 canvas pixels per pixel
    rgb = np.asarray(Image.open(p))  # (512, 512, 3)
    assert rgb.shape == (512, 512, 3) and rgb[96, 32].any() and rgb[96, 160].any()  # both sides of the box
    assert not rgb[96, 96].any()  # inside it
    titled = np.asarray(Image.open(draw_overlay(_black(), objs, tmp_path / "t.png", title="ships\n\nand cars")))
    assert titled.shape[0] > 512 + 40  # three title lines above the image


@pytest.mark.parametrize("obj, says", [
    ({"kind": "box", "label": "a", "coords": [float("nan"), 1, 20, 20]}, "hold a value that is no finite number"),
    ({"kind": "poly", "label": "a", "coords": [[1, 1], [5, float("inf")], [9, 1]]}, "no finite number"),
    ({"kind": "box", "label": "a", "coords": [1, 1, 20, 20], "score": "high"}, "'high'"),
])
def test_an_overlay_refuses_coords_that_are_no_numbers_and_a_score_that_is_none_naming_the_object(obj, says,
                                                                                                tmp_path):
    """Was: NaN drawn as nothing and counted as inside; a score "high" met float() naming no object."""
    from rsvlm.io import draw_overlay

    with pytest.raises(ValueError, match=rf"object 1 \(.*{says}"):
        draw_overlay(_black(), [{"kind": "point", "label": "ok", "coords": [3, 3]}, obj], tmp_path / "o.png")


def test_a_gdal_cache_below_one_mib_is_refused_naming_the_setting():
    """Was: handed to GDAL as a cache of -5 MiB without a word."""
    from rsvlm.io.scaling import ReadConfig, as_config, check_config

    for mb in (0, -5):
        with pytest.raises(ValueError, match=rf"ReadConfig\.gdal_cache_mb {mb} must be 1 or more"):
            check_config(as_config({"gdal_cache_mb": mb}))
    check_config(ReadConfig(gdal_cache_mb=1))


def test_the_synth_preview_reads_a_one_band_sar_file_whole_and_names_an_msi_file_short_of_bands(tmp_path):
    """Was: a (H, W) sar file's first row taken as the image, a (W, 3) strip stretched over the panel without a
    word; an msi file of 4 bands met "index 4 is out of bounds"."""
    import tifffile

    from data_gen.synth.preview import _read, modality_rgb

    amp = np.full((16, 20), 10 ** (-10 / 20), np.float32)  # -10 dB
    tifffile.imwrite(tmp_path / "vv.tif", amp)
    rgb = modality_rgb(tmp_path / "vv.tif", "sar")
    assert rgb.shape == (16, 20, 3) and (rgb == int(15 / 30 * 255)).all()  # -10 dB in -25…+5
    tifffile.imwrite(tmp_path / "m.tif", np.ones((4, 8, 8), np.uint16), photometric="minisblack",
                     planarconfig="separate")
    with pytest.raises(ValueError, match=r"m\.tif cannot be read \(msi image of shape \(4, 8, 8\).* 6 bands B02"):
        _read(tmp_path / "m.tif", "msi")


def test_scaling_as_a_dict_takes_numpy_numbers_as_readconfig_took_them():
    """from_dict checks Python types: a file's np.float32 nodata or an array range would be refused as no float."""
    from rsvlm.io.scaling import as_config, check_config

    cfg = as_config({"nodata": np.float32(-9999), "stats_max_side": np.int64(512),
                     "sar_db_range": np.array([-25.0, 0.0]), "stretch": [[np.uint16(0), np.uint16(3000)]]})
    check_config(cfg)
    assert (cfg.nodata, cfg.stats_max_side, cfg.sar_db_range, cfg.stretch) == (-9999.0, 512, [-25.0, 0.0],
                                                                              [[0.0, 3000.0]])
    assert type(cfg.nodata) is float and type(cfg.stats_max_side) is int


def test_an_overlay_draws_an_object_whose_score_is_none_as_unscored(tmp_path):
    """Was: float(None) in the label order, a TypeError after the model had answered."""
    from PIL import Image

    from rsvlm.io import draw_overlay

    objs = [{"kind": "box", "label": "ship", "coords": [4, 4, 20, 20], "score": None},
            {"kind": "box", "label": "car", "coords": [30, 30, 50, 50], "score": 0.5}]
    rgb = np.asarray(Image.open(draw_overlay(_black(), objs, tmp_path / "o.png")))
    assert rgb[4 * 8, 12 * 8].any() and rgb[30 * 8, 40 * 8].any()  # both boxes' top edges drawn


def test_sentinel2_names_b11_b12_beside_zero_padded_ones_are_no_bare_band_numbers():
    """The synthetic MSI images (B02 … B08, B11, B12) were told "band numbers name no mission … zero-padded
    for Sentinel-2 (--bands B02,B03,B04,B08,B11,B12)": their own list. Bare B10/B11 alone stay ambiguous
    (Landsat 8's thermal bands)."""
    from rsvlm.io.products import band_numbers

    s2 = ["B02", "B03", "B04", "B08", "B11", "B12"]
    assert band_numbers(s2, None) == (s2, None)
    assert band_numbers(["B10", "B11"], None)[1].startswith("band numbers name no mission")
    assert band_numbers(["B4", "B11", "B02"], None)[0] == ["B04", "B11", "B02"]  # a bare single digit still read
