"""Tour 60 of evaluation: docs/eval.md's ``rsvlm eval`` part moved to docs/eval-run.md (eval.md was 496
lines), rsvlm/evaluate.py split (476 lines), the stamp's ``unchecked_answers`` once rows are asked again,
records whose ``"task"`` is empty, and what a demanding user tried."""

from __future__ import annotations

import json
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_eval_md_is_short_and_points_to_the_rsvlm_eval_page():
    """eval.md kept growing with rsvlm eval's resume and process notes; they live in eval-run.md, which
    eval.md and the README link, and every relative link of the new page reaches its file."""
    eval_md = (REPO / "docs" / "eval.md").read_text()
    run_md = REPO / "docs" / "eval-run.md"
    assert len(eval_md.splitlines()) < 430
    assert "](eval-run.md)" in eval_md and "## Answering a test set: `rsvlm eval`" in eval_md
    assert "](docs/eval-run.md)" in (REPO / "README.md").read_text()
    text = run_md.read_text()
    assert "## Resuming" in text and "## Several processes" in text and "unchecked_answers" in text
    for target in re.findall(r"\]\(([^)#\s:]+)", text):
        assert (run_md.parent / target).exists(), target


def test_evaluate_is_split_and_its_names_still_import_from_it():
    """rsvlm/evaluate.py had grown to 476 lines: one batch's answering moved to rsvlm.eval_answers, and the
    names callers import from rsvlm.evaluate (tests patch ``evaluate.answer_batch``, which ``run`` calls) are
    the moved ones."""
    from rsvlm import eval_answers, evaluate

    assert len((REPO / "rsvlm" / "evaluate.py").read_text().splitlines()) < 430
    for name in ("answer_batch", "prompt_of", "tagged_record", "put_answer", "scored_objects", "grammar_problem"):
        assert getattr(evaluate, name) is getattr(eval_answers, name), name
    assert callable(evaluate.run) and callable(evaluate.main) and callable(evaluate.inputs_digest)


def _stamped_run(tmp_path, monkeypatch):
    """A model folder, a test set of 3 cls records, and ``eval(out)``: rsvlm eval's main up to the model's loading,
    returning the stamp it would write."""
    from conftest import eval_record, write_jsonl

    from rsvlm import evaluate
    from rsvlm.cli import main

    model = tmp_path / "model"
    model.mkdir()
    (model / "config.yaml").write_text("{}\n")
    data = write_jsonl(tmp_path / "test.jsonl", [eval_record(f"r{i}", "cls", "[cls] What scene?", "lake")
                                                  for i in range(3)])
    stamps = []
    monkeypatch.setattr(evaluate, "_answer", lambda args, rank, world, device, model_dir, stamp, *a: stamps.append(
        stamp) and 0)

    def eval_(out):
        assert main(["eval", "--data", data, "--out", str(out), "--model", str(model)]) == 0
        return stamps[-1]

    return data, eval_


def test_a_carried_unchecked_count_drops_by_the_rows_asked_again(tmp_path, monkeypatch, capsys):
    """A stamp an older rsvlm eval wrote (before rows carried an asked_digest) carries unchecked_answers; this
    rsvlm asks every row without a digest again, yet the stamp it wrote kept the old count, so the scorers said
    "2 answer(s) ... were there before" of a file whose every answer was new."""
    from conftest import write_jsonl

    from rsvlm.evaluate import tagged_record
    from rsvlm.predictions import asked_digest, stamp_path

    data, eval_ = _stamped_run(tmp_path, monkeypatch)
    fresh = eval_(tmp_path / "none.jsonl")  # this model's and options' stamp
    assert "unchecked_answers" not in fresh
    recs = [tagged_record(json.loads(line))[0] for line in Path(data).read_text().splitlines()]
    out = tmp_path / "p.jsonl"
    for carried, rows, left in [(2, [0, 1], None), (3, [0], 2)]:  # ids of the rows without a digest
        write_jsonl(out, [{"id": r["id"], "task": "cls", "answer": "old",
                           **({} if i in rows else {"asked_digest": asked_digest(r)})} for i, r in enumerate(recs)])
        stamp_path(out).write_text(json.dumps({**fresh, "unchecked_answers": carried}))
        assert eval_(out).get("unchecked_answers") == left, carried
        assert "warning" not in capsys.readouterr().err  # stamped: nothing to warn of


def test_an_empty_task_is_no_task_of_its_own(tmp_path, capsys):
    """A prediction whose "task" is "" was tallied as another tool's task under the key "" (n_pred_other_task
    {"": 1}, "name a task that is no rsvlm task ({'': 1})"): blank names no task, as null does. A ground-truth
    record whose "task" is "" is malformed (DESIGN.md: a task is one of the tags' tasks; free chat has none, by
    leaving it out): skipped and counted as any malformed record is (stop 76); here one of two records, half the
    file, so the scorer refuses it naming the line."""
    import pytest
    from conftest import eval_record, write_jsonl

    from eval import classification
    from rsvlm.data.records import RecordError

    recs = [eval_record("a", "cls", "[cls] What scene?", "lake"), eval_record("b", "cls", "[cls] What scene?", "lake")]
    gt = write_jsonl(tmp_path / "gt.jsonl", recs)
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "a", "task": "", "answer": "lake"},
                                              {"id": "b", "task": "referring", "answer": "lake"}])
    s = classification.main(["--gt", gt, "--pred", pred])
    assert s["n_pred_other_task"] == {"referring": 1} and s["accuracy"] == 1.0
    assert "({'referring': 1})" in capsys.readouterr().out
    bad = write_jsonl(tmp_path / "bad.jsonl", [recs[0], {**recs[1], "task": ""}])
    with pytest.raises(RecordError, match=r"bad.jsonl:2 \(id b\): field 'task': '' is not one of"):
        classification.main(["--gt", bad, "--pred", pred])


def test_objects_the_scorers_cannot_read_get_no_note_about_how_they_score(tmp_path, capsys):
    """An 'objects' list with one object the scorers refuse (a string coordinate) is unparseable as a whole, none
    of it scored; yet its other shapes were noted as lying outside the image ("they score as misses"), as
    normalised coordinates, and as "'objects' is what is scored" against the answer's count."""
    from conftest import eval_record, write_jsonl

    from eval import detection, segmentation

    box = "<ref>ship</ref><box><loc_100><loc_100><loc_300><loc_300></box>"
    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record("d", "det", "[det] Detect ships.", box),
                                             eval_record("s", "seg", "[seg] The ship.", "<ref>ship</ref><poly><loc_100>"
                                                         "<loc_100><loc_300><loc_100><loc_300><loc_300></poly>")])
    bad = {"kind": "box", "label": "ship", "coords": ["a", 1, 2, 3]}
    pred = write_jsonl(tmp_path / "p.jsonl", [
        {"id": "d", "task": "det", "answer": "", "objects": [bad, {"kind": "box", "label": "ship",
                                                                    "coords": [5000, 5000, 6000, 6000]}]},
        {"id": "s", "task": "seg", "answer": "", "objects": [bad, {"kind": "poly", "coords": [[0, 0], [1, 0], [1, 1]]}]}])
    for script, rid in ((detection, "d"), (segmentation, "s")):
        s = script.main(["--gt", gt, "--pred", pred])
        notes = " ".join(s["notes"])
        assert s["n_unparseable"] == 1 and f"unparseable '{rid}'" in notes
        for wrong in ("wholly outside", "lies in [0, 1]", "another count"):
            assert wrong not in notes, (rid, wrong)
    # a list the scorers read still gets them
    write_jsonl(tmp_path / "p.jsonl", [{"id": "d", "task": "det", "answer": box, "objects": [
        {"kind": "box", "label": "ship", "coords": [5000, 5000, 6000, 6000]}, {"kind": "box", "coords": [1, 1, 9, 9]}]}])
    notes = " ".join(detection.main(["--gt", gt, "--pred", pred])["notes"])
    assert "2 predicted objects" not in notes and "lies wholly outside its image" in notes and "another count" in notes


def test_missing_repeated_and_foreign_ids_are_named_not_only_counted(tmp_path, capsys):
    """A predictions file missing a record, repeating an id and answering an id the ground truth lacks: the notes
    said "1 prediction(s) repeat an id" and "1 prediction(s) name no record of the ground truth" without saying
    which, and a missing record was only a table count; the first of each is named, and kept in the score file."""
    from conftest import eval_record, write_jsonl

    from eval import classification

    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record(i, "cls", "[cls] What scene?", "lake") for i in "abc"])
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "a", "task": "cls", "answer": "lake"},
                                              {"id": "b", "task": "cls", "answer": "lake"},
                                              {"id": "b", "task": "cls", "answer": "lake"},
                                              {"id": "zz", "task": "cls", "answer": "lake"}])
    s = classification.main(["--gt", gt, "--pred", pred])
    assert s["first_ids"] == {"n_missing": "c", "n_pred_duplicate_ids": "b", "n_pred_not_in_gt": "zz"}
    out = capsys.readouterr().out
    assert "note: 1 record has no prediction, scored as wrong; first: c" in out
    assert "note: 1 prediction repeats an id (the first one counts); first: b" in out
    assert "note: 1 prediction names no record of the ground truth; first: zz" in out
    write_jsonl(tmp_path / "p.jsonl", [{"id": "zz", "task": "cls", "answer": "lake"}])  # every one missing: said once
    classification.main(["--gt", gt, "--pred", pred])
    assert "no prediction, scored as wrong" not in capsys.readouterr().out


def test_an_empty_ground_truth_file_is_called_so(tmp_path):
    """An empty --gt said "no records of task cls (found none)", as if records of other tasks might be there."""
    import pytest
    from conftest import write_jsonl

    from eval import classification
    from eval.common import ScoreError

    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "a", "task": "cls", "answer": "lake"}])
    for text in ("", "\n\n"):
        (tmp_path / "gt.jsonl").write_text(text)
        with pytest.raises(ScoreError, match=r"gt.jsonl: no records of task cls \(found no record at all: an empty file"):
            classification.main(["--gt", str(tmp_path / "gt.jsonl"), "--pred", pred])


def test_a_ground_truth_id_repeated_is_refused_naming_its_line(tmp_path):
    """A --gt whose ids repeat was refused naming only the id ("duplicate record id 'a'"), in a file of thousands."""
    import pytest
    from conftest import eval_record, write_jsonl

    from eval import classification
    from eval.common import ScoreError

    rec = eval_record("a", "cls", "[cls] What scene?", "lake")
    gt = write_jsonl(tmp_path / "gt.jsonl", [rec, eval_record("b", "cls", "[cls] What scene?", "lake"), rec, rec])
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "a", "task": "cls", "answer": "lake"}])
    with pytest.raises(ScoreError, match=r"gt.jsonl: duplicate record id 'a' at \S*gt.jsonl:3 \(2 repeated ids\)"):
        classification.main(["--gt", gt, "--pred", pred])


def test_loc_error_on_a_file_without_a_usable_record_is_a_one_line_error(tmp_path, ckpt):
    """python -m eval.loc_error --data on an empty file (or one of malformed lines) ended in a traceback from the
    training index (ValueError), not main_guard's one line."""
    import pytest

    from eval import loc_error
    from eval.common import ScoreError

    data = tmp_path / "test.jsonl"
    for text in ("", '{"id": "a"}\n'):
        data.write_text(text)
        with pytest.raises(ScoreError, match=r"test.jsonl: no usable record \(.*0 records read"):
            loc_error.main(["--model", str(ckpt), "--data", str(data), "--device", "cpu"])


def test_an_error_row_is_noted_once_with_its_error(tmp_path, capsys):
    """rsvlm eval's error row (an unreadable image) was noted twice: with its error, and again as "unparseable 'a':
    answer '' is empty", which hid the answers that were unparseable for a reason of their own."""
    from conftest import eval_record, write_jsonl

    from eval import classification

    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record(i, "cls", "[cls] What scene?", "lake") for i in "ab"])
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "a", "task": "cls", "answer": "", "error": "a.png: no such file"},
                                              {"id": "b", "task": "cls", "answer": " "}])
    s = classification.main(["--gt", gt, "--pred", pred])
    assert s["n_unparseable"] == 2 and s["n_pred_errors"] == 1
    notes = [n for n in s["notes"] if "'a'" in n or " a:" in n or "(first: a" in n]
    assert len(notes) == 1 and "a.png: no such file" in notes[0], notes
    assert "unparseable 'b': answer ' ' is empty" in s["notes"]


def test_a_rerun_with_nothing_left_to_answer_does_not_load_the_model(tmp_path, monkeypatch, capsys):
    """Rerunning a finished rsvlm eval (to check it, or after its merge) loaded the model (minutes for a 7B one) to
    answer nothing; it loads it only where a record of its share is left to answer."""
    from conftest import finished_eval, write_jsonl

    from rsvlm.cli import main

    argv, out, rows, loads = finished_eval(tmp_path, monkeypatch)
    write_jsonl(out, rows)
    assert main(argv) == 0 and loads == []
    assert "2 of the 2 records were answered by an earlier run" in capsys.readouterr().err
    assert [json.loads(line) for line in out.read_text().splitlines()] == rows
    write_jsonl(out, rows[:1])  # one left: the model is needed
    assert main(argv) == 2 and len(loads) == 1
    assert "stand-in: no model here" in capsys.readouterr().err


def test_a_geometry_answer_to_a_text_question_is_said_so(tmp_path):
    """The bundled model answered a [cls] question with boxes; classification's note called the answer a class
    "'ref large vehicle ref box loc 450 loc 35'" and said no more. Such answers are counted and the first quoted;
    one whose reference holds geometry too is not."""
    from conftest import eval_record, write_jsonl

    from eval import classification, vqa

    box = "<ref>ship</ref><box><loc_1><loc_2><loc_30><loc_40></box>"
    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record("a", "cls", "[cls] What scene?", "lake"),
                                             eval_record("b", "cls", "[cls] What scene?", "lake"),
                                             eval_record("q", "vqa", "[vqa] Where is the ship?", box)])
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "a", "task": "cls", "answer": box},
                                              {"id": "b", "task": "cls", "answer": "lake"},
                                              {"id": "q", "task": "vqa", "answer": box}])
    notes = classification.main(["--gt", gt, "--pred", pred])["notes"]
    assert any(n.startswith("1 answer holds geometry (<loc_N>) where classification asks for text") and
               "(first: a: '<ref>ship</ref><box>" in n for n in notes), notes
    assert not any("hold geometry" in n for n in vqa.main(["--gt", gt, "--pred", pred])["notes"])


def test_python_m_eval_lists_every_script(capsys):
    """``python -m eval`` was "No module named eval.__main__": it lists the scripts, each module of eval/ with a
    main of its own (common's is the scorers' shared one), and points a bare script name to its --help."""
    import subprocess
    import sys

    from eval.__main__ import SCRIPTS, main

    scripts = {p.stem for p in (REPO / "eval").glob("*.py")
               if p.stem not in ("common", "__main__") and re.search(r"^def main\(", p.read_text(), re.M)}
    assert set(SCRIPTS) == scripts
    assert main([]) == 0
    listed = capsys.readouterr().out
    assert all(f"  {name} " in listed for name in SCRIPTS)
    assert main(["detection"]) == 2 and "python -m eval.detection --help" in capsys.readouterr().err
    ran = subprocess.run([sys.executable, "-m", "eval"], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert ran.returncode == 0 and ran.stdout == listed
