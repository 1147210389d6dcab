"""Rough edges of the readers and converters, second pass (tour 51b): images with no valid pixel,
difficult objects that are skipped after all, class names spelled another way, JPEG change labels,
usage errors that left an output folder behind, GDAL's own error lines."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from rsvlm.io import read_image

rasterio = pytest.importorskip("rasterio")


def _geotiff(path, data, **kw):
    c, h, w = data.shape
    profile = {"driver": "GTiff", "width": w, "height": h, "count": c, "dtype": data.dtype,
               "crs": "EPSG:32618", "transform": rasterio.transform.from_origin(500000, 4000000, 1, 1), **kw}
    with rasterio.open(path, "w", **profile) as ds:
        ds.write(data)
    return path


@pytest.mark.parametrize("kind", ["transparent_png", "nodata_tif"])
def test_an_image_with_no_valid_pixel_says_so_and_is_not_called_a_grey_rgb(tmp_path, kind):
    """A fully transparent PNG or an all-nodata GeoTIFF got 'its 3 bands are identical, a grey image
    stored as RGB' (the hidden pixels compared) and not a word about having no valid pixel."""
    if kind == "transparent_png":
        a = np.zeros((20, 30, 4), np.uint8)
        a[..., :3] = 100  # the colour under alpha 0: identical bands, but no pixel shows
        path = tmp_path / "clear.png"
        Image.fromarray(a, "RGBA").save(path)
        why = "transparent"
    else:
        path = _geotiff(tmp_path / "collar.tif", np.zeros((3, 20, 30), np.uint16), nodata=0)
        why = "nodata"
    img = read_image(path)
    assert img.valid is not None and not img.valid.any()
    assert not any("grey image stored as RGB" in n for n in img.notes), img.notes
    (empty,) = [n for n in img.notes if n.startswith("no valid pixel")]
    assert why in empty


def test_grey_rgb_note_compares_valid_pixels_only(tmp_path):
    """Valid pixels in colour, transparent ones grey: a colour image, no grey-as-RGB note; valid
    pixels grey, transparent ones in colour: the note, and no 'no valid pixel'."""
    rng = np.random.default_rng(0)
    colour = rng.integers(0, 255, (20, 30, 3), dtype=np.uint8)
    for name, visible, hidden, grey in (("c.png", colour, 90, False), ("g.png", np.repeat(colour[..., :1], 3, -1), 0, True)):
        a = np.zeros((20, 30, 4), np.uint8)
        a[..., :3] = visible
        a[:, :10, :3] = hidden if grey else 90
        if grey:
            a[:, :10, 0] = 200  # colour under alpha 0
        a[:, 10:, 3] = 255
        Image.fromarray(a, "RGBA").save(tmp_path / name)
        notes = read_image(tmp_path / name).notes
        assert any("grey image stored as RGB" in n for n in notes) is grey, notes
        assert not any(n.startswith("no valid pixel") for n in notes), notes


def test_dota_difficult_objects_note_counts_only_difficult_objects_written(tmp_path):
    """The note counted every difficult line parsed: one then skipped as mostly_outside_image, or
    in a label file whose image is missing, was 'kept and flagged' in the stats but in no record."""
    from convert_helpers import convert, png

    src = tmp_path / "dota"
    png(src / "a.png", 200, 100)
    (src / "a.txt").write_text("10 10 40 10 40 30 10 30 plane 1\n"  # difficult, kept
                               "180 10 260 10 260 40 180 40 ship 1\n"  # difficult, 25% inside: skipped
                               "60 10 90 10 90 30 60 30 ship 0\n")
    (src / "b.txt").write_text("10 10 40 10 40 30 10 30 plane 1\n")  # no image b: skipped
    stats, recs = convert(tmp_path / "o", "dota", "--src", str(src))
    assert stats["skipped"] == {"mostly_outside_image": 1, "missing_image": 1}
    assert stats["notes"]["difficult_objects"] == 1
    assert sum(len(r["meta"]["difficult"]) for r in recs if r["id"].endswith("det-obb")) == 1


def test_class_names_match_whatever_their_case_and_separators(tmp_path):
    """``Small-Vehicle`` (as some DOTA exports write it) was skipped as unknown_class under the
    default --classes; so were ``small_vehicle`` and a two-word ``small vehicle`` (an
    unparsable_line besides); VOC's --classes matched case-sensitively too."""
    from convert_helpers import convert, png

    src = tmp_path / "dota"
    png(src / "a.png", 200, 100)
    (src / "a.txt").write_text("10 10 40 10 40 30 10 30 Small-Vehicle 0\n"
                               "60 10 90 10 90 30 60 30 small_vehicle 1\n"
                               "110 10 140 10 140 30 110 30 small vehicle\n"
                               "150 10 180 10 180 30 150 30 Large Vehicle 0\n"
                               "150 50 180 50 180 80 150 80 flying-saucer 0\n")
    stats, recs = convert(tmp_path / "o", "dota", "--src", str(src))
    assert stats["skipped"] == {"unknown_class": 1}, stats["skipped_examples"]
    (det,) = [r for r in recs if r["id"] == "dota-a-det-box"]
    from convert_helpers import objs

    assert [o["label"] for o in objs(det)] == ["large vehicle"] + ["small vehicle"] * 3
    assert det["meta"]["difficult"] == [2]  # the second small vehicle, flag read after a one-word class

    stats, _ = convert(tmp_path / "o2", "dota", "--src", str(src), "--classes", "small vehicle")
    assert stats["skipped"] == {} and stats["filtered"] == {"--classes: large vehicle": 1, "--classes: flying saucer": 1}

    voc = tmp_path / "voc"
    png(voc / "v.png", 100, 80)
    (voc / "v.xml").write_text("<annotation><filename>v.png</filename>" + "".join(
        f"<object><name>{n}</name><bndbox><xmin>10</xmin><ymin>10</ymin><xmax>40</xmax><ymax>40</ymax>"
        "</bndbox></object>" for n in ("Airplane", "storage_tank", "ship")) + "</annotation>")
    stats, recs = convert(tmp_path / "o3", "voc", "--src", str(voc), "--classes", "airplane,storagetank,storage-tank")
    assert stats["skipped"] == {} and stats["filtered"] == {"--classes: ship": 1}


def test_levir_jpeg_label_noise_is_not_change(tmp_path):
    """A change label saved as JPEG: any value above 0 was change, so the compression's ringing
    around a building (values 1…30) became changed area, and the text said so."""
    from convert_helpers import convert, objs

    src = tmp_path / "cd"
    rng = np.random.default_rng(0)
    for tag in ("A", "B", "label"):
        (src / tag).mkdir(parents=True)
    for name in ("p", "q"):
        for tag in "AB":
            Image.fromarray(rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(src / tag / f"{name}.png")
    lab = np.zeros((64, 64), np.uint8)
    lab[16:40, 20:44] = 255  # one building, 24 x 24 px: 14.1% of the image
    Image.fromarray(lab).save(src / "label" / "p.jpg", quality=60)
    assert len(np.unique(np.asarray(Image.open(src / "label" / "p.jpg")))) > 2  # the noise is there
    Image.fromarray(lab // 255).save(src / "label" / "q.png")  # a 0/1 label: binary, not noted
    stats, recs = convert(tmp_path / "o", "levir-cd", "--src", str(src))
    by = {r["id"]: r for r in recs}
    for name in ("p", "q"):
        assert by[f"levir-{name}-describe"]["conversations"][-1]["value"] == \
            "1 building area changed, covering 14.1% of the image."
        (poly,) = objs(by[f"levir-{name}-building-poly"])
        xs, ys = [p[0] for p in poly["coords"]], [p[1] for p in poly["coords"]]
        assert (min(xs), min(ys), max(xs), max(ys)) == pytest.approx((20, 16, 44, 40), abs=1.5)
    assert stats["notes"]["labels_not_binary"] == 1


@pytest.mark.parametrize("fmt", ["dota", "voc", "coco", "folder", "rsvqa", "rsivqa", "masks", "levir-cd",
                                 "geojson", "llava"])
def test_a_usage_error_creates_no_output_folder_and_keeps_an_earlier_run(tmp_path, fmt):
    """Every converter created --out with an empty records.jsonl before finding that its input was
    not there (or --overlap not below --tile, or --labels-crs no CRS); a re-run into a folder with
    an earlier run's records emptied them."""
    from data_gen.convert import main

    none = str(tmp_path / "nowhere")
    png_ = tmp_path / "a.png"
    Image.new("RGB", (8, 8)).save(png_)
    argv = {"dota": ["--src", none], "voc": ["--src", none], "coco": ["--ann", none, "--images", none],
            "folder": ["--src", none], "rsvqa": ["--src", none, "--images", none],
            "rsivqa": ["--src", none, "--images", none],
            "masks": ["--images", str(png_), "--labels", str(png_)],  # no --palette/--preset/--binary
            "levir-cd": ["--src", str(tmp_path), "--tile", "32", "--overlap", "32"],
            "geojson": ["--images", str(png_), "--labels", str(png_), "--labels-crs", "EPSG:99999"],
            "llava": ["--src", none, "--images", none]}[fmt]
    assert main([fmt, "--out", str(tmp_path / "o" / "new"), *argv]) == 2
    assert not (tmp_path / "o").exists()
    earlier = tmp_path / "earlier"
    earlier.mkdir()
    (earlier / "records.jsonl").write_text('{"id": "kept"}\n')
    assert main([fmt, "--out", str(earlier), *argv]) == 2
    assert (earlier / "records.jsonl").read_text() == '{"id": "kept"}\n'
    assert sorted(p.name for p in earlier.iterdir()) == ["records.jsonl"]


def test_an_unknown_crs_is_our_one_error_line_without_gdals(tmp_path, capfd):
    """GDAL printed its own 'ERROR 1: PROJ: … crs not found' on stderr beside the converter's
    message, for --labels-crs and for a GeoJSON's crs member alike."""
    import json

    from data_gen.convert import main

    tif = _geotiff(tmp_path / "a.tif", np.zeros((1, 16, 16), np.uint8))
    ring = [[500001, 3999999], [500005, 3999999], [500005, 3999995], [500001, 3999999]]
    gj = tmp_path / "a.geojson"
    gj.write_text(json.dumps({"type": "FeatureCollection", "crs": {"properties": {"name": "EPSG:99999"}},
                              "features": [{"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring]}}]}))
    capfd.readouterr()
    assert main(["geojson", "--out", str(tmp_path / "o"), "--images", str(tif), "--labels", str(gj),
                 "--labels-crs", "EPSG:99999"]) == 2
    err = capfd.readouterr().err
    assert "--labels-crs 'EPSG:99999': not a CRS" in err and "ERROR 1" not in err, err
    assert main(["geojson", "--out", str(tmp_path / "o"), "--images", str(tif), "--labels", str(gj)]) == 2
    err = capfd.readouterr().err
    assert "unreadable crs 'EPSG:99999'" in err and "ERROR 1" not in err, err


def test_tiles_of_a_jp2_are_geotiffs_named_tif(tmp_path):
    """masks --tile wrote a JP2 image's tiles as GeoTIFFs named ``.png`` (levir-cd as ``.JP2`` for
    an upper-case suffix), which no reader trusting the name could open; an untiled JP2's record
    had no crs and transform."""
    from convert_helpers import convert

    if "JP2OpenJPEG" not in rasterio.drivers.raster_driver_extensions().values():
        pytest.skip("GDAL built without a JPEG 2000 driver")
    data = np.random.default_rng(0).integers(0, 255, (3, 64, 64)).astype(np.uint8)
    _geotiff(tmp_path / "s.jp2", data, driver="JP2OpenJPEG")
    lab = np.zeros((64, 64), np.uint8)
    lab[10:50, 10:50] = 255
    Image.fromarray(lab).save(tmp_path / "s_mask.png")
    argv = ("masks", "--images", str(tmp_path / "s.jp2"), "--labels", str(tmp_path / "s_mask.png"), "--binary", "roof")
    for extra in ([], ["--tile", "32"]):
        _, recs = convert(tmp_path / f"o{len(extra)}", *argv, *extra)
        for rec in recs:
            (im,) = rec["images"]
            assert im["crs"] == "EPSG:32618", im
            if extra:
                assert im["path"].endswith(".tif"), im
                with rasterio.open(tmp_path / "o2" / im["path"]) as ds:
                    assert ds.driver == "GTiff"


def test_a_truncated_geotiff_names_the_failed_block_not_a_previous_exception(tmp_path):
    """Reading a truncated GeoTIFF said '(Read failed. See previous exception for details.)', in the
    reader's error and in the converters' unreadable_image example, and showed no such exception."""
    from data_gen.convert.common import ConversionError
    from data_gen.convert.common import image_size as checked_size
    from rsvlm.io import ImageReadError

    data = np.random.default_rng(0).integers(0, 60000, (3, 200, 300)).astype(np.uint16)
    full = _geotiff(tmp_path / "full.tif", data)
    cut = tmp_path / "cut.tif"
    cut.write_bytes(full.read_bytes()[: full.stat().st_size // 2])
    with pytest.raises(ImageReadError, match="cut.tif") as err:
        read_image(cut)
    with pytest.raises(ConversionError, match="cut.tif") as conv:
        checked_size(cut)
    for e in (err.value, conv.value):
        assert "previous exception" not in str(e) and "IReadBlock failed" in str(e), str(e)


def test_masks_binary_jpeg_noise_is_not_the_class(tmp_path):
    """masks --binary took every non-zero pixel as the class, so a JPEG mask's ringing became a
    frame of class pixels around each object (and, in empty parts, specks traced as polygons)."""
    from convert_helpers import convert, objs

    Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(tmp_path / "t.png")
    lab = np.zeros((64, 64), np.uint8)
    lab[16:40, 20:44] = 255
    Image.fromarray(lab).save(tmp_path / "t_mask.jpg", quality=60)
    stats, recs = convert(tmp_path / "o", "masks", "--images", str(tmp_path / "t.png"),
                          "--labels", str(tmp_path / "t_mask.jpg"), "--binary", "roof")
    (rec,) = recs
    (poly,) = objs(rec)
    xs, ys = [p[0] for p in poly["coords"]], [p[1] for p in poly["coords"]]
    assert (min(xs), min(ys), max(xs), max(ys)) == pytest.approx((20, 16, 44, 40), abs=1.5)
    assert stats["notes"]["labels_not_binary"] == 1


def test_det_overlap_not_below_tile_is_an_error_and_the_default_fits_small_tiles(tmp_path):
    """dota/voc/coco/geojson replaced an --overlap not below --tile by a quarter of the tile
    without a word (masks and levir-cd refuse it); and the default overlap of 200 made a 256 px
    tiling step by 56 px: 70 tiles for a 712 x 557 image."""
    from convert_helpers import convert, png

    from data_gen.convert import main

    src = tmp_path / "dota"
    png(src / "a.png", 712, 557)
    (src / "a.txt").write_text("10 10 40 10 40 30 10 30 plane 0\n")
    assert main(["dota", "--out", str(tmp_path / "bad"), "--src", str(src), "--tile", "256", "--overlap", "300"]) == 2
    assert not (tmp_path / "bad").exists()
    stats, recs = convert(tmp_path / "o", "dota", "--src", str(src), "--tile", "256")
    assert {tuple(r["meta"]["tile"][:2]) for r in recs} == {(0, 0)}  # the plane is in the first tile only
    assert stats["notes"]["empty_images"] == 4 * 3 - 1  # 256 px tiles, 192 px steps (the last flush): x 0, 192, 384, 456
