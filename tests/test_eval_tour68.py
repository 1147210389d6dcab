"""Stop 68's tour of the scoring scripts and rsvlm eval's input checks."""

from __future__ import annotations

import gzip
import json

import pytest
from conftest import eval_record, write_jsonl


@pytest.mark.parametrize("how", ["array", "bom", "utf16", "gzip", "llava_text"])
def test_predictions_are_told_by_one_rule_for_rsvlm_eval_and_the_scorers(tmp_path, capsys, how):
    """rsvlm eval's --data check and the scorers' swapped-file check told a predictions file by two rules: the first
    missed a JSON array of predictions and LLaVA's {question_id, text} answers, the second a file opening with a
    byte-order mark (said "field 'conversations': missing"); both read it as predictions now."""
    from eval.inputs import ScoreError, load_gt
    from rsvlm.cli import main

    rows = [{"question_id": "a", "text": "None."}] if how == "llava_text" else [{"id": "a", "task": "det",
                                                                                 "answer": "None."}]
    lines = "".join(json.dumps(r) + "\n" for r in rows)
    path = tmp_path / ("p.jsonl.gz" if how == "gzip" else "p.jsonl")
    if how == "array":
        path.write_text(json.dumps(rows))
    elif how == "bom":
        path.write_bytes(b"\xef\xbb\xbf" + lines.encode())
    elif how == "utf16":
        path.write_text(lines, encoding="utf-16")
    elif how == "gzip":
        path.write_bytes(gzip.compress(lines.encode()))
    else:
        path.write_text(lines)
    assert main(["eval", "--data", str(path), "--model", str(tmp_path / "none"), "--out", str(tmp_path / "o.jsonl")]) == 2
    assert f"--data {path} holds predictions" in capsys.readouterr().err
    with pytest.raises(ScoreError, match="are --gt and --pred swapped?"):
        load_gt(path, ("det",))


def test_loc_error_words_its_image_root_refusal_as_the_scorers_do(tmp_path, capsys):
    """eval.loc_error said "--image-root X is not a folder" of a file, a missing folder and (read as not given)
    nothing of a blank one; it says what the scorers and rsvlm eval say."""
    from eval import loc_error

    data = write_jsonl(tmp_path / "t.jsonl", [eval_record("a", "det", "[det] Find the ships.", "None.")])
    for root, said in (("", "'' names no folder (an unset shell variable?)"), (data, f"{data!r}: a file, not a folder"),
                       (nowhere := str(tmp_path / "nowhere"), f"{nowhere!r}: no such folder")):
        with pytest.raises(SystemExit) as e:
            loc_error.main(["--data", data, "--model", str(tmp_path / "none"), "--image-root", root])
        assert e.value.code == 2 and f"--image-root {said}" in capsys.readouterr().err


@pytest.mark.parametrize("argv, command", [
    (["detection", "--gt", "g.jsonl", "--pred", "my p.jsonl"], "python -m eval.detection --gt g.jsonl --pred 'my p.jsonl'"),
    (["det"], "python -m eval.detection --gt GT.jsonl --pred PRED.jsonl"),  # the task tag: its script
    (["[seg]"], "python -m eval.segmentation --gt GT.jsonl --pred PRED.jsonl"),
    (["loc-error"], "python -m eval.loc_error --model DIR --data TEST.jsonl"),
    (["--gt", "g.jsonl"], "python -m eval.TASK --gt g.jsonl"),  # no script named
    (["eval/detection.py"], "python -m eval.detection --gt GT.jsonl --pred PRED.jsonl"),  # the script's path
    (["common"], "'common' names eval/common.py, a library module with no command line: what the scoring scripts "
                 "share"),  # was "'common' is no script"
])
def test_python_m_eval_with_a_space_says_what_to_run(capsys, argv, command):
    """``python -m eval detection --gt … --pred …`` (a space for the dot) said "'detection' is no option" and named
    the script's --help only; a task tag (``det``), a script's path or an option first was "no option" alone. Each
    now gets the command to run, its own words kept, and a library module (``common``) is named as one (still
    refused: status 2)."""
    from eval.__main__ import main

    assert main(argv) == 2
    assert command in capsys.readouterr().err


def test_answers_scored_on_what_could_be_read_are_said_why(tmp_path):
    """n_partially_parsed counted answers with parse problems without a word of what they were: a tool's boxes in
    COCO's [x, y, width, height] (read as corners, reversed where width < x, scored as slivers) showed as a low
    score and a count. A note quotes the first and asks about the box form."""
    from eval import grounding

    ref = "<ref>ship</ref><box><loc_100><loc_200><loc_300><loc_400></box>"
    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record(i, "ground", "[ground] Where is the ship?", ref) for i in "ab"])
    pred = write_jsonl(tmp_path / "p.jsonl", [
        {"id": "a", "objects": [{"kind": "box", "coords": [100.5, 200.5, 200, 200]}]},  # x, y, w, h
        {"id": "b", "answer": ref + "<box><loc_1><loc_2></box>"}])  # a box of 2 locations: dropped
    s = grounding.main(["--gt", gt, "--pred", pred])
    assert s["n_partially_parsed"] == 2
    note = next(n for n in s["notes"] if "scored on what could be read" in n)
    assert note.startswith("2 answers have parse problems") and "first: 'a': object 0: box [100.5, 200.5, 200, 200]" \
        in note and "1 gives 'objects' with a box whose corners come reversed" in note and "[x, y, width, height]" in note


def test_report_notes_stay_out_of_the_markdown_it_prints(tmp_path, capsys):
    """``python -m eval.report --dir scores > report.md`` (no --out: the markdown is printed) opened the markdown with
    "note: … is not an eval score file; left out": the notes go to stderr, the markdown alone to stdout."""
    from eval import counting, report

    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record("a", "count", "[count] How many ships?", "3")])
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "a", "task": "count", "answer": "3"}])
    (scores := tmp_path / "scores").mkdir()
    counting.main(["--gt", gt, "--pred", pred, "--out", str(scores / "count.json")])
    (scores / "report.json").write_text('{"modalities": []}')  # an earlier report's JSON
    capsys.readouterr()
    report.main(["--dir", str(scores)])
    said = capsys.readouterr()
    assert said.out.startswith("# Evaluation report"), said.out[:200]
    assert "note:" not in said.out and "report.json is not an eval score file; left out" in said.err


def test_llava_questions_given_as_predictions_are_said_to_be_questions(tmp_path):
    """LLaVA's question file ({question_id, image, text}, model_vqa's input) given as --pred scored each question
    as its answer, with notes that the lines were read as LLaVA's answers are; a note says they look like the
    questions. model_vqa's answers ({question_id, prompt, text}) get no such note."""
    from eval import classification

    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record(i, "cls", "[cls] What scene?", "lake") for i in "ab"])
    asked = write_jsonl(tmp_path / "q.jsonl", [{"question_id": i, "image": f"{i}.png", "text": "What scene is this?"}
                                               for i in "ab"])
    notes = classification.main(["--gt", gt, "--pred", asked])["notes"]
    assert any(n.startswith("2 of them carry an 'image' and no 'prompt' (first: a: 'What scene is this?')") and
               "LLaVA's question file" in n for n in notes), notes
    answered = write_jsonl(tmp_path / "a.jsonl", [{"question_id": i, "prompt": "What scene?", "text": "lake"}
                                                  for i in "ab"])
    s = classification.main(["--gt", gt, "--pred", answered])
    assert s["accuracy"] == 1 and not any("question file" in n for n in s["notes"])


def test_a_score_file_or_run_stamp_given_as_predictions_is_named(tmp_path, capsys):
    """A score file (eval's own --out) or rsvlm eval's PRED.jsonl.run.json given as --pred (tab completion stops
    there) was "one JSON object, not JSONL" alone; the error says which file it is and what to give."""
    from eval import counting
    from eval.inputs import ScoreError, load_predictions

    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record("a", "count", "[count] How many ships?", "3")])
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "a", "task": "count", "answer": "3"}])
    counting.main(["--gt", gt, "--pred", pred, "--out", str(tmp_path / "count.json")])
    with pytest.raises(ScoreError, match=r"count.json is one JSON object, not JSONL: .*; it is a score file "
                                         r"\(python -m eval.counting's --out\), not predictions"):
        load_predictions(tmp_path / "count.json")
    (tmp_path / "p.jsonl.run.json").write_text(json.dumps({"model": "m", "options": {}}))
    with pytest.raises(ScoreError, match=r"it is rsvlm eval's run stamp of the predictions beside it: give p.jsonl"):
        load_predictions(tmp_path / "p.jsonl.run.json")
