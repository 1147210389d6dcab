"""Review of reading tour 67: an ENVI header's ``Index`` unit end to end (GDAL drops it from each band's tags),
and the cut-short message for a small loss. (Bands in Meters / Wavenumber: ``test_read_tour67``'s units test.)"""

import pytest

rasterio = pytest.importorskip("rasterio")

from test_read_tour67 import envi_scene  # noqa: E402

from rsvlm.io.checks import ImageReadError  # noqa: E402
from rsvlm.io.read import read_image  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::rasterio.errors.NotGeoreferencedWarning")


def test_an_envi_header_in_index_units_names_no_band_by_wavelength(tmp_path):
    """GDAL drops ENVI's ``wavelength units = Index`` from each band's tags (keeping it in the ENVI domain), so
    band indices 11 and 12 were read as 11 and 12 µm: lwir11, lwir12."""
    img = read_image(envi_scene(tmp_path, "Index", ["11", "12"]))
    assert "lwir11" not in img.bands and not any("named by their wavelength" in n for n in img.notes), (
        img.bands, img.notes)


def test_a_cut_short_message_says_a_small_loss_is_not_0_percent(tmp_path):
    """50 bytes missing of 12800 was said as ``0% missing``."""
    img = envi_scene(tmp_path, "Nanometers", ["490", "560", "665", "842"], dtype="<c8", code=6)
    img.write_bytes(img.read_bytes()[:-50])
    with pytest.raises(ImageReadError, match=r"12750 bytes, where scene\.hdr describes 12800 .*under 1% missing"):
        read_image(img)
