"""Rough-edge tour 53 of the readers: damaged files, band names, odd but legitimate inputs."""

from __future__ import annotations

import logging
import struct

import numpy as np
import pytest

from rsvlm.io import read_image

tifffile = pytest.importorskip("tifffile")


def two_page_tiff(path, next_ifd: int | None = None):
    """A 2-page uint8 RGB TIFF; ``next_ifd`` overwrites the first page's pointer to the second."""
    a = (np.arange(64 * 64 * 3) % 251).astype(np.uint8).reshape(64, 64, 3)
    with tifffile.TiffWriter(path) as tw:
        tw.write(a, photometric="rgb")
        tw.write(a, photometric="rgb")
    if next_ifd is not None:
        b = bytearray(path.read_bytes())
        first = struct.unpack_from("<I", b, 4)[0]  # little-endian classic TIFF: header, then IFD offset
        n_tags = struct.unpack_from("<H", b, first)[0]
        struct.pack_into("<I", b, first + 2 + 12 * n_tags, next_ifd)
        path.write_bytes(bytes(b))
    return path


def bogus_strip_count(path):
    """A grey TIFF whose StripByteCounts is 0: GDAL warns, ignores it and reads the pixels."""
    tifffile.imwrite(path, (np.arange(64 * 64) % 251).astype(np.uint8).reshape(64, 64))
    with tifffile.TiffFile(path) as tf:
        tag = tf.pages[0].tags["StripByteCounts"]
    b = bytearray(path.read_bytes())
    struct.pack_into("<I", b, tag.valueoffset, 0)
    path.write_bytes(bytes(b))
    return path


def test_a_broken_page_chain_is_a_note_not_a_gdal_traceback_or_an_unnamed_stderr_line(tmp_path, capfd):
    """GDAL met the bad second-IFD offset while listing the pages and printed "ERROR 1: …"; the
    error then came out of an unrelated call (colorinterp) as a CPLE_AppDefinedError traceback."""
    pytest.importorskip("rasterio")
    path = two_page_tiff(tmp_path / "scene.tif", next_ifd=10**9)
    img = read_image(path)
    assert img.data.shape == (3, 64, 64)
    assert any("GDAL error while reading" in n and "offset 1000000000" in n for n in img.notes), img.notes
    err = capfd.readouterr().err
    assert "ERROR 1" not in err and "1000000000" not in err


def test_a_gdal_warning_becomes_one_note_and_prints_nothing(tmp_path, capfd):
    pytest.importorskip("rasterio")
    path = bogus_strip_count(tmp_path / "grey.tif")
    img = read_image(path, modality="ir")
    bogus = [n for n in img.notes if "StripByteCounts" in n]
    assert len(bogus) == 1 and bogus[0].startswith("GDAL warning while reading: TIFFReadDirectory"), img.notes
    assert "StripByteCounts" not in capfd.readouterr().err
    assert logging.getLogger("rasterio._env").level == logging.NOTSET  # the logger is left as it was


def test_tifffile_warnings_become_notes_and_a_page_series_reads_its_first_page(tmp_path, monkeypatch, capfd):
    """Without rasterio a TIFF is read by tifffile, which logged "<tifffile.TiffPages @8> invalid
    page offset" naming no file, and refused a two-page TIFF's (2, H, W, 3) series outright."""
    from rsvlm.io import sources

    def no_rasterio(*args, **kwargs):
        raise ImportError("rasterio")

    monkeypatch.setattr(sources, "RasterioSource", no_rasterio)
    whole = read_image(two_page_tiff(tmp_path / "pages.tif"))
    assert whole.data.shape == (3, 64, 64)
    assert any("holds 2 images" in n for n in whole.notes), whole.notes
    img = read_image(two_page_tiff(tmp_path / "broken.tif", next_ifd=10**9))
    assert img.data.shape == (3, 64, 64)
    assert any(n.startswith("tifffile ") and "invalid page offset 1000000000" in n for n in img.notes), img.notes
    assert "invalid page offset" not in capfd.readouterr().err


def _stack(path, n=4, collar=False):
    """An 8x8 uint16 stack of ``n`` bands; ``collar``: its first 2 columns DN 0 (a product's fill)."""
    rasterio = pytest.importorskip("rasterio")
    from rasterio.transform import from_origin

    data = np.arange(1, n + 1, dtype=np.uint16)[:, None, None] * np.full((n, 8, 8), 500, np.uint16)
    data[:, :, :2] = 0 if collar else data[:, :, :2]
    with rasterio.open(path, "w", driver="GTiff", width=8, height=8, count=n, dtype="uint16", crs="EPSG:32618",
                       transform=from_origin(0, 8, 1, 1)) as ds:
        ds.write(data)
    return path


S2_STEM = dict(modality="msi", bands=["B02", "B03", "B04", "B08"], mean=[0.1] * 4, std=[0.1] * 4)


def test_band_numbers_are_read_by_the_mission_the_file_name_says(tmp_path):
    """--bands b4,b3,b2,b8 were "unnamed bands" taken in the stem's order: b4 fed B02 (red as
    blue) whatever the mission. A Landsat 7 product's band 4 is near infrared, its band 3 red."""
    from rsvlm.model.stem import StemConfig, match_bands

    l7 = read_image(_stack(tmp_path / "LE07_L1TP_016037_20020813_20200903_02_T1_stack.tif", collar=True),
                    modality="msi", bands=["b4", "b3", "b2", "b8"])
    assert l7.bands == ["NIR", "R", "G", "pan"]
    assert "Landsat fill: DN 0 read as nodata (the file declares no nodata value)" in l7.notes  # not "Sentinel-2 fill"
    assert not l7.valid[:, :2].any() and l7.valid[:, 2:].all()  # its collar (the note is said where DN 0 is held)
    assert any("Landsat 7's numbering (the file name says Landsat 7): b4 as NIR" in n for n in l7.notes), l7.notes
    m = match_bands(StemConfig(**S2_STEM), l7.bands, 4, fill="copy")
    assert m.index == [None, 2, 1, 0]  # B03 ← band 2 (green), B04 ← band 3 (red), B08 ← band 4; no blue
    s2 = read_image(_stack(tmp_path / "T18TWL_20230613T153809_stack.tif"), modality="msi", bands=["b4", "b3", "b2", "b8"])
    assert s2.bands == ["B04", "B03", "B02", "B08"]
    assert any("the file name says Sentinel-2" in n for n in s2.notes)


def test_band_numbers_no_file_places_are_read_as_sentinel2_and_the_note_gives_each_spelling(tmp_path):
    from rsvlm.model.stem import StemConfig, match_bands

    img = read_image(_stack(tmp_path / "stack.tif"), modality="msi", bands=["b4", "b3", "b2", "b8"])
    assert img.bands == ["B04", "B03", "B02", "B08"]
    note = next(n for n in img.notes if n.startswith("band numbers"))
    assert "name no mission" in note and "b4 as B04 (red)" in note
    for spelling in ("--bands R,G,B,pan", "--bands NIR,R,G,pan", "--bands B04,B03,B02,B08"):
        assert spelling in note  # Landsat 8/9, Landsat 4/5/7, Sentinel-2
    assert match_bands(StemConfig(**S2_STEM), img.bands, 4).index == [2, 1, 0, 3]  # was [0, 1, 2, 3]
    assert match_bands(StemConfig(**S2_STEM), ["b4", "b3", "b2", "b8"], 4).index == [2, 1, 0, 3]  # no reader's order
    plain = read_image(tmp_path / "stack.tif", modality="msi", bands=["b1", "b2", "b3", "b4"])
    assert plain.bands == ["b1", "b2", "b3", "b4"] and not any(n.startswith("band numbers") for n in plain.notes)
    with pytest.raises(ValueError, match=r"stack\.tif: band names .* name B04 twice"):
        read_image(tmp_path / "stack.tif", modality="msi", bands=["b4", "B04", "b2", "b8"])


def test_what_only_a_window_read_says_is_kept_and_printed_once_naming_the_scene(tmp_path, monkeypatch, capsys):
    """A window's own notes (a damaged block only it reads) were dropped by run_tiled."""
    from PIL import Image

    from rsvlm.io import TileMerger, run_tiled, sources

    path = tmp_path / "scene.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 96, 3), dtype=np.uint8)).save(path)
    plain = sources.ArraySource.read

    def read(self, window, indexes, nodata):
        if window[0] > 0:  # as tifffile says it of a bad tile: "<tifffile.TiffPage @8> …"
            logging.getLogger("tifffile").warning("<tifffile.TiffPage @8> corrupted tile @32 not read")
        return plain(self, window, indexes, nodata)

    monkeypatch.setattr(sources.ArraySource, "read", read)
    merger = TileMerger()
    run_tiled(path, lambda imgs: [[] for _ in imgs], tile=32, overlap=0, batch_size=2, merger=merger)
    assert merger.n_tiles == 6
    assert merger.notes == ["tifffile warning while reading: TiffPage @8: corrupted tile @32 not read"]
    err = capsys.readouterr().err
    assert err.count(f"[{path}] tifffile warning while reading") == 1


@pytest.mark.parametrize("name", ["empty.png", "empty.tif", "empty.jp2"])
def test_an_empty_file_is_said_to_be_empty(tmp_path, name):
    """A 0-byte file was "cannot identify image file" (PNG) or "not recognized as being in a
    supported file format" (TIFF): a format problem, where the file had never been written."""
    from rsvlm.io import ImageReadError, image_size

    path = tmp_path / name
    path.write_bytes(b"")
    with pytest.raises(ImageReadError, match=rf"{name}: empty file \(0 bytes\)"):
        read_image(path)
    with pytest.raises(ImageReadError, match="empty file"):
        image_size(path)


def test_a_geotiff_tile_keeps_what_the_reader_takes_from_the_scene(tmp_path):
    """data_gen's crop_to_file wrote pixels, CRS and transform only: a tile lost its band names
    (B02… became b1…), its palette (colours read as grey indices, modality ir), its internal
    nodata mask, and a GCP-referenced radar scene's georeferencing (and with it the sar reading)."""
    rasterio = pytest.importorskip("rasterio")
    from rasterio.control import GroundControlPoint
    from rasterio.crs import CRS
    from rasterio.transform import from_origin

    from data_gen.tiling import Window, crop_to_file
    from rsvlm.io.georef import pixel_to_map

    rng = np.random.default_rng(0)
    geo = dict(driver="GTiff", width=32, height=32, crs="EPSG:32633", transform=from_origin(0, 32, 1, 1))
    with rasterio.open(tmp_path / "msi.tif", "w", count=4, dtype="uint16", **geo) as ds:
        ds.write(rng.integers(1, 3000, (4, 32, 32), dtype=np.uint16))
        ds.descriptions = ("B02", "B03", "B04", "B08")
    with rasterio.open(tmp_path / "pal.tif", "w", count=1, dtype="uint8", photometric="palette", **geo) as ds:
        ds.write(rng.integers(0, 3, (1, 32, 32), dtype=np.uint8))
        ds.write_colormap(1, {0: (255, 0, 0, 255), 1: (0, 255, 0, 255), 2: (0, 0, 255, 255)})
    with rasterio.Env(GDAL_TIFF_INTERNAL_MASK=True), rasterio.open(
            tmp_path / "masked.tif", "w", count=3, dtype="uint8", photometric="RGB", **geo) as ds:
        ds.write(rng.integers(1, 255, (3, 32, 32), dtype=np.uint8))
        ds.write_mask(np.where(np.arange(32)[:, None] < 12, 0, 255).astype(np.uint8).repeat(32, 1))
    gcps = [GroundControlPoint(row=r, col=c, x=10 + c / 32, y=50 - r / 32) for r in (0, 32) for c in (0, 32)]
    with rasterio.open(tmp_path / "grd.tif", "w", driver="GTiff", width=32, height=32, count=1, dtype="uint16") as ds:
        ds.write(rng.integers(1, 3000, (1, 32, 32), dtype=np.uint16))
        ds.gcps = (gcps, CRS.from_epsg(4326))
    win = Window(8, 8, 24, 24)
    for name in ("msi", "pal", "masked", "grd"):
        crop_to_file(tmp_path / f"{name}.tif", win, tmp_path / f"{name}_tile.tif")
    assert read_image(tmp_path / "msi_tile.tif").bands == ["B02", "B03", "B04", "B08"]
    pal = read_image(tmp_path / "pal_tile.tif")
    assert pal.modality == "optical" and pal.data.shape == (3, 16, 16)
    masked = read_image(tmp_path / "masked_tile.tif")  # rows 8-11 of the scene are masked: 4 of the tile's 16
    assert masked.valid is not None and masked.valid.mean() == pytest.approx(12 / 16)
    grd = read_image(tmp_path / "grd_tile.tif")
    assert grd.modality == "sar" and grd.gcps and grd.crs == "EPSG:4326"
    assert pixel_to_map(grd, [0, 0]) == pytest.approx([10 + 8 / 32, 50 - 8 / 32], abs=1e-6)  # the scene's (8, 8)


def test_a_16_bit_colour_png_keeps_its_16_bits(tmp_path, monkeypatch):
    """PIL reads a 16-bit RGB PNG as 8-bit RGB (the high bytes): 32249 became 125, scaled /255
    as uint8, without a word. GDAL reads it as it is; without rasterio a note says what PIL did."""
    rasterio = pytest.importorskip("rasterio")
    import importlib.util

    from rsvlm.io import sources

    dn = (np.arange(3 * 32 * 48).reshape(3, 32, 48) * 7 % 65536).astype(np.uint16)
    with rasterio.open(tmp_path / "rgb16.png", "w", driver="PNG", width=48, height=32, count=3, dtype="uint16") as ds:
        ds.write(dn)
    img = read_image(tmp_path / "rgb16.png")
    assert img.modality == "optical" and any("3 bands uint16" in n for n in img.notes), img.notes
    stretch = next(n for n in img.notes if n.startswith("stretch"))
    assert "2-98 percentiles" in stretch  # a uint16 stretch, not uint8 / 255
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "rasterio" else find_spec(name, *a))
    monkeypatch.setattr(sources, "RasterioSource", lambda *a, **k: (_ for _ in ()).throw(ImportError("rasterio")))
    cut = read_image(tmp_path / "rgb16.png")
    assert any("16 bits a channel cut to 8 by PIL" in n for n in cut.notes), cut.notes


def test_float_msi_in_dn_is_scaled_as_dn_and_float_reflectance_stays(tmp_path):
    """An Earth Engine export of Sentinel-2 is often float32 DN (0-10000): float msi was taken as
    reflectance as it stood, so the model saw reflectances in the thousands."""
    rasterio = pytest.importorskip("rasterio")
    from rasterio.transform import from_origin

    from rsvlm.io import ReadConfig, SceneReader

    rng = np.random.default_rng(0)
    for name, scale in (("dn.tif", 10000.0), ("refl.tif", 1.0)):
        with rasterio.open(tmp_path / name, "w", driver="GTiff", width=32, height=32, count=4, dtype="float32",
                           crs="EPSG:32633", transform=from_origin(0, 32, 10, 10)) as ds:
            ds.write((rng.uniform(0.02, 0.4, (4, 32, 32)) * scale).astype(np.float32))
    with SceneReader(tmp_path / "dn.tif") as scene:
        img, scaling = scene.read(), scene.scaling
    assert img.modality == "msi" and 0.02 <= img.data.min() and img.data.max() <= 0.4
    assert any(n.startswith("float values up to") and "read as DN / 10000" in n for n in img.notes), img.notes
    window = read_image(tmp_path / "dn.tif", window=(0, 0, 8, 8), scaling=scaling)  # windows scaled alike
    np.testing.assert_allclose(window.data, img.data[:, :8, :8])
    refl = read_image(tmp_path / "refl.tif")
    assert refl.data.max() <= 0.4 and not any("float values" in n for n in refl.notes)
    kept = read_image(tmp_path / "dn.tif", scaling=ReadConfig(msi_float_dn=False))
    assert kept.data.max() > 1000  # the user's word wins


def test_an_animated_image_says_only_its_first_frame_is_read(tmp_path):
    """PIL decodes the first frame of an animated GIF (a time series saved as one) without a word."""
    from PIL import Image

    frames = [Image.fromarray(np.full((16, 16, 3), (40 * k, 0, 0), np.uint8)) for k in range(3)]
    frames[0].save(tmp_path / "series.gif", save_all=True, append_images=frames[1:])
    img = read_image(tmp_path / "series.gif")
    assert "the file holds 3 frames; the first is read" in img.notes
    assert float(img.data[0].max()) == 0.0  # frame 0: no red


def test_the_real_files_read_without_a_library_message(realdata):
    """GDAL's errors are taken in at INFO (where rasterio logs them): none of the sound real
    files, JPEG2000, GCP-referenced and complex SAR among them, may come out with one."""
    from rsvlm.io import SceneReader

    files = sorted(p for p in realdata.rglob("*") if p.suffix.lower() in (".tif", ".tiff", ".png", ".jpg", ".jp2"))
    assert len(files) >= 15
    for path in files:
        with SceneReader(path) as scene:
            notes = scene.read((0, 0, min(64, scene.width), min(64, scene.height))).notes
        assert not [n for n in notes if "while reading" in n], (path, notes)


def test_a_users_debug_logging_of_rasterio_is_left_alone_while_warnings_become_notes(tmp_path, caplog):
    """Taking GDAL's messages as notes set rasterio's loggers to INFO for the read, which hid the
    DEBUG records of a user who had turned logging up to DEBUG."""
    pytest.importorskip("rasterio")
    caplog.set_level(logging.DEBUG)
    img = read_image(bogus_strip_count(tmp_path / "grey.tif"), modality="ir")
    assert any(n.startswith("GDAL warning while reading") for n in img.notes)
    assert any(r.name in ("rasterio._env", "rasterio._base") and r.levelno == logging.DEBUG for r in caplog.records)
    assert not any("StripByteCounts" in r.getMessage() for r in caplog.records)  # a note, not a log line


def _rpc_scene(path):
    """A 32 × 32 uint16 Level-1 scene georeferenced by RPCs only (no transform, no GCPs)."""
    rasterio = pytest.importorskip("rasterio")
    from rasterio.rpc import RPC

    one = [1.0] + [0.0] * 19
    rpc = RPC(height_off=100, height_scale=500, lat_off=45.0, lat_scale=0.05, line_den_coeff=one,
              line_num_coeff=[0, 0, -1] + [0] * 17, line_off=16, line_scale=16, long_off=7.0, long_scale=0.05,
              samp_den_coeff=one, samp_num_coeff=[0, 1] + [0] * 18, samp_off=16, samp_scale=16)
    with rasterio.open(path, "w", driver="GTiff", width=32, height=32, count=1, dtype="uint16") as ds:
        ds.write(np.full((1, 32, 32), 500, np.uint16))
        ds.rpcs = rpc


def test_a_scene_georeferenced_by_rpcs_says_why_it_has_no_map_coordinates(tmp_path):
    """A Level-1 satellite scene (WorldView L1B) carries RPCs, no transform and no GCPs: it read
    as not georeferenced without a word, and --geojson then said the file had no georeferencing."""
    _rpc_scene(tmp_path / "l1b.tif")
    img = read_image(tmp_path / "l1b.tif", modality="optical")
    assert not img.georeferenced
    assert any(n.startswith("georeferenced by RPCs") and "gdalwarp -rpc" in n for n in img.notes), img.notes


def test_a_tile_of_an_rpc_scene_keeps_its_rpcs_moved_to_the_tile(tmp_path):
    rasterio = pytest.importorskip("rasterio")
    from rasterio.transform import RPCTransformer

    from data_gen.tiling import Window, crop_to_file

    _rpc_scene(tmp_path / "l1b.tif")
    crop_to_file(tmp_path / "l1b.tif", Window(8, 4, 24, 20), tmp_path / "tile.tif")
    with rasterio.open(tmp_path / "l1b.tif") as scene, rasterio.open(tmp_path / "tile.tif") as tile:
        assert tile.rpcs is not None  # was None: the tile had no georeferencing at all
        with RPCTransformer(scene.rpcs) as s, RPCTransformer(tile.rpcs) as t:
            assert t.xy(3, 5) == pytest.approx(s.xy(3 + 4, 5 + 8))  # (row, col) of the tile is the scene's shifted


def test_detection_over_views_keeps_two_ships_each_view_found_one_of():
    """With at most one box per view the views were fused as one object (grounding's medoid vote):
    two ships, each found by half of the eight dihedral views, came out as one."""
    from rsvlm import geometry, inference, tta
    from rsvlm.model import ImageInput

    img = np.zeros((3, 64, 96), np.float32)  # (C, H, W), not square
    img[:, 8:16, 10:20] = 1.0
    img[:, 44:54, 70:84] = 1.0

    def first_square(messages, images):  # the bright square nearest the view's top-left corner
        out = []
        for ims in images:
            a = ims[0].array[0]  # (H, W) in the view's frame
            ys, xs = np.nonzero(a > 0.5)
            k = int(np.argmin(ys + xs))
            near = (abs(ys - ys[k]) < 16) & (abs(xs - xs[k]) < 16)
            box = [float(xs[near].min()), float(ys[near].min()), float(xs[near].max() + 1), float(ys[near].max() + 1)]
            text = geometry.encode([{"kind": "box", "label": "ship", "coords": box}], a.shape[1], a.shape[0])
            out.append(inference.Answer(text, [0.9]))
        return out

    image = [ImageInput(img, "optical", ["R", "G", "B"])]
    cfg = tta.FuseConfig(views=tta.DIHEDRAL)
    for question, n in (("[det] Detect every ship.", 2), ("[ground] the ship", 1)):
        messages = [{"role": "user", "content": f"<image>\n{question}"}]
        (first,) = first_square([messages], [image])
        (fused,) = tta.fused_answers(first_square, [messages], [image], [first], cfg)
        assert len(fused.objects) == n, question
    boxes = sorted(o["coords"] for o in tta.fused_answers(
        first_square, [[{"role": "user", "content": "<image>\n[det] ships"}]], [image], [first], cfg)[0].objects)
    assert boxes[0] == pytest.approx([10, 8, 20, 16], abs=0.6) and boxes[1] == pytest.approx([70, 44, 84, 54], abs=0.6)


def test_a_truncated_png_read_through_gdal_is_an_error_not_zeros(tmp_path):
    """A PNG with a world file goes through GDAL, whose whole-image read of a cut 8-bit PNG filled the
    missing rows with zeros without a word (GDAL 3.10): the model saw half a scene."""
    pytest.importorskip("rasterio")
    from PIL import Image

    from rsvlm.io import ImageReadError

    rgb = np.random.default_rng(0).integers(0, 255, (64, 48, 3)).astype(np.uint8)  # (H, W, C)
    Image.fromarray(rgb).save(tmp_path / "scene.png")
    (tmp_path / "scene.pgw").write_text("1\n0\n0\n-1\n500000\n4000000\n")
    assert read_image(tmp_path / "scene.png").data.shape == (3, 64, 48)  # sound: read as before
    (tmp_path / "cut.png").write_bytes((tmp_path / "scene.png").read_bytes()[:4000])
    (tmp_path / "cut.pgw").write_text((tmp_path / "scene.pgw").read_text())
    with pytest.raises(ImageReadError, match=r"cut.png: read failed, file truncated or corrupt \(GDAL could not"):
        read_image(tmp_path / "cut.png")


def test_a_device_given_as_the_image_is_said_to_be_no_regular_file():
    from rsvlm.io import ImageReadError

    with pytest.raises(ImageReadError, match=r"^/dev/null: not a regular file"):  # was "image not found: /dev/null"
        read_image("/dev/null")
