"""Stop 72, evaluation round 2: geometry records without ``meta.width``/``meta.height`` sized from their image (or
left out, counted and named), the programs' error lines, the report's defaults and row names, segmentation's
cache key, and a VQA pair of numbers kept apart by the thousands-comma rule."""

import json

import pytest

from eval import common, detection, grounding
from rsvlm import geometry
from tests.conftest import eval_record, write_jsonl

BOX = "<ref>ship</ref><box><loc_100><loc_200><loc_500><loc_700></box>"


def _unsized(rid: str, task: str, answer: str, image: str | None = None) -> dict:
    """A record of ``task`` without meta's size, its image ``image`` (default ``rid``.png)."""
    rec = eval_record(rid, task, f"[{task}] ship", answer)
    rec.pop("meta")
    rec["images"][0]["path"] = image or f"{rid}.png"
    return rec


def _png(path, w: int, h: int):
    from PIL import Image

    Image.new("RGB", (w, h)).save(path)


def test_a_record_without_meta_size_is_scored_at_its_images_size_and_one_without_an_image_left_out_named(
        tmp_path, capsys):
    """Was: the whole run stopped at the first det record without meta.width ('None.' answered 'None.' too)."""
    _png(tmp_path / "a.png", 200, 100)
    _png(tmp_path / "d.png", 200, 100)
    recs = [_unsized("a", "det", "None."), _unsized("b", "det", "None."), _unsized("d", "det", BOX),
            eval_record("c", "det", "[det] ship", BOX)]
    # d's prediction: pixel objects at the image's 200 x 100 (scored right only at that size, not another)
    objs = [dict(o, score=0.9) for o in geometry.decode(BOX, 200, 100).objects]
    preds = [{"id": "a", "task": "det", "answer": "None."}, {"id": "b", "task": "det", "answer": "None."},
             {"id": "c", "task": "det", "answer": BOX}, {"id": "d", "task": "det", "answer": BOX, "objects": objs}]
    gt, pred = write_jsonl(tmp_path / "gt.jsonl", recs), write_jsonl(tmp_path / "p.jsonl", preds)
    scores = detection.main(["--gt", gt, "--pred", pred])
    assert scores["n_records"] == 3 and scores["n_gt_unsized"] == 1
    assert scores["mAP50"] == pytest.approx(1.0)
    notes = " ".join(scores["notes"])
    assert "2 records have no meta.width/meta.height and are scored at their image's size" in notes
    assert "(first: b (image not found: " in notes and "left out of every score" in notes
    assert "note: 1 record has no meta.width" in capsys.readouterr().out
    from eval import report

    assert report.partial_why(scores) == ("1 record left out, no size to score its geometry at: not the whole "
                                          "set's score")  # eval.report marks its rows (partial)


def test_unsized_records_read_under_image_root_and_none_readable_is_an_error_naming_what_to_do(tmp_path):
    (tmp_path / "imgs").mkdir()
    _png(tmp_path / "imgs" / "a.png", 64, 48)
    recs = [_unsized("a", "ground", BOX)]
    gt = write_jsonl(tmp_path / "gt.jsonl", recs)
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "a", "task": "ground", "answer": BOX}])
    with pytest.raises(common.ScoreError, match=r"gt\.jsonl: 1 record has no meta.width.*none can be scored"
                       r".*--image-root"):
        grounding.main(["--gt", gt, "--pred", pred])
    scores = grounding.main(["--gt", gt, "--pred", pred, "--image-root", str(tmp_path / "imgs")])
    assert scores["n_records"] == 1 and scores["n_gt_unsized"] == 0
    assert any("under --image-root" in n and "scored at its image's size" in n for n in scores["notes"])


def test_counting_reads_no_size_and_keeps_its_records_without_one(tmp_path):
    """Counting reads the count's words alone: a record without meta or image is scored, not left out."""
    from eval import counting

    gt = write_jsonl(tmp_path / "gt.jsonl", [_unsized("a", "count", "3")])
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "a", "task": "count", "answer": "3"}])
    scores = counting.main(["--gt", gt, "--pred", pred])
    assert scores["n_records"] == 1 and scores["accuracy"] == 1.0 and scores["n_gt_unsized"] == 0


# ---------------------------------------------------------------- segmentation's units, keyed by the set's classes


def _seg(rid: str, objects: list[dict]) -> dict:
    rec = eval_record(rid, "seg", "[seg] Segment all.", geometry.encode(objects, 10, 10))
    rec["meta"] = {"width": 10, "height": 10}
    return rec


def _box(x1, y1, x2, y2, label):
    return {"kind": "box", "coords": [x1, y1, x2, y2], "label": label}


def test_segmentation_rescored_against_another_class_set_reads_its_units_afresh():
    """The units were kept per item by format and asked class alone: scored once alone (plane no class of the set),
    then with a record that has plane, the item's plane shape stayed 'no class of the set's references'."""
    from eval import segmentation

    m1 = common.Item(_seg("m1", [_box(0, 0, 5, 5, "ship"), _box(5, 5, 10, 10, "tree")]), None, 0)
    m1.pred = {"id": "m1", "task": "seg", "answer": "", "objects": [
        _box(0, 0, 5, 5, "ship"), _box(5, 5, 10, 10, "tree"), _box(5, 0, 10, 4, "plane")]}
    alone = segmentation.score([m1])
    assert alone["n_pred_objects_unknown_class"] == 1 and "plane" not in alone["per_class_IoU"]
    p1 = common.Item(_seg("p1", [_box(0, 0, 4, 4, "plane")]), {"id": "p1", "task": "seg", "answer": "",
                                                               "objects": [_box(0, 0, 4, 4, "plane")]}, 1)
    segmentation.asked_classes(both := [m1, p1])  # the set now has plane: m1's 20 plane pixels its false positives
    s = segmentation.score(both)
    assert s["n_pred_objects_unknown_class"] == 0
    assert s["per_class_IoU"]["plane"] == pytest.approx(16 / 36)


# ---------------------------------------------------------------- the programs' error lines


def _guarded(monkeypatch, capsys, main, argv) -> str:
    """The last standard-error line of ``main`` run under ``common.main_guard`` with ``argv`` (exit status 2)."""
    monkeypatch.setattr("sys.argv", ["x", *argv])
    with pytest.raises(SystemExit) as e:
        common.main_guard(main)
    assert e.value.code == 2
    return capsys.readouterr().err.strip().splitlines()[-1]


def test_a_missing_gt_or_pred_names_the_program_the_option_and_what_to_give(tmp_path, monkeypatch, capsys):
    """Was "error: records file not found: PATH" (no program, no option, no way on) and "error: predictions file
    not found: PATH"."""
    from eval import classification

    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record("a", "cls", "[cls] What scene?", "lake")])
    said = _guarded(monkeypatch, capsys, classification.main, ["--gt", str(tmp_path / "no.jsonl"), "--pred", gt])
    assert said == (f"python -m eval.classification: error: --gt {tmp_path / 'no.jsonl'}: no such file; give the "
                    "ground-truth records file (the --data that rsvlm eval answered)")
    said = _guarded(monkeypatch, capsys, classification.main, ["--gt", gt, "--pred", str(tmp_path / "p.jsonl")])
    assert said.startswith(f"python -m eval.classification: error: predictions file not found: {tmp_path / 'p.jsonl'}; "
                           "give the answers file that rsvlm eval --data GT.jsonl --out PRED.jsonl wrote"), said


def test_python_m_names_its_script_in_the_error_line(tmp_path):
    """``python -m eval.vqa`` runs its main as ``__main__``: the program is read from the module it was run as."""
    import subprocess
    import sys

    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record("a", "vqa", "[vqa] Is there a ship?", "Yes")])
    got = subprocess.run([sys.executable, "-m", "eval.vqa", "--gt", gt, "--pred", str(tmp_path / "p.jsonl")],
                         capture_output=True, text=True, cwd=str(__import__("pathlib").Path(__file__).parents[1]))
    assert got.returncode == 2 and got.stderr.startswith("python -m eval.vqa: error: predictions file not found"), got


def test_report_of_a_missing_or_empty_dir_names_the_program_and_what_to_do(tmp_path, monkeypatch, capsys):
    """Was "error: --dir X: no such folder" and "error: X: no .json score files"."""
    from eval import report

    said = _guarded(monkeypatch, capsys, report.main, ["--dir", str(tmp_path / "none")])
    assert said == (f"python -m eval.report: error: --dir {tmp_path / 'none'}: no such folder; give the folder the "
                    "scorers' --out files are in (or the files themselves by --scores)")
    (tmp_path / "empty").mkdir()
    said = _guarded(monkeypatch, capsys, report.main, ["--dir", str(tmp_path / "empty")])
    assert said.startswith(f"python -m eval.report: error: --dir {tmp_path / 'empty'}: no .json score files; score "
                           f"predictions into it first (python -m eval.TASK --gt GT --pred PRED --out "
                           f"{tmp_path / 'empty' / 'TASK.json'})"), said
    (tmp_path / "empty" / "notes.json").write_text("{}")
    said = _guarded(monkeypatch, capsys, report.main, ["--dir", str(tmp_path / "empty")])
    assert said.startswith(f"python -m eval.report: error: --dir {tmp_path / 'empty'}: no score files among its "
                           ".json files; score predictions into it first"), said


# ---------------------------------------------------------------- the report: rsvlm eval's defaults, row names


def test_answer_defaults_read_without_a_parse_are_the_parses_and_survive_a_new_required_option(monkeypatch):
    """They were a parse of ``eval --data - --out -``: one more required option of rsvlm eval stopped every report.
    The options a run stamp keeps (ANSWER_OPTIONS, all the report compares), each as a parse gives it."""
    import rsvlm.cli
    from eval import report
    from rsvlm.predictions import ANSWER_OPTIONS

    parsed = vars(rsvlm.cli.build_parser().parse_args(["eval", "--data", "-", "--out", "-"]))
    got = report.answer_defaults()
    assert got == {k: parsed[k] for k in ANSWER_OPTIONS}
    assert (got["missing_bands"], got["max_new_tokens"], got["dtype"], got["tta"]) == ("error", 256, "auto", "none")
    build = rsvlm.cli.build_parser

    def with_required():
        ap = build()
        ap.commands["eval"].add_argument("--split", required=True)
        return ap

    monkeypatch.setattr(rsvlm.cli, "build_parser", with_required)
    assert report.answer_defaults() == got


def _score(path, task="vqa"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"task": task, "gt": "g.jsonl", "pred": "p.jsonl", "headline": ["accuracy"],
                                "accuracy": 0.5, "n_records": 2, "n_missing": 0, "n_unparseable": 0}))
    return str(path)


def test_report_rows_of_unrelated_folders_are_named_by_their_shortest_unique_tail(tmp_path):
    """Named by the path below the folder they share: ``home/u/…/runA/vqa.json`` where that was ``/``."""
    from pathlib import Path

    from eval import report

    a = _score(tmp_path / "one" / "deep" / "er" / "runA" / "vqa.json")
    b = _score(tmp_path / "two" / "runB" / "vqa.json")
    rep = report.main(["--scores", a, b])
    assert [r["source"] for r in rep["metrics"]] == ["runA/vqa.json", "runB/vqa.json"]  # was one/deep/er/runA/…
    assert report.source_labels([Path("/home/u/x/run/vqa.json"), Path("/srv/y/run/vqa.json"),
                                 Path("/srv/z/run2/vqa.json")]) == ["x/run/vqa.json", "y/run/vqa.json", "run2/vqa.json"]
    assert report.source_labels([Path("/w/runA/vqa.json"), Path("/w/runA/det.json"), Path("/w/runB/vqa.json")]) == [
        "runA/vqa.json", "runA/det.json", "runB/vqa.json"]  # several folders: each name keeps its folder


# ---------------------------------------------------------------- VQA: a bracketed pair kept apart


@pytest.mark.parametrize("answer, reference, same", [
    ("(120,340)", "(120, 340)", True),  # a point's coordinates: was 120340 against 120 340
    ("[120,340]", "120 340", True),
    ("(120,340)", "120340", False),
    ("100,200", "100200", True),  # a number written with a thousands comma, as VQA's normalisation reads it
    ("1,000", "1000", True), ("More than 1,000.", "more than 1000", True), ("(1,000,000)", "1000000", True),
    ("1234,567", "1234567", False),  # no thousands grouping (four digits before the comma): two numbers
    ("1,000,5", "10005", False),
])
def test_vqa_thousands_comma_joins_a_number_not_a_bracketed_pair(answer, reference, same):
    from eval.text import normalize_answer, parse_count

    assert (normalize_answer(answer) == normalize_answer(reference)) is same
    if answer.startswith("(120"):
        assert parse_count(answer) == 120  # a pair's first number, as "(120, 340)" reads (was 120340)


def test_a_set_of_no_record_of_the_scripts_task_names_the_scripts_that_score_it(tmp_path):
    """Was "no records of task ground (found {'det': 4})": what it found, not which script scores it."""
    from eval import vqa

    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record("a", "det", "[det] ships", "None."),
                                             eval_record("b", "cls", "[cls] scene?", "lake")])
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "a", "task": "det", "answer": "None."}])
    with pytest.raises(common.ScoreError, match=r"no records of task ground \(found \{'det': 1, 'cls': 1\}\); score "
                       r"them with python -m eval.detection, python -m eval.classification$"):
        grounding.main(["--gt", gt, "--pred", pred])
    gt = write_jsonl(tmp_path / "gt.jsonl", [{**eval_record("a", "det", "ships", "None."), "task": None}])
    with pytest.raises(common.ScoreError, match=r"convert llava rewrites GeoChat's tags and takes --task\)$"):
        vqa.main(["--gt", gt, "--pred", pred])  # no task at all: no script named


def test_report_of_a_missing_scores_file_names_the_option_and_what_to_give(tmp_path, monkeypatch, capsys):
    """Was "error: score file not found: PATH"."""
    from eval import report

    said = _guarded(monkeypatch, capsys, report.main, ["--scores", str(tmp_path / "vqa.json")])
    assert said == (f"python -m eval.report: error: --scores {tmp_path / 'vqa.json'}: no such file; give the --out "
                    "JSON that python -m eval.TASK wrote, or --dir the folder of them")
