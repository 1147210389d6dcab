"""Review of stop 76 (B), the scorers' input reading: a ground truth whose own task's records are all skipped as
malformed says so, a prediction of a skipped record is not left to read as another set's, PTB's second Java run is
given one caption per odd character, and the --pred line read once keeps line and byte numbers at a chunk's edge."""

from __future__ import annotations

import json

import pytest
from conftest import eval_record, write_jsonl

BAD_BOX = "<box><loc_1></box>"
BOX = "<box><loc_100><loc_100><loc_500><loc_500></box>"


def test_a_task_whose_records_are_all_skipped_names_them_in_its_refusal(tmp_path):
    """Ten vqa records and two grounding ones of bad shape: the grounding scorer said 'no records of task ground
    (found {'vqa': 10})' alone, the skipped two unsaid (before stop 76 their line was named)."""
    from eval import grounding
    from eval.inputs import ScoreError

    recs = [eval_record(f"v{i}", "vqa", "[vqa] Is there a ship?", "yes") for i in range(10)]
    recs += [eval_record(f"g{i}", "ground", "[ground] The ship.", BAD_BOX) for i in range(2)]
    gt = write_jsonl(tmp_path / "gt.jsonl", recs)
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "g0", "task": "ground", "answer": BOX}])
    with pytest.raises(ScoreError, match=r"no records of task ground \(found \{'vqa': 10\}\); score them with python "
                                         r"-m eval\.vqa; .*gt\.jsonl: 10 records read, 2 skipped .*gt\.jsonl:11 \(id g0\)"):
        grounding.main(["--gt", gt, "--pred", pred])


def test_a_prediction_of_a_skipped_record_is_counted_as_its(tmp_path, capsys):
    """A record skipped for a bad field other than its id ('conversations' missing) has its id read: its prediction
    was counted in n_pred_not_in_gt ('names no record … some may be theirs'); since stop 78 the file is read again
    for such ids (eval.gt_skips), and the prediction is counted as given for the skipped record."""
    from eval import vqa

    recs = [eval_record(i, "vqa", "[vqa] Is there a ship?", "yes") for i in "abc"]
    gt = tmp_path / "gt.jsonl"
    gt.write_text("".join(json.dumps(r) + "\n" for r in recs) + json.dumps({"id": "d", "task": "vqa"}) + "\n")
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": i, "task": "vqa", "answer": "yes"} for i in "abcd"])
    s = vqa.main(["--gt", str(gt), "--pred", pred])
    assert (s["n_gt_bad_records"], s["n_gt_bad_fields"], s["n_pred_not_in_gt"]) == (1, 1, 0)
    out = capsys.readouterr().out
    assert "names no record" not in out and "nor 1 prediction given for it: " in out


def test_a_ground_truth_without_bad_records_keeps_its_not_in_gt_line():
    from eval.notes import count_notes

    assert count_notes({"n_pred_not_in_gt": 2, "first_ids": {"n_pred_not_in_gt": "x"}}) == [
        "2 predictions name no record of the ground truth; first: x"]


def test_ptbs_second_run_is_given_one_caption_for_each_odd_character():
    """Each caption holding U+FFFD went to the second Java run, which warns of every drop: 20k captions each
    holding three took 18 s more; one caption a character, in its context, names the same characters."""
    from eval.captioning import each_odd_once

    caps = ["plain ascii", "a \ufffd b", "c \ufffd\ufffd d", "港口 \x07", "港 e", "口 \ufffd \x01"]
    assert each_odd_once(caps) == ["a \ufffd b", "港口 \x07", "口 \ufffd \x01"]
    assert each_odd_once(["only ascii", "tab\tis odd"]) == ["tab\tis odd"]


def test_ptbs_second_run_names_every_character_given_one_caption_each(tmp_path, monkeypatch):
    import shutil

    if shutil.which("java") is None:
        pytest.skip("no java on the PATH: PTBTokenizer's warnings are Java's")
    from eval import captioning

    given = []
    real = captioning.ptb_warnings
    monkeypatch.setattr(captioning, "ptb_warnings", lambda texts: given.append(texts) or real(texts))
    texts = {(str(i), "cand"): [f"a harbour \ufffd{i} with \x07 ships"] for i in range(40)}
    texts[("x", "cand")] = ["a pier \x01 here"]
    dropped: set = set()
    captioning._tokenize(texts, True, dropped)
    assert dropped == {"\ufffd", "\x07", "\x01"} and len(given) == 1 and len(given[0]) == 2


@pytest.mark.parametrize("lead", [b"", b"\xef\xbb\xbf", b"\r\n\n"])
@pytest.mark.parametrize("sep", [b"\r\n", b"\r", b"\n"])
@pytest.mark.parametrize("delta", [-1, 0, 1])
@pytest.mark.parametrize("gz", [False, True])
def test_a_first_line_ending_at_a_chunks_edge_keeps_line_and_byte_numbers(tmp_path, monkeypatch, lead, sep, delta,
                                                                           gz):
    """The first line read once (ByteLines' skip=): its line end at the edge of a read, a CR LF split by it; a later
    byte that is no UTF-8 named at its offset in the file and its line, as before (checked against f6ef7a11)."""
    import gzip

    from eval import pred_bytes
    from eval.inputs import ScoreError, load_predictions

    monkeypatch.setattr(pred_bytes, "CHUNK", 64)
    pre, tail = lead + b'{"id": "a", "task": "cap", "answer": "', b'"}'
    first = pre + b"x" * (64 + delta - len(pre) - len(tail)) + tail
    third = b'{"id": "b", "answer": "y'
    data = first + sep + b"junk" + sep + third + b'\xff"}' + sep
    p = tmp_path / ("p.jsonl.gz" if gz else "p.jsonl")
    p.write_bytes(gzip.compress(data) if gz else data)
    at = len(first) + 2 * len(sep) + 4 + len(third)
    line = 3 + 2 * (lead == b"\r\n\n")
    with pytest.raises(ScoreError, match=rf"not UTF-8 text \(invalid start byte at byte {at}, line {line}\)"):
        load_predictions(p)
    p.write_bytes(gzip.compress(data.replace(b"\xff", b"")) if gz else data.replace(b"\xff", b""))
    got = load_predictions(p)
    assert list(got.by_id) == ["a", "b"] and got.bad_examples == [f"{p}:{line - 1}: not valid JSON (Expecting value "
                                                                   "at column 1)"]


def test_a_skipped_blind_record_is_not_said_to_be_skipped_by_rsvlm_eval(tmp_path):
    """rsvlm eval answers a blind record (need_answer=False): the note said it was skipped 'as rsvlm eval skips it'."""
    from eval import vqa

    recs = [eval_record(i, "vqa", "[vqa] Is there a ship?", "yes") for i in "abcde"]
    recs[0]["conversations"] = recs[0]["conversations"][:1]
    gt = write_jsonl(tmp_path / "gt.jsonl", recs)
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": i, "task": "vqa", "answer": "yes"} for i in "abcde"])
    note = next(n for n in vqa.main(["--gt", gt, "--pred", pred])["notes"] if "n_gt_bad_records" in n)
    assert "as rsvlm eval skips a malformed record (but for a blind one, its question without the answer, which " \
           "rsvlm eval answers and no scorer can score)" in note and "as rsvlm eval skips it:" not in note
