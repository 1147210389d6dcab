"""Converter rough edges of tour 59: absurd tile sizes, --classes filtering, PNGs whose pixel data is
broken behind valid chunks."""

from __future__ import annotations

import re

import pytest
from convert_helpers import convert, png, rsvqa_split

from data_gen.convert import convert as run_convert


@pytest.mark.parametrize("fmt", ["dota", "masks", "levir-cd"])
@pytest.mark.parametrize("tile", ["1", "31", "abc"])
def test_a_tile_smaller_than_32_px_is_a_usage_error_naming_the_option(tmp_path, capsys, fmt, tile):
    """``--tile 1`` was taken: it cut a 712 x 557 DOTA scene into 396,584 one-pixel windows."""
    src = {"dota": ["--src", str(tmp_path)], "levir-cd": ["--src", str(tmp_path)],
           "masks": ["--images", str(tmp_path), "--labels", str(tmp_path), "--binary", "x"]}[fmt]
    with pytest.raises(SystemExit) as e:
        run_convert([fmt, "--out", str(tmp_path / "o"), *src, "--tile", tile])
    assert e.value.code == 2 and not (tmp_path / "o").exists()
    err = capsys.readouterr().err
    assert "argument --tile:" in err and "at least 32" in err and tile in err


def test_a_tile_of_32_px_is_taken(tmp_path):
    png(tmp_path / "a.png", 64, 64)
    (tmp_path / "a.txt").write_text("4 4 28 4 28 28 4 28 plane 0\n")
    stats, records = convert(tmp_path / "o", "dota", "--src", str(tmp_path), "--tile", "32", "--overlap", "0")
    assert stats["notes"]["tiles"] == 1 and records


def _dota_two_classes(tmp_path):
    png(tmp_path / "a.png", 64, 64)
    (tmp_path / "a.txt").write_text("4 4 28 4 28 28 4 28 plane 0\n"
                                    "34 34 60 34 60 60 34 60 small-vehicle 0\n"
                                    "34 4 60 4 60 28 34 28 Small_Vehicle 1\n")
    return tmp_path


def test_annotations_left_out_by_classes_are_filtered_not_skipped(tmp_path):
    """Lines of a class ``--classes`` left out were counted as skipped ``unknown_class``, beside the
    truncated images and broken lines, and ``--strict`` raised on the first of them."""
    src = _dota_two_classes(tmp_path / "dota")
    stats, records = convert(tmp_path / "o", "dota", "--src", str(src), "--classes", "plane", "--strict")
    assert stats["skipped"] == {} and stats["skipped_total"] == 0
    assert stats["filtered"] == {"--classes: small vehicle": 2} and stats["filtered_total"] == 2
    assert records

    xml = ("<annotation><filename>a.png</filename>" + "".join(
        f"<object><name>{n}</name><bndbox><xmin>{x}</xmin><ymin>5</ymin><xmax>{x + 20}</xmax><ymax>30</ymax>"
        "</bndbox></object>" for n, x in (("ship", 5), ("harbor", 35))) + "</annotation>")
    (src / "a.xml").write_text(xml)
    stats, _ = convert(tmp_path / "v", "voc", "--src", str(src), "--images", str(src), "--classes", "Ship", "--strict")
    assert stats["skipped"] == {} and stats["filtered"] == {"--classes: harbor": 1}


def test_a_class_outside_dotas_is_still_a_bad_annotation_without_classes(tmp_path):
    src = _dota_two_classes(tmp_path / "dota")
    with (src / "a.txt").open("a") as f:
        f.write("4 34 28 34 28 60 4 60 flying-saucer 0\n")
    stats, _ = convert(tmp_path / "o", "dota", "--src", str(src))
    assert stats["skipped"] == {"unknown_class": 1} and stats["filtered"] == {}
    assert not [k for k in stats["notes"] if k.startswith("--classes")]  # each DOTA class the scene lacks was noted


def test_a_run_whose_every_annotation_is_filtered_says_so(tmp_path, capsys):
    from data_gen.convert import main

    src = _dota_two_classes(tmp_path / "dota")
    assert main(["dota", "--src", str(src), "--out", str(tmp_path / "o"), "--classes", "ship"]) == 2
    err = capsys.readouterr().err
    assert "no records written (1 left out by --classes: plane, 2 left out by --classes: small vehicle)" in err


def _png_with_idat(path, src, raw: bytes, comp: bytes | None = None):
    """``src`` (a PNG) rewritten with ``raw`` deflated (or ``comp`` as it is) as its one IDAT, under a
    correct CRC."""
    import struct
    import zlib

    data = src.read_bytes()
    i = data.find(b"IDAT")
    n = struct.unpack(">I", data[i - 4:i])[0]
    comp = zlib.compress(raw) if comp is None else comp
    idat = struct.pack(">I", len(comp)) + b"IDAT" + comp + struct.pack(">I", zlib.crc32(b"IDAT" + comp))
    path.write_bytes(data[:i - 4] + idat + data[i + 4 + n + 4:])
    return path


def _broken_pngs(folder):
    """Three 64 x 48 PNGs whose chunks and CRCs are sound: ``ok``, ``damaged`` (bytes of the
    compressed data flipped: zlib's checksum fails) and ``short`` (half the rows' data: PIL decodes it,
    the rest black)."""
    import struct
    import zlib

    import numpy as np
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    ok = folder / "ok.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (48, 64, 3), dtype=np.uint8)).save(ok)
    data = ok.read_bytes()
    i = data.find(b"IDAT")
    raw = zlib.decompress(data[i + 4:i + 4 + struct.unpack(">I", data[i - 4:i])[0]])
    comp = bytearray(zlib.compress(raw))
    comp[100:140] = bytes(b ^ 0xFF for b in comp[100:140])
    damaged = _png_with_idat(folder / "damaged.png", ok, b"", bytes(comp))
    _png_with_idat(folder / "short.png", ok, raw[:len(raw) // 2])
    Image.open(folder / "short.png").load()  # PIL takes it: only the converters' check finds it
    return ok, damaged, folder / "short.png"


@pytest.mark.parametrize("tile", [None, "32"])
def test_a_png_with_damaged_pixel_data_is_skipped_tiled_or_not(tmp_path, tile):
    """PIL's verify checks a PNG's chunk CRCs: an untiled conversion copied a PNG whose data was
    damaged under a new CRC (a tiled one failed decoding it), and one whose data stops half way
    decoded, black below, in both."""
    ok, damaged, short = _broken_pngs(tmp_path / "dota")
    for p in (ok, damaged, short):
        p.with_suffix(".txt").write_text("4 4 28 4 28 28 4 28 plane 0\n")
    stats, records = convert(tmp_path / "o", "dota", "--src", str(tmp_path / "dota"),
                             *(["--tile", tile, "--overlap", "0"] if tile else []))
    assert stats["skipped"] == {"unreadable_image": 2}
    written = sorted(p.name for p in (tmp_path / "o" / "images").iterdir())
    assert written == ["ok.png"] if not tile else written and all(n.startswith("dota-ok_") for n in written)
    assert {r["images"][0]["path"] for r in records} == {f"images/{n}" for n in written}
    from data_gen.convert.common import ConversionError, image_size

    with pytest.raises(ConversionError, match=r"damaged\.png: cannot read image \(broken compressed pixel data"):
        image_size(damaged)
    with pytest.raises(ConversionError, match=r"short\.png: .*holds 4632 bytes where 64 x 48 px need 9264"):
        image_size(short)


def test_a_change_label_png_cut_short_is_not_read_as_no_change(tmp_path):
    """A LEVIR-CD label whose data stops half way read as 0 below: no change there, unsaid."""
    import shutil

    ok, _, short = _broken_pngs(tmp_path / "x")
    for sub in ("A", "B", "label"):
        (tmp_path / "cd" / sub).mkdir(parents=True)
        shutil.copy(ok, tmp_path / "cd" / sub / "p.png")
    shutil.copy(short, tmp_path / "cd" / "label" / "p.png")
    with pytest.raises(Exception, match=r"label[/\\]p\.png: unreadable_label \(cannot read label .*holds 4632 bytes"):
        run_convert(["levir-cd", "--src", str(tmp_path / "cd"), "--out", str(tmp_path / "o"), "--strict"])


def test_png_data_check_takes_every_colour_type_and_interlacing(tmp_path):
    import struct
    import zlib

    import numpy as np
    from PIL import Image

    from rsvlm.io.pngcheck import ADAM7, check_png_data

    rng = np.random.default_rng(1)
    for mode, shape in (("RGB", (37, 53, 3)), ("L", (9, 7)), ("RGBA", (5, 11, 4)), ("I;16", (21, 19))):
        a = rng.integers(0, 255, shape, dtype=np.uint8 if mode != "I;16" else np.uint16)
        Image.fromarray(a).save(tmp_path / "a.png")
        check_png_data(tmp_path / "a.png")
    for mode in ("1", "P", "LA"):
        Image.fromarray(rng.integers(0, 255, (33, 45, 3), dtype=np.uint8)).convert(mode).save(tmp_path / "b.png")
        check_png_data(tmp_path / "b.png")

    def chunk(kind, d):
        return struct.pack(">I", len(d)) + kind + d + struct.pack(">I", zlib.crc32(kind + d))

    a = rng.integers(0, 255, (37, 53, 3), dtype=np.uint8)  # Adam7, which PIL reads but does not write
    raw = b"".join(b"\0" + r.tobytes() for x0, y0, dx, dy in ADAM7 for r in a[y0::dy, x0::dx] if r.size)
    for cut, bad in ((0, None), (10, "5944 bytes where 53 x 37 px need 5954")):
        (tmp_path / "i.png").write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 53, 37, 8, 2, 0, 0, 1))
                                         + chunk(b"IDAT", zlib.compress(raw[:len(raw) - cut])) + chunk(b"IEND", b""))
        if bad is None:
            assert (np.asarray(Image.open(tmp_path / "i.png")) == a).all()
            check_png_data(tmp_path / "i.png")
        else:
            with pytest.raises(ValueError, match=bad):
                check_png_data(tmp_path / "i.png")
    ok = tmp_path / "ok.png"
    Image.fromarray(rng.integers(0, 255, (8, 8, 3), dtype=np.uint8)).save(ok)
    rows = bytearray(b"".join(b"\0" + bytes(range(24)) for _ in range(8)))
    rows[25 * 3] = 9  # the 4th row's filter byte
    with pytest.raises(ValueError, match="inflated byte 75 has filter type 9"):
        check_png_data(_png_with_idat(tmp_path / "f.png", ok, bytes(rows)))


def test_a_class_name_that_cannot_be_written_is_a_bad_annotation_not_a_traceback(tmp_path):
    """A DOTA class ``_`` under ``--classes ''``, a VOC ``<name>-</name>`` or a COCO category ``<ref>``
    became an empty label or one holding a tag, and the codec's ValueError ended the run."""
    import json

    png(tmp_path / "a.png", 64, 64)
    (tmp_path / "a.txt").write_text("4 4 28 4 28 28 4 28 _ 0\n34 4 60 4 60 28 34 28 a<ref>b 0\n"
                                    "4 34 28 34 28 60 4 60 plane 0\n")
    stats, records = convert(tmp_path / "o", "dota", "--src", str(tmp_path), "--classes", "")
    assert stats["skipped"] == {"bad_class_name": 2} and records
    assert stats["skipped_examples"]["bad_class_name"].endswith("a.txt:1: bad_class_name (a class name with no "
                                                                 "letter or digit in it)")

    (tmp_path / "a.xml").write_text("<annotation><filename>a.png</filename>" + "".join(
        f"<object><name>{n}</name><bndbox><xmin>{x}</xmin><ymin>5</ymin><xmax>{x + 20}</xmax><ymax>30</ymax>"
        "</bndbox></object>" for n, x in (("-", 5), ("ship", 35))) + "</annotation>")
    stats, records = convert(tmp_path / "v", "voc", "--src", str(tmp_path), "--images", str(tmp_path))
    assert stats["skipped"] == {"bad_class_name": 1} and records

    ann = {"images": [{"id": 1, "file_name": "a.png", "width": 64, "height": 64}],
           "categories": [{"id": 1, "name": "<ref>"}, {"id": 2, "name": "ship"}],
           "annotations": [{"id": k, "image_id": 1, "category_id": k, "bbox": [5 + 30 * (k - 1), 5, 20, 20]}
                           for k in (1, 2)]}
    (tmp_path / "c.json").write_text(json.dumps(ann))
    stats, records = convert(tmp_path / "c", "coco", "--ann", str(tmp_path / "c.json"), "--images", str(tmp_path))
    assert stats["skipped"] == {"bad_class_name": 1} and "rsvlm tag" in stats["skipped_examples"]["bad_class_name"]


def test_odd_footprints_over_the_real_spacenet_tile_are_counted(realdata, tmp_path):
    """A blank class property reached the codec as an empty label: a ValueError traceback. A class
    code 0 was taken for a missing property."""
    import json

    d = realdata / "bldg_spacenet4"
    g = json.loads((d / "geotiff_labels.geojson").read_text())
    feats = g["features"][:3]
    x, y = feats[0]["geometry"]["coordinates"][0][0][:2]
    square = {"type": "Polygon", "coordinates": [[[x, y], [x + 20, y], [x + 20, y + 20], [x, y + 20], [x, y]]]}
    bowtie = {"type": "Polygon", "coordinates": [[[x, y], [x + 20, y + 20], [x + 20, y], [x, y + 20], [x, y]]]}
    far = {"type": "Polygon", "coordinates": [[[x + 1e5, y], [x + 1e5 + 20, y], [x + 1e5, y + 20], [x + 1e5, y]]]}
    for f in feats:
        f["properties"] = {"kind": "building"}
    odd = [(square, "  "), (square, 0), (square, "Église Saint-Jean"), (square, None), (bowtie, "shed"),
           (far, "shed"), ({"type": "Point", "coordinates": [x, y]}, "shed"), (None, "shed")]
    g["features"] = feats + [{"type": "Feature", "geometry": geom, "properties": {"kind": k}} for geom, k in odd]
    (tmp_path / "odd.geojson").write_text(json.dumps(g))
    stats, records = convert(tmp_path / "o", "geojson", "--images", str(d / "sample_geotiff.tif"), "--labels",
                             str(tmp_path / "odd.geojson"), "--class-property", "kind")
    assert stats["skipped"] == {"bad_class_name": 1, "unknown_class": 1, "outside_image": 1,
                                "unsupported_geometry": 1, "empty_geometry": 1}, stats["skipped_examples"]
    assert stats["notes"]["self_intersecting_polygons_split"] == 1  # the bow-tie: its two loops, not degenerate
    assert {"seg-0", "seg-église_saint_jean", "seg-building"} <= {r["id"].split("-", 2)[-1] for r in records}


@pytest.mark.parametrize("palette, message", [
    ('{"<ref>": 1}', "class '<ref>': label '<ref>' contains an rsvlm tag"),
    ('{"_": 1}', "class '_': a class name with no letter or digit in it"),
    ('{"tree": null, "_ignore": [0]}', "no class in the palette"),
])
def test_a_palette_whose_classes_cannot_be_written_is_an_error_naming_it(tmp_path, palette, message):
    """A palette class ``<ref>`` was the codec's traceback at the first record, ``_`` a label of no word,
    and a palette of no class made every pixel an unknown value."""
    from data_gen.convert.common import ConversionError

    png(tmp_path / "a.png", 40, 40)
    png(tmp_path / "a_mask.png", 40, 40, mode="L")
    (tmp_path / "pal.json").write_text(palette)
    with pytest.raises(ConversionError, match=rf"pal\.json: {re.escape(message)}"):
        run_convert(["masks", "--out", str(tmp_path / "o"), "--images", str(tmp_path / "a.png"), "--labels",
                     str(tmp_path / "a_mask.png"), "--palette", str(tmp_path / "pal.json")])
    assert not (tmp_path / "o").exists()


def test_an_unlabelled_image_linked_to_a_labelled_one_is_still_noted(tmp_path):
    """Images compared by their resolved path: ``b.png``, a symlink to ``a.png`` with no label file of
    its own, counted as labelled and left out without a word."""
    png(tmp_path / "a.png", 64, 64)
    (tmp_path / "b.png").symlink_to(tmp_path / "a.png")
    (tmp_path / "a.txt").write_text("4 4 28 4 28 28 4 28 plane 0\n")
    stats, _ = convert(tmp_path / "o", "dota", "--src", str(tmp_path))
    assert stats["notes"]["images_without_label"] == 1


def test_a_dota_line_that_is_not_utf8_is_skipped_not_written_with_a_replacement_character(tmp_path):
    png(tmp_path / "a.png", 64, 64)
    (tmp_path / "a.txt").write_bytes("4 4 28 4 28 28 4 28 véhicule 0\n34 34 60 34 60 60 34 60 plane 0\n"
                                     .encode("latin-1"))
    stats, records = convert(tmp_path / "o", "dota", "--src", str(tmp_path), "--classes", "")
    assert stats["skipped"] == {"not_utf8": 1} and "a.txt:1: not_utf8" in stats["skipped_examples"]["not_utf8"]
    assert not any("\ufffd" in c["value"] for r in records for c in r["conversations"])


def test_an_rsivqa_line_that_is_not_utf8_is_skipped(tmp_path):
    png(tmp_path / "a.png", 32, 32)
    (tmp_path / "q.txt").write_bytes("a.png:is there a café?yes\na.png:is there a road?no\n".encode("latin-1"))
    stats, records = convert(tmp_path / "o", "rsivqa", "--src", str(tmp_path / "q.txt"), "--images", str(tmp_path))
    assert stats["skipped"] == {"not_utf8": 1} and len(records) == 1


def test_a_polygon_of_no_area_inside_the_image_is_degenerate_not_mostly_outside(tmp_path):
    """A COCO polygon whose points lie on one line, well inside the image, was skipped as
    ``mostly_outside_image`` (clip_object called it "cut")."""
    import json

    from data_gen.tiling import Window, clip_object

    png(tmp_path / "a.png", 64, 64)
    ann = {"images": [{"id": 1, "file_name": "a.png"}], "categories": [{"id": 1, "name": "ship"}],
           "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [10, 10, 20, 20],
                            "segmentation": [[10, 10, 30, 30, 20, 20]]},
                           {"id": 2, "image_id": 1, "category_id": 1, "bbox": [40, 40, 10, 10]}]}
    (tmp_path / "c.json").write_text(json.dumps(ann))
    stats, records = convert(tmp_path / "o", "coco", "--ann", str(tmp_path / "c.json"), "--images", str(tmp_path))
    assert stats["skipped"] == {"degenerate": 1}, stats["skipped_examples"]
    assert stats["skipped_examples"]["degenerate"].endswith("(id 1): degenerate (poly of no area)")
    line = {"kind": "poly", "label": "x", "coords": [[10, 10], [30, 30], [20, 20]]}
    assert clip_object(line, Window(0, 0, 64, 64)) == ([], "degenerate")
    assert clip_object(line, Window(40, 40, 64, 64)) == ([], "outside")


def test_footprints_of_another_place_under_a_pixel_are_all_outside_not_degenerate(realdata, tmp_path):
    """SpaceNet-4's Atlanta footprints over the Landsat-7 scene (30 m pixels, another UTM zone) were
    43 ``degenerate`` polygons under 1 px²: the pairing mistake went unsaid."""
    from data_gen.convert import main

    out = tmp_path / "o"
    code = main(["geojson", "--images", str(realdata / "msi_landsat7" / "RGB.byte.tif"), "--labels",
                 str(realdata / "bldg_spacenet4" / "geotiff_labels.geojson"), "--out", str(out)])
    import json

    stats = json.loads((out / "stats.json").read_text())
    assert code == 2 and stats["skipped"] == {"all_outside_image": 1}
    assert "all 43 footprints lie outside RGB.byte.tif" in stats["skipped_examples"]["all_outside_image"]


def test_an_image_file_given_for_an_image_folder_is_named_as_such(tmp_path):
    """``--images a.png`` said "no such image folder" of a file that is there."""
    from data_gen.convert.common import ConversionError

    png(tmp_path / "a.png", 32, 32)
    (tmp_path / "a.txt").write_text("4 4 28 4 28 28 4 28 plane 0\n")
    with pytest.raises(ConversionError, match=r"a\.png: a file, not an image folder"):
        run_convert(["dota", "--src", str(tmp_path), "--images", str(tmp_path / "a.png"), "--out", str(tmp_path / "o")])


def test_an_empty_footprint_file_does_not_read_its_scene_through(realdata, tmp_path, monkeypatch):
    """An empty FeatureCollection (SpaceNet's tile without a building) read its GeoTIFF block by block
    and noted it as ``empty_images``; DOTA and masks do not read an image with nothing to write."""
    import json

    from data_gen.convert import geojson

    d = realdata / "bldg_spacenet4"
    g = json.loads((d / "geotiff_labels.geojson").read_text())
    (tmp_path / "empty.geojson").write_text(json.dumps({**g, "features": []}))
    read = []
    monkeypatch.setattr(geojson, "readable_size", lambda p, *a, **k: read.append(p))
    stats = run_convert(["geojson", "--images", str(d / "sample_geotiff.tif"), "--labels",
                         str(tmp_path / "empty.geojson"), "--out", str(tmp_path / "o")])
    assert read == [] and stats["notes"] == {"images_without_objects_not_read": 1}


def test_tiles_just_under_the_image_size_are_noted_as_near_duplicates(tmp_path):
    """``--tile 255`` cut a 256 px LEVIR-CD pair into four tiles one pixel apart (the last column and
    row are shifted back flush with the edge): four near copies in the records, without a word."""
    import numpy as np
    from PIL import Image

    from data_gen.tiling import near_duplicate_edges, tile_windows

    assert near_duplicate_edges(tile_windows(256, 256, 255, 0))
    assert near_duplicate_edges(tile_windows(712, 557, 550, 0))  # x: 0 and 162, sharing 388 px
    assert not near_duplicate_edges(tile_windows(256, 256, 128, 0))
    assert not near_duplicate_edges(tile_windows(300, 100, 200, 100))  # --overlap itself is half: no flush crowding
    cd = tmp_path / "cd"
    for sub in ("A", "B", "label"):
        (cd / sub).mkdir(parents=True)
        Image.fromarray(np.full((64, 64), 255 if sub == "label" else 90, np.uint8)).save(cd / sub / "p.png")
    stats, _ = convert(tmp_path / "o", "levir-cd", "--src", str(cd), "--tile", "60")
    assert stats["notes"]["images_with_near_duplicate_edge_tiles"] == 1 and stats["notes"]["tiles"] == 4
    stats, _ = convert(tmp_path / "o2", "levir-cd", "--src", str(cd), "--tile", "32")
    assert "images_with_near_duplicate_edge_tiles" not in stats["notes"]
    png(tmp_path / "d" / "a.png", 64, 64)
    (tmp_path / "d" / "a.txt").write_text("4 4 28 4 28 28 4 28 plane 0\n")
    stats, _ = convert(tmp_path / "o3", "dota", "--src", str(tmp_path / "d"), "--tile", "60", "--overlap", "0")
    assert stats["notes"]["images_with_near_duplicate_edge_tiles"] == 1


def test_the_real_dota_scene_and_levir_pair_under_odd_options(realdata, tmp_path):
    """P1888 (50 large, 14 small vehicles) tiled at 256 px with half-tile overlap, one class kept, one
    record per class, strict; the LEVIR-CD pair at 100 px tiles, both forms, the smallest budget."""
    from convert_helpers import objs

    stats, records = convert(tmp_path / "d", "dota", "--src", str(realdata / "obb_dota"), "--tile", "256",
                             "--overlap", "128", "--classes", "Large_Vehicle", "--per-class", "--strict")
    assert stats["skipped"] == {} and stats["filtered"] == {"--classes: small vehicle": 14}
    assert stats["notes"]["tiles"] == len({r["images"][0]["path"] for r in records}) == 20
    assert {o["label"] for r in records if r["task"] == "det" for o in objs(r)} == {"large vehicle"}
    stats, records = convert(tmp_path / "l", "levir-cd", "--src", str(realdata / "cd_levir"), "--tile", "100",
                             "--overlap", "50", "--form", "both", "--budget", "8")
    assert stats["skipped"] == {} and stats["notes"]["tiles"] == 25 and stats["tasks"] == {"change": len(records)}


def test_a_llava_record_skipped_after_its_image_was_copied_leaves_no_image(tmp_path):
    """A record skipped once its image was copied (no gpt turn, a bad box, no conversation at all) left
    the image in OUT/images, named by no record, and its modality counted in the notes; an empty
    conversation was skipped as ``unparsable_record (StopIteration())``."""
    import json

    png(tmp_path / "imgs" / "a.png", 32, 32)
    png(tmp_path / "imgs" / "b.png", 32, 32)
    raw = [{"id": "1", "image": "a.png", "conversations": [{"from": "human", "value": "<image>\nq"}]},
           {"id": "2", "image": "a.png", "conversations": []},
           {"id": "3", "image": "b.png", "conversations": [{"from": "human", "value": "<image>\nq"},
                                                             {"from": "gpt", "value": "a"}]}]
    (tmp_path / "l.json").write_text(json.dumps(raw))
    stats, records = convert(tmp_path / "o", "llava", "--src", str(tmp_path / "l.json"), "--images",
                             str(tmp_path / "imgs"))
    assert stats["skipped"] == {"invalid_record": 1, "unparsable_record": 1} and len(records) == 1
    assert "no human turn" in stats["skipped_examples"]["unparsable_record"]
    assert sorted(p.name for p in (tmp_path / "o" / "images").iterdir()) == ["b.png"] and stats["images"] == 1
    assert stats["notes"] == {"modality_left_to_inference": 1}


def test_a_class_folder_whose_name_cleans_to_nothing_is_a_bad_class_name(tmp_path):
    """A folder ``_`` was class "": records answering "" and ``, river`` among every question's choices."""
    png(tmp_path / "src" / "_" / "x_1.png", 32, 32)
    png(tmp_path / "src" / "river" / "r_1.png", 32, 32)
    png(tmp_path / "src" / "Église ancienne" / "e_1.png", 32, 32)
    stats, records = convert(tmp_path / "o", "folder", "--src", str(tmp_path / "src"))
    assert stats["skipped"] == {"bad_class_name": 1} and "x_1.png" in stats["skipped_examples"]["bad_class_name"]
    assert sorted(r["conversations"][1]["value"] for r in records) == ["river", "église ancienne"]
    assert all(r["conversations"][0]["value"].endswith("one of: river, église ancienne.") for r in records)


@pytest.mark.parametrize("fmt, option", [("levir-cd", "--label"), ("masks", "--binary"), ("geojson", "--label")])
def test_a_class_option_holding_an_rsvlm_tag_is_a_usage_error(tmp_path, capsys, fmt, option):
    """``--label '<ref>'`` (levir-cd) and ``--binary 'a</ref>'`` (masks) passed the letters check and
    ended in the codec's ValueError traceback at the first record (geojson skipped every footprint)."""
    src = {"levir-cd": ["--src", str(tmp_path)], "geojson": ["--images", str(tmp_path), "--labels", str(tmp_path)],
           "masks": ["--images", str(tmp_path), "--labels", str(tmp_path)]}[fmt]
    with pytest.raises(SystemExit) as e:
        run_convert([fmt, "--out", str(tmp_path / "o"), *src, option, "a</ref>"])
    assert e.value.code == 2 and f"argument {option}: needs a class name, got 'a</ref>'" in capsys.readouterr().err


def test_a_vqa_question_holding_an_image_placeholder_is_not_written(tmp_path):
    """An RSIVQA or RSVQA question with ``<image>`` in its text was written, copied image and all, and the
    records loader refused it in training (2 placeholders, 1 image)."""
    import json

    png(tmp_path / "imgs" / "a.png", 32, 32)
    (tmp_path / "q.txt").write_text("a.png:what <image> is it?church\na.png:what is it?church\n")
    stats, records = convert(tmp_path / "o", "rsivqa", "--src", str(tmp_path / "q.txt"), "--images",
                             str(tmp_path / "imgs"))
    assert stats["skipped"] == {"invalid_record": 1} and len(records) == 1
    assert "q.txt:1: invalid_record" in stats["skipped_examples"]["invalid_record"]

    src = rsvqa_split(tmp_path, "How many <image> are there?", "2", "count")
    from data_gen.convert import main

    assert main(["rsvqa", "--src", str(src), "--images", str(tmp_path / "lr"), "--out", str(tmp_path / "o2")]) == 2
    stats = json.loads((tmp_path / "o2" / "stats.json").read_text())
    assert stats["skipped"] == {"invalid_record": 1} and stats["images"] == 0 and "type:count" not in stats["notes"]
