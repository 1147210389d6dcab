"""Reading images, stop 69 follow-ups: a --bands of the wrong count says the way out, Landsat 7's two band 6 gains,
ESRI's B02.aux.xml among band files, and one rule for a file whose extension names another format."""

import numpy as np
import pytest
import rasterio
from PIL import Image
from rasterio.transform import from_origin

from rsvlm.io import read_image

LE07 = "LE07_L1TP_016037_20020813_20200903_02_T1"


def utm_tif(path, data, names=None, driver="GTiff"):
    """``data`` (C, H, W) written by GDAL's ``driver`` in UTM 33N, 30 m pixels; ``names`` its band descriptions
    (test_read_lead69b.py's too)."""
    c, h, w = data.shape
    with rasterio.open(path, "w", driver=driver, width=w, height=h, count=c, dtype=data.dtype, crs="EPSG:32633",
                       transform=from_origin(500000, 4000000, 30, 30)) as ds:
        ds.write(data)
        for i, n in enumerate(names or []):
            ds.set_band_description(i + 1, n)
    return path


def _rgbn(tmp_path):
    data = np.random.default_rng(0).integers(100, 4000, (4, 16, 16)).astype("uint16")  # (C, H, W)
    return utm_tif(tmp_path / "rgbn.tif", data, ["R", "G", "B", "NIR"])


def test_a_wrong_count_of_band_names_says_how_many_to_give_or_to_give_none(tmp_path):
    """It said '3 band names [...] given; the image has 4 band(s) as msi' and no way out."""
    with pytest.raises(ValueError) as e:
        read_image(_rgbn(tmp_path), bands="R,G,B")
    assert str(e.value).endswith("3 band names ['R', 'G', 'B'] given; the image has 4 bands as msi: give 4 names "
                                 "in the order of the bands (e.g. --bands R,G,B,NIR), or give none (they are then "
                                 "read as R, G, B, NIR)")
    grey = utm_tif(tmp_path / "grey.tif", np.random.default_rng(1).integers(0, 9999, (2, 8, 8)).astype("uint16"))
    with pytest.raises(ValueError, match=r"give 2 names in the order of the bands \(e.g. --bands B04,B08\), or "
                                         r"give none$"):  # unnamed: Sentinel-2's red and NIR as the example
        read_image(grey, modality="msi", bands=["VV"])


def test_a_wrong_count_of_band_names_is_said_with_the_way_out_by_predict_and_chat(tmp_path, ckpt, capsys):
    from test_predict_edges import chat_repl

    from rsvlm.cli import main

    path = _rgbn(tmp_path)
    assert main(["predict", "--model", str(ckpt), "--image", str(path), "--bands", "R,G,B", "--prompt",
                 "[cls] scene?"]) != 0
    assert "give 4 names in the order of the bands (e.g. --bands R,G,B,NIR), or give none" in capsys.readouterr().err
    repl, out = chat_repl(ckpt)
    assert not repl.load_image([str(path), "msi", "R,G,B"])
    assert (f"give 4 names in the order of the bands (e.g. /image {path} msi R,G,B,NIR), or give none (they are "
            "then read as R, G, B, NIR)") in out.getvalue()


def _dn(n, seed=0):
    return np.random.default_rng(seed).integers(60, 200, (n, 16, 16)).astype("uint8")  # (C, H, W) Landsat 7 DN


def test_landsat7_both_band_6_gains_as_band_files_read_the_low_gain_as_tir(tmp_path):
    """B6_VCID_1 and B6_VCID_2 files were both named TIR (two bands of one name), and given alone as the scene's
    thermal band they were refused: '2 band(s) cannot be read as ir'."""
    files = [str(utm_tif(tmp_path / f"{LE07}_{b}.TIF", _dn(1, k)))
             for k, b in enumerate(["B3", "B4", "B6_VCID_1", "B6_VCID_2"])]
    img = read_image(files)
    assert img.modality == "msi" and img.bands == ["R", "NIR", "TIR"] and img.files == files[:3]
    note = (f"Landsat 7's high-gain band 6 left out of the read: {LE07}_B6_VCID_2.TIF (the same thermal band as "
            f"{LE07}_B6_VCID_1.TIF, at low gain, which saturates less over hot ground and is read as TIR)")
    assert note in img.notes
    thermal = read_image(files[2:])
    assert thermal.modality == "ir" and thermal.bands == ["TIR"] and note in thermal.notes
    assert read_image(files[3:]).bands == ["TIR"]  # the high gain alone is the band read


def test_landsat7_stack_reads_b6_vcid_1_as_tir_and_leaves_b6_vcid_2_out(tmp_path):
    """Earth Engine's LANDSAT/LE07 stack: both gains kept their raw names, matched by no model band."""
    names = ["B1", "B2", "B3", "B4", "B5", "B6_VCID_1", "B6_VCID_2", "B7", "B8"]
    path = utm_tif(tmp_path / "export.tif", _dn(9), names)
    img = read_image(path)
    assert img.bands == ["B", "G", "R", "NIR", "SWIR1", "TIR", "SWIR2", "pan"] and img.data.shape[0] == 8
    assert any(n.startswith("Landsat 7's high-gain band 6 left out of the read: B6_VCID_2 (") for n in img.notes)
    assert any("Landsat 7's numbering" in n and "B6_VCID_1 as TIR" in n for n in img.notes)
    with pytest.raises(ValueError, match=r"the image has 8 bands as msi \(B6_VCID_2 of the file left out of the "
                                         r"read\): give 8 names"):  # 9 names for 9 bands: the one left out is said
        read_image(path, bands=",".join(names))
    high = read_image(utm_tif(tmp_path / "high.tif", _dn(3), ["B3", "B4", "B6_VCID_2"]))
    assert high.bands == ["R", "NIR", "TIR"]  # the high gain alone is TIR


def test_an_esri_aux_xml_among_band_files_is_left_out_as_gdals_is(tmp_path):
    """ArcGIS's B02.aux.xml (no image extension in its name) beside B02.tif was refused as 'a text file'."""
    files = [str(utm_tif(tmp_path / f"{b}.tif", np.random.default_rng(k).integers(500, 3000, (1, 16, 16))
                      .astype("uint16"))) for k, b in enumerate(("B02", "B03"))]
    aux = tmp_path / "B02.aux.xml"
    aux.write_text("<PAMDataset></PAMDataset>")
    img = read_image([files[0], str(aux), files[1]])
    assert img.bands == ["B02", "B03"] and img.files == files
    assert "GDAL sidecar B02.aux.xml given beside its image: left out (it holds the image's statistics or " \
           "metadata, no band)" in img.notes
    lone = tmp_path / "B04.aux.xml"  # no B04.<ext> given: no band either, refused, named
    lone.write_text("<PAMDataset></PAMDataset>")
    with pytest.raises(ValueError, match="B04.aux.xml"):
        read_image([*files, str(lone)])


def test_a_file_whose_extension_names_another_format_is_said_whatever_the_extension(tmp_path):
    """The real msi_s2 band files are GeoTIFFs named .jp2: unsaid, where a TIFF named .png was said."""
    data = np.random.default_rng(2).integers(500, 3000, (1, 16, 16)).astype("uint16")
    files = [str(utm_tif(tmp_path / f"{b}.jp2", data)) for b in ("B02", "B03")]
    assert "a TIFF named .jp2: B02.jp2 read as one" in read_image(files[0]).notes
    both = read_image(files).notes  # one note for the band files alike, not one each
    assert [n for n in both if " named .jp2:" in n] == ["a TIFF named .jp2: B02.jp2, B03.jp2 each read as one"]
    png = utm_tif(tmp_path / "scene.tif", np.random.default_rng(3).integers(0, 255, (3, 16, 16)).astype("uint8"),
               driver="PNG")
    assert "a PNG named .tif: scene.tif read as one" in read_image(png).notes
    jpeg = tmp_path / "photo.png"
    Image.fromarray(np.random.default_rng(4).integers(0, 255, (16, 16, 3), dtype=np.uint8)).save(jpeg, "JPEG")
    assert "a JPEG named .png: photo.png read as one" in read_image(jpeg).notes
    plain = utm_tif(tmp_path / "plain.tif", data)  # extension and format agree: nothing said
    assert not [n for n in read_image(plain).notes if " named .tif:" in n]


def test_the_real_sentinel2_band_files_say_they_are_tiffs(realdata):
    names = [str(realdata / "msi_s2" / f"{b}.jp2") for b in ("B02", "B03", "B04", "B08")]
    notes = read_image(names).notes
    assert "a TIFF named .jp2: B02.jp2, B03.jp2, B04.jp2, B08.jp2 each read as one" in notes


def test_a_float_toa_stack_with_thermal_bands_in_kelvin_keeps_its_reflectance(tmp_path):
    """Earth Engine's LANDSAT/LC08 TOA export: reflectance 0-1 beside B10, B11 in kelvin, whose 300s made the 98th
    percentile pass 2: every band was read as float DN / 10000 (red 0.2 as 2e-5)."""
    data = np.random.default_rng(5).uniform(0.02, 0.4, (11, 16, 16)).astype("float32")  # (C, H, W)
    data[9:] = np.random.default_rng(6).uniform(280, 310, (2, 16, 16))
    img = read_image(utm_tif(tmp_path / "toa.tif", data, [f"B{i}" for i in range(1, 12)]))
    red = img.bands.index("R")
    np.testing.assert_allclose(img.data[red], data[3], rtol=1e-5)  # reflectance as stored
    assert not any("are no reflectance" in n for n in img.notes)
    assert any(n.startswith("thermal bands TIR, TIR2 kept as stored beside reflectance") for n in img.notes)
    dn = read_image(utm_tif(tmp_path / "dn.tif", data * np.float32(10000), [f"B{i}" for i in range(1, 12)]))
    np.testing.assert_allclose(dn.data[red], data[3], rtol=1e-4)  # float DN still read as DN / 10000


def test_a_band_flagged_alpha_but_described_nir_is_read_as_nir(tmp_path):
    """rasterio's (GDAL's) default flags a 4-band uint8 GeoTIFF's 4th band alpha: an RGBN file described R, G, B, NIR
    was read as optical, its NIR dropped as transparency and its 0s masked, said only as 'alpha band read as nodata (transparent pixels masked), not as a band'."""
    data = np.random.default_rng(7).integers(1, 250, (4, 16, 16)).astype("uint8")  # (C, H, W)
    data[3, :2] = 0  # NIR 0: dark water, no transparency
    img = read_image(utm_tif(tmp_path / "rgbn8.tif", data, ["R", "G", "B", "NIR"]))
    assert img.modality == "msi" and img.bands == ["R", "G", "B", "NIR"] and img.valid is None
    assert "band 4 is flagged alpha but described NIR: read as NIR, no alpha (GDAL flags a 4th uint8 band alpha " \
           "unless told otherwise)" in img.notes
    data[3] = 255
    data[3, :2] = 0
    rgba = read_image(utm_tif(tmp_path / "rgba.tif", data))  # an alpha described as none stays one
    assert rgba.modality == "optical" and not rgba.valid[:2].any() and rgba.valid[2:].all()


def test_landsat7_8_bit_thermal_band_is_put_in_kelvin_by_its_mtl(tmp_path):
    """Landsat 5/7 Level-1 bands are uint8: the _MTL.txt's brightness temperature, as docs/readers.md promises for
    LE07_…_B6_VCID_1.TIF, was applied to uint16 alone, and the 8-bit DN were stretched as they were, unsaid."""
    band = utm_tif(tmp_path / f"{LE07}_B6_VCID_1.TIF", _dn(1))
    (tmp_path / f"{LE07}_MTL.txt").write_text(  # written after the band: GDAL's create deletes an _MTL.txt beside it
        "GROUP = LEVEL1_RADIOMETRIC_RESCALING\n    RADIANCE_MULT_BAND_6_VCID_1 = 6.7087E-02\n"
        "    RADIANCE_ADD_BAND_6_VCID_1 = -0.06709\n    K1_CONSTANT_BAND_6_VCID_1 = 666.09\n"
        "    K2_CONSTANT_BAND_6_VCID_1 = 1282.71\nEND\n")
    img = read_image(band)
    assert img.modality == "ir" and any(n.startswith("Landsat Level-1 brightness temperature from the _MTL.txt")
                                        for n in img.notes)
    assert any(n.startswith("stretch (2-98 percentiles, K)") for n in img.notes)
