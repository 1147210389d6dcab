"""Tour 71 of the data area: label bit depths and palettes, converters' wording, chat previews, instruction sets."""

from __future__ import annotations

import json

import numpy as np
import pytest
from convert_helpers import convert, objs, png, png16


def _masks16(tmp_path, label: np.ndarray, *argv: str, palette: dict | None = None) -> tuple[dict, list[dict]]:
    """``masks`` over images/a.png (64x48) and ``label`` (H, W, C) uint16 written as labels/a_mask.png at 16 bits."""
    png(tmp_path / "images" / "a.png", 64, 48)
    png16(tmp_path / "labels" / "a_mask.png", label)
    if palette is not None:
        (tmp_path / "p.json").write_text(json.dumps(palette))
        argv = (*argv, "--palette", str(tmp_path / "p.json"))
    return convert(tmp_path / "o", "masks", "--images", str(tmp_path / "images"), "--labels",
                   str(tmp_path / "labels"), *argv, "--no-progress")


@pytest.mark.parametrize("value", [65535, 255 << 8])
@pytest.mark.parametrize("palette", [{"building": 255}, {"building": [255, 255, 255]}])
def test_a_16_bit_grey_png_label_widened_from_8_bits_reads_its_8_bit_values(tmp_path, value, palette):
    # a grey PNG without alpha (colour type 0) is read by PIL at 16 bits: 65535 was unknown_label_value, where the
    # same label with an alpha channel (read through GDAL) was read 255
    a = np.zeros((48, 64, 1), np.uint16)
    a[10:30, 10:40] = value
    stats, recs = _masks16(tmp_path, a, "--strict", palette=palette)
    assert [o["label"] for r in recs for o in objs(r)] == ["building"]
    assert stats["notes"] == {"labels_16_bit_read_as_8_bit": 1}


@pytest.mark.parametrize("label", ["binary", "codes"])
def test_a_16_bit_grey_binary_or_code_label_is_not_squashed(tmp_path, label):
    a = np.zeros((48, 64, 1), np.uint16)
    if label == "binary":  # 0/65535 under --binary: the class, whatever its bit depth
        a[10:30, 10:40] = 65535
        stats, recs = _masks16(tmp_path, a, "--binary", "building", "--strict")
        assert [o["label"] for r in recs for o in objs(r)] == ["building"]
    else:  # codes 1 and 2 at 16 bits stay 1 and 2
        a[10:30, 10:40], a[35:45, 5:20] = 1, 2
        stats, recs = _masks16(tmp_path, a, "--strict", palette={"building": 1, "road": 2})
        assert sorted(o["label"] for r in recs for o in objs(r)) == ["building", "road"]
    assert stats["notes"] == {}


@pytest.mark.parametrize("channels", [1, 2])
def test_a_16_bit_label_of_the_palettes_own_codes_is_read_as_it_is(tmp_path, channels):
    # codes 256 and 512, multiples of 256, were taken for 8-bit 1 and 2 widened by a shift (grey + alpha: read
    # through GDAL) and every pixel was unknown_label_value; the palette names them: they are read as they are
    a = np.zeros((48, 64, channels), np.uint16)
    a[10:30, 10:40, 0], a[35:45, 5:20, 0] = 256, 512
    if channels == 2:
        a[..., 1] = 65535  # opaque
    stats, recs = _masks16(tmp_path, a, "--strict", palette={"building": 256, "road": 512})
    assert sorted(o["label"] for r in recs for o in objs(r)) == ["building", "road"]
    assert stats["notes"] == {}


def _missing(tmp_path, converter: str) -> tuple[list[str], str]:
    """A converter's arguments over inputs whose one record's image, b, is not there; the folder searched."""
    from PIL import Image

    imgs = tmp_path / "imgs"
    png(imgs / "a.png", 32, 32)
    if converter == "dota":
        (tmp_path / "lab").mkdir()
        for s in "ab":
            (tmp_path / "lab" / f"{s}.txt").write_text("1 1 9 1 9 9 1 9 ship 0\n")
        return ["dota", "--src", str(tmp_path / "lab"), "--images", str(imgs)], "b.*"
    if converter == "voc":
        (tmp_path / "ann").mkdir()
        for s in "ab":
            (tmp_path / "ann" / f"{s}.xml").write_text(
                f"<annotation><filename>{s}.png</filename><object><name>ship</name><bndbox><xmin>2</xmin>"
                "<ymin>2</ymin><xmax>9</xmax><ymax>9</ymax></bndbox></object></annotation>")
        return ["voc", "--src", str(tmp_path / "ann"), "--images", str(imgs)], "b.png"
    if converter == "levir-cd":
        for side in ("A", "B", "label"):
            png(tmp_path / "cd" / side / "a.png", 32, 32, "L")
        png(tmp_path / "cd" / "label" / "b.png", 32, 32, "L")
        png(tmp_path / "cd" / "A" / "b.png", 32, 32)
        return ["levir-cd", "--src", str(tmp_path / "cd")], "B/b.*"
    (tmp_path / "labels").mkdir()
    for s in "ab":
        Image.fromarray(np.full((32, 32), 255, np.uint8)).save(tmp_path / "labels" / f"{s}_mask.png")
    return ["masks", "--images", str(imgs), "--labels", str(tmp_path / "labels"), "--binary", "building"], "b.*"


@pytest.mark.parametrize("converter", ["dota", "voc", "levir-cd", "masks"])
def test_every_converters_missing_image_reads_one_way(tmp_path, converter):
    # "no image named b.* in DIR", "b not in DIR", "B image of b", "no image with the label's stem under …": four
    # wordings of one skip; now each is "NAME: no such image under OPTION FOLDER"
    argv, name = _missing(tmp_path, converter)
    stats, _ = convert(tmp_path / "o", *argv, "--no-progress")
    folder = f"--src {tmp_path / 'cd'}" if converter == "levir-cd" else f"--images {tmp_path / 'imgs'}"
    assert stats["skipped"] == {"missing_image": 1}
    assert stats["skipped_examples"]["missing_image"].endswith(f": missing_image ({name}: no such image under {folder})")


SYNTH = ["--n", "2", "--size", "32", "--modalities", "optical", "--no-progress", "scene.pairs_fraction=0",
         "instructions.records_per_image=0"]


def test_the_preview_refuses_the_sets_own_root_as_out(tmp_path, capsys):
    # --out DIR itself was allowed: the panels were written beside records and stats.json
    from data_gen.__main__ import main as data_gen_main
    from data_gen.synth.preview import main as preview

    assert data_gen_main(["synth", "--out", str(tmp_path / "d"), *SYNTH]) == 0
    before = sorted(p.name for p in (tmp_path / "d").iterdir())
    capsys.readouterr()
    assert preview(["--dir", str(tmp_path / "d"), "--out", str(tmp_path / "d" / ".")]) == 2
    err = capsys.readouterr().err
    assert f"is the set's own folder (--dir {tmp_path / 'd'})" in err and f"--out {tmp_path / 'd' / 'preview'}" in err
    assert sorted(p.name for p in (tmp_path / "d").iterdir()) == before


def test_chat_names_the_records_files_a_folder_src_holds(tmp_path, capsys):
    # a folder --src said "give a records file, e.g. DIR/train.jsonl", a file it does not hold
    from data_gen.__main__ import main as data_gen_main

    (tmp_path / "val.jsonl").write_text("")
    assert data_gen_main(["chat", "--src", str(tmp_path), "--out", str(tmp_path / "chat.jsonl")]) == 2
    err = capsys.readouterr().err
    assert err == f"error: records file {tmp_path} is a folder; give a JSONL file in it (val.jsonl)\n"
    assert not (tmp_path / "chat.jsonl").exists()


def test_synthetic_yes_no_questions_are_balanced_and_asked_of_scenes_with_objects(tmp_path):
    # presence and comparison were asked of empty scenes (a lake: always "no") and a comparison's second class was
    # mostly absent or tied: 18 yes to 34 no, 15 to 32, in 400 scenes
    from collections import Counter

    from data_gen.__main__ import main as data_gen_main

    assert data_gen_main(["synth", "--out", str(tmp_path / "d"), "--n", "200", "--size", "48", "--seed", "5",
                          "--modalities", "optical", "--tasks", "vqa", "--no-progress",
                          "instructions.records_per_image=6"]) == 0
    answers: dict[str, Counter] = {"presence": Counter(), "comparison": Counter()}
    for split in ("train", "val", "test"):
        for line in (tmp_path / "d" / f"{split}.jsonl").read_text().splitlines():
            r = json.loads(line)
            if (q := r["meta"]["qtype"]) in answers:
                scene = json.loads((tmp_path / "d" / "scenes" / f"{r['meta']['scene']}.json").read_text())
                frame = next(f for f in scene["frames"] if f["time"] == r["meta"]["time"])
                assert frame["objects"], r["id"]
                answers[q][r["conversations"][-1]["value"]] += 1
    for q, seen in answers.items():
        assert sum(seen.values()) >= 25, (q, seen)
        assert 0.4 <= seen["yes"] / sum(seen.values()) <= 0.6, (q, seen)


def test_chat_turns_help_says_a_remainder_makes_one_more(tmp_path, capsys):
    # "--turns: most turns per conversation", yet three records of one image under --turns 2 make one of 3 turns
    from data_gen.instructions.chat import chain, main

    recs = [{"id": str(i), "images": [{"path": "a.png", "modality": "optical"}], "task": "cls", "meta": {},
             "conversations": [{"from": "human", "value": "<image>\n[cls] Scene?"}, {"from": "gpt", "value": "lake"}]}
            for i in range(3)]
    assert [len(c["meta"]["turn_ids"]) for c in chain(recs, turns=2)] == [3]
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "up to this + 1" in " ".join(capsys.readouterr().out.split())


@pytest.mark.parametrize("palette", [{"building": [255, 0, 0], "water": [0, 0, 255]}, {"building": 1, "water": 2}])
def test_a_geotiff_label_with_a_colormap_is_read_by_colour_under_an_rgb_palette(tmp_path, palette):
    # a one-band GeoTIFF whose colormap paints 1 red and 2 blue was read (1, 1, 1) under an [r, g, b] palette: every
    # class unknown_label_value, where the same label as an indexed PNG was read by its colours; a grey palette reads
    # its indices still
    import rasterio

    png(tmp_path / "images" / "a.png", 64, 48)
    (tmp_path / "labels").mkdir()
    a = np.zeros((48, 64), np.uint8)
    a[10:30, 10:40], a[35:45, 5:20] = 1, 2
    with rasterio.open(tmp_path / "labels" / "a_mask.tif", "w", driver="GTiff", width=64, height=48, count=1,
                       dtype="uint8") as ds:
        ds.write(a[None])  # (1, H, W)
        ds.write_colormap(1, {0: (0, 0, 0, 255), 1: (255, 0, 0, 255), 2: (0, 0, 255, 255)})
    (tmp_path / "p.json").write_text(json.dumps(palette))
    stats, recs = convert(tmp_path / "o", "masks", "--images", str(tmp_path / "images"), "--labels",
                          str(tmp_path / "labels"), "--palette", str(tmp_path / "p.json"), "--strict", "--no-progress")
    assert sorted(o["label"] for r in recs for o in objs(r)) == ["building", "water"]
    assert stats["skipped"] == {}
