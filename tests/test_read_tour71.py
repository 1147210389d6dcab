"""Reading images, stop 71: a band file beside its alpha file is read by the names (msi), not guessed from the count;
Collection 1 quality files and Collection 2's surface-temperature ancillary bands are refused as images, named;
one band name's --bands refusal in the singular."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin
from read_helpers import utm_tif

from rsvlm.io import read_image
from rsvlm.io.checks import ImageReadError

C1 = "LC08_L1TP_044034_20170614_20170628_01_T1"
L2 = "LC08_L2SP_044034_20210508_20210518_02_T1"


def _dn(seed: int = 0, dtype="uint16"):
    return np.random.default_rng(seed).integers(50, 3000 if dtype == "uint16" else 250, (1, 32, 32)).astype(dtype)


@pytest.mark.parametrize("dtype", ["uint8", "uint16"])
def test_one_band_file_beside_an_alpha_file_is_read_by_its_name(tmp_path, dtype):
    """B04.tif + alpha.tif was inferred as sar from the count (2 bands in 2 files: dual polarisation)."""
    mask = np.full((1, 32, 32), 255 if dtype == "uint8" else 1, dtype)  # (1, H, W)
    mask[:, :4] = 0
    band = utm_tif(tmp_path / "B04.tif", _dn(0, dtype))
    img = read_image([band, utm_tif(tmp_path / "alpha.tif", mask)])  # unflagged: a band, said
    assert img.modality == "msi" and img.bands == ["B04", "alpha"], (img.modality, img.notes)
    assert img.notes[0] == "modality inferred as msi from band B04 in 1 file, beside the alpha file alpha.tif"
    asked = read_image([band, str(tmp_path / "alpha.tif")], modality="msi")  # given msi: said so too
    assert asked.bands == ["B04", "alpha"] and any(n.startswith("alpha.tif is named alpha but not flagged alpha: read "
                                                                "as a band") for n in asked.notes), asked.notes
    flagged = read_image([band, utm_tif(tmp_path / "mask.tif", mask, alpha=True)])  # flagged: one band, its 0s masked
    assert flagged.modality == "msi" and flagged.bands == ["B04"] and flagged.data.shape[0] == 1, flagged.notes
    assert not flagged.valid[:4].any() and flagged.valid[4:].all()
    b4 = utm_tif(tmp_path / "B4.tif", _dn(0, dtype))  # unpadded: one band too, read by the numbering (a note says so)
    for img in (read_image([b4, str(tmp_path / "mask.tif")]), read_image([band, str(tmp_path / "mask.tif")],
                                                                       modality="msi")):
        assert img.modality == "msi" and img.bands == ["B04"] and img.data.shape[0] == 1, img.notes


@pytest.mark.parametrize("suffix,qa", [("pixel_qa", "PIXEL_QA"), ("radsat_qa", "RADSAT_QA"),
                                       ("sr_aerosol", "SR_AEROSOL")])
def test_a_collection1_quality_file_is_refused_as_an_image(tmp_path, suffix, qa):
    """ESPA's Collection 1 bit-flag files were read as a grey panchromatic photo (12-bit DN spread wide)."""
    path = utm_tif(tmp_path / f"{C1}_{suffix}.tif", _dn(1))
    with pytest.raises(ImageReadError) as e:
        read_image(path)
    assert f"a Landsat quality band ({qa}): bit flags saying what each pixel is" in str(e.value), e.value
    assert "(…_sr_band2.tif,…_sr_band3.tif,…) without it" in str(e.value) and "--modality" in str(e.value)


@pytest.mark.parametrize("aux", ["ST_QA", "ST_EMIS", "ST_EMSD", "ST_ATRAN", "ST_CDIST", "ST_TRAD", "ST_URAD",
                                 "ST_DRAD"])
def test_a_surface_temperature_ancillary_band_is_refused_not_read_as_thermal(tmp_path, aux):
    """``…_ST_QA.TIF`` (int16: the temperature's uncertainty) and the other ST_ by-products were guessed ir by dtype."""
    path = utm_tif(tmp_path / f"{L2}_{aux}.TIF", _dn(2).astype("int16"))
    with pytest.raises(ImageReadError) as e:
        read_image(path)
    assert f"{path}: a Landsat surface-temperature ancillary band ({aux}): " in str(e.value), e.value
    assert ("not an image; give the scene's band files (…_SR_B2.TIF,…_SR_B3.TIF,…; its surface temperature: "
            "…_ST_B10.TIF) without it") in str(e.value)
    le07 = utm_tif(tmp_path / f"le07_l2sp_044034_20210508_20210518_02_t1_{aux.lower()}.tif", _dn(2).astype("int16"))
    with pytest.raises(ImageReadError, match="its surface temperature: …_st_b6.tif"):  # Landsat 7's thermal band
        read_image(le07)


def test_st_qa_read_with_a_modality_is_said_and_not_turned_into_kelvin(tmp_path):
    """Given --modality ir, ST_QA is read as asked, said to be an uncertainty; no Level-2 DN × 0.0034 + 149 K."""
    img = read_image(utm_tif(tmp_path / f"{L2}_ST_QA.TIF", _dn(3).astype("int16")), modality="ir")
    assert any(n.startswith(f"{L2}_ST_QA.TIF is a surface-temperature ancillary band (ST_QA: the surface "
                            "temperature's uncertainty") and n.endswith("read as ir, as asked") for n in img.notes)
    assert not any("surface temperature: DN ×" in n for n in img.notes), img.notes


def test_one_band_name_refusal_is_singular(tmp_path):
    """It said '1 band names ['VV'] given; the image has 2 band(s) as sar'."""
    two = utm_tif(tmp_path / "two.tif", np.random.default_rng(0).integers(1, 5000, (2, 16, 16)).astype("uint16"))
    with pytest.raises(ValueError, match=r"two.tif: 1 band name \['VV'\] given; the image has 2 bands as sar"):
        read_image(two, modality="sar", bands="VV")


def test_an_unflagged_alpha_file_beside_a_polarisation_is_said_read_as_a_band(tmp_path):
    """VV.tif + alpha.tif (not flagged alpha) was read as a SAR pair of VV and alpha in dB, nothing said of it."""
    mask = np.full((1, 32, 32), 1, "uint16")  # (1, H, W)
    mask[:, :4] = 0
    img = read_image([utm_tif(tmp_path / "VV.tif", _dn(4)), utm_tif(tmp_path / "alpha.tif", mask)])
    assert img.bands == ["VV", "alpha"]
    assert any(n.startswith("alpha.tif is named alpha but not flagged alpha: read as a band, masking nothing; flag "
                            "it (gdal_edit.py -colorinterp_1 alpha") for n in img.notes), img.notes


def test_grey_and_an_unflagged_alpha_band_is_said_to_look_like_alpha(tmp_path):
    """A 2-band uint8 GeoTIFF, grey + alpha written without ALPHA=YES, was read as a SAR pair, nothing said."""
    rng = np.random.default_rng(5)
    grey = np.stack([rng.integers(1, 255, (32, 32)), np.where(rng.random((32, 32)) > 0.2, 255, 0)]).astype("uint8")
    img = read_image(utm_tif(tmp_path / "grey_alpha.tif", grey))
    assert img.modality == "sar" and any(n.startswith(
        "band 2 holds only 0 and 255 as an alpha band does, but the file does not say it is alpha: if it is, say so "
        "(gdal_edit.py -colorinterp_2 alpha) and band 1 reads alone") for n in img.notes), img.notes
    pair = rng.integers(1, 255, (2, 32, 32)).astype("uint8")  # (2, H, W): a pair of 8-bit SAR chips, no note
    assert not any("as an alpha band does" in n for n in read_image(utm_tif(tmp_path / "pair.tif", pair)).notes)


def test_a_uint16_pan_band_georeferenced_by_rpcs_is_read_as_a_grey_photo(tmp_path):
    """A WorldView L1B pan (RPCs, no CRS, 11-bit DN) was guessed ir by its type, as a map-georeferenced one is not."""
    from rasterio.rpc import RPC

    one, zero = [1.0] + [0.0] * 19, [0.0] * 20
    rpc = RPC(height_off=100, height_scale=500, lat_off=40.0, lat_scale=0.05, line_den_coeff=one,
              line_num_coeff=[0.0, 0.0, -1.0] + zero[3:], line_off=32, line_scale=32, long_off=10.0, long_scale=0.05,
              samp_den_coeff=one, samp_num_coeff=[0.0, 1.0] + zero[2:], samp_off=32, samp_scale=32)
    pan = np.random.default_rng(6).integers(80, 2047, (1, 64, 64)).astype("uint16")  # (1, H, W): 11-bit DN
    with rasterio.open(tmp_path / "l1b_pan.tif", "w", driver="GTiff", width=64, height=64, count=1,
                       dtype="uint16") as dst:
        dst.write(pan)
        dst.rpcs = rpc
    img = read_image(str(tmp_path / "l1b_pan.tif"))
    assert img.modality == "optical" and img.notes[0].startswith("georeferenced by RPCs"), img.notes
    assert img.notes[1].startswith("modality inferred as optical (a grey panchromatic band) from 1 band uint16")
    with rasterio.open(tmp_path / "bare.tif", "w", driver="GTiff", width=64, height=64, count=1, dtype="uint16") as dst:
        dst.write(pan)  # no CRS, no RPCs: nothing says a satellite photo (a FLIR frame's counts), the guess stays
    assert read_image(str(tmp_path / "bare.tif")).modality == "ir"


def test_a_file_whose_bands_differ_in_type_is_refused_naming_it(tmp_path):
    """A VRT stacking uint16 DN and a float32 band (gdalbuildvrt -separate) failed in rasterio's read: "more than
    one 'dtype' found", naming no file and no way out."""
    utm_tif(tmp_path / "dn.tif", _dn(7))
    utm_tif(tmp_path / "ndvi.tif", np.random.default_rng(7).random((1, 32, 32)).astype("float32"))
    bands = "".join(f'<VRTRasterBand dataType="{t}" band="{i + 1}"><SimpleSource><SourceFilename relativeToVRT="1">'
                    f"{f}</SourceFilename><SourceBand>1</SourceBand></SimpleSource></VRTRasterBand>"
                    for i, (t, f) in enumerate([("UInt16", "dn.tif"), ("Float32", "ndvi.tif")]))
    vrt = tmp_path / "stack.vrt"
    vrt.write_text(f'<VRTDataset rasterXSize="32" rasterYSize="32"><SRS>EPSG:32633</SRS>'
                   f"<GeoTransform>500000,30,0,4000000,0,-30</GeoTransform>{bands}</VRTDataset>")
    with pytest.raises(ValueError) as e:
        read_image(str(vrt))
    assert str(e.value) == (f"{vrt}: its bands are of different types (uint16, float32), read as one image of one "
                            f"type: write them as one (gdal_translate -ot Float32 {vrt} {tmp_path / 'stack_one_type.tif'})")


def test_collection1_espa_band_files_are_named_by_their_mission(tmp_path):
    """ESPA's Collection 1 …_sr_band2.tif … were bands 'band2' … 'band5', which match no band the model knows."""
    from rsvlm.io.bandnames import band_name_from_file

    dn = np.random.default_rng(8).integers(100, 4000, (4, 1, 16, 16)).astype("int16")  # (C, 1, H, W)
    paths = [utm_tif(tmp_path / f"{C1}_sr_band{b}.tif", dn[i]) for i, b in enumerate((2, 3, 4, 5))]
    img = read_image(paths)
    assert img.modality == "msi" and img.bands == ["B", "G", "R", "NIR"], img.notes
    assert "band numbers read by Landsat 8's numbering (the file name says Landsat 8): B2 as B, B3 as G" in img.notes[1]
    np.testing.assert_allclose(img.data, dn[:, 0] / np.float32(1e4), rtol=1e-5)  # ESPA's scale: DN × 0.0001
    assert band_name_from_file(tmp_path / "scene_band2.tif") == "band2"  # (no Landsat product ID: as it was)


@pytest.mark.parametrize("name,q,way", [
    ("T33UUP_20230613T101559_SCL_20m.jp2", "SCL", "(…_B02_10m.jp2,…_B03_10m.jp2,…)"),
    ("SCL.tif", "SCL", "(B02.tif,B03.tif,…)"),  # Earth Search's asset
    ("MSK_CLDPRB_20m.jp2", "CLDPRB", "(B02.jp2,B03.jp2,…)"),
    ("T33UUP_20230613T101559_AOT_10m.jp2", "AOT", "(…_B02_10m.jp2,…_B03_10m.jp2,…)"),
    ("T33UUP_20230613T101559_WVP_10m.jp2", "WVP", "(…_B02_10m.jp2,…_B03_10m.jp2,…)")])
def test_a_sentinel2_level2a_product_file_is_refused_as_an_image(tmp_path, name, q, way):
    """A Level-2A scene classification (SCL: classes 0-11), cloud probability, AOT or WVP was read as a thermal
    frame, guessed from its type."""
    classes = np.random.default_rng(9).choice([0, 4, 5, 8, 9, 10], (1, 32, 32)).astype("uint8")  # (1, H, W)
    path = tmp_path / name
    with rasterio.open(path, "w", driver="GTiff", width=32, height=32, count=1, dtype="uint8", crs="EPSG:32633",
                       transform=from_origin(500000, 4000000, 20, 20)) as dst:  # (a GeoTIFF so named: GDAL reads it)
        dst.write(classes)
    with pytest.raises(ImageReadError) as e:
        read_image(str(path))
    assert f"{path}: a Sentinel-2 Level-2A product ({q}): " in str(e.value), e.value
    assert f"not an image; give the scene's band files {way} without it, or the modality" in str(e.value)
    asked = read_image(str(path), modality="optical")
    assert any(n.startswith(f"{name} is a Sentinel-2 Level-2A product ({q}: ") for n in asked.notes), asked.notes
