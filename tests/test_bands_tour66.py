"""Band names as a demanding remote-sensing user meets them (session 66, helper P): STAC's nir08, Landsat 5/7's
thermal band by wavelength, ENVI band numbers that their wavelengths settle."""

from __future__ import annotations

import numpy as np
import pytest

from rsvlm.io.bandnames import band_at, near_band_at
from rsvlm.io.wavelengths import common_name, named_by_wavelength
from rsvlm.model.stem import StemConfig, match_bands


def test_earth_searchs_nir08_is_sentinel2s_b8a_and_still_stands_in_for_b08_alone():
    """Earth Search names Sentinel-2's B8A nir08, but no band name met the other, so a stem wanting B8A found none
    in a STAC stack. B8A itself still never stands in for B08 (tests/test_stem_bands), nir08 does where no broad
    NIR is there (Landsat's only NIR)."""
    stac = ["blue", "green", "red", "nir", "nir08", "swir16"]  # Earth Search's Sentinel-2 asset names
    assert band_at(stac, "B8A") == 4 and band_at(["B8A"], "nir08") == 0
    stem = StemConfig(modality="msi", bands=["B04", "B08", "B8A"], mean=[0.0] * 3, std=[1.0] * 3)
    m = match_bands(stem, stac, 6, "s2_stac.tif", fill="mean")
    assert m.index[:3] == [2, 3, 4] and "band nir08 read as B8A" in m.notes, m.notes
    assert near_band_at(["B02", "B8A"], "B08") is None  # Sentinel-2's B8A is no B08
    assert near_band_at(["blue", "nir08"], "B08") == 1  # Landsat's nir08 is, where no B08 is there
    assert band_at(["nir", "nir08"], "B08") == 0  # the broad NIR first


def test_landsat7_thermal_band_by_wavelength_is_tir():
    """Landsat 5/7's B6 (10.4-12.5 µm, centred 11.45 µm) fell between the table's lwir11 (to 11.3 µm) and lwir12
    (from 11.5 µm), so a stack with it was named by no wavelength. STAC's lwir11 reaches 11.5 µm."""
    assert common_name(11.45) == "lwir11" and common_name(11.49) == "lwir11" and common_name(11.5) == "lwir12"
    assert common_name(10.9) == "lwir11" and common_name(12.0) == "lwir12"  # Landsat 8's B10, B11 as before
    um = (0.485, 0.56, 0.66, 0.835, 1.65, 11.45, 2.215)  # Landsat 7 ETM+ B1-B7, in band order
    names, notes = named_by_wavelength([None] * 7, [{"wavelength": w, "wavelength_units": "Micrometers"} for w in um])
    assert names == ["blue", "green", "red", "nir", "swir16", "lwir11", "swir22"] and "lwir11 (11.45 µm)" in notes[0]
    ir = StemConfig(modality="ir", bands=["TIR"], mean=[0.5], std=[0.25])
    assert match_bands(ir, names, 7, "le07.img").index == [5]


def _tags(nm):
    return [{"wavelength": w, "wavelength_units": "Nanometers"} for w in nm]


def test_band_numbers_settled_by_sentinel2_wavelengths_are_its_bands():
    """B2, B3, B4, B8 with Sentinel-2's wavelengths were still told 'band numbers name no mission'; where every
    bare number's wavelength lies in the range of one mission's band of that number (Sentinel-2's first, then
    Landsat 8/9's, 4/5/7's) they are read as its bands."""
    nm = (490, 560, 665, 842)
    gdal = [f"B{b} ({w}.0000 Nanometers)" for b, w in zip((2, 3, 4, 8), nm)]  # GDAL appends the wavelength
    names, notes = named_by_wavelength(gdal, _tags(nm))
    assert names == ["B02", "B03", "B04", "B08"] and len(notes) == 1, notes
    assert notes[0].startswith("band numbers read as Sentinel-2's") and "B8 as B08 (0.842 µm)" in notes[0]
    landsat8, said8 = named_by_wavelength(["B2", "B3", "B4", "B5"], _tags((482, 561, 655, 865)))  # B5 is no B05
    assert landsat8 == ["B", "G", "R", "NIR"] and said8[0].startswith("band numbers read as Landsat 8/9's"), said8
    um7 = (485, 560, 660, 835, 1650, 11450, 2215)  # ETM+ B1-B7: B1 is blue, no B01; B6 thermal (lwir11 now)
    landsat7, said7 = named_by_wavelength([f"B{i}" for i in range(1, 8)], _tags(um7))
    assert landsat7 == ["B", "G", "R", "NIR", "SWIR1", "TIR", "SWIR2"] and "B6 as TIR (11.45 µm)" in said7[0], said7
    pan = named_by_wavelength(["B2", "B8"], _tags((482, 590)))  # Landsat 8's pan (green range) fits no numbering
    assert pan == (["B2", "B8"], [])
    unsure = named_by_wavelength(["B2", "B3"], [_tags((490,))[0], {}])  # one number without a wavelength
    assert unsure == (["B2", "B3"], [])


def test_an_envi_stack_numbered_with_sentinel2_wavelengths_gets_no_mission_note(tmp_path):
    rasterio = pytest.importorskip("rasterio")
    from rsvlm.io import read_image

    arr = np.random.default_rng(66).integers(100, 3000, (4, 12, 12)).astype(np.uint16)  # (C, H, W)
    p = tmp_path / "scene.img"
    with rasterio.open(p, "w", driver="ENVI", width=12, height=12, count=4, dtype="uint16") as d:
        d.write(arr)
    hdr = tmp_path / "scene.hdr"
    hdr.write_text(hdr.read_text() + "band names = {B2, B3, B4, B8}\nwavelength units = Nanometers\n"
                   "wavelength = {490, 560, 665, 842}\n", encoding="utf-8")
    img = read_image(str(p))
    assert img.bands == ["B02", "B03", "B04", "B08"], img.notes
    assert not any("name no mission" in n for n in img.notes), img.notes
    assert any(n.startswith("band numbers read as Sentinel-2's") for n in img.notes), img.notes


def test_earth_search_red_edge_assets_are_sentinel2s_b05_to_b07():
    """Earth Search v1 names Sentinel-2's B05, B06, B07 rededge1, rededge2, rededge3 (STAC 1.1's rededge071/075/078
    elsewhere): a stem wanting B05 found none of them in an Earth Search stack."""
    es = ["coastal", "blue", "green", "red", "rededge1", "rededge2", "rededge3", "nir", "nir08", "nir09", "swir16", "swir22"]
    assert [band_at(es, b) for b in ("B05", "B06", "B07", "B08", "B8A", "B09")] == [4, 5, 6, 7, 8, 9]
    assert band_at(["rededge071", "rededge2"], "rededge075") == 1
