"""Stop 72, evaluation round 3: a bracketed number is no task tag, a meta of one size named, the --tta "not asked"
note's number, and report rows named by the path given (a link not followed)."""

import json
import os
from pathlib import Path

import pytest

from eval import detection, report
from tests.conftest import eval_record, write_jsonl

BOX = "<ref>ship</ref><box><loc_100><loc_200><loc_500><loc_700></box>"


@pytest.mark.parametrize("reference, number", [("[1,000]", 1000), ("[1000]", 1000), ("[5]", 5),
                                               ("[count] [12]", 12), ("[count] 7", 7)])
def test_a_bracketed_number_is_a_number_not_an_echoed_task_tag(reference, number):
    """Was None for the first four: ``[1000]`` (after the thousands comma) was stripped as a tag such as ``[vqa]``."""
    from eval.text import normalize_answer, parse_count, whole_number

    assert whole_number(reference) == number
    assert parse_count(reference) == number
    assert normalize_answer(reference) == str(number)


def test_a_meta_of_one_size_names_the_record_and_the_key_it_lacks(tmp_path):
    """Was counted with the records of no meta size, its given width replaced by the image's, unsaid."""
    from PIL import Image

    Image.new("RGB", (200, 100)).save(tmp_path / "a.png")
    Image.new("RGB", (200, 100)).save(tmp_path / "b.png")
    a = eval_record("a", "det", "[det] ship", BOX)
    a["meta"] = {"width": 640}
    b = eval_record("b", "det", "[det] ship", BOX)
    b["meta"] = {"height": 100}
    gt = write_jsonl(tmp_path / "gt.jsonl", [a, b])
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": r, "task": "det", "answer": BOX} for r in "ab"])
    scores = detection.main(["--gt", gt, "--pred", pred])
    assert scores["n_records"] == 2
    notes = " ".join(scores["notes"])
    assert ("2 of them give one of the two (first: a: no meta.height, meta.width 640 replaced by the image's 200): "
            "give both") in notes


def test_the_tta_not_asked_note_counts_records_in_words(tmp_path, monkeypatch, capsys):
    """Was "2 record(s) were not asked some --tta views" (and "1 record(s) were")."""
    from PIL import Image

    import rsvlm.evaluate as ev

    for rid in ("r0", "r1"):
        Image.new("RGB", (32, 32)).save(tmp_path / f"{rid}.png")
    data = write_jsonl(tmp_path / "gt.jsonl", [eval_record(r, "count", "[count] ships?", "3") for r in ("r0", "r1")])

    def answers(model, processor, batch, root, *a, **k):
        return [{"id": r["id"], "task": r["task"], "answer": "3", "tta_unasked": "test-time augmentation: 4 other "
                 "views not asked"} for r in batch]

    monkeypatch.setattr(ev, "answer_batch", answers)
    ev.run(None, None, Path(data), tmp_path / "out.jsonl", progress=False)
    assert "rsvlm eval: note: 2 records were not asked some --tta views (first: r0: test-time" in capsys.readouterr().err


def test_report_rows_are_named_by_the_path_given_not_a_links_target(tmp_path):
    """Was the target folder's name: ``--dir latest`` (a link to run-0042) named its rows run-0042/…."""
    for run in ("run-0042", "base"):
        (tmp_path / run).mkdir()
        (tmp_path / run / "vqa.json").write_text(json.dumps({
            "task": "vqa", "gt": "g.jsonl", "pred": "p.jsonl", "headline": ["accuracy"], "accuracy": 0.5,
            "n_records": 2, "n_missing": 0, "n_unparseable": 0}))
    os.symlink(tmp_path / "run-0042", tmp_path / "latest")
    rep = report.main(["--dir", str(tmp_path / "latest"), str(tmp_path / "base")])
    assert [r["source"] for r in rep["metrics"]] == ["latest/vqa.json", "base/vqa.json"]
