"""Tour 75 of eval.report, as a researcher comparing two runs' score folders: runs scored against other ground truth
of as many records, a task one run's folder lacks, and which run a row's score file is of."""

from __future__ import annotations

import json

import pytest
from conftest import eval_record, write_jsonl


def _scored(tmp_path, run: str, refs: dict[str, str], gt_name: str = "gt.jsonl", tasks=("count", "vqa"),
            gt_tasks=None) -> str:
    """``run``/scores/TASK.json for each of ``tasks``, answers "3" to every record of a ground truth of ``gt_tasks``
    (default ``tasks``) whose count references are ``refs`` (id -> answer), written at ``run``/``gt_name``; the
    scores folder."""
    from eval import counting, vqa

    folder = tmp_path / run
    (folder / "scores").mkdir(parents=True)
    recs = [eval_record(i, "count", "[count] How many ships?", a) for i, a in refs.items()]
    recs += [eval_record(f"q{i}", "vqa", "[vqa] Is there a ship?", "yes") for i in refs]
    recs = [r for r in recs if r["task"] in (gt_tasks or tasks)]
    gt = write_jsonl(folder / gt_name, recs)
    pred = write_jsonl(folder / "pred.jsonl", [{"id": r["id"], "task": r["task"], "answer": "3"} for r in recs])
    for task, mod in (("count", counting), ("vqa", vqa)):
        if task in tasks:
            mod.main(["--gt", gt, "--pred", pred, "--out", str(folder / "scores" / f"{task}.json")])
    return str(folder / "scores")


def test_runs_scored_against_other_records_of_as_many_are_said_not_to_compare(tmp_path):
    """runA scored against gt.jsonl, runB against an edited copy of as many records (one reference changed): the
    report set their rows side by side without a word (the only check was the record count). A copy of the same
    ground truth at another path is one test set: no note."""
    from eval import report

    a = _scored(tmp_path, "runA", {"a": "3", "b": "3"})
    b = _scored(tmp_path, "runB", {"a": "3", "b": "4"})
    same = _scored(tmp_path, "runC", {"a": "3", "b": "3"}, gt_name="copy.jsonl")
    digest = json.loads((tmp_path / "runA/scores/count.json").read_text())["gt_digest"]
    assert digest == json.loads((tmp_path / "runC/scores/count.json").read_text())["gt_digest"]
    assert digest != json.loads((tmp_path / "runB/scores/count.json").read_text())["gt_digest"]
    notes = report.main(["--dir", a, b])["notes"]
    assert len(notes) == 1 and notes[0].startswith("counting: the score files were scored against other ground truth")
    assert "runA/scores/count.json: " in notes[0] and "runB/scores/count.json: " in notes[0]
    assert notes[0].endswith("their records differ, so they are not one test set's scores and do not compare")
    assert report.main(["--dir", a, same])["notes"] == []  # vqa's records are alike in all three


def test_a_score_file_without_a_digest_and_other_ground_truth_is_said_unknown(tmp_path):
    """A score file from before the digest cannot tell one test set from another: where the --gt it names differs,
    the report says so, not that they compare; named alike, no note (as before)."""
    from eval import report

    a = _scored(tmp_path, "runA", {"a": "3"}, tasks=("count",))
    b = _scored(tmp_path, "runB", {"a": "3"}, gt_name="other.jsonl", tasks=("count",))
    old = tmp_path / "runB/scores/count.json"
    old.write_text(json.dumps({k: v for k, v in json.loads(old.read_text()).items() if k != "gt_digest"}))
    (note,) = report.main(["--dir", a, b])["notes"]
    assert "runB/scores/count.json: " in note and "other.jsonl (no gt_digest)" in note
    assert "1 score file is from before the scorers kept a digest of the records" in note


def test_a_task_one_run_folder_lacks_is_said_once_for_that_folder(tmp_path):
    """runB's folder had no vqa score file: the report showed runA's vqa rows alone and said nothing; now one note
    for the folder, naming what it lacks (not one per task), and the JSON keeps it."""
    from eval import report

    a = _scored(tmp_path, "runA", {"a": "3"})
    b = _scored(tmp_path, "runB", {"a": "3"}, tasks=("count",))
    rep = report.main(["--dir", a, b])
    assert rep["notes"] == [f"--dir {b} holds no score file of vqa, which another --dir holds: the rows of that task "
                            "have none of this run's scores; score its predictions with python -m eval.vqa to compare"]
    assert rep["notes"][0] in report.to_markdown(rep)
    assert report.main(["--dir", a])["notes"] == []  # one folder: nothing to lack


def test_each_row_names_its_run_where_a_task_is_of_one_run_alone(tmp_path):
    """With runA/scores and runB/scores, runA's vqa.json (runB had none) was labelled ``scores/vqa.json``, the
    shortest tail no other file's ends in, which named no run; every file is now named by its folder's
    distinguishing tail."""
    from eval import report

    a = _scored(tmp_path, "runA", {"a": "3"})
    b = _scored(tmp_path, "runB", {"a": "3"}, tasks=("count",))
    sources = {r["source"] for r in report.main(["--dir", a, b])["metrics"]}
    assert sources == {"runA/scores/count.json", "runA/scores/vqa.json", "runB/scores/count.json"}
    assert report.source_labels([tmp_path / "x/s.json", tmp_path / "x/t.json"]) == ["s.json", "t.json"]


def test_help_says_what_the_report_and_a_scorer_read_write_and_exit_with(capsys):
    """``python -m eval.report --help`` was its docstring's first line alone (nothing of what it reads, of --dir
    comparing runs or of report.json), a scorer's "Score vqa predictions against ground truth." (nothing of where
    they come from or of --out's JSON for the report)."""
    from eval import report, vqa

    for main in (report.main, vqa.main):
        with pytest.raises(SystemExit) as e:
            main(["--help"])
        assert e.value.code == 0
    said = " ".join(capsys.readouterr().out.split())
    assert "Gather the score files of python -m eval.TASK (their --out JSON)" in said
    assert "--out report.md writes report.json beside it. Exit status 2" in said
    assert "Score vqa predictions (rsvlm eval's --out, or another tool's by --format)" in said
    assert "writes every score and note to --out as JSON for python -m eval.report" in said


def test_ground_truth_records_of_a_task_no_file_scores_are_said(tmp_path):
    """A report of the counting scores of a set that holds vqa records too said nothing of them; now a note names
    the set, the count by task and the script, and none where every task is scored."""
    from eval import report

    a = _scored(tmp_path, "runA", {"a": "3", "b": "3"}, tasks=("count",), gt_tasks=("count", "vqa"))
    (note,) = report.main(["--dir", a])["notes"]
    assert note == (f"{tmp_path / 'runA/gt.jsonl'} holds 2 records of a task no score file here scores (vqa: 2); "
                    "score them with python -m eval.vqa")
    b = _scored(tmp_path, "runB", {"a": "3"})
    assert report.main(["--dir", b])["notes"] == []
    c = _scored(tmp_path, "runC", {"a": "3"}, tasks=("vqa",), gt_tasks=("count", "vqa"))
    assert report.main(["--dir", c])["notes"][0].endswith("(count: 1); score it with python -m eval.counting")


def test_the_runs_table_says_a_row_s_folder_once(tmp_path):
    """Two runs' folders: a row of the runs table listed ``runA/scores/count.json, runA/scores/vqa.json`` (eight
    tasks' a line of 300 characters); the folder is now said once, the JSON's rows keep a file each."""
    from eval import report

    rep = report.main(["--dir", _scored(tmp_path, "runA", {"a": "3"}), _scored(tmp_path, "runB", {"a": "3"})])
    md = report.to_markdown(rep)
    assert "| runA/scores: count.json, vqa.json |" in md and "runA/scores/count.json, " not in md
    assert {r["source"] for r in rep["runs"]} >= {"runA/scores/count.json", "runA/scores/vqa.json"}
    assert report.files(["a.json", "b.json"]) == "a.json, b.json"
    assert report.files(["x/a.json", "y/b.json"]) == "x/a.json, y/b.json"
