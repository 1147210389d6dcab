"""Stop 69's review of the scoring scripts (area F)."""

from __future__ import annotations

import pytest
from conftest import eval_record, write_jsonl
from test_eval_tour69 import BOX


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
