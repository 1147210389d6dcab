"""Review of stop 80's converter tour: masks of thin lines, many small classes, 16 bits or NaN nodata stay masks
beside their image; a DOTA class named with a digit inside is a short line's class; footprints that are simply
elsewhere get no hint to swap their numbers."""

from __future__ import annotations

import json

import numpy as np
import pytest
from convert_helpers import convert, dota_lines
from PIL import Image, ImageDraw


def roads(size: int, step: int, width: int) -> np.ndarray:
    """A 0/255 mask (size, size) of slanted roads ``width`` px wide every ``step`` px both ways."""
    im = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(im)
    for k in range(0, size, step):
        draw.line([(k, 0), (k + 40, size)], fill=255, width=width)
        draw.line([(0, k), (size, k + 30)], fill=255, width=width)
    return np.asarray(im)


def write_tif(path, a: np.ndarray) -> None:
    from data_gen.convert.images import open_raster

    with open_raster(path, "w", driver="GTiff", width=a.shape[1], height=a.shape[0], count=1, dtype=a.dtype) as ds:
        ds.write(a[None])


def test_thin_line_many_class_and_16_bit_masks_stay_masks(tmp_path):
    from data_gen.convert.lookup import not_a_mask

    image = tmp_path / "a.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (512, 512, 3), dtype=np.uint8)).save(image)
    small = np.zeros((512, 512), np.uint8)
    rng = np.random.default_rng(1)
    for _ in range(4000):  # 4000 objects of 1-3 px in 9 classes
        y, x = rng.integers(0, 509, 2)
        small[y:y + rng.integers(1, 4), x:x + rng.integers(1, 4)] = rng.integers(1, 10)
    for name, m in [("roads1", roads(512, 16, 1)), ("roads3", roads(512, 8, 3)), ("classes", small)]:
        Image.fromarray(m).save(tmp_path / "a_gt.png")
        assert not_a_mask(tmp_path / "a_gt.png", image) == "", name
    write_tif(tmp_path / "a_gt.tif", roads(512, 16, 1).astype(np.uint16) * 257)
    assert not_a_mask(tmp_path / "a_gt.tif", image) == ""


def test_a_float_mask_with_nan_nodata_stays_a_mask(tmp_path):
    # NaN != NaN: a float mask NaN over 300 of its 512 columns was "29% of its pixels in flat 2x2 blocks", an image
    from data_gen.convert.lookup import not_a_mask

    Image.new("RGB", (512, 512), 40).save(tmp_path / "a.png")
    m = (roads(512, 16, 1) / 255).astype(np.float32)
    m[:, :300] = np.nan
    write_tif(tmp_path / "a_mask.tif", m)
    assert not_a_mask(tmp_path / "a_mask.tif", tmp_path / "a.png") == ""
    m[:] = np.random.default_rng(0).random(m.shape, np.float32)  # a float photo is still told
    write_tif(tmp_path / "a_mask.tif", m)
    assert "flat 2x2 blocks" in not_a_mask(tmp_path / "a_mask.tif", tmp_path / "a.png")


def test_the_flat_pixel_rule_is_shared():
    from data_gen.convert import binmask

    a = np.array([[1, 1, 2], [1, 1, 3], [4, 5, 6]])
    assert binmask.flat_pixels(a).tolist() == [[True, True, False], [True, True, False], [False, False, False]]
    assert binmask.flat_pixels(np.stack([a, a.T])).sum() == 4 and not binmask.flat_pixels(np.stack([a, np.arange(9).reshape(3, 3)])).any()
    f = np.full((2, 3), np.nan)
    assert binmask.flat_pixels(f).all() and binmask._piecewise_constant(f) is False  # NaN: flat, but no instance ids


@pytest.mark.parametrize("line, said", [
    ("1 2 30 2 30 20 1 Boeing737 0", "7 numbers before the class, not 8 (4 corners x y)"),  # FAIR1M's class
    ("1 2 30 2 30 20 1 2O 0", "field 8, '2O', is no number (x1 y1 … x4 y4: 8 numbers before the class)"),
    ("1 2 30 2 30 20 1 -.5x harbor 0", "field 8, '-.5x', is no number (x1 y1 … x4 y4: 8 numbers before the class)"),
])
def test_dota_field_8_is_a_mistyped_number_where_it_starts_as_one(tmp_path, line, said):
    # "Boeing737" holds a digit: it was read as a mistyped y4, "field 8, 'Boeing737', is no number"
    stats = dota_lines(tmp_path, [line])
    assert stats["skipped_examples"]["unparsable_line"] == (
        f"{tmp_path / 'd' / 'labelTxt' / 'a.txt'}:1: unparsable_line ({said}: {line})")


@pytest.mark.realdata
def test_geojson_footprints_elsewhere_get_no_swap_hint(tmp_path, realdata):
    # the hint is for latitude first alone: the real footprints a degree east are a wrong file, not swapped numbers
    from rasterio.warp import transform_geom

    def east(c):
        return [c[0] + 1, c[1]] if isinstance(c[0], (int, float)) else [east(x) for x in c]

    gj = json.loads((realdata / "bldg_spacenet4" / "geotiff_labels.geojson").read_text())
    feats = [{**f, "geometry": transform_geom("EPSG:32616", "EPSG:4326", f["geometry"])} for f in gj["features"]]
    feats = [{**f, "geometry": {**f["geometry"], "coordinates": east(f["geometry"]["coordinates"])}} for f in feats]
    (tmp_path / "e.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    stats, _ = convert(tmp_path / "o", "geojson", "--images", str(realdata / "bldg_spacenet4" / "sample_geotiff.tif"),
                       "--labels", str(tmp_path / "e.geojson"), "--label", "building")
    said = stats["skipped_examples"]["all_outside_image"]
    assert "all 43 footprints lie outside sample_geotiff.tif" in said and "swap" not in said


def latitude_first(tmp_path, image_crs: str, declared: str | None) -> dict:
    """``convert geojson``'s stats over a 100 px image (``image_crs``) at 120° E, 30° N and one footprint on it
    written latitude first, its file declaring the CRS ``declared`` (or none)."""
    from rasterio.transform import from_origin
    from rasterio.warp import transform

    from data_gen.convert.images import open_raster

    (x,), (y,) = transform("EPSG:4326", image_crs, [120.0], [30.01])
    size = 0.0001 if image_crs == "EPSG:4326" else 10
    with open_raster(tmp_path / "t.tif", "w", driver="GTiff", width=100, height=100, count=3, dtype="uint8",
                     crs=image_crs, transform=from_origin(x, y, size, size)) as ds:
        ds.write(np.full((3, 100, 100), 90, np.uint8))
    ring = [[30.002, 120.002], [30.002, 120.005], [30.005, 120.005], [30.005, 120.002], [30.002, 120.002]]
    gj = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [ring]}}]}
    if declared:
        gj["crs"] = {"type": "name", "properties": {"name": declared}}
    (tmp_path / "t.geojson").write_text(json.dumps(gj))
    stats, _ = convert(tmp_path / "o", "geojson", "--images", str(tmp_path / "t.tif"), "--labels",
                       str(tmp_path / "t.geojson"), "--label", "building")
    return stats


SWAP = ("Its first vertex (30.002, 120.002) read as (120.002, 30.002) lies on the image: GeoJSON is longitude, "
        "latitude; swap each vertex's two numbers)")


def test_latitude_first_past_90_degrees_east_is_told_to_swap_too(tmp_path):
    # (30.002, 120.002): no latitude, so undeclared_crs said only "give --labels-crs (the image's is EPSG:4326)",
    # which the file already was in; the swap hint came with all_outside_image alone (818d0c55)
    stats = latitude_first(tmp_path, "EPSG:4326", None)
    assert stats["skipped_examples"]["undeclared_crs"].endswith(f"give --labels-crs (the image's is EPSG:4326). {SWAP}")


def test_latitude_first_past_90_in_a_declared_crs_is_told_to_swap_too(tmp_path):
    # declared, it is reprojected to the image's UTM: "unprojectable_geometry (PROJ: utm: Invalid latitude)" alone
    stats = latitude_first(tmp_path, "EPSG:32651", "EPSG:4326")
    assert stats["skipped_examples"]["unprojectable_geometry"].endswith(f"Invalid latitude. {SWAP}")


def test_a_tall_file_named_as_a_mask_is_read_no_deeper_than_row_1024(tmp_path):
    # cb402445 read the centre: a PNG's or JPEG's rows above it are all decoded, an 8000 px mask 266 ms, not 75
    from data_gen.convert.lookup import not_a_mask

    Image.new("L", (300, 2400), 40).save(tmp_path / "a.png")
    a = np.random.default_rng(0).integers(0, 256, (2400, 300), dtype=np.uint8)
    a[1024:1180] = 0  # 61% flat where it is read (rows 1024-1280), 42% at its centre (rows 1072-1328)
    Image.fromarray(a).save(tmp_path / "a_gt.png")
    assert not_a_mask(tmp_path / "a_gt.png", tmp_path / "a.png") == ""


def test_rsvqa_a_long_id_missing_is_cut_where_it_is_said_missing_too(tmp_path):
    # ab76d614 cut it in the answers_ids list but printed it whole again in "…: ID not in T_answers.json"
    from convert_helpers import png

    png(tmp_path / "i" / "0.png", 32, 32)
    qs = [{"id": 0, "img_id": 0, "type": "count", "question": "How many?",
           "answers_ids": [{"id": 1, "answer": "x" * 5000}]}]
    (tmp_path / "T_questions.json").write_text(json.dumps({"questions": qs}))
    (tmp_path / "T_answers.json").write_text(json.dumps({"answers": []}))
    stats, _ = convert(tmp_path / "o", "rsvqa", "--src", str(tmp_path), "--images", str(tmp_path / "i"))
    assert stats["skipped_examples"]["no_answer"].endswith(
        "(answers_ids [{'id': 1, 'answer':…]: {'id': 1, 'answer':… not in T_answers.json)")


def test_a_quantized_white_on_black_mask_read_right_is_not_told_to_invert(tmp_path):
    # PIL's quantize(2) puts white at index 0: read by its greys, as it should be, yet 3eef0e34 noted it
    # "black objects on white: invert it"; the note is for a reading whose class is over half the label
    from convert_helpers import png

    src = tmp_path / "s"
    png(src / "a.png", 64, 48)
    m = np.zeros((48, 64), np.uint8)
    m[10:30, 5:40] = 255
    q = Image.fromarray(m).convert("RGB").quantize(2)
    assert q.getpalette()[:6] == [255, 255, 255, 0, 0, 0]
    q.save(src / "a_mask.png")
    stats, recs = convert(tmp_path / "o", "masks", "--images", str(src), "--labels", str(src), "--binary", "building")
    assert "indexed_labels_read_by_greys" not in stats["notes"] and [r["task"] for r in recs] == ["seg"]
