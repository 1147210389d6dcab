"""Stop 69, area G: --tasks read by tokens.task_name, a scene's split in any case, chat's --turns refusal saying what
to give, a DOTA line of semicolons, a label mask drawn black on transparent, and a 0/255 GeoTIFF mask whose nodata
is its class."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from convert_helpers import convert, dota_lines, png, tif_label
from PIL import Image

from rsvlm.tokens import TASKS, task_name


@pytest.mark.parametrize("given", ["det", "DET", "[det]", " [Det] ", "[[det]]", "[det", "det]", "[ det ]"])
def test_tasks_reads_each_name_as_a_records_task_is_read(given):
    # "[[det]]" was read as det (every bracket stripped) while a record's task "[[det]]" is refused: one rule now
    from data_gen.instructions.build import task_overrides

    meant = task_name(given)
    if meant not in TASKS:
        with pytest.raises(ValueError, match=re.escape(f"--tasks {given!r}: '[det]' is no task (did you mean 'det'?)")):
            task_overrides(given)
        return
    kept = set(TASKS) - {o.split(".")[-1].removesuffix("=0") for o in task_overrides(given)}
    assert kept == {meant}


def _scene_split(out: Path, split: str) -> None:
    for path in sorted((out / "scenes").glob("*.json")):
        scene = json.loads(path.read_text())
        scene["split"] = split
        path.write_text(json.dumps(scene))


@pytest.fixture(scope="module")
def synth_set(tmp_path_factory) -> Path:
    from data_gen.__main__ import main

    out = tmp_path_factory.mktemp("synth") / "s"
    assert main(["synth", "--out", str(out), "--n", "3", "--size", "32", "--no-progress"]) == 0
    return out


@pytest.mark.parametrize(("split", "file"), [("TRAIN", "train"), (" Val ", "val"), ("Test", "test")])
def test_a_scene_split_in_another_case_is_its_split(synth_set, tmp_path, split, file):
    # "TRAIN" was refused ("split 'TRAIN' is not one of train, val, test") while --tasks DET is read
    import shutil

    from data_gen.__main__ import main

    out = tmp_path / "s"
    shutil.copytree(synth_set, out)
    _scene_split(out, split)
    assert main(["rebuild", "--dir", str(out), "--prefix", "p_", "--no-progress"]) == 0
    got = {s: len((out / f"p_{s}.jsonl").read_text().splitlines()) for s in ("train", "val", "test")}
    assert got[file] > 0 and sum(got.values()) == got[file]


def test_a_scene_split_of_no_split_says_any_case_is_read(synth_set, tmp_path, capsys):
    import shutil

    from data_gen.__main__ import main

    out = tmp_path / "s"
    shutil.copytree(synth_set, out)
    _scene_split(out, "Dev")
    assert main(["rebuild", "--dir", str(out), "--prefix", "p_", "--no-progress"]) == 2
    assert "(split 'Dev' is not one of train, val, test (any case))" in capsys.readouterr().err  # as written


@pytest.mark.parametrize(("argv", "says"), [
    (["--turns", "0"], "got turns=0, seed=0: give --turns 2 or more (default 3): a conversation of one turn is the "
                       "single-turn record --src holds as it is"),
    (["--turns", "1", "--seed", "-1"], "got turns=1, seed=-1: give --turns 2 or more (default 3): a conversation of "
                                       "one turn is the single-turn record --src holds as it is"),
    (["--seed", "-1"], "got turns=3, seed=-1: give --seed 0 or more (default 0)"),
])
def test_chat_turns_refusal_says_what_to_give(tmp_path, capsys, argv, says):
    # "turns must be at least 2 and seed >= 0, got turns=0, seed=0" said what was wrong, not what to give
    from data_gen.__main__ import main

    assert main(["chat", "--src", str(tmp_path / "r.jsonl"), "--out", str(tmp_path / "c.jsonl"), *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --") and err.rstrip().endswith(says.split(": ", 1)[1])  # the way out, as given


@pytest.mark.parametrize(("line", "after"), [
    ("10;10;40;10;40;30;10;30;ship;0", ""),
    ("10 ; 10 ; 40 ; 10 ; 40 ; 30 ; 10 ; 30 ; small-vehicle ; 0", ""),
    ("10,5;10,5;40;10;40;30;10;30;ship;0", " with decimal points"),  # a decimal-comma locale's CSV
])
def test_a_dota_line_of_semicolons_says_dotas_fields_are_separated_by_spaces(tmp_path, line, after):
    # commas got the hint; semicolons (a CSV export where the comma is the decimal mark) got the bare line
    stats = dota_lines(tmp_path, [line, "10 10 40 10 40 30 10 30 ship 0"])
    assert stats["skipped"] == {"unparsable_line": 1} and stats["records"] > 0
    assert stats["skipped_examples"]["unparsable_line"].endswith(
        f"a.txt:1: unparsable_line (fields separated by semicolons; DOTA separates x1 y1 … x4 y4 class difficult by "
        f"spaces{after}: {line})")


def _rgba_label(tmp_path: Path, rgb: int, alpha: np.ndarray) -> tuple[Path, Path]:
    img = png(tmp_path / "img" / "a.png", 64, 48)
    lab = tmp_path / "lab" / "a.png"
    lab.parent.mkdir()
    a = np.zeros((48, 64, 4), np.uint8)  # (H, W, RGBA)
    a[..., :3], a[..., 3] = rgb, alpha
    a[10:30, 10:40, :3] = 0  # the object: drawn black
    Image.fromarray(a, "RGBA").save(lab)
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (48, 64, 3), dtype=np.uint8)).save(img)
    return img.parent, lab.parent


@pytest.mark.parametrize("background", [0, 255])  # the transparent pixels' colour: black or white
def test_a_mask_drawn_black_on_transparent_is_read_by_its_alpha(tmp_path, background):
    # it read as empty (black object, transparent background both 0): "no records written", the class lost unsaid
    alpha = np.zeros((48, 64), np.uint8)
    alpha[10:30, 10:40] = 255
    images, labels = _rgba_label(tmp_path, background, alpha)
    stats, recs = convert(tmp_path / "o", "masks", "--images", str(images), "--labels", str(labels),
                          "--binary", "building")
    assert stats["notes"]["labels_read_by_alpha"] == 1 and len(recs) == 1
    from convert_helpers import objs, same_ring

    (obj,) = objs(recs[0])
    assert same_ring(obj["coords"], [[10, 10], [40, 10], [40, 30], [10, 30]], 64)


def test_an_opaque_black_mask_is_empty_still(tmp_path):
    # alpha 255 everywhere draws no shape: the mask is its colours', which hold no class
    images, labels = _rgba_label(tmp_path, 0, np.full((48, 64), 255, np.uint8))
    stats, _ = convert(tmp_path / "o", "masks", "--images", str(images), "--labels", str(labels), "--binary", "building")
    assert stats["records"] == 0 and stats["notes"] == {"images_without_objects_not_read": 1}


def test_a_0_255_mask_whose_nodata_is_255_is_skipped_with_a_hint(tmp_path):
    # every 255 was read as nodata: the mask empty, "images_without_objects_not_read", the class lost unsaid
    png(tmp_path / "img" / "a.png", 64, 48)
    lab = np.zeros((48, 64), np.uint8)
    lab[10:30, 10:40] = 255
    tif_label(tmp_path / "lab" / "a_mask.tif", lab, 255)
    stats, _ = convert(tmp_path / "o", "masks", "--images", str(tmp_path / "img"), "--labels", str(tmp_path / "lab"),
                       "--binary", "building")
    assert stats["skipped"] == {"unreadable_label": 1} and stats["records"] == 0
    said = stats["skipped_examples"]["unreadable_label"]
    assert "its only value besides 0 is 255, its GeoTIFF nodata: read so, its 600 pixels are no data" in said
    assert said.endswith(f"unset the nodata (gdal_edit.py -unsetnodata {tmp_path / 'lab' / 'a_mask.tif'}) and "
                         "convert again)")


def test_a_0_1_mask_whose_nodata_is_255_keeps_its_nodata(tmp_path):
    png(tmp_path / "img" / "a.png", 64, 48)
    lab = np.zeros((48, 64), np.uint8)
    lab[10:30, 10:40], lab[:, 60:] = 1, 255  # 255: a nodata collar
    tif_label(tmp_path / "lab" / "a_mask.tif", lab, 255)
    stats, recs = convert(tmp_path / "o", "masks", "--images", str(tmp_path / "img"), "--labels",
                          str(tmp_path / "lab"), "--binary", "building")
    assert len(recs) == 1 and stats["notes"]["label_pixels_nodata"] == 48 * 4 and stats["skipped"] == {}


@pytest.mark.parametrize(("given", "says"), [
    ("rgb,sar", "('rgb' is not); 'rgb' is optical here"),
    ("Thermal, Multispectral", "('thermal', 'multispectral' are not); 'thermal' is ir, 'multispectral' is msi here"),
    ("foo", "('foo' is not)"),
])
def test_synth_modalities_of_other_words_name_ours(tmp_path, capsys, given, says):
    # "--modalities rgb" said only "'rgb' is not": the word a user of RGB tiles types, unmapped
    from data_gen.__main__ import main

    assert main(["synth", "--out", str(tmp_path / "s"), "--n", "1", "--modalities", given, "--no-progress"]) == 2
    assert capsys.readouterr().err.rstrip().endswith(says) and not (tmp_path / "s").exists()


def test_preview_reads_a_scene_id_in_any_case(synth_set, tmp_path, capsys):
    # "--scenes S0-000001" was "not under …/scenes (first there: s0-000000)", the scene beside it unsaid
    from data_gen.synth.preview import main

    first = sorted((synth_set / "scenes").glob("*.json"))[0].stem
    assert main(["--dir", str(synth_set), "--out", str(tmp_path / "pv"), "--scenes",
                 f"{first.upper()},{first},scenes/{first.upper()}.JSON"]) == 0
    assert [p.name.endswith(f"_{first}.png") for p in (tmp_path / "pv").iterdir()] == [True]
    assert main(["--dir", str(synth_set), "--out", str(tmp_path / "pv"), "--scenes", "X1"]) == 2
    assert "--scenes X1: not under" in capsys.readouterr().err


def _record(images: list, first: str) -> dict:
    return {"id": "r", "images": images, "conversations": [{"from": "human", "value": first},
                                                           {"from": "gpt", "value": "no"}]}


@pytest.mark.parametrize(("rec", "says"), [
    (_record([{"path": "a.png", "modality": "RGB"}], "<image>\n[vqa] Ships?"),
     "field 'images[0].modality': 'rgb' is not one of optical, msi, sar, ir ('rgb' is optical here)"),
    (_record([{"path": "a.png", "modality": "thermal"}], "<image>\n[vqa] Ships?"), "('thermal' is ir here)"),
    (_record([{"path": "a.png"}], "[vqa] Ships?"),
     "field 'conversations': 0 <image> placeholders but 1 image: put one <image> per image, in order, in the "
     "human turns (e.g. '<image>\\n[vqa] Is there a ship?')"),
])
def test_a_records_refusal_says_what_to_write(rec, says):
    # "'rgb' is not one of …" and "0 <image> placeholder(s) but 1 image(s)" said what was wrong, not what to write
    from rsvlm.data.records import RecordError, normalize_record

    with pytest.raises(RecordError) as e:
        normalize_record(rec, "x.jsonl:1")
    assert str(e.value).endswith(says)


def test_an_empty_mask_by_a_negative_nodata_collar_is_no_error(tmp_path):
    # -9999 is no class value: 0s by a -9999 collar are an empty tile, not a class read as nodata
    png(tmp_path / "img" / "a.png", 64, 48)
    lab = np.zeros((48, 64), np.int16)
    lab[:, 60:] = -9999
    tif_label(tmp_path / "lab" / "a_mask.tif", lab, -9999)
    stats, _ = convert(tmp_path / "o", "masks", "--images", str(tmp_path / "img"), "--labels", str(tmp_path / "lab"),
                       "--binary", "building")
    assert stats["skipped"] == {} and stats["notes"] == {"label_pixels_nodata": 48 * 4,
                                                         "images_without_objects_not_read": 1}


@pytest.mark.parametrize(("given", "says"), [
    ("det;ground", "--tasks 'det;ground': 'det;ground' is no task; separate tasks by commas: --tasks det,ground"),
    ("cls,det ground", "'det ground' is no task; separate tasks by commas: --tasks cls,det,ground"),
    ("det|foo", "'det|foo' is no task (did you mean 'det'?)"),  # not every word a task: as before
])
def test_tasks_of_another_separator_say_commas(given, says):
    # "det ground" was "no task (did you mean 'det'?)": ground, meant too, unsaid
    from data_gen.instructions.build import task_overrides

    with pytest.raises(ValueError) as e:
        task_overrides(given)
    assert says in str(e.value)


@pytest.mark.parametrize(("given", "says"), [
    ("sar;ir", "('sar;ir' is not); separate modalities by commas: sar,ir"),
    ("sar ir,RGB", "('sar ir', 'rgb' are not); 'rgb' is optical here; separate modalities by commas: sar,ir"),
])
def test_modalities_of_another_separator_say_commas(tmp_path, capsys, given, says):
    from data_gen.__main__ import main

    assert main(["synth", "--out", str(tmp_path / "s"), "--n", "1", "--modalities", given, "--no-progress"]) == 2
    assert capsys.readouterr().err.rstrip().endswith(says)


_TURNS = [{"from": "human", "value": "<image>\nWhat is it?"}, {"from": "gpt", "value": "a harbour"}]


def test_llava_reads_role_content_messages_and_names_a_missing_field(tmp_path):
    # "messages" of role/content turns (ShareGPT's, OpenAI's) was "unparsable_record (KeyError('conversations'))"
    from convert_helpers import llava_rows

    rows = [{"id": "a", "image": "a.png", "messages": [{"role": "user", "content": "<image>\nWhat is it?"},
                                                       {"role": "assistant", "content": "a harbour"}]},
            {"id": "b", "image": "a.png", "dialogue": _TURNS},
            {"id": "c", "image": "a.png", "conversations": "<image>\nWhat is it?"},
            {"id": "d", "image": "a.png", "conversations": ["<image>\nWhat is it?", "a harbour"]},
            {"image": "a.png", "conversations": _TURNS}]
    stats, recs = llava_rows(tmp_path, rows)
    assert [r["id"] for r in recs] == ["a"]
    assert recs[0]["conversations"][1] == {"from": "assistant", "value": "a harbour"}
    assert stats["skipped"] == {"unparsable_record": 4}
    assert stats["skipped_examples"]["unparsable_record"].endswith(
        "l.json: record 1: unparsable_record (no 'conversations' field (a LLaVA record has id, image, conversations "
        "of from/value turns))")
