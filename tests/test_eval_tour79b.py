"""Stop 79, evaluation round 2: ``n_gt_bad_shapes`` counts lines (a blind line sharing a bad shape's id hid it, so
the five kinds did not add up); a task refusal counts each skipped line of one id by its own reason (all took the
last line's); an id whose first line is an error row and whose later line answers is scored on the answer (two runs
joined by ``cat``); a caption set of short answers says why BLEU-4 and CIDEr are low beside ROUGE-L; the missing-stamp
warning says how many lines hold its answers where an id is on several."""

from __future__ import annotations

import json

import pytest
from conftest import eval_record, write_jsonl

GROUND = "<box><loc_1><loc_1><loc_9><loc_9></box>"
REVERSED = "<box><loc_9><loc_9><loc_1><loc_1></box>"  # a bad shape: x1 > x2


def _ground(rid: str, answer: str = GROUND) -> dict:
    return eval_record(rid, "ground", "[ground] Find the ship.", answer)


def _vqa(rid: str) -> dict:
    return eval_record(rid, "vqa", "[vqa] Is there a ship?", "yes")


def test_a_bad_shape_line_sharing_a_blind_lines_id_is_counted(tmp_path):
    """A blind line and a bad-shape line of one id: n_gt_bad_shapes was 0 (the id taken for the blind one's), so the
    kinds added up to 1 of n_gt_bad_records 2, and the note under the table called the other of unknown id."""
    from eval import grounding

    blind = _ground("gx")
    blind["conversations"] = blind["conversations"][:1]
    gt = write_jsonl(tmp_path / "gt.jsonl", [_ground(f"g{i}") for i in range(8)] + [blind, _ground("gx", REVERSED)])
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": f"g{i}", "task": "ground", "answer": GROUND} for i in range(8)])
    s = grounding.main(["--gt", gt, "--pred", pred])
    kinds = ("n_gt_bad_references", "n_gt_bad_shapes", "n_gt_bad_blind", "n_gt_bad_fields")
    assert [s[k] for k in kinds] == [0, 1, 1, 0] and s["n_gt_bad_records"] == 2


def test_a_task_refusal_counts_each_line_of_one_id_by_its_own_reason(tmp_path):
    """Two broken ground lines of id gx, one for its conversations and one for its images: the refusal said
    'bad field images: 2', the last line's reason given to both."""
    from eval import grounding
    from eval.common import ScoreError

    recs = [_ground("g0"), {**_ground("gx"), "conversations": "x"}, {**_ground("gx"), "images": "x"}]
    gt = write_jsonl(tmp_path / "gt.jsonl", recs + [_vqa(f"v{i}") for i in range(8)])
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "g0", "task": "ground", "answer": GROUND}])
    with pytest.raises(ScoreError) as e:
        grounding.main(["--gt", gt, "--pred", pred])
    assert "2 of its 3 ground records are skipped (bad field conversations: 1, bad field images: 1)" in str(e.value)


def test_an_error_row_followed_by_an_answer_scores_the_answer(tmp_path, capsys):
    """`cat run1.jsonl run2.jsonl`: record a failed in the first run and was answered in the second. The error row,
    first, was scored (accuracy 2/3) and the answer after it counted as a repeat 'with another answer'."""
    from eval import vqa

    gt = write_jsonl(tmp_path / "gt.jsonl", [_vqa(i) for i in "abc"])
    pred = write_jsonl(tmp_path / "p.jsonl", [
        {"id": "a", "task": "vqa", "answer": "", "error": "image unreadable"}, {"id": "b", "task": "vqa", "answer": "yes"},
        {"id": "c", "task": "vqa", "answer": "yes"}, {"id": "a", "task": "vqa", "answer": "yes"},
        {"id": "a", "task": "vqa", "answer": "no", "error": "later error"}])  # an error after the answer: not taken
    s = vqa.main(["--gt", gt, "--pred", pred])
    assert (s["accuracy"], s["n_pred_errors"], s["n_pred_duplicate_ids"], s["n_pred_duplicate_ids_differing"]) == (1.0, 0, 2, 1)
    assert any(n.startswith("1 id has an error row rsvlm eval wrote (\"error\") on its first line and an answer on a "
                            "later one, which is the one scored (first: a)") for n in s["notes"])
    assert s["n_pred_error_rows_passed"] == 1
    assert "note: 2 predictions repeat an id (the first one counts, the first without an error where an error row of " \
        "rsvlm eval's opens it); first: a" in capsys.readouterr().out


def test_an_answer_followed_by_an_error_row_keeps_the_answer(tmp_path):
    from eval.inputs import load_predictions

    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "a", "answer": "yes"}, {"id": "a", "answer": "", "error": "x"},
                                              {"id": "b", "answer": "", "error": "x"}, {"id": "b", "answer": "", "error": "y"}])
    got = load_predictions(pred)
    assert got.by_id["a"][1]["answer"] == "yes" and got.by_id["b"][1]["error"] == "x" and got.past_errors == []


@pytest.mark.parametrize("answers, said", [
    (["ship"], "the one answer is shorter than 4 words (first: r0)"),
    (["ship", "a large white plane on the apron"], "1 of the 2 answers is shorter than 4 words (first: r0)"),
    (["ship", "two planes"], "all 2 answers are shorter than 4 words (first: r0)"),
])
def test_short_captions_say_why_bleu4_and_cider_are_low(tmp_path, answers, said):
    """A one-word regcap answered exactly scored BLEU-4 0 and CIDEr 0 beside ROUGE-L 1.0, unsaid."""
    from eval import captioning

    recs = [eval_record(f"r{i}", "regcap", "[regcap] Describe <box><loc_1><loc_1><loc_9><loc_9></box>.", a)
            for i, a in enumerate(answers)]
    gt = write_jsonl(tmp_path / "gt.jsonl", recs)
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": f"r{i}", "task": "regcap", "answer": a} for i, a in enumerate(answers)])
    s = captioning.main(["--gt", gt, "--pred", pred, "--no-java"])
    note = next(n for n in s["notes"] if "shorter than 4 words" in n)
    assert note.startswith(said) and "BLEU-4 counts the 4-word runs of the whole set" in note
    assert s["ROUGE-L"] == pytest.approx(1.0)


def test_no_short_answer_note_for_whole_sentences(tmp_path):
    from eval import captioning

    rec = eval_record("r0", "cap", "[cap] Describe the image.", "a large white plane on the apron")
    gt = write_jsonl(tmp_path / "gt.jsonl", [rec])
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "r0", "task": "cap", "answer": "a plane on the apron"}])
    s = captioning.main(["--gt", gt, "--pred", pred, "--no-java"])
    assert not any("shorter than 4 words" in n for n in s["notes"])


def test_the_missing_stamp_warning_says_the_lines_where_ids_repeat(tmp_path):
    """A 5-line --out of 3 ids and no stamp: 'holds 3 answers' of a file of 5 answers' lines."""
    from rsvlm.eval_out import read_answers
    from rsvlm.predictions import unstamped_answers

    out = tmp_path / "p.jsonl"
    out.write_text("".join(json.dumps({"id": i, "task": "vqa", "answer": "yes"}) + "\n" for i in "aabbc"))
    held = read_answers(out)
    stamp, warning = unstamped_answers(out, {}, held.ids, None, held.n_rows)
    assert stamp["unchecked_answers"] == 3
    assert f"{out} holds 3 answers on 5 lines (2 repeating an id) but its p.jsonl.run.json is missing" in warning
    out.write_text("".join(json.dumps({"id": i, "task": "vqa", "answer": "yes"}) + "\n" for i in "abc"))
    held = read_answers(out)
    assert f"{out} holds 3 answers but its" in unstamped_answers(out, {}, held.ids, None, held.n_rows)[1]
