"""Reading tour 63: a class-map look judged on valid pixels only, SAR asked of a file whose bands are colours,
an integer file's impossible nodata, and thermal values in °C."""

import numpy as np
import pytest

rasterio = pytest.importorskip("rasterio")

from rsvlm.io.read import read_image  # noqa: E402
from test_read_tour62 import _photo, write_geotiff  # noqa: E402


@pytest.mark.parametrize("collar", [0.8, 0.9])
def test_paletted_photo_with_transparent_collar_is_no_class_map(tmp_path, collar):
    """The neighbours-alike test counted the collar's pairs: 80 % of a photo's pixels transparent made it 'a class map'."""
    from PIL import Image

    im = Image.fromarray(_photo(side=128)).quantize(colors=16)
    a = np.array(im)  # (H, W) colour indices 0-15
    a[:, : int(128 * collar)] = 16  # a collar of one index, transparent
    out = Image.fromarray(a, mode="P")
    out.putpalette(im.getpalette()[:48] + [0, 0, 0] * 240)
    out.save(p := tmp_path / "photo_collar.png", transparency=16)
    img = read_image(p)
    assert img.valid is not None and not img.valid[:, :100].any()  # the collar is nodata
    assert not any("class map" in n for n in img.notes), img.notes
