"""Reading images, stop 71 round 2: a whole read that is mostly nodata says so; unnamed msi bands and PlanetScope's
band names are said and matched; ESPA's brightness temperature is read in kelvin and its ancillary bands refused;
GDAL's CInt16 named as such; band names given in lower case read as the file's own spelling."""

from __future__ import annotations

import numpy as np
import pytest
from read_helpers import utm_tif

from rsvlm.io import SceneReader, read_image
from rsvlm.io.bandnames import band_at
from rsvlm.io.checks import ImageReadError

C1 = "LC08_L1TP_044034_20170614_20170628_01_T1"


def _rgb(collar: int, side: int = 64):
    """(3, side, side) uint8, its first ``collar`` columns 0 (nodata)."""
    data = np.random.default_rng(0).integers(1, 255, (3, side, side)).astype(np.uint8)
    data[:, :, :collar] = 0
    return data


def test_a_whole_read_mostly_nodata_says_the_share_and_what_the_model_sees(tmp_path):
    """A GeoTIFF a third of it declared nodata (a Landsat scene's tilted collar) read whole said nothing: the model
    silently saw black there."""
    path = utm_tif(tmp_path / "collar.tif", _rgb(24), nodata=0)  # 24 of 64 columns: 38 %
    img = read_image(path)
    said = [n for n in img.notes if "of the image is nodata" in n]
    assert said == [said[0]] and said[0].startswith("38% of the image is nodata (its nodata value or mask") and "the model sees it as 0" in said[0] \
        and "a tiled run would not help" in said[0], img.notes  # tour 77: a small scene, no 128 px window skipped
    with SceneReader(path) as scene:
        assert any(n.startswith("38% of the image is nodata") for n in scene.read_shrunk(32).notes)
        window = scene.read((0, 0, 32, 32))  # a tile: the tile merger counts those, no note of its own
        assert not any("of the image is nodata" in n for n in window.notes), window.notes
    little = read_image(utm_tif(tmp_path / "edge.tif", _rgb(8), nodata=0))  # 12 %: nothing said
    assert not any("of the image is nodata" in n for n in little.notes), little.notes


def test_the_real_landsat7_rgb_says_its_nodata_share(realdata):
    path = realdata / "msi_landsat7" / "RGB.byte.tif"
    if not path.exists():
        pytest.skip(f"{path} not found")
    assert any(n.startswith("33% of the image is nodata") for n in read_image(str(path)).notes)


def test_unnamed_msi_bands_are_said_with_the_bands_to_give(tmp_path):
    """A PlanetScope 4-band uint16 file (blue, green, red, NIR; no band names) read as b1 … b4 said nothing, and
    overlays drew b4 (its NIR) as Sentinel-2's red."""
    dn = np.random.default_rng(1).integers(300, 4000, (4, 32, 32)).astype(np.uint16)
    path = utm_tif(tmp_path / "ps.tif", dn)
    img = read_image(path)
    assert img.modality == "msi" and img.bands == ["b1", "b2", "b3", "b4"]
    said = [n for n in img.notes if n.startswith("the file names none of its 4 bands")]
    assert len(said) == 1 and "--bands B,G,R,NIR (PlanetScope's 4 bands)" in said[0] \
        and "overlays draw b3, b2, b1 as red, green, blue" in said[0], img.notes
    named = read_image(path, bands="B,G,R,NIR")
    assert named.bands == ["B", "G", "R", "NIR"] and not any("names none" in n for n in named.notes)
    two = read_image(utm_tif(tmp_path / "rn.tif", dn[:2]), modality="msi")
    assert any(n.startswith("the file names none of its 2 bands: read as b1, b2,") and "overlays" not in n
               for n in two.notes), two.notes


PLANET = ["coastal_blue", "blue", "green_i", "green", "yellow", "red", "rededge", "nir"]


def test_planet_8_band_names_are_matched_by_their_wavelengths(tmp_path):
    """PlanetScope's coastal_blue, green_i, yellow and rededge matched no band the model knows, unsaid."""
    dn = np.random.default_rng(2).integers(300, 4000, (8, 32, 32)).astype(np.uint16)
    img = read_image(utm_tif(tmp_path / "sd.tif", dn, descriptions=PLANET))
    assert img.bands == ["coastal", "blue", "green_i", "green", "yellow", "red", "rededge071", "nir"], img.bands
    assert band_at(img.bands, "B01") == 0 and band_at(img.bands, "B05") == 6 and band_at(img.bands, "B03") == 3
    said = [n for n in img.notes if n.startswith("Planet band names read by their wavelengths")]
    assert len(said) == 1 and "coastal_blue as coastal (443 nm), rededge as rededge071 (705 nm)" in said[0] \
        and "green_i (531 nm), yellow (610 nm) match no band" in said[0], img.notes
    plain = read_image(utm_tif(tmp_path / "bgrn.tif", dn[[1, 3, 5, 7]], descriptions=["blue", "green", "red", "nir"]))
    assert plain.bands == ["blue", "green", "red", "nir"] and not any("Planet band names" in n for n in plain.notes)


def test_espa_brightness_temperature_is_read_in_kelvin(tmp_path):
    """ESPA's …_bt_band10.tif (int16 K × 10, fill -9999) was guessed ir from its type and stretched as raw DN."""
    dn = np.random.default_rng(3).integers(2700, 3100, (1, 32, 32)).astype(np.int16)  # 270-310 K
    dn[:, :, :4] = -9999
    img = read_image(utm_tif(tmp_path / f"{C1}_bt_band10.tif", dn))
    assert img.modality == "ir" and img.bands == ["TIR"] and img.notes[0] == "modality inferred as ir from Landsat file name"
    assert "Landsat ESPA brightness temperature: DN × 0.1 K" in img.notes
    assert "Landsat ESPA fill: DN -9999 read as nodata (the file declares no nodata value)" in img.notes
    stretch = next(n for n in img.notes if n.startswith("stretch"))
    lo, hi = (float(x) for x in stretch.split("[")[1].rstrip("]").split(", "))
    assert "K)" in stretch and 270 <= lo < hi <= 310, stretch
    assert not img.valid[:, :4].any() and img.valid[:, 4:].all()


def test_espa_int16_reflectance_fill_is_minus_9999(tmp_path):
    """ESPA's int16 …_sr_band files fill with -9999, not USGS's DN 0: the collar was read as reflectance -1."""
    dn = np.random.default_rng(4).integers(200, 3000, (3, 32, 32)).astype(np.int16)
    dn[:, :, :6] = -9999
    paths = [utm_tif(tmp_path / f"{C1}_sr_band{b}.tif", dn[i:i + 1]) for i, b in enumerate((2, 3, 4))]
    img = read_image(paths)
    assert img.bands == ["B", "G", "R"] and not img.valid[:, :6].any() and img.valid[:, 6:].all(), img.notes
    assert any(n.startswith("Landsat ESPA fill: DN -9999 read as nodata") for n in img.notes), img.notes


@pytest.mark.parametrize("suffix,what", [("sr_atmos_opacity", "atmospheric opacity"),
                                         ("solar_zenith_band4", "the sun's zenith angle")])
def test_an_espa_ancillary_band_is_refused_as_an_image(tmp_path, suffix, what):
    """Landsat 7's …_sr_atmos_opacity.tif (and ESPA's angle bands) were guessed thermal and stretched as DN."""
    path = utm_tif(tmp_path / f"LE07_L1TP_044034_20170614_20170628_01_T1_{suffix}.tif",
                np.random.default_rng(5).integers(0, 300, (1, 32, 32)).astype(np.int16))
    with pytest.raises(ImageReadError) as e:
        read_image(path)
    assert what in str(e.value) and "(…_sr_band2.tif,…_sr_band3.tif,…) without it" in str(e.value), str(e.value)
    asked = read_image(path, modality="ir")
    assert any(n.endswith(": read as ir, as asked") and what in n for n in asked.notes), asked.notes


def test_a_cint16_file_is_said_as_gdal_names_its_type(tmp_path):
    """A Sentinel-1 SLC's CInt16 was said "complex64" (numpy's type rasterio reads it as)."""
    rng = np.random.default_rng(6)
    iq = (rng.integers(-500, 500, (1, 16, 16)) + 1j * rng.integers(-500, 500, (1, 16, 16))).astype(np.complex64)
    img = read_image(utm_tif(tmp_path / "slc.tif", iq, dtype="complex_int16"))
    assert img.modality == "sar" and img.notes[0] == "modality inferred as sar from 1 band CInt16 (complex values)"


def test_band_names_given_in_lower_case_read_as_the_files_spell_them(tmp_path):
    """``/image s1.tif sar vh`` (a chat) showed ['vh']; Sentinel-2's b04, b8a as it spells them, a word as given."""
    vh = utm_tif(tmp_path / "s1.tif", np.random.default_rng(7).random((1, 16, 16), dtype=np.float32) + 0.01)
    assert read_image(vh, modality="sar", bands="vh").bands == ["VH"]
    dn = np.random.default_rng(8).integers(300, 4000, (3, 16, 16)).astype(np.uint16)
    assert read_image(utm_tif(tmp_path / "s2.tif", dn), bands=["b02", "b8a", "red"]).bands == ["B02", "B8A", "red"]
    assert read_image(str(tmp_path / "s2.tif"), bands="b1,b2,b3").bands == ["b1", "b2", "b3"]  # still unnamed


@pytest.mark.parametrize("kind", ["L2", "ESPA"])
def test_a_thermal_band_file_among_reflectance_band_files_is_said_and_leaves_their_scale(tmp_path, kind):
    """SR_B2 … SR_B4 + ST_B10 (or ESPA's sr_band + bt_band10) were read as 4 msi bands, unsaid, and the ST file
    lost the others their Level-2 scale: DN / 10000 read reflectance 0.7-2.0."""
    rng = np.random.default_rng(9)
    prefix = "LC08_L2SP_044034_20210508_20210518_02_T1" if kind == "L2" else C1
    names = [f"{prefix}_SR_B{b}.TIF" for b in (2, 3, 4)] + [f"{prefix}_ST_B10.TIF"] if kind == "L2" else \
        [f"{C1}_sr_band{b}.tif" for b in (2, 3, 4)] + [f"{C1}_bt_band10.tif"]
    paths = [utm_tif(tmp_path / n, rng.integers(7000, 20000, (1, 16, 16)).astype(np.uint16 if kind == "L2" else np.int16))
             for n in names]
    img = read_image(paths)
    assert img.modality == "msi" and img.bands == ["B", "G", "R", "TIR"], img.notes
    note = f"{names[3]} is a thermal band (temperature, no reflectance) read beside the reflectance band files"
    assert any(n.startswith(note) and n.endswith("read it alone (ir) for temperatures") for n in img.notes), img.notes
    if kind == "L2":
        assert "Landsat Collection 2 Level-2 surface reflectance: DN × 2.75e-5 − 0.2" in img.notes, img.notes
    asked = read_image(paths, modality="msi")
    assert any(n.startswith(note) for n in asked.notes), asked.notes
    assert not any("thermal band" in n for n in read_image(paths[:3]).notes)
