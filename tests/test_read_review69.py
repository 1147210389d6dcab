"""Reading images, stop 69 review: fill notes name the band files that declare no nodata (they said "the file" of
a folder of band files); Landsat 8's B1 … B11 beside QA_PIXEL; lead69's follow-ups: a misflagged alpha keeps the file's internal mask, a wrong --bands count names the left-out B6_VCID_2
file, a file of an unlisted GDAL driver is named by it."""

import numpy as np
import pytest

rasterio = pytest.importorskip("rasterio")

from rasterio.transform import from_origin  # noqa: E402
from read_helpers import utm_tif  # noqa: E402
from test_read_tour69 import described  # noqa: E402

from rsvlm.io import read_image  # noqa: E402
from rsvlm.io.fills import NO_NODATA, no_nodata_declared  # noqa: E402


def _band(path, a, pixel=10.0):
    """``a`` (H, W) as a one-band GeoTIFF in UTM 33N, declaring no nodata."""
    return utm_tif(path, a[None], res=pixel)  # (1, H, W)


def _collared(dtype, lo, hi, fill, seed):
    a = np.random.default_rng(seed).uniform(lo, hi, (32, 32)).astype(dtype)  # (H, W)
    a[:, :8] = fill
    return a


def test_sentinel2_fill_of_band_files_names_them(tmp_path):
    """B02.tif … B04.tif with a DN 0 collar: the note said "the file declares no nodata value"."""
    files = [_band(tmp_path / f"{b}.tif", _collared("uint16", 500, 3000, 0, k)) for k, b in
             enumerate(("B02", "B03", "B04"))]
    img = read_image(files)
    assert any(n.startswith("Sentinel-2 fill: DN 0 read as nodata (the band files (B02.tif, B03.tif, B04.tif) "
                            "declare no nodata value;") for n in img.notes), img.notes  # tour 77: how to keep zeros


def test_an_undeclared_minus_9999_in_every_band_file_names_them(tmp_path):
    files = [_band(tmp_path / f"x_{b}.tif", _collared("float32", 0.02, 0.4, -9999, k)) for k, b in
             enumerate(("B02", "B03", "B04", "B08"))]
    img = read_image(files)
    note = next(n for n in img.notes if "far outside the others'" in n)
    assert "and the band files (x_B02.tif, x_B03.tif, x_B04.tif, x_B08.tif) declare no nodata: read as" in note
    assert "the file declares" not in note


def test_dn0_in_every_unnamed_band_file_names_them(tmp_path):
    """Integer msi band files no name calls Sentinel-2 or Landsat keep DN 0 as data, said with the files named."""
    files = [_band(tmp_path / f"scene_{b}.tif", _collared("uint16", 500, 3000, 0, k)) for k, b in
             enumerate(("blue", "green", "red"))]
    img = read_image(files, modality="msi")
    note = next(n for n in img.notes if "DN 0 in all 3 bands" in n)
    assert "the band files (scene_blue.tif, scene_green.tif, scene_red.tif) declare no nodata" in note


def test_one_file_still_says_the_file():
    assert no_nodata_declared(["stack.tif"]) == NO_NODATA == "the file declares no nodata"


def test_many_band_files_are_named_first_two_and_last():
    told = no_nodata_declared([f"/data/T33UUP_B{i:02d}.jp2" for i in range(1, 13)])
    assert told == "the 12 band files (T33UUP_B01.jp2, T33UUP_B02.jp2, …, T33UUP_B12.jp2) declare no nodata"


def test_landsat_8_b1_to_b11_beside_its_qa_band_is_landsat(tmp_path):
    """Earth Engine's LANDSAT/LC08 TOA image exported whole, B1 … B11 and QA_PIXEL: only exactly B1 … B11 had
    said Landsat, so its pan B8 was read as Sentinel-2's near infrared."""
    img = read_image(described(tmp_path / "export.tif", [f"B{i}" for i in range(1, 12)] + ["QA_PIXEL"]))
    assert img.bands[:8] == ["coastal", "B", "G", "R", "NIR", "SWIR1", "SWIR2", "pan"]
    note = next(n for n in img.notes if "Landsat 8/9's numbering" in n)
    assert "--bands B01,B02,B03,B04,B05,B06,B07,B08,B09,B10,B11,QA_PIXEL" in note  # one name a band, as given
    # a B8A among them is Sentinel-2's
    s2 = read_image(described(tmp_path / "s2.tif", [f"B{i}" for i in range(1, 9)] + ["B8A", "B9", "B10", "B11"]))
    assert "pan" not in s2.bands


def test_the_files_named_keep_a_notes_kind_one_for_every_record(tmp_path):
    """The evaluation groups notes by their words up to the first ``(`` or ``:``: file names before it had made
    each record's note a kind of its own."""
    from rsvlm.eval_reading import ReadNotes

    kinds = set()
    for scene in ("a", "b"):
        (tmp_path / scene).mkdir()
        files = [_band(tmp_path / scene / f"{scene}_{b}.tif", _collared("float32", 0.02, 0.4, -9999, k))
                 for k, b in enumerate(("B02", "B03", "B04"))]
        note = next(n for n in read_image(files).notes if "far outside the others'" in n)
        assert f"({scene}_B02.tif, {scene}_B03.tif, {scene}_B04.tif)" in note
        kinds.add(ReadNotes.kind(note))
    assert len(kinds) == 1, kinds


def _rgbn8(path, mask=None):
    """A 4-band uint8 GeoTIFF described R, G, B, NIR (GDAL flags its 4th band alpha), ``mask`` (H, W) its internal
    mask where given."""
    data = np.random.default_rng(8).integers(1, 250, (4, 16, 16)).astype("uint8")  # (C, H, W)
    with rasterio.Env(GDAL_TIFF_INTERNAL_MASK=True), rasterio.open(
            path, "w", driver="GTiff", width=16, height=16, count=4, dtype="uint8", crs="EPSG:32633",
            transform=from_origin(500000, 4000000, 10, 10)) as ds:
        ds.write(data)
        for i, n in enumerate(("R", "G", "B", "NIR")):
            ds.set_band_description(i + 1, n)
        if mask is not None:
            ds.write_mask(mask)
    return str(path)


def test_a_band_flagged_alpha_but_described_nir_keeps_the_files_internal_mask(tmp_path):
    """lead69 read the misflagged NIR as a band and took GDAL's mask for that band's: an internal mask (flags
    per_dataset, no alpha) was dropped too, its masked rows read as valid."""
    mask = np.full((16, 16), 255, np.uint8)  # (H, W)
    mask[:4] = 0
    img = read_image(_rgbn8(tmp_path / "masked.tif", mask))
    assert img.bands == ["R", "G", "B", "NIR"] and img.valid is not None
    assert not img.valid[:4].any() and img.valid[4:].all()
    assert read_image(_rgbn8(tmp_path / "plain.tif")).valid is None  # no mask but the misflagged band's: none


def test_a_wrong_band_count_names_the_landsat7_high_gain_file_left_out(tmp_path):
    """Four band files and four names: the B6_VCID_2 file, left out before the read, went unsaid in the refusal
    ('the image has 3 band(s)')."""
    le07 = "LE07_L1TP_016037_20020813_20200903_02_T1"
    a = np.random.default_rng(9).integers(60, 200, (16, 16)).astype("uint8")  # (H, W)
    files = [_band(tmp_path / f"{le07}_{b}.TIF", a, 30.0) for b in ("B3", "B4", "B6_VCID_1", "B6_VCID_2")]
    with pytest.raises(ValueError, match=rf"the image has 3 bands as msi \({le07}_B6_VCID_2.TIF left out of "
                                         r"the read\): give 3 names"):
        read_image(files, bands="R,NIR,TIR,TIR2")


def test_a_file_read_by_an_unlisted_gdal_driver_is_named_by_its_driver(tmp_path):
    """An ENVI file named .tif: 'e.tif is a ENVI file (GDAL's driver), though named .tif'."""
    with rasterio.open(tmp_path / "e.tif", "w", driver="ENVI", width=8, height=8, count=3, dtype="uint16",
                       crs="EPSG:32633", transform=from_origin(500000, 4000000, 10, 10)) as ds:
        ds.write(np.random.default_rng(10).integers(500, 3000, (3, 8, 8)).astype("uint16"))  # (C, H, W)
    notes = read_image(tmp_path / "e.tif", modality="msi").notes
    assert "a file GDAL's ENVI driver reads, named .tif: e.tif read as one" in notes


# R3's round (7f4e14c4 … 9c78eb79): ReadConfig.msi_band_scaling and Landsat 5/7's 8-bit reflectance


def test_msi_band_scaling_in_a_config_shared_with_rgb_images_leaves_them_alone(tmp_path):
    """msi_band_scaling scales msi alone (as msi_scale does), yet its count was checked against any image's bands: a
    training config's scaling for 4-band Landsat refused every RGB image of the set ('has 4 bands, image has 3')."""
    from PIL import Image

    rgb = np.random.default_rng(11).integers(0, 255, (8, 8, 3)).astype("uint8")  # (H, W, 3)
    Image.fromarray(rgb).save(tmp_path / "rgb.png")
    img = read_image(tmp_path / "rgb.png", scaling={"msi_band_scaling": [[1e-3, 0.0]] * 4})
    assert img.modality == "optical" and np.allclose(img.data, rgb.transpose(2, 0, 1) / 255, atol=1e-6)


def test_an_mtl_without_a_bands_numbers_is_named_in_its_note(tmp_path):
    """The note began 'the _MTL.txt beside them has no number for …', 'them' being no word of the note."""
    stem = "LE07_L1TP_016037_20020813_20200903_02_T1"
    files = [_band(tmp_path / f"{stem}_B{b}.TIF", np.random.default_rng(b).integers(1, 255, (8, 8)).astype("uint8"))
             for b in (3, 4)]
    (tmp_path / f"{stem}_MTL.txt").write_text(  # band 4's numbers left out
        "GROUP = LEVEL1_RADIOMETRIC_RESCALING\n    REFLECTANCE_MULT_BAND_3 = 1.0814E-03\n"
        "    REFLECTANCE_ADD_BAND_3 = -0.003221\nEND\nGROUP = IMAGE_ATTRIBUTES\n    SUN_ELEVATION = 30.0\nEND\n")
    img = read_image(files)
    assert (f"{stem}_MTL.txt has no number for REFLECTANCE_MULT_BAND_4, REFLECTANCE_ADD_BAND_4: the 8-bit DN are read "
            "as DN / 255, not as reflectance") in img.notes, img.notes
    assert img.data.max() <= 1.0


def test_a_sentinel2_offset_is_not_said_where_msi_band_scaling_scales_the_dn(tmp_path):
    """A tile sensed after baseline 04.00 got 'DN offset by -1000 before / 10000' beside a msi_band_scaling given,
    which is what scales the DN: the note said a scaling that was not applied."""
    files = [_band(tmp_path / f"T33UUP_20230613T101559_{b}_10m.tif",
                   np.random.default_rng(k).integers(1000, 4000, (8, 8)).astype("uint16")) for k, b in
             enumerate(("B04", "B08"))]
    assert any("baseline 04.00" in n for n in read_image(files).notes)  # (the offset said without one given)
    img = read_image(files, scaling={"msi_band_scaling": [[1e-4, -0.1], [1e-4, -0.1]]})
    assert not [n for n in img.notes if "baseline 04.00" in n], img.notes
    dn = np.stack([rasterio.open(f).read(1) for f in files]).astype(np.float64)  # (C, H, W)
    assert np.allclose(img.data, dn * 1e-4 - 0.1, atol=1e-6)
