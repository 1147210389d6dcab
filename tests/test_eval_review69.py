"""Stop 69's review of the scoring scripts (area F)."""

from __future__ import annotations

import json

import pytest
from conftest import eval_record, write_jsonl

BOX = "<ref>ship</ref><box><loc_100><loc_200><loc_300><loc_400></box>"


def test_report_leaves_out_a_score_file_whose_run_options_are_no_mapping(tmp_path, capsys):
    """A score file whose run's ``options`` is no mapping (edited by hand, another tool's) passed eval.report's shape
    check and stopped --dir with an AttributeError from the "What answered" table; it is left out, named, as a
    ``run`` that is no mapping is, and given by --scores it is an error naming it."""
    from eval import counting, report
    from eval.common import main_guard

    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record("a", "count", "[count] How many ships?", "2")])
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "a", "task": "count", "answer": "2"}])
    folder = tmp_path / "scores"
    folder.mkdir()
    for name in ("good", "bad"):
        counting.main(["--gt", gt, "--pred", pred, "--out", str(folder / f"{name}.json")])
    bad = folder / "bad.json"
    bad.write_text(json.dumps({**json.loads(bad.read_text()), "run": {"model": "m", "options": "--tta flip"}}))
    capsys.readouterr()
    rep = report.main(["--dir", str(folder)])
    assert [r["source"] for r in rep["runs"]] == ["good.json"]
    assert f"{bad} is a score file whose 'run.options' is \"--tta flip\"" in capsys.readouterr().err
    with pytest.raises(SystemExit) as stop:
        main_guard(lambda: report.main(["--scores", str(folder / "good.json"), str(bad)]))
    assert stop.value.code == 2 and f"error: {bad}: a score file whose 'run.options'" in capsys.readouterr().err


def test_decoding_the_reference_once_still_checks_an_earlier_answer_turn(tmp_path):
    """load_gt's check decodes the last answer (the reference) at the record's size and checks the other turns as
    before: a bad box in an earlier answer of a multi-turn record is still a RecordError naming that turn."""
    from eval import grounding
    from rsvlm.data.records import RecordError

    rec = eval_record("g", "ground", "[ground] The ship.", BOX)
    rec["conversations"][1:1] = [{"from": "gpt", "value": "<box><loc_1></box>"},
                                 {"from": "human", "value": "[ground] And the other one?"}]
    gt = write_jsonl(tmp_path / "gt.jsonl", [rec])
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "g", "task": "ground", "answer": BOX}])
    with pytest.raises(RecordError, match=r"gt\.jsonl:1 \(id g\): field 'conversations\[1\]\.value': geometry does not"):
        grounding.main(["--gt", gt, "--pred", pred])


@pytest.mark.parametrize("size", [(640.0, 480.0), ("640", 480)])
def test_a_reference_without_a_whole_number_size_is_scored_or_refused_as_before(tmp_path, size):
    """Where meta's size is no whole number the check runs alone and the scorer decodes the reference itself: a float
    size scores as the whole number does, a size in quotes is the scorer's error naming the record."""
    from eval import detection
    from eval.common import ScoreError

    def run(name, w, h):
        gt = write_jsonl(tmp_path / f"{name}.jsonl", [eval_record("a", "det", "[det] Find the ships.", BOX, width=w,
                                                                  height=h)])
        pred = write_jsonl(tmp_path / f"{name}.p.jsonl", [{"id": "a", "task": "det", "answer": BOX}])
        return detection.main(["--gt", gt, "--pred", pred])

    whole = run("whole", 640, 480)
    if isinstance(size[0], float):
        got = run("float", *size)
        assert {k: got[k] for k in whole["headline"]} == {k: whole[k] for k in whole["headline"]}
    else:
        with pytest.raises(ScoreError, match=r"record 'a': meta\.width/meta\.height missing or not positive numbers"):
            run("text", *size)
