"""eval.report, tour 76: ground-truth records a scorer left out (malformed, unsized) are counted in the table."""

import json

from conftest import eval_record, write_jsonl

from eval import report, vqa


def _counts(out: str) -> list[list[str]]:
    """The counts table's rows, as cells."""
    table = out.split("## Records")[1].split("## What")[0]
    return [[c.strip() for c in line.split("|")[1:-1]] for line in table.splitlines() if line.startswith("| vqa")]


def test_malformed_ground_truth_records_get_a_counts_row_beside_the_other_runs(tmp_path, capsys):
    """n_gt_bad_records (malformed ground-truth records the scorer skipped) was only in the "(partial)" note: the
    counts table had no row of it. Now a row for each file of the task, 0 for a run whose ground truth had none."""
    good = [eval_record(f"q{i}", "vqa", "[vqa] Is there a ship?", "yes") for i in range(5)]
    clean = write_jsonl(tmp_path / "clean.jsonl", good)
    broken = tmp_path / "broken.jsonl"  # 2 of 7 malformed: skipped and counted (half or more: refused)
    broken.write_text(open(clean).read() + "{not json\n" + json.dumps({"id": 7, "task": "vqa"}) + "\n")
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": f"q{i}", "task": "vqa", "answer": "yes"} for i in range(5)])
    for run, gt in (("A", clean), ("B", str(broken))):
        vqa.main(["--gt", gt, "--pred", pred, "--out", str(tmp_path / run / "vqa.json")])
    bad = json.loads((tmp_path / "B" / "vqa.json").read_text())["n_gt_bad_records"]
    assert bad == 2
    capsys.readouterr()
    rep = report.main(["--dir", str(tmp_path / "A"), str(tmp_path / "B")])
    out = capsys.readouterr().out
    rows = [(r[1], r[3]) for r in _counts(out) if r[2] == "n_gt_bad_records"]
    assert rows == [("A/vqa.json", "0"), ("B/vqa.json", "2")], out
    assert [(r["source"], r["all"]) for r in rep["counts"] if r["count"] == "n_gt_bad_records"] == [
        ("A/vqa.json", 0), ("B/vqa.json", 2)]
    assert "B/vqa.json (partial): 2 ground-truth records skipped as malformed or unscorable, in no score" in out, out
    assert not any(r["count"] == "n_gt_unsized" for r in rep["counts"])  # 0 in every file: no row
    # stop 77: the heading names the rows (was "…, cut and past the context" over an n_gt_bad_records row)
    assert ("## Records scored, missing, unparseable, failed, cut, past the context, and ground-truth records left out "
            "(malformed or unscorable)\n") in out


def test_no_gt_rows_where_no_file_of_the_task_left_a_record_out(tmp_path, capsys):
    """A clean set's report is as before: no n_gt_* rows, in the table or the JSON, and none named left out."""
    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record("q", "vqa", "[vqa] Is there a ship?", "yes")])
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "q", "task": "vqa", "answer": "yes"}])
    vqa.main(["--gt", gt, "--pred", pred, "--out", str(tmp_path / "s" / "vqa.json")])
    capsys.readouterr()
    rep = report.main(["--dir", str(tmp_path / "s")])
    out = capsys.readouterr().out
    assert [r["count"] for r in rep["counts"]] == ["n_records", "n_missing", "n_unparseable", "n_pred_errors",
                                                   "n_pred_cut", "n_pred_past_context"]
    assert "n_gt_" not in out.split("## Records")[1].split("## What")[0]


def test_unsized_records_are_tabled_per_task_as_given(tmp_path, capsys):
    """n_gt_unsized, like n_gt_bad_records, is a row of each file of its task where one has it; another task's
    files get none."""
    files = []
    for task, unsized in (("detection", 3), ("detection", 0), ("vqa", 0)):
        path = tmp_path / f"{task}{len(files)}.json"
        path.write_text(json.dumps({"task": task, "headline": ["accuracy"], "accuracy": 0.5, "n_records": 5,
                                    "n_missing": 0, "n_unparseable": 0, "n_gt_unsized": unsized,
                                    "n_gt_bad_records": 0}))
        files.append(str(path))
    rep = report.main(["--scores", *files])
    out = capsys.readouterr().out
    assert [(r["task"], r["source"], r["all"]) for r in rep["counts"] if r["count"] == "n_gt_unsized"] == [
        ("detection", "detection0.json", 3), ("detection", "detection1.json", 0)]
    assert "n_gt_bad_records" not in out.split("## Records")[1].split("## What")[0]
    assert "and ground-truth records left out (unsized)\n" in out  # stop 77: the heading names the rows it holds
    assert "detection0.json (partial): 3 records left out, no size to score their geometry at" in out, out
