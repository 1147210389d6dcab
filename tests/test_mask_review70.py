"""Stop 70, review of area K (mask): a mask offset past float's range is a named refusal, not an OverflowError
mid-scoring, and NumPy integers are numbers to the scorers as they are to the geometry helpers."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import eval_record, write_jsonl

from eval import regions, segmentation
from rsvlm import geometry

HUGE = 10**400  # a JSON integer Python reads whole; float() of it raises OverflowError


def test_an_offset_past_floats_range_is_refused_naming_the_object():
    obj = {"kind": "mask", "mask": np.ones((1, 1), bool), "offset": [HUGE, 0]}
    with pytest.raises(ValueError, match=r"object 0 \(mask\): cannot rasterise: its 'offset' must be \[x, y\]"):
        geometry.objects_to_mask([obj], 3, 3)  # was OverflowError, naming nothing
    assert "two whole numbers" in regions.object_problem(obj)  # was OverflowError in the scorer's check


def test_a_score_or_coordinate_past_floats_range_is_a_note_not_a_crash():
    assert regions.object_problem({"kind": "box", "coords": [0, 0, 1, 1], "score": HUGE}) == "its score is no finite number"
    assert regions.object_problem({"kind": "box", "coords": [0, 0, HUGE, 1]}) is not None


def test_numpy_integers_are_numbers_to_the_scorers_too():
    o = {"kind": "mask", "mask": np.ones((1, 1), bool), "offset": [np.int64(2), np.int64(1)]}
    assert regions.object_problem(o) is None  # was "at an 'offset' of two whole numbers", of whole numbers
    assert regions.mask_overlap([o], [o], 4, 4) == (1, 0, 0)
    assert regions.object_problem({"kind": "box", "coords": [np.int32(0), 0, 2, 2], "score": np.int64(1)}) is None


def test_segmentation_counts_a_prediction_with_a_huge_offset_and_goes_on(tmp_path, capsys):
    w, h = 20, 12
    ans = "<ref>tree</ref><poly><loc_0><loc_0><loc_500><loc_0><loc_500><loc_500><loc_0><loc_500></poly>"
    recs = [eval_record(i, "seg", "[seg] Segment the trees.", ans, width=w, height=h) for i in ("s", "t")]
    gt = write_jsonl(tmp_path / "gt.jsonl", recs)
    good = np.zeros((h, w), int)
    good[:6, :10] = 1
    pred = tmp_path / "p.jsonl"
    lines = [{"id": "s", "task": "seg", "answer": "", "objects": [{"kind": "mask", "label": "tree", "mask": [[1]],
                                                                  "offset": [0, 0]}]},
             {"id": "t", "task": "seg", "answer": "", "objects": [{"kind": "mask", "label": "tree", "mask": good.tolist()}]}]
    text = "\n".join(json.dumps(r) for r in lines).replace('"offset": [0, 0]', f'"offset": [{HUGE}, 0]')
    pred.write_text(text + "\n")
    s = segmentation.main(["--gt", gt, "--pred", str(pred)])
    capsys.readouterr()
    assert s["n_unparseable"] == 1
