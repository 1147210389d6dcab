"""Stop 68, area S2: small data-side messages (rebuild's stats.json, --tasks and --modalities as YAML lists, DOTA's
separator, llava's missing image and unknown tasks, a mostly_outside_image share, --src to coco/masks/geojson)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from convert_helpers import convert, llava_rows, png


def test_rebuild_without_prefix_keeps_synths_counts_of_the_scenes(tmp_path):
    # a scenes-only synth run, then rebuild without --prefix (as synth's note says): stats.json lost
    # objects_too_small / objects_not_fitted, which describe the scenes the rebuild read, not remade
    from data_gen.__main__ import main

    out = tmp_path / "s"
    assert main(["synth", "--out", str(out), "--n", "2", "--size", "16", "--no-progress",
                 "instructions.records_per_image=0"]) == 0
    synth = json.loads((out / "stats.json").read_text())
    synth["objects_not_fitted"] = {"ship": 3}  # as a crowded scene's run writes it
    (out / "stats.json").write_text(json.dumps(synth))
    assert synth.get("objects_too_small")  # 16 px scenes: the recipes' cars are under a pixel
    assert main(["rebuild", "--dir", str(out), "--no-progress", "instructions.records_per_image=1"]) == 0
    got = json.loads((out / "stats.json").read_text())
    assert got["records"] > 0
    assert got["objects_too_small"] == synth["objects_too_small"] and got["objects_not_fitted"] == {"ship": 3}
    # a prefixed rebuild leaves synth's file as it was and writes its own
    assert main(["rebuild", "--dir", str(out), "--prefix", "p_", "--no-progress",
                 "instructions.records_per_image=1"]) == 0
    assert json.loads((out / "stats.json").read_text()) == got
    assert (out / "p_stats.json").is_file()


def test_a_stats_file_of_another_shape_gives_no_scene_counts(tmp_path):
    from data_gen.instructions.rebuild import scene_counts

    for text in ("[1, 2]", "{not json", '{"objects_too_small": 3}', ""):
        (tmp_path / "stats.json").write_text(text)
        assert scene_counts(tmp_path / "stats.json") == {}
    assert scene_counts(tmp_path / "absent.json") == {}


@pytest.mark.parametrize("given", ["[]", " [ ] ", "[,]"])
def test_tasks_of_brackets_alone_names_what_was_given(given):
    # "--tasks '[]': '' is no task": the blank name, not what the user typed
    from data_gen.instructions.build import task_overrides

    with pytest.raises(ValueError) as e:
        task_overrides(given)
    assert str(e.value).startswith(f"--tasks {given!r} names no task; tasks are cls, vqa")
    assert "'' is no task" not in str(e.value)


@pytest.mark.parametrize("given", ["[det,]", "[ det , ground ]", "det,,ground"])
def test_tasks_as_a_yaml_list_reads_its_names(given):
    # "[det,]" was refused as "'' is no task" ("det," was read), "[ det , ground ]" as "'ground ' is no task"
    from data_gen.instructions.build import task_overrides
    from rsvlm.tokens import TASKS

    kept = {o.split(".")[-1].removesuffix("=0") for o in task_overrides(given)}
    assert set(TASKS) - kept == ({"det"} if given == "[det,]" else {"det", "ground"})


def _dota(tmp_path: Path, lines: list[str]) -> dict:
    png(tmp_path / "d" / "images" / "a.png", 100, 80)
    (tmp_path / "d" / "labelTxt").mkdir()
    (tmp_path / "d" / "labelTxt" / "a.txt").write_text("\n".join(lines) + "\n")
    stats, _ = convert(tmp_path / "o", "dota", "--src", str(tmp_path / "d"))
    return stats


@pytest.mark.parametrize("line", ["10,10,40,10,40,30,10,30,ship,0", "10, 10, 40, 10, 40, 30, 10, 30, small-vehicle, 0",
                                  "10,10,40,10,40,30,10,30,ship"])
def test_a_dota_line_of_commas_says_dotas_fields_are_separated_by_spaces(tmp_path, line):
    stats = _dota(tmp_path, [line, "10 10 40 10 40 30 10 30 ship 0"])
    assert stats["skipped"] == {"unparsable_line": 1} and stats["records"] > 0  # counted as before
    assert stats["skipped_examples"]["unparsable_line"].endswith(
        f"a.txt:1: unparsable_line (fields separated by commas; DOTA separates x1 y1 … x4 y4 class difficult by "
        f"spaces: {line})")


def test_a_dota_line_of_decimal_commas_is_not_said_to_be_comma_separated(tmp_path):
    stats = _dota(tmp_path, ["10,5 10,5 40 10 40 30 10 30 ship 0", "10 10 40 10 40 30 10 30 ship 0"])
    assert stats["skipped_examples"]["unparsable_line"].endswith("a.txt:1: unparsable_line (10,5 10,5 40 10 40 30 10 "
                                                                 "30 ship 0)")


def test_a_dota_line_of_no_numbers_with_commas_is_no_label_line_still(tmp_path):
    stats = _dota(tmp_path, ["source, DOTA, v1", "10 10 40 10 40 30 10 30 ship 0"])
    assert stats["skipped_examples"]["unparsable_line"].endswith("a.txt:1: unparsable_line (source, DOTA, v1)")


_CONVS = [{"from": "human", "value": "<image>\nWhat is it?"}, {"from": "gpt", "value": "a harbour"}]


def test_a_llava_missing_image_says_the_folder_searched(tmp_path):
    stats, _ = llava_rows(tmp_path, [{"id": "a", "image": "train/b.png", "conversations": _CONVS},
                                     {"id": "b", "image": "a.png", "conversations": _CONVS}])
    imgs = tmp_path / "imgs"
    assert stats["skipped"] == {"missing_image": 1}
    assert stats["skipped_examples"]["missing_image"].endswith(
        f"record 0: missing_image ({imgs / 'train' / 'b.png'}: no such file under --images {imgs})")


def test_a_llava_missing_image_of_an_absolute_path_names_no_folder(tmp_path):
    gone = tmp_path / "elsewhere" / "b.png"
    stats, _ = llava_rows(tmp_path, [{"id": "a", "image": str(gone), "conversations": _CONVS}])
    assert stats["skipped_examples"]["missing_image"].endswith(f"missing_image ({gone}: no such file)")


def test_llava_unknown_tasks_are_named_in_the_notes(tmp_path):
    # "unknown_task_left_out": 4 said nothing of which values to map; "[]" was left out unsaid
    rows = [{"id": str(i), "image": "a.png", "task": t, "conversations": _CONVS}
            for i, t in enumerate(["detect", "detect", "Caption", "[]", 7, "det", "chat", "  ", None])]
    rows.append({"id": "gone", "image": "b.png", "task": "segment", "conversations": _CONVS})  # skipped: not counted
    notes = llava_rows(tmp_path, rows)[0]["notes"]
    assert notes["unknown_task_left_out"] == 5
    assert notes["unknown_task_left_out, the tasks given: 'detect' (2), 'Caption' (1), '[]' (1), 7 (1)"] == 4


def test_llava_unknown_tasks_name_five_and_count_the_rest(tmp_path):
    rows = [{"id": str(i), "image": "a.png", "task": f"t{i}", "conversations": _CONVS} for i in range(7)]
    notes = llava_rows(tmp_path, rows)[0]["notes"]
    assert notes["unknown_task_left_out, the tasks given: 't0' (1), 't1' (1), 't2' (1), 't3' (1), 't4' (1) "
                 "and 2 more"] == 7


@pytest.mark.parametrize(("xmin", "min_visible", "says"), [
    ("72", "0.3", "29% of it inside, under --min-visible 0.3"),  # 29 of 100 px: 28.999…% read "28%"
    ("71.0000001", "0.3", "29% of it inside, under --min-visible 0.3"),  # 29.9999999 px: never the 30% it is under
    ("42", "0.6", "59% of it inside, under --min-visible 0.6"),
])
def test_a_mostly_outside_share_is_floored_past_float_noise(tmp_path, xmin, min_visible, says):
    png(tmp_path / "JPEGImages" / "a.jpg", 100, 80)
    (tmp_path / "Annotations").mkdir()
    (tmp_path / "Annotations" / "a.xml").write_text(  # VOC's 1-based xmin: a box 100 px wide from xmin - 1
        "<annotation><filename>a.jpg</filename><size><width>100</width><height>80</height></size>"
        "<object><name>plane</name><bndbox><xmin>11</xmin><ymin>11</ymin><xmax>30</xmax><ymax>30</ymax></bndbox>"
        "</object>"
        f"<object><name>ship</name><bndbox><xmin>{xmin}</xmin><ymin>11</ymin><xmax>{float(xmin) + 99:.7f}"
        "</xmax><ymax>30</ymax></bndbox></object></annotation>")
    stats, _ = convert(tmp_path / "o", "voc", "--src", str(tmp_path / "Annotations"), "--min-visible", min_visible)
    assert stats["skipped"] == {"mostly_outside_image": 1}
    assert stats["skipped_examples"]["mostly_outside_image"].endswith(f"px image: {says})")


def test_a_long_unknown_task_is_named_by_its_head(tmp_path):
    rows = [{"id": "a", "image": "a.png", "task": "Describe " + "the harbour " * 100, "conversations": _CONVS}]
    notes = llava_rows(tmp_path, rows)[0]["notes"]
    said = next(k for k in notes if k.startswith("unknown_task_left_out, the tasks given: "))
    assert said == "unknown_task_left_out, the tasks given: 'Describe the harbour the harbour the h… (1)"


@pytest.mark.parametrize(("given", "names"), [("[sar, ir]", ["sar", "ir"]), ("[ SAR ]", ["sar"]),
                                              ("Optical, SAR,", ["optical", "sar"]), ("[]", []),
                                              ("sar]", ["sar]"])])  # a stray bracket: named as no modality
def test_synth_modalities_read_a_yaml_list_as_tasks_does(given, names):
    # --tasks "[det, ground]" was read, --modalities "[sar, ir]" refused: "'[sar', 'ir]' are not"
    from argparse import Namespace

    from data_gen.__main__ import synth_overrides

    a = Namespace(overrides=[], modalities=given, size=None, pairs_fraction=None)
    assert synth_overrides(a) == [f"modalities={json.dumps(names)}"]


@pytest.mark.parametrize(("fmt", "takes"), [
    ("coco", "--ann (COCO instances JSON), --images (image folder)"),
    ("geojson", "--images (GeoTIFF file or folder), --labels (GeoJSON file or folder)"),
    ("masks", "--images (image folder or file), --labels (label-mask folder or file)"),
])
@pytest.mark.parametrize("src", [["--src", "a.json"], ["--src=a.json"]])
def test_src_to_a_converter_of_other_inputs_names_them(tmp_path, capsys, fmt, takes, src):
    # "--src is no option: did you mean --strict?": the nearest spelling, not the input coco takes
    from data_gen.convert import main

    with pytest.raises(SystemExit) as e:
        main([fmt, *src, "--out", str(tmp_path / "o")])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert err.rstrip().endswith(f"error: {fmt} takes no --src (the other converters' input): its inputs are {takes}")
    assert "--strict" not in err.splitlines()[-1] and not (tmp_path / "o").exists()


def test_src_after_double_dash_is_left_to_the_parser(tmp_path, capsys):
    from data_gen.convert import main

    with pytest.raises(SystemExit):
        main(["coco", "--out", str(tmp_path / "o"), "--", "--src"])
    assert "takes no --src" not in capsys.readouterr().err
