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
    assert kept.unasked.startswith("test-time augmentation: 4 other view(s) not asked, 3 asked ('t', 'th', 'tv', 'thv'")
    assert kept.as_answer()[0] == "None."


def test_a_kept_worded_none_keeps_its_words_and_counts_a_view_left_out():
    """The plain answer's own words stay (not rewritten "None."); a view whose geometry did not parse is said."""
    det = [[{"role": "user", "content": "<image>\n[det] Detect every ship."}]]
    said = iter(["There are no ships.", "<box><loc_1></box>", "None."])
    (kept,) = tta.fused_answers(lambda m, i: [(next(said), [])], det, [_image()], [("No ships were detected.", [])])
    assert (kept.answer, kept.objects) == ("No ships were detected.", [])
    assert kept.note.startswith("test-time augmentation: 1 of 3 other view answer(s) could not be fused")
    assert kept.unasked is None


def test_skipped_note_is_public_and_the_old_name_still_answers():
    assert tta.skipped_note([], 7) is None
    assert tta._skipped_note is tta.skipped_note
    assert "1 other view(s) not asked, 2 asked" in tta.skipped_note(["c0"], 3)


def test_eval_counts_the_views_a_kept_det_none_was_not_asked(tmp_path, monkeypatch, capsys):
    """`rsvlm eval --tta dihedral` of "[det] ships above the dock" answered "None." by every view: its row had
    no "tta_unasked" and the run's count missed it (fused_answers gave None for a kept "None.")."""
    from test_eval_lead62 import _run
    from test_eval_ranks51 import RECORD
    from test_eval_tour53 import answering

    answering(monkeypatch, "None.")
    det = {**RECORD, "task": "det", "conversations": [
        {"from": "human", "value": "<image>\n[det] Find every ship above the dock."}, {"from": "gpt", "value": "None."}]}
    row = _run(tmp_path, tta.MODES["dihedral"], det)
    assert row["answer"] == "None." and "tta_skipped" not in row and "tta_note" not in row
    assert row["tta_unasked"].startswith("test-time augmentation: 4 other view(s) not asked, 3 asked")
    assert "rsvlm eval: note: 1 record(s) were not asked some --tta views" in capsys.readouterr().err
