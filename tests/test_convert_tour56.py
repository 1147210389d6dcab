"""Rough-edge tour 56 of the dataset converters and the tiling of real data."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("rasterio")

from convert_helpers import convert, png  # noqa: E402

from data_gen.tiling import cropper, tile_windows  # noqa: E402


def rs_geotiff(path, w: int, h: int, count: int = 3, dtype: str = "uint8", **extra):
    import rasterio
    from rasterio.transform import from_origin

    data = (np.arange(w * h * count) % 251).reshape(count, h, w).astype(dtype)  # (C, H, W)
    with rasterio.open(path, "w", driver="GTiff", width=w, height=h, count=count, dtype=dtype,
                       crs="EPSG:32618", transform=from_origin(500000, 4000000, 0.5, 0.5), **extra) as ds:
        ds.write(data)
    return path


def test_a_geotiff_is_opened_once_for_all_its_tiles(tmp_path, monkeypatch):
    """_crop_raster reopened the scene (and reread its GCPs and tags) for every tile: 4x the time
    on a JP2, 1.7x on a deflate GeoTIFF whose blocks several tiles share."""
    import rsvlm.io.sources as sources

    src = rs_geotiff(tmp_path / "scene.tif", 96, 64, compress="deflate")
    real, reads = sources.open_raster, []

    def counting(path, mode="r", **kw):
        reads.append(path) if mode == "r" else None
        return real(path, mode, **kw)

    monkeypatch.setattr(sources, "open_raster", counting)
    windows = tile_windows(96, 64, 32, 0)
    with cropper(src) as crop:
        extras = [crop(w, tmp_path / f"t{k}.tif") for k, w in enumerate(windows)]
    assert len(windows) == 6 and reads == [src], reads
    import rasterio

    with rasterio.open(tmp_path / "t4.tif") as t, rasterio.open(src) as s:
        win = windows[4]
        assert (t.read() == s.read(window=((win.y0, win.y1), (win.x0, win.x1)))).all()
        assert extras[4]["transform"] == list(t.transform)[:6] and extras[4]["crs"] == "EPSG:32618"


def label_png(path, w: int, h: int, boxes=()):
    from PIL import Image

    lab = np.zeros((h, w), np.uint8)
    for x0, y0, x1, y1, v in boxes:
        lab[y0:y1, x0:x1] = v
    Image.fromarray(lab).save(path)
    return path


def test_an_image_with_no_object_in_any_window_is_not_decoded_but_counted(tmp_path, monkeypatch):
    """masks read an image through (and decoded it whole to cut tiles) when every window of its
    label was background: minutes for nothing on a large LoveDA / iSAID scene without the class."""
    import data_gen.convert.masks as masks

    calls = []
    monkeypatch.setattr(masks, "cropper", lambda p: calls.append(("cropper", p)))
    monkeypatch.setattr(masks, "image_size", lambda p, out=None: calls.append(("image_size", p)))
    png(tmp_path / "img" / "a.png", 90, 60)
    png(tmp_path / "img" / "b.png", 90, 60)
    (tmp_path / "lab").mkdir()
    label_png(tmp_path / "lab" / "a_mask.png", 90, 60)
    label_png(tmp_path / "lab" / "b_mask.png", 90, 60, [(0, 0, 90, 60, 0)])
    from data_gen.convert import main

    assert main(["masks", "--out", str(tmp_path / "o"), "--images", str(tmp_path / "img"), "--labels",
                 str(tmp_path / "lab"), "--binary", "ship", "--tile", "32"]) == 2  # nothing written: an error
    import json

    stats = json.loads((tmp_path / "o" / "stats.json").read_text())
    assert calls == [] and stats["records"] == 0
    assert stats["notes"]["images_without_objects_not_read"] == 2
    assert "empty_images" not in stats["notes"]  # per window of an image that is read, as in dota


def test_an_unknown_label_value_is_counted_once_per_image_not_per_tile(tmp_path):
    """Tiled, a value in no palette was counted once per window it showed in (four times here)."""
    png(tmp_path / "a.png", 80, 80)
    label_png(tmp_path / "a_mask.png", 80, 80, [(4, 4, 60, 60, 1), (30, 30, 50, 50, 7)])
    pal = tmp_path / "pal.json"
    pal.write_text('{"tree": 1}')
    stats, recs = convert(tmp_path / "o", "masks", "--images", str(tmp_path / "a.png"), "--labels",
                          str(tmp_path / "a_mask.png"), "--palette", str(pal), "--tile", "40", "--overlap", "0")
    assert stats["skipped"] == {"unknown_label_value": 1}, stats["skipped_examples"]
    assert "value 7 on 400 pixels" in stats["skipped_examples"]["unknown_label_value"]
    assert len(recs) == 4 and stats["notes"]["tiles"] == 4


def test_an_image_whose_bands_do_not_fit_the_modality_is_skipped_naming_it(tmp_path):
    """A 4-band R, G, B, NIR GeoTIFF under the default --modality optical was written as optical:
    every record failed in training ('4 band(s) cannot be read as optical')."""
    src = tmp_path / "dota"
    src.mkdir()
    tif = rs_geotiff(src / "P1.tif", 64, 48, count=4, photometric="MINISBLACK")  # no alpha: GDAL makes 4 uint8 bands RGBA
    (src / "P1.txt").write_text("4 4 30 4 30 20 4 20 ship 0\n")
    from data_gen.convert import main

    assert main(["dota", "--out", str(tmp_path / "o"), "--src", str(src)]) == 2  # no record: an error
    import json

    stats = json.loads((tmp_path / "o" / "stats.json").read_text())
    assert stats["skipped"] == {"wrong_band_count": 1}
    said = stats["skipped_examples"]["wrong_band_count"]
    assert str(tif) in said and "4 bands cannot be read as optical" in said and "--modality msi" in said
    stats, recs = convert(tmp_path / "o2", "dota", "--src", str(src), "--modality", "msi")
    assert stats["skipped"] == {} and {r["images"][0]["modality"] for r in recs} == {"msi"}


def test_a_change_pair_that_is_not_one_band_is_not_written_as_ir(tmp_path):
    from PIL import Image

    rng = np.random.default_rng(0)
    for tag in "AB":
        Image.fromarray(rng.integers(0, 255, (32, 32, 3)).astype(np.uint8)).save(tmp_path / f"p_{tag}.png")
    label_png(tmp_path / "p_label.png", 32, 32, [(4, 4, 12, 12, 255)])
    from data_gen.convert.common import ConversionError

    with pytest.raises(ConversionError, match=r"p_A.png: wrong_band_count \(3 bands cannot be read as ir.*--modality optical"):
        convert(tmp_path / "o", "levir-cd", "--src", str(tmp_path), "--modality", "ir", "--strict")
    stats, recs = convert(tmp_path / "o2", "levir-cd", "--src", str(tmp_path))
    assert len(recs) == 2 and stats["skipped"] == {}


def test_a_folder_geotiff_of_four_bands_is_inferred_msi_not_optical(tmp_path):
    """folder inferred optical for any GeoTIFF of up to 4 bands: an R, G, B, NIR scene, which the
    reader cannot read as optical."""
    (tmp_path / "src" / "forest").mkdir(parents=True)
    rs_geotiff(tmp_path / "src" / "forest" / "f1.tif", 32, 32, count=4, photometric="MINISBLACK")
    rs_geotiff(tmp_path / "src" / "forest" / "f2.tif", 32, 32, count=3)
    stats, recs = convert(tmp_path / "o", "folder", "--src", str(tmp_path / "src"))
    assert {r["meta"]["file"]: r["images"][0]["modality"] for r in recs} == {"forest/f1.tif": "msi",
                                                                           "forest/f2.tif": "optical"}
    assert stats["notes"]["modality_inferred_msi"] == 1 and stats["notes"]["modality_inferred_optical"] == 1


def test_llava_checks_the_modality_it_writes_and_passes_a_records_own(tmp_path):
    import json

    rs_geotiff(tmp_path / "n.tif", 16, 16, count=4, photometric="MINISBLACK")
    turns = [{"from": "human", "value": "<image>\nWhat is it?"}, {"from": "gpt", "value": "a field"}]
    (tmp_path / "l.json").write_text(json.dumps([{"id": "flag", "image": "n.tif", "conversations": turns},
                                                 {"id": "own", "image": "n.tif", "modality": "msi", "conversations": turns}]))
    stats, recs = convert(tmp_path / "o", "llava", "--src", str(tmp_path / "l.json"), "--images", str(tmp_path),
                          "--modality", "optical")
    assert [r["id"] for r in recs] == ["own"] and stats["skipped"] == {"wrong_band_count": 1}
    assert "cannot be read as optical" in stats["skipped_examples"]["wrong_band_count"]


def test_georeferenced_change_pairs_and_untiled_scenes_keep_crs_and_transform_in_records(tmp_path):
    """levir-cd dropped what each tile's crop returned (crs, its transform), and wrote none for a
    whole GeoTIFF pair; dota/voc/coco wrote them for tiles of a GeoTIFF but not for the whole one."""
    src = tmp_path / "cd"
    src.mkdir()
    for tag in "AB":
        rs_geotiff(src / f"x_{tag}.tif", 48, 32)
    label_png(src / "x_label.png", 48, 32, [(2, 2, 20, 20, 255)])
    _, recs = convert(tmp_path / "o", "levir-cd", "--src", str(src), "--tile", "32", "--overlap", "0")
    tiles = {tuple(r["meta"]["tile"]): r["images"] for r in recs if r["id"].endswith("-describe")}
    assert set(tiles) == {(0, 0, 32, 32), (16, 0, 48, 32)}  # the last column flush with the edge
    for im in tiles[(16, 0, 48, 32)]:
        assert im["crs"] == "EPSG:32618" and im["transform"] == [0.5, 0, 500008, 0, -0.5, 4000000]
    _, recs = convert(tmp_path / "o2", "levir-cd", "--src", str(src))
    assert all(im["transform"] == [0.5, 0, 500000, 0, -0.5, 4000000] for r in recs for im in r["images"])
    dota = tmp_path / "dota"
    dota.mkdir()
    rs_geotiff(dota / "P2.tif", 64, 48)
    (dota / "P2.txt").write_text("4 4 30 4 30 20 4 20 ship 0\n")
    _, recs = convert(tmp_path / "o3", "dota", "--src", str(dota))
    assert {r["images"][0]["crs"] for r in recs} == {"EPSG:32618"}


def test_an_image_with_no_annotation_left_is_not_read_through_but_counted(tmp_path, monkeypatch):
    """An empty DOTA label file (or one whose lines were all skipped) still had its image read to
    the end (seconds in strips for a DOTA-v2 scene) for records that never came."""
    import data_gen.convert.dota as dota

    src = tmp_path / "dota"
    for name, text in (("P1", ""), ("P2", "imagesource:GoogleEarth\ngsd:0.5\n"), ("P3", "1 2 3\n"),
                       ("P4", "4 4 30 4 30 20 4 20 ship 0\n")):
        png(src / f"{name}.png", 64, 48)
        (src / f"{name}.txt").write_text(text)
    read, real = [], dota.readable_size
    monkeypatch.setattr(dota, "readable_size", lambda p, *a: read.append(p.name) or real(p, *a))
    stats, recs = convert(tmp_path / "o", "dota", "--src", str(src))
    assert read == ["P4.png"] and {r["meta"]["file"] for r in recs} == {"P4.txt"}
    assert stats["notes"]["images_without_objects_not_read"] == 3 and stats["skipped"] == {"unparsable_line": 1}


@pytest.mark.realdata
def test_real_scenes_are_written_with_the_modality_the_reader_reads_them_as(tmp_path, realdata):
    """folder wrote the R, G, B, NIR GeoTIFF and the Landsat-8 thermal band as optical; dota over the
    former, under the default --modality optical, wrote records no reader could read."""
    from rsvlm.io.read import SceneReader

    for name, want in (("msi_rgbn", "msi"), ("ir_landsat8", "ir"), ("cls_aid", "optical")):
        _, (rec,) = convert(tmp_path / name, "folder", "--src", str(realdata / name))
        assert rec["images"][0]["modality"] == want
        with SceneReader(tmp_path / name / rec["images"][0]["path"], want) as r:  # it reads as written
            assert r.modality == want
    src = tmp_path / "dota"
    src.mkdir()
    (src / "rgbn_suba.tif").symlink_to(realdata / "msi_rgbn" / "rgbn_suba.tif")
    (src / "rgbn_suba.txt").write_text("4 4 30 4 30 20 4 20 ship 0\n")
    from data_gen.convert.common import ConversionError

    with pytest.raises(ConversionError, match=r"rgbn_suba.tif: wrong_band_count \(4 bands cannot be read as optical.*--modality msi"):
        convert(tmp_path / "o", "dota", "--src", str(src), "--strict")


def test_images_without_a_label_are_counted_not_left_out_unsaid(tmp_path):
    """The masks docstring listed missing_label, but images no label paired with were dropped
    without a word (a LoveDA split with one mask folder short went unnoticed)."""
    for name in ("a", "b"):
        png(tmp_path / "img" / f"{name}.png", 20, 20)
    (tmp_path / "lab").mkdir()
    label_png(tmp_path / "lab" / "a_mask.png", 20, 20, [(2, 2, 9, 9, 1)])
    stats, recs = convert(tmp_path / "o", "masks", "--images", str(tmp_path / "img"), "--labels",
                          str(tmp_path / "lab"), "--binary", "water")
    assert len(recs) == 1 and stats["skipped"] == {} and stats["notes"]["images_without_label"] == 1
    label_png(tmp_path / "img" / "a_mask.png", 20, 20, [(2, 2, 9, 9, 1)])  # one folder: labels are not images
    stats, _ = convert(tmp_path / "o2", "masks", "--images", str(tmp_path / "img"), "--labels",
                       str(tmp_path / "img"), "--binary", "water")
    assert stats["notes"]["images_without_label"] == 1, stats["notes"]


def test_dota_and_voc_count_the_images_no_label_file_names(tmp_path):
    """Images without a label file were passed over without a word (a labelTxt folder short of
    files looked like a complete conversion)."""
    src = tmp_path / "split"
    for name in ("P1", "P2", "P3"):
        png(src / "images" / f"{name}.png", 40, 30)
    (src / "labelTxt").mkdir()
    (src / "labelTxt" / "P1.txt").write_text("4 4 30 4 30 20 4 20 ship 0\n")
    stats, _ = convert(tmp_path / "o", "dota", "--src", str(src))
    assert stats["notes"]["images_without_label"] == 2
    (tmp_path / "xml").mkdir()
    (tmp_path / "xml" / "P2.xml").write_text("<annotation><filename>P2.png</filename><object><name>ship</name>"
                                             "<bndbox><xmin>3</xmin><ymin>3</ymin><xmax>20</xmax><ymax>15</ymax>"
                                             "</bndbox></object></annotation>")
    stats, _ = convert(tmp_path / "o2", "voc", "--src", str(tmp_path / "xml"), "--images", str(src / "images"))
    assert stats["notes"]["images_without_label"] == 2 and stats["records"] == 2


def test_levir_counts_the_pairs_no_label_names(tmp_path):
    for sub in ("A", "B", "label"):
        (tmp_path / "cd" / sub).mkdir(parents=True)
    for name in ("p1", "p2"):
        for sub in "AB":
            png(tmp_path / "cd" / sub / f"{name}.png", 16, 16)
    label_png(tmp_path / "cd" / "label" / "p1.png", 16, 16)
    (tmp_path / "cd" / "A" / "p1.png.aux.xml").write_text("<PAMDataset/>")  # a sidecar, not an image
    stats, recs = convert(tmp_path / "o", "levir-cd", "--src", str(tmp_path / "cd"))
    assert len(recs) == 1 and stats["notes"]["images_without_label"] == 1


@pytest.mark.parametrize("fmt", ["dota", "masks", "levir-cd"])
def test_an_overlap_over_half_the_tile_is_a_usage_error_before_any_work(tmp_path, fmt):
    """--tile 1024 --overlap 1000 (an overlap taken for the step) was accepted: windows every 24 px,
    over 600,000 tiles written for one DOTA-v2 scene."""
    from data_gen.convert import convert as run_convert
    from data_gen.convert.common import ConversionError

    src = {"dota": ["--src", str(tmp_path)], "levir-cd": ["--src", str(tmp_path)],
           "masks": ["--images", str(tmp_path), "--labels", str(tmp_path), "--binary", "x"]}[fmt]
    with pytest.raises(ConversionError, match=r"--overlap 1000 is over half of --tile 1024: windows would start "
                                              r"every 24 px.* up to 1849 tiles"):
        run_convert([fmt, "--out", str(tmp_path / "o"), *src, "--tile", "1024", "--overlap", "1000"])
    assert not (tmp_path / "o").exists()
    png(tmp_path / "a.png", 80, 80)
    (tmp_path / "a.txt").write_text("8 8 60 8 60 40 8 40 ship 0\n")
    if fmt == "dota":  # half is allowed
        stats, _ = convert(tmp_path / "o2", "dota", *src, "--tile", "40", "--overlap", "20")
        assert stats["notes"]["tiles"] >= 1


def test_tile_objects_clips_an_object_only_against_the_windows_it_reaches(monkeypatch):
    """Every object was clipped (shapely) against every window: 26 s for 3000 objects over the 225
    tiles of a 12000 px scene, minutes for a DOTA-v2 one. The result is the same as before."""
    import data_gen.tiling as tiling

    rng = np.random.default_rng(0)
    objs = [{"kind": "obb", "label": "car", "coords": (c + rng.uniform(-9, 9, (4, 2))).tolist()}
            for c in rng.uniform(0, 600, (40, 1, 2))]
    objs += [{"kind": "box", "label": "x", "coords": [95, 5, 130, 20]}, {"kind": "point", "coords": [100, 100]},
             {"kind": "poly", "label": "p", "coords": [[-40, -40], [-20, -40], [-20, -20]]}]  # outside the image
    windows = tile_windows(600, 600, 100, 0)
    want = [[clip_one for o in objs for clip_one in tiling.clip_object(o, w)[0]] for w in windows]
    calls = []
    real = tiling.clip_object
    monkeypatch.setattr(tiling, "clip_object", lambda o, w, *a: calls.append(1) or real(o, w, *a))
    per_window, counts = tiling.tile_objects(objs, windows)
    assert [sorted(map(str, p)) for p in per_window] == [sorted(map(str, p)) for p in want]
    assert counts["outside"] == 1 and len(calls) <= 4 * len(objs) < len(objs) * len(windows) / 8


def test_a_colour_label_under_a_grey_palette_is_named_not_a_flood_of_unknown_grey_levels(tmp_path):
    """A Potsdam-style colour label with a grey-level palette was turned into luminance (PIL) or its
    first band (GeoTIFF), and each colour came out as an 'unknown_label_value' grey level."""
    from PIL import Image

    png(tmp_path / "a.png", 20, 20)
    lab = np.zeros((20, 20, 3), np.uint8)
    lab[2:9, 2:9] = [0, 0, 255]
    Image.fromarray(lab).save(tmp_path / "a_label.png")
    pal = tmp_path / "pal.json"
    pal.write_text('{"building": 2}')
    args = ["masks", "--images", str(tmp_path / "a.png"), "--labels", str(tmp_path / "a_label.png")]
    from data_gen.convert.common import ConversionError

    with pytest.raises(ConversionError, match=r"a_label.png: unreadable_label \(a colour label \(3 bands that differ\) under a "
                                              r"palette of grey levels"):
        convert(tmp_path / "o", *args, "--palette", str(pal), "--strict")
    Image.fromarray(np.repeat(lab[..., 2:] // 255 * 2, 3, axis=2)).save(tmp_path / "a_label.png")  # grey as RGB
    stats, recs = convert(tmp_path / "o2", *args, "--palette", str(pal))
    assert len(recs) == 1 and stats["skipped"] == {}


def test_tiles_of_a_georeferenced_png_keep_its_georeferencing(tmp_path):
    """A PNG georeferenced by a sidecar (.aux.xml, world file) was cut by PIL: its tiles and their
    records had no CRS or transform, though the whole image copied kept its sidecar."""
    import rasterio
    from rasterio.transform import from_origin

    src = tmp_path / "dota"
    src.mkdir()
    with rasterio.open(src / "G1.png", "w", driver="PNG", width=80, height=60, count=3, dtype="uint8",
                       crs="EPSG:32618", transform=from_origin(500000, 4000000, 0.5, 0.5)) as ds:
        ds.write((np.arange(3 * 60 * 80) % 250).reshape(3, 60, 80).astype(np.uint8))
    assert (src / "G1.png.aux.xml").is_file()
    (src / "G1.txt").write_text("50 30 70 30 70 50 50 50 ship 0\n")
    stats, recs = convert(tmp_path / "o", "dota", "--src", str(src), "--tile", "40", "--overlap", "0")
    (rec, *_) = [r for r in recs if r["meta"]["tile"] == [40, 20, 80, 60]]
    assert rec["images"][0]["crs"] == "EPSG:32618" and rec["images"][0]["transform"][2:6:3] == [500020, 3999990]
    with rasterio.open(tmp_path / "o" / rec["images"][0]["path"]) as t, rasterio.open(src / "G1.png") as s:
        assert t.crs == s.crs and t.transform.c == 500020 and (t.read() == s.read(window=((20, 60), (40, 80)))).all()
    assert "stale_images_from_earlier_runs" not in stats["notes"]  # the tiles' own .aux.xml are theirs


def test_geojson_pairing_says_which_geotiffs_it_passed_over(tmp_path):
    """GeoTIFFs sharing a --match key (SpaceNet's PAN/ and RGB-PanSharpen/ chips) kept the last one
    without a word, and GeoTIFFs the pattern did not match were reported as one."""
    import json

    for sub in ("PAN", "RGB"):
        (tmp_path / "img" / sub).mkdir(parents=True)
        rs_geotiff(tmp_path / "img" / sub / f"{sub}_AOI_1_img1.tif", 40, 40, count=1 if sub == "PAN" else 3)
    rs_geotiff(tmp_path / "img" / "RGB" / "notes_a.tif", 8, 8)
    rs_geotiff(tmp_path / "img" / "RGB" / "notes_b.tif", 8, 8)
    (tmp_path / "lab").mkdir()
    ring = [[500002, 3999998], [500010, 3999998], [500010, 3999990], [500002, 3999990], [500002, 3999998]]
    (tmp_path / "lab" / "buildings_AOI_1_img1.geojson").write_text(json.dumps({
        "type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": "EPSG:32618"}},
        "features": [{"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [ring]}}]}))
    stats, recs = convert(tmp_path / "o", "geojson", "--images", str(tmp_path / "img"), "--labels",
                          str(tmp_path / "lab"), "--match", r"AOI_\d+_img\d+")
    assert stats["notes"]["ambiguous_image_names"] == 1 and stats["skipped"] == {"missing_labels": 2}
    assert {r["meta"]["file"] for r in recs} == {"buildings_AOI_1_img1.geojson"}
    assert recs[0]["images"][0]["path"].endswith("PAN_AOI_1_img1.tif")  # the first in sort order, as --images finds


def test_windows_are_full_size_and_the_last_is_shifted_back_flush_with_the_edge():
    """DOTA's devkit shifts the last window back instead of cutting a sliver; so do the converters
    (rsvlm predict --tile counts its windows alike; it still shifts the last alone, rsvlm/io/windows.py): the window
    list, for the sizes that matter; the windows between are spread evenly."""
    assert [w.as_list() for w in tile_windows(712, 557, 256, 64)][:4] == [
        [0, 0, 256, 256], [152, 0, 408, 256], [304, 0, 560, 256], [456, 0, 712, 256]]
    assert tile_windows(1024, 1024, 1024, 200) == tile_windows(1024, 1024)  # exactly one tile: the image
    assert {(w.width, w.height) for w in tile_windows(300, 2000, 512, 100)} == {(300, 512)}  # narrower: its width
    for size, tile, overlap in ((1000, 400, 100), (1050, 400, 0), (4000, 1024, 200), (401, 400, 0)):
        wins = tile_windows(size, size, tile, overlap)
        assert {(w.width, w.height) for w in wins} == {(tile, tile)}
        xs = sorted({w.x0 for w in wins})
        assert xs[0] == 0 and xs[-1] == size - tile  # flush: no sliver past the last full window
        assert all(b - a <= tile - overlap for a, b in zip(xs, xs[1:]))  # neighbours share >= overlap px


def test_a_class_folder_without_images_is_counted_not_dropped_unsaid(tmp_path):
    png(tmp_path / "src" / "forest" / "f1.png", 16, 16)
    png(tmp_path / "src" / "river" / "r1.png", 16, 16)
    (tmp_path / "src" / "desert").mkdir()
    (tmp_path / "src" / "desert" / "notes.txt").write_text("to do")
    stats, recs = convert(tmp_path / "src" / "out", "folder", "--src", str(tmp_path / "src"))
    assert len(recs) == 2 and "desert" not in recs[0]["conversations"][0]["value"]
    assert stats["notes"]["class_folders_without_images"] == 1
    stats, _ = convert(tmp_path / "src" / "out", "folder", "--src", str(tmp_path / "src"))  # again: out/ is there
    assert stats["notes"]["class_folders_without_images"] == 1  # not the --out folder inside --src


@pytest.mark.parametrize(("extra", "want"), [({"compress": "deflate", "predictor": 2}, ("deflate", "2")),
                                             ({"compress": "lzw"}, ("lzw", None)),
                                             ({"compress": "jpeg"}, ("deflate", "2")),  # lossy: not re-encoded
                                             ({}, (None, None))])
def test_geotiff_tiles_keep_the_sources_compression_losslessly(tmp_path, extra, want):
    """Tiles of a compressed GeoTIFF or JP2 were written uncompressed: a Sentinel-1 GRD's tiles took
    1.6x the scene's size, a JP2's 4x."""
    import rasterio

    src = rs_geotiff(tmp_path / "s.tif", 64, 64, **extra)
    with cropper(src) as crop:
        crop(tile_windows(64, 64, 32)[3], tmp_path / "t.tif")
    with rasterio.open(tmp_path / "t.tif") as t, rasterio.open(src) as s:
        got = t.tags(ns="IMAGE_STRUCTURE")
        assert (got.get("COMPRESSION", "").lower() or None, got.get("PREDICTOR")) == want
        assert (t.read() == s.read(window=((32, 64), (32, 64)))).all()  # the source's values, as decoded


def test_an_image_whose_objects_are_all_under_a_bin_is_not_written(tmp_path):
    """The image was copied (or its tile cut) before its objects were found too small for the
    1000-bin grid: an image in images/ that no record named, counted in the stats' images."""
    src = tmp_path / "dota"
    png(src / "S.png", 3000, 1000)
    (src / "S.txt").write_text("10 10 11.5 10 11.5 11.5 10 11.5 small-vehicle 0\n")
    png(src / "T.png", 300, 100)
    (src / "T.txt").write_text("10 10 30 10 30 30 10 30 small-vehicle 0\n")
    stats, recs = convert(tmp_path / "o", "dota", "--src", str(src))
    assert sorted(p.name for p in (tmp_path / "o" / "images").iterdir()) == ["T.png"] and stats["images"] == 1
    assert stats["skipped"] == {"smaller_than_a_bin": 1} and {r["meta"]["file"] for r in recs} == {"T.txt"}


def test_a_mask_speck_under_a_bin_is_not_written_as_a_polygon_of_no_area(tmp_path):
    """masks wrote a one-pixel speck of a 3000 px image as <poly><loc_2>…</poly> (every vertex one
    bin: no area); a tile holding nothing else was written with no record naming it."""
    png(tmp_path / "a.png", 3000, 40)
    label_png(tmp_path / "a_mask.png", 3000, 40, [(7, 7, 8, 8, 1), (100, 5, 140, 35, 1)])
    stats, (rec,) = convert(tmp_path / "o", "masks", "--images", str(tmp_path / "a.png"), "--labels",
                            str(tmp_path / "a_mask.png"), "--binary", "ship")
    assert "<poly><loc_2><loc_" not in rec["conversations"][1]["value"]
    assert rec["conversations"][1]["value"].count("<poly>") == 1 and stats["notes"]["instances_smaller_than_a_bin"] == 1
    label_png(tmp_path / "a_mask.png", 3000, 40, [(7, 7, 8, 8, 1)])  # the speck alone
    from data_gen.convert import main

    assert main(["masks", "--out", str(tmp_path / "o2"), "--images", str(tmp_path / "a.png"), "--labels",
                 str(tmp_path / "a_mask.png"), "--binary", "ship"]) == 2
    assert not any((tmp_path / "o2" / "images").iterdir())  # no image that no record names


def test_levir_takes_no_gdal_sidecar_for_a_label_or_an_image(tmp_path):
    """label/x.png.aux.xml was a label (skipped as missing_image), and a flat x_A.aux.xml, sorted
    before x_A.tif, was taken for the A image (skipped unreadable)."""
    for sub in ("A", "B", "label"):
        (tmp_path / "cd" / sub).mkdir(parents=True)
    for sub in "AB":
        png(tmp_path / "cd" / sub / "p1.png", 16, 16)
    label_png(tmp_path / "cd" / "label" / "p1.png", 16, 16, [(2, 2, 8, 8, 255)])
    (tmp_path / "cd" / "label" / "p1.png.aux.xml").write_text("<PAMDataset/>")
    stats, recs = convert(tmp_path / "o", "levir-cd", "--src", str(tmp_path / "cd"))
    assert stats["skipped"] == {} and len(recs) == 2
    flat = tmp_path / "flat"
    flat.mkdir()
    for tag in "AB":
        rs_geotiff(flat / f"x_{tag}.tif", 16, 16)
        (flat / f"x_{tag}.aux.xml").write_text("<PAMDataset/>")
    label_png(flat / "x_label.png", 16, 16, [(2, 2, 8, 8, 255)])
    stats, recs = convert(tmp_path / "o2", "levir-cd", "--src", str(flat))
    assert stats["skipped"] == {} and recs[0]["images"][0]["path"].endswith("x_A.tif")


def test_voc_reads_no_gdal_sidecar_as_an_annotation(tmp_path):
    """A P1.png.aux.xml beside the images (QGIS writes one on opening a file) was read as a VOC file
    without objects, and its image counted as having none."""
    png(tmp_path / "P1.png", 40, 30)
    (tmp_path / "P1.xml").write_text("<annotation><filename>P1.png</filename><object><name>ship</name><bndbox>"
                                     "<xmin>3</xmin><ymin>3</ymin><xmax>20</xmax><ymax>15</ymax></bndbox></object>"
                                     "</annotation>")
    (tmp_path / "P1.png.aux.xml").write_text("<PAMDataset><Metadata/></PAMDataset>")
    stats, recs = convert(tmp_path / "o", "voc", "--src", str(tmp_path), "--images", str(tmp_path))
    assert len(recs) == 2 and stats["notes"] == {"sidecars_copied": 1} and stats["skipped"] == {}  # with P1.png
