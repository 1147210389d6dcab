"""Tour 72 (area D): synthetic data, converters and records as a demanding user meets them."""

from __future__ import annotations

import warnings

import numpy as np
from convert_helpers import convert


def _band_tif(path, value: int = 100) -> None:
    import rasterio

    path.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # not georeferenced
        with rasterio.open(path, "w", driver="GTiff", width=32, height=32, count=1, dtype="uint16") as ds:
            ds.write(np.full((1, 32, 32), value, np.uint16))  # (1, H, W)


def test_a_band_given_twice_is_named_once_and_bands_are_counted(tmp_path):
    """'band(s) B02, b2 in two files' said of one band spelt two ways: now 'band B02/b2', two bands 'bands'; a
    scene of two band files is '(+1 band file)' in its meta, not '(+1 band files)'."""
    src = tmp_path / "src" / "x"
    for name in ("forest_B02.tif", "forest_b2.tif", "forest_B03.tif", "field_B02.tif", "field_b2.tif",
                 "field_B03.tif", "field_b3.tif", "ok_B02.tif", "ok_B03.tif"):
        _band_tif(src / name)
    stats, recs = convert(tmp_path / "o", "folder", "--src", str(src.parent), "--no-progress")
    assert stats["skipped"]["band_given_twice"] == 2
    assert stats["skipped_examples"]["band_given_twice"].endswith("(bands B02/b2, B03/b3 in more than one file)")
    assert [r["meta"]["file"] for r in recs] == ["x/ok_B02.tif (+1 band file)"]
