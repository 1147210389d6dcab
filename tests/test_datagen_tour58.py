"""Data_gen follow-ups of the morning's helpers: converters meeting an image that does not decode,
objects with coordinates of the wrong shape, config tuples, synth and rebuild nits."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from convert_helpers import convert, png
from PIL import Image


def corrupt_png(path: Path, w: int = 128, h: int = 128, seed: int = 0) -> Path:
    """A PNG whose chunks are whole (their CRCs right, so PIL's verify passes it) but whose pixel
    data does not inflate: a disk or transfer error, not a cut file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.random.default_rng(seed).integers(0, 255, (h, w, 3), dtype=np.uint8)).save(path)
    data, out, i = path.read_bytes(), bytearray(path.read_bytes()[:8]), 8
    while i < len(data):
        (n,), kind = struct.unpack(">I", data[i:i + 4]), data[i + 4:i + 8]
        body, i = data[i + 8:i + 8 + n], i + 12 + n
        if kind == b"IDAT":
            body = body[:n // 3] + bytes(64) + body[n // 3 + 64:]
        out += struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    path.write_bytes(bytes(out))
    return path


def test_a_tiled_dota_image_that_does_not_decode_is_counted_and_the_run_goes_on(tmp_path):
    """``image_size`` checked a PNG's chunks without inflating them; tiling then decoded it and the
    cropper's ImageReadError ended the run with a traceback. (Since tour 59 ``image_size`` inflates
    the pixel data and finds it first, tiled or not.)"""
    src = tmp_path / "dota"
    corrupt_png(src / "a.png")
    png(src / "b.png", 128, 128)
    for stem in "ab":
        (src / f"{stem}.txt").write_text("10 10 40 10 40 30 10 30 plane 0\n80 80 120 80 120 110 80 110 ship 0\n")
    stats, records = convert(tmp_path / "o", "dota", "--src", str(src), "--tile", "64", "--overlap", "0")
    assert stats["skipped"] == {"unreadable_image": 1}
    assert "a.png: unreadable_image (cannot read image (broken compressed pixel data" in stats["skipped_examples"]["unreadable_image"]
    assert records and {r["meta"]["file"] for r in records} == {"b.txt"}
    assert sorted(p.name for p in (tmp_path / "o" / "images").iterdir()) == ["dota-b_0_0.png", "dota-b_64_64.png"]


def test_a_levir_pair_failing_half_way_through_its_tiles_is_taken_back_whole(tmp_path):
    """Georeferenced PNGs are cut by GDAL tile by tile: A's first tile was written before B's read
    failed, and the traceback left it (and, one image later, its records) behind."""
    src = tmp_path / "cd"
    wld = "1\n0\n0\n-1\n500000\n4000000\n"  # a world file: both PNGs on one grid
    for name in ("p", "q"):
        for tag in "AB":
            im = src / tag / f"{name}.png"
            corrupt_png(im) if (name, tag) == ("p", "B") else png(im, 128, 128)
            im.with_suffix(".wld").write_text(wld)
        lab = np.zeros((128, 128), np.uint8)
        lab[20:60, 20:60] = 1
        (src / "label").mkdir(parents=True, exist_ok=True)
        Image.fromarray(lab).save(src / "label" / f"{name}.png")
    stats, records = convert(tmp_path / "o", "levir-cd", "--src", str(src), "--tile", "64", "--overlap", "0")
    assert stats["skipped"] == {"unreadable_image": 1} and "p.png" in stats["skipped_examples"]["unreadable_image"]
    assert {r["meta"]["file"] for r in records} == {"q.png"}
    assert stats["notes"]["tiles"] == 4 and stats["images"] == 8
    left = sorted(p.name for p in (tmp_path / "o" / "images").iterdir() if p.suffix == ".png")
    assert left == sorted(f"q_{x}_{y}_{t}.png" for x in (0, 64) for y in (0, 64) for t in "AB")


def test_masks_image_that_does_not_decode_under_tile_is_counted(tmp_path):
    lab = np.zeros((128, 128), np.uint8)
    lab[10:50, 10:50] = 1
    for name in ("a", "b"):
        Image.fromarray(lab).save(tmp_path / f"{name}_mask.png")
    corrupt_png(tmp_path / "a.png")
    png(tmp_path / "b.png", 128, 128)
    stats, records = convert(tmp_path / "o", "masks", "--images", str(tmp_path), "--labels", str(tmp_path),
                             "--label-suffix", "_mask", "--binary", "tree", "--tile", "64", "--overlap", "0")
    assert stats["skipped"] == {"unreadable_image": 1} and records
    assert {r["meta"]["file"] for r in records} == {"b_mask.png"}


def test_objects_of_the_wrong_shape_are_skipped_and_counted_not_a_traceback(tmp_path):
    """``emit_objects`` checked coordinates with its own copy of ``tiling.finite_coords``, which raised
    numpy's 'inhomogeneous shape' on a ragged obb and 'could not convert string' on words."""
    from data_gen.convert.common import Output
    from data_gen.convert.detection import DetOptions, emit_objects

    img = png(tmp_path / "a.png", 64, 64)
    objects = [{"kind": "obb", "label": "ship", "coords": [[1, 2], [3], [4, 5], [6, 7]], "src": "a.txt:1"},
               {"kind": "box", "label": "ship", "coords": [1, 2, "x", 4], "src": "a.txt:2"},
               {"kind": "box", "label": "ship", "coords": [1, 2, float("nan"), 4], "src": "a.txt:3"},
               {"kind": "box", "label": "plane", "coords": [10, 10, 30, 30], "src": "a.txt:4"}]
    with Output(tmp_path / "o", "test") as out:
        emit_objects(out, rid="a", source="test", file="a.txt", image=img, width=64, height=64,
                     objects=objects, opts=DetOptions())
        stats = out.close()
    assert stats["skipped"] == {"unparsable_geometry": 2, "non_finite_coordinates": 1}
    assert stats["skipped_examples"]["unparsable_geometry"].startswith("a.txt:1: unparsable_geometry (obb ")
    assert stats["tasks"] == {"det": 1, "ground": 1}


def test_config_converts_the_elements_of_a_fixed_length_tuple():
    """``tuple[float, float]`` came through as written: ``percentiles: ["1", "99"]`` stayed strings,
    and three values passed unchecked (``tuple[float, ...]`` and lists were converted)."""
    from dataclasses import dataclass

    from rsvlm.config import ConfigError, from_dict

    @dataclass
    class Cfg:
        span: tuple[float, float] = (2.0, 98.0)
        size: tuple[int, str] = (1, "a")

    cfg = from_dict(Cfg, {"span": ["1", 99], "size": ["1e2", 5]})
    assert cfg.span == (1.0, 99.0) and all(type(v) is float for v in cfg.span) and cfg.size == (100, "5")
    with pytest.raises(ConfigError, match=r"^span: expected 2 values, got 3") as e:
        from_dict(Cfg, {"span": [1, 2, 3]})
    assert e.value.keys == ("span",)
    with pytest.raises(ConfigError, match=r"^span\[1\]: expected float, got 'x'"):
        from_dict(Cfg, {"span": [1, "x"]})


@pytest.mark.parametrize("size", [0, 8, 5000, 64.0])
def test_generate_scene_refuses_a_size_the_cli_refuses_naming_it(size):
    """Called directly, ``size=0`` met a ZeroDivisionError deep in the layout (the CLI refused it)."""
    from data_gen.synth.scene import generate_scene

    with pytest.raises(ValueError, match=rf"^size {size!r} must be between 16 and 4096"):
        generate_scene("s", np.random.default_rng(0), size=size)


def test_the_synth_summary_says_1_scene_x_1_modality(tmp_path, capsys):
    from data_gen.synth.config import SynthConfig
    from data_gen.synth.run import synthesize
    from rsvlm.config import from_dict

    cfg = from_dict(SynthConfig, {"modalities": ["optical"], "scene": {"size": 32}})
    synthesize(tmp_path / "a", 1, seed=0, cfg=cfg, progress=False, records=False)
    assert "\n1 scene x 1 modality in " in "\n" + capsys.readouterr().out


def _small_set(root: Path) -> Path:
    from data_gen.synth.config import SynthConfig
    from data_gen.synth.run import synthesize
    from rsvlm.config import from_dict

    cfg = from_dict(SynthConfig, {"modalities": ["optical"], "scene": {"size": 32, "pairs_fraction": 0.0},
                                  "instructions": {"records_per_image": 1}})
    synthesize(root, 3, seed=0, cfg=cfg, progress=False, verbose=False)
    return root / "masks" / "s0-000001_inst.png"  # without it, rebuild fails at scene 1


def test_a_failed_rebuild_keeps_the_set_it_was_to_replace(tmp_path):
    """SplitFiles removed an earlier g_train/val/test.jsonl (and rebuild g_stats.json) up front, so a
    rebuild that failed part-way had already lost the set it was meant to replace."""
    from data_gen.instructions.rebuild import main as rebuild

    mask = _small_set(tmp_path)
    assert rebuild(["--dir", str(tmp_path), "--prefix", "g_", "--no-progress"]) == 0
    before = {p.name: p.read_text() for p in tmp_path.glob("g_*")}
    assert set(before) == {"g_train.jsonl", "g_val.jsonl", "g_test.jsonl", "g_stats.json"}
    mask.unlink()
    assert rebuild(["--dir", str(tmp_path), "--prefix", "g_", "--no-progress", "--seed", "3"]) == 2
    assert {p.name: p.read_text() for p in tmp_path.glob("g_*")} == before  # no .partial either


def test_a_failed_rebuild_leaves_no_partial_that_reads_as_synth_cut_short(tmp_path, capsys):
    """Its train.jsonl.partial made the next rebuild say 'an earlier run there (synth, …) did not
    finish, so scenes may hold fewer scenes than it was asked for', of a synth run that had finished."""
    from data_gen.instructions.rebuild import main as rebuild

    mask = _small_set(tmp_path)
    for s in ("train", "val", "test"):
        (tmp_path / f"{s}.jsonl").unlink()  # to rebuild synth's own records
    kept = mask.read_bytes()
    mask.unlink()
    assert rebuild(["--dir", str(tmp_path), "--no-progress"]) == 2
    assert not list(tmp_path.glob("*.partial"))
    mask.write_bytes(kept)
    capsys.readouterr()
    assert rebuild(["--dir", str(tmp_path), "--no-progress"]) == 0
    assert "did not finish" not in capsys.readouterr().err and (tmp_path / "train.jsonl").is_file()


def test_a_classes_name_no_annotation_has_is_named_in_the_notes(tmp_path):
    """``--classes small-vehicle,helicoptr`` (a typo) kept every helicopter out without a word: the
    lines were counted as unknown_class, of the classes the labels have."""
    src = tmp_path / "dota"
    png(src / "a.png", 64, 64)
    (src / "a.txt").write_text("10 10 40 10 40 30 10 30 small-vehicle 0\n5 40 20 40 20 60 5 60 helicopter 0\n")
    stats, records = convert(tmp_path / "o", "dota", "--src", str(src), "--classes", "Small_Vehicle,helicoptr")
    assert stats["notes"] == {"--classes helicoptr: no annotation of this class": 1}
    assert stats["skipped"] == {} and stats["filtered"] == {"--classes: helicopter": 1} and records
    xml = ("<annotation><filename>a.png</filename><object><name>ship</name><bndbox><xmin>5</xmin><ymin>5</ymin>"
           "<xmax>30</xmax><ymax>30</ymax></bndbox></object></annotation>")
    (src / "a.xml").write_text(xml)
    stats, _ = convert(tmp_path / "v", "voc", "--src", str(src), "--images", str(src), "--classes", "ship,plane")
    assert stats["notes"] == {"--classes plane: no annotation of this class": 1}


def test_coco_coordinates_that_are_no_numbers_are_unparsable_not_degenerate(tmp_path):
    """A bbox of 3 values or with a word in it was skipped as 'degenerate' ('not enough values to
    unpack'), and a segmentation that was a string was dropped unsaid while its bbox was written."""
    import json

    png(tmp_path / "a.png", 64, 64)
    anns = [{"bbox": [10, 10, 20]}, {"bbox": [10, 10, "x", 20]}, {"bbox": [1, 1, 9, 9], "segmentation": "abc"},
            {"segmentation": [[10, 10, 30, "y", 30, 30]]}, {"bbox": [10, 10, 0, 20]}, {"bbox": [5, 5, 30, 30]}]
    coco = {"images": [{"id": 1, "file_name": "a.png"}], "categories": [{"id": 1, "name": "car"}],
            "annotations": [{"id": k, "image_id": 1, "category_id": 1, **a} for k, a in enumerate(anns)]}
    (tmp_path / "a.json").write_text(json.dumps(coco))
    stats, records = convert(tmp_path / "o", "coco", "--ann", str(tmp_path / "a.json"), "--images", str(tmp_path))
    assert stats["skipped"] == {"unparsable_annotation": 4, "degenerate": 1}
    assert "is not 4 numbers" in stats["skipped_examples"]["unparsable_annotation"]
    assert [r["task"] for r in records] == ["det", "ground"]


def test_the_report_of_a_set_without_objects_says_none():
    """The objects line of a set whose scenes came out empty (16 px) was 'objects   ' and nothing."""
    from data_gen.instructions.stats import Stats, format_report

    lines = format_report(Stats().report() | {"scenes": 1, "scenes_by_split": {"train": 1}}).splitlines()
    assert "objects   none" in lines and lines[0].startswith("1 scene (0 pairs), 0 records")


def test_chat_refuses_turns_under_2_before_reading_anything(tmp_path, capsys):
    """--turns 0 read (and showed the progress of) the whole --src before its error."""
    from data_gen.__main__ import main

    _small_set(tmp_path)
    assert main(["chat", "--src", str(tmp_path / "train.jsonl"), "--out", str(tmp_path / "c.jsonl"), "--turns", "1"]) == 2
    err = capsys.readouterr().err
    assert "error: --turns=1 must be at least 2: give --turns 2 or more" in err and "read" not in err


def test_folder_counts_loose_images_whose_whole_name_became_their_class(tmp_path):
    """A folder of loose scenes not named class_N (``sar_hh.tif``, ``rgbn_suba.tif``) gave one
    class per image from the whole name, unsaid."""
    for name in ("church_1.png", "church_2.png", "sar_hh.png"):
        png(tmp_path / "src" / name, 16, 16)
    stats, records = convert(tmp_path / "o", "folder", "--src", str(tmp_path / "src"))
    assert stats["notes"] == {"class_from_whole_file_name": 1, "modality_inferred_optical": 3}
    assert sorted(r["conversations"][1]["value"] for r in records) == ["church", "church", "sar hh"]


@pytest.mark.parametrize("argv", [["geojson", "--images", "x.tif", "--labels", "x.geojson", "--label", ""],
                                  ["levir-cd", "--src", "x", "--label", " "],
                                  ["masks", "--images", "x", "--labels", "y", "--binary", "_"]])
def test_an_empty_class_name_is_a_usage_error(argv, capsys):
    """geojson --label '' was the codec's 'label must be None or a non-empty string' traceback after
    reading the image; masks --binary _ wrote '<ref>_</ref>'."""
    from data_gen.convert import main

    with pytest.raises(SystemExit) as e:
        main([argv[0], "--out", "o", *argv[1:]])
    assert e.value.code == 2 and "needs a class name (letters or digits), got" in capsys.readouterr().err


def test_geojson_match_that_is_no_regex_is_a_usage_error_and_a_keyless_label_file_says_so(tmp_path, capsys):
    from data_gen.convert import main

    with pytest.raises(SystemExit) as e:
        main(["geojson", "--out", "o", "--images", "a", "--labels", "b", "--match", "("])
    assert e.value.code == 2 and "--match: not a regular expression (missing ), unterminated" in capsys.readouterr().err
    from data_gen.convert.common import Output
    from data_gen.convert.geojson import pair_files

    (tmp_path / "zone.geojson").write_text("{}")
    (tmp_path / "img_x.tif").write_bytes(b"")
    with Output(tmp_path / "o", "geojson") as out:
        assert pair_files(tmp_path, tmp_path, r"_(\d+)", out) == []
    assert "zone.geojson: missing_image (--match '_(\\\\d+)' finds no key in its name)" in out.examples["missing_image"]


def test_llava_records_the_record_loader_would_refuse_are_skipped_and_counted(tmp_path):
    """A record with a question and no answer was written, and every training run skipped it again
    ('has no gpt (assistant) turn'), as the converter's stats said nothing of it."""
    import json

    png(tmp_path / "a.png", 16, 16)
    q = {"from": "human", "value": "<image>\nWhat is it?"}
    recs = [{"id": "ok", "image": "a.png", "conversations": [q, {"from": "gpt", "value": "a field"}]},
            {"id": "no-answer", "image": "a.png", "conversations": [q]},
            {"id": "empty", "image": "a.png", "conversations": [q, {"from": "gpt", "value": " "}]}]
    (tmp_path / "l.json").write_text(json.dumps(recs))
    stats, records = convert(tmp_path / "o", "llava", "--src", str(tmp_path / "l.json"), "--images", str(tmp_path))
    assert [r["id"] for r in records] == ["ok"] and stats["skipped"] == {"invalid_record": 2}
    assert stats["skipped_examples"]["invalid_record"].endswith(
        "record 1: invalid_record (field 'conversations': has no gpt (assistant) turn)")


def test_marking_an_image_does_not_copy_the_run_so_far(tmp_path):
    """``Output.mark`` (taken before each image) copied every record id and image path written so far:
    O(images) a mark, hours over a 100,000-image COCO set. Take-back still drops what came after."""
    from data_gen.convert.common import Output

    out = Output(tmp_path / "o", "test")
    for i in range(20000):
        out._ids[f"r{i}"] = None
    mark = out.mark()
    assert len(repr(mark)) < 2000
    dst, rel = out.image_path("late.png")
    dst.write_bytes(b"x")
    out.take_back(mark)
    assert len(out._ids) == 20000 and rel not in out._written and not dst.exists()
    out.close()


def test_voc_nan_or_inf_coordinates_are_non_finite_not_degenerate(tmp_path):
    """VOC's own area check came first and called a box of 'nan' or '1e400' degenerate (or let a NaN
    box pass it), where DOTA, COCO and GeoJSON count such coordinates as non_finite_coordinates."""
    png(tmp_path / "a.png", 64, 64)
    box = "<object><name>ship</name><bndbox><xmin>{}</xmin><ymin>10</ymin><xmax>40</xmax><ymax>40</ymax></bndbox></object>"
    (tmp_path / "a.xml").write_text("<annotation><filename>a.png</filename>"
                                    + "".join(box.format(v) for v in ("nan", "1e400", "-inf", "5")) + "</annotation>")
    stats, records = convert(tmp_path / "o", "voc", "--src", str(tmp_path), "--images", str(tmp_path))
    assert stats["skipped"] == {"non_finite_coordinates": 3} and records


def test_a_palette_giving_one_value_to_two_classes_is_an_error_naming_both(tmp_path, capsys):
    """Both classes got its pixels: two [seg] records of one region under two names (and a value both
    a class and _ignore'd was written as the class)."""
    from data_gen.convert import main

    png(tmp_path / "a.png", 16, 16)
    Image.fromarray(np.full((16, 16), 3, np.uint8)).save(tmp_path / "a_mask.png")
    for text, says in (("building: 3\nroof: 3\n", "roof: 3 is also building's value"),
                       ("building: 3\n_ignore: [3]\n", "building: 3 is also under _ignore")):
        (tmp_path / "p.yaml").write_text(text)
        rc = main(["masks", "--images", str(tmp_path / "a.png"), "--labels", str(tmp_path / "a_mask.png"),
                   "--palette", str(tmp_path / "p.yaml"), "--out", str(tmp_path / "o")])
        assert rc == 2 and says in capsys.readouterr().err


def test_a_change_label_of_small_codes_is_not_read_as_no_change(tmp_path):
    """A label of 0, 1 and 2 was thresholded at 127.5 (meant for a JPEG's noise around 0/255): the
    pair was described 'No change.' over 1,000 changed pixels."""
    from data_gen.convert.binmask import binary_mask
    from data_gen.convert.common import Output

    lab = np.zeros((64, 64), np.uint8)
    lab[5:20, 5:20], lab[30:50, 30:50] = 1, 2
    noisy = np.zeros((64, 64), np.uint8)
    noisy[10:30, 10:30], noisy[9, 10:30] = 255, 7  # 0/255 with a little JPEG ringing
    with Output(tmp_path / "o", "test") as out:
        assert binary_mask(lab, out).sum() == 15 * 15 + 20 * 20
        assert binary_mask(noisy, out).sum() == 20 * 20
    assert out.notes == {"labels_not_binary": 2, "labels_not_binary_every_nonzero_taken": 1}
