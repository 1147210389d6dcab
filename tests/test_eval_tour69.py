"""Stop 69's tour of the scoring scripts."""

from __future__ import annotations

import pytest
from conftest import eval_record, write_jsonl


@pytest.mark.parametrize(("reference", "answer", "right"), [
    ("a dozen", "12", True), ("Two dozen.", "24 ships", True), ("half a dozen", "six", True),
    ("a dozen", "13", False), ("12", "a dozen", True), ("twelve", "12", True), ("a dozen ships", "12", False)])
def test_vqa_reads_a_reference_written_as_a_dozen_as_the_answer_is_read(tmp_path, reference, answer, right):
    """A reference "a dozen" was compared as text ("dozen") while the answer "a dozen" to the reference "12" was read
    as 12: the answer 12 was wrong to "a dozen" and "a dozen" right to 12. Both sides are read by one rule now."""
    from eval import vqa

    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record("a", "vqa", "[vqa] How many ships?", reference)])
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "a", "task": "vqa", "answer": answer}])
    assert vqa.main(["--gt", gt, "--pred", pred])["accuracy"] == (1.0 if right else 0.0)


def test_vqa_reads_a_json_number_answer_to_a_dozen_as_its_count(tmp_path):
    """"answer": 12 (another tool's JSON) answers a whole-number reference; "a dozen" is one now."""
    from eval import vqa

    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record("a", "vqa", "[vqa] How many ships?", "a dozen")])
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "a", "task": "vqa", "answer": 12}])
    scores = vqa.main(["--gt", gt, "--pred", pred])
    assert (scores["accuracy"], scores["n_unparseable"]) == (1.0, 0)
