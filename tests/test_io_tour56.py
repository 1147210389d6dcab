"""Rough-edge tour 56 of scaling, georeferencing, products and overlays."""

from __future__ import annotations

import numpy as np
import pytest

from rsvlm.io import ReadConfig, read_image

pytest.importorskip("rasterio")
from test_io_read import write_tif  # noqa: E402


def _sigma0_db(h: int = 64, w: int = 64) -> np.ndarray:
    """A float32 sigma0 scene in dB (1, h, w): water (top half) near -23 dB, land near -9 dB."""
    rng = np.random.default_rng(0)
    db = rng.normal(-9.0, 2.0, (1, h, w)).astype(np.float32)
    db[0, : h // 2] -= 14.0
    return db


def test_float_sar_already_in_db_keeps_water_dark(tmp_path):
    """Float SAR in dB (a SNAP or Earth Engine sigma0 export) was taken as amplitude: 20·log10 of
    |-23| is above 20·log10(|-9|), so calm water came out brighter than land, and a pixel at 0 dB
    was made invalid. Its values are now kept as dB, with a note; the same scene in linear
    intensity reads alike."""
    db = _sigma0_db()
    img = read_image(write_tif(tmp_path / "db.tif", db))
    assert img.modality == "sar"
    assert img.data[0, :32].mean() < 0.3 < 0.6 < img.data[0, 32:].mean()  # water dark, land bright
    assert any("already in dB" in n for n in img.notes), img.notes
    lin = read_image(write_tif(tmp_path / "lin.tif", (10 ** (db / 10)).astype(np.float32)))
    np.testing.assert_allclose(img.data, lin.data, atol=1e-4)
    assert not any("already in dB" in n for n in lin.notes), lin.notes


def test_float_sar_is_told_in_db_by_its_low_values_not_its_median(tmp_path):
    """A city's sigma0 in dB has its median above 0 dB, yet is dB; noise-subtracted intensity over
    open water has its median a hair below 0, yet is no dB."""
    city = np.random.default_rng(1).normal(3.0, 2.0, (1, 64, 64)).astype(np.float32)  # (1, H, W) dB
    city[0, :12] -= 15.0  # a river, near -12 dB
    assert np.median(city) > 0
    img = read_image(write_tif(tmp_path / "city.tif", city))
    assert any("already in dB" in n for n in img.notes), img.notes
    noise = np.random.default_rng(1).normal(-0.0005, 0.002, (1, 64, 64)).astype(np.float32)
    noise[0, :, 60:] = 0.05  # a ship's bright strip
    assert np.median(noise) < 0
    sea = read_image(write_tif(tmp_path / "sea.tif", noise))
    assert not any("already in dB" in n for n in sea.notes), sea.notes
    assert sea.data[0, :, 60:].mean() > 0.9  # the strip bright (its non-positive pixels are invalid)


def test_float_sar_in_db_can_be_told_otherwise_and_a_misspelt_sar_input_is_refused(tmp_path):
    """An explicit sar_input wins over the values; one it does not know ("power") was read as
    amplitude without a word."""
    path = write_tif(tmp_path / "db.tif", _sigma0_db())
    forced = read_image(path, scaling=ReadConfig(sar_input="amplitude"))
    assert forced.data[0, :32].mean() > forced.data[0, 32:].mean()  # what the user asked for
    assert not any("already in dB" in n for n in forced.notes)
    fixed = read_image(path, scaling=ReadConfig(sar_db_range=[-25.0, 0.0]))
    np.testing.assert_allclose(fixed.data[0, 5, 5], np.clip((_sigma0_db()[0, 5, 5] + 25) / 25, 0, 1), atol=1e-6)
    with pytest.raises(ValueError, match="sar_input.*'power'"):
        read_image(path, scaling=ReadConfig(sar_input="power"))


@pytest.mark.parametrize("modality, bands", [("ir", ["TIR"]), ("msi", ["B02", "B03", "B04", "B08"])])
def test_display_of_a_large_scene_costs_little_more_than_its_output(modality, bands):
    """to_display_rgb made float64 (H, W, 3) copies of the scene: a 6000² thermal band (144 MB)
    took 3.3 GB more to draw, a 4-band msi one 2.7 GB. It now works a band at a time in uint8,
    its percentiles from the scene decimated as the reader's are."""
    import tracemalloc

    from rsvlm.io import RSImage, to_display_rgb

    n = 1200
    data = np.random.default_rng(0).random((len(bands), n, n), dtype=np.float32)  # (C, H, W)
    valid = np.ones((n, n), bool)
    valid[:20] = False
    img = RSImage(data=data, modality=modality, bands=bands, path="big", valid=valid)
    tracemalloc.start()
    try:
        rgb = to_display_rgb(img)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert rgb.shape == (n, n, 3) and (rgb[:20] == 0).all() and rgb[20:].mean() > 60
    assert peak < 16 * n * n, f"{peak / n / n:.0f} bytes a pixel"  # output 3, a float band 4, masks, the sample


def test_a_one_band_optical_image_is_drawn_grey(tmp_path):
    """An RSImage built by hand with one grey optical band (the reader replicates it, a caller need
    not) failed in PIL: "Cannot handle this data type: (1, 1, 1), |u1"."""
    from PIL import Image

    from rsvlm.io import RSImage, draw_overlay

    ramp = np.tile(np.linspace(0, 1, 64, dtype=np.float32), (48, 1))[None]  # (1, 48, 64)
    img = RSImage(data=ramp, modality="optical", bands=["pan"], path="pan")
    out = np.asarray(Image.open(draw_overlay(img, [], tmp_path / "pan.png", min_side=64)))
    assert out.shape == (48, 64, 3) and (out[..., 0] == out[..., 2]).all()
    assert out[0, 0, 0] == 0 and out[0, -1, 0] == 255


def test_objects_wholly_outside_the_image_are_counted_in_the_legend(tmp_path):
    """A box past the image's edge (a model's answer off the scene, or objects of another image)
    was drawn nowhere and said nowhere: its label fell off the canvas and counted as shown. It is
    now left out and the legend strip says how many; an object in part inside is still drawn, as
    is one of a scene drawn on its shrunk overview (object_scale)."""
    from PIL import Image

    from rsvlm.io import RSImage, draw_overlay

    img = RSImage(data=np.zeros((3, 100, 200), np.float32), modality="optical", bands=["R", "G", "B"], path="o")
    inside = [{"kind": "box", "coords": [150, 80, 260, 140], "label": "ship"}]  # in part inside
    out = [{"kind": "box", "coords": [400, 300, 420, 320], "label": "ship"},
           {"kind": "mask", "mask": np.ones((4, 4), bool), "offset": [-50, 10], "label": "pond"}]
    plain = Image.open(draw_overlay(img, inside, tmp_path / "a.png", min_side=200))
    told = Image.open(draw_overlay(img, inside + out, tmp_path / "b.png", min_side=200))
    assert plain.size == (200, 100) and told.width == 200 and told.height > 100  # a legend strip below
    np.testing.assert_array_equal(np.asarray(told)[:100], np.asarray(plain))  # nothing more drawn on the image
    half = RSImage(data=np.zeros((3, 50, 100), np.float32), modality="optical", bands=["R", "G", "B"], path="ov")
    shrunk = Image.open(draw_overlay(half, inside, tmp_path / "c.png", min_side=100, object_scale=0.5))
    assert shrunk.size == (100, 50) and np.asarray(shrunk).any()  # drawn, no legend


@pytest.mark.parametrize("cfg, name", [
    (ReadConfig(sar_db_range=[0.0, -25.0]), "sar_db_range"),  # was: the image turned over
    (ReadConfig(sar_db_range=[-5.0, -5.0]), "sar_db_range"),  # was: all black
    (ReadConfig(percentiles=(98.0, 2.0)), "percentiles"),  # was: nearly black
    (ReadConfig(percentiles=(2.0, 180.0)), "percentiles"),  # was: numpy's "Percentiles must be in the range"
    (ReadConfig(stretch=[[float("nan"), 3.0]]), r"stretch\[0\]"),  # was: every value NaN
    (ReadConfig(sar_input="power"), "sar_input"),
    (ReadConfig(msi_scale=0.0), "msi_scale"),  # was: every reflectance inf
    (ReadConfig(stats_max_side=0), "stats_max_side"),
])
def test_a_scaling_range_that_cannot_scale_is_refused_naming_the_setting(tmp_path, cfg, name):
    """Fixed or percentile ranges that are not [low, high] were used as given: reversed they turned
    the image over, with equal ends it came out black, with a NaN end every value was NaN."""
    path = write_tif(tmp_path / "db.tif", _sigma0_db())
    with pytest.raises(ValueError, match=f"ReadConfig.{name}"):
        read_image(path, scaling=cfg)
    assert np.isfinite(read_image(path, scaling=ReadConfig(sar_db_range=[-25.0, 0.0])).data).all()


def test_thermal_overlays_with_a_fixed_kelvin_range_share_their_colours(tmp_path):
    """ir was stretched again for display (1-99 percentiles of each scene), so with a fixed
    ir_kelvin_range, set to compare scenes, a cool scene and a warm one both ran from black to
    yellow. The display now keeps the reader's scaling: 285 K is one colour in both."""
    from rsvlm.io import to_display_rgb

    cfg = ReadConfig(ir_kelvin=[0.01, 0.0], ir_kelvin_range=[270.0, 320.0])  # K = DN / 100
    ramp = np.linspace(0, 1, 40 * 40).reshape(1, 40, 40)
    cool = read_image(write_tif(tmp_path / "cool.tif", (28000 + 1000 * ramp).astype(np.uint16)), "ir", scaling=cfg)
    warm = read_image(write_tif(tmp_path / "warm.tif", (28500 + 1000 * ramp).astype(np.uint16)), "ir", scaling=cfg)
    a, b = to_display_rgb(cool), to_display_rgb(warm)  # (40, 40, 3)
    at_285_cool = a.reshape(-1, 3)[np.abs(280 + 10 * ramp.ravel() - 285).argmin()]
    at_285_warm = b.reshape(-1, 3)[np.abs(285 + 10 * ramp.ravel() - 285).argmin()]
    np.testing.assert_allclose(at_285_cool, at_285_warm, atol=2)
    assert a[0, 0].sum() > 60  # 280 K is no black: the range starts at 270 K


L8 = "LC08_L1TP_016037_20170813_20170814_01_RT"
MTL = """GROUP = L1_METADATA_FILE
    SUN_ELEVATION = 62.17310472
    RADIANCE_MULT_BAND_10 = 3.3420E-04
    RADIANCE_ADD_BAND_10 = 0.10000
    K1_CONSTANT_BAND_10 = 774.8853
    K2_CONSTANT_BAND_10 = 1321.0789
    REFLECTANCE_MULT_BAND_2 = 2.0000E-05
    REFLECTANCE_MULT_BAND_3 = 2.0000E-05
    REFLECTANCE_ADD_BAND_2 = -0.100000
    REFLECTANCE_ADD_BAND_3 = -0.100000
"""


def _landsat_dn(seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(20000, 30000, (1, 32, 32)).astype(np.uint16)  # (1, H, W)


def test_a_landsat_thermal_band_whose_mtl_lacks_its_constants_says_so(tmp_path):
    """A Level-1 thermal band beside an _MTL.txt cut short (K1, K2 lost) was stretched as DN with
    no word of why it was no temperature; a complete one still gives kelvin."""
    band = write_tif(tmp_path / f"{L8}_B10.TIF", _landsat_dn())
    (tmp_path / f"{L8}_MTL.txt").write_text(MTL.split("    K1_")[0])  # cut before K1
    cut = read_image(band)
    assert any("K1_CONSTANT_BAND_10, K2_CONSTANT_BAND_10" in n and "not turned into kelvin" in n
               for n in cut.notes), cut.notes
    assert not any(", K)" in n for n in cut.notes), cut.notes  # its stretch is in DN
    (tmp_path / f"{L8}_MTL.txt").write_text(MTL)
    whole = read_image(band)
    assert any("stretch (2-98 percentiles, K)" in n for n in whole.notes), whole.notes


def test_landsat_level1_reflectance_says_what_its_mtl_lacks_instead_of_that_there_is_none(tmp_path):
    """Band files whose _MTL.txt had no reflectance rescaling for them were said to have no _MTL.txt."""
    paths = [write_tif(tmp_path / f"{L8}_B{b}.TIF", _landsat_dn(b)) for b in (2, 3, 4)]
    (tmp_path / f"{L8}_MTL.txt").write_text(MTL)  # no REFLECTANCE_*_BAND_4
    img = read_image(paths)
    note = next(n for n in img.notes if "Level-1 reflectance" in n)
    assert "REFLECTANCE_MULT/ADD" in note and "B2, B3, B4" in note and "no _MTL.txt" not in note, note
    np.testing.assert_allclose(np.nanmax(img.data), 30000 * 2e-5 - 0.1, atol=1e-3)  # DN × 2e-5 − 0.1
    (tmp_path / f"{L8}_MTL.txt").write_text(MTL + "    REFLECTANCE_MULT_BAND_4 = 2.0000E-05\n"
                                                  "    REFLECTANCE_ADD_BAND_4 = -0.100000\n")
    assert any("sun elevation" in n and "from the _MTL.txt" in n for n in read_image(paths).notes)


@pytest.mark.parametrize("xy", [[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], [1.0, 2.0, 3.0, 4.0], 5.0])
def test_coordinates_that_are_no_points_are_refused(xy):
    """(N, 3) points or a flat [x1, y1, x2, y2] were reshaped into pairs and mapped: numbers of
    the wrong shape came back as if they were right."""
    from rsvlm.io import map_to_pixel, pixel_to_map

    t = (10.0, 0.0, 500000.0, 0.0, -10.0, 4200000.0)
    for f in (pixel_to_map, map_to_pixel):
        with pytest.raises(ValueError, match=r"\[x, y\] or an \(N, 2\) array"):
            f(t, xy)
    assert pixel_to_map(t, [[1, 2], [3, 4]]).tolist() == [[500010.0, 4199980.0], [500030.0, 4199960.0]]


def test_each_filled_polygon_costs_its_own_box_not_the_canvas(tmp_path, monkeypatch):
    """Every polygon's fill was drawn on two canvas-sized images: 300 polygons of a tiled scene's
    answer on a 4096 px overlay took 43 s (now 3 s). The fill is now drawn in the polygon's box,
    pixel for pixel as before; polygons past the edge are clipped."""
    from PIL import Image

    from rsvlm.io import RSImage, draw_overlay

    sizes = []
    new = Image.new
    monkeypatch.setattr(Image, "new", lambda mode, size, *a, **k: sizes.append(tuple(size)) or new(mode, size, *a, **k))
    img = RSImage(data=np.zeros((3, 256, 256), np.float32), modality="optical", bands=["R", "G", "B"], path="o")
    square = [[10, 10], [40, 10], [40, 40], [10, 40]]
    objs = [{"kind": "poly", "coords": [[x + 8 * i, y + 8 * i] for x, y in square], "label": "field"} for i in range(30)]
    out = np.asarray(Image.open(draw_overlay(img, objs, tmp_path / "p.png", min_side=256)))
    assert sizes.count((256, 256)) < 5, sizes.count((256, 256))  # base, fill layer: not two per polygon
    assert out[25, 25].any() and out[250, 250].any() and not out[5, 250].any()  # filled in, clipped, not beyond


def test_an_image_with_a_transform_but_no_crs_says_it_gets_no_map_coordinates(tmp_path):
    """A world file without its .prj (or a GeoTIFF without a CRS) has a transform, so it looked
    georeferenced, yet predict's objects came without map coordinates and nothing said why."""
    from PIL import Image

    a = np.random.default_rng(0).integers(0, 255, (3, 40, 50)).astype(np.uint8)  # (C, H, W)
    no_crs = read_image(write_tif(tmp_path / "a.tif", a, crs=None))
    Image.fromarray(a.transpose(1, 2, 0)).save(tmp_path / "b.png")
    (tmp_path / "b.pgw").write_text("0.5\n0\n0\n-0.5\n500000\n4000000\n")
    world = read_image(tmp_path / "b.png")
    for img in (no_crs, world):
        assert img.transform is not None and img.crs is None and not img.georeferenced
        assert any("georeferenced without a CRS" in n for n in img.notes), img.notes
    with_crs = read_image(write_tif(tmp_path / "c.tif", a))
    assert with_crs.georeferenced and not any("without a CRS" in n for n in with_crs.notes)


def test_ir_kelvin_turns_a_float_radiance_band_into_kelvin(tmp_path):
    """ir_kelvin was applied to integer DN only: a float32 radiance band given the constants was
    stretched as radiance without a word, and with ir_kelvin_range the reader asked for the
    ir_kelvin it had been given."""
    rad = np.random.default_rng(0).uniform(8.0, 11.0, (1, 32, 32)).astype(np.float32)  # W/(m² sr µm)
    rad[0, 0, 0] = np.nan
    path = write_tif(tmp_path / "rad.tif", rad)
    k1, k2 = 774.8853, 1321.0789  # Landsat 8 band 10
    img = read_image(path, "ir", scaling=ReadConfig(ir_kelvin=[1.0, 0.0, k1, k2], ir_kelvin_range=[270.0, 320.0]))
    kelvin = k2 / np.log(k1 / rad[0, 5, 5] + 1)
    assert 280 < kelvin < 310 and not img.valid[0, 0]
    np.testing.assert_allclose(img.data[0, 5, 5], (kelvin - 270) / 50, atol=1e-5)
    celsius = read_image(path, "ir", scaling=ReadConfig(ir_kelvin=[1.0, 273.15], ir_kelvin_range=[270.0, 320.0]))
    np.testing.assert_allclose(celsius.data[0, 5, 5], (rad[0, 5, 5] + 3.15) / 50, atol=1e-5)
    assert not celsius.valid[0, 0]


@pytest.mark.parametrize("obj, why", [
    ({"kind": "circle", "coords": [10, 10, 5]}, "kind 'circle' is none of box"),  # was: "cannot reshape array"
    ({"coords": [1, 1, 5, 5]}, "kind None is none of box"),  # was: KeyError 'kind'
    ({"kind": "box", "coords": [1, 1, 5]}, r"box coords are \[x1, y1, x2, y2\]"),  # was: "cannot reshape"
    ({"kind": "obb", "coords": [[1, 1], [5, 1], [5, 5]]}, "obb coords are 4"),  # was: drawn as a triangle
    ({"kind": "mask", "coords": None}, "neither a 'mask' array"),
])
def test_an_object_that_is_no_geometry_is_refused_naming_it(tmp_path, obj, why):
    """draw_overlay met a malformed object with numpy's or Python's own error, naming neither the
    object nor what was wrong with it."""
    from rsvlm.io import RSImage, draw_overlay

    img = RSImage(data=np.zeros((3, 50, 50), np.float32), modality="optical", bands=["R", "G", "B"], path="o")
    good = {"kind": "point", "coords": [3, 3]}
    with pytest.raises(ValueError, match=f"object 1 .*{why}"):
        draw_overlay(img, [good, obj], tmp_path / "o.png")
    assert not (tmp_path / "o.png").exists()


@pytest.mark.parametrize("obj, why", [
    ({"kind": "box", "coords": [1, 1, 5]}, "not enough values to unpack"),
    ({"coords": [1, 1, 5, 5]}, "unknown object kind None"),
    ("box", "'str' object has no attribute"),
])
def test_geojson_and_map_coordinates_name_the_object_they_cannot_place(obj, why):
    """objects_to_geojson and objects_with_map_coords raised Python's own error for a malformed
    object ("not enough values to unpack", an AttributeError predict did not catch), naming no object."""
    from rsvlm.io import objects_to_geojson, objects_with_map_coords
    from rsvlm.io.read import RSImage

    img = RSImage(data=np.zeros((3, 8, 8), np.float32), modality="optical", bands=["R", "G", "B"], path="g.tif",
                  crs="EPSG:32633", transform=(10.0, 0.0, 500000.0, 0.0, -10.0, 4200000.0))
    good = {"kind": "point", "coords": [1, 1]}
    for f in (objects_to_geojson, objects_with_map_coords):
        with pytest.raises(ValueError, match=f"object 1 .*{why}"):
            f([good, obj], img)
    assert objects_with_map_coords([good], img)[0]["map_coords"] == [500010.0, 4199990.0]


def test_a_long_title_is_wrapped_to_the_overlay_not_cut_at_its_edge(tmp_path):
    """predict and chat put the question above the overlay on one line: a long one ran off the
    image's right edge and was lost there."""
    from PIL import Image

    from rsvlm.io import RSImage, draw_overlay

    img = RSImage(data=np.zeros((3, 64, 64), np.float32), modality="optical", bands=["R", "G", "B"], path="o")
    title = "[det] Detect every small vehicle parked along the road north of the river " * 4
    out = np.asarray(Image.open(draw_overlay(img, [], tmp_path / "t.png", title=title, min_side=512)))
    short = np.asarray(Image.open(draw_overlay(img, [], tmp_path / "s.png", title="[det] ships", min_side=512)))
    strip = out[: out.shape[0] - 512]  # (h, 512, 3): the title above the image
    assert strip.shape[0] > 3 * (short.shape[0] - 512)  # several lines
    assert (strip[:, -5:] == 24).all()  # nothing written into the right margin


def _with_scales(path, scales, offsets):
    import rasterio

    with rasterio.open(path, "r+") as ds:
        ds.scales, ds.offsets = scales, offsets
    return path


def test_msi_dn_are_scaled_as_the_file_declares(tmp_path):
    """A GeoTIFF that declares its reflectance as DN × 0.0001 − 0.1 (GDAL scale / offset, as Earth
    Search's Sentinel-2 COGs do) was read as DN / 10000: every reflectance 0.1 too high."""
    dn = np.full((4, 16, 16), 3000, np.uint16)
    img = read_image(_with_scales(write_tif(tmp_path / "cog.tif", dn), (1e-4,) * 4, (-0.1,) * 4))
    np.testing.assert_allclose(img.data, 0.2, atol=1e-6)
    assert any("as the file declares it (GDAL scale / offset): DN × 0.0001 − 0.1" in n for n in img.notes), img.notes
    plain = read_image(write_tif(tmp_path / "plain.tif", dn))
    np.testing.assert_allclose(plain.data, 0.3, atol=1e-6)
    assert not any("declares" in n for n in plain.notes)
    told = read_image(_with_scales(write_tif(tmp_path / "mixed.tif", dn), (1e-4, 1e-4, 2e-4, 1e-4), (0.0,) * 4))
    np.testing.assert_allclose(told.data, 0.3, atol=1e-6)  # one scale for all bands only: said, not applied
    assert any("DN × 0.0001 + 0, DN × 0.0002 + 0 (GDAL scale / offset), not applied" in n for n in told.notes), told.notes


def test_a_thermal_band_that_declares_kelvin_says_how_to_use_it(tmp_path):
    """MODIS-style LST (DN × 0.02 = K) was stretched as DN without a word of the file's scale; its scale
    giving temperatures on Earth, it is now applied (tour 62), and said."""
    dn = np.random.default_rng(0).integers(14000, 15500, (1, 16, 16)).astype(np.uint16)
    img = read_image(_with_scales(write_tif(tmp_path / "lst.tif", dn), (0.02,), (0.0,)), "ir")
    assert any("kelvin as the file declares it" in n and "DN × 0.02 + 0 K" in n for n in img.notes), img.notes


def test_a_scene_drawn_much_smaller_is_averaged_down_before_its_display_is_made(tmp_path):
    """draw_overlay made the display of the whole scene at full size and shrank it after: a scene
    drawn at a tenth of its side cost its full size in uint8 and a float band. Blocks of pixels
    are now averaged first; what lands where on the canvas is unchanged."""
    import tracemalloc

    from PIL import Image

    from rsvlm.io import RSImage, draw_overlay

    data = np.zeros((3, 1000, 2000), np.float32)  # (C, H, W)
    data[:, :, 1200:1400] = 1.0  # a bright stripe: canvas columns 60-69 at 1/20
    img = RSImage(data=data, modality="optical", bands=["R", "G", "B"], path="big")
    box = [{"kind": "box", "coords": [1800, 500, 1990, 990], "label": "x"}]
    tracemalloc.start()
    try:
        out = np.asarray(Image.open(draw_overlay(img, box, tmp_path / "o.png", max_side=100, min_side=50)))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert out.shape == (50, 100, 3)
    assert out[10, 61:69].min() > 200 and out[10, :58].max() < 30 and out[10, 72:88].max() < 30  # the stripe
    assert out[40, 90:100, 0].max() > 200  # the box's outline in its place, right and bottom edges
    assert peak < 2_000_000, f"{peak / 1e6:.1f} MB for a 2000x1000 scene"  # was ~14 MB


def test_an_undeclared_fill_value_is_masked_or_named_not_stretched_over(tmp_path):
    """A float scene whose collar holds -9999 without declaring it had its stretch run from -9999:
    every real value came out the same grey (std 0.0003). A known fill value far outside the
    other values is now nodata, with a note; any other such value (a saturated 65535) is only
    named, since it may be real."""
    db = _sigma0_db()
    db[0, :, :10] = -9999.0
    img = read_image(write_tif(tmp_path / "fill.tif", db))
    assert not img.valid[:, :10].any() and img.valid[:, 10:].all()
    assert img.data[0, :32, 10:].mean() < 0.3 < 0.6 < img.data[0, 32:, 10:].mean()  # water and land apart
    assert any("hold -9999" in n and "read as nodata" in n for n in img.notes), img.notes
    dn = np.random.default_rng(0).integers(300, 3000, (3, 64, 64)).astype(np.uint16)
    dn[:, 20:30, 20:30] = 65535  # a saturated cloud
    cloud = read_image(write_tif(tmp_path / "cloud.tif", dn))
    assert cloud.valid is None and cloud.data[:, 25, 25].min() == 1.0  # kept, drawn white
    assert any("hold 65535" in n and "if that is fill" in n for n in cloud.notes), cloud.notes
    plain = read_image(write_tif(tmp_path / "plain.tif", np.where(dn == 65535, 0, dn).astype(np.uint16)))
    assert not any("pixels hold" in n for n in plain.notes), plain.notes  # 0 beside 300: no gap


def test_a_fill_value_found_in_a_scene_masks_windows_read_with_its_scaling(tmp_path):
    """read_window(..., scaling=scene.scaling) computes no stretch, so it never looks for fill:
    the -9999 the scene had found came back as valid values, clipped to 0."""
    from rsvlm.io import SceneReader, read_window

    db = _sigma0_db()
    db[0, :, :10] = -9999.0
    path = write_tif(tmp_path / "fill.tif", db)
    with SceneReader(path) as scene:
        cfg = scene.scaling
    win = read_window(path, (0, 0, 32, 32), scaling=cfg)
    assert not win.valid[:, :10].any() and win.valid[:, 10:].all()


def test_geojson_in_degrees_names_a_crs_whose_axes_are_longitude_then_latitude(tmp_path):
    """A scene in EPSG:4326 was written with the crs member urn:ogc:def:crs:EPSG::4326, whose axis
    order is latitude first, beside coordinates that are longitude first: readers that honour the
    URN's order put the objects on the other side of the world."""
    from rsvlm.io import objects_to_geojson

    a = np.zeros((3, 20, 20), np.uint8)
    img = read_image(write_tif(tmp_path / "deg.tif", a, crs="EPSG:4326",
                               transform=(0.001, 0.0, 10.0, 0.0, -0.001, 50.0)))
    fc = objects_to_geojson([{"kind": "point", "coords": [5, 5], "label": "x"}], img)
    assert fc["crs"]["properties"]["name"] == "urn:ogc:def:crs:OGC:1.3:CRS84"
    np.testing.assert_allclose(fc["features"][0]["geometry"]["coordinates"], [10.005, 49.995])  # lon, lat
    utm = read_image(write_tif(tmp_path / "utm.tif", a))
    assert objects_to_geojson([], utm)["crs"]["properties"]["name"] == "urn:ogc:def:crs:EPSG::32633"


def test_three_different_sar_bands_are_refused_without_saying_three_would_do(tmp_path):
    """The refusal of 3 different bands as sar said "expected 1 to 4 polarisation bands"."""
    a = np.random.default_rng(0).random((3, 16, 16)).astype(np.float32)
    with pytest.raises(ValueError, match=r"3 bands cannot be read as sar; expected 1, 2 or 4 .*read it as optical"):
        read_image(write_tif(tmp_path / "pauli.tif", a), "sar")


@pytest.mark.parametrize("kw, why", [({"alpha": 40}, "alpha 40 must lie in"), ({"alpha": -0.2}, "alpha -0.2"),
                                     ({"object_scale": 0}, "object_scale 0 must"), ({"max_side": 0}, "max_side 0")])
def test_overlay_settings_out_of_range_are_refused_naming_them(tmp_path, kw, why):
    """alpha=40 (a percent) met numpy's "Python integer 10200 out of bounds for uint8" at the
    first mask; object_scale=0 divided by zero."""
    from rsvlm.io import RSImage, draw_overlay

    img = RSImage(data=np.zeros((3, 50, 50), np.float32), modality="optical", bands=["R", "G", "B"], path="o")
    mask = {"kind": "mask", "mask": np.ones((5, 5), bool), "label": "m"}
    with pytest.raises(ValueError, match=why):
        draw_overlay(img, [mask], tmp_path / "o.png", **kw)
    assert draw_overlay(img, [mask], tmp_path / "o.png", alpha=1.0).is_file()


def test_a_fixed_stretch_may_be_a_numpy_array(tmp_path):
    """check_config's first form took ``cfg.stretch or []``: a numpy array's truth value raised."""
    path = write_tif(tmp_path / "db.tif", _sigma0_db())
    img = read_image(path, scaling=ReadConfig(stretch=np.array([[-25.0, 0.0]]), sar_input="db"))
    np.testing.assert_allclose(img.data[0, 5, 5], np.clip((_sigma0_db()[0, 5, 5] + 25) / 25, 0, 1), atol=1e-6)


def test_a_declared_scale_applied_to_a_scene_is_not_said_unapplied_in_its_windows(tmp_path):
    """Windows read with scene.scaling (msi_scale and msi_offset already the declared ones) were
    told the file's scale was 'not applied'."""
    from rsvlm.io import SceneReader, read_window

    dn = np.full((4, 16, 16), 3000, np.uint16)
    path = _with_scales(write_tif(tmp_path / "cog.tif", dn), (1e-4,) * 4, (-0.1,) * 4)
    with SceneReader(path) as scene:
        cfg = scene.scaling
    win = read_window(path, (0, 0, 8, 8), scaling=cfg)
    np.testing.assert_allclose(win.data, 0.2, atol=1e-6)
    assert not any("not applied" in n for n in win.notes), win.notes
