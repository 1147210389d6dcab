"""Stop 70, evaluation round 2 (area F2): a headline score's reason, the --limit a stamp keeps, a gzip file cut in
its trailer, the script's task name beside another's, an ellipsis before a count."""

from __future__ import annotations

import gzip
import json

import pytest
from conftest import eval_record, finished_eval, write_jsonl


def test_a_headline_score_with_none_says_why(tmp_path):
    """headline_scores turned a ScoreError into None, so a bench showed '–' for det records without
    meta.width/height as for a set without det records, and could not say which. headline_results keeps the reason."""
    from eval import classification, common, detection

    box = "<ref>ship</ref><box><loc_100><loc_100><loc_300><loc_300></box>"
    nometa = {**eval_record("d1", "det", "[det] Detect ships.", box), "meta": {}}
    gt = write_jsonl(tmp_path / "gt.jsonl", [nometa, eval_record("c1", "cls", "[cls] What scene?", "lake")])
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "d1", "task": "det", "answer": box},
                                              {"id": "c1", "task": "cls", "answer": "lake"}])
    scorers = {"det": (detection, "mAP50"), "obb": (detection, "mAP50_obb"), "cls": (classification, "accuracy"),
               "typo": (classification, "acuracy")}
    got = common.headline_results(gt, pred, scorers)
    assert got["cls"] == common.Headline(1.0)
    assert got["det"].score is None and "eval.detection refused" in got["det"].why and "meta" in got["det"].why
    assert got["obb"].why == got["det"].why  # one run of the scorer, both keys
    assert got["typo"].score is None and "'acuracy' is no score of eval.classification (its headline: accuracy" in (
        got["typo"].why)
    gt = write_jsonl(tmp_path / "gt2.jsonl", [eval_record("d1", "det", "[det] Detect ships.", box)])  # meta whole
    got = common.headline_results(gt, pred, scorers)
    assert got["det"].score == pytest.approx(1.0)
    assert got["obb"].score is None and "gives no mAP50_obb" in got["obb"].why and "n_records_obb 0" in got["obb"].why
    assert "no records of task cls" in got["cls"].why
    assert "is no score" not in got["obb"].why  # a key the scorer gives, None here


def test_a_rerun_with_a_smaller_limit_keeps_the_limit_that_made_the_answers(tmp_path, monkeypatch, capsys):
    """After `rsvlm eval --limit 2`, a rerun with --limit 1 found every record it asked answered and rewrote the stamp
    as limit 1, though the file holds the answers of --limit 2: the scorer's note named --limit 1. The stamp keeps the
    widest limit of the answers there (none: the whole set); a fresh --out takes its own."""
    from eval import classification
    from rsvlm.cli import main

    argv, out, rows, _ = finished_eval(tmp_path, monkeypatch)
    stamp = tmp_path / "p.jsonl.run.json"
    write_jsonl(out, rows[:1])
    assert main([*argv, "--limit", "1"]) == 0, capsys.readouterr().err
    write_jsonl(out, rows)
    assert main([*argv, "--limit", "2"]) == 0, capsys.readouterr().err
    assert json.loads(stamp.read_text())["limit"] == 2
    assert main([*argv, "--limit", "1"]) == 0, capsys.readouterr().err  # every record it asks answered: no model
    assert json.loads(stamp.read_text())["limit"] == 2
    more = write_jsonl(tmp_path / "more.jsonl", [*map(json.loads, open(argv[2])),
                                                 eval_record("c", "cls", "[cls] What scene?", "lake")])
    scores = classification.main(["--gt", more, "--pred", str(out)])
    assert any("--limit 2" in n for n in scores["notes"]) and not any("--limit 1" in n for n in scores["notes"])
    stamp.write_text(json.dumps({**json.loads(stamp.read_text()), "limit": None}))  # answers of the whole set
    assert main([*argv, "--limit", "1"]) == 0, capsys.readouterr().err
    assert json.loads(stamp.read_text())["limit"] is None
    out.unlink()  # no answers: the stamp's limit is no longer theirs
    write_jsonl(out, [])
    stamp.write_text(json.dumps({**json.loads(stamp.read_text()), "limit": 2}))
    monkeypatch.setattr("rsvlm.evaluate._answer", lambda args, rank, world, device, model_dir, st, *a: (
        stamp.write_text(json.dumps(st)), 0)[1])  # the stamp as _answer would write it, no model
    assert main([*argv, "--limit", "1"]) == 0, capsys.readouterr().err
    assert json.loads(stamp.read_text())["limit"] == 1


@pytest.mark.parametrize("lacking, checked", [(8, False), (5, False), (4, True), (1, True)])
def test_a_gzip_predictions_file_cut_in_its_trailer_alone_loses_nothing(tmp_path, lacking, checked):
    """A pred.jsonl.gz cut in its 8-byte trailer (CRC-32, size) holds every line, but was noted as cut midway: "0
    byte(s) … dropped", "the records whose answers were there count as missing", with no word of the checksum. It is
    said to lose nothing, and whether the data was checked (the CRC's 4 bytes there: checked, as zlib checks them)."""
    from eval import vqa

    recs = [eval_record(f"r{i}", "vqa", "[vqa] Is there a ship?", "yes") for i in range(30)]
    gt = write_jsonl(tmp_path / "gt.jsonl", recs)
    packed = gzip.compress("".join(json.dumps({"id": r["id"], "answer": "yes"}) + "\n" for r in recs).encode())
    pred = tmp_path / "pred.jsonl.gz"
    pred.write_bytes(packed[:-lacking])
    scores = vqa.main(["--gt", gt, "--pred", str(pred)])
    assert scores["n_missing"] == 0 and scores["accuracy"] == 1.0
    said = next(n for n in scores["notes"] if str(pred) in n)
    assert f"lacks the last {lacking} of the 8 bytes" in said and "none lost" in said
    assert "cut short" not in said and "count as missing" not in said and "0 bytes" not in said
    assert ("matches its checksum" in said) == checked and ("could not be checked" in said) != checked
    pred.write_bytes(packed[:-lacking - 10])  # into the data: cut midway, as before
    assert "cut short" in next(n for n in vqa.main(["--gt", gt, "--pred", str(pred)])["notes"] if str(pred) in n)


def test_the_scripts_own_task_name_is_said_apart_from_another_benchmarks(tmp_path):
    """76affc3a said "detection" (the script's name) apart only where every unknown task was it: a mix of
    "detection" and "referring" got the one old note, "another benchmark's answers?" for the script's name too. Each
    gets its own note now."""
    from eval import common, detection

    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record(f"d{i}", "det", "[det] Detect ships.", "None.")
                                             for i in range(3)])
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "d0", "task": "detection", "answer": "None."},
                                              {"id": "d1", "task": "Detection", "answer": "None."},
                                              {"id": "d2", "task": "referring", "answer": "None."}])
    said = common.count_notes(detection.main(["--gt", gt, "--pred", pred]))
    ours = next(n for n in said if "as this script is named" in n)
    assert ours.startswith("2 predictions") and "referring" not in ours and "(det, as rsvlm eval writes it)" in ours
    other = next(n for n in said if "no rsvlm task" in n)
    assert other.startswith("1 prediction names a task that is no rsvlm task") and "{'referring': 1}" in other and "etection" not in other


@pytest.mark.parametrize("text", ["...5", "\u20265", "Hmm...5 ships", "There are\u2026 5."])
def test_an_ellipsis_before_a_number_is_punctuation(text):
    """"...5" read as 5 (its points punctuation); decided right and pinned: three points are an ellipsis, not a
    decimal point (".5" is 0.5), and NFKC makes "…" of a model's answer "...": "There are…5 ships." states 5. Read
    as no count, it would also disagree with normalize_answer, whose text "5" VQA compares with the reference "5"."""
    from rsvlm.answer_text import normalize_answer, parse_count, whole_number

    assert parse_count(text) == 5
    if "ship" not in text and "are" not in text:
        assert whole_number(text) == 5 and normalize_answer(text) == "5"
