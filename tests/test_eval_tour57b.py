"""Tour 57b of the scoring scripts: gzip ground truth, numeric VQA answers, grounding boxes past the image's
edge, ``eval.loc_error``'s image shuffle, and masks of large scenes scored in the shapes' window."""

from __future__ import annotations

import gzip
import json

import numpy as np
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
    assert "1 record is left out of the shuffled run" in out.err
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


# ----------------------------------------------------------------------------- masks of large scenes


def _random_objects(rng, w, h, n):
    """Shapes as scoring sees them: decoded from the grammar (coordinates on bin centres, where many polygon
    edges cross pixel centres exactly), and pixel-coordinate ones, some past the image's edge."""
    from rsvlm.geometry import grid

    out = []
    for _ in range(n):
        x, y = rng.uniform(-0.1 * w, w), rng.uniform(-0.1 * h, h)
        s = rng.uniform(2, 0.3 * min(w, h))
        kind = rng.choice(["box", "obb", "poly", "grid", "array", "point"])
        if kind == "box":
            o = {"kind": "box", "coords": [x, y, x + s, y + rng.uniform(1, s)]}
        elif kind in ("obb", "poly"):
            ring = [[x + s * np.cos(a), y + s * np.sin(a)] for a in np.sort(rng.uniform(0, 2 * np.pi, 4 if kind == "obb" else 7))]
            o = {"kind": kind, "coords": ring}
        elif kind == "grid":
            m = rng.random((h, w)) < 0.5
            m[:, : int(max(0, x))] = False
            o = {"kind": "mask", "coords": grid.grid_from_mask(m, 16)} if m.any() else {"kind": "point", "coords": [x, y]}
        elif kind == "array":
            o = {"kind": "mask", "mask": rng.random((int(s), int(s))) < 0.5, "offset": [int(x), int(y)]}
        else:
            o = {"kind": "point", "coords": [x, y]}
        out.append({**o, "label": "x"})
    if rng.random() < 0.5:  # through the grammar: what the scripts score for an rsvlm answer
        out = list(geometry.decode(geometry.encode([o for o in out if o["kind"] != "mask"], w, h), w, h).objects)
    return out


@pytest.mark.parametrize("seed", range(6))
def test_mask_overlap_in_bands_counts_what_full_size_masks_count(seed):
    from eval import regions

    rng = np.random.default_rng(seed)
    for _ in range(15):
        w, h = int(rng.integers(20, 400)), int(rng.integers(20, 400))
        gt, pred = _random_objects(rng, w, h, int(rng.integers(0, 4))), _random_objects(rng, w, h, int(rng.integers(0, 4)))
        g, p = regions.to_mask(gt, w, h), regions.to_mask(pred, w, h)  # (h, w) full size, as scored before
        want = (int((g & p).sum()), int((p & ~g).sum()), int((g & ~p).sum()))
        assert regions.mask_overlap(gt, pred, w, h) == want, (w, h, gt, pred)


def test_mask_overlap_is_exact_where_edges_cross_pixel_centres():
    """On a 12000-px side the grammar's coordinates are whole pixels (1002.0000000000001 where decoding rounds),
    and many polygon edges cross rows exactly at pixel centres: a window moved by whole columns put some of
    those pixels on the other side of the edge (6 of 3600 here). Rows only are cut, exactly."""
    from eval import regions

    def poly(x, y, s):
        return {"kind": "poly", "label": "b", "coords": [[x, y], [x + s, y], [x + s, y + s * 0.7], [x, y + s]]}

    # decoded from a 12000 x 12000 scene: an edge of slope 1/3 through pixel centres (1036.5, 1230.5), ...
    gt = [{"kind": "poly", "coords": [[1002.0000000000001, 1206.0], [1038.0, 1206.0], [1038.0, 1230.0],
                                      [1002.0000000000001, 1242.0]]}]
    pred = [{"kind": "poly", "coords": [[1014.0000000000001, 1206.0], [1050.0, 1206.0], [1050.0, 1242.0],
                                        [1014.0000000000001, 1254.0]]}]
    cases = [(gt, pred, 12000, 1400)]
    w, h, rng = 12000, 1200, np.random.default_rng(0)
    for _ in range(8):
        objs = [poly(rng.uniform(0, w - 50), rng.uniform(0, h - 50), rng.uniform(5, 45)) for _ in range(6)]
        objs = list(geometry.decode(geometry.encode(objs, w, h), w, h).objects)
        cases.append((objs[:3], objs[3:], w, h))
    for gt, pred, w, h in cases:
        g, p = regions.to_mask(gt, w, h), regions.to_mask(pred, w, h)  # (h, w)
        assert regions.mask_overlap(gt, pred, w, h) == (int((g & p).sum()), int((p & ~g).sum()), int((g & ~p).sum()))


def test_a_large_scene_with_small_shapes_scores_without_full_size_masks(tmp_path):
    """A 12000 x 12000 record with three small polygons took about 0.5 GB (and 2-5 s) to score."""
    import tracemalloc

    from eval import regions

    def poly(x, y, s=40):
        return {"kind": "poly", "label": "building", "coords": [[x, y], [x + s, y], [x + s, y + s * 0.7], [x, y + s]]}

    n = 12000
    gt, pred = [poly(1000, 1200), poly(1100, 9300)], [poly(1010, 1210), poly(9120, 9290)]
    gt, pred = (list(geometry.decode(geometry.encode(o, n, n), n, n).objects) for o in (gt, pred))
    tracemalloc.start()
    got = regions.mask_overlap(gt, pred, n, n)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 8e6  # bytes; full size: two 144 MB masks and their intersections
    assert got[0] > 0 and got[1] > 0 and got[2] > 0  # the same counts as full size: the test above
    change = run(tmp_path, "change", [record("c", "change", gt, w=n, h=n, subtask="change_seg_building")],
                 [{"id": "c", "answer": geometry.encode(pred, n, n)}])
    assert change["pixels"]["TP"] == got[0] and sum(change["pixels"].values()) == n * n
