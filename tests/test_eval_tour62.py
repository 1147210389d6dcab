"""Tour 62 of evaluation: predictions files the records reader reads or refuses clearly (a BOM inside, jq --seq),
and what a demanding user tried of the scorers."""

from __future__ import annotations

import json

from conftest import eval_record, write_jsonl


def _count_files(tmp_path, answers):
    """A ground truth of count records a (3), b (0), c (5) and a predictions file of ``answers`` (text, written as is)."""
    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record(r, "count", "[count] How many ships?", a)
                                             for r, a in (("a", "3"), ("b", "0"), ("c", "5"))])
    pred = tmp_path / "p.jsonl"
    pred.write_bytes(answers.encode("utf-8"))
    return ["--gt", gt, "--pred", str(pred)]


def _line(rid, answer):
    return json.dumps({"id": rid, "task": "count", "answer": answer}) + "\n"


def test_a_bom_inside_a_cat_joined_predictions_file_is_read_past(tmp_path):
    """Two predictions files a Windows editor saved (UTF-8 with a BOM) joined by cat: the second file's first line
    opens with a BOM, and was an unreadable line ("Unexpected UTF-8 BOM"), its record scored missing; the records
    reader reads past it, and so do the scorers now."""
    from eval import counting

    s = counting.main(_count_files(tmp_path, "\ufeff" + _line("a", "3") + "\ufeff" + _line("b", "0") + _line("c", "5")))
    assert s["n_pred_bad_lines"] == 0 and s["n_missing"] == 0 and s["accuracy"] == 1.0


def test_jq_seq_predictions_say_what_they_are(tmp_path, capsys):
    """``jq --seq`` output (each line opening with the record separator \\x1e) was three notes of "Expecting value:
    line 1 column 1" and every record missing; the notes now say what the character is and what to give, as the
    records reader does, naming the file and line."""
    from eval import counting

    s = counting.main(_count_files(tmp_path, "".join("\x1e" + _line(r, a) for r, a in (("a", "3"), ("b", "0"), ("c", "5")))))
    assert s["n_pred_bad_lines"] == 3 and s["n_missing"] == 3
    out = capsys.readouterr().out
    assert "p.jsonl:1: not valid JSON" in out and "record separator (\\x1e, jq --seq's): give JSONL (jq -c)" in out


def test_out_warns_of_another_tasks_scores_and_refuses_a_run_stamp_name(tmp_path, capsys):
    """``--out`` naming another task's score file replaced it without a word (a loop over the scripts with one
    --out: captioning's scores lost to counting's): a warning names the file and whose scores they were. A name
    ending .run.json, where none was yet, took the scores, which the next scoring then read as the predictions'
    run stamp: a usage error naming it. The same task's score file is replaced without a warning, as a rerun does."""
    import pytest

    from eval import counting

    args = _count_files(tmp_path, _line("a", "3") + _line("b", "0") + _line("c", "5"))
    out = tmp_path / "scores.json"
    out.write_text(json.dumps({"task": "captioning", "headline": ["CIDEr"], "pred": "cap.jsonl", "gt": "gt.jsonl"}))
    counting.main([*args, "--out", str(out)])
    assert (f"warning: --out {out} held captioning's scores (of cap.jsonl against gt.jsonl): the counting scores "
            "replaced them") in capsys.readouterr().err
    counting.main([*args, "--out", str(out)])
    assert "warning" not in capsys.readouterr().err and json.loads(out.read_text())["task"] == "counting"
    with pytest.raises(SystemExit) as stop:
        counting.main([*args, "--out", str(tmp_path / "p.jsonl.run.json")])
    assert stop.value.code == 2 and "a name ending .run.json is rsvlm eval's run stamp" in capsys.readouterr().err
    assert not (tmp_path / "p.jsonl.run.json").exists()


def test_ptbtokenizers_speed_line_is_not_printed_but_its_errors_are(capfd):
    """Captioning with Java printed "PTBTokenizer tokenized 49 tokens at 346.04 tokens per second." on stderr, from
    the Java process pycocoevalcap starts, in every run (read as a warning); that line is dropped, anything else that
    process writes (a Java error) still reaches stderr."""
    import os

    from eval.captioning import _without_progress_line

    with _without_progress_line():
        os.write(2, b"PTBTokenizer tokenized 49 tokens at 346.04 tokens per second.\nException in thread \"main\"\n")
    assert capfd.readouterr().err == "Exception in thread \"main\"\n"


def test_captioning_with_java_says_nothing_on_stderr(tmp_path, capfd):
    import pytest

    from eval import captioning

    if not captioning.java_available():
        pytest.skip("no Java: PTBTokenizer does not run")
    recs = [eval_record(r, "cap", "[cap] Describe the image.", c) for r, c in (("a", "Ships in a harbour."),
                                                                             ("b", "A dense residential area."))]
    gt = write_jsonl(tmp_path / "gt.jsonl", recs)
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "a", "task": "cap", "answer": "Ships in a port."},
                                              {"id": "b", "task": "cap", "answer": "A residential area."}])
    s = captioning.main(["--gt", gt, "--pred", pred])
    assert s["tokenizer"] == "ptb" and s["n_missing"] == 0
    assert "PTBTokenizer" not in capfd.readouterr().err


def test_a_rank_that_answers_first_leaves_no_answer_of_this_run_counted_unchecked(tmp_path, monkeypatch, capsys):
    """Two processes without a rendezvous (each launched alone with RANK/WORLD_SIZE: the last to finish merges),
    --out holding 2 answers and no run stamp. Rank 1 ran first and answered its share; rank 0, started after,
    counted rank 1's fresh answers with the old ones: unchecked_answers 4, and the scorers said 4 answers "were there
    before" of which 2 were this model's. A rank that finds no stamp writes it before answering, so a later rank
    carries its count: 2, whichever rank runs first."""
    from types import SimpleNamespace

    import numpy as np
    from PIL import Image

    from rsvlm import evaluate
    from rsvlm import inference as inf
    from rsvlm.cli import main
    from rsvlm.predictions import asked_digest, stamp_path

    (model := tmp_path / "model").mkdir()
    (model / "config.yaml").write_text("{}\n")
    recs = [eval_record(f"r{i}", "cls", "[cls] What scene?", "lake") for i in range(6)]
    for r in recs:
        Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / f"{r['id']}.png")
    data = write_jsonl(tmp_path / "test.jsonl", recs)
    monkeypatch.setattr(evaluate, "answer_batch", lambda model, processor, records, *a, **kw: [
        {"id": r["id"], "task": r["task"], "answer": "new"} for r in records])
    monkeypatch.setattr(inf, "load_model", lambda *a, **kw: (None, SimpleNamespace()))
    monkeypatch.setattr(evaluate, "launcher_sync", lambda world: None)
    monkeypatch.setattr(evaluate, "run_stamp", lambda model_dir, args: {"model": str(model_dir), "weights": "w",
                                                                        "options": {}})
    for order in ((0, 1), (1, 0)):
        out = tmp_path / f"p{order[0]}.jsonl"
        write_jsonl(out, [{"id": r["id"], "task": "cls", "answer": "old",
                           "asked_digest": asked_digest(evaluate.tagged_record(r)[0])} for r in recs[:2]])
        said = ""
        for rank in order:
            monkeypatch.setenv("RANK", str(rank))
            monkeypatch.setenv("WORLD_SIZE", "2")
            monkeypatch.setenv("LOCAL_RANK", str(rank))
            assert main(["eval", "--data", data, "--out", str(out), "--model", str(model), "--device", "cpu"]) == 0
            said += capsys.readouterr().err
        # once, by the rank that ran first and wrote the stamp (rank 0 alone said it, then of 4 answers)
        assert said.count(" answers but its p") == 1 and " 2 answers but its p" in said, order
        assert json.loads(stamp_path(out).read_text())["unchecked_answers"] == 2, order
        assert {json.loads(line)["id"] for line in out.read_text().splitlines()} == {r["id"] for r in recs}


def test_a_missing_answer_to_a_count_of_0_is_counted_and_noted(tmp_path, capsys):
    """A missing (or unparseable) answer enters MAE as the answer 0: to a reference count of 0 that is no error, so
    a SAR row of one empty scene, its prediction missing, read MAE 0.0000 beside accuracy 0 with nothing said.
    Accuracy counts it wrong; MAE keeps its rule, and such records are now counted and named in a note."""
    from eval import counting

    s = counting.main(_count_files(tmp_path, _line("a", "3") + _line("c", "I cannot tell.")))
    assert s["n_missing"] == 1 and s["n_unparseable"] == 1 and s["accuracy"] == 1 / 3
    assert s["MAE"] == 5 / 3 and s["n_unanswered_zero"] == 1  # b: missing, its reference 0
    assert "1 missing or unparseable answer is to a reference count of 0 (first: b)" in capsys.readouterr().out


def test_a_dota_style_text_file_as_predictions_says_what_it_is(tmp_path, capsys):
    """The DOTA devkit's results (Task1_ship.txt: image, score, 4 corners) or a DOTA label file given as --pred was
    scored: every record missing, a note of 'Expecting value: line 1 column 1', exit 0. It is an error naming the
    file, what it is and what predictions are; a text file of no such lines keeps the lenient reading."""
    import pytest

    from eval import counting
    from eval.common import ScoreError

    for text, said in [("P0001 0.91 10 10 20 10 20 20 10 20\n", "a DOTA devkit results file"),
                       ("P0001 0.9 10 10 20 20 ship\n", "a DOTA devkit results file"),
                       ("imagesource:GoogleEarth\ngsd:0.146\n10 10 20 10 20 20 10 20 ship 0\n", "a DOTA label file"),
                       ("10 10 20 10 20 20 10 20 small-vehicle 1\n", "a DOTA label file")]:
        with pytest.raises(ScoreError, match=f"p.jsonl is {said} .*not JSONL: predictions are one"):
            counting.main(_count_files(tmp_path, text))
    s = counting.main(_count_files(tmp_path, "hello world\n" + _line("a", "3")))
    assert s["n_pred_bad_lines"] == 1 and s["n_correct"] == 1


def test_a_task_in_capitals_or_as_its_tag_is_read_as_that_task(tmp_path, capsys):
    """A prediction's task "VQA" on a count record was an rsvlm task to one check (any case) and no task to the
    other (exact), so neither noted it; "[count]", the tag, was tallied as another tool's task. Both checks read
    the task in any case with a tag's brackets read past."""
    from eval import counting

    s = counting.main(_count_files(tmp_path, json.dumps({"id": "a", "task": "[count]", "answer": "3"}) + "\n"
                                   + json.dumps({"id": "b", "task": "VQA", "answer": "0"}) + "\n"
                                   + json.dumps({"id": "c", "task": "counting", "answer": "5"}) + "\n"))
    assert s["n_pred_other_task"] == {"counting": 1}
    assert "1 prediction names another task than its record's (first: 'b', a count record answered as VQA)" \
        in capsys.readouterr().out


def test_dota_style_objects_say_how_to_give_them():
    """A polygon as DOTA writes it, a flat [x1, y1, …, x4, y4], was unparseable as "poly coords must be 3 or more
    [x, y] points", and {"poly": [...]} (the shape under its kind's name) as "kind None": each now says what it got
    and how to give it."""
    from eval.regions import object_problem

    flat = [10, 10, 40, 10, 40, 30, 10, 30]
    assert "not a flat list of 8 numbers (DOTA's x1 y1 x2 y2 …): pair them" in object_problem(
        {"kind": "obb", "coords": flat})
    assert "its shape is under 'poly': give {\"kind\": \"poly\", \"coords\": …}" in object_problem({"poly": flat})
    assert object_problem({"kind": "poly", "coords": [[10, 10], [40, 10], [40, 30]]}) is None
    assert object_problem({"kind": "box", "coords": [1, 2, 3]}) == "box coords must be [x1, y1, x2, y2] of finite numbers"


def test_captioning_runs_with_standard_error_closed(monkeypatch):
    """Under `2>&-` Python has no sys.stderr: catching PTBTokenizer's line flushed None, and the scoring stopped
    with status 1 before printing its table. Nothing is caught then."""
    import sys

    from eval.captioning import _without_progress_line

    monkeypatch.setattr(sys, "stderr", None)
    with _without_progress_line():
        ran = True
    assert ran


def test_rsvlm_eval_refuses_an_out_ending_with_a_slash(tmp_path, capsys):
    """``rsvlm eval --out preds/`` (preds missing) wrote a file named preds: evaluate gave check_out ``Path(args.out)``,
    which drops the '/'; --out as typed is refused, naming it, before any model is looked for."""
    from rsvlm.cli import main

    data = write_jsonl(tmp_path / "test.jsonl", [eval_record("r0", "cls", "[cls] What scene?", "lake")])
    typed = f"{tmp_path / 'preds'}/"
    assert main(["eval", "--data", data, "--out", typed, "--model", str(tmp_path / "none"), "--device", "cpu"]) == 2
    err = capsys.readouterr().err
    assert f"--out {typed}: ends with '/', so it names a folder; give a file name in it, e.g. {typed}predictions.jsonl" \
        in err, err
    assert not (tmp_path / "preds").exists()


def test_off_by_one_accuracy_counts_a_missing_answer_wrong_not_as_the_answer_0(tmp_path):
    """The docstring said off_by_one_accuracy is "computed the way MAE is", where a missing answer is the answer 0;
    it counts wrong there, whatever the true count: to a reference of 1 its MAE error is 1, yet it is not "within one"."""
    from eval import counting

    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record(r, "count", "[count] How many ships?", a)
                                             for r, a in (("a", "1"), ("b", "4"))])
    (pred := tmp_path / "p.jsonl").write_text(_line("b", "5"))
    s = counting.main(["--gt", gt, "--pred", str(pred)])
    assert s["MAE"] == 1.0 and s["off_by_one_accuracy"] == 0.5 and s["n_missing"] == 1
    assert "computed the way ``MAE`` is" not in counting.__doc__ and "``off_by_one_accuracy``" in counting.__doc__


def test_predictions_of_no_record_in_capitals_are_still_this_tasks(tmp_path, capsys):
    """Predictions none of whose ids is a record's, their task "COUNT": the note asked "a predictions file of another
    task?", reading the task exactly where the other checks read it, through tokens.task_name (any case, a tag's
    brackets)."""
    from eval import counting

    counting.main(_count_files(tmp_path, json.dumps({"id": "x", "task": "COUNT", "answer": "3"}) + "\n"
                               + json.dumps({"id": "y", "task": "[count]", "answer": "0"}) + "\n"))
    out = capsys.readouterr().out
    assert "though 2 of them are count predictions: the answers to another test set?" in out, out


def test_a_mask_array_without_its_kind_is_told_to_add_the_kind_not_coords():
    """{"mask": [[…]]} lacking "kind" was told to give {"kind": "mask", "coords": …}, though a 2-D 'mask' array is
    read where it is: only "kind": "mask" is missing."""
    from eval.regions import object_problem

    said = object_problem({"mask": [[0, 1], [1, 1]], "offset": [0, 0]})
    assert said.endswith("(its shape is under 'mask': add \"kind\": \"mask\" beside it)"), said
    assert object_problem({"kind": "mask", "mask": [[0, 1], [1, 1]], "offset": [0, 0]}) is None
