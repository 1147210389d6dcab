"""Review 77 (eval round 2): a complete run stamped with its --limit (limit=18 over an 18-record set, as
past_the_records stamps --limit 50) is not shown as limited by eval.report; a limit that left records unanswered is."""

from __future__ import annotations

import json

from conftest import eval_record, write_jsonl


def test_a_complete_limited_run_is_not_shown_limited_in_the_report(tmp_path, capsys):
    from eval import report, vqa

    recs = [eval_record(i, "vqa", "[vqa] Is there a ship?", "yes") for i in "abc"]
    gt = write_jsonl(tmp_path / "gt.jsonl", recs)
    for name, ids, limit in (("full", "abc", 3), ("part", "ab", 2)):
        pred = write_jsonl(tmp_path / f"{name}.jsonl", [{"id": i, "task": "vqa", "answer": "yes"} for i in ids])
        (tmp_path / f"{name}.jsonl.run.json").write_text(json.dumps({"model": "/m", "options": {}, "limit": limit}))
        vqa.main(["--gt", gt, "--pred", pred, "--out", str(tmp_path / name / "vqa.json")])
    rep = report.main(["--scores", str(tmp_path / "full" / "vqa.json"), str(tmp_path / "part" / "vqa.json")])
    capsys.readouterr()
    assert [r["options"] for r in rep["runs"]] == ["-", "limit=2"]  # was "limit=3" beside the complete run
    assert report.run_row({"limit": 3}, missing=0)["options"] == "-"
    assert report.run_row({"limit": 3})["options"] == "limit=3"  # an older score file, no n_missing: said


def test_the_start_bench_counts_the_records_a_check_skipped(tmp_path, monkeypatch, capsys):
    """With the scorers' checks timed (CHECKS), a --gt's GeoChat det reference left the detection row one record short
    of the baseline's read, unsaid."""
    from script_loader import load_bench

    bench = load_bench("eval_start", monkeypatch, module="eval_start")
    recs = bench.synthetic(16)
    geo = next(r for r in recs if r["task"] == "det")
    recs.append({**geo, "id": "geo", "conversations": [geo["conversations"][0],
                                                        {"from": "gpt", "value": "{<10><20><30><40>|<0>}"}]})
    gt = write_jsonl(tmp_path / "gt.jsonl", recs)
    rows = {r["scorer"]: r for r in bench.main(["--gt", gt, "--repeats", "1"])["rows"]}
    assert (rows["python -m eval.detection"]["records"], rows["python -m eval.detection"]["skipped"]) == (2, 1)
    assert rows["python -m eval.vqa"]["skipped"] == 0
    out = capsys.readouterr().out
    assert "| `python -m eval.detection` (2, 1 skipped) |" in out and "| `python -m eval.vqa` (2) |" in out
