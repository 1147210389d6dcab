"""Rough-edge tour 58 of image I/O: labels that are lists on an overlay, hand-built ReadConfigs with
wrong types, one flat-band rule, Sentinel-1 I/Q bands, odd GeoTIFFs and tiled scenes."""

from __future__ import annotations

import numpy as np
import pytest

from rsvlm.io import RSImage, draw_overlay


def _img(data, modality="optical", bands=("R", "G", "B"), valid=None):
    return RSImage(data=np.asarray(data, np.float32), modality=modality, bands=list(bands), path="synthetic",
                   valid=valid)


def test_an_overlay_draws_a_list_label_and_names_an_object_whose_label_is_a_mapping(tmp_path):
    """A label that is a list (several classes of one object) met "unhashable type: 'list'" in the
    colour table; a mapping now gets an error naming the object."""
    from PIL import Image

    img = _img(np.zeros((3, 64, 64)))
    out = draw_overlay(img, [{"kind": "box", "label": ["ship", "boat"], "coords": [4, 4, 40, 40]},
                             {"kind": "box", "label": ["ship", "boat"], "coords": [50, 50, 60, 60]}],
                       tmp_path / "o.png", min_side=64)
    drawn = np.asarray(Image.open(out))
    assert drawn[30, 4].any() and tuple(drawn[58, 50]) == tuple(drawn[30, 4])  # one colour for one label
    with pytest.raises(ValueError, match=r"object 1 .*label \{'a': 1\} is no text"):
        draw_overlay(img, [{"kind": "point", "label": "x", "coords": [3, 3]},
                           {"kind": "box", "label": {"a": 1}, "coords": [1, 1, 9, 9]}], tmp_path / "p.png")


def test_tile_merging_groups_list_labels_and_names_a_tile_object_of_the_wrong_shape():
    """Merging grouped objects by (kind, label): a list label met "unhashable type: 'list'"; a box of
    3 numbers met a bare IndexError, a box of 5 lost its 5th unsaid."""
    from rsvlm.io import merge_tile_objects

    a = {"kind": "box", "label": ["ship", "boat"], "coords": [60, 10, 100, 30]}  # one box seen from both tiles
    b = {"kind": "box", "label": ["ship", "boat"], "coords": [0, 10, 40, 30]}
    merged = merge_tile_objects([((0, 0, 100, 64), [a]), ((60, 0, 100, 64), [b])], scene_size=(160, 64))
    assert [o["label"] for o in merged] == [["ship", "boat"]] and merged[0]["coords"] == [60, 10, 100, 30]
    for coords in ([1, 1, 10], [1, 1, 10, 12, 5]):
        with pytest.raises(ValueError, match=r"tile \(60, 0, 100, 64\).*object 1 .*box coords are \[x1, y1, x2, y2\]"):
            merge_tile_objects([((60, 0, 100, 64), [b, {"kind": "box", "label": "x", "coords": coords}])])


def _tif(path, arr, **kw):
    """A GeoTIFF of ``arr`` (C, H, W) or (H, W) (rasterio; test_io_read's writer)."""
    pytest.importorskip("rasterio")
    from test_io_read import write_tif

    return write_tif(path, arr, **kw)


def test_a_hand_built_readconfig_converts_its_fields_or_names_the_one_of_the_wrong_type(tmp_path):
    """A hand-built ReadConfig took any value: stats_max_side="512" met "'<' not supported between 'str'
    and 'int'", msi_scale="10000" numpy's "ufunc 'isfinite' not supported", msi_float_dn="no" was true,
    a float gdal_cache_mb went to GDAL; bands="R,G,B" were five names, letter by letter."""
    from rsvlm.io import ReadConfig, read_image

    cfg = ReadConfig(stats_max_side="512", percentiles=("1", "99"), nodata="0", msi_scale="10000",
                     stretch=np.array([[0, 4000]] * 3))
    assert (cfg.stats_max_side, cfg.percentiles, cfg.nodata, cfg.msi_scale) == (512, (1.0, 99.0), 0.0, 10000.0)
    assert type(cfg.stats_max_side) is int and cfg.stretch == [[0.0, 4000.0]] * 3
    arr = np.random.default_rng(0).integers(100, 4000, (3, 16, 16)).astype(np.uint16)
    img = read_image(_tif(tmp_path / "a.tif", arr), bands="R, G,B", scaling=ReadConfig(stats_max_side="512"))
    assert img.bands == ["R", "G", "B"] and img.data.shape == (3, 16, 16)
    for kw, name in [({"msi_float_dn": "no"}, "msi_float_dn"), ({"gdal_cache_mb": 64.5}, "gdal_cache_mb"),
                     ({"sar_db_range": "-25,0"}, "sar_db_range"), ({"percentiles": ("2", "x")}, r"percentiles\[1\]")]:
        with pytest.raises(ValueError, match=rf"ReadConfig\.{name}"):
            ReadConfig(**kw)


def test_one_percentile_range_rule_serves_the_reader_and_the_overlay(monkeypatch):
    """The constant-band rule (percentiles, then flat_range for one value, lo + 1 for equal ends) was
    written out in scaling.compute_stretch, vis._limits and the synth preview."""
    import rsvlm.io.scaling as sc
    import rsvlm.io.vis as vis
    from rsvlm.io.scaling import ReadConfig, compute_stretch, percentile_range

    assert percentile_range(np.full(9, 0.3, np.float32), [2, 98], True) == (0.0, 1.0, True)  # as it is
    assert percentile_range(np.full(9, 7.0), [2, 98], True) == (6.5, 7.5, True)  # mid-grey
    assert percentile_range(np.r_[np.zeros(99), 5.0], [2, 98], False) == (0.0, 1.0, False)  # equal ends, varied
    calls = []
    real = sc.percentile_range
    for mod in (sc, vis):
        monkeypatch.setattr(mod, "percentile_range", lambda *a, **k: calls.append(1) or real(*a, **k))
    stretch, flat = compute_stretch(np.full((2, 4, 4), 7.0, np.float32), None, ReadConfig(), "raw")
    assert stretch == [[6.5, 7.5]] * 2 and flat == {0: 7.0, 1: 7.0} and len(calls) == 2
    rgb = vis.to_display_rgb(_img(np.full((3, 4, 4), 0.25), "msi", ["B04", "B03", "B02"]))
    assert (rgb == 64).all() and len(calls) == 3  # 0.25 as it is, one call for the three bands


def _iq(n=2, side=32):
    """The I and Q parts (n, side, side) int16 each of speckled complex SAR, and its amplitude in dB."""
    rng = np.random.default_rng(0)
    amp, phase = rng.rayleigh(300, (n, side, side)), rng.uniform(-np.pi, np.pi, (n, side, side))
    i, q = (amp * np.cos(phase)).astype(np.int16), (amp * np.sin(phase)).astype(np.int16)
    return i, q


def test_an_slc_s_i_and_q_bands_are_read_as_one_complex_band_by_their_names(tmp_path):
    """SNAP's export of a Sentinel-1 SLC (bands i_IW1_VV, q_IW1_VV, Intensity_IW1_VV) was read as three
    unrelated sar bands: the dB of |I| and of |Q| beside each other, as two polarisations."""
    from rsvlm.io import ReadConfig, read_image

    i, q = _iq()
    ref = read_image(_tif(tmp_path / "c.tif", (i[0] + 1j * q[0]).astype(np.complex64)))  # a CInt16-like SLC
    three = np.stack([i[0], q[0], np.hypot(i[0], q[0]).astype(np.int16)])
    snap = _tif(tmp_path / "snap.tif", three)
    import rasterio

    with rasterio.open(snap, "r+") as ds:
        ds.descriptions = ("i_IW1_VV", "q_IW1_VV", "Intensity_IW1_VV")
    img = read_image(snap)
    assert img.modality == "sar" and img.bands == ["VV"] and img.data.shape == (1, 32, 32)
    np.testing.assert_allclose(img.data, ref.data, atol=1e-6)
    assert any("i_IW1_VV + q_IW1_VV read as 1 complex band" in n for n in img.notes)
    assert any("Intensity_IW1_VV derived from them left out" in n for n in img.notes)
    files = read_image([_tif(tmp_path / "i_VV.tif", i[:1]), _tif(tmp_path / "q_VV.tif", q[:1])])  # one part a file
    assert files.bands == ["VV"] and np.allclose(files.data, ref.data, atol=1e-6)
    with pytest.raises(ValueError, match=r"snap\.tif: ReadConfig\.sar_iq reads bands as I/Q pairs, but .* 3 band"):
        read_image(snap, scaling=ReadConfig(sar_iq=True))


def test_unnamed_bands_that_look_like_i_and_q_are_said_so_and_sar_iq_pairs_them(tmp_path):
    """Two unnamed int16 bands holding I and Q read as a dual-polarisation pair without a word."""
    from rsvlm.io import ReadConfig, read_image

    i, q = _iq()
    path = _tif(tmp_path / "iq.tif", np.stack([i[0], q[0]]))
    plain = read_image(path)
    assert plain.data.shape == (2, 32, 32) and any("as the I and Q parts of complex SLC data do" in n
                                                    for n in plain.notes)
    paired = read_image(path, scaling=ReadConfig(sar_iq=True))
    assert paired.data.shape == (1, 32, 32) and paired.modality == "sar"
    amp = _tif(tmp_path / "amp.tif", np.abs(np.stack([i[0], q[0]])).astype(np.uint16) + 1)  # amplitude: no note
    assert not any("I and Q" in n for n in read_image(amp).notes)
    with pytest.raises(ValueError, match=r"sar_iq reads I/Q bands as complex sar, not msi"):
        read_image(path, "msi", scaling=ReadConfig(sar_iq=True))


def test_a_fractional_window_is_refused_and_a_flat_band_note_reads_well(tmp_path):
    """A window (0.5, 0, 4, 4) was read as (0, 0, 4, 4) unsaid; a band of one value in [0, 1] was
    "read as as it is"."""
    from rsvlm.io import read_image

    path = _tif(tmp_path / "a.tif", np.random.default_rng(0).integers(0, 4000, (4, 8, 8)).astype(np.uint16))
    with pytest.raises(ValueError, match=r"a\.tif: window \(0\.5, 0, 4, 4\) .* must be 4 whole pixel numbers"):
        read_image(path, window=(0.5, 0, 4, 4))
    assert read_image(path, window=(np.int64(2), 2.0, 4, 4)).data.shape == (4, 4, 4)
    flat = read_image(_tif(tmp_path / "f.tif", np.ones((1, 4, 4), np.float32)), "ir")
    assert any(n.endswith("nothing to stretch, read as it is (in [0, 1])") for n in flat.notes), flat.notes


def test_a_cmyk_jpeg_is_tiled_as_the_reader_reads_it(tmp_path):
    """Tiling a CMYK JPEG (a scanned map sheet) met PIL's "cannot write mode CMYK as PNG", naming no file;
    its tiles are now RGB, pixel for pixel the reader's window."""
    from PIL import Image

    from data_gen.tiling import cropper, tile_windows
    from rsvlm.io import read_image

    src = tmp_path / "sheet.jpg"
    Image.new("CMYK", (40, 30), (0, 128, 30, 0)).save(src)
    with cropper(src) as crop:
        for k, win in enumerate(tile_windows(40, 30, 24, 8)):
            crop(win, tmp_path / f"t{k}.png")
    last = read_image(tmp_path / f"t{k}.png")
    assert Image.open(tmp_path / f"t{k}.png").mode == "RGB"
    np.testing.assert_array_equal(last.data, read_image(src, window=(win.x0, win.y0, 24, 24)).data)


def test_an_overlay_of_one_object_dict_or_of_bare_coordinates_says_what_objects_are(tmp_path):
    """One object dict given as ``objects`` had its keys taken as objects ("'str' object has no attribute
    'get'"); bare coordinates met "'list' object has no attribute 'get'"."""
    img = _img(np.zeros((3, 8, 8)))
    with pytest.raises(ValueError, match=r"objects must be a list of object dicts, not one dict"):
        draw_overlay(img, {"kind": "box", "coords": [1, 1, 2, 2]}, tmp_path / "o.png")
    with pytest.raises(ValueError, match=r"object 0 \(\[1, 1, 2, 2\]\): no object: expected a dict"):
        draw_overlay(img, [[1, 1, 2, 2]], tmp_path / "o.png")


@pytest.mark.parametrize("suffix", [".png", ".tif"])
def test_tiling_a_truncated_image_names_it(tmp_path, suffix):
    """A PNG cut short met PIL's bare "image file is truncated", a GeoTIFF rasterio's "Read failed. See
    previous exception for details.", neither naming the file a converter was tiling."""
    from PIL import Image

    from data_gen.tiling import Window, cropper
    from rsvlm.io import ImageReadError

    arr = np.random.default_rng(0).integers(0, 255, (3, 128, 128)).astype(np.uint8)
    src = tmp_path / f"whole{suffix}"
    _tif(src, arr) if suffix == ".tif" else Image.fromarray(np.moveaxis(arr, 0, -1)).save(src)
    cut = tmp_path / f"cut{suffix}"
    cut.write_bytes(src.read_bytes()[: src.stat().st_size // 2])
    with pytest.raises(ImageReadError, match=rf"cut{suffix}: .*truncated or corrupt"):
        with cropper(cut) as crop:
            for y in (0, 64):
                crop(Window(0, y, 64, y + 64), tmp_path / f"t{y}{'.tif' if suffix == '.tif' else '.png'}")


def test_tiling_an_object_with_a_non_finite_coordinate_names_it():
    """A NaN corner met GEOS's "IllegalArgumentException: Points of LinearRing do not form a closed
    linestring", naming no object."""
    from data_gen.tiling import tile_objects, tile_windows

    windows = tile_windows(500, 400, 256, 64)
    for obj in ({"kind": "box", "label": "a", "coords": [float("nan"), 1, 5, 5]},
                {"kind": "poly", "label": "a", "coords": [[1, 1], [5, float("inf")], [5, 8]]}):
        with pytest.raises(ValueError, match=rf"{obj['kind']} coordinates .* no finite number"):
            tile_objects([obj], windows)
    per, counts = tile_objects([{"kind": "box", "label": "a", "coords": [250, 10, 270, 30]}], windows)
    assert sum(map(len, per)) == 2 and counts == {"cut": 1, "lost": 0, "outside": 0}  # (6 of its 20 px in window 0)


def test_tile_merging_takes_scores_as_numbers_names_a_score_that_is_none_and_ranks_nan_last():
    """A score "0.8" (a JSON string) beside 0.5 met "'>' not supported between 'float' and 'str'"; "high"
    met float() naming no object; a NaN score outranked every real one."""
    from rsvlm.io import merge_tile_objects

    def seen(a, b):  # one point seen from two tiles (scene x = 5 and 6)
        return [((0, 0, 100, 100), [{"kind": "point", "label": "a", "coords": [5, 5], "score": a}]),
                ((50, 0, 100, 100), [{"kind": "point", "label": "a", "coords": [-44, 5], "score": b}])]

    assert merge_tile_objects(seen("0.8", 0.5)) == [{"kind": "point", "label": "a", "coords": [5, 5], "score": 0.8}]
    assert merge_tile_objects(seen(float("nan"), 0.5)) == [{"kind": "point", "label": "a", "coords": [6, 5],
                                                            "score": 0.5}]
    with pytest.raises(ValueError, match=r"tile \(0, 0, 100, 100\).*object 0 .*could not convert string to float"):
        merge_tile_objects(seen("high", 0.5))


@pytest.mark.parametrize("path", ["", " ", None, ["a.tif", ""]])
def test_an_empty_image_name_is_refused_as_no_path(path, tmp_path, monkeypatch):
    """"" was Path("."): "is a folder, not an image file; … e.g. a.tif,b.tif" listing the working folder."""
    from rsvlm.io import image_size, read_image

    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.tif").write_bytes(b"")
    for f in (read_image, image_size):
        with pytest.raises(ValueError, match=r"no image path given"):
            f(path)


def test_run_tiled_names_a_predict_fn_that_returns_no_list(tmp_path):
    """A predict_fn that forgot its return met len(None): "object of type 'NoneType' has no len()"."""
    from rsvlm.io import run_tiled

    path = _tif(tmp_path / "s.tif", np.random.default_rng(0).integers(0, 255, (3, 40, 40)).astype(np.uint8))
    with pytest.raises(ValueError, match=r"predict_fn returned NoneType for a batch of 4 tiles; it returns one list"):
        run_tiled(path, lambda imgs: None, tile=24, overlap=8, progress=False)
    assert run_tiled(path, lambda imgs: [[]] * len(imgs), tile=24, overlap=8, progress=False) == []


def test_tifffile_reads_bands_by_the_file_s_layout_not_by_their_sizes(tmp_path, monkeypatch):
    """Without rasterio, a 10 x 12 RGB TIFF read as 10 bands of 12 x 3 px, and 20 planar bands of
    30 x 8 px as 8 bands of 20 x 30: bands were told from rows by size (<= 16 and > 16), not by the
    layout tifffile reads from the file (YXS, SYX)."""
    import tifffile

    from rsvlm.io import read_image, sources

    def no_rasterio(*args, **kwargs):
        raise ImportError("rasterio")

    monkeypatch.setattr(sources, "RasterioSource", no_rasterio)
    rgb = np.arange(10 * 12 * 3, dtype=np.uint8).reshape(10, 12, 3)
    tifffile.imwrite(tmp_path / "rgb.tif", rgb, photometric="rgb")
    img = read_image(tmp_path / "rgb.tif")
    assert img.data.shape == (3, 10, 12) and img.modality == "optical"
    np.testing.assert_array_equal(img.data[1], rgb[..., 1] / np.float32(255))
    tifffile.imwrite(tmp_path / "msi.tif", np.ones((20, 30, 8), np.uint16), photometric="minisblack",
                     planarconfig="separate")
    assert read_image(tmp_path / "msi.tif").data.shape == (20, 30, 8)


def test_one_part_of_an_i_q_pair_alone_is_said_to_lack_its_other_part(tmp_path):
    """i_VV.img given without q_VV.img read as |I| in dB without a word."""
    from rsvlm.io import read_image

    i, q = _iq()
    img = read_image(_tif(tmp_path / "i_VV.tif", i[:1]), "sar")
    assert img.data.shape == (1, 32, 32)
    assert any("i_VV named as I or Q parts of complex SAR does not pair up" in n for n in img.notes), img.notes


def test_a_multi_band_geotiff_is_shrunk_in_strips_to_the_same_pixels(tmp_path, monkeypatch):
    """A decimated read of a whole multi-band GeoTIFF made GDAL decompress each block once per band
    where the blocks outgrow its cache: SceneReader took 8 s to open a 6000 px 4-band scene, not 2.
    It reads strips of ~512 rows now, sampling the very pixels the whole read did."""
    import rasterio

    from rsvlm.io import sources

    arr = np.random.default_rng(0).integers(0, 9000, (2, 1203, 301)).astype(np.uint16)
    path = _tif(tmp_path / "tall.tif", arr, nodata=0, tiled=True, compress="deflate")
    calls, real = [], sources.RasterioSource._read
    monkeypatch.setattr(sources.RasterioSource, "_read", lambda self, *a, **k: calls.append(1) or real(self, *a, **k))
    src = sources.RasterioSource([str(path)])
    raw, valid = src.read_decimated(601, [0, 1], None)
    src.close()
    with rasterio.open(path) as ds:
        whole, mask = ds.read(out_shape=(2, 601, 150)), ds.dataset_mask(out_shape=(601, 150)) > 0
    assert len(calls) == 3 and raw.shape == (2, 601, 150)
    np.testing.assert_array_equal(raw, whole)
    np.testing.assert_array_equal(valid, mask)
