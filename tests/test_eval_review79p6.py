"""Review of stop 79's evaluation round 2 (P6): an error row followed by an answer is scored on the answer by every
scorer, its lines adding up, and ``rsvlm eval``'s closing line says so (it said the scorers score the error row);
the short-caption note's figures are what pycocoevalcap gives (BLEU-4 is 3e-5, not 0)."""

from __future__ import annotations

import importlib

import pytest
from conftest import eval_record, write_jsonl

POLY = "<poly><loc_100><loc_100><loc_300><loc_100><loc_300><loc_300><loc_100><loc_300></poly>"
BOX = "<box><loc_100><loc_100><loc_300><loc_300></box>"
CASES = [
    ("vqa", "vqa", "[vqa] Is there a ship?", "yes"),
    ("classification", "cls", "[cls] What scene is this?", "harbor"),
    ("captioning", "cap", "[cap] Describe the image.", "a large white ship moored at the harbor"),
    ("grounding", "ground", "[ground] Find the ship.", BOX),
    ("detection", "det", "[det] Detect all ships.", f"<ref>ship</ref>{BOX}"),
    ("counting", "count", "[count] How many ships?", "4"),
    ("segmentation", "seg", "[seg] Segment the harbors.", f"<ref>harbor</ref>{POLY}"),
    ("change", "change", "[change] Segment the change.", POLY),
]


@pytest.mark.parametrize("script, task, question, answer", CASES, ids=[c[0] for c in CASES])
def test_every_scorer_scores_the_answer_after_an_error_row(tmp_path, script, task, question, answer):
    """`cat run1 run2`: a's error row, then b, c and a's answer. Each scorer scores as if a's answer alone were
    there; its 4 lines are 3 scored and 1 repeating an id."""
    scorer = importlib.import_module(f"eval.{script}")
    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record(i, task, question, answer) for i in "abc"])
    joined = write_jsonl(tmp_path / "p.jsonl", [{"id": "a", "task": task, "answer": "", "error": "image unreadable"}]
                         + [{"id": i, "task": task, "answer": answer} for i in "bca"])
    clean = write_jsonl(tmp_path / "q.jsonl", [{"id": i, "task": task, "answer": answer} for i in "abc"])
    extra = ["--no-java"] if script == "captioning" else []
    s, c = (scorer.main(["--gt", gt, "--pred", p, *extra]) for p in (joined, clean))
    assert {k: s[k] for k in s["headline"]} == {k: c[k] for k in c["headline"]}
    counts = ("n_pred_errors", "n_pred_error_rows_passed", "n_pred_duplicate_ids", "n_pred_duplicate_ids_differing",
              "n_pred_lines")
    assert [s[k] for k in counts] == [0, 1, 1, 0, 4]
    assert s["n_records"] - s["n_missing"] + s["n_pred_duplicate_ids"] == s["n_pred_lines"]


def test_the_closing_line_says_an_error_row_gives_way_as_the_scorers_do(tmp_path):
    """rsvlm eval's closing line over the same joined --out said '1 with another answer than the first: the scorers
    score each id's first line', the error row, which no scorer scores since b99cc747."""
    from rsvlm.eval_out import kept_note

    out = tmp_path / "out.jsonl"
    write_jsonl(out, [{"id": "a", "task": "vqa", "answer": "", "error": "image unreadable"},
                      *({"id": i, "task": "vqa", "answer": "yes"} for i in "bca"), {"id": "b", "task": "vqa", "answer": "no"}])
    said = kept_note(out, list("abc"))
    assert said == (f"nothing left to answer: {out} unchanged (3 answers kept); 2 more lines repeat an id, 1 with another "
                    "answer than the first: the scorers score each id's first line, or where an error row opens it the "
                    "first without an error (1 id: n_pred_error_rows_passed) and count the rest (n_pred_duplicate_ids)")
    write_jsonl(out, [{"id": "a", "task": "vqa", "answer": "yes"}, {"id": "a", "task": "vqa", "answer": "", "error": "x"}])
    assert kept_note(out, ["a"]).endswith("1 with another answer than the first: the scorers score each id's first "
                                          "line and count the rest (n_pred_duplicate_ids)")  # an error row after: not taken


def test_the_short_caption_notes_figures_are_pycocoevalcaps(tmp_path):
    """The note said BLEU-4 'is 0' where every answer is one word: the score file holds 3e-5 (a 0 count smoothed).
    CIDEr is 0 for any answer, a whole sentence matched too, in a set of one record, as the note says."""
    from eval import captioning

    def scored(answers: list[str], name: str) -> dict:
        recs = [eval_record(f"r{i}", "cap", "[cap] Describe the image.", a) for i, a in enumerate(answers)]
        gt = write_jsonl(tmp_path / f"{name}.gt.jsonl", recs)
        pred = write_jsonl(tmp_path / f"{name}.p.jsonl", [{"id": f"r{i}", "answer": a} for i, a in enumerate(answers)])
        return captioning.main(["--gt", gt, "--pred", pred, "--no-java"])

    s = scored(["ship", "plane", "tank"], "short")
    assert 0 < s["BLEU-4"] < 1e-4 and s["CIDEr"] == pytest.approx(2.5) and s["ROUGE-L"] == pytest.approx(1.0)
    note = next(n for n in s["notes"] if "shorter than 4 words" in n)
    assert "so it is near 0 where every answer is that short (3e-5 where each is one word" in note
    assert "at most a quarter of a whole match" in note
    assert scored(["a large white ship moored at the harbor"], "one")["CIDEr"] == 0
