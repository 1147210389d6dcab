"""Reading and tiling met with odd inputs (tour 59): --overlap 0 seams, thermal kelvin bands, huge
scenes, and odd files (palette, 16-bit, CMYK, RGBA, NaN nodata, SAR dB and complex)."""

from __future__ import annotations

import numpy as np
import pytest

from rsvlm.io import merge_tile_objects, run_tiled

rasterio = pytest.importorskip("rasterio")
shapely = pytest.importorskip("shapely")
from read_helpers import utm_tif  # noqa: E402


def _tif(path, data, **kw):
    """A GeoTIFF of ``data`` (C, H, W)."""
    return utm_tif(path, data, res=1, origin=(300000, 5000000), **kw)


# --- --overlap 0: objects cut at a seam between tiles that abut ----------------------------------

def test_overlap_0_boxes_cut_at_seams_come_back_once_with_their_whole_extent(tmp_path):
    """With overlap 0 the two halves of a car on a seam do not overlap: NMS kept both (888 boxes for
    777 cars). A thresholding detector sees each tile's piece; the merge gives the scene's boxes."""
    from scipy import ndimage

    boxes = [[80, 20, 130, 40], [20, 90, 40, 115], [85, 85, 120, 120], [150, 150, 170, 170]]  # x, corner, inside
    scene = np.zeros((1, 200, 200), np.uint8)
    for x1, y1, x2, y2 in boxes:
        scene[:, y1:y2, x1:x2] = 200
    path = _tif(tmp_path / "cars.tif", scene)

    def detect(tiles):
        out = []
        for t in tiles:
            lab, _ = ndimage.label(t.data[0] > 0.5)
            out.append([{"kind": "box", "label": "car", "coords": [s[1].start, s[0].start, s[1].stop, s[0].stop]}
                        for s in ndimage.find_objects(lab)])
        return out

    objs = run_tiled(path, detect, tile=100, overlap=0, progress=False)
    assert sorted(o["coords"] for o in objs) == sorted([float(v) for v in b] for b in boxes)


def test_overlap_0_views_drawn_short_of_the_seam_join_and_neighbours_stay_apart():
    left, right = (0, 0, 100, 100), (100, 0, 100, 100)
    car = lambda c, **kw: {"kind": "box", "label": "car", "coords": c, **kw}  # noqa: E731
    objs = merge_tile_objects([(left, [car([70, 10, 99, 30], score=0.6), car([80, 60, 98.5, 70])]),
                               (right, [car([1, 11, 20, 31], score=0.9), car([1, 80, 15, 95])])],
                              scene_size=(200, 100))
    # one car cut at x=100, drawn 1 px short on each side; two cars at other heights stay two
    assert sorted(o["coords"] for o in objs) == [[70, 10, 120, 31], [80, 60, 98.5, 70], [101, 80, 115, 95]]
    assert [o.get("score") for o in objs if o["coords"][0] == 70] == [0.9]
    # overlapping tiles are left to NMS as before: no seam between them
    objs = merge_tile_objects([((0, 0, 100, 100), [car([70, 10, 99, 30])]), ((90, 0, 100, 100), [car([11, 11, 30, 31])])],
                              scene_size=(190, 100))
    assert len(objs) == 2


def test_overlap_0_oriented_boxes_and_polygons_cut_at_a_seam_are_one_object():
    from shapely.geometry import Polygon, box

    from rsvlm.io.georef import object_geometry

    ship = shapely.affinity.rotate(box(60, 40, 140, 60), 25, origin="centroid")  # crosses x=100
    left, right = (0, 0, 100, 100), (100, 0, 100, 100)
    views = []
    for x0, w in ((0, left), (100, right)):
        piece = ship.intersection(box(x0, 0, x0 + 100, 100))
        quad = [[x - x0, y] for x, y in piece.minimum_rotated_rectangle.exterior.coords[:4]]
        views.append((w, [{"kind": "obb", "label": "ship", "coords": quad}]))
    objs = merge_tile_objects(views, scene_size=(200, 100))
    assert len(objs) == 1
    assert object_geometry(objs[0]).intersection(ship).area / ship.area > 0.95

    lake = [[(60, 20), (99, 20), (99, 80), (60, 80)], [(1, 30), (40, 30), (40, 70), (1, 70)]]  # 2 px gap at x=100
    objs = merge_tile_objects([(left, [{"kind": "poly", "label": "lake", "coords": [list(p) for p in lake[0]]}]),
                               (right, [{"kind": "poly", "label": "lake", "coords": [list(p) for p in lake[1]]}])],
                              scene_size=(200, 100))
    assert len(objs) == 1 and "rings" not in objs[0]
    got = Polygon(objs[0]["coords"])
    assert got.is_valid and got.bounds == (60, 20, 140, 80)


# --- one float band in kelvin is thermal, not SAR ------------------------------------------------

def _kelvin(rng, shape=(1, 64, 64)):
    return (290 + 15 * rng.standard_normal(shape)).astype(np.float32)  # (1, H, W) a land surface, 250-330 K


def test_a_float_band_in_kelvin_reads_as_ir_not_sar(tmp_path):
    """One float32 band of brightness temperatures (250-330 K) was taken as SAR by its type and read
    as 20·log10 of an 'amplitude'."""
    from rsvlm.io import read_image

    rng = np.random.default_rng(0)
    img = read_image(_tif(tmp_path / "thermal.tif", _kelvin(rng)))
    assert img.modality == "ir"
    assert any("modality inferred as ir from 1 band float32: its values" in n for n in img.notes)
    assert any(n.startswith("stretch (2-98 percentiles, K)") for n in img.notes)  # kelvin, not dB
    # a band that says it is kelvin, whatever its values (a cold cloud top); NaN as nodata
    cold = _kelvin(rng) - 100
    cold[0, :8] = np.nan
    p = tmp_path / "cloud.tif"
    _tif(p, cold)
    with rasterio.open(p, "r+") as ds:
        ds.units = ["K"]
    img = read_image(p)
    assert img.modality == "ir" and "its unit 'K'" in img.notes[0] and img.valid is not None and not img.valid[:8].any()
    # described as a temperature, in degrees Celsius: ir, read as it is
    with rasterio.open(_tif(tmp_path / "lst.tif", _kelvin(rng) - 273.15), "r+") as ds:
        ds.set_band_description(1, "LST_Day_1km")
    assert read_image(tmp_path / "lst.tif").modality == "ir"
    for fill in (0, -9999):  # an undeclared fill around the swath hid the kelvin range
        framed = _kelvin(rng)
        framed[0, :, :12] = fill
        img = read_image(_tif(tmp_path / f"fill{fill}.tif", framed))
        assert img.modality == "ir" and not img.valid[:, :12].any() and img.valid[:, 12:].all(), fill


def test_float_sar_stays_sar_beside_the_kelvin_guess(tmp_path):
    from rsvlm.io import read_image

    rng = np.random.default_rng(1)
    linear = rng.gamma(1.0, 0.1, (1, 64, 64)).astype(np.float32)  # (1, H, W) sigma0, speckled
    assert read_image(_tif(tmp_path / "s0.tif", linear)).modality == "sar"
    amplitude = (200 * rng.rayleigh(1.0, (1, 64, 64))).astype(np.float32)  # mean near 250, spread a decade
    assert read_image(_tif(tmp_path / "amp.tif", amplitude)).modality == "sar"
    with rasterio.open(_tif(tmp_path / "vv.tif", _kelvin(rng)), "r+") as ds:  # kelvin-like values named VV
        ds.set_band_description(1, "Sigma0_VV")
    assert read_image(tmp_path / "vv.tif").modality == "sar"
    db = (-12 + 4 * rng.standard_normal((1, 64, 64))).astype(np.float32)
    assert read_image(_tif(tmp_path / "db.tif", db)).modality == "sar"


# --- a scene too large for memory -----------------------------------------------------------------

def test_a_scene_too_large_for_memory_names_the_file_its_size_and_tile(tmp_path, monkeypatch):
    """A bare MemoryError ("Unable to allocate 931 GiB") named no file and said nothing of --tile."""
    from rsvlm.io import ImageReadError, SceneTooLarge, read_image, sources
    from rsvlm.io.shared_read import SharedRead

    p = _tif(tmp_path / "big.tif", np.full((3, 40, 60), 9, np.uint16))

    def short_of_memory(*a, **k):
        raise MemoryError("Unable to allocate 931. GiB for an array with shape (3, 400000, 600000)")

    monkeypatch.setattr(sources.RasterioSource, "read", short_of_memory)  # a window's read
    monkeypatch.setattr(SharedRead, "shrunk", short_of_memory)  # the whole read: held once (WHOLE_HELD), given whole
    with pytest.raises(SceneTooLarge, match=r"big\.tif: not enough memory to read the whole scene at once: 60x40 "
                                            r"pixels, 3 bands of uint16.*--tile 512") as e:
        read_image(p)
    assert isinstance(e.value, MemoryError) and isinstance(e.value, ImageReadError)  # predict says ValueErrors
    with pytest.raises(SceneTooLarge, match=r"read window \(0, 0, 8, 4\) at once: 8x4 pixels.*a smaller --tile"):
        read_image(p, window=(0, 0, 8, 4))  # run_tiled's window: --tile 512 is no news there
    # a PNG is decoded whole when it is opened: said there, with its size from the header
    from PIL import Image

    Image.fromarray(np.zeros((30, 50, 3), np.uint8)).save(tmp_path / "big.png")
    monkeypatch.setattr(sources, "_read_pil", short_of_memory)
    with pytest.raises(SceneTooLarge, match=r"big\.png: not enough memory to read the scene at once: 50x30 pixels, "
                                            r"3 bands of uint8"):
        read_image(tmp_path / "big.png")


def test_one_int16_band_of_db_times_100_reads_as_sar_not_thermal(tmp_path):
    """A single-polarisation int16 archive of dB × 100 (-2000 to -400) was inferred ir by its type, and
    stretched as thermal DN; as two bands the same values were sar already."""
    from rsvlm.io import read_image

    rng = np.random.default_rng(2)
    db = (-1200 + 400 * rng.standard_normal((1, 64, 64))).astype(np.int16)  # (1, H, W) dB × 100
    db[0, :, :32] -= 1000  # water, darker
    img = read_image(_tif(tmp_path / "vv_db.tif", db))
    assert img.modality == "sar" and "1 band int16: its values, mostly negative" in img.notes[0]
    assert img.data[0, :, :32].mean() < img.data[0, :, 32:].mean()  # water stays dark (read as dB, not amplitude)
    heights = (300 + 50 * rng.standard_normal((1, 64, 64))).astype(np.int16)  # a positive int16 band: ir as before
    assert read_image(_tif(tmp_path / "dem.tif", heights)).modality == "ir"
    with rasterio.open(_tif(tmp_path / "cold.tif", (db // 10).astype(np.int16)), "r+") as ds:
        ds.set_band_description(1, "temperature_celsius_x10")  # said to be a temperature: ir, though negative
    assert read_image(tmp_path / "cold.tif").modality == "ir"


# --- odd files ------------------------------------------------------------------------------------

def test_a_transparent_colour_of_a_grey_or_rgb_png_is_nodata(tmp_path):
    """A PNG's tRNS colour (grey 0, or RGB (1, 2, 3)) marks transparent pixels as an alpha band would;
    only a palette PNG's was read, a grey or RGB one's pixels came back valid."""
    from PIL import Image

    from rsvlm.io import read_image

    rng = np.random.default_rng(3)
    grey = rng.integers(1, 255, (32, 40), dtype=np.uint8)  # (H, W)
    grey[:4] = 0
    Image.fromarray(grey).save(tmp_path / "g.png", transparency=0)
    img = read_image(tmp_path / "g.png")
    assert img.valid is not None and not img.valid[:4].any() and img.valid[4:].all()
    rgb = rng.integers(10, 255, (32, 40, 3), dtype=np.uint8)  # (H, W, 3)
    rgb[:, :5] = (1, 2, 3)
    Image.fromarray(rgb).save(tmp_path / "c.png", transparency=(1, 2, 3))
    img = read_image(tmp_path / "c.png")
    assert img.modality == "optical" and img.data.shape == (3, 32, 40)
    assert not img.valid[:, :5].any() and img.valid[:, 5:].all()
    deep = rng.integers(100, 60000, (32, 40)).astype(np.uint16)
    deep[-3:] = 7
    Image.fromarray(deep).save(tmp_path / "d.png", transparency=7)
    img = read_image(tmp_path / "d.png")
    assert not img.valid[-3:].any() and img.valid[:-3].all()


def test_an_rgba_geotiff_whose_alpha_is_not_flagged_is_said_so(tmp_path):
    """4 uint8 bands R, G, B and an undeclared 4th of only 0 and 255 read as 4-band msi, the mask
    taken for a NIR band without a word."""
    from rasterio.enums import ColorInterp

    from rsvlm.io import read_image

    rgba = np.random.default_rng(4).integers(1, 255, (4, 32, 40)).astype(np.uint8)  # (4, H, W)
    rgba[3] = 255
    rgba[3, :, :10] = 0
    p = _tif(tmp_path / "rgba.tif", rgba, photometric="RGB")
    img = read_image(p)
    assert img.modality == "msi" and any("band 4 holds only 0 and 255 as an alpha band does" in n for n in img.notes)
    with rasterio.open(p, "r+") as ds:  # what gdal_edit.py -colorinterp_4 alpha does
        ds.colorinterp = [ColorInterp.red, ColorInterp.green, ColorInterp.blue, ColorInterp.alpha]
    img = read_image(p)
    assert img.modality == "optical" and not img.valid[:, :10].any()
    rgba[3] = np.random.default_rng(5).integers(0, 255, (32, 40))  # a real 4th band (NIR): nothing said
    assert not any("band 4" in n for n in read_image(_tif(tmp_path / "rgbn.tif", rgba, photometric="RGB")).notes)


# --- every real fixture reads with its modality ---------------------------------------------------

REAL_MODALITIES = {  # file → the modality read_image infers (README.md of the fixtures says what each is)
    "obb_dota/P1888.png": "optical", "cd_levir/test_7_0256_0512_A.png": "optical", "cls_aid/church_183.png": "optical",
    "seg_detectree/1091-322_00_img.tif": "optical", "msi_landsat7/RGB.byte.tif": "optical",  # a true-colour composite
    "msi_rgbn/rgbn_suba.tif": "msi", "msi_s2/B02.jp2": "msi",
    "ir_landsat8/LC08_L1TP_016037_20170813_20170814_01_RT_B10.TIF": "ir",
    "sar_s1grd/iw-vv.tiff": "sar", "sar_spacenet6/sar_hh.tif": "sar",
    # grey saved as RGB (SAR, thermal): optical, with a note that says to give the modality
    "sar_hrsid/P0008_0_800_9000_9800.jpg": "optical", "ir_sirst/Misc_100.png": "optical",
    "bldg_spacenet4/sample_geotiff.tif": "optical",  # a uint16 pan band of 11-bit DN: optical, the note says --modality ir
}


@pytest.mark.parametrize("name", sorted(REAL_MODALITIES))
def test_real_fixtures_read_with_their_modality(realdata, name):
    from rsvlm.io import read_image

    img = read_image(realdata / name)
    assert img.modality == REAL_MODALITIES[name], img.notes
    assert np.isfinite(img.data).all() and 0 <= img.data.min()
    assert img.modality == "msi" or img.data.max() <= 1  # (msi is reflectance: a bright roof passes 1)
    if name.endswith(("P0008_0_800_9000_9800.jpg", "Misc_100.png")):
        assert any("give the modality (--modality sar or ir)" in n for n in img.notes)
    if name.endswith("sample_geotiff.tif"):
        assert "panchromatic" in img.notes[0] and "--modality ir" in img.notes[0]
    if "_B10" in name:
        assert any(n.startswith("stretch (2-98 percentiles, K)") for n in img.notes)  # brightness temperature


def test_real_sentinel2_band_files_read_as_one_msi_image(realdata):
    from rsvlm.io import read_image

    img = read_image([realdata / "msi_s2" / f"{b}.jp2" for b in ("B02", "B03", "B04", "B08")])
    assert img.modality == "msi" and img.bands == ["B02", "B03", "B04", "B08"]


def test_a_scene_too_large_says_the_data_type_of_a_16_bit_or_float_image_pil_reads(tmp_path):
    """header_size gave PIL's mode as the type: '1 band(s) of I;16', '1 band(s) of F'."""
    from PIL import Image

    from rsvlm.io.large import header_size

    Image.fromarray(np.zeros((4, 5), np.uint16)).save(tmp_path / "deep.png")
    Image.fromarray(np.zeros((4, 5), np.float32)).save(tmp_path / "float.tif")
    Image.fromarray(np.zeros((4, 5, 3), np.uint8)).save(tmp_path / "rgb.png")
    assert header_size(str(tmp_path / "deep.png")) == (5, 4, 1, "uint16")
    assert header_size(str(tmp_path / "float.tif")) == (5, 4, 1, "float32")
    assert header_size(str(tmp_path / "rgb.png")) == (5, 4, 3, "uint8")
