"""Reading tour 67: ENVI wavelength units other than µm / nm, Sentinel-2 fill at resample edges, and more."""

import numpy as np
import pytest

rasterio = pytest.importorskip("rasterio")

from rsvlm.io.read import read_image  # noqa: E402
from rsvlm.io.wavelengths import band_wavelength  # noqa: E402


def _envi(folder, units: str, wavelengths: list[str]):
    """A 4-band uint16 ENVI file (``scene.img`` + ``scene.hdr``) whose header gives ``wavelengths`` in ``units``."""
    (np.random.default_rng(0).integers(100, 3000, (4, 20, 20)).astype("<u2")).tofile(folder / "scene.img")
    (folder / "scene.hdr").write_text(
        "ENVI\nsamples = 20\nlines = 20\nbands = 4\nheader offset = 0\nfile type = ENVI Standard\ndata type = 12\n"
        "interleave = bsq\nbyte order = 0\nband names = {Band 1, Band 2, Band 3, Band 4}\n"
        f"wavelength units = {units}\nwavelength = {{{', '.join(wavelengths)}}}\n")
    return folder / "scene.img"


@pytest.mark.filterwarnings("ignore::rasterio.errors.NotGeoreferencedWarning")
def test_an_envi_header_in_millimeters_names_its_bands(tmp_path):
    """ENVI's ``wavelength units = Millimeters`` was read as µm (0.00049 µm names nothing), so the bands kept
    GDAL's ``Band 1 (0.000490 Millimeters)`` and the msi stem matched none of them."""
    img = read_image(_envi(tmp_path, "Millimeters", ["0.000490", "0.000560", "0.000665", "0.000842"]))
    assert img.bands == ["blue", "green", "red", "nir"], img.notes


def test_envi_units_of_no_length_are_no_wavelength():
    """ENVI's ``Index`` (band numbers 1 … N) was read as µm: an 11th band's index was lwir11, thermal."""
    assert band_wavelength({"wavelength": "11", "wavelength_units": "Index"}, None) is None
    assert band_wavelength({"wavelength": "10.9", "wavelength_units": "GHz"}, None) is None
    assert band_wavelength({"wavelength": "20000", "wavelength_units": "Wavenumber"}, None) == pytest.approx(0.5)
    assert band_wavelength({"wavelength": "490", "wavelength_units": "Unknown"}, None) == pytest.approx(0.49)
    assert band_wavelength({"wavelength": "4.9e-7", "wavelength_units": "Meters"}, None) == pytest.approx(0.49)
