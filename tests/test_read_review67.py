"""Review of reading tour 67: ENVI wavelength units end to end (GDAL's own band descriptions, its dropped
``Index`` unit), and the cut-short message for a small loss."""

import numpy as np
import pytest

rasterio = pytest.importorskip("rasterio")

from rsvlm.io.checks import ImageReadError  # noqa: E402
from rsvlm.io.read import read_image  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::rasterio.errors.NotGeoreferencedWarning")


def _envi(folder, units: str, wavelengths: list[str], dtype: str = "<u2", code: int = 12):
    """An ENVI file (``scene.img`` + ``scene.hdr``), one band a wavelength, of 20x20 ``dtype`` values, whose header
    gives ``wavelengths`` in ``units`` and names its bands ``Band 1`` …"""
    n = len(wavelengths)
    np.random.default_rng(0).integers(100, 3000, (n, 20, 20)).astype(dtype).tofile(folder / "scene.img")
    (folder / "scene.hdr").write_text(
        f"ENVI\nsamples = 20\nlines = 20\nbands = {n}\nheader offset = 0\nfile type = ENVI Standard\n"
        f"data type = {code}\ninterleave = bsq\nbyte order = 0\n"
        f"band names = {{{', '.join(f'Band {i + 1}' for i in range(n))}}}\n"
        f"wavelength units = {units}\nwavelength = {{{', '.join(wavelengths)}}}\n")
    return folder / "scene.img"


@pytest.mark.parametrize("units, wavelengths", [
    ("Meters", ["4.9e-7", "5.6e-7", "6.65e-7", "8.42e-7"]),
    ("Wavenumber", ["20408", "17857", "15038", "11876"]),
])
def test_envi_bands_in_meters_or_wavenumber_are_named_by_their_wavelength(tmp_path, units, wavelengths):
    """The wavelengths were read right, but GDAL's ``Band 1 (4.9e-7 Meters)`` / ``(20408 Wavenumber)`` was kept
    as a name of the band's own (its appended wavelength not recognised), so the bands were named by none."""
    img = read_image(_envi(tmp_path, units, wavelengths))
    assert img.bands == ["blue", "green", "red", "nir"], img.notes


def test_an_envi_header_in_index_units_names_no_band_by_wavelength(tmp_path):
    """GDAL drops ENVI's ``wavelength units = Index`` from each band's tags (keeping it in the ENVI domain), so
    band indices 11 and 12 were read as 11 and 12 µm: lwir11, lwir12."""
    img = read_image(_envi(tmp_path, "Index", ["11", "12"]))
    assert "lwir11" not in img.bands and not any("named by their wavelength" in n for n in img.notes), (
        img.bands, img.notes)


def test_a_cut_short_message_says_a_small_loss_is_not_0_percent(tmp_path):
    """50 bytes missing of 12800 was said as ``0% missing``."""
    img = _envi(tmp_path, "Nanometers", ["490", "560", "665", "842"], dtype="<c8", code=6)
    img.write_bytes(img.read_bytes()[:-50])
    with pytest.raises(ImageReadError, match=r"12750 bytes, where scene\.hdr describes 12800 .*under 1% missing"):
        read_image(img)
