"""Tour 57 of the scoring scripts: predictions' own ``objects`` with reversed boxes or masks of another
size, boxes narrower than one bin, answers whose coordinates no reader reads, compressed predictions."""

from __future__ import annotations

import json

import numpy as np
import pytest

from rsvlm import geometry

SHIP = {"kind": "box", "label": "ship", "coords": [10.0, 10.0, 50.0, 50.0]}


def record(rid, task, objects, prompt="the ship", w=100, h=100):
    return {"id": rid, "task": task, "images": [{"path": f"{rid}.png", "modality": "optical"}],
            "conversations": [{"from": "human", "value": f"<image>\n[{task}] {prompt}"},
                              {"from": "gpt", "value": geometry.encode(objects, w, h) if objects else "None."}],
            "meta": {"width": w, "height": h}}


def write(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return str(path)


def run(tmp_path, script, records, preds, *extra):
    import importlib

    gt = write(tmp_path / "gt.jsonl", records)
    pred = write(tmp_path / "pred.jsonl", preds)
    return importlib.import_module(f"eval.{script}").main(["--gt", gt, "--pred", pred, *extra])


@pytest.mark.parametrize("script,task,key", [("detection", "det", "mAP50"), ("grounding", "ground", "mIoU"),
                                             ("segmentation", "seg", "mIoU")])
@pytest.mark.parametrize("coords", [[50, 50, 10, 10], [50, 10, 10, 50]])
def test_a_reversed_box_in_objects_is_put_in_order_in_every_script(tmp_path, script, task, key, coords):
    """It was a hit in detection (its enclosing box) and IoU 0 in grounding and segmentation, unsaid."""
    got = run(tmp_path, script, [record("a", task, [SHIP])],
              [{"id": "a", "answer": "", "objects": [{**SHIP, "coords": coords}]}])
    assert got[key] > 0.98 and got["n_partially_parsed"] == 1 and got["n_unparseable"] == 0


def test_a_mask_array_of_another_size_is_unparseable_and_says_the_sizes(tmp_path):
    """A half-resolution mask was scored as if it lay in the top-left quarter of the image."""
    half = np.zeros((50, 50), bool)
    half[:25, :25] = True  # the reference's 0..50 square at half resolution
    got = run(tmp_path, "segmentation", [record("a", "seg", [SHIP | {"coords": [0, 0, 50, 50]}])],
              [{"id": "a", "answer": "", "objects": [{"kind": "mask", "mask": half.tolist()}]}])
    assert got["n_unparseable"] == 1
    assert any("50x50 pixels, the image 100x100" in n for n in got["notes"])


def test_a_mask_crop_with_an_offset_is_placed_there(tmp_path):
    crop = np.ones((40, 40), bool)
    got = run(tmp_path, "segmentation", [record("a", "seg", [SHIP])],
              [{"id": "a", "answer": "", "objects": [{"kind": "mask", "mask": crop.tolist(), "offset": [10, 10]}]}])
    assert got["n_unparseable"] == 0 and got["mIoU"] > 0.9


# a 4000 px scene: a vehicle 3 px wide has both x corners in bin 250, decoded to zero width
TINY = "<ref>small vehicle</ref><box><loc_250><loc_250><loc_250><loc_252></box><box><loc_100><loc_100><loc_110><loc_110></box>"


def tiny_record(task):
    return {"id": "a", "task": task, "images": [{"path": "a.png", "modality": "optical"}],
            "conversations": [{"from": "human", "value": f"<image>\n[{task}] small vehicles"},
                              {"from": "gpt", "value": TINY}], "meta": {"width": 4000, "height": 4000}}


@pytest.mark.parametrize("given", ["answer", "objects"])
def test_the_reference_itself_scores_full_marks_on_a_box_narrower_than_a_bin(tmp_path, given):
    """A zero-width reference box matched nothing, its own copy included: mAP50 0.25, grounding 0.5."""
    objects = geometry.decode(TINY, 4000, 4000).objects
    pred = {"id": "a", "answer": TINY} if given == "answer" else {"id": "a", "answer": "", "objects": objects}
    det = run(tmp_path, "detection", [tiny_record("det")], [pred])
    ground = run(tmp_path, "grounding", [tiny_record("ground")], [pred])
    seg = run(tmp_path, "segmentation", [tiny_record("seg")], [pred])
    assert det["mAP50"] == pytest.approx(1.0) and det["mAP"] == pytest.approx(1.0)
    assert ground["mIoU"] == pytest.approx(1.0) and ground["acc50"] == 1.0
    assert seg["mIoU"] == 1.0 and seg["n_empty_references"] == 0


def test_one_bin_wide_widens_only_the_zero_extent_about_its_line():
    from eval.regions import one_bin_wide

    line, flat, box = ([100.0, 10.0, 100.0, 30.0], [10.0, 50.0, 30.0, 50.0], [1.0, 2.0, 3.0, 4.0])
    got = [o["coords"] for o in one_bin_wide([{"kind": "box", "coords": c} for c in (line, flat, box)], 4000, 2000)]
    assert got == [[98.0, 10.0, 102.0, 30.0], [10.0, 49.0, 30.0, 51.0], box]


def test_widened_boxes_score_as_pycocotools_scores_them():
    """The COCO path against a direct COCOeval run on the widened boxes (xywh)."""
    import contextlib
    import io

    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    from eval.detection import coco_map
    from eval.regions import one_bin_wide

    gt = one_bin_wide([{"kind": "box", "label": "car", "coords": [100.0, 100.0, 100.0, 112.0]}], 4000, 4000)
    det = one_bin_wide([{"kind": "box", "label": "car", "score": 0.9, "coords": [101.0, 100.0, 101.0, 112.0]}],
                       4000, 4000)
    ours = coco_map([gt], [det], [(4000, 4000)])
    xywh = lambda c: [c[0], c[1], c[2] - c[0], c[3] - c[1]]  # noqa: E731
    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO()
        coco.dataset = {"images": [{"id": 1, "width": 4000, "height": 4000}], "categories": [{"id": 1, "name": "car"}],
                        "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": xywh(gt[0]["coords"]),
                                         "area": 4.0 * 12, "iscrowd": 0}]}
        coco.createIndex()
        dt = coco.loadRes([{"image_id": 1, "category_id": 1, "bbox": xywh(det[0]["coords"]), "score": 0.9}])
        ev = COCOeval(coco, dt, "bbox")
        ev.evaluate(), ev.accumulate(), ev.summarize()
    assert ours["mAP"] == pytest.approx(ev.stats[0]) and ours["mAP50"] == pytest.approx(ev.stats[1]) == 1.0


@pytest.mark.parametrize("fmt", ["rsvlm", "geochat", "falcon"])
@pytest.mark.parametrize("answer", ["[10, 10, 50, 50]", "<|box_start|>(100,100),(500,500)<|box_end|>",
                                    "The ship is at (10, 10, 50, 50)."])
def test_boxes_in_a_form_no_reader_reads_are_pointed_out(tmp_path, fmt, answer):
    """They read as no object, cleanly: a grounding score of 0 without a word."""
    got = run(tmp_path, "grounding", [record("a", "ground", [SHIP])], [{"id": "a", "answer": answer}],
              "--format", fmt)
    assert got["mIoU"] == 0.0 and got["n_unparseable"] == 0
    assert any(n.startswith(f"1 answer read as no object though it holds coordinates in a form the {fmt} reader")
               for n in got["notes"])


@pytest.mark.parametrize("answer", ["There is 1 ship (near the dock).", "None.", "<ref>ship</ref>"
                                    "<box><loc_100><loc_100><loc_500><loc_500></box>"])
def test_answers_without_such_numbers_get_no_such_note(tmp_path, answer):
    got = run(tmp_path, "grounding", [record("a", "ground", [SHIP])], [{"id": "a", "answer": answer}])
    assert not any("read as no object" in n for n in got["notes"])


def test_gzip_predictions_are_read_and_a_gzip_ground_truth_too(tmp_path):
    """Every line of a pred.jsonl.gz was "not UTF-8 text"; a gzip --gt was 'not UTF-8 text at byte 1'."""
    import gzip

    from eval import common

    gt = write(tmp_path / "gt.jsonl", [record("a", "ground", [SHIP])])
    line = json.dumps({"id": "a", "answer": geometry.encode([SHIP], 100, 100)}) + "\n"
    (tmp_path / "pred.jsonl.gz").write_bytes(gzip.compress(line.encode()))
    got = common.load_predictions(tmp_path / "pred.jsonl.gz")
    assert list(got.by_id) == ["a"] and got.n_bad_lines == 0
    (tmp_path / "cut.gz").write_bytes(gzip.compress(line.encode())[:20])
    with pytest.raises(common.ScoreError, match="cut.gz: a gzip file that cannot be decompressed"):
        common.load_predictions(tmp_path / "cut.gz")
    (tmp_path / "gt.jsonl.gz").write_bytes(gzip.compress((tmp_path / "gt.jsonl").read_bytes()))
    assert common.load_gt(tmp_path / "gt.jsonl.gz", ("ground",))[0][0]["id"] == "a"  # read as it is (tour 57b)
    assert common.load_gt(gt, ("ground",))[0][0]["id"] == "a"


BOWTIE = [[10.0, 10.0], [50.0, 10.0], [10.0, 50.0], [50.0, 50.0]]  # SHIP's corners, crossing order


@pytest.mark.parametrize("given", ["answer", "objects"])
def test_an_obb_with_crossed_corners_is_scored_as_the_rectangle_it_names(tmp_path, given):
    """Read as written it was two triangles: grounding IoU 0.5, segmentation IoU 0.5."""
    obb = {"kind": "obb", "label": "ship", "coords": BOWTIE}
    text = "<ref>ship</ref><obb>" + "".join(f"<loc_{int(v * 10)}>" for p in BOWTIE for v in p) + "</obb>"
    pred = {"id": "a", "answer": text} if given == "answer" else {"id": "a", "answer": "", "objects": [obb]}
    ground = run(tmp_path, "grounding", [record("a", "ground", [SHIP])], [pred])
    seg = run(tmp_path, "segmentation", [record("a", "seg", [SHIP])], [pred])
    assert ground["mIoU"] > 0.99 and ground["acc50"] == 1.0 and seg["mIoU"] > 0.99


def test_convex_obbs_leaves_an_obb_in_order_as_it_is():
    from eval.regions import convex_obbs

    ring = [[10.0, 10.0], [50.0, 10.0], [50.0, 50.0], [10.0, 50.0]]
    got = convex_obbs([{"kind": "obb", "coords": ring}, {"kind": "obb", "coords": BOWTIE}])
    assert got[0]["coords"] is ring
    from shapely.geometry import Polygon

    assert Polygon(got[1]["coords"]).is_valid and Polygon(got[1]["coords"]).area == 1600.0


def caption_record(rid, answer, references=None):
    return {"id": rid, "task": "cap", "images": [{"path": f"{rid}.png", "modality": "optical"}],
            "conversations": [{"from": "human", "value": "<image>\n[cap] Describe the image."},
                              {"from": "gpt", "value": answer}],
            "meta": {"width": 100, "height": 100, **({"references": references} if references is not None else {})}}


@pytest.mark.parametrize("references", [["", "A boat in port."], None])
def test_an_empty_reference_gives_a_missing_caption_no_credit(tmp_path, references):
    """An empty reference was the token <missing>, which a missing answer is: ROUGE-L 1.0 for no answer."""
    recs = [caption_record("a", "A ship in a harbour.", references)]
    if references is None:  # a reference of geometry alone has no word either
        recs = [caption_record("a", "<box><loc_1><loc_1><loc_5><loc_5></box>")]
    got = run(tmp_path, "captioning", recs + [caption_record("b", "Trees.")], [{"id": "b", "answer": "Trees."}],
              "--no-java")
    assert got["n_missing"] == 1 and got["ROUGE-L"] == 0.5 and got["BLEU-1"] < 0.5
    assert (references is None) == any("no reference with a word" in n for n in got["notes"])


def test_references_that_are_not_strings_are_an_error_naming_the_record(tmp_path):
    """RSICD-style {"raw": ...} sentences were left out without a word."""
    from eval import common

    recs = [caption_record("a", "A ship.", [{"raw": "a boat in port"}])]
    with pytest.raises(common.ScoreError, match=r"record 'a': meta.references must be a list of strings"):
        run(tmp_path, "captioning", recs, [{"id": "a", "answer": "A ship."}], "--no-java")


def qa_record(rid, answer, task="vqa", question="Is there a ship?"):
    """A one-turn ``task`` record on an optical a.png asking ``question``."""
    return {"id": rid, "task": task, "images": [{"path": "a.png", "modality": "optical"}],
            "conversations": [{"from": "human", "value": f"<image>\n[{task}] {question}"},
                              {"from": "gpt", "value": answer}]}


def vqa_record(rid, answer):
    return qa_record(rid, answer)


def test_llava_and_geochat_answer_files_are_matched_by_question_id_and_read_from_text(tmp_path):
    """Every line of them was 'not an object with an id', and every record missing."""
    recs = [vqa_record("0", "yes"), vqa_record("1", "no"), vqa_record("2", "yes")]
    preds = [{"question_id": 0, "prompt": "Is there a ship?", "text": "Yes", "answer_id": "x", "model_id": "m"},
             {"question_id": "1", "answer": "No.", "ground_truth": "no"},  # GeoChat's batch scripts
             {"id": "2", "question_id": "9", "answer": "yes", "text": "no"}]  # an id and an answer win
    got = run(tmp_path, "vqa", recs, preds)
    assert got["accuracy"] == 1.0 and got["n_missing"] == 0 and got["n_pred_bad_lines"] == 0
    assert any(n.startswith("2 prediction lines have no 'id' and are matched by their 'question_id'")
               for n in got["notes"])
    assert any(n.startswith("1 prediction line has no 'answer' and is scored on its 'text'") for n in got["notes"])


def test_a_size_given_as_text_is_named_in_the_error(tmp_path):
    """It read 'missing or not positive', though the record has a width: the string "512"."""
    from eval import common

    rec = record("a", "ground", [SHIP]) | {"meta": {"width": "512", "height": 512}}
    with pytest.raises(common.ScoreError, match=r"record 'a': .* \(got '512' x 512\)"):
        run(tmp_path, "grounding", [rec], [{"id": "a", "answer": "None."}])


def _closed_stdout(args, cwd):
    """Run ``python -m ARGS`` with stdout a pipe closed before it writes (``… | head -0``)."""
    import subprocess
    import sys
    from pathlib import Path

    repo = Path(__file__).resolve().parents[1]
    proc = subprocess.Popen([sys.executable, "-m", *args], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={"PYTHONPATH": str(repo), "PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1"})
    proc.stdout.close()
    return proc.wait(timeout=60), proc.stderr.read().decode()


def test_scores_and_reports_are_written_when_stdout_is_piped_into_head(tmp_path):
    """The table was printed before --out was written: stdout closed under it, the scores were lost
    behind 'error: [Errno 32] Broken pipe' (exit status 2)."""
    recs = [vqa_record(str(i), "yes") | {"meta": {"qtype": f"question type {i}"}} for i in range(300)]  # > 8 KiB out
    gt = write(tmp_path / "gt.jsonl", recs)
    pred = write(tmp_path / "pred.jsonl", [{"id": r["id"], "answer": "yes"} for r in recs])
    rc, err = _closed_stdout(["eval.vqa", "--gt", gt, "--pred", pred, "--out", "s/vqa.json"], tmp_path)
    assert (rc, err) == (0, "") and json.loads((tmp_path / "s/vqa.json").read_text())["accuracy"] == 1.0
    rc, err = _closed_stdout(["eval.report", "--dir", "s", "--out", "r.md"], tmp_path)
    assert (rc, err) == (0, "") and (tmp_path / "r.md").is_file() and (tmp_path / "r.json").is_file()


def cls_record(rid, answer):
    return qa_record(rid, answer, "cls", "What is the damage level?")


def test_a_class_whose_name_starts_with_no_is_not_the_answer_no(tmp_path):
    """xBD's no-damage was folded to "no" as a VQA answer is: "No." and "Nope" were right, the class read "no"."""
    recs = [cls_record("a", "no-damage"), cls_record("b", "no-damage"), cls_record("c", "destroyed")]
    preds = [{"id": "a", "answer": "No damage."}, {"id": "b", "answer": "No."}, {"id": "c", "answer": "destroyed"}]
    got = run(tmp_path, "classification", recs, preds)
    assert got["n_correct"] == 2 and got["per_class_accuracy"] == {"destroyed": 1.0, "no damage": 0.5}
    assert got["confusion_matrix"]["no damage"] == {"no damage": 1, "(other)": 1}


def test_a_vqa_reference_that_begins_with_no_is_not_a_no(tmp_path):
    """RescueNet's damage answers: "no damage" was folded to "no", so the answer "No." was right."""
    recs = [vqa_record("a", "no damage"), vqa_record("b", "no damage"), vqa_record("c", "No, there is none."),
            vqa_record("d", "yes it is"), vqa_record("e", "no")]
    preds = [{"id": "a", "answer": "No."}, {"id": "b", "answer": "No damage"}, {"id": "c", "answer": "no"},
             {"id": "d", "answer": "Yes."}, {"id": "e", "answer": "No damage here."}]
    got = run(tmp_path, "vqa", recs, preds)
    assert got["n_correct"] == 4 and got["accuracy"] == 0.8  # all but "a"


def test_a_llava_answers_file_given_as_ground_truth_is_named_as_predictions(tmp_path):
    from eval import common

    path = write(tmp_path / "answers.jsonl", [{"question_id": 0, "prompt": "Is there a ship?", "text": "Yes"}])
    with pytest.raises(common.ScoreError, match="holds predictions .* are --gt and --pred swapped"):
        common.load_gt(path, ("vqa",))


@pytest.mark.parametrize("offset", [["a", 0], [1], [float("nan"), 0], 5])
@pytest.mark.parametrize("script,task", [("segmentation", "seg"), ("change", "change")])
def test_a_mask_offset_that_is_no_pair_of_numbers_is_unparseable_not_fatal(tmp_path, offset, script, task):
    """It stopped the whole scoring at that record ('cannot rasterise', exit 2)."""
    crop = np.ones((10, 10), bool).tolist()
    got = run(tmp_path, script, [record("a", task, [SHIP]), record("b", task, [SHIP])],
              [{"id": "a", "answer": "", "objects": [{"kind": "mask", "mask": crop, "offset": offset}]},
               {"id": "b", "answer": geometry.encode([SHIP], 100, 100)}])
    nan = isinstance(offset, list) and any(v != v for v in offset)  # a NaN literal: an unreadable line (stop 80)
    assert (got["n_unparseable"], got["n_pred_bad_lines"]) == ((0, 1) if nan else (1, 0)) and got["n_records"] == 2


def test_grounding_iou_of_turned_shapes_is_shapelys_and_the_hand_computed_one(tmp_path):
    """A diamond inscribed in the reference box: IoU 800 / 1600 by hand; a GeoChat box turned 45°: shapely's."""
    from shapely.affinity import rotate
    from shapely.geometry import box as sbox

    x1, y1, x2, y2 = geometry.decode(geometry.encode([SHIP], 100, 100), 100, 100).objects[0]["coords"]  # bin centres
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    diamond = {"kind": "obb", "coords": [[cx, y1], [x2, cy], [cx, y2], [x1, cy]]}
    got = run(tmp_path, "grounding", [record("a", "ground", [SHIP])], [{"id": "a", "answer": "", "objects": [diamond]}])
    assert got["mIoU"] == pytest.approx(0.5)
    turned = run(tmp_path, "grounding", [record("a", "ground", [SHIP])], [{"id": "a", "answer": "{<10><10><50><50>|45}"}],
                 "--format", "geochat")
    ref = sbox(x1, y1, x2, y2)
    want = ref.intersection(rotate(sbox(10, 10, 50, 50), 45)).area / ref.union(rotate(sbox(10, 10, 50, 50), 45)).area
    assert turned["mIoU"] == pytest.approx(want, abs=1e-9) and 0.6 < want < 0.9
