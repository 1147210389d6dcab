"""Stop 76, area C: eval.report split (reading score files: eval.report_read; the notes: eval.report_notes) with its
names importable as before, and a score file from before gt_digest that names the --gt of another run's files."""

from __future__ import annotations

import json

from conftest import eval_record, write_jsonl


def _records() -> list[dict]:
    return [eval_record("c1", "count", "[count] How many ships?", "3"),
            eval_record("q1", "vqa", "[vqa] Is there a ship?", "yes"),
            eval_record("k1", "cls", "[cls] Classify this scene.", "harbor")]


def _score_in(tmp_path, monkeypatch, run: str, records: list[dict]) -> str:
    """``run``/scores/count.json, scored from inside ``run`` against ``--gt gt.jsonl`` as typed (one name in every
    run's folder); the scores folder."""
    from eval import counting

    folder = tmp_path / run
    (folder / "scores").mkdir(parents=True)
    write_jsonl(folder / "gt.jsonl", records)
    write_jsonl(folder / "pred.jsonl", [{"id": r["id"], "task": r["task"], "answer": "3"} for r in records])
    monkeypatch.chdir(folder)
    counting.main(["--gt", "gt.jsonl", "--pred", "pred.jsonl", "--out", "scores/count.json"])
    monkeypatch.chdir(tmp_path)
    return str(folder / "scores")


def _undigest(scores: str) -> None:
    path = f"{scores}/count.json"
    with open(path) as f:
        s = json.load(f)
    del s["gt_digest"]
    with open(path, "w") as f:
        json.dump(s, f)


def test_split_keeps_every_name_of_eval_report():
    """The names tests, docs and the build import from eval.report are the moved functions themselves."""
    from eval import report, report_notes, report_read

    for name in ("source_labels", "load_scores", "malformed", "misnamed_scores"):
        assert getattr(report, name) is getattr(report_read, name), name
    for name in ("untabled", "unscored", "partial_why", "apart", "gt_labels", "scored_with", "retrained"):
        assert getattr(report, name) is getattr(report_notes, name), name
    for name in ("main", "build", "to_markdown", "run_row", "answer_defaults", "files", "not_a_report", "MARKDOWN_HEAD"):
        assert hasattr(report, name), name


def test_a_digestless_score_file_of_one_gt_name_is_one_note_naming_the_folders(tmp_path, monkeypatch):
    """runA scored count against gt.jsonl (a gt_digest kept), runB against its own gt.jsonl before scorers kept one:
    the report split the ground truth into one note per folder, as if two test sets were known to differ, where
    nothing tells them apart. Now one note, naming both folders and why they are not told apart."""
    from eval import report

    a = _score_in(tmp_path, monkeypatch, "runA", _records())
    b = _score_in(tmp_path, monkeypatch, "runB", _records())
    _undigest(b)
    notes = [n for n in report.main(["--dir", a, b])["notes"] if "no score file here scores" in n]
    assert notes == ["gt.jsonl (of runA/scores, runB/scores; 1 score file keeps no gt_digest, so whether they are one "
                     "set is not known) holds 2 records of tasks no score file here scores (vqa: 1, cls: 1); score "
                     "them with python -m eval.vqa, python -m eval.classification"]


def test_two_digests_of_one_gt_name_are_still_a_note_a_folder(tmp_path, monkeypatch):
    """Where both files keep a digest and they differ (other records under one name), each folder's ground truth is
    its own note, as before; a third, digest-less, file leaves that alone."""
    from eval import report

    other = _records()
    other[0]["conversations"][1]["value"] = "4"
    a = _score_in(tmp_path, monkeypatch, "runA", _records())
    b = _score_in(tmp_path, monkeypatch, "runB", other)
    c = _score_in(tmp_path, monkeypatch, "runC", _records())
    _undigest(c)
    notes = [n for n in report.main(["--dir", a, b, c])["notes"] if "no score file here scores" in n]
    assert [n.split(" holds")[0] for n in notes] == ["gt.jsonl (of runA/scores)", "gt.jsonl (of runB/scores)",
                                                      "gt.jsonl (of runC/scores)"]
