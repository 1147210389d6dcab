from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from data_gen.convert.binmask import NotAMask, binary_mask
from data_gen.convert.common import Output


def test_binary_mask_refuses_a_dark_photo_of_few_levels_as_codes(realdata, tmp_path):
    """The SIRST infrared image darkened (gamma 3: 15 values, 0…16, all under half the range) was taken whole as
    class codes, 78% of it the class; its levels change mostly in small steps (86%), as codes do not."""
    sky = np.asarray(Image.open(realdata / "ir_sirst" / "Misc_100.png").convert("L"))
    dark = (255 * (sky / 255.0) ** 3).astype(np.uint8)  # (H, W)
    assert len(np.unique(dark)) <= 32 and dark.max() < 128
    with pytest.raises(NotAMask, match=r"mid-grey"):
        binary_mask(dark, Output(tmp_path / "o", "t"))


@pytest.mark.parametrize("first", [0, 1])
def test_binary_mask_keeps_land_cover_codes_whole(first, tmp_path):
    """Codes of 7 classes over regions (0…6, or 1…7 tiling the image) are still every non-zero value taken."""
    rng = np.random.default_rng(0)
    pts, codes = rng.integers(0, 128, (60, 2)), rng.integers(0, 7, 60) + first
    yy, xx = np.mgrid[:128, :128]
    nearest = np.argmin((yy[..., None] - pts[:, 0]) ** 2 + (xx[..., None] - pts[:, 1]) ** 2, -1)  # (H, W)
    lab = codes[nearest].astype(np.uint8)  # (H, W)
    out = Output(tmp_path / "o", "t")
    assert (binary_mask(lab, out) == (lab > 0)).all() and out.notes["labels_not_binary_every_nonzero_taken"] == 1


def test_geojson_properties_not_an_object_is_an_unknown_class(tmp_path):
    """A feature whose ``properties`` is a list (or a string), under ``--class-property``, stopped the whole run
    with an AttributeError traceback ('list' object has no attribute 'get'); it is skipped, named."""
    import json

    import rasterio
    from convert_helpers import convert
    from rasterio.transform import from_origin

    with rasterio.open(tmp_path / "a.tif", "w", driver="GTiff", width=100, height=80, count=1, dtype="uint8",
                       crs="EPSG:32631", transform=from_origin(500000.0, 5800000.0, 2, 2)) as ds:
        ds.write(np.full((1, 80, 100), 7, np.uint8))
    ring = [[500000.0 + 2 * x, 5800000.0 - 2 * y] for x, y in ([10, 10], [40, 10], [40, 30], [10, 30], [10, 10])]
    geom = {"type": "Polygon", "coordinates": [ring]}
    feats = [{"type": "Feature", "properties": p, "geometry": geom} for p in (["x"], "roof", {"kind": "roof"})]
    crs = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32631"}}
    (tmp_path / "a.geojson").write_text(json.dumps({"type": "FeatureCollection", "crs": crs, "features": feats}))
    stats, recs = convert(tmp_path / "out", "geojson", "--images", str(tmp_path / "a.tif"), "--labels",
                          str(tmp_path / "a.geojson"), "--class-property", "kind", "--no-ground")
    assert len(recs) == 2 and stats["skipped"] == {"unknown_class": 2}
    assert stats["skipped_examples"]["unknown_class"].endswith("features[0]: unknown_class ('properties' is a JSON "
                                                               "list, not an object)")


@pytest.mark.parametrize("nodata, cls", [(-1, 1), (-9999, 1), (-1, 2), (-1.0, 255.0)])
def test_binary_mask_counts_a_signed_no_data_as_no_class(nodata, cls, tmp_path):
    """A signed label's no-data (-1, -9999 in an int16 or float GeoTIFF) was taken as background, unsaid: only
    ``labels_not_binary`` was noted. Its pixels are no class pixel still, counted as ``label_pixels_negative``."""
    lab = np.zeros((64, 64), np.float32 if isinstance(nodata, float) else np.int16)  # (H, W)
    lab[:8] = nodata
    lab[20:30, 20:30] = cls
    out = Output(tmp_path / "o", "t")
    assert (binary_mask(lab, out) == (lab > 0)).all() and out.notes["label_pixels_negative"] == 8 * 64
