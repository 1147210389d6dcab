"""Review of the stop 67 converter tour: a float label's grey checked as an integer one's, a MultiPolygon's good
parts kept beside a degenerate one, a hole of no area counted as degenerate."""

from __future__ import annotations

import numpy as np
import pytest
from convert_helpers import objs
from test_convert_tour67 import footprint_run, levir_enlarged, utm


def test_binary_mask_refuses_a_float_photo_and_takes_a_float_mask_enlarged(tmp_path, realdata):
    """A 0…1 float photo mostly 0 (Landsat 8 band 10 over its brightest, half of it zeroed: over 256 values) passed
    unchecked as a mask since 31478d9c, as one of at most 256 values (an 8-bit band / 255) did before: a float
    label's mid-grey pixels were never counted. Both are refused now; a float 0/1 mask enlarged is thresholded."""
    import rasterio

    from data_gen.convert.binmask import NotAMask, binary_mask
    from data_gen.convert.common import Output

    with rasterio.open(realdata / "ir_landsat8" / "LC08_L1TP_016037_20170813_20170814_01_RT_B10.TIF") as src:
        thermal = src.read(1)
    thermal[: thermal.shape[0] // 2] = 0
    with rasterio.open(realdata / "msi_rgbn" / "rgbn_suba.tif") as src:
        band = src.read(1)
    for name, photo in (("thermal", thermal.astype(np.float32) / thermal.max()), ("rgbn", band / np.float32(255))):
        with pytest.raises(NotAMask, match=r"mid-grey \(0\.125…0\.875 of 0…") as e:
            binary_mask(photo, Output(tmp_path / name, "test"))
        assert "one value (1) for the class" in str(e.value), name
    truth, lab = levir_enlarged(realdata, 1.0)
    assert len(np.unique(lab)) > 256
    assert (binary_mask(lab, Output(tmp_path / "m", "test")) == truth).mean() > 0.97


@pytest.mark.parametrize("part", [[[]], [], [[utm(60, 60), utm(70, 70), utm(60, 60)]]], ids=["empty-ring", "empty", "two"])
def test_geojson_multipolygon_keeps_its_parts_beside_a_degenerate_one(tmp_path, part):
    """A MultiPolygon one of whose parts has an empty or 2-vertex outer ring: the part was skipped as degenerate, the
    others kept; since 8324cb02 the whole footprint was skipped. The good part is written again."""
    stats, recs = footprint_run(tmp_path, lambda ring: {"type": "MultiPolygon", "coordinates": [[ring], part]})
    (seg,) = [r for r in recs if r["task"] == "seg"]
    assert len(objs(seg)) == 1 and stats["skipped"] == {"degenerate": 1}


def test_geojson_hole_of_no_area_is_degenerate_not_outside(tmp_path):
    """A collinear hole (three points on a line inside the footprint) was counted as a hole outside its polygon."""
    hole = [utm(15, 15), utm(20, 20), utm(25, 25), utm(15, 15)]
    stats, recs = footprint_run(tmp_path, lambda ring: {"type": "Polygon", "coordinates": [ring, hole]})
    assert len(recs) == 3 and stats["notes"]["degenerate_holes_dropped"] == 1
    assert "holes_outside_their_polygon_dropped" not in stats["notes"]
