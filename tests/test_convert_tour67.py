"""Stop 67 tour of the dataset converters: LEVIR-CD change share of a partly void label, touching instance ids
under 33, a 16-bit mask resampled."""

from __future__ import annotations

import json

import numpy as np
import pytest
from convert_helpers import convert, footprints_scene, objs, png
from PIL import Image


def _levir(tmp_path, lab: np.ndarray, *opts: str):
    for tag in ("A", "B"):
        png(tmp_path / "s" / tag / "p.png", lab.shape[1], lab.shape[0])
    (tmp_path / "s" / "label").mkdir()
    Image.fromarray(lab).save(tmp_path / "s" / "label" / "p.png")
    return convert(tmp_path / "o", "levir-cd", "--src", str(tmp_path / "s"), *opts)


def test_levir_change_share_leaves_out_void_pixels(tmp_path):
    """A 0/1 label whose lower 40% is 255 (void, unlabelled): its change share was counted over the whole image,
    void as unchanged (12.5% said 7.5%). It is the share of the labelled pixels, said so."""
    lab = np.zeros((80, 64), np.uint8)
    lab[8:24, 8:24] = 1  # 256 px of 48 x 64 = 3072 labelled: 8.3%
    lab[48:, :] = 255
    stats, recs = _levir(tmp_path, lab)
    (desc,) = [r["conversations"][-1]["value"] for r in recs if r["id"].endswith("-describe")]
    assert desc == "1 building area changed, covering 8.3% of the labelled part of the image."
    assert stats["notes"]["label_pixels_ignored_255"] == 32 * 64


def test_masks_binary_traces_a_few_touching_instance_ids_apart(tmp_path):
    """Ten row houses of ids 1…10, each touching the next: under 33 values the label was read as codes, every
    non-zero value the class, and the row was one polygon. Each id one region and two touching: ids, traced apart."""
    lab = np.zeros((64, 128), np.uint8)
    for k in range(10):
        lab[10:30, 4 + k * 12:16 + k * 12] = k + 1
    png(tmp_path / "img" / "a.png", 128, 64)
    (tmp_path / "lab").mkdir()
    Image.fromarray(lab).save(tmp_path / "lab" / "a.png")
    stats, recs = convert(tmp_path / "o", "masks", "--images", str(tmp_path / "img"), "--labels",
                          str(tmp_path / "lab"), "--binary", "building")
    assert len(objs(recs[0])) == 10 and stats["notes"]["instance_boundary_pixels_cleared"] == 9 * 20


def test_binary_mask_of_codes_in_many_regions_is_not_traced_apart(tmp_path):
    """Codes 1 and 2 each in several regions, touching: no instance ids, every non-zero pixel the class as before."""
    from data_gen.convert.binmask import binary_mask
    from data_gen.convert.common import Output

    lab = np.zeros((40, 40), np.uint8)
    lab[0:10, 0:10], lab[0:10, 10:20], lab[20:30, 0:10], lab[20:30, 10:20] = 1, 2, 1, 2
    out = Output(tmp_path / "o", "test")
    assert (binary_mask(lab, out) == (lab > 0)).all() and "instance_boundary_pixels_cleared" not in out.notes


def test_binary_mask_takes_a_16_bit_mask_enlarged_and_refuses_16_bit_photos(tmp_path, realdata):
    """The LEVIR-CD label as 0/65535, reduced 4x and enlarged with bilinear: thousands of values, refused as a
    photo ("not a binary mask"). It is thresholded now; the 16-bit photos of realdata are still refused."""
    import rasterio

    from data_gen.convert.binmask import NotAMask, binary_mask
    from data_gen.convert.common import Output

    truth, big = levir_enlarged(realdata, 65535)
    lab = np.clip(np.rint(big), 0, 65535).astype(np.uint16)
    assert len(np.unique(lab)) > 256
    out = Output(tmp_path / "o", "test")
    assert (binary_mask(lab, out) == truth).mean() > 0.97 and out.notes["labels_not_binary"] == 1
    for name in ("bldg_spacenet4/sample_geotiff.tif", "sar_s1grd/iw-vv.tiff", "msi_s2/B08.jp2",
                 "ir_landsat8/LC08_L1TP_016037_20170813_20170814_01_RT_B10.TIF"):
        with rasterio.open(realdata / name) as src:
            photo = src.read(1)
        with pytest.raises(NotAMask):
            binary_mask(photo, Output(tmp_path / "p", "test"))


def levir_enlarged(realdata, peak: float):
    """The LEVIR-CD label of realdata as a bool mask (256, 256), and as 0/``peak`` float32 reduced 4x and enlarged
    again with bilinear (thousands of values, its edges mid-grey ramps)."""
    truth = np.asarray(Image.open(realdata / "cd_levir" / "test_7_0256_0512_label.png").convert("L")) > 0
    small = Image.fromarray(truth.astype(np.float32) * peak).resize((64, 64), Image.BILINEAR)
    return truth, np.asarray(small.resize((256, 256), Image.BILINEAR), np.float32)


def footprint_run(tmp_path, geometry):
    """The geojson converter over ``footprints_scene``'s image (its footprint pixels 10…40, 10…30), the footprint's
    geometry made by ``geometry`` from its ring; a run that writes no record gives its stats.json and ``[]``."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    img, lab = footprints_scene(tmp_path, [{}])
    data = json.loads(lab.read_text())
    ring = data["features"][0]["geometry"]["coordinates"][0]
    data["features"][0]["geometry"] = geometry(ring)
    lab.write_text(json.dumps(data))
    try:
        return convert(tmp_path / "o", "geojson", "--images", str(img), "--labels", str(lab))
    except SystemExit:  # no record written: its stats.json still is
        return json.loads((tmp_path / "o" / "stats.json").read_text()), []


def utm(x, y):
    """``footprints_scene``'s map coordinates (UTM 31N, 2 m pixels) of pixel (x, y)."""
    return [500000.0 + 2 * x, 5800000.0 - 2 * y]


def test_geojson_hole_outside_its_polygon_is_dropped_not_made_a_footprint(tmp_path):
    """A hole ring lying outside its outer ring (pixels 60…70): shapely's make_valid made it a second polygon,
    a footprint nobody drew, noted as a self-intersection. The hole is left out, counted."""
    hole = [utm(60, 60), utm(70, 60), utm(70, 70), utm(60, 70), utm(60, 60)]
    stats, recs = footprint_run(tmp_path, lambda ring: {"type": "Polygon", "coordinates": [ring, hole]})
    (seg,) = [r for r in recs if r["task"] == "seg"]
    assert len(objs(seg)) == 1 and stats["notes"]["holes_outside_their_polygon_dropped"] == 1
    assert "self_intersecting_polygons_split" not in stats["notes"]


def test_geojson_empty_rings_are_counted_not_a_traceback(tmp_path):
    """An empty outer ring before the real one ended the run in a ``min() arg is an empty sequence`` traceback;
    it is a ``degenerate`` footprint now. An empty hole is left out, counted."""
    stats, recs = footprint_run(tmp_path, lambda ring: {"type": "Polygon", "coordinates": [[], ring]})
    assert recs == [] and stats["skipped"] == {"degenerate": 1}
    assert "outer ring of 0 vertices" in stats["skipped_examples"]["degenerate"]
    stats, recs = footprint_run(tmp_path / "h", lambda ring: {"type": "Polygon", "coordinates": [ring, []]})
    assert len(recs) == 3 and stats["notes"]["degenerate_holes_dropped"] == 1


def test_geojson_geometry_shape_mistakes_are_named(tmp_path):
    """A ``geometry`` that is a list (was ``empty_geometry``), a Polygon of a bare ring (was "'float' object is
    not subscriptable"), a lower-case type: each skipped with a message saying what is wrong."""
    cases = {
        "list": (lambda ring: [{"type": "Polygon", "coordinates": [ring]}], "unparsable_geometry", "is a JSON list"),
        "ring": (lambda ring: {"type": "Polygon", "coordinates": ring}, "unparsable_geometry", "nested 2 deep, not 3"),
        "case": (lambda ring: {"type": "polygon", "coordinates": [ring]}, "unsupported_geometry", "case-sensitive"),
    }
    for name, (geometry, reason, said) in cases.items():
        stats, recs = footprint_run(tmp_path / name, geometry)
        assert recs == [] and stats["skipped"] == {reason: 1}, name
        assert said in stats["skipped_examples"][reason], (name, stats["skipped_examples"])


def test_geojson_hole_of_a_nan_vertex_is_non_finite_not_a_traceback(tmp_path):
    """A hole with a NaN vertex (json reads ``NaN``) beside its polygon: the hole's area test must not end the run
    (a GEOS "closed linestring" traceback); the footprint is ``non_finite_coordinates`` as any NaN one is."""
    hole = [[float("nan"), 1.0], utm(30, 15), utm(30, 25), utm(20, 25)]
    stats, recs = footprint_run(tmp_path, lambda ring: {"type": "Polygon", "coordinates": [ring, hole]})
    assert recs == [] and stats["skipped"] == {"non_finite_coordinates": 1}
