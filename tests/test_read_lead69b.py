"""Reading images, stop 69 round 3: a misnamed file's note says its kind first, Landsat 5/7's 8-bit Level-1
reflectance by the _MTL.txt, a SAR --bands example of polarisations, and band_numbers' note on Landsat 7's gains."""

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from rsvlm.eval_reading import ReadNotes
from rsvlm.io import read_image
from rsvlm.io.products import band_numbers

LE07 = "LE07_L1TP_016037_20020813_20200903_02_T1"


def _tif(path, data, names=None):
    """``data`` (C, H, W) as a GeoTIFF in UTM 33N, 30 m pixels; ``names`` its band descriptions."""
    c, h, w = data.shape
    with rasterio.open(path, "w", driver="GTiff", width=w, height=h, count=c, dtype=data.dtype, crs="EPSG:32633",
                       transform=from_origin(500000, 4000000, 30, 30)) as ds:
        ds.write(data)
        for i, n in enumerate(names or []):
            ds.set_band_description(i + 1, n)
    return path


def test_misnamed_files_notes_are_one_kind_in_an_eval_summary(tmp_path):
    """The note began with the file name ('B02.jp2 is a TIFF, though named .jp2'), so eval's summary, which groups
    notes by their opening words, listed every such file as a kind of its own."""
    data = np.random.default_rng(0).integers(500, 3000, (1, 8, 8)).astype("uint16")  # (C, H, W)
    notes = [next(n for n in read_image(_tif(tmp_path / f"{b}.jp2", data)).notes if " named .jp2" in n)
             for b in ("B02", "scene_7")]
    assert notes == ["a TIFF named .jp2: B02.jp2 read as one", "a TIFF named .jp2: scene_7.jp2 read as one"]
    seen = ReadNotes()
    seen.add("r1", [notes[0]])
    seen.add("r2", [notes[1]])
    assert [(k, v[0]) for k, v in seen.kinds.items()] == [("a TIFF named .jpN", 2)]  # (its numbers as N)


def test_a_wrong_count_of_unnamed_sar_bands_is_shown_polarisations(tmp_path):
    """The example was '--bands B1,B2', which is no SAR band's name (and Sentinel-2's numbering in an msi read)."""
    data = np.random.default_rng(1).integers(1, 3000, (2, 8, 8)).astype("uint16")  # (C, H, W) amplitude
    with pytest.raises(ValueError, match=r"the image has 2 band\(s\) as sar: give 2 names in the order of the bands "
                                         r"\(e.g. --bands VV,VH\), or give none$"):
        read_image(_tif(tmp_path / "s1.tif", data), modality="sar", bands="VV")


@pytest.mark.parametrize("names, said", [
    (["R", "NIR", "B6_VCID_1"], "B6_VCID_1 is a band name of Landsat 7's alone"),
    (["b1", "b4", "B6_VCID_1", "B6_VCID_2"], "B6_VCID_1 / B6_VCID_2 beside them are band names of Landsat 7's alone"),
])
def test_band_numbers_note_on_landsat7_gains_says_beside_them_only_beside_bare_numbers(names, said):
    """For ['R', 'NIR', 'B6_VCID_1'] it ended '… B6_VCID_1 / B6_VCID_2 beside them are Landsat 7's alone': 'them' was
    no band, and B6_VCID_2 was not among the names."""
    assert band_numbers(names, None)[1].endswith(f"; {said}")
