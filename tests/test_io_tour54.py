"""Rough-edge tour 54 of reading and predict: reading notes reach --out once, no file decoded twice."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from rsvlm.io import read_image

tifffile = pytest.importorskip("tifffile")


def test_a_note_said_before_gdal_raised_on_a_damaged_tiff_is_said_once(tmp_path):
    """RasterioSource._describe is tried again where GDAL raises an error it met listing a damaged TIFF's
    pages (at colorinterp); the notes it had said before that were said again: "bands named … from the
    TIFF's JSON metadata" stood twice in RSImage.notes."""
    pytest.importorskip("rasterio")
    path = tmp_path / "pages.tif"
    a = (np.arange(4 * 64 * 64) % 251).astype(np.uint8).reshape(4, 64, 64)  # (C, H, W)
    with tifffile.TiffWriter(path) as tw:
        tw.write(a, photometric="minisblack", planarconfig="separate", metadata={"bands": ["B02", "B03", "B04", "B08"]})
        tw.write(a, photometric="minisblack", planarconfig="separate", metadata=None)
    b = bytearray(path.read_bytes())  # the first page's pointer to the second, past the file's end
    first = struct.unpack_from("<I", b, 4)[0]
    struct.pack_into("<I", b, first + 2 + 12 * struct.unpack_from("<H", b, first)[0], 10**9)
    path.write_bytes(bytes(b))
    img = read_image(path)
    assert img.bands == ["B02", "B03", "B04", "B08"]
    assert any("offset 1000000000" in n for n in img.notes), img.notes  # the retry did happen
    assert len(img.notes) == len(set(img.notes)), img.notes


def georeferenced_png(path, w: int = 80, h: int = 64):
    """A random RGB PNG with a world file beside it: GDAL reads it (PIL would not georeference it)."""
    from PIL import Image

    Image.fromarray(np.random.default_rng(0).integers(0, 255, (h, w, 3)).astype(np.uint8)).save(path)
    path.with_suffix(".pgw").write_text("0.5\n0\n0\n-0.5\n500000\n4000000\n")
    return path


def predict(ckpt, image, *extra):
    from rsvlm.cli import main

    return main(["predict", "--model", str(ckpt), "--image", str(image), "--max-new-tokens", "4", "--device", "cpu",
                 *extra])


def count_opens(monkeypatch) -> list[str]:
    """The files RasterioSource opens from now on (each open of a GDAL-read PNG decodes it whole)."""
    from rsvlm.io import sources

    opened, init = [], sources.RasterioSource.__init__

    def counted(self, names, *args, **kwargs):
        opened.extend(names)
        init(self, names, *args, **kwargs)

    monkeypatch.setattr(sources.RasterioSource, "__init__", counted)
    return opened


def test_predict_tile_opens_its_scene_once_for_the_first_read_the_tiles_and_the_overlay(ckpt, tmp_path, monkeypatch,
                                                                                       capsys):
    """The first 1-pixel read, run_tiled and --vis each opened the file: a PNG GDAL reads was decoded
    whole three times (its truncation check, which also fills GDAL's block cache for that open)."""
    pytest.importorskip("rasterio")
    png = georeferenced_png(tmp_path / "scene.png")
    opened = count_opens(monkeypatch)
    assert predict(ckpt, png, "--task", "det", "--tile", "48", "--vis", str(tmp_path / "vis.png")) == 0
    assert opened == [str(png)]
    assert (tmp_path / "vis.png").is_file()


def test_run_tiled_on_an_open_scene_leaves_it_open_and_takes_no_reading_options(tmp_path):
    pytest.importorskip("rasterio")
    from rsvlm.io import SceneReader, run_tiled

    png = georeferenced_png(tmp_path / "scene.png")
    seen = []
    with SceneReader(png, "optical") as scene:
        run_tiled(scene, lambda tiles: seen.extend(t.window for t in tiles) or [[] for _ in tiles], tile=40,
                  overlap=0, progress=False)
        assert scene.read((0, 0, 2, 2)).data.shape == (3, 2, 2)  # still open
        with pytest.raises(ValueError, match="an open SceneReader has its own modality"):
            run_tiled(scene, lambda tiles: [[] for _ in tiles], modality="sar", progress=False)
    assert sorted(seen) == [(0, 0, 40, 40), (0, 24, 40, 40), (40, 0, 40, 40), (40, 24, 40, 40)]


def test_predict_out_and_geojson_carry_the_notes_printed_on_stderr(ckpt, geotiff, tmp_path, capsys):
    """--out and --geojson carried none of the reading notes (modality inferred, a scene shrunk whole,
    the answer cut at the token limit) predict prints: a pipeline reading the files lost them."""
    import json

    out, gj = tmp_path / "r.json", tmp_path / "r.geojson"
    assert predict(ckpt, geotiff, "--task", "det", "--out", str(out), "--geojson", str(gj)) == 0
    err = capsys.readouterr().err
    notes = json.loads(out.read_text())["notes"]
    assert any(n.startswith("[scene.tif] modality inferred as optical") for n in notes), notes
    for note in notes:  # each as printed, without the program's name
        assert note in err or f"rsvlm predict: {note}" in err, (note, err)
    assert json.loads(gj.read_text())["notes"] == notes  # a GeoJSON foreign member
    assert len(notes) == len(set(notes))


def test_predict_tile_out_carries_the_tiling_and_reading_notes(ckpt, tmp_path, capsys):
    import json

    pytest.importorskip("rasterio")
    png = georeferenced_png(tmp_path / "scene.png")
    out = tmp_path / "r.json"
    assert predict(ckpt, png, "--task", "count", "--tile", "48", "--out", str(out)) == 0
    notes = json.loads(out.read_text())["notes"]
    assert any(n.startswith("[scene.png] modality inferred as optical") for n in notes), notes
    assert any(n.startswith("note: --tile asks each window on its own") for n in notes), notes


def test_one_nodata_tile_and_one_tile_are_counted_in_the_singular(ckpt, tmp_path, capsys):
    """'1 object(s) from 1 tiles (1 tiles all nodata, not asked)' on the real Sentinel-2 sample."""
    rasterio = pytest.importorskip("rasterio")
    from rasterio.transform import from_origin

    path = tmp_path / "collar.tif"
    data = np.random.default_rng(0).integers(1, 255, (3, 32, 64), dtype=np.uint8)  # (C, H, W)
    data[:, :, :32] = 0  # the left window is all nodata
    with rasterio.open(path, "w", driver="GTiff", width=64, height=32, count=3, dtype="uint8", nodata=0,
                       crs="EPSG:32631", transform=from_origin(500000.0, 4000000.0, 0.5, 0.5)) as ds:
        ds.write(data)
    assert predict(ckpt, path, "--task", "det", "--tile", "32", "--overlap", "0") == 0
    assert " from 1 tile (1 tile all nodata, not asked)" in capsys.readouterr().out


def test_tile_with_a_change_pair_says_the_pair_is_answered_whole(geotiff, tmp_path, capsys):
    assert predict(tmp_path / "no-model", geotiff, "--image", str(geotiff), "--task", "change", "--tile", "32") == 2
    assert "--tile takes exactly one --image; a change pair is answered whole" in capsys.readouterr().err


def test_8bit_sar_says_it_is_read_as_display_scaled_grey(tmp_path):
    """A SAR chip saved as a JPEG (HRSID) read with modality sar was scaled / 255 without a word, while a
    16-bit scene says its dB stretch: the user could not tell the dB conversion was skipped."""
    from PIL import Image

    Image.fromarray(np.random.default_rng(0).integers(0, 255, (32, 32)).astype(np.uint8)).save(tmp_path / "chip.png")
    img = read_image(tmp_path / "chip.png", modality="sar")
    assert img.data.max() <= 1.0
    assert any(n.startswith("8-bit SAR read as display-scaled grey") for n in img.notes), img.notes
    assert not any("8-bit SAR" in n for n in read_image(tmp_path / "chip.png", modality="ir").notes)


def test_the_real_hrsid_chip_read_as_sar_says_how(realdata):
    img = read_image(realdata / "sar_hrsid" / "P0008_0_800_9000_9800.jpg", modality="sar")
    assert img.data.shape == (1, 800, 800)
    assert any(n.startswith("3 identical bands") for n in img.notes), img.notes
    assert any(n.startswith("8-bit SAR read as display-scaled grey") for n in img.notes), img.notes


def test_a_note_only_a_window_read_said_reaches_predict_tile_out_once(ckpt, tmp_path, monkeypatch, capsys):
    """run_tiled printed a damaged block's note as it came; --out had no word of it."""
    import json
    import logging

    from PIL import Image

    from rsvlm.io import sources

    path = tmp_path / "scene.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 96, 3), dtype=np.uint8)).save(path)
    plain = sources.ArraySource.read

    def read(self, window, indexes, nodata):
        if window[0] > 0:  # as tifffile says it of a bad tile
            logging.getLogger("tifffile").warning("<tifffile.TiffPage @8> corrupted tile @32 not read")
        return plain(self, window, indexes, nodata)

    monkeypatch.setattr(sources.ArraySource, "read", read)
    out = tmp_path / "r.json"
    assert predict(ckpt, path, "--task", "det", "--tile", "32", "--overlap", "0", "--out", str(out)) == 0
    notes = json.loads(out.read_text())["notes"]
    assert notes.count("[scene.png] tifffile warning while reading: TiffPage @8: corrupted tile @32 not read") == 1
    assert capsys.readouterr().err.count("corrupted tile @32") == 1  # printed by run_tiled, not again by predict


def test_unnamed_uint16_msi_bands_are_no_sentinel2_bands_and_keep_their_zeros(tmp_path):
    """A 5-band uint16 stack without band names (b1 … b5, the reader's own names) matched the Sentinel-2
    band pattern: its DN 0 were masked as "Sentinel-2 fill" though nothing said it was Sentinel-2."""
    path = tmp_path / "five.tif"
    dn = np.random.default_rng(0).integers(1, 10000, (5, 20, 30)).astype(np.uint16)  # (C, H, W)
    dn[:, :, :6] = 0
    tifffile.imwrite(path, dn, photometric="minisblack", planarconfig="separate")
    img = read_image(path)
    assert img.modality == "msi" and img.bands == ["b1", "b2", "b3", "b4", "b5"]
    assert img.valid is None and not any("Sentinel-2 fill" in n for n in img.notes), img.notes
    named = read_image(path, bands=["B02", "B03", "B04", "B08", "B8A"])  # named as Sentinel-2's: its fill
    assert named.valid is not None and not named.valid[:, :6].any()
    assert any(n.startswith("Sentinel-2 fill: DN 0 read as nodata") for n in named.notes)


def test_one_msi_band_is_drawn_as_grey(tmp_path):
    """A Sentinel-2 band file read alone is one msi band; predict --vis on it was an IndexError traceback
    (the composite took bands 0, 1, 1)."""
    from rsvlm.io import RSImage, draw_overlay, to_display_rgb

    data = np.linspace(0, 0.3, 20 * 30, dtype=np.float32).reshape(1, 20, 30)  # (1, H, W) reflectance
    img = RSImage(data=data, modality="msi", bands=["B04"], path="B04.jp2")
    rgb = to_display_rgb(img)  # (H, W, 3)
    assert rgb.shape == (20, 30, 3) and (rgb[..., 0] == rgb[..., 2]).all() and rgb.max() > rgb.min()
    draw_overlay(img, [{"kind": "box", "label": "ship", "coords": [2, 2, 10, 8]}], tmp_path / "o.png")
    assert (tmp_path / "o.png").is_file()


def test_predict_vis_on_the_real_sentinel2_band_file_alone(realdata, ckpt, tmp_path, capsys):
    assert predict(ckpt, realdata / "msi_s2" / "B04.jp2", "--task", "det", "--vis", str(tmp_path / "v.png")) == 0
    assert (tmp_path / "v.png").is_file()


def test_a_pair_of_files_of_one_name_keeps_each_image_s_notes(ckpt, geotiff, tmp_path, capsys):
    """2019/scene.tif and 2020/scene.tif were both '[scene.tif] …': the second's notes read as the first's
    said twice (and --out's notes, said once each, would have lost them)."""
    import json
    import shutil

    before, after = tmp_path / "2019" / "scene.tif", tmp_path / "2020" / "scene.tif"
    for p in (before, after):
        p.parent.mkdir()
        shutil.copy(geotiff, p)
    out = tmp_path / "r.json"
    assert predict(ckpt, before, "--image", str(after), "--task", "change", "--out", str(out)) == 0
    notes = json.loads(out.read_text())["notes"]
    for p in (before, after):
        assert f"[{p}] modality inferred as optical from 3 bands uint8" in notes, notes


def test_the_real_levir_pair_and_s1_scene_write_their_notes(realdata, ckpt, tmp_path, capsys):
    import json

    levir, out = realdata / "cd_levir", tmp_path / "pair.json"
    assert predict(ckpt, levir / "test_7_0256_0512_A.png", "--image", str(levir / "test_7_0256_0512_B.png"),
                   "--task", "change", "--out", str(out)) == 0
    notes = json.loads(out.read_text())["notes"]
    for name in ("A", "B"):
        assert f"[test_7_0256_0512_{name}.png] modality inferred as optical from 3 bands uint8" in notes, notes
    gj = tmp_path / "s1.geojson"  # georeferenced by ground control points only, tiled
    assert predict(ckpt, realdata / "sar_s1grd" / "iw-vv.tiff", "--task", "det", "--tile", "400", "--geojson",
                   str(gj)) == 0
    notes = json.loads(gj.read_text())["notes"]
    assert "[iw-vv.tiff] modality inferred as sar from 1 band uint16 georeferenced by GCPs only" in notes, notes
    assert "[iw-vv.tiff] band named VV from the file name" in notes
