"""Tour 63, second round of test-time augmentation fusion (helper T): a kept [det] "None." and its
notes, a self-intersecting polygon, worded "none" against real answers ("No damage", "No change")."""

from __future__ import annotations

import numpy as np

from rsvlm import tta
from rsvlm.model import ImageInput


def _image(w=40, h=40):
    return [ImageInput(np.zeros((3, h, w), np.float32))]  # (C,H,W)


def test_a_kept_det_none_still_says_the_views_not_asked():
    """[det] "the ships above the dock" under dihedral: the 4 transposed views cannot say "above"; every
    asked view answered "None." too, so fused_answers gave None and eval's "tta_unasked" (and a tiled
    predict's) never said that 4 of 7 views went unasked."""
    det = [[{"role": "user", "content": "<image>\n[det] Detect every ship above the dock."}]]
    asked = []

    def generate(messages, images):
        asked.append(messages[0][-1]["content"])
        return [("None.", []) for _ in messages]

    (kept,) = tta.fused_answers(generate, det, [_image()], [("None.", [])], tta.FuseConfig(views="dihedral"))
    assert len(asked) == 3 and kept is not None
    assert (kept.answer, kept.objects, kept.note, kept.answers) == ("None.", [], None, 4)
    assert kept.unasked.startswith("test-time augmentation: 4 other views not asked, 3 asked ('t', 'th', 'tv', 'thv'")
    assert kept.as_answer()[0] == "None."


def test_a_kept_worded_none_keeps_its_words_and_counts_a_view_left_out():
    """The plain answer's own words stay (not rewritten "None."); a view whose geometry did not parse is said."""
    det = [[{"role": "user", "content": "<image>\n[det] Detect every ship."}]]
    said = iter(["There are no ships.", "<box><loc_1></box>", "None."])
    (kept,) = tta.fused_answers(lambda m, i: [(next(said), [])], det, [_image()], [("No ships were detected.", [])])
    assert (kept.answer, kept.objects) == ("No ships were detected.", [])
    assert kept.note.startswith("test-time augmentation: 1 of 3 other view answers could not be fused")
    assert kept.unasked is None


def test_skipped_note_is_public():
    assert tta.skipped_note([], 7) is None
    assert "1 other view not asked, 2 asked" in tta.skipped_note(["c0"], 3)


def test_eval_counts_the_views_a_kept_det_none_was_not_asked(tmp_path, monkeypatch, capsys):
    """`rsvlm eval --tta dihedral` of "[det] ships above the dock" answered "None." by every view: its row had
    no "tta_unasked" and the run's count missed it (fused_answers gave None for a kept "None.")."""
    import json

    from PIL import Image
    from test_eval_ranks51 import RECORD
    from test_eval_tour53 import Processor, answering

    from rsvlm import evaluate

    answering(monkeypatch, "None.")
    det = {**RECORD, "task": "det", "conversations": [
        {"from": "human", "value": "<image>\n[det] Find every ship above the dock."}, {"from": "gpt", "value": "None."}]}
    Image.fromarray(np.zeros((16, 16, 3), np.uint8)).save(tmp_path / "a.png")
    data, out = tmp_path / "test.jsonl", tmp_path / "p.jsonl"
    data.write_text(json.dumps(det) + "\n")
    evaluate.run(None, Processor({}), data, out, batch_size=1, progress=False, tta=tta.FuseConfig(views="dihedral"))
    row = json.loads(out.read_text().splitlines()[0])
    assert row["answer"] == "None." and "tta_skipped" not in row and "tta_note" not in row
    assert row["tta_unasked"].startswith("test-time augmentation: 4 other views not asked, 3 asked")
    assert "rsvlm eval: note: 1 record was not asked some --tta views" in capsys.readouterr().err


SELF_CROSSING = ("<ref>storage tank</ref><poly><loc_2><loc_1><loc_1><loc_997><loc_996><loc_992><loc_5><loc_996>"
                 "<loc_997><loc_997></poly>")


def test_views_that_disagree_leave_no_slivers_of_one_pixel_squares():
    """The plain answer's self-crossing polygon (a triangle below the diagonal, zigzag slivers along the
    bottom) and the half-turn view's, the same tokens in its own frame (the triangle above the diagonal):
    the pixels both views' edges share were fused into one 1-px square per diagonal pixel (96 at 96 px),
    as many "storage tanks"; no view drew any of them."""
    from rsvlm import fusion, geometry

    w = h = 96
    said = {"": SELF_CROSSING, "hv": SELF_CROSSING, "h": "None.", "v": "None."}
    views = [tta.unflip(geometry.decode(said[v], w, h).objects, v, w, h) for v in tta.VIEWS]
    assert fusion.fuse(views, w, h, tta.FuseConfig(min_piece=0)) != []  # the old vote: the slivers
    assert fusion.fuse(views, w, h, tta.FuseConfig()) == []


def test_a_self_crossing_polygon_the_views_agree_on_is_one_polygon_and_a_small_offset_piece_stays():
    """Every view drew the self-crossing polygon alike: one polygon (its even-odd fill); two views drawing
    a 6-px tank 2 px apart keep their common 4 × 4 px (not a sliver: 44 % of each)."""
    from rsvlm import fusion, geometry

    w = h = 96
    views = [geometry.decode(SELF_CROSSING, w, h).objects] * 4
    (poly,) = fusion.fuse(views, w, h, tta.FuseConfig())
    assert geometry.objects_to_mask([poly], w, h).sum() >= 0.95 * geometry.objects_to_mask(views[0], w, h).sum()

    def tank(x, y):
        return [{"kind": "poly", "label": "tank", "coords": [[x, y], [x + 6, y], [x + 6, y + 6], [x, y + 6]]}]

    (kept,) = fusion.fuse([tank(10, 10), tank(12, 12), [], []], w, h, tta.FuseConfig())
    assert geometry.objects_to_mask([kept], w, h).sum() == 16


def test_min_piece_out_of_range_names_the_option():
    import pytest

    with pytest.raises(ValueError, match=r"min_piece 1\.5"):
        tta.FuseConfig(min_piece=1.5)


def test_the_text_vote_writes_a_worded_none_as_most_views_wrote_it():
    """"No damage" (xBD's class) twice and "None." once was one answer written "None." (the earliest)."""
    from rsvlm import fusion

    assert fusion.vote(["None.", "No damage", "minor damage", "no damage"]) == "No damage"
    assert fusion.vote(["No change.", "None.", "There is no change."]) == "No change."  # ties: the earliest
    assert fusion.vote(["None.", "There are no ships.", "harbour"]) == "None."


def test_a_class_vote_reads_no_none():
    """[cls] "damage level?": "None." and "No damage" were one answer, and outvoted "minor damage" twice."""
    from rsvlm import fusion

    answers = ["no damage", "None.", "minor damage", "minor damage"]
    assert fusion.vote(answers) == "no damage"  # a [vqa] vote: the none read in both
    assert fusion.vote(answers, nones=False) == "minor damage"
    cls = [[{"role": "user", "content": "<image>\n[cls] What is the damage level of the building?"}]]
    said = iter(["None.", "minor damage", "minor damage"])
    (fused,) = tta.fused_answers(lambda m, i: [(next(said), [])], cls, [_image()], [("no damage", [])])
    assert fused.answer == "minor damage"


def test_no_idea_is_no_none():
    """"No idea" read as "found none": a [det] view saying it counted as a view that found nothing, unsaid."""
    from rsvlm.answer_words import says_none

    assert not says_none("No idea.") and not says_none("no clue")
    assert says_none("No damage")  # to a [det] question, it found none
