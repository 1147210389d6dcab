"""Lead 73 of data: the converters' progress units in words, a crossing obb in a record's reference, llava's
GDAL archive not copied for a record the final check refuses, the converters toured on real data with --tile."""

import itertools
import json
from pathlib import Path

from PIL import Image


def test_convert_progress_in_a_log_reads_seconds_per_image_in_words(tmp_path, capsys, monkeypatch):
    # the converters passed unit=" images": a slow bar in a log read "2.00s/ images"
    import tqdm.std

    from data_gen.__main__ import main

    ticks = itertools.count()
    monkeypatch.setattr(tqdm.std, "time", lambda: 2.0 * next(ticks))  # two seconds a look: a slow bar
    src = tmp_path / "dota"
    src.mkdir()
    for k in range(2):
        Image.new("RGB", (40, 40)).save(src / f"P{k}.png")
        (src / f"P{k}.txt").write_text("10 10 30 10 30 30 10 30 ship 0\n")
    assert main(["convert", "dota", "--src", str(src), "--out", str(tmp_path / "o")]) == 0
    err = capsys.readouterr().err
    line = next(ln for ln in err.splitlines() if ln.startswith("dota: 100% 2/2"))
    assert "\r" not in err and line.endswith(" s/label file]"), line
    assert "s/ images" not in err, err


CROSSING = "<obb><loc_100><loc_100><loc_500><loc_500><loc_500><loc_100><loc_100><loc_500></obb>"


def test_a_record_with_a_crossing_obb_is_skipped_with_the_way_out_not_said_swapped(tmp_path):
    # "…has crossing edges (two corners out of order around the box); swapped": the record was skipped, not repaired
    from rsvlm import geometry
    from rsvlm.data.read_report import ReadReport
    from rsvlm.data.records import read_records
    from tests.conftest import write_jsonl

    rec = {"id": "a", "image": "a.png", "conversations": [{"from": "human", "value": "<image>\n[det] Detect ships."},
                                                          {"from": "gpt", "value": CROSSING}]}
    path = write_jsonl(tmp_path / "r.jsonl", [rec])
    report = ReadReport(path)
    assert list(read_records(path, strict=False, report=report)) == []
    (said,) = report.examples
    assert "has crossing edges (two corners out of order around the box): a record is not repaired; re-encode it " \
           "with rsvlm.geometry.encode, which writes the corners in order" in said, said
    assert "; swapped" not in said, said
    # the way out, followed: the record is read
    rec["conversations"][1]["value"] = geometry.encode(geometry.decode(CROSSING, 1000, 1000).objects, 1000, 1000)
    write_jsonl(tmp_path / "r.jsonl", [rec])
    assert [r["id"] for r in read_records(path, strict=False, report=ReadReport(path))] == ["a"]


def test_llava_checks_a_record_before_copying_its_gdal_archive(tmp_path, monkeypatch):
    # a record refused only by the final record check (invalid_record) copied its whole archive, then deleted it
    import zipfile

    from data_gen.__main__ import main
    from data_gen.convert.common import Output

    src = tmp_path / "src"
    src.mkdir()
    Image.new("RGB", (40, 40)).save(tmp_path / "a.png")
    with zipfile.ZipFile(src / "pack.zip", "w") as z:
        z.write(tmp_path / "a.png", "a.png")
    copied, real = [], Output.copy_image
    monkeypatch.setattr(Output, "copy_image", lambda self, p, *a, **k: copied.append(p) or real(self, p, *a, **k))
    rec = {"id": "r0", "image": "/vsizip/pack.zip/a.png", "modality": "optical",
           "conversations": [{"from": "human", "value": "<image>\nWhat is it?"}, {"from": "gpt", "value": " "}]}
    plain = {**rec, "id": "r1", "image": "a.png", "conversations": [rec["conversations"][0], {"from": "gpt",
                                                                                               "value": "A field."}]}
    Image.new("RGB", (40, 40)).save(src / "a.png")
    (tmp_path / "l.json").write_text(json.dumps([rec, plain]))
    monkeypatch.chdir(tmp_path)
    assert main(["convert", "llava", "--src", "l.json", "--images", "src", "--out", "out", "--no-progress"]) == 0
    stats = json.loads((tmp_path / "out" / "stats.json").read_text())
    assert stats["records"] == 1 and stats["skipped"] == {"invalid_record": 1}, stats
    assert stats["skipped_examples"]["invalid_record"] == \
        "l.json: record 0: invalid_record (field 'conversations[1].value': an empty answer)"
    assert [Path(p).name for p in copied] == ["a.png"] and not (tmp_path / "out" / "images" / "pack.zip").exists()
    copied.clear()
    # the same record with an answer is written, its archive copied once
    rec["conversations"][1]["value"] = "A field."
    (tmp_path / "l.json").write_text(json.dumps([rec]))
    assert main(["convert", "llava", "--src", "l.json", "--images", "src", "--out", "out2", "--no-progress"]) == 0
    assert len(copied) == 1 and (tmp_path / "out2" / "images" / "pack.zip").is_file()


def test_levir_tiles_of_a_real_pair_name_the_images_left_out_without_a_label(realdata, tmp_path):
    # "images_without_label": 1 and "b_images_without_a_or_label": 1 were counts alone: which file, unsaid
    import shutil

    from data_gen.__main__ import main
    from rsvlm.data.records import ReadReport, read_records

    src = tmp_path / "lv"
    shutil.copytree(realdata / "cd_levir", src)
    shutil.copy(src / "test_7_0256_0512_A.png", src / "x_A.png")  # no label: left out
    shutil.copy(src / "test_7_0256_0512_B.png", src / "z_B.png")  # neither A nor label
    assert main(["convert", "levir-cd", "--src", str(src), "--out", str(tmp_path / "o"), "--tile", "128",
                 "--no-progress"]) == 0
    stats = json.loads((tmp_path / "o" / "stats.json").read_text())
    assert stats["notes"] == {"images_without_label": 1, "b_images_without_a_or_label": 1, "tiles": 4}, stats
    assert stats["notes_examples"] == {"images_without_label": str(src / "x_A.png"),
                                       "b_images_without_a_or_label": str(src / "z_B.png")}
    path = tmp_path / "o" / "records.jsonl"
    report = ReadReport(path)
    recs = list(read_records(path, strict=True, report=report))
    assert len(recs) == stats["records"] == len(path.read_text().splitlines()) == 8
    assert sorted({tuple(r["meta"]["tile"]) for r in recs}) == [(0, 0, 128, 128), (0, 128, 128, 256),
                                                                (128, 0, 256, 128), (128, 128, 256, 256)]


def test_dota_tiles_of_the_real_scene_flag_cut_vehicles_and_shift_the_edge_windows(realdata, tmp_path):
    # the tour of the DOTA scene at --tile 256 (docs/data-convert.md: 10 vehicles cut and kept)
    from data_gen.__main__ import main
    from rsvlm.data.records import ReadReport, read_records
    from rsvlm.geometry import decode

    assert main(["convert", "dota", "--src", str(realdata / "obb_dota"), "--out", str(tmp_path / "o"), "--tile", "256",
                 "--no-progress"]) == 0
    stats = json.loads((tmp_path / "o" / "stats.json").read_text())
    assert stats["skipped"] == {} and list(stats["notes_examples"]) == ["ground_left_out_for_several"]
    assert stats["notes"]["object_cuts_at_tile_borders"] == stats["notes"]["cut_objects_kept_difficult"] == 10
    path = tmp_path / "o" / "records.jsonl"
    recs = list(read_records(path, strict=True, report=ReadReport(path)))
    assert len(recs) == stats["records"] == len(path.read_text().splitlines())
    tiles = {tuple(r["meta"]["tile"]) for r in recs}
    assert max(t[2] for t in tiles) == 712 and max(t[3] for t in tiles) == 557  # the last shifted flush with the edges
    assert all(t[2] - t[0] == t[3] - t[1] == 256 for t in tiles)
    for r in recs:
        if r["id"].endswith("-det-obb"):
            n = len(decode(r["conversations"][-1]["value"], 256, 256).objects)
            assert all(0 <= k < n for k in r["meta"]["difficult"]), r["id"]
    assert sum(len(r["meta"]["difficult"]) for r in recs if r["id"].endswith("-det-obb")) == 10
