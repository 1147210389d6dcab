"""Tour 61 of evaluation: eval/common.py split (483 lines: reading records and answers moved to
eval.answers), the library modules that said nothing on ``python -m eval.NAME --help``, and what a
demanding user tried."""

from __future__ import annotations

import json
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def test_common_is_split_and_its_names_still_import_from_it():
    """eval/common.py was 483 lines, one change short of the 500 limit: what the scripts read from a record
    and a prediction lives in eval.answers, and every name scorers, bench scripts and tests take from
    eval.common is still there, the same object."""
    from eval import answers, common

    assert len((REPO / "eval" / "common.py").read_text().splitlines()) < 400
    for path in (REPO / "eval").glob("*.py"):
        assert len(path.read_text().splitlines()) < 500, path.name
    for name in ("FORMATS", "FORMAT_MARKS", "MISSING", "UNPARSEABLE", "PARTIAL", "OK", "Parsed", "gt_answer", "prompt",
                 "modality", "image_size", "number_text", "not_text", "norm_label", "gt_objects", "gt_difficult",
                 "pred_objects", "single_label_fill"):
        assert getattr(common, name) is getattr(answers, name), name


@pytest.mark.filterwarnings("ignore:.*found in sys.modules:RuntimeWarning")  # run again as __main__, as -m does
def test_library_modules_say_they_have_no_command_line(capsys, monkeypatch):
    """``python -m eval.common --help`` (and notes, flags, inputs...) printed nothing and exited 0, so a user
    could not tell a library module from a script that did nothing: each says what it is and lists the
    scripts, status 2; every module of eval/ is either a script or a library module ``python -m eval`` names."""
    from eval.__main__ import LIBRARY, SCRIPTS, main

    modules = {p.stem for p in (REPO / "eval").glob("*.py")} - {"__init__", "__main__"}
    assert modules == set(SCRIPTS) | set(LIBRARY) and not set(SCRIPTS) & set(LIBRARY)
    for name in LIBRARY:
        monkeypatch.setattr(sys, "argv", [f"eval/{name}.py", "--help"])
        with pytest.raises(SystemExit) as stop:
            runpy.run_module(f"eval.{name}", run_name="__main__")
        assert stop.value.code == 2, name
        said = capsys.readouterr()
        assert said.out == "" and f"eval/{name}.py is a library module with no command line" in said.err, name
        assert "  detection " in said.err and "  vqa " in said.err
    assert main([]) == 0
    listed = capsys.readouterr().out
    assert all(name in listed.split("library modules")[1] for name in LIBRARY), listed


def test_python_m_eval_common_from_a_shell():
    """The same from a shell, as the user typed it."""
    ran = subprocess.run([sys.executable, "-m", "eval.common", "--help"], cwd=REPO, capture_output=True, text=True,
                         timeout=120)
    assert ran.returncode == 2 and "library module" in ran.stderr and "python -m eval.TASK" in ran.stderr


def _record(rid, task, answer, modality="optical", meta=None):
    return {"id": rid, "images": [{"path": f"{rid}.png", "modality": modality}],
            "conversations": [{"from": "human", "value": f"<image>\n[{task}] question?"},
                              {"from": "gpt", "value": answer}],
            "task": task, "meta": {"width": 100, "height": 100, **(meta or {})}}


def _files(tmp_path, recs, preds):
    gt, pr = tmp_path / "gt.jsonl", tmp_path / "p.jsonl"
    gt.write_text("".join(json.dumps(r) + "\n" for r in recs))
    pr.write_text("".join((p if isinstance(p, str) else json.dumps(p)) + "\n" for p in preds))
    return ["--gt", str(gt), "--pred", str(pr)]


def test_a_modality_of_one_caption_scores_its_perfect_answer(tmp_path, capsys):
    """Per modality, CIDEr was computed over the modality's own records: with one record every n-gram is in
    all references, weight log(1/1) = 0, so a perfect caption scored CIDEr 0 in its row (the other rows 10).
    A modality's CIDEr is now its records' CIDEr in the whole set: the rows average to the overall score."""
    from eval import captioning

    caps = ["a large church with a red roof stands beside a road", "many green trees are around a white building",
            "several planes are parked at the airport near the runway", "a river goes through a residential area"]
    recs = [_record(f"c{i}", "cap", c, "sar" if i == 3 else "optical") for i, c in enumerate(caps)]
    preds = [{"id": r["id"], "task": "cap", "answer": r["conversations"][1]["value"]} for r in recs]
    preds[0]["answer"] = "a church beside a road"
    s = captioning.main([*_files(tmp_path, recs, preds), "--no-java"])
    by = s["by_modality"]
    assert by["sar"]["n_records"] == 1 and by["sar"]["CIDEr"] > 1.0
    assert s["CIDEr"] == pytest.approx((by["sar"]["CIDEr"] + 3 * by["optical"]["CIDEr"]) / 4)
    assert by["optical"]["CIDEr"] < by["sar"]["CIDEr"]  # the imperfect answer is optical's


def _count_case(tmp_path):
    recs = [_record(f"n{i}", "count", str(i)) for i in range(3)]
    return _files(tmp_path, recs, [{"id": r["id"], "task": "count", "answer": str(i)} for i, r in enumerate(recs)])


def test_out_into_a_pipe_or_device_is_written_into_not_replaced(tmp_path, capsys):
    """``--out`` went through a temp file and a rename: ``--out /dev/stdout`` or ``/dev/full`` run as root (a
    container) put a regular file in /dev in the device's place (this tour's /dev/full became a score file), and
    a FIFO was replaced the same way. A device, pipe or name under /dev is written into; one that is not there is
    refused before the scoring, and a write that fails names the option."""
    import os
    import stat

    from eval import common, counting

    fifo = tmp_path / "scores.fifo"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # a reader first: the scorer's open does not wait
    try:
        s = counting.main([*_count_case(tmp_path), "--out", str(fifo)])
        got = os.read(reader, 1 << 20).decode()
    finally:
        os.close(reader)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode) and json.loads(got)["accuracy"] == s["accuracy"] == 1.0
    assert common.in_place("/dev/stdout") and common.in_place(fifo) and not common.in_place(tmp_path / "s.json")
    with pytest.raises(common.ScoreError, match=r"--out /dev/rsvlm-no-such\.json: no such device or file"):
        common.out_dir("/dev/rsvlm-no-such.json")
    if Path("/dev/full").exists():  # ENOSPC names no file: the error names the option
        with pytest.raises(common.ScoreError, match=r"--out /dev/full: cannot write to it \(No space left"):
            common.write_out("/dev/full", "{}\n")
    assert not list(tmp_path.glob("*.tmp*"))


def test_out_through_a_link_writes_the_file_it_names(tmp_path, capsys):
    """A link given as ``--out`` (latest.json -> run3/scores.json) was replaced by a regular file, the file it
    named left as it was: the file it names is written, the link stays."""
    from eval import counting

    (tmp_path / "run3").mkdir()
    target, link = tmp_path / "run3" / "scores.json", tmp_path / "latest.json"
    target.write_text("")
    link.symlink_to(target)
    counting.main([*_count_case(tmp_path), "--out", str(link)])
    assert link.is_symlink() and json.loads(target.read_text())["task"] == "counting"


def test_report_refuses_an_out_it_cannot_write_its_json_beside(tmp_path, capsys):
    """``python -m eval.report --out /dev/stdout`` wrote the markdown there and its JSON to a new file
    /dev/stdout.json: a device or pipe is refused, before anything is read."""
    import os

    from eval import counting, report

    counting.main([*_count_case(tmp_path), "--out", str(tmp_path / "count.json")])
    fifo = tmp_path / "report.fifo"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        with pytest.raises(SystemExit) as stop:
            report.main(["--scores", str(tmp_path / "count.json"), "--out", str(fifo)])
    finally:
        os.close(reader)
    assert stop.value.code == 2 and "the JSON is written beside it" in capsys.readouterr().err
    assert not (tmp_path / "report.json").exists()


@pytest.mark.parametrize("obj,why", [
    ({"kind": "box", "coords": [1, 1, 20, 20], "score": "0.9"}, "its score is no finite number"),
    ({"kind": "box", "coords": [1, 1, 20, 20], "score": True}, "its score is no finite number"),
    ({"kind": "rbox", "coords": [1, 1, 20, 20]}, "kind 'rbox' is none of box, point, obb, poly, mask"),
    ({"kind": "box", "coords": [[1, 1], [20, 20]]}, "box coords must be [x1, y1, x2, y2] of finite numbers"),
    ({"kind": "obb", "coords": [1, 1, 20, 20]}, "obb coords must be 4 [x, y] corners of finite numbers"),
])
def test_an_objects_list_it_cannot_score_says_why(obj, why):
    """An ``objects`` entry the scorers refuse was reported as "not a list of {kind, coords[, label, score]} with
    finite coordinates fitting the kind" whatever was wrong: a score given as the string "0.9" sent the user to
    coordinates that were fine. The note says which object and what is wrong with it."""
    from eval import answers, common

    item = common.Item(_record("d", "det", "x"), {"id": "d", "answer": "x", "objects": [{"kind": "point", "coords": [1, 2]},
                                                                                        obj]}, 0)
    parsed = answers.pred_objects(item)
    assert parsed.status == common.UNPARSEABLE and parsed.problems[0].startswith(
        "'objects' is not a list of {kind, coords[, label, score]} (object 1: ") and parsed.problems[0].endswith(why)
    assert answers.pred_objects(common.Item(item.record, {"id": "d", "objects": {"kind": "box"}}, 0)).problems == [
        "'objects' is not a list of {kind, coords[, label, score]}: it is dict {\"kind\": \"box\"}"]


def test_rsvlm_eval_refuses_an_out_that_is_a_pipe(tmp_path):
    """``rsvlm eval --out FIFO`` (or ``/dev/stdout``, to pipe the answers on) hung without a word: it reads its
    --out back to resume, and a pipe with no writer blocks that read. It is refused before the model loads."""
    import os

    data = tmp_path / "test.jsonl"
    data.write_text(json.dumps(_record("a", "cls", "lake")) + "\n")
    fifo = tmp_path / "pred.fifo"
    os.mkfifo(fifo)
    ran = subprocess.run([sys.executable, "-m", "rsvlm.cli", "eval", "--data", str(data), "--out", str(fifo),
                          "--device", "cpu"], cwd=REPO, capture_output=True, text=True, timeout=90)
    assert ran.returncode == 2 and f"--out {fifo} is no regular file" in ran.stderr
    assert not (tmp_path / "pred.fifo.run.json").exists()


def test_predictions_read_from_a_pipe(tmp_path):
    """``--pred <(jq -c … preds.jsonl)`` or ``… | python -m eval.vqa --pred /dev/stdin`` said "predictions file
    not found: /dev/fd/63" of a pipe that was there: a pipe is read once, gzip too, and the scores are the
    file's."""
    import gzip

    recs = [_record(f"q{i}", "vqa", a) for i, a in enumerate(["yes", "no", "3"])]
    preds = [{"id": "q0", "task": "vqa", "answer": "Yes."}, {"id": "q1", "task": "vqa", "answer": "yes"}]
    args = _files(tmp_path, recs, preds)
    for data in ((tmp_path / "p.jsonl").read_bytes(), gzip.compress((tmp_path / "p.jsonl").read_bytes())):
        ran = subprocess.run([sys.executable, "-m", "eval.vqa", *args[:2], "--pred", "/dev/stdin", "--out",
                              str(tmp_path / "s.json")], input=data, cwd=REPO, capture_output=True, timeout=120)
        assert ran.returncode == 0, ran.stderr
        s = json.loads((tmp_path / "s.json").read_text())
        assert (s["n_records"], s["n_missing"], s["accuracy"]) == (3, 1, pytest.approx(1 / 3))
        assert any("read from a pipe (/dev/stdin)" in n for n in s["notes"])


def test_detection_max_dets_keeps_the_headline_map(tmp_path, capsys):
    """``--max-dets 10`` (any value but 100) printed mAP as "-" and wrote null: pycocotools' summarize reads
    mAP at maxDets 100 whatever ``maxDets`` holds. mAP is read at ``--max-dets``; at 100 it is COCO's own."""
    from eval import detection

    boxes = ["<ref>ship</ref><box><loc_100><loc_100><loc_300><loc_300></box>",
             "<ref>ship</ref><box><loc_500><loc_500><loc_700><loc_650></box><box><loc_10><loc_10><loc_90><loc_80></box>"]
    recs = [_record(f"d{i}", "det", b) for i, b in enumerate(boxes)]
    preds = [{"id": "d0", "task": "det", "answer": boxes[0]},
             {"id": "d1", "task": "det", "answer": "<ref>ship</ref><box><loc_500><loc_500><loc_700><loc_650></box>"}]
    args = _files(tmp_path, recs, preds)
    at100 = detection.main(args)
    for n in ("1", "10", "100"):
        s = detection.main([*args, "--max-dets", n])
        assert s["mAP"] == pytest.approx(at100["mAP"]) and 0 < s["mAP"] < 1, n


def test_change_with_no_change_anywhere_is_not_perfect_when_unanswered(tmp_path, capsys):
    """A set (or a modality's row) whose change maps all say "No change." scored F1 = IoU = 1 whatever was
    missing: missing and unparseable answers are empty maps, so none predicted a change, and "none in the
    reference, none predicted" gave 1 with every record missing. It is 1 only where every record was answered."""
    from eval import change

    recs = [_record(f"c{i}", "change", "No change.", mod, {"subtask": "change_seg_poly"})
            for i, mod in enumerate(["sar", "optical", "optical"])]
    answered = [{"id": r["id"], "task": "change", "answer": "No change."} for r in recs]
    s = change.main(_files(tmp_path, recs, answered))
    assert s["F1"] == s["IoU_change"] == 1.0 and s["n_missing"] == 0
    s = change.main(_files(tmp_path, recs, answered[1:]))  # the sar one missing
    assert s["n_missing"] == 1 and s["F1"] == s["IoU_change"] == 0.0
    assert s["by_modality"]["sar"]["F1"] == 0.0 and s["by_modality"]["optical"]["F1"] == 1.0
    assert change.main(_files(tmp_path, recs, []))["F1"] == 0.0  # an empty predictions file


def test_segmentation_none_reference_is_not_matched_by_a_missing_answer(tmp_path, capsys):
    """A reference with no object ("None.") and a missing or unparseable prediction (an empty mask) made a unit
    whose masks were both empty: IoU 1, so an empty predictions file scored gIoU = cIoU = P@0.5 = 1 on such
    records, and counted them as answered empty. It is 1 only where the record was answered."""
    from eval import segmentation

    poly = "<ref>pond</ref><poly><loc_100><loc_100><loc_400><loc_100><loc_400><loc_400></poly>"
    recs = [_record("s0", "seg", "None."), _record("s1", "seg", "None."), _record("s2", "seg", poly)]
    for r in recs:
        r["conversations"][0]["value"] = "<image>\n[seg] Segment the pond."
    preds = [{"id": "s0", "task": "seg", "answer": "None."}, {"id": "s1", "task": "seg", "answer": 7},
             {"id": "s2", "task": "seg", "answer": poly}]
    s = segmentation.main(_files(tmp_path, recs, preds))
    assert (s["n_unparseable"], s["n_empty_references"], s["n_empty_references_answered_empty"]) == (1, 2, 1)
    assert s["gIoU"] == pytest.approx(2 / 3) and s["P@0.5"] == pytest.approx(2 / 3)
    s = segmentation.main(_files(tmp_path, recs[:2], []))  # nothing answered, nothing to find
    assert s["gIoU"] == s["cIoU"] == s["P@0.5"] == 0.0 and s["n_empty_references_answered_empty"] == 0


def test_grounding_none_reference_is_not_matched_by_a_missing_answer(tmp_path, capsys):
    """A grounding reference with no object ("None.", a phrase that names nothing in the scene) and a missing or
    unparseable prediction had "both empty → 1": counted correct, though the docstring said missing is wrong."""
    from eval import grounding

    box = "<ref>the pier</ref><box><loc_100><loc_100><loc_300><loc_300></box>"
    recs = [_record("g0", "ground", "None."), _record("g1", "ground", "None."), _record("g2", "ground", box)]
    preds = [{"id": "g0", "task": "ground", "answer": "None."}, {"id": "g2", "task": "ground", "answer": box}]
    s = grounding.main(_files(tmp_path, recs, preds))
    assert s["n_missing"] == 1 and s["n_correct"] == 2
    assert s["acc50"] == pytest.approx(2 / 3) and s["mIoU"] == pytest.approx(2 / 3)


def test_out_that_holds_predictions_or_a_run_stamp_is_refused(tmp_path, capsys):
    """``--out`` naming an existing file that is no score file (another run's predictions, ``PRED.run.json`` by a
    tab completion's slip) replaced it without a word, and predictions can take hours to make again: refused before
    scoring. A score file, an empty file (``mktemp``) or a new path are written."""
    from eval import counting

    args = _count_case(tmp_path)
    other = tmp_path / "other_pred.jsonl"
    other.write_text('{"id": "n0", "task": "count", "answer": "0"}\n')
    stamp = tmp_path / "p.jsonl.run.json"
    stamp.write_text('{"model": "runs/x/final", "options": {}}\n')
    for path, what in ((other, "predictions, records or another file"), (stamp, "rsvlm eval's run stamp")):
        with pytest.raises(SystemExit) as stop:
            counting.main([*args, "--out", str(path)])
        assert stop.value.code == 2 and f"--out {path} is a file that holds no scores ({what})" in capsys.readouterr().err
    assert other.read_text().startswith('{"id": "n0"') and "runs/x/final" in stamp.read_text()
    out = tmp_path / "s.json"
    out.write_text("")
    counting.main([*args, "--out", str(out)])
    assert counting.main([*args, "--out", str(out)])["accuracy"] == 1.0  # a score file: replaced


def test_report_does_not_replace_a_score_file_with_its_json(tmp_path, capsys):
    """``eval.report --scores scores/count.json --out scores/vqa.md`` wrote its JSON to scores/vqa.json, a score
    file it had not read, without a word: refused, naming it."""
    from eval import counting, report

    counting.main([*_count_case(tmp_path), "--out", str(tmp_path / "count.json")])
    counting.main([*_count_case(tmp_path), "--out", str(tmp_path / "vqa.json")])  # stands for another task's scores
    before = (tmp_path / "vqa.json").read_text()
    with pytest.raises(SystemExit) as stop:
        report.main(["--scores", str(tmp_path / "count.json"), "--out", str(tmp_path / "vqa.md")])
    assert stop.value.code == 2 and f"{tmp_path / 'vqa.json'}, is a score file" in capsys.readouterr().err
    assert (tmp_path / "vqa.json").read_text() == before
    report.main(["--scores", str(tmp_path / "count.json"), "--out", str(tmp_path / "report.md")])
    report.main(["--scores", str(tmp_path / "count.json"), "--out", str(tmp_path / "report.md")])  # its own JSON: again
