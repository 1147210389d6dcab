"""Stop 68's review of the scoring scripts: counts said in dozens, and LLaVA's question file given as rsvlm eval's
--data, a scorer's --gt or --pred (python -m eval's words: test_eval_tour68)."""

from __future__ import annotations

import pytest
from conftest import eval_record, write_jsonl


@pytest.mark.parametrize("answer, count", [
    ("A dozen.", 12), ("about a dozen ships", 12), ("two dozen", 24), ("2 dozen", 24), ("Two-dozen.", 24),
    ("half a dozen", 6), ("1.5 dozen", 18), ("3 ships and a dozen cars", 3),  # the first number still
    ("Dozens.", None), ("dozens, maybe 30", 30),  # "dozens" is no number
])
def test_parse_count_reads_a_dozen_as_twelve(answer, count):
    """``a dozen`` was no count (the answer unparseable) and ``two dozen`` / ``2 dozen`` read as 2, their first
    number: a dozen is 12, times the number before it; ``dozens`` says no number."""
    from rsvlm.answer_text import parse_count

    assert parse_count(answer) == count


def test_counting_scores_and_tta_votes_read_dozens_alike(tmp_path):
    """The counting scorer and a ``--tta`` vote (``vote_keys``) read a count through ``parse_count``: "a dozen",
    "12" and "twelve ships" are one answer to both."""
    from eval import counting
    from rsvlm.answer_text import vote_keys

    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record(i, "count", "[count] How many ships?", n)
                                             for i, n in (("a", "12"), ("b", "24"), ("c", "5"))])
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "a", "task": "count", "answer": "A dozen."},
                                              {"id": "b", "task": "count", "answer": "Two dozen ships."},
                                              {"id": "c", "task": "count", "answer": "Dozens."}])
    s = counting.main(["--gt", gt, "--pred", pred])
    assert s["n_unparseable"] == 1 and s["accuracy"] == pytest.approx(2 / 3)
    assert len(set(vote_keys(["a dozen", "12", "twelve ships"], "count"))) == 1
    assert len(set(vote_keys(["A dozen.", "12", "12"], "vqa"))) == 1  # a whole-number vote: read as counts


def test_llava_questions_given_as_data_or_gt_are_named_with_the_way_to_records(tmp_path, capsys):
    """Since one rule tells a predictions file (stop 68), LLaVA's question file ({question_id, image, text}, no
    answer) given as rsvlm eval's --data was said to hold predictions ({id, task, answer} lines); as a scorer's --gt,
    "are --gt and --pred swapped?". Both name the question file and the jq line that makes records of it."""
    from eval.inputs import ScoreError, load_gt
    from rsvlm.cli import main

    path = write_jsonl(tmp_path / "q.jsonl", [{"question_id": "a", "image": "a.png", "text": "What scene?"}])
    assert main(["eval", "--data", path, "--model", str(tmp_path / "none"), "--out", str(tmp_path / "o.jsonl")]) == 2
    err = capsys.readouterr().err
    assert f"--data {path} is LLaVA's question file" in err and "holds predictions" not in err
    assert "jq -c '{id: .question_id, image: .image, conversations: [{from: \"human\"" in err
    with pytest.raises(ScoreError, match=r"--gt .*q.jsonl is LLaVA's question file .* > TEST.jsonl") as e:
        load_gt(path, ("vqa",))
    assert "swapped" not in str(e.value)
    answers = write_jsonl(tmp_path / "a.jsonl", [{"question_id": "a", "prompt": "What scene?", "text": "lake"}])
    with pytest.raises(ScoreError, match="are --gt and --pred swapped?"):  # model_vqa's answers: predictions still
        load_gt(answers, ("vqa",))


def test_a_null_answer_beside_an_image_is_no_question_file_line(tmp_path):
    """The note on LLaVA's question file given as --pred took any line with an 'image', no 'prompt' and an 'answer'
    that ``is`` its 'text': an "answer": null with no text was one (None is None), and quoting its text raised
    KeyError 'text', the whole scoring lost, where another line of the file was scored on its 'text'."""
    from eval import classification

    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record(i, "cls", "[cls] What scene?", "lake") for i in "ab"])
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "a", "image": "a.png", "answer": None},
                                              {"question_id": "b", "prompt": "What scene?", "text": "lake"}])
    s = classification.main(["--gt", gt, "--pred", pred])
    assert s["n_unparseable"] == 1 and s["accuracy"] == 0.5 and not any("question file" in n for n in s["notes"])
