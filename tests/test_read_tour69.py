"""Reading images, stop 69: a fill held by some bands only, GDAL's folder listing at open (a header's size, a
user's rasterio.Env: the review's, here beside the spy they share), the modality's checks on the values band files
hold, band numbers that say Landsat."""

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from rsvlm.io import read_image
from rsvlm.io import sources as sources_mod
from rsvlm.io.read import SceneReader


def _tif(path, data, res=10.0, **kw):
    """``data`` (C, H, W) as a GeoTIFF in UTM 33N, ``res`` m pixels; no nodata unless ``kw`` gives one."""
    c, h, w = data.shape
    with rasterio.open(path, "w", driver="GTiff", width=w, height=h, count=c, dtype=data.dtype,
                       crs="EPSG:32633", transform=from_origin(500000, 4000000, res, res), **kw) as ds:
        ds.write(data)
    return path


def _reflectance(c, seed=0):
    return np.random.default_rng(seed).uniform(0.02, 0.4, (c, 64, 64)).astype("float32")  # (C, H, W)


def test_minus_9999_in_one_band_of_one_file_is_nodata_with_a_note(tmp_path):
    """A 4-band file's band 3 with a -9999 collar (no nodata tag): read as reflectance -9999, unsaid."""
    data = _reflectance(4)
    data[2, :, :8] = -9999
    img = read_image(_tif(tmp_path / "stack.tif", data))
    assert img.valid is not None and not img.valid[:, :8].any() and img.valid[:, 8:].all()
    assert img.data.min() >= 0  # no -9999 reaches the model
    note = next(n for n in img.notes if "-9999" in n)
    assert "in band b3 only" in note and "no nodata is declared" in note and "nodata in every band" in note


def test_minus_9999_in_one_band_masks_windows_read_with_the_scene_scaling(tmp_path):
    data = _reflectance(4)
    data[1, :, :8] = -9999
    path = _tif(tmp_path / "stack.tif", data)
    with SceneReader(path) as scene:
        cfg = scene.scaling
    with SceneReader(path, scaling=cfg) as again:
        win = again.read((0, 0, 16, 16))
    assert cfg.nodata == -9999
    assert win.valid is not None and not win.valid[:, :8].any() and win.valid[:, 8:].all()


def test_a_zero_in_one_band_is_still_data(tmp_path):
    """Only a fill no band holds as data masks every band: DN 0 in one band of uint16 keeps the others'."""
    data = np.random.default_rng(1).integers(200, 3000, (4, 64, 64)).astype("uint16")
    data[2, :, :8] = 0
    img = read_image(_tif(tmp_path / "dn.tif", data), modality="msi")
    assert img.valid is None


def test_band_files_minus_9999_in_one_file_names_it(tmp_path):
    files = []
    for k, b in enumerate(("B02", "B03", "B04", "B08")):
        data = _reflectance(1, seed=k)
        if b == "B04":
            data[0, :, :8] = -9999
        files.append(str(_tif(tmp_path / f"x_{b}.tif", data)))
    img = read_image(files)
    assert img.valid is not None and not img.valid[:, :8].any() and img.valid[:, 8:].all()
    note = next(n for n in img.notes if "-9999" in n)
    assert "in band B04 (x_B04.tif) only" in note  # the band file that holds it, not "the file"


def _config_at_open(monkeypatch):
    seen = []
    real = rasterio.open

    def opening(*a, **k):
        seen.append(rasterio.env.get_gdal_config("GDAL_DISABLE_READDIR_ON_OPEN"))
        return real(*a, **k)

    monkeypatch.setattr(rasterio, "open", opening)
    return seen


def test_files_are_opened_without_listing_their_folder(tmp_path, monkeypatch, geotiff):
    """GDAL listed the whole folder of each file it opened: seconds a file in a folder of thousands."""
    monkeypatch.delenv("GDAL_DISABLE_READDIR_ON_OPEN", raising=False)
    seen = _config_at_open(monkeypatch)
    read_image(geotiff)
    assert seen and all(str(v).upper() == "TRUE" for v in seen)
    seen.clear()
    sources_mod.open_raster(tmp_path / "out.tif", "w", driver="GTiff", width=4, height=4, count=1,
                            dtype="uint8").close()  # a write is left as GDAL does it
    assert seen == [None]


def test_a_users_readdir_setting_is_kept(monkeypatch, geotiff):
    monkeypatch.setenv("GDAL_DISABLE_READDIR_ON_OPEN", "EMPTY_DIR")
    seen = _config_at_open(monkeypatch)
    read_image(geotiff)
    assert seen and all(v in (None, "EMPTY_DIR") for v in seen)


def test_a_header_size_is_read_without_listing_the_folder(tmp_path, monkeypatch):
    """``large.header_size`` (a file PIL cannot read: 4 bands of float32) called rasterio.open itself, without
    GDAL_DISABLE_READDIR_ON_OPEN, which every other open sets."""
    from rsvlm.io.large import header_size

    path = tmp_path / "four.tif"
    with rasterio.open(path, "w", driver="GTiff", width=6, height=5, count=4, dtype="float32") as ds:
        ds.write(np.zeros((4, 5, 6), np.float32))
    monkeypatch.delenv("GDAL_DISABLE_READDIR_ON_OPEN", raising=False)
    seen = _config_at_open(monkeypatch)
    assert header_size(str(path)) == (6, 5, 4, "float32")
    assert seen and all(str(v).upper() == "TRUE" for v in seen)


def test_a_users_rasterio_env_readdir_setting_is_kept(monkeypatch, geotiff):
    """A ``rasterio.Env(GDAL_DISABLE_READDIR_ON_OPEN=...)`` around the read: only the environment variable had
    been looked at, so the user's setting was overridden with TRUE at each open."""
    monkeypatch.delenv("GDAL_DISABLE_READDIR_ON_OPEN", raising=False)
    seen = _config_at_open(monkeypatch)
    with rasterio.Env(GDAL_DISABLE_READDIR_ON_OPEN="FALSE"):
        read_image(geotiff)
    assert seen and all(str(v).upper() == "FALSE" for v in seen), seen


def test_world_file_and_prj_still_found_without_listing(tmp_path):
    """Sidecars are asked for by name: a PNG's world file and .prj still georeference it."""
    from PIL import Image

    Image.fromarray(np.random.default_rng(0).integers(0, 255, (32, 48, 3), dtype=np.uint8)).save(tmp_path / "s.png")
    (tmp_path / "s.pgw").write_text("0.5\n0\n0\n-0.5\n500000.25\n3999999.75\n")
    (tmp_path / "s.prj").write_text(rasterio.crs.CRS.from_epsg(32633).to_wkt())
    img = read_image(tmp_path / "s.png")
    assert img.transform is not None and img.transform[0] == pytest.approx(0.5)
    assert img.crs is not None and "32633" in str(img.crs)


def test_grey_in_three_band_files_of_two_resolutions_is_said(tmp_path):
    """The modality's checks read band files as they hold them (nearest), not bilinear: a grey image in three
    files, one at twice the resolution, had no longer been alike, and was read as colour unsaid."""
    grey = np.random.default_rng(1).integers(0, 256, (1, 32, 32)).astype("uint8")
    files = [str(_tif(tmp_path / "a.tif", grey.repeat(2, 1).repeat(2, 2), 10.0)),
             str(_tif(tmp_path / "b.tif", grey, 20.0)), str(_tif(tmp_path / "c.tif", grey, 20.0))]
    img = read_image(files)
    assert any("3 bands are identical" in n for n in img.notes)


def described(path, names, dtype="float32"):
    """A 16x16 GeoTIFF of reflectance whose bands are described by ``names`` (as Earth Engine's export names them)."""
    data = np.random.default_rng(2).uniform(0.02, 0.4, (len(names), 16, 16)).astype(dtype)  # (C, H, W)
    _tif(path, data, 30.0)
    with rasterio.open(path, "r+") as ds:
        for i, n in enumerate(names):
            ds.set_band_description(i + 1, n)
    return path


def test_landsat7_stack_named_by_its_thermal_pair_is_read_by_landsat_numbering(tmp_path):
    """Earth Engine's LANDSAT/LE07 TOA stack (B1 … B5, B6_VCID_1, B6_VCID_2, B7, B8), its file named by the user:
    read as Sentinel-2's, its pan B8 was the model's near infrared and its NIR B4 red."""
    img = read_image(described(tmp_path / "export.tif", ["B1", "B2", "B3", "B4", "B5", "B6_VCID_1", "B6_VCID_2",
                                                         "B7", "B8"]))
    assert img.bands == ["B", "G", "R", "NIR", "SWIR1", "TIR", "SWIR2", "pan"]  # B6_VCID_2 left out (test_read_lead69)
    assert any("Landsat 7's numbering" in n and "B8 as pan" in n for n in img.notes)


def test_eleven_bands_b1_to_b11_are_landsat_8_9(tmp_path):
    names = [f"B{i}" for i in range(1, 12)]
    img = read_image(described(tmp_path / "toa.tif", names))
    assert img.bands == ["coastal", "B", "G", "R", "NIR", "SWIR1", "SWIR2", "pan", "cirrus", "TIR", "TIR2"]
    note = next(n for n in img.notes if "Landsat 8/9's numbering" in n)
    assert "--bands B01,B02,B03,B04,B05,B06,B07,B08,B09,B10,B11" in note
    # a product name saying Sentinel-2 keeps Sentinel-2's numbering
    s2 = read_image(described(tmp_path / "S2B_MSIL1C_20230613T101559_stack.tif", names))
    assert s2.bands[7] == "B08" and "pan" not in s2.bands


def test_four_bare_numbers_with_b8_still_say_the_landsat_reading(tmp_path):
    """No mission said: read as Sentinel-2's (B8 near infrared), the note offering Landsat's pan."""
    img = read_image(described(tmp_path / "sub.tif", ["B4", "B3", "B2", "B8"]))
    assert img.bands == ["B04", "B03", "B02", "B08"]
    assert any("--bands R,G,B,pan" in n for n in img.notes)


def _local_gcps(turn_deg, y0):
    """25 GCPs of a 20 m local grid in metres (x from 5, y from ``y0`` down), turned ``turn_deg``, with no CRS."""
    from rasterio.control import GroundControlPoint

    t = np.radians(turn_deg)
    return [GroundControlPoint(row=r, col=c, x=5 + 0.2 * (c * np.cos(t) - r * np.sin(t)),
                               y=y0 - 0.2 * (c * np.sin(t) + r * np.cos(t)))
            for r in range(0, 101, 25) for c in range(0, 101, 25)]


def test_a_small_local_grid_read_as_degrees_too_says_both_readings():
    """GCPs of a local grid in metres within 30 units of their centre were taken as degrees alone: turned 30° at
    y 70-90, put on the tangent plane near latitude 80° it was said turned 68°, and one turned 0.5° not north-up."""
    from rsvlm.io.georef import gcp_orientation_note

    note = gcp_orientation_note(_local_gcps(30, 90), None)
    assert "have no CRS, and read as longitude and latitude or as a local grid" in note
    assert "as a local grid not north-up: rotated -30°" in note and "gdal_edit.py -a_srs" in note
    assert "as a local grid north-up" in gcp_orientation_note(_local_gcps(0.5, 90), None)


def test_where_both_readings_agree_the_note_is_as_before():
    from rsvlm.io.georef import gcp_orientation_note

    assert gcp_orientation_note(_local_gcps(0, 20), None) is None  # north-up either way
    note = gcp_orientation_note(_local_gcps(20, 20), None)  # near the equator degrees and metres turn alike
    assert note.startswith("the image is not north-up: rotated") and "taken as longitude and latitude" in note


def test_an_alpha_band_beside_a_declared_nodata_masks_with_it(tmp_path, recwarn):
    """An RGBA GeoTIFF declaring nodata 0: GDAL's mask took every band's nodata, the alpha's 255 too, so the
    colour bands' nodata pixels and the alpha's transparent ones were all read as valid, with rasterio's
    NodataShadowWarning on stderr naming no file."""
    data = np.random.default_rng(0).integers(1, 255, (4, 32, 32)).astype("uint8")  # (C, H, W)
    data[3] = 255
    data[3, :, :8] = 0  # transparent strip, colours not 0
    data[:3, :4] = 0  # nodata rows, alpha 255 beyond the strip
    path = _tif(tmp_path / "rgba.tif", data, nodata=0, photometric="RGB", alpha="YES")
    img = read_image(path)
    assert img.modality == "optical" and img.valid is not None
    assert not img.valid[:, :8].any() and not img.valid[:4].any() and img.valid[4:, 8:].all()
    assert any("rgba.tif declares nodata 0 and has an alpha band" in n for n in img.notes)
    assert not [w for w in recwarn if "shadowing" in str(w.message)]


def test_gdal_sidecars_among_band_files_are_left_out_with_a_note(tmp_path):
    """A folder's ``*`` holds GDAL's B02.tif.aux.xml (QGIS's statistics): it was refused as 'a text file, not an
    image'."""
    files = []
    for k, b in enumerate(("B02", "B03")):
        data = np.random.default_rng(k).integers(500, 3000, (1, 16, 16)).astype("uint16")
        files.append(str(_tif(tmp_path / f"{b}.tif", data)))
    aux = tmp_path / "B02.tif.aux.xml"
    aux.write_text("<PAMDataset></PAMDataset>")
    img = read_image([files[0], str(aux), files[1]])
    assert img.bands == ["B02", "B03"] and img.files == files
    assert any(n.startswith("GDAL sidecar B02.tif.aux.xml given beside its image: left out") for n in img.notes)
    lone = tmp_path / "other.tif.aux.xml"  # a sidecar of no file given is no band either: refused, named
    lone.write_text("<PAMDataset></PAMDataset>")
    with pytest.raises(ValueError, match="other.tif.aux.xml"):
        read_image([*files, str(lone)])


def test_an_undeclared_fill_is_found_through_averaged_overviews(tmp_path):
    """The checks' sample is a decimated read, which takes a file's overviews: built by averaging (gdaladdo -r
    average), they blend a -9999 collar with the data along its edge, and the -7500s between hid the fill, which
    was then read as reflectance -9999."""
    from rasterio.enums import Resampling

    data = np.random.default_rng(3).uniform(0.02, 0.4, (4, 512, 512)).astype("float32")  # (C, H, W)
    data[:, :, :39] = -9999  # an edge 3/4 into an overview pixel: -7500 there
    path = _tif(tmp_path / "ov.tif", data, tiled=True, blockxsize=64, blockysize=64)
    with rasterio.open(path, "r+") as ds:
        ds.build_overviews([2, 4], Resampling.average)
    img = read_image(path, scaling={"stats_max_side": 128})
    assert img.valid is not None and not img.valid[:, :39].any() and img.valid[:, 39:].all()
    assert any("hold -9999, far outside" in n and "read as nodata" in n for n in img.notes)
