"""Stop 71's lead fixes between areas."""

from __future__ import annotations

from convert_helpers import convert
from test_datagen_tour62 import band_tif  # a one-band uint16 GeoTIFF: one band file of a scene


def test_espa_band_files_under_a_class_folder_are_one_scene(tmp_path):
    # the reader names LC08_…_sr_band4.tif band B4 (abd5bbfc); the folder converter then looked for a name part
    # "B4" to cut from the scene's name and died on "max() arg is an empty sequence"
    stem = "LC08_L1TP_042034_20170616_20170629_01_T1_sr_band"
    for n in (2, 3, 4, 5):
        band_tif(tmp_path / "src" / "farm" / f"{stem}{n}.tif", value=900)
    stats, recs = convert(tmp_path / "o", "folder", "--src", str(tmp_path / "src"))
    assert len(recs) == 1 and stats["notes"]["band_files_grouped"] == 4, stats
    im = recs[0]["images"][0]
    assert im["modality"] == "msi" and [f.rsplit("_", 1)[-1] for f in im["band_files"]] == [
        "band2.tif", "band3.tif", "band4.tif", "band5.tif"]
    assert recs[0]["conversations"][1]["value"] == "farm"
