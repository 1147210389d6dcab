"""Reading as a demanding remote-sensing user (session 66, helper B): band files of different resolutions."""

from __future__ import annotations

import numpy as np
import pytest

from rsvlm.io import read_image

rasterio = pytest.importorskip("rasterio")
from rasterio.transform import from_origin  # noqa: E402


def band_file(path, arr, res, crs="EPSG:32633", description=None, nodata=None):
    """One band (H, W) at ``res`` metres from one corner: Sentinel-2's 10 m and 20 m files of one tile."""
    with rasterio.open(path, "w", driver="GTiff", width=arr.shape[1], height=arr.shape[0], count=1, dtype=arr.dtype,
                       crs=crs, transform=from_origin(500000, 5000000, res, res), nodata=nodata) as d:
        d.write(arr, 1)
        if description:
            d.set_band_description(1, description)
    return str(path)


def test_band_files_of_different_resolutions_are_resampled_onto_the_finest_grid(tmp_path):
    fine = np.full((64, 64), 1000, np.uint16)  # 10 m
    coarse = np.full((32, 32), 1000, np.uint16)  # 20 m: left half 1000, right half 3000
    coarse[:, 16:] = 3000
    b02 = band_file(tmp_path / "T33UUP_B02_10m.tif", fine, 10)
    b05 = band_file(tmp_path / "T33UUP_B05_20m.tif", coarse, 20, description="B05")
    b8a = band_file(tmp_path / "T33UUP_B8A_20m.tif", np.full((32, 32), 2500, np.uint16), 20)
    img = read_image([b05, b02, b8a])  # the coarse file first: the finest grid is still the one read
    assert img.data.shape == (3, 64, 64) and img.bands == ["B05", "B02", "B8A"]
    said = next(n for n in img.notes if "different resolutions" in n)
    assert "T33UUP_B05_20m.tif (32x32, 20 m)" in said and "T33UUP_B8A_20m.tif (32x32, 20 m)" in said
    assert "onto T33UUP_B02_10m.tif's grid (64x64, 10 m)" in said and "bilinear" in said
    raw = img.data * (1000 / img.data[1, 0, 0])  # back to DN by the 10 m band's constant 1000
    np.testing.assert_allclose(raw[0, :, :30], 1000, rtol=1e-3)  # away from the step: the coarse values
    np.testing.assert_allclose(raw[0, :, 34:], 3000, rtol=1e-3)
    assert 1000 < raw[0, 5, 32] < 3000  # at the step: between (bilinear)
    # by map position: the 20 m pixel centres beside the step lie at x 310 m (1000) and 330 m (3000) from the
    # corner, the 10 m ones at 305 … 335 m; half a 20 m pixel off would move the ramp a column and still pass above
    np.testing.assert_allclose(raw[0, 5, 30:34], [1000, 1500, 2500, 3000], rtol=1e-3)
    odd = read_image([b05, b02, b8a], window=(31, 3, 5, 7))  # a window from an odd column, off the 20 m grid
    np.testing.assert_allclose(odd.data, img.data[:, 3:10, 31:36], rtol=1e-6)
    np.testing.assert_allclose(raw[2], 2500, rtol=1e-3)
    win = read_image([b05, b02, b8a], window=(20, 8, 24, 16))  # a window reads the same resampled pixels
    np.testing.assert_allclose(win.data, img.data[:, 8:24, 20:44], rtol=1e-6)


def test_band_files_in_different_crs_are_refused_with_the_gdalwarp_command(tmp_path):
    b02 = band_file(tmp_path / "B02.tif", np.ones((64, 64), np.uint16), 10)
    b05 = band_file(tmp_path / "B05.tif", np.ones((32, 32), np.uint16), 20, crs="EPSG:32634")
    with pytest.raises(ValueError, match=r"B05\.tif: crs \(EPSG:32634\) differs from .*B02\.tif's \(EPSG:32633\).*gdalwarp -t_srs "
                                         r"EPSG:32633 -tr 10 10 -te 500000 4999360 500640 5000000 -r bilinear \S*B05\.tif \S*B05_on_grid\.tif"):
        read_image([b02, b05])
    off = tmp_path / "B06.tif"  # 20 m, but a footprint shifted by a km: not one tile's band
    with rasterio.open(off, "w", driver="GTiff", width=32, height=32, count=1, dtype="uint16", crs="EPSG:32633",
                       transform=from_origin(501000, 5000000, 20, 20)) as d:
        d.write(np.ones((32, 32), np.uint16), 1)
    with pytest.raises(ValueError, match=r"B06\.tif: footprint \(bounds 501000 4999360 501640 5000000\) differs from "
                                         r"\S*B02\.tif's \(bounds 500000 4999360 500640 5000000\).*share one grid"):
        read_image([b02, str(off)])  # its size (32 px, not 64) is no fault: said so, the 20 m file was 'width 32'
    half = band_file(tmp_path / "B07.tif", np.ones((64, 64), np.uint16), 10)  # 10 m, half a pixel east: no multi-line Affine
    with rasterio.open(half, "r+") as d:
        d.transform = from_origin(500005, 5000000, 10, 10)
    with pytest.raises(ValueError, match=r"B07\.tif: footprint \(bounds 500005 4999360 500645 5000000\) differs"):
        read_image([b02, half])


def test_landsat_stac_names_meet_the_msi_stem_and_every_stac_common_name_is_known(tmp_path):
    """A Landsat Collection 2 stack from Planetary Computer names its bands by STAC's eo:common_name: coastal, blue,
    green, red, nir08, swir16, swir22, lwir11; it has no 'nir', so the bundled msi stem refused it, 'missing
    [B08]'. nir08 (the narrow NIR, 865 nm: Landsat's NIR) is read as B08 where no broad NIR is,
    with a note (Sentinel-2's B8A, so named, stays no B08); STAC 1.1's other common names meet Sentinel-2's numbers."""
    from rsvlm.io.bandnames import band_at, near_band_at
    from rsvlm.model.stem import StemConfig, match_bands

    names = ["coastal", "blue", "green", "red", "nir08", "swir16", "swir22", "lwir11"]
    p = tmp_path / "LC09_stac.tif"
    with rasterio.open(p, "w", driver="GTiff", width=16, height=16, count=8, dtype="uint16") as ds:
        ds.write(np.random.default_rng(66).integers(7000, 20000, (8, 16, 16)).astype(np.uint16))
        for i, d in enumerate(names):
            ds.set_band_description(i + 1, d)
    img = read_image(p)
    assert img.modality == "msi" and img.bands == names, img.notes
    stem = StemConfig(modality="msi", bands=["B02", "B03", "B04", "B08", "B11", "B12"], mean=[0.0] * 6, std=[1.0] * 6)
    m = match_bands(stem, img.bands, 8, p.name)
    assert m.index == [1, 2, 3, 4, 5, 6], m.notes
    assert any(n.startswith("band nir08 (the narrow NIR, 865 nm) read as B08") for n in m.notes), m.notes
    both = match_bands(stem, ["blue", "green", "red", "nir", "nir08", "swir16", "swir22"], 7, "s2_stac.tif")
    assert both.index == [0, 1, 2, 3, 5, 6]  # a broad NIR present (Sentinel-2's STAC item): nir08 stays out
    assert near_band_at(["nir08"], "NIR") == 0 and near_band_at(["nir", "nir08"], "B08") is None
    assert near_band_at(["B8A"], "B08") is None  # named by Sentinel-2's number: its B08 can be given
    s2 = ["B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B09", "B10", "B11", "B12"]
    stac = ["coastal", "blue", "green", "red", "rededge071", "rededge075", "rededge078", "nir", "nir08", "nir09",
            "cirrus", "swir16", "swir22"]
    assert [band_at(stac, b) for b in s2 if b != "B8A"] == [i for i, b in enumerate(s2) if b != "B8A"]
    assert band_at(["lwir11", "lwir12"], "TIR2") == 1
    pair = tmp_path / "re.tif"  # two bands described by STAC's red-edge names: multispectral, not a SAR pair
    with rasterio.open(pair, "w", driver="GTiff", width=16, height=16, count=2, dtype="uint16") as ds:
        ds.write(np.random.default_rng(67).integers(500, 5000, (2, 16, 16)).astype(np.uint16))
        ds.set_band_description(1, "rededge071")
        ds.set_band_description(2, "rededge078")
    assert read_image(pair).modality == "msi"


def envi(tmp_path, arr, header_lines: str):
    """An ENVI .img written by GDAL, with ``header_lines`` added to its .hdr (as ENVI and SNAP write them)."""
    p = tmp_path / "scene.img"
    with rasterio.open(p, "w", driver="ENVI", width=arr.shape[2], height=arr.shape[1], count=arr.shape[0],
                       dtype=arr.dtype) as d:
        d.write(arr)
    hdr = tmp_path / "scene.hdr"
    hdr.write_text(hdr.read_text() + header_lines, encoding="utf-8")
    return str(p)


def test_envi_band_wavelengths_name_the_bands(tmp_path):
    """An ENVI header's 'band names = {Band 1 (0.4430 µm), …}' and 'wavelength = {…}' were kept as the raw names
    'Band 1 (0.4430 µm) (0.4430 Micrometers)' (GDAL appends the wavelength), so the msi stem found none of its
    bands; each band whose wavelength falls in a different STAC common-name range is named by it, with a note."""
    from rsvlm.model.stem import StemConfig, match_bands

    arr = np.random.default_rng(68).integers(100, 3000, (4, 12, 12)).astype(np.uint16)  # (C, H, W)
    p = envi(tmp_path, arr, "band names = {Band 1 (0.4900 µm), Band 2 (0.5600 µm), Band 3 (0.6650 µm), "
                            "Band 4 (0.8420 µm)}\nwavelength units = Micrometers\nwavelength = {0.49, 0.56, 0.665, 0.842}\n")
    img = read_image(p)
    assert img.modality == "msi" and img.bands == ["blue", "green", "red", "nir"], img.notes
    said = "bands named by their wavelength: blue (0.49 µm), green (0.56 µm), red (0.665 µm), nir (0.842 µm)"
    assert any(n.startswith(said) for n in img.notes), img.notes
    stem = StemConfig(modality="msi", bands=["B02", "B03", "B04", "B08"], mean=[0.0] * 4, std=[1.0] * 4)
    assert match_bands(stem, img.bands, 4, p).index == [0, 1, 2, 3]
    nm = read_image(envi(tmp_path, arr, "wavelength = {842, 665, 560, 490}\n"))  # nanometres, unit left unsaid
    assert nm.bands == ["nir", "red", "green", "blue"], nm.notes
    own = read_image(envi(tmp_path, arr, "band names = {Blue, Green, Red, NIR}\nwavelength units = Nanometers\n"
                                         "wavelength = {490, 560, 665, 842}\n"))
    assert own.bands == ["Blue", "Green", "Red", "NIR"] and not any("wavelength" in n for n in own.notes)  # own names
    cube = read_image(envi(tmp_path, arr, "wavelength = {490, 495, 500, 505}\n"))  # hyperspectral: one name 4 times
    assert cube.bands == ["490", "495", "500", "505"], cube.notes


def test_envi_headers_in_any_case_and_among_band_files(tmp_path):
    """SCENE.HDR beside scene.img (a Windows pair on a case-sensitive disk) found no data file; and headers among
    band files (a folder's '*': B02.hdr B02.img B03.hdr …) were each opened as a band, 'not a readable raster'."""
    arr = np.random.default_rng(69).integers(100, 3000, (1, 12, 12)).astype(np.uint16)  # (C, H, W)
    for b in ("B02", "B03", "B04"):
        with rasterio.open(tmp_path / f"{b}.img", "w", driver="ENVI", width=12, height=12, count=1, dtype="uint16") as d:
            d.write(arr)
    (tmp_path / "B04.hdr").rename(tmp_path / "B04.HDR")
    one = read_image(str(tmp_path / "B04.HDR"))
    assert one.notes[0].startswith("B04.HDR is a raster header: read its data file B04.img"), one.notes
    files = sorted(str(p) for p in tmp_path.iterdir())  # B02.hdr B02.img B03.hdr B03.img B04.HDR B04.img
    img = read_image(files)
    assert img.bands == ["B02", "B03", "B04"] and img.data.shape == (3, 12, 12), img.notes
    assert "raster headers B02.hdr, B03.hdr, B04.HDR given beside their data files: left out" in img.notes[0]
    alone = read_image([str(tmp_path / "B02.img"), str(tmp_path / "B03.hdr")])  # a header for its data file
    assert alone.bands == ["B02", "B03"] and "read B03.hdr by its data file B03.img" in alone.notes[0], alone.notes
    (tmp_path / "B05.hdr").write_text((tmp_path / "B02.hdr").read_text())
    from rsvlm.io import ImageReadError

    with pytest.raises(ImageReadError, match=r"B05\.hdr: a raster header among the band files.*no data file beside it"):
        read_image([str(tmp_path / "B02.img"), str(tmp_path / "B05.hdr")])


def _lonlat(col, row, lat0, lon0, km=2.0):
    """(lon, lat) of pixel (col, row) of a 100x100 north-up scene centred at (lon0, lat0), ``km`` a pixel."""
    east, north = (col - 50) * km / 6371.0, (50 - row) * km / 6371.0  # radians of arc
    lat = lat0 + np.degrees(north)
    return float((lon0 + np.degrees(east) / np.cos(np.radians(lat)) + 180) % 360 - 180), float(lat)


def test_gcps_without_a_crs_in_degrees_are_fitted_as_longitude_and_latitude():
    """GCPs with no CRS were fitted in their raw numbers: a north-up scene across the antimeridian (179.9 beside
    -179.9) was told mirrored. Within ±180, ±90 they are taken as longitude and latitude, and the note says so."""
    from rasterio.control import GroundControlPoint

    from rsvlm.io.georef import gcp_orientation_note

    grid = [(c, r) for r in range(0, 101, 25) for c in range(0, 101, 25)]

    def gcps(mirror, lat0=10.0, lon0=179.9):
        return [GroundControlPoint(row=r, col=c, x=x, y=y) for c, r in grid
                for x, y in [_lonlat(100 - c if mirror else c, r, lat0, lon0)]]

    assert gcp_orientation_note(gcps(False), None) is None
    note = gcp_orientation_note(gcps(True), None)
    assert note.startswith("the image is not north-up: mirrored (one axis reversed), its top facing north and its "
                           "right west (an affine fitted to its 25 GCPs (with no CRS, taken as longitude and latitude)"), note
    utm = [GroundControlPoint(row=r, col=c, x=500000 - 10 * c, y=4000000 - 10 * r) for c, r in grid]  # metres: raw
    assert "with no CRS" not in gcp_orientation_note(utm, None) and "mirrored" in gcp_orientation_note(utm, None)


def test_geotiff_imagery_wavelengths_name_the_bands(tmp_path):
    """GDAL 3.10 keeps a band's central wavelength as IMAGERY CENTRAL_WAVELENGTH_UM (a GeoTIFF's PAM or tags):
    a red and NIR pair so described was read as a dual-polarisation SAR pair with unnamed bands."""
    p = tmp_path / "rn.tif"
    with rasterio.open(p, "w", driver="GTiff", width=16, height=16, count=2, dtype="uint16", crs="EPSG:32633",
                       transform=from_origin(500000, 5000000, 10, 10)) as d:
        d.write(np.random.default_rng(70).integers(500, 5000, (2, 16, 16)).astype(np.uint16))
        d.update_tags(1, ns="IMAGERY", CENTRAL_WAVELENGTH_UM="0.665")
        d.update_tags(2, ns="IMAGERY", CENTRAL_WAVELENGTH_UM="0.842")
    img = read_image(p)
    assert img.bands == ["red", "nir"] and img.modality == "msi", img.notes
    assert any(n.startswith("bands named by their wavelength: red (0.665 µm), nir (0.842 µm)") for n in img.notes)


def _grey(path, arr, crs="EPSG:32616"):
    """One uint16 band (H, W), georeferenced at 0.5 m where ``crs`` is given."""
    geo = dict(crs=crs, transform=from_origin(400000, 3700000, 0.5, 0.5)) if crs else {}
    with rasterio.open(path, "w", driver="GTiff", width=arr.shape[1], height=arr.shape[0], count=1, dtype="uint16",
                       **geo) as d:
        d.write(arr.astype(np.uint16), 1)
    return path


def test_a_georeferenced_11_bit_pan_band_reads_optical_and_thermal_counts_stay_ir(tmp_path, realdata):
    """SpaceNet-4's WorldView-2 pan (uint16, 54-6615, median 398) was guessed thermal by its type. 11- or 12-bit DN
    spread wider than their median, georeferenced, unnamed, are read as a grey panchromatic band; temperatures
    (kelvin x 100, deci-kelvin, Landsat TIRS DN) lie above 12 bits or span a fraction of their median, and stay ir."""
    import shutil

    rng = np.random.default_rng(70)
    pan = rng.gamma(2.0, 200.0, (64, 64)) + 54  # shade to roofs: 2-98 % about 100-1100, median about 400
    img = read_image(_grey(tmp_path / "pan.tif", pan))
    assert img.modality == "optical" and img.notes[0].startswith("modality inferred as optical (a grey panchromatic"), img.notes
    assert "--modality ir" in img.notes[0] and "--modality sar" in img.notes[0]
    assert read_image(_grey(tmp_path / "frame.tif", pan, crs=None)).modality == "ir"  # a camera frame: no map
    assert read_image(_grey(tmp_path / "pan_lst.tif", pan)).modality == "ir"  # its name says temperature
    dk = 2930 + rng.normal(0, 40, (64, 64))  # deci-kelvin, 20 °C ± 4: within 12 bits, a narrow spread
    assert read_image(_grey(tmp_path / "dk.tif", dk)).modality == "ir"
    assert read_image(_grey(tmp_path / "ck.tif", dk * 10)).modality == "ir"  # kelvin x 100: above 12 bits
    b10 = shutil.copy(realdata / "ir_landsat8" / "LC08_L1TP_016037_20170813_20170814_01_RT_B10.TIF", tmp_path / "x.tif")
    assert read_image(b10).modality == "ir"  # Landsat 8 TIRS DN (19000-28000), no name to go by


def test_an_untagged_4th_band_beside_r_g_b_is_read_as_nir(tmp_path):
    """A NAIP tile tags bands 1-3 R, G, B and leaves its NIR untagged: it was named band4, left out by the msi
    stem and B08 filled from red. It is read as NIR, with a note; a 4th band of 0 and 255 (an unflagged alpha)
    is not."""
    from rsvlm.model.stem import StemConfig, match_bands

    rgbn = np.random.default_rng(71).integers(1, 255, (4, 32, 40)).astype(np.uint8)  # (4, H, W)
    p = tmp_path / "m_3807504_ne_18_060_20210611.tif"
    with rasterio.open(p, "w", driver="GTiff", width=40, height=32, count=4, dtype="uint8", photometric="RGB",
                       crs="EPSG:26918", transform=from_origin(300000, 4300000, 0.6, 0.6)) as d:
        d.write(rgbn)
    img = read_image(p)
    assert img.modality == "msi" and img.bands == ["R", "G", "B", "NIR"], img.notes
    assert any(n.startswith("the 4th band, with no colour beside R, G, B, read as NIR") for n in img.notes)
    s2 = StemConfig(modality="msi", bands=["B02", "B03", "B04", "B08"], mean=[0.0] * 4, std=[1.0] * 4)
    assert match_bands(s2, img.bands, 4, p.name).index == [2, 1, 0, 3]  # the NIR fed as B08, not red
    rgbn[3] = 255
    rgbn[3, :, :10] = 0
    with rasterio.open(p, "r+") as d:
        d.write(rgbn)
    img = read_image(p)
    assert img.bands == ["R", "G", "B", "band4"] and not any("read as NIR" in n for n in img.notes), img.notes


def test_a_sentinel2_envi_export_keeps_its_band_names_without_gdals_wavelength(tmp_path):
    """SNAP's 12-band Sentinel-2 ENVI export names its bands B1 … B12 with a wavelength each; B8 (842 nm) and B8A
    (865 nm) are both STAC's nir, so none is named by wavelength, and the names were kept as GDAL gives them,
    'B8 (842 Nanometers)': the msi stem found none of its bands. Own names lose GDAL's appended wavelength."""
    from rsvlm.model.stem import StemConfig, match_bands

    names = ["B1", "B2", "B3", "B4", "B5", "B6", "B7", "B8", "B8A", "B9", "B11", "B12"]
    arr = np.random.default_rng(72).integers(100, 3000, (12, 12, 12)).astype(np.uint16)  # (C, H, W)
    p = envi(tmp_path, arr, "band names = {" + ", ".join(names) + "}\nwavelength units = Nanometers\nwavelength = "
             "{443, 490, 560, 665, 705, 740, 783, 842, 865, 945, 1610, 2190}\n")
    img = read_image(p)
    assert not any("Nanometers" in b for b in img.bands) and "B8A" in img.bands, img.bands
    assert not any("named by their wavelength" in n for n in img.notes)
    stem = StemConfig(modality="msi", bands=["B02", "B03", "B04", "B08"], mean=[0.0] * 4, std=[1.0] * 4)
    assert match_bands(stem, img.bands, 12, p).index == [1, 2, 3, 7]


def test_gcps_without_a_crs_spread_wider_than_a_granule_are_fitted_raw():
    """GCPs with no CRS within ±180, ±90 were all taken as degrees: a local engineering grid in metres (0-80 m),
    rotated 30°, was said rotated 37.5° once put on the tangent plane, and a whole-Earth north-up grid mirrored.
    Only GCPs within 30° of arc of their centre (a satellite granule) are taken as longitude and latitude."""
    from rasterio.control import GroundControlPoint

    from rsvlm.io.georef import gcp_orientation_note

    grid = [(c, r) for r in range(0, 101, 25) for c in range(0, 101, 25)]
    t = np.radians(30)
    local = [GroundControlPoint(row=r, col=c, x=20 + 0.6 * (c * np.cos(t) - r * np.sin(t)),
                                y=80 - 0.6 * (c * np.sin(t) + r * np.cos(t))) for c, r in grid]  # 60 m square, turned 30°
    note = gcp_orientation_note(local, None)
    assert "rotated -30°" in note and "with no CRS" not in note, note
    world = [GroundControlPoint(row=r, col=c, x=-180 + 3.6 * c, y=90 - 1.8 * r) for c, r in grid]
    assert gcp_orientation_note(world, None) is None  # north-up, fitted raw (put on one tangent plane: mirrored)
