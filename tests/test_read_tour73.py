"""Stop 73's reader tour: a subdataset name whose file holds a ``:``, the stretch a read applied as a field, a row
reader's strip read without the scene's nodata share."""

from __future__ import annotations

import numpy as np
import pytest
from read_helpers import utm_tif

from rsvlm.io import read_image


def test_a_gtiff_dir_name_whose_file_path_holds_a_colon_reads_that_file(tmp_path):
    """``GTIFF_DIR:1:/a:b/p.tif`` had been split at every ``:`` (no field a file: "image not found")."""
    from rsvlm.io.checks import _subdataset_file
    from rsvlm.io.image import image_size

    folder = tmp_path / "a:b"
    folder.mkdir()
    path = utm_tif(folder / "p.tif", np.full((1, 12, 16), 80, np.uint8))
    assert _subdataset_file(f"GTIFF_DIR:1:{path}") == folder / "p.tif"
    assert _subdataset_file(f"NETCDF:{path}:VV") == folder / "p.tif"
    assert _subdataset_file(f"GTIFF_DIR:1:{folder / 'absent.tif'}") is None
    assert image_size(f"GTIFF_DIR:1:{path}") == (16, 12)
    img = read_image(f"GTIFF_DIR:1:{path}", modality="optical")
    np.testing.assert_allclose(img.data, 80 / 255, atol=1e-6)


def test_a_read_carries_the_stretch_it_applied_and_none_where_it_applied_none(tmp_path):
    """``RSImage.stretch``: a 16-bit ir band's percentiles (also in a window read with the scene's scaling passed on,
    which says no "stretch (" note: display had taken it for unstretched); 8-bit ir read as value / 255: None."""
    from rsvlm.io import SceneReader, read_window

    hot = np.random.default_rng(1).integers(20000, 30000, (1, 40, 40)).astype(np.uint16)
    path = utm_tif(tmp_path / "tir.tif", hot)
    with SceneReader(path, modality="ir") as scene:
        whole, scaling = scene.read(), scene.scaling
    assert whole.stretch is not None and len(whole.stretch) == 1
    lo, hi = whole.stretch[0]
    assert 20000 <= lo < hi <= 30000  # the band's DN percentiles
    window = read_window(path, (0, 0, 8, 8), modality="ir", scaling=scaling)
    assert window.stretch == whole.stretch
    assert not any(n.startswith("stretch (") for n in window.notes)  # the note alone could not tell
    whole.stretch[0][0] = -1.0  # each image's own copy
    with SceneReader(path, modality="ir") as scene:
        assert scene.read().stretch[0][0] == lo
        assert scene.read_shrunk(20).stretch[0] == [lo, hi]
        assert scene.read_overview(20).stretch[0] == [lo, hi]
    dim = read_image(utm_tif(tmp_path / "sirst.tif", np.full((1, 16, 16), 30, np.uint8)), modality="ir")
    assert dim.stretch is None


def test_a_row_readers_strips_say_no_nodata_share_and_a_one_tile_read_says_the_tiled_advice(tmp_path):
    """The strip a ``RowReader`` cuts windows from is read without the scene's nodata share (``read(share=False)``:
    the reader owns that note; rows had rebuilt its text to take it out); a one-window run's read says it, tiled."""
    from rsvlm.io import SceneReader
    from rsvlm.io.rows import RowReader

    data = np.full((3, 32, 48), 120, np.uint8)  # (C, H, W)
    data[:, :, :36] = 0
    path = utm_tif(tmp_path / "collar.tif", data, nodata=0)
    with SceneReader(path) as scene:
        assert any("of the image is nodata" in n for n in scene.read().notes)
        assert scene.read(share=False).notes == scene.notes
        rows = RowReader(scene, strips=True)
        left, right = rows((0, 0, 24, 32)), rows((24, 0, 24, 32))  # one strip, the scene's whole height
        assert left.notes == right.notes == scene.notes
        assert right.window == (24, 0, 24, 32) and right.valid[:, 12:].all() and not right.valid[:, :12].any()
        one = RowReader(scene, strips=True)((0, 0, 48, 32))
        assert one.window is None
        assert one.notes == scene.read(tiled=True).notes and one.notes != scene.notes


@pytest.mark.parametrize("strips", [True, False])
def test_a_row_reader_gives_each_window_as_a_plain_read_does(tmp_path, strips):
    """A window cut from a strip holds what ``scene.read(window)`` holds, pixels, mask and georeferencing."""
    from rsvlm.io import SceneReader
    from rsvlm.io.rows import RowReader

    data = np.random.default_rng(2).integers(1, 255, (3, 30, 40)).astype(np.uint8)
    data[:, :5, :7] = 0
    path = utm_tif(tmp_path / "s.tif", data, nodata=0)
    with SceneReader(path) as scene:
        rows = RowReader(scene, strips=strips)
        for win in [(0, 0, 20, 15), (20, 0, 20, 15), (0, 15, 40, 15), (10, 15, 30, 15)]:
            got, want = rows(win), scene.read(win)
            np.testing.assert_array_equal(got.data, want.data)
            np.testing.assert_array_equal(got.valid if got.valid is not None else True,
                                          want.valid if want.valid is not None else True)
            assert (got.window, got.transform, got.notes) == (want.window, want.transform, want.notes)


def test_a_decimated_read_of_a_multi_band_geotiff_goes_in_chunks_whose_blocks_fit_the_cache(tmp_path, monkeypatch):
    """A strip of the whole width held more blocks than GDAL's cache, and each output row decompressed them all again
    (a 20000 px 4-band deflate GeoTIFF: 30 s a strip, 20 min to open); read in column chunks that fit it, the
    pixels are GDAL's nearest, as one read of the whole scene gives them."""
    import rasterio

    from rsvlm.io import SceneReader

    data = np.random.default_rng(5).integers(1, 60000, (3, 200, 3000)).astype(np.uint16)  # (C, H, W)
    path = utm_tif(tmp_path / "wide.tif", data, tiled=True, blockxsize=256, blockysize=256, compress="deflate")
    with SceneReader(path, modality="msi", scaling={"gdal_cache_mb": 4}) as scene:
        src, calls = scene.src, []
        read = src._read
        monkeypatch.setattr(src, "_read", lambda *a, **k: calls.append(k) or read(*a, **k))
        raw, valid = src.read_decimated(300, [0, 1, 2], None)
    with rasterio.open(path) as ds:
        want = ds.read(out_shape=(3, 20, 300))
    np.testing.assert_array_equal(raw, want)
    assert valid is None
    widths = [k["out_shape"][1] for k in calls]
    assert sum(widths) == 300 and max(widths) <= 10, widths  # 86 source columns of blocks fit half of 4 MiB


def test_envi_band_files_in_a_zip_given_with_or_as_their_headers_read_their_data_files(tmp_path):
    """``/vsizip/pack.zip/B02.hdr`` among band files: left out beside its data file, else read by it, as on disk
    (it had been taken for a band: "no such raster in pack.zip")."""
    import zipfile

    import rasterio
    from rasterio.transform import from_origin

    for i, b in enumerate(("B02", "B03")):
        with rasterio.open(tmp_path / f"{b}.img", "w", driver="ENVI", width=20, height=10, count=1, dtype="uint16",
                           crs="EPSG:32633", transform=from_origin(500000, 4000000, 10, 10)) as ds:
            ds.write(np.full((1, 10, 20), 1000 + 500 * i, np.uint16))
    with zipfile.ZipFile(tmp_path / "pack.zip", "w") as z:
        for f in sorted(tmp_path.glob("B0*")):
            z.write(f, f.name)
    inside = f"/vsizip/{tmp_path / 'pack.zip'}/"
    headers = read_image([inside + "B02.hdr", inside + "B03.hdr"])
    assert headers.files == [inside + "B02.img", inside + "B03.img"]
    assert "read B02.hdr by its data file B02.img, B03.hdr by its data file B03.img (a header is no band)" in headers.notes
    both = read_image([inside + n for n in ("B02.img", "B02.hdr", "B03.img", "B03.hdr")])
    assert both.files == [inside + "B02.img", inside + "B03.img"] and both.bands == ["B02", "B03"]
    assert any(n.startswith("raster headers B02.hdr, B03.hdr given beside their data files: left out") for n in both.notes)
    np.testing.assert_array_equal(both.data, headers.data)
    assert len({float(v) for v in np.unique(both.data[1] - both.data[0])}) == 1


def test_a_sar_zero_fill_of_ragged_width_is_said_along_its_edge_with_the_widths_range(tmp_path):
    """A tilted swath's zero fill, 10 to 29 px wide from row to row, was said as its narrowest rows' width ("11 px
    wide": the columns 95 % 0), or as a share alone where no column is (a corner's wedge); now its rows' 5-95 %
    range along its edge; a scattered 0 names no edge."""
    a = np.random.default_rng(3).integers(50, 900, (1, 60, 100)).astype(np.uint16)  # (C, H, W)
    for y in range(60):
        a[0, y, 100 - (10 + y // 3):] = 0
    img = read_image(utm_tif(tmp_path / "s1_vv.tif", a), modality="sar")
    said = [n for n in img.notes if "amplitude 0" in n]
    assert len(said) == 1 and "(a fill along its right edge, 11-28 px wide)" in said[0], img.notes
    wedge = np.random.default_rng(3).integers(50, 900, (1, 60, 100)).astype(np.uint16)
    for y in range(16, 60):
        wedge[0, y, : y - 15] = 0
    said = [n for n in read_image(utm_tif(tmp_path / "w.tif", wedge), modality="sar").notes if "amplitude 0" in n]
    assert len(said) == 1 and "(a fill along its left edge, 3-42 px wide)" in said[0], said
    b = np.random.default_rng(4).integers(50, 900, (1, 60, 100)).astype(np.uint16)
    b[0, np.random.default_rng(5).random((60, 100)) < 0.05] = 0
    spread = [n for n in read_image(utm_tif(tmp_path / "s.tif", b), modality="sar").notes if "amplitude 0" in n]
    assert len(spread) == 1 and "edge" not in spread[0], spread


@pytest.mark.parametrize("extra, said", [(0, "band 5 (an extra sample: no colour) not read as a band"),
                                         (2, "band 5 (alpha: its mask) not read as a band")])
def test_a_16_bit_cmyk_tiff_with_a_fifth_band_reads_its_inks_as_rgb(tmp_path, extra, said):
    """CMYK with an extra sample or an alpha had read as 5-band msi b1 … b5 (the 4-band one as R, G, B); its inks
    convert as the 4-band file's, an alpha masking its 0s."""
    import tifffile

    inks = np.random.default_rng(1).integers(0, 65535, (40, 50, 5)).astype(np.uint16)  # (H, W, C)
    inks[..., 4] = 65535
    inks[:10, :10, 4] = 0  # transparent corner
    tifffile.imwrite(tmp_path / "c4.tif", np.ascontiguousarray(inks[..., :4]), photometric="separated")
    tifffile.imwrite(tmp_path / "c5.tif", inks, photometric="separated", extrasamples=[extra])
    four, five = read_image(str(tmp_path / "c4.tif")), read_image(str(tmp_path / "c5.tif"))
    assert (five.modality, five.bands) == ("optical", ["R", "G", "B"])
    assert five.notes[0].startswith("a CMYK TIFF: its cyan, magenta, yellow and black inks read as R, G, B")
    assert five.notes[0].endswith(said)
    if extra == 2:
        assert not five.valid[:10, :10].any() and five.valid[10:].all()  # (GDAL's mask of it is all valid)
        four = read_image(str(tmp_path / "c4.tif"), scaling={"stretch": five.stretch})  # (the corner left out of it)
        np.testing.assert_array_equal(five.data[:, 10:], four.data[:, 10:])
    else:
        assert five.valid is None
        np.testing.assert_array_equal(five.data, four.data)
