"""Lead 71, round 2 of area data: a GeoChat rotated box at the image's edge, a skip's file named once, the
synth options named as typed, a record's task field against its prompt's tag, GeoTIFF colormaps of mask labels,
the label of a DOTA image that cannot be read."""

from __future__ import annotations

import numpy as np
import pytest
from convert_helpers import convert, llava_rows, objs, png


def test_a_skipped_unreadable_image_is_named_once(tmp_path):
    """'P2.png: unreadable_image (P2.png: cannot read image (…))': the reader's error named the file again."""
    src = tmp_path / "dota"
    png(src / "P1.png", 64, 64)
    (src / "P2.png").write_bytes((src / "P1.png").read_bytes()[:60])
    for stem in ("P1", "P2"):
        (src / f"{stem}.txt").write_text("4 4 30 4 30 20 4 20 ship 0\n")
    stats, _ = convert(tmp_path / "o", "dota", "--src", str(src))
    said = stats["skipped_examples"]["unreadable_image"]
    assert said.startswith(f"{src / 'P2.png'}: unreadable_image (cannot read image (") and said.count("P2.png") == 1


def _geochat(box: str) -> dict:
    return {"id": "g", "image": "a.png",
            "conversations": [{"from": "human", "value": "<image>\n[refer] the <p>ship</p>"},
                              {"from": "gpt", "value": f"<p>ship</p> {box}"}]}


def test_a_geochat_rotated_box_off_the_images_edge_is_written_as_its_part_on_it(tmp_path):
    """A rotated box whose corners lie off the image was clamped vertex by vertex: its edge at the image's side moved
    (on a 100 x 100 image 47..59 px became 56..64 px), the part written no longer the part seen."""
    from shapely.geometry import Polygon, box

    from rsvlm import geometry

    stats, recs = llava_rows(tmp_path / "inside", [_geochat("{<30><45><70><55>|<30>}")])
    assert stats["records"] == 1 and "obbs_clipped_at_image_edge" not in stats["notes"]
    # on the 64 x 48 image: centre (1.28, 24), 2.56 x 28.8 px, turned 30 degrees: two corners 6 and 8 px off its left
    stats, recs = llava_rows(tmp_path, [_geochat("{<0><20><4><80>|<30>}")])
    assert stats["notes"]["obbs_clipped_at_image_edge"] == 1 and "obbs_clamped_at_image_edge" not in stats["notes"]
    (o,) = objs(recs[0])
    quad = geometry.rbox_to_quad(2 * 64 / 100, 24, 4 * 64 / 100, 60 * 48 / 100, -30)
    seen = Polygon(quad).intersection(box(0, 0, 64, 48))
    written = Polygon(o["coords"])
    assert o["kind"] == "obb" and seen.symmetric_difference(written).area < 0.05 * seen.area


@pytest.mark.parametrize("given, says", [
    (["--size", "8"], "error: --size 8 must be between 16 and 4096"),
    (["scene.size=8"], "error: override 'scene.size=8' (command line): scene.size 8 must be between 16 and 4096"),
    (["--pairs-fraction", "2"], "error: --pairs-fraction 2 must be in [0, 1]"),
    (["scene.pairs_fraction=2"], "error: override 'scene.pairs_fraction=2' (command line): scene.pairs_fraction 2 must be in [0, 1]"),
    (["--modalities", "rgb"], "error: --modalities rgb: each must be one of optical, msi, sar, ir"),
    (["modalities=[rgb]"], "error: override 'modalities=[rgb]' (command line): modalities ['rgb']: each must be one of optical, msi, sar, ir"),
    (["--pairs-fraction", "0", "--tasks", "change"], "needs pairs, but --pairs-fraction is 0"),
])
def test_synth_names_the_option_the_user_typed_and_the_key_of_a_key_value(tmp_path, capsys, given, says):
    """'data_gen synth --size 8' said 'scene.size 8 must be …', a key the user never typed."""
    from data_gen.__main__ import main

    assert main(["synth", "--out", str(tmp_path / "o"), "--n", "1", "--no-progress", *given]) == 2
    err = capsys.readouterr().err
    assert says in err and not (tmp_path / "o").exists(), err


def _rec(rid: str, task: str, *prompts: str, **meta) -> dict:
    turns = [t for k, p in enumerate(prompts) for t in ({"from": "human", "value": ("<image>\n" if not k else "") + p},
                                                          {"from": "gpt", "value": "ok"})]
    return {"id": rid, "image": "a.png", "task": task, "conversations": turns, "meta": meta}


def test_a_records_task_field_other_than_its_prompts_tag_is_counted_and_named(tmp_path):
    """'"task": "det"' over '[ground] …' was read without a word: training reads the tag, eval scores by the field.
    A chained chat record carries its last turn's task: its first turn's tag is no clash."""
    from conftest import write_jsonl

    from rsvlm.data.read_report import ReadReport
    from rsvlm.data.records import read_records

    path = write_jsonl(tmp_path / "r.jsonl", [
        _rec("same", "det", "[det] Detect all ships."),
        _rec("clash", "det", "[ground] Locate the red car."),
        _rec("untagged", "vqa", "How many ships?"),
        _rec("chain", "det", "[vqa] Is there a ship?", "[det] Detect all ships.", turn_tasks=["vqa", "det"]),
        _rec("chain-clash", "det", "[det] Detect all ships.", "[count] How many?", turn_tasks=["det", "det"]),
    ])
    report = ReadReport(path)
    assert len(list(read_records(path, strict=False, report=report))) == 5  # a note, not a refusal
    assert report.task_clashes == 2 and report.notable
    assert report.task_clash_first == [f"{path}:2 (id clash): task 'det', prompt [ground]",
                                       f"{path}:5 (id chain-clash): task 'det', prompt [count]"]
    assert "2 kept whose task field is not the tag of the question eval answers" in report.summary()


def test_a_colormapped_labels_nodata_is_claimed_by_the_class_of_its_colour(tmp_path):
    """A one-band GeoTIFF label read by its colormap under an [r, g, b] palette: its nodata index 2 (green) was
    looked for as the colour (2, 2, 2), claimed by no class, so the forest painted green was no data, lost."""
    import json

    import rasterio

    png(tmp_path / "images" / "a.png", 64, 48)
    (tmp_path / "labels").mkdir()
    a = np.zeros((48, 64), np.uint8)  # (H, W)
    a[10:30, 10:40], a[35:45, 5:20] = 1, 2
    with rasterio.open(tmp_path / "labels" / "a_mask.tif", "w", driver="GTiff", width=64, height=48, count=1,
                       dtype="uint8", nodata=2) as ds:
        ds.write(a[None])  # (1, H, W)
        ds.write_colormap(1, {0: (0, 0, 0, 255), 1: (255, 0, 0, 255), 2: (0, 255, 0, 255)})
    (tmp_path / "p.json").write_text(json.dumps({"field": [255, 0, 0], "forest": [0, 255, 0]}))
    argv = ("masks", "--images", str(tmp_path / "images"), "--labels", str(tmp_path / "labels"), "--no-progress")
    stats, recs = convert(tmp_path / "o", *argv, "--palette", str(tmp_path / "p.json"), "--strict")
    assert sorted({o["label"] for r in recs for o in objs(r)}) == ["field", "forest"]
    assert "label_pixels_nodata" not in stats["notes"]
    (tmp_path / "p2.json").write_text(json.dumps({"field": [255, 0, 0], "water": [2, 2, 2]}))  # (v, v, v) is none
    stats, recs = convert(tmp_path / "o2", *argv, "--palette", str(tmp_path / "p2.json"), "--strict")
    assert {o["label"] for r in recs for o in objs(r)} == {"field"} and stats["notes"]["label_pixels_nodata"] == 150


def test_a_dota_label_of_an_image_that_cannot_be_read_is_said_unchecked(tmp_path):
    """P2.png cannot be read: its label's line far off the image (outside_image, which needs the image's size) was
    counted nowhere, the label file passing for sound. Its objects are counted as unchecked."""
    src = tmp_path / "dota"
    png(src / "P1.png", 64, 64)
    (src / "P2.png").write_bytes((src / "P1.png").read_bytes()[:60])
    (src / "P1.txt").write_text("4 4 30 4 30 20 4 20 ship 0\n")
    (src / "P2.txt").write_text("4 4 30 4 30 20 4 20 ship 0\n900 900 950 900 950 950 900 950 plane 0\nbad line\n")
    stats, _ = convert(tmp_path / "o", "dota", "--src", str(src))
    assert stats["skipped"] == {"unreadable_image": 1, "unparsable_line": 1}
    assert stats["notes"]["objects_unchecked_image_unreadable"] == 2


def test_chat_over_records_of_one_question_an_image_says_how_to_make_more(tmp_path, capsys):
    """'no conversations from X: each image of its 829 records has one record' (a set built with --tasks
    change,regcap: one of each a frame) said what, not what to do."""
    from conftest import write_jsonl

    from data_gen.__main__ import main

    src = write_jsonl(tmp_path / "r.jsonl", [_rec("a", "det", "[det] Detect all ships.", source="synthetic"),
                                            {**_rec("b", "det", "[det] Detect all ships.", source="synthetic"),
                                             "image": "b.png"}])
    assert main(["chat", "--src", src, "--out", str(tmp_path / "c.jsonl"), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "each image of its 2 records has one record" in err and "instructions.records_per_image=2 or more" in err


def test_an_oriented_box_a_tile_border_cuts_is_written_as_its_part_in_the_tile(tmp_path):
    """The part of a DOTA box a tile border cut was written as its minimum rotated rectangle, which stuck out of the
    tile where the border cut the box at a slant; the codec clamped its corners one by one into another shape (DOTA
    P1888 at --tile 256: its cut vehicles). Now the part's own corners, 4 inside the tile."""
    from shapely.geometry import Polygon, box

    from rsvlm import geometry

    src = tmp_path / "dota"
    png(src / "P1.png", 128, 128)
    quad = geometry.rbox_to_quad(60, 40, 40, 8, 30)  # crosses x = 64 at a slant
    (src / "P1.txt").write_text(" ".join(f"{v:.2f}" for p in quad for v in p) + " ship 0\n")
    stats, recs = convert(tmp_path / "o", "dota", "--src", str(src), "--tile", "64", "--overlap", "0")
    obbs = {r["images"][0]["path"]: o for r in recs if r["id"].endswith("det-obb") for o in objs(r)}
    assert len(obbs) == 2, obbs
    for path, o in obbs.items():
        x0 = 0 if path.endswith("_0_0.png") else 64
        seen = Polygon(quad).intersection(box(x0, 0, x0 + 64, 64))
        written = Polygon([(x + x0, y) for x, y in o["coords"]])
        assert seen.symmetric_difference(written).area < 0.03 * seen.area, (path, o["coords"])


@pytest.mark.parametrize("palette", [{"field": [255, 0, 0], "forest": [0, 255, 0]}, {"field": 1, "forest": 2}])
def test_a_transparent_colour_table_entry_of_a_geotiff_label_is_no_class(tmp_path, palette):
    """A GeoTIFF's colour table given by its .aux.xml (TIFF's own holds no alpha) whose entry 3 is transparent: its
    pixels were read as the colour it hides, (9, 9, 9), or code 3, unknown_label_value (an error under --strict),
    where an indexed PNG's transparent index is no class."""
    import json
    import warnings

    import rasterio

    png(tmp_path / "images" / "a.png", 64, 48)
    (tmp_path / "labels").mkdir()
    a = np.zeros((48, 64), np.uint8)  # (H, W)
    a[10:30, 10:40], a[35:45, 5:20], a[0:4, :] = 1, 2, 3
    lab = tmp_path / "labels" / "a_mask.tif"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # not georeferenced
        with rasterio.open(lab, "w", driver="GTiff", width=64, height=48, count=1, dtype="uint8") as ds:
            ds.write(a[None])  # (1, H, W)
    entries = [(0, 0, 0, 255), (255, 0, 0, 255), (0, 255, 0, 255), (9, 9, 9, 0)]
    (tmp_path / "labels" / "a_mask.tif.aux.xml").write_text(
        '<PAMDataset><PAMRasterBand band="1"><ColorInterp>Palette</ColorInterp><ColorTable>'
        + "".join(f'<Entry c1="{r}" c2="{g}" c3="{b}" c4="{t}"/>' for r, g, b, t in entries)
        + "</ColorTable></PAMRasterBand></PAMDataset>")
    (tmp_path / "p.json").write_text(json.dumps(palette))
    stats, recs = convert(tmp_path / "o", "masks", "--images", str(tmp_path / "images"), "--labels",
                          str(tmp_path / "labels"), "--palette", str(tmp_path / "p.json"), "--strict", "--no-progress")
    assert sorted({o["label"] for r in recs for o in objs(r)}) == ["field", "forest"]
    assert stats["notes"]["label_pixels_transparent"] == 4 * 64
