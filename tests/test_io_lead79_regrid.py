"""Stop 79: band files where one has no CRS are refused with a fix that works (``regrid.grid_refusal``): it said
``gdalwarp -t_srs None …``, which gdalwarp refuses, or warped a file gdalwarp cannot place."""

import numpy as np
import pytest


def _band(path, crs, size=32, px=10.0):
    rasterio = pytest.importorskip("rasterio")
    from rasterio.transform import from_origin

    with rasterio.open(path, "w", driver="GTiff", width=size, height=size, count=1, dtype="uint16", crs=crs,
                       transform=from_origin(500000, 5000000, px, px)) as f:
        f.write(np.full((1, size, size), 7, np.uint16))


@pytest.mark.parametrize("bare_first", [True, False])
def test_a_band_file_without_a_crs_is_told_to_get_one_not_a_gdalwarp_to_none(tmp_path, bare_first):
    from rsvlm.io import read_image

    a, b = tmp_path / "B02.tif", tmp_path / "B05.tif"
    _band(a, None if bare_first else "EPSG:32633")
    _band(b, "EPSG:32633" if bare_first else None, size=16, px=20.0)
    with pytest.raises(Exception) as err:
        read_image([str(a), str(b)])
    said = str(err.value)
    bare = a if bare_first else b
    assert "-t_srs None" not in said and "gdalwarp" not in said, said
    assert f"give {bare} its CRS (gdal_edit.py -a_srs EPSG:<code> {bare})" in said, said
