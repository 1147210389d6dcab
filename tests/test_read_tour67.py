"""Reading tour 67: ENVI wavelength units other than µm / nm, Sentinel-2 fill at resample edges, and more."""

import numpy as np
import pytest

rasterio = pytest.importorskip("rasterio")

from rsvlm.io.read import read_image  # noqa: E402
from rsvlm.io.wavelengths import band_wavelength  # noqa: E402


def envi_scene(folder, units: str, wavelengths: list[str], dtype: str = "<u2", code: int = 12):
    """An ENVI file (``scene.img`` + ``scene.hdr``), one band a wavelength, of 20x20 ``dtype`` values (ENVI ``data
    type = code``: 12 uint16), whose header gives ``wavelengths`` in ``units`` and names its bands ``Band 1`` …"""
    n = len(wavelengths)
    np.random.default_rng(0).integers(100, 3000, (n, 20, 20)).astype(dtype).tofile(folder / "scene.img")
    (folder / "scene.hdr").write_text(
        f"ENVI\nsamples = 20\nlines = 20\nbands = {n}\nheader offset = 0\nfile type = ENVI Standard\n"
        f"data type = {code}\ninterleave = bsq\nbyte order = 0\n"
        f"band names = {{{', '.join(f'Band {i + 1}' for i in range(n))}}}\n"
        f"wavelength units = {units}\nwavelength = {{{', '.join(wavelengths)}}}\n")
    return folder / "scene.img"


@pytest.mark.filterwarnings("ignore::rasterio.errors.NotGeoreferencedWarning")
@pytest.mark.parametrize("units, wavelengths", [
    ("Millimeters", ["0.000490", "0.000560", "0.000665", "0.000842"]),
    ("Meters", ["4.9e-7", "5.6e-7", "6.65e-7", "8.42e-7"]),
    ("Wavenumber", ["20408", "17857", "15038", "11876"]),
])
def test_envi_bands_in_other_wavelength_units_are_named_by_their_wavelength(tmp_path, units, wavelengths):
    """ENVI's ``wavelength units = Millimeters`` was read as µm (0.00049 µm names nothing), so the bands kept
    GDAL's ``Band 1 (0.000490 Millimeters)`` and the msi stem matched none of them; in Meters or Wavenumber the
    wavelengths were read right, but GDAL's ``Band 1 (4.9e-7 Meters)`` / ``(20408 Wavenumber)`` was kept as a
    name of the band's own (its appended wavelength not recognised), so the bands were named by none."""
    img = read_image(envi_scene(tmp_path, units, wavelengths))
    assert img.bands == ["blue", "green", "red", "nir"], img.notes


def test_envi_wavelength_units_are_read_as_micrometres_or_as_no_wavelength():
    """ENVI's ``Index`` (band numbers 1 … N) was read as µm: an 11th band's index was lwir11, thermal; units of a
    length or its inverse (``Wavenumber``) are read as µm, ``Unknown`` as a unit unsaid (nm above 100)."""
    assert band_wavelength({"wavelength": "11", "wavelength_units": "Index"}, None) is None
    assert band_wavelength({"wavelength": "10.9", "wavelength_units": "GHz"}, None) is None
    assert band_wavelength({"wavelength": "20000", "wavelength_units": "Wavenumber"}, None) == pytest.approx(0.5)
    assert band_wavelength({"wavelength": "490", "wavelength_units": "Unknown"}, None) == pytest.approx(0.49)
    assert band_wavelength({"wavelength": "4.9e-7", "wavelength_units": "Meters"}, None) == pytest.approx(0.49)


def _band(path, dn, pixel: float = 30.0, scale: float | None = None) -> str:
    """A one-band uint16 GeoTIFF of ``dn`` (H, W) at ``pixel`` m in UTM 33N, from (500000, 5000000), no nodata,
    with a GDAL scale (offset 0) where given."""
    from rasterio.transform import from_origin

    with rasterio.open(path, "w", driver="GTiff", width=dn.shape[1], height=dn.shape[0], count=1, dtype="uint16",
                       crs="EPSG:32633", transform=from_origin(500000, 5000000, pixel, pixel)) as ds:
        ds.write(dn[None])  # (1, H, W)
        if scale is not None:
            ds.scales, ds.offsets = (scale,), (0.0,)
    return str(path)


def test_a_coarser_sentinel2_band_keeps_its_dn0_collar_out_of_resampling(tmp_path):
    """A 20 m band beside 10 m ones was resampled with its DN 0 collar as data: the pixels along the swath's edge
    read half-dark (DN 500 of 1000), and pixels of the collar half a coarse pixel in read as valid ground."""
    fine = np.full((40, 40), 800, np.uint16)
    fine[:, :20] = 0  # the collar: the left half, in every band
    coarse = np.full((20, 20), 1000, np.uint16)
    coarse[:, :10] = 0
    paths = [_band(tmp_path / "B02.tif", fine, 10.0), _band(tmp_path / "B03.tif", fine, 10.0),
             _band(tmp_path / "B05.tif", coarse, 20.0)]
    img = read_image(paths, modality="msi", scaling={"stretch": None})
    assert any(n.startswith("Sentinel-2 fill: DN 0 read as nodata") for n in img.notes), img.notes
    b05 = img.data[2][img.valid]  # reflectance of the valid pixels: DN / 10000
    assert b05.min() == pytest.approx(0.1, abs=1e-4), np.unique(b05)
    assert not img.valid[:, :19].any()  # the collar, the coarse band's bilinear reach into it aside


def test_an_unflagged_alpha_is_found_in_the_stretch_sample_without_a_second_read(tmp_path, monkeypatch):
    """4 uint8 bands R, G, B and an unflagged 4th: the alpha check read band 4 by itself (256 px), after or
    before the sample read for the NIR check, decoding a pixel-interleaved file without overviews twice."""
    from rsvlm.io import sources

    rgba = np.random.default_rng(4).integers(1, 255, (4, 32, 40)).astype(np.uint8)  # (4, H, W)
    rgba[3] = 255
    rgba[3, :, :10] = 0
    with rasterio.open(tmp_path / "rgba.tif", "w", driver="GTiff", width=40, height=32, count=4, dtype="uint8",
                       photometric="RGB") as ds:
        ds.write(rgba)
    calls = []
    read = sources.RasterioSource.read_decimated
    monkeypatch.setattr(sources.RasterioSource, "read_decimated",
                        lambda self, *args: calls.append(args[:2]) or read(self, *args))
    img = read_image(tmp_path / "rgba.tif")
    assert any("band 4 holds only 0 and 255 as an alpha band does" in n for n in img.notes), img.notes
    assert [c for c in calls if c[1] == [3]] == [] and len(calls) == 1, calls


def test_a_deci_celsius_band_that_declares_its_scale_is_not_read_as_a_pan_photo(tmp_path):
    """5-45 °C stored as DN × 0.1 (DN 50-450, spread wider than their median) met the panchromatic rule and was
    read as optical, though the file declares the 0.1 that makes them temperatures."""
    dn = np.random.default_rng(1).uniform(50, 450, (64, 64)).astype(np.uint16)  # (H, W)
    img = read_image(_band(tmp_path / "scene.tif", dn, scale=0.1))
    assert img.modality == "ir", img.notes
    pan = read_image(_band(tmp_path / "pan.tif", dn))  # no scale: values alone say pan, as before
    assert pan.modality == "optical" and "--modality ir" in pan.notes[0], pan.notes
    refl = read_image(_band(tmp_path / "refl.tif", dn, scale=0.0001))  # reflectance: 0.005-0.045, no °C
    assert refl.modality == "optical", refl.notes


@pytest.mark.filterwarnings("ignore::rasterio.errors.NotGeoreferencedWarning")
def test_an_envi_data_file_cut_short_is_refused_naming_what_is_missing(tmp_path):
    """GDAL reads the rows an ENVI data file lacks as 0 without a word (ENVI files may be sparse): a download cut
    at 30 % read as a scene whose last three bands were black."""
    from rsvlm.io.checks import ImageReadError

    img = envi_scene(tmp_path, "Nanometers", ["490", "560", "665", "842"])
    whole = img.read_bytes()
    img.write_bytes(whole[:1000])
    with pytest.raises(ImageReadError, match=r"scene\.img: the data file is cut short: 1000 bytes, where scene\.hdr "
                                             r"describes 3200 \(4 bands of 20x20 uint16"):
        read_image(img)
    img.write_bytes(whole + b"\0" * 10)  # longer than described: read as before
    assert read_image(img).data.shape == (4, 20, 20)


def test_an_esri_bil_cut_short_is_refused_and_a_whole_one_read(tmp_path):
    """An ESRI ``.bil`` + ``.hdr`` cut short read as black rows and bands too, as an ENVI file's did."""
    from rasterio.transform import from_origin

    from rsvlm.io.checks import ImageReadError

    dn = np.random.default_rng(2).integers(1, 3000, (4, 16, 16)).astype(np.uint16)  # (C, H, W)
    with rasterio.open(tmp_path / "scene.bil", "w", driver="EHdr", width=16, height=16, count=4, dtype="uint16",
                       crs="EPSG:32633", transform=from_origin(500000, 5000000, 10, 10)) as ds:
        ds.write(dn)
    assert read_image(tmp_path / "scene.bil").data.shape == (4, 16, 16)
    whole = (tmp_path / "scene.bil").read_bytes()
    (tmp_path / "scene.bil").write_bytes(whole[:600])
    with pytest.raises(ImageReadError, match=r"cut short: 600 bytes, where scene\.hdr describes 2048 .*at least"):
        read_image(tmp_path / "scene.bil")
