"""Stop 71, evaluation round 2 (area F2): a --out name too long, report's and loc_error's --out -, the flat-coords
hint for sequences, and what the tour of eval.report over two runs found."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import eval_record, finished_eval, write_jsonl


def test_eval_out_with_a_name_too_long_is_one_line_naming_out(tmp_path, monkeypatch, capsys):
    """``rsvlm eval --out <300 characters>.jsonl`` ended in a traceback: check_out's ``out.is_dir()`` stat raised
    "File name too long" before ``out_paths.refused`` could say why. A folder name too long in the path too."""
    from rsvlm.cli import main

    argv, _, _, loads = finished_eval(tmp_path, monkeypatch)
    for long in ("a" * 300 + ".jsonl", "b" * 300 + "/p.jsonl"):
        out = str(tmp_path / long)
        assert main([*argv[:-4], "--out", out, *argv[-2:]]) == 2  # argv's own --out replaced
        err = capsys.readouterr().err
        assert err.startswith(f"rsvlm eval: --out {out}: the name ") and "bytes long, more than the" in err, err
        assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert loads == []


def test_report_and_loc_error_out_dash_agree_with_the_scorers(tmp_path, monkeypatch, capfd):
    """``eval.report --out -`` and ``eval.loc_error --out -`` wrote a file named '-' (report a '-.json' beside it)
    while the scorers' ``--out -`` is standard output. loc_error prints its JSON there, once (``--out /dev/stdout``
    printed it twice: two JSON documents in ``> log``); report, whose JSON goes beside its markdown, refuses '-'
    saying why and what to give."""
    import pytest

    import rsvlm.inference
    from eval import loc_error, report, vqa

    monkeypatch.chdir(tmp_path)
    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record("q", "vqa", "[vqa] Is there a ship?", "yes")])
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "q", "task": "vqa", "answer": "yes"}])
    vqa.main(["--gt", gt, "--pred", pred, "--out", "vqa.json"])
    capfd.readouterr()
    with pytest.raises(SystemExit) as e:
        report.main(["--scores", "vqa.json", "--out", "-"])
    err = capfd.readouterr().err
    assert e.value.code == 2 and "--out -: the report is a markdown file and its JSON beside it" in err, err
    assert "without --out the markdown is printed" in err
    monkeypatch.setattr(rsvlm.inference, "load_model", lambda *a, **k: (None, None))
    monkeypatch.setattr(loc_error, "location_errors", lambda *a, **k: {"all": {"n": 3, "mae_bins": 1.5}})
    for out in ("-", "/dev/stdout"):
        assert loc_error.main(["--data", gt, "--out", out]) == 0
        said = capfd.readouterr().out
        assert json.loads(said)["all"] == {"n": 3, "mae_bins": 1.5}, said  # one JSON document
    assert not (tmp_path / "-").exists() and not (tmp_path / "-.json").exists()


def test_a_flat_run_of_numbers_is_told_to_pair_them_as_a_tuple_or_array_too(tmp_path):
    """An obb's or polygon's coords as a flat list of numbers (DOTA's x1 y1 … x4 y4) got the hint to pair them; the
    same numbers as a tuple or a NumPy array (as a Python caller gives them, which the scorers take since stop 71)
    were told only the shape."""
    import numpy as np

    from eval.given_objects import object_problem

    flat = [10, 10, 50, 10, 50, 30, 10, 30]
    for coords in (flat, tuple(flat), np.array(flat), np.array(flat, dtype=np.float32)):
        for kind, shape in (("obb", "4 [x, y] corners"), ("poly", "3 or more [x, y] points")):
            said = object_problem({"kind": kind, "coords": coords})
            assert said == (f"{kind} coords must be {shape} of finite numbers, not a flat list of 8 numbers (DOTA's "
                            "x1 y1 x2 y2 …): pair them, [[x1, y1], [x2, y2], …]"), (type(coords), said)
    assert "flat" not in object_problem({"kind": "obb", "coords": np.array(flat).reshape(2, 4)})  # no run of numbers
    assert object_problem({"kind": "obb", "coords": np.array(flat).reshape(4, 2)}) is None


def test_report_of_two_runs_puts_their_rows_side_by_side_and_marks_a_partial_one(tmp_path, capsys):
    """Two runs' score files given to eval.report were tabled file by file, a run's rows a screen from the other's;
    a --limit run's scores (records with no answer, scored as wrong) were told apart by 'limit=N' in the last
    table's options alone; score files of different test sets stood side by side unsaid. Now each metric's rows of
    the files given are together, a partial file's rows are marked '(partial)' with why under the table (and in the
    JSON), and a task whose files count different records is said not to compare."""
    from eval import report, vqa

    recs = [eval_record(i, "vqa", "[vqa] Is there a ship?", "yes") for i in "abc"]
    gt, small = write_jsonl(tmp_path / "gt.jsonl", recs), write_jsonl(tmp_path / "small.jsonl", recs[:2])
    a = write_jsonl(tmp_path / "a.jsonl", [{"id": i, "task": "vqa", "answer": "yes"} for i in "abc"])
    b = write_jsonl(tmp_path / "b.jsonl", [{"id": i, "task": "vqa", "answer": "no"} for i in "ab"])
    stamp = {"model": "/m", "options": {"max_new_tokens": 24}, "limit": 2}
    (tmp_path / "b.jsonl.run.json").write_text(json.dumps(stamp))
    for run, pred in (("A", a), ("B", b)):
        vqa.main(["--gt", gt, "--pred", pred, "--out", str(tmp_path / run / "vqa.json")])
    rep = report.main(["--scores", str(tmp_path / "A" / "vqa.json"), str(tmp_path / "B" / "vqa.json"),
                       "--out", str(tmp_path / "r.md")])
    md = (tmp_path / "r.md").read_text()
    rows = [line.split("|")[2:4] for line in md.split("## Records")[0].splitlines() if line.startswith("| vqa")]
    assert [(s.strip(), m.strip()) for s, m in rows] == [
        ("A/vqa.json", "accuracy"), ("B/vqa.json (partial)", "accuracy"),
        ("A/vqa.json", "mean_qtype_accuracy"), ("B/vqa.json (partial)", "mean_qtype_accuracy")], md
    why = "1 of 3 records has no answer (rsvlm eval ran with --limit 2), scored as wrong: not the whole set's score"
    assert f"\n- B/vqa.json (partial): {why}\n" in md
    assert rep["partial"] == {"B/vqa.json": why} and [r["partial"] for r in rep["metrics"]] == [False, True] * 2
    assert json.loads((tmp_path / "r.json").read_text())["partial"] == rep["partial"]
    assert rep["notes"] == [] and "do not compare" not in md
    assert report.partial_why({"n_records": 3, "n_missing": 0, "n_pred_errors": 2}) == \
        "2 answered empty on an rsvlm eval error, scored as wrong: not the whole set's score"
    vqa.main(["--gt", small, "--pred", a, "--out", str(tmp_path / "S" / "vqa.json")])
    capsys.readouterr()
    rep = report.main(["--scores", str(tmp_path / "A" / "vqa.json"), str(tmp_path / "S" / "vqa.json")])
    assert rep["notes"] == [f"vqa: the score files count different records (A/vqa.json: 3, S/vqa.json: 2; ground truth "
                            f"{gt}, {small}): they are not one test set's scores and do not compare"]
    assert f"- {rep['notes'][0]}" in capsys.readouterr().out


def test_loc_error_result_says_which_model_data_and_control_it_is_of(tmp_path, monkeypatch, capsys):
    """Two models' loc_error results (or a run and its --shuffle-images control) held only the figures: nothing in
    the JSON said which checkpoint, which records or whether the images were shuffled. Its ``run`` says, the
    weights hashed as rsvlm eval's run stamp does (a checkpoint retrained in the same folder told apart)."""
    import rsvlm.inference
    from eval import loc_error
    from rsvlm.loading import bundled_model_dir

    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record("q", "det", "[det] Detect all ships.", "None.")])
    monkeypatch.setattr(rsvlm.inference, "load_model", lambda *a, **k: (None, None))
    monkeypatch.setattr(loc_error, "location_errors", lambda *a, **k: {"all": {"n": 3, "mae_bins": 1.5}})
    for extra, seed in (([], None), (["--shuffle-images", "3"], 3)):
        assert loc_error.main(["--data", gt, "--tasks", "det,[ground]", "--out", str(tmp_path / "e.json"), *extra]) == 0
        res = json.loads((tmp_path / "e.json").read_text())
        # the JSON is in the file alone, as the scorers' (was printed too: 65 lines of each build's loc_error in its log)
        assert list(res) == ["run", "all"] and capsys.readouterr().out == f"result written to {tmp_path / 'e.json'}\n"
        run = res["run"]
        assert run["model"] == str(bundled_model_dir().resolve()) and run["data"] == str(Path(gt).resolve())
        assert run["tasks"] == ["det", "ground"] and run["shuffle_images"] == seed
        assert set(run["weights"]) >= {"config.yaml", "vision.safetensors"}, run["weights"]


def test_report_names_a_loc_error_result_as_such(tmp_path, capsys):
    """A loc_error result given to eval.report (--scores, or saved into the --dir of score files) was 'not an eval
    score file (no task/headline keys)', as if broken. It is named as loc_error's, which the report does not table;
    in --dir it is left out with that note and not counted among the unreadable files."""
    import pytest

    from eval import common, report, vqa

    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record("q", "vqa", "[vqa] Is there a ship?", "yes")])
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "q", "task": "vqa", "answer": "yes"}])
    scores = tmp_path / "s"
    vqa.main(["--gt", gt, "--pred", pred, "--out", str(scores / "vqa.json")])
    loc = scores / "loc_error.json"
    loc.write_text(json.dumps({"run": {"model": "/m"}, "all": {"n": 4, "mae_bins": 2.0}, "task:det": {"n": 4}}))
    capsys.readouterr()
    said = "python -m eval.loc_error's result, a location error in bins, not a task's score file"
    with pytest.raises(common.ScoreError) as e:
        report.main(["--scores", str(loc), str(scores / "vqa.json")])
    assert str(e.value) == f"{loc}: {said}: the report tables score files alone"
    assert report.main(["--dir", str(scores)])["metrics"][0]["task"] == "vqa"
    err = capsys.readouterr().err
    assert f"note: {loc} is {said}" in err and "left out as no readable score file" not in err, err


def test_loc_error_out_does_not_replace_a_file_that_is_no_loc_error_result(tmp_path, monkeypatch, capsys):
    """``eval.loc_error --out pred.jsonl`` (a slip for err.json) replaced the predictions, hours of rsvlm eval, with
    its JSON; the scorers refuse such an --out. It is refused before the model loads; an earlier result, an empty
    file or a new name is written."""
    import pytest

    import rsvlm.inference
    from eval import loc_error

    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record("q", "det", "[det] Detect all ships.", "None.")])
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "q", "task": "det", "answer": "None."}])
    loads = []
    monkeypatch.setattr(rsvlm.inference, "load_model", lambda *a, **k: loads.append(a) or (None, None))
    monkeypatch.setattr(loc_error, "location_errors", lambda *a, **k: {"all": {"n": 3, "mae_bins": 1.5}})
    with pytest.raises(SystemExit) as e:
        loc_error.main(["--data", gt, "--out", pred])
    assert e.value.code == 2 and loads == [] and json.loads(Path(pred).read_text())["answer"] == "None."
    assert f"--out {pred} is a file that holds no loc_error result" in capsys.readouterr().err
    (tmp_path / "empty.json").write_text("")
    for out in ("e.json", "e.json", "empty.json"):  # new, then its own result again, then an empty file
        assert loc_error.main(["--data", gt, "--out", str(tmp_path / out)]) == 0
        assert json.loads((tmp_path / out).read_text())["all"]["n"] == 3


def test_report_names_the_weights_where_one_checkpoint_folder_answered_with_others(tmp_path, capsys):
    """A checkpoint retrained in its own folder, scored before and after: the report's 'what answered' rows named the
    same model and options, the two runs told apart by their predictions' paths alone. The score file keeps the run
    stamp's weights and, where one folder answered with other weights, the report names a hash of each."""
    from eval import report, vqa

    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record("q", "vqa", "[vqa] Is there a ship?", "yes")])
    weights = {"old": {"config.yaml": "9:aa", "llm/model.safetensors": "5:bb"},
               "new": {"config.yaml": "9:aa", "llm/model.safetensors": "5:cc"}}
    runs = {"a": "old", "b": "new", "c": "old"}
    for run, w in runs.items():
        pred = write_jsonl(tmp_path / f"{run}.jsonl", [{"id": "q", "task": "vqa", "answer": "yes"}])
        stamp = {"model": "/runs/x/final", "weights": weights[w], "options": {"max_new_tokens": 256}, "limit": None}
        (tmp_path / f"{run}.jsonl.run.json").write_text(json.dumps(stamp))
        assert vqa.main(["--gt", gt, "--pred", pred, "--out", str(tmp_path / run / "vqa.json")])["run"]["weights"] == \
            weights[w]
    rep = report.main(["--scores", *(str(tmp_path / run / "vqa.json") for run in runs)])
    models = [r["model"] for r in rep["runs"]]
    assert [m.split(" (weights ")[0] for m in models] == ["/runs/x/final"] * 3 and models[0] == models[2] != models[1]
    assert all(m.endswith(")") and len(m.split(" (weights ")[1]) == 9 for m in models), models
    assert models[1] in capsys.readouterr().out
    one = report.main(["--scores", str(tmp_path / "a" / "vqa.json"), str(tmp_path / "c" / "vqa.json")])
    assert [r["model"] for r in one["runs"]] == ["/runs/x/final"] * 2  # one folder, one set of weights: no hash


def test_report_dir_takes_a_folder_of_scores_for_each_run(tmp_path, capsys):
    """``eval.report --dir runA/scores runB/scores``, the way to compare two runs' score folders, ended 'unrecognized
    arguments': --dir took one folder. It takes several, each file named by its path below their common folder and
    the runs' rows side by side; a folder that is not there is named."""
    import pytest

    from eval import common, report, vqa

    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record("q", "vqa", "[vqa] Is there a ship?", "yes")])
    for run, answer in (("A", "yes"), ("B", "no")):
        pred = write_jsonl(tmp_path / f"{run}.jsonl", [{"id": "q", "task": "vqa", "answer": answer}])
        vqa.main(["--gt", gt, "--pred", pred, "--out", str(tmp_path / run / "scores" / "vqa.json")])
    rep = report.main(["--dir", str(tmp_path / "A" / "scores"), str(tmp_path / "B" / "scores")])
    assert [(r["source"], r["metric"], r["all"]) for r in rep["metrics"]] == [
        ("A/scores/vqa.json", "accuracy", 1.0), ("B/scores/vqa.json", "accuracy", 0.0),
        ("A/scores/vqa.json", "mean_qtype_accuracy", 1.0), ("B/scores/vqa.json", "mean_qtype_accuracy", 0.0)]
    capsys.readouterr()
    with pytest.raises(common.ScoreError, match=f"--dir {tmp_path / 'C'}: no such folder"):
        report.main(["--dir", str(tmp_path / "A" / "scores"), str(tmp_path / "C")])


def test_report_says_a_tasks_files_scored_with_other_settings_do_not_compare(tmp_path, capsys):
    """Captioning scored with --no-java (python's tokenizer, not PTB's) beside one scored with Java, or detection at
    --max-dets 10 beside 100, stood side by side with nothing said, though their figures differ by the setting alone.
    A note under the metrics says so; a run stamp kept among the scores is named as one in --dir, not counted among
    the unreadable files."""
    from eval import detection, report

    box = "<ref>ship</ref><box><loc_100><loc_100><loc_300><loc_300></box>"
    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record("d", "det", "[det] Detect all ships.", box)])
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "d", "task": "det", "answer": box}])
    for run, dets in (("A", "100"), ("B", "10")):
        detection.main(["--gt", gt, "--pred", pred, "--max-dets", dets, "--out", str(tmp_path / run / "det.json")])
    (tmp_path / "B" / "p.jsonl.run.json").write_text(json.dumps({"model": "/m", "weights": {}, "options": {}}))
    capsys.readouterr()
    rep = report.main(["--dir", str(tmp_path / "A"), str(tmp_path / "B")])
    assert rep["notes"] == ["detection: the score files were scored with other settings (A/det.json: max_dets=100, "
                            "B/det.json: max_dets=10): they do not compare"]
    err = capsys.readouterr().err
    assert f"note: {tmp_path / 'B' / 'p.jsonl.run.json'} is rsvlm eval's run stamp of the predictions beside it" in err
    assert "left out as no readable score file" not in err
    assert report.scored_with({"tokenizer": "python", "BLEU-4": 0.1}) == {"tokenizer": "python"}
    assert report.main(["--scores", str(tmp_path / "A" / "det.json")])["notes"] == []


def test_report_says_which_files_were_read_in_another_tools_format(tmp_path):
    """A GeoChat predictions file scored with --format geochat was tabled as 'not recorded', '-': nothing said the
    answers were another tool's, read in its format. The options say --format geochat."""
    from eval import grounding, report

    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record(
        "g", "ground", "[ground] The ship.", "<box><loc_100><loc_150><loc_260><loc_210></box>")])
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "g", "answer": "{<10><15><26><21>|0}"}])
    grounding.main(["--gt", gt, "--pred", pred, "--format", "geochat", "--out", str(tmp_path / "gc.json")])
    grounding.main(["--gt", gt, "--pred", pred, "--out", str(tmp_path / "own.json")])
    rep = report.main(["--scores", str(tmp_path / "gc.json"), str(tmp_path / "own.json")])
    assert [(r["model"], r["options"]) for r in rep["runs"]] == [("not recorded", "--format geochat"),
                                                                ("not recorded", "-")]


def test_report_leaves_out_rsvlm_eval_flag_rows_that_are_zero_in_every_file_of_a_task(tmp_path, capsys):
    """Two runs of six tasks made a counts table of 72 rows, a third of them n_pred_errors, n_pred_cut and
    n_pred_past_context at 0 in every file (the scorers' own tables leave such columns out). A flag's rows stay where
    any file of the task has it, and a line names those left out; the JSON keeps every row."""
    from eval import report, vqa

    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record("q", "vqa", "[vqa] Is there a ship?", "yes")])
    for run, row in (("A", {}), ("B", {"cut": True})):
        pred = write_jsonl(tmp_path / f"{run}.jsonl", [{"id": "q", "task": "vqa", "answer": "yes", **row}])
        vqa.main(["--gt", gt, "--pred", pred, "--out", str(tmp_path / run / "vqa.json")])
    capsys.readouterr()
    rep = report.main(["--dir", str(tmp_path / "A"), str(tmp_path / "B")])
    counts = capsys.readouterr().out.split("## Records")[1].split("## What")[0]
    shown = [line.split("|")[3].strip() for line in counts.splitlines() if line.startswith("| vqa")]
    assert shown == ["n_records"] * 2 + ["n_missing"] * 2 + ["n_unparseable"] * 2 + ["n_pred_cut"] * 2, counts
    assert "- rows left out, 0 in every file of their task: n_pred_errors, n_pred_past_context" in counts
    assert len(rep["counts"]) == 12


def test_scorer_report_and_loc_error_out_with_a_name_too_long_is_a_usage_error_naming_out(tmp_path, capsys):
    """A 300-character --out ended the scorers, eval.report and eval.loc_error with "error: [Errno 36] File name too
    long: 'aaa…'", naming no option; report's --out that fits with its JSON beside it that does not, too."""
    import pytest

    from eval import loc_error, report, vqa

    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record("q", "vqa", "[vqa] Is there a ship?", "yes")])
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "q", "task": "vqa", "answer": "yes"}])
    vqa.main(["--gt", gt, "--pred", pred, "--out", str(tmp_path / "s" / "vqa.json")])
    long = str(tmp_path / ("a" * 300 + ".json"))
    for main, argv, out in ((vqa.main, ["--gt", gt, "--pred", pred], long),
                            (report.main, ["--dir", str(tmp_path / "s")], long + ".md"),
                            (loc_error.main, ["--data", gt], long),
                            (report.main, ["--dir", str(tmp_path / "s")], str(tmp_path / ("b" * 252 + ".md")))):
        capsys.readouterr()
        with pytest.raises(SystemExit) as e:
            main([*argv, "--out", out])
        err = capsys.readouterr().err
        assert e.value.code == 2 and f"error: --out {out}: " in err and "bytes long, more than the" in err, err
        assert "Errno" not in err
    assert "the JSON beside it: the name bbbbbbbbbbbbbbbbbbbb… is 257 bytes long" in err
