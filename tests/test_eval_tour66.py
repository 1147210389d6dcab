"""Tour 66 (helper F) of evaluation: COCO run-length masks in the notes, a COCO segm result in detection, the
swapped-files check on a long first line, loc_error's left-out records by line, meta sizes against the images."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import eval_record, write_jsonl

_REF = "<ref>building</ref><box><loc_250><loc_200><loc_500><loc_600></box>"  # x 50..100, y 20..60 of 200 x 100


def _rle(mask) -> dict:
    """``mask`` (h, w) as pycocotools writes a compressed COCO run-length mask."""
    from pycocotools import mask as coco_mask

    rle = coco_mask.encode(np.asfortranarray(mask.astype(np.uint8)))
    return {"size": list(rle["size"]), "counts": rle["counts"].decode("ascii")}


def _building(h=100, w=200):
    m = np.zeros((h, w), bool)
    m[20:60, 50:100] = True
    return m


def test_the_notes_read_coco_run_length_masks_as_the_masks_they_score_as(tmp_path):
    """A list of objects holding a COCO RLE was passed over by the notes as unreadable, though it is scored: an
    answer of two boxes beside one RLE mask was not said to differ in count, and a box normalised to [0, 1] beside
    an RLE mask was not said to be a speck in the corner."""
    from eval import segmentation

    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record(i, "seg", "[seg] Segment the building.", _REF, width=200,
                                                         height=100) for i in "ab"])
    two = _REF + "<box><loc_0><loc_0><loc_100><loc_100></box>"
    pred = write_jsonl(tmp_path / "p.jsonl", [
        {"id": "a", "answer": two, "objects": [{"segmentation": _rle(_building())}]},
        {"id": "b", "answer": "", "objects": [{"kind": "box", "coords": [0.25, 0.2, 0.5, 0.6]},
                                              {"segmentation": _rle(_building())}]}])
    notes = segmentation.main(["--gt", gt, "--pred", pred])["notes"]
    assert any("1 prediction gives 'objects' of another count than its answer reads as (first: a: 1 in "
               "'objects', 2 in 'answer')" in n for n in notes), notes
    assert any("every coordinate of the 1 predicted object given as 'objects' lies in [0, 1]" in n for n in notes)


def test_a_coco_segm_result_in_detection_is_said_to_carry_a_bbox_not_scored(tmp_path):
    """A COCO segm result put in a record's objects ({image_id, category_id, segmentation: RLE, bbox, score}) is
    read as its mask: eval.segmentation scores it so (IoU 1 here), and detection left it out saying only "{'mask':
    1}", mAP 0 beside the box it carries. The note now says it is a COCO segm result, whose bbox is [x, y, width,
    height], and what to give; a box with a category_id and no label is told to give its class name."""
    from eval import detection, segmentation

    coco = {"image_id": 7, "category_id": 3, "segmentation": _rle(_building()), "bbox": [50, 20, 50, 40], "score": 0.9}
    rows = [{"id": "a", "answer": "", "objects": [coco]}]
    pred = write_jsonl(tmp_path / "p.jsonl", rows)
    seg = write_jsonl(tmp_path / "seg.jsonl", [eval_record("a", "seg", "[seg] Segment it.", _REF, width=200, height=100)])
    assert segmentation.main(["--gt", seg, "--pred", pred])["gIoU"] > 0.99
    two = _REF + "<ref>ship</ref><box><loc_0><loc_0><loc_100><loc_100></box>"
    det = write_jsonl(tmp_path / "det.jsonl", [eval_record("a", "det", "[det] Find them.", two, width=200, height=100)])
    s = detection.main(["--gt", det, "--pred", pred])
    assert s["n_pred_objects_ignored"] == {"mask": 1}
    assert any("1 predicted mask left out is a COCO segm result with a 'bbox' beside its run-length mask" in n
               for n in s["notes"]), s["notes"]
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "a", "answer": "", "objects": [
        {"kind": "box", "coords": [50, 20, 100, 60], "category_id": 3}]}])
    s = detection.main(["--gt", det, "--pred", pred])
    assert any("1 predicted object carries a COCO 'category_id' and no 'label'" in n for n in s["notes"])


@pytest.mark.parametrize("array", [False, True])
def test_predictions_as_gt_are_told_when_their_first_line_is_longer_than_the_head_read(tmp_path, array):
    """The check that --gt holds predictions reads the file's head (records_shape.HEAD_CAP, 4 MB); a first answer
    longer than that (a segmentation's polygon of MB) could not be decoded from it, and "are --gt and --pred
    swapped?" became "field 'conversations': missing or empty". The keys the head holds tell it now."""
    from eval.inputs import ScoreError, load_gt
    from rsvlm.data import records_shape
    from rsvlm.eval_reading import head_row, is_prediction

    row = {"id": "a", "task": "seg", "answer": "<ref>x</ref><poly>" + "<loc_1><loc_2>" * (records_shape.HEAD_CAP // 14)
           + "</poly>"}
    path = tmp_path / "p.jsonl"
    path.write_text(f"[{json.dumps(row)}]\n" if array else json.dumps(row) + "\n")
    with pytest.raises(ScoreError, match=r"holds predictions .* are --gt and --pred swapped"):
        load_gt(path, ("seg",))
    rec = {"id": "a", "images": [], "conversations": [{"from": "human", "value": "[vqa] x" * (records_shape.HEAD_CAP // 7)},
                                                      {"from": "gpt", "value": "y"}], "answer": "z"}
    path.write_text(json.dumps(rec) + "\n")  # a record with an "answer" beside its conversations: no predictions
    assert not is_prediction(head_row(path))


def test_loc_error_names_the_lines_of_the_records_it_leaves_out(tmp_path, monkeypatch, capsys):
    """Its note on records the index leaves out gave counts alone ("2 skipped (system turn after the first: 1,
    invalid JSON: 1)"): which of thousands of records was not said. The first few are now named by file and line,
    in the result and in the note."""
    from test_probe_pointer_cells import ground_records, model

    import rsvlm.inference
    from eval import loc_error

    data = ground_records(tmp_path)
    rows = data.read_text().splitlines()
    late = json.loads(rows[0])
    late["id"] = "late"
    late["conversations"] = [*late["conversations"], {"from": "system", "value": "Boxes only."},
                             {"from": "human", "value": "[ground] the field again"}, late["conversations"][1]]
    data.write_text("\n".join([*rows, json.dumps(late), "{bad json"]) + "\n")
    monkeypatch.setattr(rsvlm.inference, "load_model", lambda *a, **k: model())
    assert loc_error.main(["--data", str(data), "--tasks", "ground", "--device", "cpu"]) == 0
    said = capsys.readouterr()
    res = json.loads(said.out)
    assert "2 skipped" in res["malformed_records"]
    assert [line.split(": ")[0] for line in res["malformed_first"]] == [f"{data}:5", f"{data}:6"]
    assert res["malformed_first"][0].startswith(f"{data}:5: record late: conversations[2] is a system turn")
    assert f"left out, first:\n  {data}:5: record late: conversations[2]" in said.err


def test_a_meta_size_that_is_not_the_image_file_s_is_said_naming_the_record(tmp_path):
    """meta.width x meta.height was never checked against the image: where the images were resized after the set
    was made, another tool's objects, in the image's own pixels, scored against a reference put in meta's pixels,
    without a word. Where the image file is beside the ground truth, a mismatch is now said, naming the record and
    the file; a file that is not there, or is of meta's size, says nothing."""
    from PIL import Image

    from eval import detection

    Image.new("RGB", (100, 50)).save(tmp_path / "a.png")  # half of meta's 200 x 100
    Image.new("RGB", (200, 100)).save(tmp_path / "b.png")
    Image.new("RGB", (100, 200)).save(tmp_path / "c.png")  # meta's, width and height swapped
    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record(i, "det", "[det] Find the buildings.", _REF, width=200,
                                                         height=100) for i in "abcd"])  # d.png is not there
    box = {"kind": "box", "coords": [25, 10, 50, 30], "label": "building"}  # the building, in a.png's pixels
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": i, "answer": "", "objects": [box]} for i in "abcd"])
    notes = detection.main(["--gt", gt, "--pred", pred])["notes"]
    (note,) = [n for n in notes if "meta.width x meta.height other than the image's" in n]
    assert note.startswith(f"2 of the 3 records whose images were found beside the ground truth give a meta.width x "
                           f"meta.height other than the image's (first: a: meta 200x100, image {tmp_path / 'a.png'} "
                           "100x50)")
    assert note.endswith("(rsvlm eval's objects are in meta's pixels and score right as they are: answer again after "
                         "such an edit)")  # its objects rows stay in the old meta's pixels: rewriting meta alone broke them
    from eval.common import Item
    from eval.image_sizes import mismatches

    items = [Item(json.loads(line), {"id": "x", "objects": []}, 0)
             for line in (tmp_path / "gt.jsonl").read_text().splitlines()]
    assert mismatches(items, tmp_path)[1][1] == f"c: meta 200x100, image {tmp_path / 'c.png'} 100x200 (meta.width and " \
                                                "meta.height swapped?)"


def test_a_repeated_id_of_another_task_is_that_task_s_script_s_to_say(tmp_path):
    """One predictions file of every task: a cls id repeated was counted and named by eval.vqa too ("1 prediction(s)
    repeat an id; first: c2", a record vqa does not score), as the differing note already was not. Each script now
    counts the repeats of the ids it scores."""
    from eval import classification, vqa

    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record("c2", "cls", "[cls] What scene?", "forest"),
                                             eval_record("v1", "vqa", "[vqa] A road?", "Yes."),
                                             eval_record("v2", "vqa", "[vqa] A river?", "No.")])
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "c2", "answer": "forest"}, {"id": "v1", "answer": "yes"},
                                              {"id": "c2", "answer": "forest"}, {"id": "c2", "answer": "lake"},
                                              {"id": "v2", "answer": "no"}, {"id": "v2", "answer": "no"}])
    s = vqa.main(["--gt", gt, "--pred", pred])
    assert s["n_pred_duplicate_ids"] == 1 and s["first_ids"].get("n_pred_duplicate_ids") == "v2"
    s = classification.main(["--gt", gt, "--pred", pred])
    assert s["n_pred_duplicate_ids"] == 2 and s["first_ids"]["n_pred_duplicate_ids"] == "c2"


def test_rsvlm_eval_notes_a_meta_size_that_is_not_the_image_read(tmp_path):
    """rsvlm eval reads every image, yet a meta.width x meta.height other than the image's went unsaid (its objects
    rows are put in meta's pixels); reading now notes it, for the run's end summary, whole (under its 240
    characters) and naming the record. The note says this run's answers still score right (it read as if they did
    not), and is said of the tasks scored in pixels only (a cls record's meta size scores nothing)."""
    from PIL import Image

    from rsvlm.eval_reading import ReadNotes, record_images

    Image.new("RGB", (100, 50)).save(tmp_path / "a.png")
    Image.new("RGB", (200, 100)).save(tmp_path / "b.png")
    Image.new("RGB", (100, 50)).save(tmp_path / "c.png")
    notes = ReadNotes()
    for rid, task in (("a", "det"), ("b", "det"), ("c", "cls")):
        said: list[str] = []
        record_images(eval_record(rid, task, f"[{task}] Find the buildings.", _REF, width=200, height=100), tmp_path,
                      said)
        notes.add(rid, said)
        assert any("meta.width x meta.height 200x100 is not the image's" in n for n in said) == (rid == "a"), rid
    assert ("1 record: meta.width x meta.height 200x100 is not the image's 100x50: this run's answers score right "
            "(in meta's pixels, as the reference); another tool's pixel objects would not; meta fixed later needs this "
            "run redone (first: a)" in notes.summary(3)), notes.summary(3)


@pytest.mark.parametrize("name", ["probe_sensor_word", "probe_pointer_cells"])
def test_the_probes_refuse_an_out_that_is_their_data(tmp_path, monkeypatch, capsys, name):
    """--out naming the --data file replaced the records with the probe's result once it had run (eval.loc_error
    and the scorers refuse it); both probes now refuse it before loading a model."""
    from script_loader import load_script

    probe = load_script(name, monkeypatch)
    data = write_jsonl(tmp_path / "test.jsonl", [eval_record("a", "vqa", "[vqa] Which sensor?", "SAR")])
    before = (tmp_path / "test.jsonl").read_text()
    with pytest.raises(SystemExit) as e:
        probe.main(["--data", data, "--out", data])
    assert e.value.code == 2 and f"--out {data} is the --data file" in capsys.readouterr().err
    assert (tmp_path / "test.jsonl").read_text() == before


def test_the_sensor_probe_reads_images_against_its_image_root(tmp_path, monkeypatch):
    """It read a record's images against the --data file's folder only (rsvlm eval, eval.loc_error and the pointer
    probe take --image-root): LLaVA-style records whose images sit in a folder of their own could not be probed."""
    from script_loader import load_script
    from test_probe_pointer_cells import model
    from test_train_utils import make_records

    import rsvlm.inference

    probe = load_script("probe_sensor_word", monkeypatch)
    rec = json.loads(make_records(tmp_path, n=1, ir_every=0).read_text().splitlines()[0])
    rec.update(task="vqa", meta={"qtype": "modality"}, conversations=[
        {"from": "human", "value": "<image>\n[vqa] What sensor took this image?"}, {"from": "gpt", "value": "optical"}])
    (tmp_path / "sets").mkdir()
    data = write_jsonl(tmp_path / "sets" / "test.jsonl", [rec])
    monkeypatch.setattr(rsvlm.inference, "load_model", lambda *a, **k: model())
    with pytest.raises(SystemExit, match="error: "):  # the image is not beside the records
        probe.main(["--data", data])
    res = probe.main(["--data", data, "--image-root", str(tmp_path), "--out", str(tmp_path / "s.json")])
    assert res["n_questions"] == 1 and sum(res["table"].values()) == 4
    assert json.loads((tmp_path / "s.json").read_text()) == res


def test_the_sensor_probe_refuses_a_record_that_does_not_name_its_sensor(tmp_path, monkeypatch, capsys):
    """A record whose image names no modality was tabled as "image None, word sar -> …": every word counted as the
    "other" one and none could follow the image, a table that looked measured. It is now refused, naming the
    record, before a model loads."""
    from script_loader import load_script

    import rsvlm.inference

    probe = load_script("probe_sensor_word", monkeypatch)
    rec = eval_record("s1", "vqa", "[vqa] What sensor took this image?", "SAR", qtype="modality")
    rec["images"][0].pop("modality")
    data = write_jsonl(tmp_path / "test.jsonl", [rec])
    monkeypatch.setattr(rsvlm.inference, "load_model", lambda *a, **k: pytest.fail("no model is needed to refuse"))
    with pytest.raises(SystemExit, match=r"1 record does not name its image's modality .* \(first: 's1'\)"):
        probe.main(["--data", data])


def test_a_coco_mask_with_a_category_id_in_a_several_class_reference_is_told_to_give_its_label(tmp_path):
    """In a several-class reference a COCO segm result ({"category_id": 3, "segmentation": RLE}, no label) is
    scored for no class: the note counted it among shapes that "name no class" without saying why it names none."""
    from eval import segmentation

    two = _REF + "<ref>road</ref><box><loc_0><loc_0><loc_100><loc_100></box>"
    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record("a", "seg", "[seg] Segment it all.", two, width=200,
                                                         height=100)])
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "a", "answer": "", "objects": [
        {"category_id": 3, "segmentation": _rle(_building())}, {"kind": "box", "coords": [0, 0, 20, 10],
                                                                "label": "road"}]}])
    s = segmentation.main(["--gt", gt, "--pred", pred])
    assert s["n_pred_objects_unknown_class"] == 1
    assert any("1 predicted shape in several-class records names no class of the set's references, not scored (1 of "
               "them carries a COCO 'category_id' and no 'label'" in n for n in s["notes"]), s["notes"]


def test_the_meta_size_check_reads_each_image_once_and_a_sample_of_a_large_set(tmp_path, monkeypatch):
    """The meta-size note read one image header per record: 500 GeoTIFF records (through rasterio, ~3 ms each)
    spent 2.7 s of a 3.8 s detection run, and a scene asked of by many records was read once per record. Each file
    is now read once, and a set larger than image_sizes.SAMPLE is checked on an even sample, said in the note."""
    from eval import image_sizes
    from eval.common import Item

    read = []
    monkeypatch.setattr(image_sizes, "file_size", lambda f: read.append(f) or (100, 50))
    rec = eval_record("a", "det", "[det] Find.", _REF, width=200, height=100)
    pred = {"id": "a", "objects": []}
    same = [Item({**rec, "id": str(i)}, pred, i) for i in range(50)]  # 50 questions of one scene
    assert image_sizes.mismatches(same, tmp_path)[0] == 50 and len(read) == 1
    read.clear()
    many = [Item({**rec, "id": str(i), "images": [{**rec["images"][0], "path": f"{i}.png"}]}, pred, i)
            for i in range(1000)]
    note = image_sizes.size_note(many, tmp_path)
    assert len(read) == image_sizes.SAMPLE == len(set(read)) and read[-1] == tmp_path / "990.png"  # to the end
    assert note.startswith(f"{image_sizes.SAMPLE} of the {image_sizes.SAMPLE} records (an even sample of the 1000 "
                           "whose predictions give objects) whose images were found"), note


@pytest.mark.parametrize("name, args, flag", [
    ("count_assay", ["--encoder", "a={tmp}/a.safetensors", "--encoder", "b={tmp}/b.safetensors",
                     "--out", "{tmp}/b.safetensors"], "encoder"),
    ("geometry_codec", ["--realdata", "{tmp}", "--out", "{tmp}/cd_levir/test_7_0256_0512_label.png"], "realdata"),
])
def test_the_bench_assays_refuse_an_out_that_is_an_input(tmp_path, monkeypatch, capsys, name, args, flag):
    """--out naming an --encoder file (or a real-data file the codec bench reads) replaced it with the table after
    the whole run, as the probes' --out did their --data (22cfc0ae); refused before the work now."""
    from test_bench_args import bench_main

    (tmp_path / "cd_levir").mkdir()
    for f in ("a.safetensors", "b.safetensors", "cd_levir/test_7_0256_0512_label.png"):
        (tmp_path / f).write_bytes(b"keep")
    with pytest.raises(SystemExit) as e:
        bench_main(name, monkeypatch, [a.format(tmp=tmp_path) for a in args])
    out = args[-1].format(tmp=tmp_path)
    assert e.value.code == 2 and f"--out {out} is the --{flag} file" in capsys.readouterr().err
    assert (tmp_path / out).read_bytes() == b"keep"


def test_the_notes_check_a_run_length_mask_without_setting_its_pixels(tmp_path, monkeypatch):
    """The notes read each prediction's objects three times, setting every COCO RLE's pixels each time (200
    records of ten 1024² masks: 7.9 s of an 11.6 s segmentation run, twice the scoring); they now check the counts
    alone (rle.decoded(pixels=False)), once a record, and say what they said: a count that differs."""
    from eval import rle, segmentation

    sets = []
    real = rle.decoded
    monkeypatch.setattr(rle, "decoded", lambda o, w, h, pixels=True: sets.append(pixels) or (real(o, w, h) if pixels else real(o, w, h, pixels=False)))
    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record(i, "seg", "[seg] Segment the building.", _REF, width=200,
                                                         height=100) for i in "ab"])
    pred = write_jsonl(tmp_path / "p.jsonl", [
        {"id": "a", "answer": _REF + _REF[19:], "objects": [{"segmentation": _rle(_building())}]},
        {"id": "b", "answer": "", "objects": [{"segmentation": _rle(_building(100, 100))}]}])
    s = segmentation.main(["--gt", gt, "--pred", pred])
    assert sets.count(False) == 2, sets  # the notes check a and b once each (the scorer sets their pixels)
    assert any("first: a: 1 in 'objects', 2 in 'answer'" in n for n in s["notes"]), s["notes"]
    assert s["n_unparseable"] == 1  # b's mask is not the image's size


def test_the_meta_size_check_takes_band_files_at_their_finest(tmp_path):
    """An image of band files of several resolutions is read on its finest band's grid (rsvlm.io regrid), which
    meta gives; the check read the first band file alone, so a Sentinel-2 stack whose 60 m B01 comes first was said
    to be no image of meta's size. A band file of no band's size is still said."""
    from PIL import Image

    from eval.common import Item
    from eval.image_sizes import mismatches

    Image.new("L", (30, 30)).save(tmp_path / "B01.png")  # 60 m
    Image.new("L", (180, 180)).save(tmp_path / "B02.png")  # 10 m: meta's grid
    rec = eval_record("s", "det", "[det] Find.", _REF, width=180, height=180)
    rec["images"] = [{"band_files": ["B01.png", "B02.png"], "modality": "msi"}]
    assert mismatches([Item(rec, {"id": "s", "objects": []}, 0)], tmp_path) == (1, [])
    rec["meta"]["width"] = 200
    assert mismatches([Item(rec, {"id": "s", "objects": []}, 0)], tmp_path)[1] == [
        f"s: meta 200x180, image {tmp_path / 'B02.png'} 180x180"]
