"""Stop 70's review of the scorers (area F): a decimal's dozen as a whole number, the classification spelling fold
with both spellings or two classes in reach, bytes after a gzip predictions file's data."""

from __future__ import annotations

import gzip

import pytest
from conftest import eval_record, write_jsonl


@pytest.mark.parametrize(("reference", "number"), [
    ("0.5 dozen", 6), ("1.5 dozen", 18), ("0.25 Dozen.", 3), ("2.0 dozen", 24), ("half a dozen", 6),
    ("0.3 dozen", None), ("0.1 dozen", None), ("0.5 dozen ships", None)])
def test_a_decimal_dozen_is_a_whole_number_where_twelve_times_it_is_whole(reference, number):
    """"0.5 dozen" was read as text while "half a dozen" was 6 (and parse_count read both as 6): a decimal before
    "dozen" is a whole number where 12 times it is whole; "0.3 dozen" (3.6) is none."""
    from rsvlm.answer_text import vote_keys, whole_number

    assert whole_number(reference) == number
    if number is not None:  # the --tta vote reads it as the count it is
        assert len(set(vote_keys([reference, str(number), "Yes."], "vqa")[:2])) == 1


@pytest.mark.parametrize(("reference", "answer", "right"), [
    ("0.5 dozen", "6", True), ("0.5 dozen", "Half a dozen.", True), ("1.5 dozen", "eighteen ships", True),
    ("0.5 dozen", "5", False), ("0.3 dozen", "4", False), ("0.3 dozen", "0.3 dozen", True)])
def test_vqa_scores_six_right_to_half_a_dozen_written_as_a_decimal(tmp_path, reference, answer, right):
    """eval.vqa compared the reference "0.5 dozen" as text: the answer "6" was wrong, "half a dozen" too. A decimal
    dozen that is no whole number stays text."""
    from eval import vqa

    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record("q", "vqa", "[vqa] How many ships?", reference)])
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "q", "answer": answer}])
    assert vqa.main(["--gt", gt, "--pred", pred])["n_correct"] == right


def test_the_spelling_fold_takes_the_records_own_class_and_picks_none_of_two(tmp_path):
    """F's fold mapped an answer onto the class of its spelling found last (a dict of the classes by spelling): with
    both "harbor" (NWPU) and "harbour" (the synthetic scenes) in one set, "harbour" to a harbor record stayed wrong
    though it was right in either set alone, and an answer that spells two classes got one of them by sort order.
    Its record's own class comes first; one it could spell two ways is left as written."""
    from eval import classification

    classes = ["harbor", "harbour", "gray centre", "grey center", "airport"]
    recs = [eval_record(f"c{i}", "cls", "[cls] What scene?", c) for i, c in enumerate(classes)]
    gt = write_jsonl(tmp_path / "gt.jsonl", recs)
    pred = write_jsonl(tmp_path / "p.jsonl", [
        {"id": "c0", "answer": "Harbour."}, {"id": "c1", "answer": "harbor"},  # both right: their own class respelt
        {"id": "c2", "answer": "grey centre"},  # its own class in another spelling: right
        {"id": "c3", "answer": "gray center"},  # ditto
        {"id": "c4", "answer": "grey centre"}])  # spells two classes, neither its own: left as written, (other)
    got = classification.main(["--gt", gt, "--pred", pred])
    assert got["n_correct"] == 4 and got["n_answers_spelt_otherwise"] == 4, got
    assert got["confusion_matrix"]["harbor"] == {"harbor": 1} and got["confusion_matrix"]["harbour"] == {"harbour": 1}
    assert got["confusion_matrix"]["airport"] == {"(other)": 1}
    # one class in reach, not the record's: it is that class's column (a wrong answer, seen as which)
    pred = write_jsonl(tmp_path / "q.jsonl", [{"id": f"c{i}", "answer": "aeroplane" if i == 4 else c}
                                              for i, c in enumerate(classes)])
    one = write_jsonl(tmp_path / "g1.jsonl", [*recs[:4], eval_record("c4", "cls", "[cls] What scene?", "airport"),
                                              eval_record("c5", "cls", "[cls] What scene?", "airplane")])
    got = classification.main(["--gt", one, "--pred", pred])
    assert got["confusion_matrix"]["airport"] == {"airplane": 1}, got["confusion_matrix"]


def test_bytes_after_a_gzip_predictions_files_data_are_refused_not_dropped(tmp_path):
    """F's member-by-member reading stopped at the first bytes that were no gzip member and dropped them unsaid (an
    uncompressed file appended, a member's header corrupt: its answers scored as missing without a word); gzip
    refused them before. They are refused, naming the file; a cut in the next member's header is a cut, noted."""
    from eval import common

    first = gzip.compress(b'{"id": "x", "answer": "no"}\n')
    second = gzip.compress(b'{"id": "y", "answer": "no"}\n')
    for name, tail in (("plain", b'{"id": "y", "answer": "no"}\n'), ("header", b"\x1f\x8c" + second[2:])):
        (tmp_path / f"{name}.gz").write_bytes(first + tail)
        with pytest.raises(common.ScoreError, match=f"{name}.gz: a gzip file that cannot be decompressed .*no gzip member"):
            common.load_predictions(tmp_path / f"{name}.gz")
    (tmp_path / "pad.gz").write_bytes(first + bytes(16) + second)  # gzip's zero padding between members: read past
    assert list(common.load_predictions(tmp_path / "pad.gz").by_id) == ["x", "y"]
    for n in (1, 5):  # cut inside the second member's header
        (tmp_path / f"cut{n}.gz").write_bytes(first + second[:n])
        got = common.load_predictions(tmp_path / f"cut{n}.gz")
        assert list(got.by_id) == ["x"] and any("cut short" in e for e in got.bad_examples), got.bad_examples


@pytest.mark.parametrize(("text", "whole", "count"), [
    (".5", None, 1), (".5 dozen", 6, 6), ("about .5 ships", None, 1), ("-.5", None, None), ("v.2", None, 2),
    ("3 ships. 5 planes", None, 3)])
def test_a_point_with_no_digit_before_it_is_a_decimals(text, whole, count):
    """".5" lost its point as punctuation: read as 5, and ".5 dozen" as the whole number 60. It is 0.5 (rounded half
    up as any decimal: 1), ".5 dozen" 6; a point after a letter or a word's end is none."""
    from rsvlm.answer_text import parse_count, whole_number

    assert (whole_number(text), parse_count(text)) == (whole, count)
