"""Reading met with what is no modality or hides its own (tour 60): DEMs read as thermal or SAR,
int16 °C × 100 of a winter scene read as SAR dB, and odd files."""

from __future__ import annotations

import numpy as np
import pytest

from rsvlm.io import read_image

rasterio = pytest.importorskip("rasterio")
from read_helpers import utm_tif  # noqa: E402


def _tif(path, data, crs="EPSG:32633", **kw):
    """A GeoTIFF of ``data`` (C, H, W), 30 m pixels."""
    return utm_tif(path, data, crs=crs, origin=(300000, 5000000), **kw)


def _heights(rng, lo=150.0, hi=400.0, dtype=np.float32):
    """(1, 64, 64) a smooth hillside from ``lo`` to ``hi`` metres."""
    y, x = np.mgrid[0:64, 0:64] / 63.0
    z = lo + (hi - lo) * (0.6 * x + 0.3 * y + 0.1 * rng.random((64, 64)))
    return z[None].astype(dtype)


def _winter(rng):
    """(1, 64, 64) int16 °C × 100 of a snowy scene: -25 °C to -3 °C, a lake colder."""
    t = -1400 + 500 * rng.standard_normal((1, 64, 64))
    t[0, :, :24] -= 600
    return np.clip(t, -3000, -100).astype(np.int16)


def _set(path, units=None, description=None, scale_offset=None):
    with rasterio.open(path, "r+") as ds:
        if units is not None:
            ds.units = [units]
        if description is not None:
            ds.set_band_description(1, description)
        if scale_offset is not None:
            ds.scales, ds.offsets = [scale_offset[0]], [scale_offset[1]]
    return path


# --- a DEM is no modality ---------------------------------------------------------------------------

@pytest.mark.parametrize("how", ["unit", "description", "vertical crs"])
def test_a_dem_said_by_its_metadata_is_refused_naming_the_file_and_the_way_to_read_it(tmp_path, how):
    """A float32 DEM of 150-400 m was read as thermal in kelvin (its values lie where temperatures
    do), an int16 one with heights below sea level as SAR dB: answers about a DEM read as a thermal
    frame, without a word."""
    rng = np.random.default_rng(0)
    p = tmp_path / "tile_0420.tif"
    if how == "vertical crs":  # GDAL also gives its band the unit "metre"
        _tif(p, _heights(rng), crs="EPSG:32633+5773")
    else:
        _tif(p, (_heights(rng) - 300).astype(np.int16))  # -150 to 100 m: a coast, mostly below the sea
        _set(p, units="m") if how == "unit" else _set(p, description="Elevation above EGM2008")
    with pytest.raises(ValueError, match=r"tile_0420\.tif: band 1's .* says it holds elevation \(a DEM\), which is "
                                         r"no modality rsvlm reads .*give the modality \(--modality"):
        read_image(p)
    img = read_image(p, modality="ir")  # the user's word stands, and is said back
    assert img.modality == "ir" and any("elevation (a DEM): read as ir, as asked" in n for n in img.notes), img.notes


def test_a_dem_said_only_by_its_values_or_file_name_is_read_with_a_note_that_says_so(tmp_path):
    """Without metadata a DEM's metres cannot be told from kelvin or a thermal band's DN: the guess
    stands, and its note says it is one, naming elevation and the option that says otherwise."""
    rng = np.random.default_rng(1)
    img = read_image(_tif(tmp_path / "a.tif", _heights(rng)))  # float 150-400: kelvin by its values
    assert img.modality == "ir"
    assert "a guess from its values alone; elevation in metres may lie there too" in img.notes[0], img.notes
    img = read_image(_tif(tmp_path / "Copernicus_DSM_10_N45_00_E006_00_DEM.tif", _heights(rng, dtype=np.int16)))
    assert img.modality == "ir" and "elevation (a DEM), often signed integers" in img.notes[0], img.notes
    assert any(n.startswith("the file name says 'DSM': if it holds elevation (a DEM)") for n in img.notes), img.notes
    plain = read_image(_tif(tmp_path / "demo_scene.tif", _heights(rng, dtype=np.uint16)))  # "demo" is no DEM
    assert not any("file name says" in n for n in plain.notes), plain.notes


def test_sar_words_beside_elevation_words_are_no_dem(tmp_path):
    """Backscatter over the terrain (a "height"-corrected gamma0) is SAR, not a DEM."""
    rng = np.random.default_rng(2)
    db = (-12 + 4 * rng.standard_normal((1, 64, 64))).astype(np.float32)
    p = _set(_tif(tmp_path / "g0.tif", db), description="gamma0 VV, height corrected")
    assert read_image(p).modality == "sar"


# --- int16 °C × 100 of a winter scene -----------------------------------------------------------------

@pytest.mark.parametrize("how", ["unit °C", "unit C", "offset 273.15", "file name"])
def test_int16_celsius_of_a_winter_scene_reads_as_thermal_where_anything_says_temperature(tmp_path, how):
    """Mostly negative int16 °C × 100 read as SAR dB × 100: its unit "°C" was no temperature word, nor a
    GDAL offset of 273.15 (DN × 0.01 + 273.15 = K), nor an LST file name."""
    rng = np.random.default_rng(3)
    name = "LST_winter_2021.tif" if how == "file name" else "scene.tif"
    p = _tif(tmp_path / name, _winter(rng))
    if how.startswith("unit"):
        _set(p, units=how.split()[1])
    elif how.startswith("offset"):
        _set(p, scale_offset=(0.01, 273.15))
    img = read_image(p)
    assert img.modality == "ir", img.notes
    assert "mostly negative (2nd percentile" in img.notes[0] and "are temperatures" in img.notes[0], img.notes
    assert not any("dB" in n for n in img.notes), img.notes
    assert img.data[0, :, :24].mean() < img.data[0, :, 24:].mean()  # the colder lake stays darker


def test_bare_int16_of_mostly_negative_values_says_its_sar_guess_is_one(tmp_path):
    """Nothing in the file says what it is: dB × 100 and °C × 100 of a winter scene look alike, so the
    note says the guess is from values alone and names --modality ir for temperatures."""
    img = read_image(_tif(tmp_path / "scene.tif", _winter(np.random.default_rng(4))))
    assert img.modality == "sar"
    assert ("a guess from its values alone: --modality ir if they are temperatures below 0 °C, as °C × 100 of a "
            "winter scene are") in img.notes[0], img.notes
    named = _tif(tmp_path / "S1_VV_db_thermal_noise_removed.tif", _winter(np.random.default_rng(4)))
    assert read_image(named).modality == "sar"  # radar words in the name outweigh "thermal"


def test_a_float_band_in_celsius_is_thermal_not_sar_db(tmp_path):
    """Float LST in °C of a cold scene (-30 to +5) was read as SAR in dB: "°C" was no temperature unit."""
    t = (-12 + 6 * np.random.default_rng(5).standard_normal((1, 64, 64))).astype(np.float32)
    img = read_image(_set(_tif(tmp_path / "t.tif", t), units="°C"))
    assert img.modality == "ir" and "its unit '°C'" in img.notes[0], img.notes
    assert any(n.startswith("stretch (2-98 percentiles): b1") for n in img.notes), img.notes  # °C, not kelvin


# --- odd files ------------------------------------------------------------------------------------

def test_two_bands_described_red_and_nir_are_msi_not_a_polarisation_pair(tmp_path):
    """Two bands were sar "(dual polarisation)" whatever their descriptions said, and the note named
    no other reading."""
    dn = np.random.default_rng(6).integers(100, 3000, (2, 16, 16)).astype(np.uint16)
    bare = read_image(_tif(tmp_path / "pair.tif", dn))
    assert bare.modality == "sar" and "two multispectral bands: --modality msi" in bare.notes[0], bare.notes
    p = _tif(tmp_path / "rn.tif", dn)
    with rasterio.open(p, "r+") as ds:
        ds.set_band_description(1, "Red")
        ds.set_band_description(2, "NIR")
    img = read_image(p)
    assert img.modality == "msi" and img.bands == ["Red", "NIR"], img.notes
    assert img.notes[0] == "modality inferred as msi from 2 bands described Red, NIR"
    with rasterio.open(p, "r+") as ds:
        ds.set_band_description(1, "VV")
        ds.set_band_description(2, "VH")
    assert read_image(p).modality == "sar"
    iq = _tif(tmp_path / "slc.tif", (dn + 1j * dn).astype(np.complex64))  # complex is SAR, whatever its names
    with rasterio.open(iq, "r+") as ds:
        ds.set_band_description(1, "red")
        ds.set_band_description(2, "nir")
    assert read_image(iq).modality == "sar"


def test_an_image_with_no_finite_value_says_so_in_its_own_terms(tmp_path):
    """An all-NaN float RGB was said to lack 'an amplitude of 0, whose dB is undefined', and its
    placeholder stretch [0, 1] was called '2-98 percentiles'."""
    img = read_image(_tif(tmp_path / "nan.tif", np.full((3, 16, 16), np.nan, np.float32)))
    assert img.modality == "optical" and img.valid is not None and not img.valid.any()
    assert any(n.startswith("no valid pixel: every pixel is without a usable value (not finite: NaN or infinity)")
               for n in img.notes), img.notes
    assert not any("dB" in n or "2-98 percentiles" in n for n in img.notes), img.notes
    assert "stretch (no valid pixel to take percentiles of): R [0, 1], G [0, 1], B [0, 1]" in img.notes
    sar = read_image(_tif(tmp_path / "nan1.tif", np.full((1, 16, 16), np.nan, np.float32)))
    assert any("an amplitude of 0, whose dB is undefined" in n for n in sar.notes), sar.notes


def test_a_whole_read_larger_than_the_free_memory_is_refused_before_it_is_made(tmp_path, monkeypatch):
    """A header of 100000 x 80000 px that needs 24 GiB raw on a 23 GiB machine: where Linux lets the
    allocation through (overcommit), the read went on until the kernel killed the process, without a
    word of the file. Now it is refused first, naming the file, its size and --tile; windows that fit
    and the shrunk read still read."""
    from rsvlm.io import SceneReader, SceneTooLarge, budget

    p = _tif(tmp_path / "wide.tif", np.random.default_rng(7).integers(0, 255, (3, 64, 96)).astype(np.uint8))
    monkeypatch.setattr(budget, "available_bytes", lambda: 64 * 48 * 3 * 13)  # a 64 x 48 window fits, no more
    with pytest.raises(SceneTooLarge, match=r"wide\.tif: not enough memory to read the whole scene at once: 96x64 "
                                            r"pixels, 3 bands of uint8.*--tile 512.*GiB is available\)"):
        read_image(p)
    with SceneReader(p) as scene:
        assert scene.read((0, 0, 64, 48)).data.shape == (3, 48, 64)
        assert scene.read_shrunk(32).data.shape == (3, 21, 32)
    monkeypatch.setattr(budget, "available_bytes", lambda: None)  # no /proc/meminfo: no refusal
    assert read_image(p).data.shape == (3, 64, 96)


def test_an_rgb_of_no_finite_value_is_not_called_grey_stored_as_rgb(tmp_path):
    """+inf in every band compared equal, and the note said 'its 3 bands are identical, a grey image
    stored as RGB: if it is SAR or thermal, give the modality' of an image with no valid pixel."""
    data = np.full((3, 16, 16), np.inf, np.float32)
    img = read_image(_tif(tmp_path / "inf.tif", data))
    assert not any("identical" in n for n in img.notes), img.notes
    data[:, :8] = np.random.default_rng(8).random((1, 8, 16)).astype(np.float32)  # (1 → 3) grey where finite
    grey = read_image(_tif(tmp_path / "grey.tif", data))
    assert any(n.startswith("its 3 bands are identical") for n in grey.notes), grey.notes


@pytest.mark.parametrize("bands", ["B02,,B04", ["B02", None, "B04"], ["B02", " ", "B04"]])
def test_an_empty_band_name_is_refused_naming_its_place(tmp_path, bands):
    """'B02,,B04' (a typo in --bands) named the second band '' and a None in a list named it 'None'."""
    p = _tif(tmp_path / "three.tif", np.random.default_rng(9).integers(1, 3000, (3, 8, 8)).astype(np.uint16))
    with pytest.raises(ValueError, match=r"three\.tif: band names \[.*\]: number 2 is empty"):
        read_image(p, "msi", bands=bands)
    assert read_image(p, "msi", bands="B02, B03 ,B04").bands == ["B02", "B03", "B04"]
