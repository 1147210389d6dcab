"""Stop 70, evaluation small items (area P1): the unparseable predictions past the quoted three are counted, NumPy
numbers in an ``objects`` list are numbers."""

from __future__ import annotations

from conftest import eval_record, write_jsonl


def test_unparseable_predictions_past_the_quoted_ones_are_counted(tmp_path):
    """Three were quoted and the other five went unsaid: a reader took three for all that failed."""
    from eval import counting

    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record(f"c{i}", "count", "[count] How many ships?", "4")
                                             for i in range(9)])
    pred = write_jsonl(tmp_path / "pred.jsonl", [{"id": f"c{i}", "task": "count", "answer": "a few" if i else "4"}
                                                 for i in range(9)])
    s = counting.main(["--gt", gt, "--pred", pred])
    assert s["n_unparseable"] == 8
    quoted = [n for n in s["notes"] if n.startswith("unparseable ")]
    assert [n.split("'")[1] for n in quoted] == ["c1", "c2", "c3"]
    assert "(and 5 more unparseable predictions, not quoted)" in s["notes"]


def test_no_count_of_more_where_every_unparseable_one_is_quoted(tmp_path):
    from eval import counting

    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record(f"c{i}", "count", "[count] How many?", "4") for i in range(3)])
    pred = write_jsonl(tmp_path / "pred.jsonl", [{"id": f"c{i}", "task": "count", "answer": "many"} for i in range(3)])
    s = counting.main(["--gt", gt, "--pred", pred])
    assert s["n_unparseable"] == 3 and not any("more unparseable" in n for n in s["notes"])


def test_numpy_floats_in_objects_built_in_python_are_numbers():
    """A box of np.float32s (read from a tensor or an array) and a float32 score were 'unparseable': regions took
    Python's numbers and NumPy's integers alone (np.float64 passed only as a subclass of float)."""
    import numpy as np

    from eval import detection, regions
    from eval.inputs import Item

    box = np.array([100, 100, 300, 300], dtype=np.float32)  # (4,)
    obj = {"kind": "box", "coords": list(box), "label": "ship", "score": np.float32(0.9)}
    assert regions.object_problem(obj) is None
    corners = [[np.float16(100), np.float16(100)], [300, 100], [300, 300], [100, 300]]
    assert regions.object_problem({"kind": "obb", "coords": corners}) is None
    assert regions.object_problem({"kind": "point", "coords": [np.float32(1), np.float32(2)]}) is None
    mask = {"kind": "mask", "mask": np.ones((2, 2), bool), "offset": [np.float32(1), np.float32(1)]}  # (2, 2)
    assert regions.object_problem(mask) is None and regions.mask_overlap([mask], [mask], 4, 4) == (4, 0, 0)
    assert regions.object_problem({"kind": "mask", "mask": np.ones((2, 2), bool), "offset": [np.float32(1.5), 0]})
    assert regions.object_problem({"kind": "point", "coords": [np.bool_(True), 2]})  # no bool, NumPy's neither
    assert regions.object_problem({"kind": "point", "coords": [np.float32("nan"), 2]})
    rec = eval_record("a", "det", "[det] Detect ships.", "<ref>ship</ref><box><loc_100><loc_100><loc_300><loc_300></box>")
    s = detection.score([Item(rec, {"id": "a", "task": "det", "objects": [obj]}, 0)])
    assert s["n_unparseable"] == 0 and s["mAP50"] > 0.99


def test_numpy_numbers_pass_eval_s_other_checks_as_python_s_do():
    """The record's size, a count answer, difficult indices and a run-length mask's size and counts, given as NumPy
    scalars by a caller building them in Python, were refused as no numbers (image_size: 'not positive numbers (got
    1000 x 1000)')."""
    import numpy as np
    import pytest

    from eval import answers, rle
    from eval.inputs import ScoreError

    assert answers.image_size({"id": "a", "meta": {"width": np.int64(100), "height": np.float32(50)}}) == (100, 50)
    with pytest.raises(ScoreError, match="not positive numbers"):
        answers.image_size({"id": "a", "meta": {"width": 10 ** 400, "height": 5}})  # was OverflowError
    assert answers.number_text(np.int64(7)) == "7" and answers.number_text(np.float32(6.5)) == "6.5"
    assert answers.number_text(np.bool_(True)) is None and answers.number_text(True) is None
    assert answers.number_text(10 ** 30) == "1" + "0" * 30  # an int of any size stays its digits
    assert answers.gt_difficult({"id": "a", "meta": {"difficult": [np.int64(1)]}}, 2) == {1}
    obj, problem = rle.decoded({"size": [np.int64(2), np.int64(2)], "counts": list(np.array([1, 2, 1]))}, 2, 2)
    assert problem is None and obj["mask"].tolist() == [[False, True], [True, False]]


def test_every_eval_script_s_help_gives_each_option_s_default(capsys):
    """--format said 'answer format of the predictions' (no default, no word of what each is), --out not that it is
    optional, loc_error's --batch-size nothing at all and its description ``<loc_N>`` as reST."""
    import importlib

    import pytest

    scripts = ["classification", "vqa", "captioning", "counting", "detection", "grounding", "segmentation", "change"]
    for name in scripts + ["report", "loc_error"]:
        with pytest.raises(SystemExit):
            importlib.import_module(f"eval.{name}").main(["--help"])
        said = " ".join(capsys.readouterr().out.split())
        assert "``" not in said, name
        assert "--out OUT write" in said and "(default: printed only)" in said, name
        if name in scripts:
            assert "geochat {<x><y>...}, falcon <box><x>... (default rsvlm)" in said, name
    assert "records a forward pass (default 16" in said


def test_a_row_of_objects_and_no_answer_is_explained_where_the_script_reads_no_objects(tmp_path):
    """counting (vqa, classification, captioning) scores the answer text: a row of 'objects' alone was unparseable
    with no note of why, the examples skipping any row that gives 'objects'."""
    from eval import counting

    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record("n", "count", "[count] How many ships?", "2")])
    points = [{"kind": "point", "coords": [1, 2]}, {"kind": "point", "coords": [3, 4]}]
    pred = write_jsonl(tmp_path / "pred.jsonl", [{"id": "n", "task": "count", "objects": points}])
    s = counting.main(["--gt", gt, "--pred", pred])
    assert s["n_unparseable"] == 1
    assert ("unparseable 'n': no 'answer', where a counting answer is text; its 'objects' (2) are read by detection, "
            "grounding, segmentation, change alone") in s["notes"]
