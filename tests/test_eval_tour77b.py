"""Stop 77, eval round 2: an unscorable reference is no "malformed record of unknown id"; a det or ground reference
of points is skipped, counted, not the whole file refused; rsvlm eval's --limit line said once over the ranks; the
start bench times each scorer's reference check; the benches' skipped note says its file is temporary; a task whose
every reference is GeoChat's says to convert the set first."""

from __future__ import annotations

import argparse
import importlib

import pytest
from conftest import eval_record, write_jsonl

BOX = "<ref>ship</ref><box><loc_1><loc_1><loc_9><loc_9></box>"
POINT = "<ref>ship</ref><point><loc_10><loc_10></point>"


def test_an_unscorable_references_prediction_is_not_said_to_be_of_a_malformed_record(tmp_path, capsys):
    """A '.' reference is skipped with its id read: 'the ids of its 1 malformed record skipped … are not known' was
    said beside a prediction of another set's id, though no record was malformed."""
    from eval import vqa

    recs = [eval_record(i, "vqa", "[vqa] Is there a ship?", "yes") for i in "abc"]
    recs.append(eval_record("dot", "vqa", "[vqa] Anything?", "."))
    gt = write_jsonl(tmp_path / "gt.jsonl", recs)
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": i, "task": "vqa", "answer": "yes"} for i in ("a", "b", "c", "zz")])
    s = vqa.main(["--gt", gt, "--pred", pred])
    assert (s["n_gt_bad_records"], s["n_gt_bad_references"], s["n_pred_not_in_gt"]) == (1, 1, 1)
    out = capsys.readouterr().out
    assert "note: 1 prediction names no record of the ground truth; first: zz\n" in out
    assert "malformed record" not in out


def test_the_malformed_share_alone_is_said_unknown():
    from eval.notes import count_notes

    got = count_notes({"n_pred_not_in_gt": 1, "n_gt_bad_records": 3, "n_gt_bad_references": 2,
                       "first_ids": {"n_pred_not_in_gt": "x"}})
    assert got == ["1 prediction names no record of the ground truth as read (the ids of its 1 malformed record "
                   "skipped, of the 3 in n_gt_bad_records, are not known: some may be theirs); first: x"]


@pytest.mark.parametrize("task,script", [("det", "detection"), ("ground", "grounding")])
def test_a_point_reference_is_skipped_counted_and_named(tmp_path, capsys, task, script):
    """One det or ground reference of points refused the whole file in the scorer ('may hold only boxes'); points
    have no area an IoU could match, so the record is skipped as any unscorable reference is."""
    mod = importlib.import_module(f"eval.{script}")
    recs = [eval_record(f"r{i}", task, f"[{task}] Find the ship.", BOX) for i in range(3)]
    recs.append(eval_record("pt", task, f"[{task}] Find the ship.", POINT))
    gt = write_jsonl(tmp_path / "gt.jsonl", recs)
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": r["id"], "task": task, "answer": BOX} for r in recs])
    s = mod.main(["--gt", gt, "--pred", pred])
    assert (s["n_records"], s["n_gt_bad_records"], s["n_gt_bad_references"]) == (3, 1, 1)
    note = next(n for n in s["notes"] if "(n_gt_bad_records)" in n)
    assert "(reference: points: 1)" in note and f"gt.jsonl:4: record 'pt': the {task} reference holds points" in note
    assert "python -m eval.counting" in note
    half = write_jsonl(tmp_path / "half.jsonl", recs[:1] + [{**recs[3], "id": f"p{i}"} for i in range(2)])
    with pytest.raises(mod.common.ScoreError, match=r"half.jsonl: 2 of its 3 records are unscorable \(reference: "
                                                    r"points: 2\)"):
        mod.main(["--gt", half, "--pred", pred])
    capsys.readouterr()


def test_a_task_whose_references_are_all_geochat_says_to_convert_first(tmp_path):
    """In a mixed file, eval.detection said 'no records of task det (found {vqa: 5})' and the advice came at the end of
    the skipped note."""
    from eval import common, detection

    recs = [eval_record(f"v{i}", "vqa", "[vqa] Is there a ship?", "yes") for i in range(5)]
    recs += [eval_record(f"d{i}", "det", "[det] Find ships.", "{<10><20><30><40>|<0>}") for i in range(2)]
    gt = write_jsonl(tmp_path / "gt.jsonl", recs)
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": r["id"], "answer": "yes"} for r in recs])
    with pytest.raises(common.ScoreError) as e:
        detection.main(["--gt", gt, "--pred", pred])
    assert str(e.value).startswith(f"{gt}: all 2 det references read are in GeoChat form")
    assert "convert the set first (python -m data_gen convert llava --src SET" in str(e.value).split(";")[0]
    assert "--images IMAGES --out OUT rewrites GeoChat's boxes; docs/data-convert.md) and score OUT/records.jsonl;" in str(
        e.value)  # the folders told apart, and the file the converter writes named (review 77)
    assert "no records of task det are left to score (found {'vqa': 5})" in str(e.value)


def test_a_limit_past_the_records_is_said_by_rank_0_alone(capsys):
    from rsvlm.eval_reading import past_the_records

    assert past_the_records(500, 2, rank=1) == 2 and capsys.readouterr().err == ""
    assert past_the_records(500, 2, rank=0) == 2
    assert capsys.readouterr().err == "rsvlm eval: --limit 500 > 2 records: answering all 2\n"
    assert (past_the_records(2, 5), past_the_records(None, 5), past_the_records(3, 0)) == (2, None, 3)


def test_the_start_bench_times_each_scorers_reference_check(monkeypatch):
    """bench/eval_start.py timed load_gt without the check each scorer passes it: not the read users run."""
    from script_loader import load_bench

    from eval import common
    from eval.answers import foreign_reference

    bench = load_bench("eval_start", monkeypatch, module="eval_start")
    seen = {}

    def caught(name, tasks, score_fn, headline, argv=None, extra_args=None, details=None, keep=None, prepare=None,
               geometry=True, references=True, check=None):
        seen[name] = check or (foreign_reference if geometry and references else None)  # common.evaluate's default
        return {}

    monkeypatch.setattr(common, "run", caught)
    for name in bench.SCORERS:
        importlib.import_module(f"eval.{name}").main([])
    assert seen == bench.CHECKS


def test_the_benches_skipped_note_says_its_file_is_temporary(monkeypatch):
    from script_loader import load_bench

    bench = load_bench("tta", monkeypatch, module="tta")  # its skipped_note is bench/common.py's
    h = argparse.Namespace(skipped="/tmp/tta_x/loc.jsonl: 3 records read, 1 skipped … loc.jsonl:4: record 'geo': …")
    got = bench.skipped_note([("ground", h)]).splitlines()
    assert got[1].startswith("- ground: /tmp/tta_x/loc.jsonl")
    assert got[-1] == ("(a file named there is the bench's copy of --data's records, removed at the end unless --keep "
                       "DIR keeps it; the record ids are --data's)")


def test_a_report_given_a_folder_without_dir_says_which_option_takes_it(tmp_path, capsys):
    """`python -m eval.report runs/scores` said 'one of the arguments --scores --dir is required', as if nothing had
    been given."""
    from eval import report

    with pytest.raises(SystemExit) as e:
        report.main([str(tmp_path)])
    assert e.value.code == 2
    assert f"error: {tmp_path}: give a folder by --dir {tmp_path} (no argument" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        report.main(["a.json", "b.json", "--out", "r.md"])
    assert "give score files by --scores a.json b.json (no argument" in capsys.readouterr().err


def test_a_rank_part_scored_is_said_to_be_one_ranks_share(tmp_path, capsys):
    """pred.jsonl.rank0 given as --pred: 'no pred.jsonl.rank0.run.json beside the predictions … (an older rsvlm eval,
    or another tool)', the other rank's records scored as missing unexplained."""
    from eval import vqa

    recs = [eval_record(i, "vqa", "[vqa] Is there a ship?", "yes") for i in "abcd"]
    gt = write_jsonl(tmp_path / "gt.jsonl", recs)
    part = write_jsonl(tmp_path / "pred.jsonl.rank0", [{"id": i, "task": "vqa", "answer": "yes"} for i in "ac"])
    s = vqa.main(["--gt", gt, "--pred", part])
    assert s["n_missing"] == 2
    assert ("pred.jsonl.rank0 is rank 0's part of an rsvlm eval on several processes, its share of the records alone "
            "(the others' scored as missing): score pred.jsonl") in "\n".join(s["notes"])
    capsys.readouterr()
