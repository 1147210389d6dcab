"""Stop 70's tour of the scorers (area F): the run stamp's --limit, the bench's scorer list, counts read as words,
a cut gzip predictions file, hand-made bad prediction files."""

from __future__ import annotations

import json

from conftest import eval_record, finished_eval, write_jsonl


def test_rsvlm_eval_stamps_its_limit_and_a_scorer_says_a_partial_run(tmp_path, monkeypatch, capsys):
    """`rsvlm eval --limit N` answers the first N records, but OUT.run.json did not say so: scored against the full
    ground truth, the records past N counted as missing with no word that the run never asked them, and a limited
    run's score could pass as a full one. The stamp keeps the limit; the scorer notes it, and eval.report shows it."""
    from eval import classification, report
    from rsvlm.cli import main

    argv, out, rows, _ = finished_eval(tmp_path, monkeypatch)
    write_jsonl(out, rows[:1])
    assert main([*argv, "--limit", "1"]) == 0, capsys.readouterr().err  # the record asked is answered: no model loads
    capsys.readouterr()
    stamp = json.loads((tmp_path / "p.jsonl.run.json").read_text())
    assert stamp["limit"] == 1
    scores = classification.main(["--gt", argv[2], "--pred", str(out), "--out", str(tmp_path / "s.json")])
    assert scores["run"]["limit"] == 1
    assert any("--limit 1" in n and "no full set's score" in n for n in scores["notes"]), scores["notes"]
    assert "limit=1" in report.run_row(scores["run"])["options"]
    assert "limit" not in report.run_row({**scores["run"], "limit": None})["options"]
    write_jsonl(out, rows)  # a limit that left no record of these unanswered: a full score, unnoted
    assert main([*argv, "--limit", "2"]) == 0, capsys.readouterr().err
    scores = classification.main(["--gt", argv[2], "--pred", str(out)])
    assert scores["run"]["limit"] == 2 and not any("--limit" in n for n in scores["notes"]), scores["notes"]


def test_the_start_bench_scores_each_scorers_own_tasks_geometry_and_records(monkeypatch):
    """bench/eval_start.py's SCORERS copied each scorer's tasks, geometry flag and record filter, and nothing checked
    the copy: a scorer given another task or geometry=False would be timed as it no longer reads. Each scorer's
    main is run with common.run caught, and what it passes is the bench's row."""
    import argparse
    import importlib

    from script_loader import load_bench

    from eval import common

    bench = load_bench("eval_start", monkeypatch, module="eval_start")
    seen = {}

    def caught(name, tasks, score_fn, headline, argv=None, extra_args=None, details=None, keep=None, prepare=None,
               geometry=True, references=True, check=None):  # check: stop 77's reference check, not the bench's
        seen[name] = (tuple(tasks), geometry, keep(argparse.Namespace(all_maps=False)) if keep else None)
        return {}

    monkeypatch.setattr(common, "run", caught)
    for name in bench.SCORERS:
        importlib.import_module(f"eval.{name}").main([])
    assert seen == bench.SCORERS


def test_counting_and_worded_change_records_keep_no_decoded_reference(tmp_path, monkeypatch):
    """load_gt decodes each geometry scorer's records' references as it checks them and kept every one for the
    scorer; eval.counting reads the count's words, never that decoding, and eval.change leaves its worded change
    records (captions) to eval.captioning, yet both were kept to the end of the scoring. Only what is read is kept;
    the shapes are still checked."""
    import pytest

    from eval import counting, inputs
    from eval.change import is_change_map
    from rsvlm.data.records import RecordError

    recs = [eval_record("m", "change", "[change] Segment the change.", "<poly><loc_1><loc_1><loc_9><loc_1><loc_9><loc_9></poly>"),
            eval_record("w", "change", "[change] What changed?", "A road was built.")]
    decoded = {}
    kept, _, _ = inputs.load_gt(write_jsonl(tmp_path / "c.jsonl", recs), ("change",), is_change_map, True, decoded)
    assert [r["id"] for r in kept] == ["m"] and set(decoded) == {"m"}

    gt = write_jsonl(tmp_path / "n.jsonl", [eval_record("a", "count", "[count] How many ships?",
                                                         "<point><loc_10><loc_10></point> 1")])
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "a", "task": "count", "answer": "1"}])
    extras = []
    real = counting.score
    monkeypatch.setattr(counting, "score", lambda items, args=None: extras.extend(it.extra for it in items) or real(items, args))
    assert counting.main(["--gt", gt, "--pred", pred])["accuracy"] == 1.0
    assert extras and not any("ref_decoded" in e for e in extras)
    bad = write_jsonl(tmp_path / "b.jsonl", [eval_record("a", "count", "[count] How many?", "<point><loc_10></point> 1")])
    with pytest.raises(RecordError):  # the check stands
        counting.main(["--gt", bad, "--pred", pred])


def test_a_gzip_predictions_file_cut_midway_is_scored_on_its_whole_lines_with_a_note(tmp_path):
    """A pred.jsonl.gz cut midway (a copy stopped, a disk full) was refused whole: 'a gzip file that cannot be
    decompressed', every answer before the cut with it. Its whole lines are read now, the line the cut splits is
    dropped, and a note names the file and the cut; the records past it count as missing. Corrupt data and a cut
    before the first line's end are still refused."""
    import gzip

    import pytest

    from eval import common, vqa

    n = 4000
    recs = [eval_record(f"r{i}", "vqa", "[vqa] Is there a ship?", "yes") for i in range(n)]
    gt = write_jsonl(tmp_path / "gt.jsonl", recs)
    rows = "".join(json.dumps({"id": f"r{i}", "task": "vqa", "answer": "yes", "pad": f"{i * 7919 % 10007}"}) + "\n"
                   for i in range(n))
    packed = gzip.compress(rows.encode())
    cut = tmp_path / "pred.jsonl.gz"
    cut.write_bytes(packed[:len(packed) // 2])
    got = common.load_predictions(cut)
    assert 0 < len(got.by_id) < n and got.n_bad_lines == 0
    assert list(got.by_id) == [f"r{i}" for i in range(len(got.by_id))]  # the lines before the cut, in order
    scores = vqa.main(["--gt", gt, "--pred", str(cut)])
    assert scores["n_missing"] == n - len(got.by_id) and scores["n_pred_bad_lines"] == 0
    assert any(str(cut) in note and "cut short" in note and f"{len(got.by_id)} whole lines" in note
               for note in scores["notes"]), scores["notes"]
    (tmp_path / "two.gz").write_bytes(gzip.compress(b'{"id": "x", "answer": "no"}\n') + packed[:len(packed) // 2])  # cat a.gz b.gz
    assert len(common.load_predictions(tmp_path / "two.gz").by_id) == len(got.by_id) + 1
    (tmp_path / "head.gz").write_bytes(packed[:20])
    with pytest.raises(common.ScoreError, match="head.gz: a gzip file that cannot be decompressed"):
        common.load_predictions(tmp_path / "head.gz")
    whole = gzip.compress(rows[:2000].encode())
    (tmp_path / "crc.gz").write_bytes(whole[:-8] + bytes(8))  # the data whole, its check wrong
    with pytest.raises(common.ScoreError, match="crc.gz: a gzip file that cannot be decompressed"):
        common.load_predictions(tmp_path / "crc.gz")


def test_predictions_naming_no_task_and_no_record_are_said_to_be_another_test_sets(tmp_path):
    """Another tool's lines carry no "task"; where none of their ids is a record's, the note listed their tasks as
    {'None': 1} and asked "a predictions file of another task?". It is the ids that do not match: the note says
    so, with an id of each file."""
    from eval import vqa

    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record("v1", "vqa", "[vqa] Ship?", "yes")])
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "0001", "answer": "yes"}])
    notes = vqa.main(["--gt", gt, "--pred", pred])["notes"]
    said = next(n for n in notes if n.startswith("none of the 1 predictions"))
    assert "'None'" not in said and "another task" not in said
    assert "another test set" in said and "'0001'" in said and "'v1'" in said
    other = write_jsonl(tmp_path / "o.jsonl", [{"id": "x", "task": "det", "answer": "None."}, {"id": "y", "answer": "no"}])
    said = next(n for n in vqa.main(["--gt", gt, "--pred", other])["notes"] if n.startswith("none of the 2"))
    assert "{'det': 1, '(no task)': 1}" in said and "another task?" in said


def test_a_class_in_british_spelling_is_that_class(tmp_path):
    """The bundled model names NWPU-RESISC45's "harbor" "harbour": scored wrong, under (other), where detection and
    segmentation read the two spellings as one label. The answer is that class now, counted and noted; an answer
    that is a class as spelt is untouched, and one that is no class in any spelling is still (other)."""
    from eval import classification

    recs = [eval_record(f"c{i}", "cls", "[cls] What scene?", cls) for i, cls in enumerate(["harbor", "harbor",
                                                                                            "storage tank", "airport"])]
    gt = write_jsonl(tmp_path / "gt.jsonl", recs)
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "c0", "answer": "Harbour."}, {"id": "c1", "answer": "harbor"},
                                              {"id": "c2", "answer": "storage tanks"}, {"id": "c3", "answer": "aerodrome"}])
    got = classification.main(["--gt", gt, "--pred", pred])
    assert got["n_correct"] == 2 and got["n_answers_spelt_otherwise"] == 1
    assert got["confusion_matrix"]["harbor"] == {"harbor": 2}
    assert got["confusion_matrix"]["storage tank"] == {"(other)": 1}  # a plural is not a spelling
    assert any("'harbour' for 'harbor'" in n for n in got["notes"]), got["notes"]


def test_a_run_length_mask_under_coords_is_told_where_it_goes(tmp_path):
    """SAM-style {"kind": "mask", "coords": {"size", "counts"}} was unparseable with "a mask needs a grid … or a 2-D
    'mask' array": nothing said that the run-length mask is read, only elsewhere in the object."""
    from eval import segmentation

    poly = "<ref>building</ref><poly><loc_100><loc_100><loc_300><loc_100><loc_300><loc_300></poly>"
    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record("s1", "seg", "[seg] Segment buildings.", poly)])
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "s1", "objects": [
        {"kind": "mask", "coords": {"size": [1000, 1000], "counts": [1000000]}}]}])
    got = segmentation.main(["--gt", gt, "--pred", pred])
    assert got["n_unparseable"] == 1
    said = next(n for n in got["notes"] if "unparseable 's1'" in n)
    assert "'size' and 'counts', or under 'rle' or 'segmentation', not under 'coords'" in said


def test_predictions_naming_their_task_as_the_script_is_named_get_no_other_benchmark_alarm(tmp_path):
    """"task": "detection" (the scorer's name, not rsvlm's tag det) was noted as "a task that is no rsvlm task …
    another benchmark's answers under ids that repeat these?". It is the script's name: said so, with the tag; a name
    no script has keeps the old note."""
    from eval import common, detection

    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record("d1", "det", "[det] Detect ships.", "None.")])
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "d1", "task": "Detection", "answer": "None."}])
    scores = detection.main(["--gt", gt, "--pred", pred])
    said = " ".join(common.count_notes(scores))
    assert "as this script is named" in said and "(det, as rsvlm eval writes it)" in said
    assert "another benchmark" not in said
    other = write_jsonl(tmp_path / "o.jsonl", [{"id": "d1", "task": "referring", "answer": "None."}])
    assert "another benchmark" in " ".join(common.count_notes(detection.main(["--gt", gt, "--pred", other])))
