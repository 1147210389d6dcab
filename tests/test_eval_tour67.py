"""Stop 67's tour of the scoring scripts: the swapped-file check reads a prediction as load_predictions does,
the meta-size note finds images under --image-root, rsvlm eval's context-cap note is said by a rank that loads."""

import pytest
from conftest import eval_record, write_jsonl


@pytest.mark.parametrize("pred", [
    {"id": "r0", "objects": [{"kind": "box", "coords": [1, 2, 30, 40]}]},  # a detector's own objects, no answer
    {"id": "r0", "text": "<box><loc_1><loc_2><loc_3><loc_4></box>"},  # scored on its text
    {"id": "r0", "objects": [{"kind": "box", "coords": [1, 2, 30, 40], "note": "x" * (5 << 20)}]},  # past the head
])
def test_predictions_without_an_answer_given_as_gt_are_named_as_swapped(tmp_path, pred):
    """--gt naming a predictions file of ``objects`` (or ``text``) and no ``answer`` said "field 'conversations':
    missing or empty" of its first line: the swapped-file check knew only the ``answer`` key (and LLaVA's
    question_id with text), where load_predictions scores these lines."""
    from eval import common, detection

    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record("r0", "det", "[detection] Find ships.", "None.")])
    pred_file = write_jsonl(tmp_path / "pred.jsonl", [pred])
    with pytest.raises(common.ScoreError, match="are --gt and --pred swapped"):
        detection.main(["--gt", pred_file, "--pred", gt])
