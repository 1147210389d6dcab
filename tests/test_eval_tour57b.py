"""Tour 57b of the scoring scripts: gzip ground truth, numeric VQA answers, grounding boxes past the image's
edge, ``eval.loc_error``'s image shuffle, and masks of large scenes scored in the shapes' window."""

from __future__ import annotations

import gzip
import json

import pytest

from rsvlm import geometry

SHIP = {"kind": "box", "label": "ship", "coords": [10.0, 10.0, 50.0, 50.0]}


def record(rid, task, answer, prompt="the ship", w=100, h=100, **meta):
    answer = answer if isinstance(answer, str) else geometry.encode(answer, w, h) if answer else "None."
    return {"id": rid, "task": task, "images": [{"path": f"{rid}.png", "modality": "optical"}],
            "conversations": [{"from": "human", "value": f"<image>\n[{task}] {prompt}"},
                              {"from": "gpt", "value": answer}],
            "meta": {"width": w, "height": h, **meta}}


def write(path, rows, compress=False):
    data = "".join(json.dumps(r) + "\n" for r in rows).encode()
    path.write_bytes(gzip.compress(data) if compress else data)
    return str(path)


def run(tmp_path, script, records, preds, *extra):
    import importlib

    gt = write(tmp_path / "gt.jsonl", records)
    pred = write(tmp_path / "pred.jsonl", preds)
    return importlib.import_module(f"eval.{script}").main(["--gt", gt, "--pred", pred, *extra])


# ----------------------------------------------------------------------------- gzip ground truth


@pytest.mark.parametrize("name", ["gt.jsonl.gz", "gt.jsonl"])  # told by its bytes, not its name
def test_a_gzip_ground_truth_is_read_as_it_is(tmp_path, name, capsys):
    """It was refused ('decompress it first'; before that 'not UTF-8 text at byte 1')."""
    from eval import grounding

    gt = write(tmp_path / name, [record("a", "ground", [SHIP])], compress=True)
    pred = write(tmp_path / "pred.jsonl", [{"id": "a", "answer": geometry.encode([SHIP], 100, 100)}])
    got = grounding.main(["--gt", gt, "--pred", pred])
    assert got["n_records"] == 1 and got["acc50"] == 1.0


def test_records_reader_reads_gzip_and_names_a_cut_one(tmp_path):
    from rsvlm.data.records import RecordError, load_records

    rows = [record("a", "ground", [SHIP]), record("b", "vqa", "Yes.")]
    recs, report = load_records(write(tmp_path / "r.jsonl.gz", rows, compress=True))
    assert [r["id"] for r in recs] == ["a", "b"] and report.n_ok == 2
    arr = tmp_path / "arr.json.gz"  # a LLaVA JSON array, compressed
    arr.write_bytes(gzip.compress(json.dumps(rows).encode()))
    assert [r["id"] for r in load_records(arr)[0]] == ["a", "b"]
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes((tmp_path / "r.jsonl.gz").read_bytes()[:30])
    with pytest.raises(RecordError, match=r"cut.jsonl.gz: a gzip file that cannot be decompressed"):
        load_records(cut, strict=False)


def test_predictions_given_as_a_gzip_gt_are_named_as_predictions(tmp_path):
    from eval import common

    gt = write(tmp_path / "p.jsonl.gz", [{"id": "a", "task": "ground", "answer": "None."}], compress=True)
    with pytest.raises(common.ScoreError, match="are --gt and --pred swapped"):
        common.load_gt(gt, ("ground",))


# ----------------------------------------------------------------------------- VQA: numbers


@pytest.mark.parametrize("reference,answer,right", [
    ("5", "5.0", True), ("5", "five", True), ("5", "5 ships", True), ("5", "There are 5.", True),
    ("Five.", "5", True), ("5.0", "5", True), ("1,204", "1204", True), ("0", "none", True),
    ("5", "6", False), ("5", "many", False), ("5", "5th", False),
    ("5 ships", "5", False), ("2.5", "3", False), ("0m2", "0", False), ("yes", "5", False)])
def test_a_number_reference_reads_the_answer_as_counting_does(tmp_path, reference, answer, right):
    """'5.0' was wrong against '5' (and '5 ships' too), though eval.counting reads both as 5."""
    from eval.text import parse_count

    got = run(tmp_path, "vqa", [record("a", "vqa", reference, prompt="How many ships?")],
              [{"id": "a", "answer": answer}])
    assert got["n_correct"] == int(right)
    if right:  # what counting makes of the same pair
        assert parse_count(answer) == parse_count(reference)


# ----------------------------------------------------------------------------- eval.loc_error


def test_loc_error_does_not_import_torch_to_load():
    """It did, at import: `python -m eval.loc_error --help` took seconds, the other scripts need none."""
    import subprocess
    import sys

    code = "import sys, eval.loc_error; print('torch' in sys.modules)"
    got = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert got.stdout.strip() == "False"


def test_shuffle_leaves_out_a_group_of_one_and_says_so(tmp_path, ckpt, capsys):
    """A modality/task group of one record failed the whole --shuffle-images run ('cannot give the 1 records')."""
    import numpy as np
    from PIL import Image

    from eval import common, loc_error

    rows = [record("g0", "ground", [SHIP]), record("g1", "ground", [{**SHIP, "coords": [20, 20, 60, 60]}]),
            record("d0", "det", [SHIP], prompt="Detect every ship.")]
    for r in rows:
        Image.fromarray(np.full((32, 32, 3), ord(r["id"][1]), dtype=np.uint8)).save(tmp_path / f"{r['id']}.png")
    data = write(tmp_path / "t.jsonl", rows)
    left = []
    assert loc_error.shuffle_images([json.dumps(r) for r in rows], 0, left)[2] is None and left == [(2, "optical/det")]
    with pytest.raises(common.ScoreError, match="cannot give the 1 records"):  # without left_out: as before
        loc_error.shuffle_images([json.dumps(rows[2])], 0)
    loc_error.main(["--data", data, "--model", str(ckpt), "--shuffle-images", "0", "--device", "cpu"])
    out = capsys.readouterr()
    res = json.loads(out.out)
    assert res["all"]["n"] == 8 and "task:det" not in res  # the two ground records, 4 locations each
    assert res["unshuffled"] == {"n": 1, "groups": {"optical/det": 1}, "first": "d0"}
    assert "1 record(s) are left out of the shuffled run" in out.err
    with pytest.raises(common.ScoreError, match="no record can be given another scene's images"):
        loc_error.main(["--data", data, "--model", str(ckpt), "--shuffle-images", "0", "--device", "cpu",
                        "--tasks", "det"])


# ----------------------------------------------------------------------------- grounding: the image's edge


@pytest.mark.parametrize("pred,iou", [
    ({"kind": "box", "coords": [-20.0, 10.0, 50.0, 50.0]}, 1.0),  # reaches past the left edge: 0.71 unclipped
    ({"kind": "box", "coords": [-1e4, 10.0, 50.0, 50.0]}, 1.0),  # far past it
    ({"kind": "obb", "coords": [[-20.0, 10.0], [50.0, 10.0], [50.0, 50.0], [-20.0, 50.0]]}, 1.0),
    ({"kind": "poly", "coords": [[-20.0, 10.0], [50.0, 10.0], [50.0, 50.0], [-20.0, 50.0]]}, 1.0),
    ({"kind": "box", "coords": [0.0, 10.0, 25.0, 50.0]}, 0.5),  # inside the image: as before
    ({"kind": "box", "coords": [-40.0, 10.0, -10.0, 50.0]}, 0.0)])  # wholly outside: no area, still counted
def test_grounding_clips_both_sides_to_the_image(tmp_path, pred, iou):
    """A pixel-coordinate tool's box reaching past the edge lost IoU for the part no one can see."""
    edge = {"kind": "box", "label": "ship", "coords": [0.0, 10.0, 50.0, 50.0]}
    got = run(tmp_path, "grounding", [record("a", "ground", "<box><loc_0><loc_100><loc_499><loc_499></box>")],
              [{"id": "a", "objects": [pred]}])
    assert got["mIoU"] == pytest.approx(iou, abs=0.03) and got["n_pred_objects"] == 1
    from eval import grounding  # the reference as decoded: bins 0..499 of 100 px are 0.05..49.95

    assert grounding.record_iou([edge], [pred], (100, 100))[0] == pytest.approx(iou, abs=1e-9)
