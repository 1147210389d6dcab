"""Stop 69's lead items of the answer words: a dozen and none as whole numbers, "Nothing changed." as a none."""

from __future__ import annotations

import pytest
from conftest import eval_record, write_jsonl


@pytest.mark.parametrize(("reference", "number"), [
    ("a dozen", 12), ("Two dozen.", 24), ("half a dozen", 6), ("None.", 0), ("nothing", 0), ("12", 12),
    ("No.", None), ("dozens", None), ("a dozen ships", None), ("none of them", None), ("0.3 dozen", None)])
def test_whole_number_reads_a_dozen_and_none_as_eval_reads_a_reference(reference, number):
    """eval's VQA reads a reference of "a dozen" or "none" alone as 12 and 0; ``whole_number``, by which the
    ``--tta`` vote reads answers, read them as no number, so the two disagreed. eval's VQA now reads a reference
    by this one ``whole_number`` (``eval.text.whole_number``)."""
    from eval.text import whole_number as vqa_reads
    from rsvlm.answer_text import whole_number

    assert whole_number(reference) == number
    assert vqa_reads is whole_number


@pytest.mark.parametrize(("answers", "voted"), [
    (["Yes.", "a dozen", "12"], "a dozen"),  # two say 12: was "Yes." (a tie of three words)
    (["Yes.", "Yes.", "a dozen", "12", "twelve"], "a dozen"),  # three say 12: was "Yes." (two "12" to two "yes")
    (["None.", "0", "3", "Yes."], "None."),  # "None." reads 0 once counts are read
    (["no damage", "None.", "minor damage", "minor damage"], "minor damage")])  # "None." alone makes no count
def test_a_vqa_vote_reads_a_dozen_as_a_count(answers, voted):
    """The ``--tta`` vote reads a [vqa] answer as a count where more answers are a whole number than a yes/no
    reply; "a dozen" was none, so a dozen said twice lost to one "Yes."."""
    from rsvlm.fusion import vote

    assert vote(answers, task="vqa") == voted


@pytest.mark.parametrize("words", ["Nothing changed.", "Nothing has changed.", "No buildings have changed.",
                                   "There is no change between the two images.", "The two images show no change.",
                                   "No, nothing changed between these images."])
def test_nothing_changed_says_none(words):
    """data_gen's caption of a pair with no change, which the bundled model writes, said nothing was found; so
    did a pair's "no change between the two images" (another tool's)."""
    from rsvlm.answer_words import says_none

    assert says_none(words)
    assert not any(map(says_none, ["Nothing changed but a ship left.", "Something changed.",
                                   "No change between the two images but a ship left.", "Two ships between the images."]))


def test_change_all_maps_takes_nothing_changed_for_a_none(tmp_path):
    """``eval.change --all-maps``: "Nothing changed." to a map question was noted as an answer that holds no shape
    and does not say it found none ("the model answered in words")."""
    from eval import change

    question = "[change] Segment the changed buildings."
    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record(r, "change", question, "No change.") for r in "ab"])
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "a", "task": "change", "answer": "Nothing changed."},
                                              {"id": "b", "task": "change", "answer": "Two buildings were built."}])
    notes = change.main(["--gt", gt, "--pred", pred, "--all-maps"])["notes"]
    worded = [n for n in notes if "found none" in n]
    assert len(worded) == 1 and worded[0].startswith("1 answer holds no shape and does not say it found none"), notes
    assert "(first: b:" in worded[0], notes
