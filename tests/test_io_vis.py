"""Overlays: display composites per modality and objects drawn where they are."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from rsvlm.io import RSImage, draw_overlay, to_display_rgb


def _img(data, modality, bands, valid=None):
    return RSImage(data=np.asarray(data, np.float32), modality=modality, bands=bands, path="synthetic", valid=valid)


def test_msi_composite_is_true_colour_by_band_name_or_chosen_bands():
    data = np.zeros((4, 20, 20), np.float32)
    data[:, :, 10:] = np.array([0.05, 0.1, 0.2, 0.4])[:, None, None]  # B02 < B03 < B04 < B08
    img = _img(data, "msi", ["B02", "B03", "B04", "B08"])
    rgb = to_display_rgb(img)  # R=B04, G=B03, B=B02, one stretch for all three (0 → 0, 0.2 → 255)
    assert rgb.shape == (20, 20, 3) and (rgb[:, 2] == 0).all()
    np.testing.assert_allclose(rgb[:, 15].astype(float), np.tile([255, 127.5, 63.75], (20, 1)), atol=1)
    fc = to_display_rgb(img, rgb_bands=["B08", "B04", "B03"])  # false colour: NIR as red
    np.testing.assert_allclose(fc[:, 15].astype(float), np.tile([255, 127.5, 63.75], (20, 1)), atol=1)
    with pytest.raises(ValueError, match="rgb_bands"):
        to_display_rgb(img, rgb_bands=["B11", "B04", "B03"])


def test_sar_is_grey_ir_uses_inferno_and_nodata_is_black():
    ramp = np.tile(np.linspace(0, 1, 50, dtype=np.float32), (10, 1))[None]  # (1, 10, 50)
    sar = to_display_rgb(_img(ramp, "sar", ["VV"]))
    assert (sar[..., 0] == sar[..., 1]).all() and sar[0, 0, 0] == 0 and sar[0, -1, 0] == 255
    valid = np.ones((10, 50), bool)
    valid[:, :5] = False
    ir = to_display_rgb(_img(ramp, "ir", ["B10"], valid))
    assert tuple(ir[0, -1]) == (252, 255, 164) and (ir[:, :5] == 0).all()  # inferno's top; nodata black
    assert ir[0, 30, 0] > ir[0, 30, 2]  # warm colours, not grey
    grey = to_display_rgb(_img(ramp, "ir", ["B10"]), ir_cmap="grey")
    assert (grey[..., 0] == grey[..., 2]).all()


def test_objects_are_drawn_at_their_pixels(tmp_path):
    img = _img(np.zeros((3, 300, 400)), "optical", ["R", "G", "B"])
    mask = np.zeros((300, 400), bool)
    mask[200:260, 300:380] = True
    objs = [{"kind": "box", "label": "ship", "coords": [50, 50, 150, 120], "score": 0.87},
            {"kind": "obb", "label": "car", "coords": [[200, 40], [260, 60], [250, 90], [190, 70]]},
            {"kind": "poly", "label": "lake", "coords": [[20, 180], [120, 170], [130, 280], [30, 290]]},
            {"kind": "mask", "label": "field", "mask": mask},
            {"kind": "point", "label": "well", "coords": [350, 40]}]
    out = draw_overlay(img, objs, tmp_path / "sub" / "o.png", title="test", min_side=400)
    png = np.asarray(Image.open(out).convert("RGB"))
    header = png.shape[0] - 300
    assert png.shape[1] == 400 and header > 0
    body = png[header:]
    assert tuple(body[100, 50]) == (255, 56, 56)  # box outline, left edge, in the first label colour
    assert tuple(body[85, 100]) == (0, 0, 0)  # box interior untouched
    field = body[230, 340]  # mask: semi-transparent tint of its colour over black
    assert 0 < field.max() < 255 and tuple(field) != (0, 0, 0)
    lake = body[230, 70]
    assert 0 < lake.max() < 255  # polygon interior filled semi-transparently
    assert tuple(body[40, 350]) != (0, 0, 0)  # point drawn
    assert tuple(body[150, 390]) == (0, 0, 0)  # empty background stays black


def test_overlay_scales_large_and_small_images(tmp_path):
    img = _img(np.zeros((3, 100, 200)), "optical", ["R", "G", "B"])
    objs = [{"kind": "box", "label": "x", "coords": [10, 10, 50, 50]}]
    small = Image.open(draw_overlay(img, objs, tmp_path / "s.png", min_side=800))
    assert small.size == (800, 400)
    big = Image.open(draw_overlay(img, objs, tmp_path / "b.png", max_side=100, min_side=50))
    assert big.size == (100, 50)


def test_crowded_labels_are_decluttered_and_a_legend_counts_every_object(tmp_path):
    from rsvlm.io.vis import place_labels

    assert place_labels([(0, 0, 10, 10), (5, 5, 15, 15), (10, 0, 20, 10), (0, 10, 10, 20)]) == [
        True, False, True, True]  # touching edges do not overlap
    img = _img(np.zeros((3, 200, 200)), "optical", ["R", "G", "B"])
    objs = [{"kind": "box", "label": "car", "coords": [10 + i, 100, 30 + i, 120], "score": 0.1 + i / 100}
            for i in range(40)]  # labels at one height, 1 px apart
    objs.append({"kind": "box", "label": "ship", "coords": [100, 20, 140, 40], "score": 0.05})
    png = np.asarray(Image.open(draw_overlay(img, objs, tmp_path / "o.png", min_side=200)).convert("RGB"))
    assert png.shape[0] > 200  # the legend strip below the image
    legend = png[200:]
    assert (legend == (255, 56, 56)).all(axis=-1).any() and (legend == (56, 200, 255)).all(axis=-1).any()
    few = np.asarray(Image.open(draw_overlay(img, objs[-1:], tmp_path / "f.png", min_side=200)))
    assert few.shape[0] == 200  # nothing hidden: no legend


def test_an_overlay_name_without_an_image_extension_is_refused_naming_it(tmp_path):
    img = _img(np.zeros((3, 8, 8)), "optical", ["R", "G", "B"])
    with pytest.raises(ValueError, match=r"overlay: unknown image extension '\(none\)'"):
        draw_overlay(img, [], tmp_path / "overlay")  # PIL's "unknown file extension: " named nothing
    assert draw_overlay(img, [], tmp_path / "overlay.JPG").is_file()


def test_objects_of_a_scene_are_drawn_on_its_overview_scaled(tmp_path):
    img = _img(np.zeros((3, 150, 200)), "optical", ["R", "G", "B"])  # a 400x300 scene shrunk by half
    mask = np.zeros((40, 60), bool)
    mask[10:30, 10:50] = True
    objs = [{"kind": "box", "label": "ship", "coords": [100, 100, 300, 240]},
            {"kind": "mask", "label": "field", "mask": mask, "offset": [300, 20]}]
    out = draw_overlay(img, objs, tmp_path / "o.png", min_side=200, object_scale=0.5)
    body = np.asarray(Image.open(out).convert("RGB"))
    assert body.shape[:2] == (150, 200)
    assert tuple(body[80, 50]) == (255, 56, 56) and tuple(body[80, 150]) == (255, 56, 56)  # x = 100, 300 in scene
    assert tuple(body[60, 100]) == (0, 0, 0)  # inside the box
    assert tuple(body[20, 165]) != (0, 0, 0)  # the mask at (330, 40) in the scene
