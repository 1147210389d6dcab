"""Reading images, review of stop 71: the refusals of product files (Sentinel-2 Level-2A's SCL, AOT, WVP, Landsat's
quality bands) go by the product's naming, not by a word inside an ordinary name, and only for a one-band file; a
file whose bands differ in type is refused only where the bands read differ."""

from __future__ import annotations

import re

import numpy as np
import pytest
from read_helpers import utm_tif

from rsvlm.io import read_image
from rsvlm.io.checks import ImageReadError


def _classes(c: int = 1):
    return np.random.default_rng(0).choice([0, 4, 5, 8, 9, 10], (c, 32, 32)).astype("uint8")  # (C, H, W)


@pytest.mark.parametrize("name", ["coast_scl.tif", "harbour_aot.tif", "river_wvp.tif", "mosaic_aot_10m.tif",
                                  "scalloped_coast.tif", "aotea_harbour.tif", "qatar.tif", "cloud_cld_20m.tif",
                                  "qatar_pixel_qa.tif", "field_st_qa.tif", "S2B_scl_map.tif"])
def test_a_word_inside_an_ordinary_name_is_no_product_file(tmp_path, name):
    """``…_(SCL|AOT|WVP)`` at the end of any name was refused as a Sentinel-2 Level-2A product: ``coast_scl.tif``."""
    img = read_image(utm_tif(tmp_path / name, _classes(), res=20))
    assert not any("Level-2A product" in n or "quality band" in n for n in img.notes), img.notes


@pytest.mark.parametrize("name,q,way", [
    ("S2B_10TES_20230101_0_L2A_SCL.tif", "SCL", "(…_B02.tif,…_B03.tif,…)"),  # Earth Search's item ID + its asset
    ("CLD_20m.jp2", "CLD", "(B02.jp2,B03.jp2,…)"),  # AWS's sentinel-s2-l2a qi/CLD_20m.jp2
    ("L2A_T33UUP_20180613T101559_SNW_20m.jp2", "SNW", "(…_B02_10m.jp2,…_B03_10m.jp2,…)"),
    ("aot.tif", "AOT", "(B02.tif,B03.tif,…)")])
def test_a_sentinel2_product_file_by_its_naming_is_still_refused(tmp_path, name, q, way):
    with pytest.raises(ImageReadError) as e:
        read_image(utm_tif(tmp_path / name, _classes(), res=20))
    assert f"a Sentinel-2 Level-2A product ({q}): " in str(e.value) and f"band files {way} without it" in str(e.value)


@pytest.mark.parametrize("name", ["SCL.tif", "LC08_L2SP_044034_20210508_20210518_02_T1_QA_PIXEL.TIF"])
def test_a_three_band_photo_named_as_a_product_file_is_read(tmp_path, name):
    """A quality or classes file holds one band: an RGB file so named is none (it was refused)."""
    img = read_image(utm_tif(tmp_path / name, _classes(3), res=20))
    assert img.modality == "optical" and img.data.shape[0] == 3, img.notes


def test_bands_of_another_type_left_out_of_the_read_are_no_matter(tmp_path):
    """A VRT of VV, VH (float32) and an incidence angle (uint16), the angle left out: it read as sar, and had been
    refused at open for its types; a VRT whose bands read differ is still refused, naming it."""
    rng = np.random.default_rng(1)
    utm_tif(tmp_path / "vv.tif", (rng.random((1, 32, 32)) * 0.3).astype("float32"), res=20)
    utm_tif(tmp_path / "vh.tif", (rng.random((1, 32, 32)) * 0.05).astype("float32"), res=20)
    utm_tif(tmp_path / "ang.tif", rng.integers(30, 45, (1, 32, 32)).astype("uint16"), res=20)

    def vrt(name, bands):
        xml = "".join(f'<VRTRasterBand dataType="{t}" band="{i + 1}"><Description>{d}</Description><SimpleSource>'
                      f'<SourceFilename relativeToVRT="1">{f}</SourceFilename><SourceBand>1</SourceBand></SimpleSource>'
                      f"</VRTRasterBand>" for i, (t, f, d) in enumerate(bands))
        (tmp_path / name).write_text(f'<VRTDataset rasterXSize="32" rasterYSize="32"><SRS>EPSG:32633</SRS>'
                                     f"<GeoTransform>500000,20,0,4000000,0,-20</GeoTransform>{xml}</VRTDataset>")
        return str(tmp_path / name)

    s1 = read_image(vrt("s1.vrt", [("Float32", "vv.tif", "VV"), ("Float32", "vh.tif", "VH"),
                                   ("UInt16", "ang.tif", "angle")]))
    assert s1.modality == "sar" and s1.bands == ["VV", "VH"], s1.notes
    mixed = vrt("mixed.vrt", [("Float32", "vv.tif", "VV"), ("UInt16", "ang.tif", "VH")])
    with pytest.raises(ValueError, match=rf"^{re.escape(mixed)}: its bands are of different types \(float32, uint16\), read as "
                                         rf"one image of one type: write them as one \(gdal_translate -ot Float32 "):
        read_image(mixed)
