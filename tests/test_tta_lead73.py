"""Stop 73 round 2 (area T2, tta): ``Fused.as_answer`` marks its answer fused; a shape ``geometry.decode`` repaired
(a reversed ``<box>``, a crossing ``<obb>``) fused as any other with a note; bare-ordinal answers about objects
counted in order kept out of the mirror views' vote; ``no_view_note`` reads a path no more."""

from __future__ import annotations

import re

import numpy as np
import pytest
from conftest import blank_image

from rsvlm import geometry, tta
from rsvlm.answering import is_fused
from rsvlm.fusion import Fused


class Views:
    """Stands in for an answerer: on each view (asked in ``views`` order, the identity's plain answer given apart) it
    answers ``objects`` (shapes of a ``w`` × ``h`` image) as seen there, or ``answers[view]`` where given (a
    callable: of that encoded text)."""

    def __init__(self, objects, w, h, views, answers=None):
        self.objects, self.w, self.h, self.views, self.answers, self.calls = objects, w, h, list(views), answers or {}, 0

    def __call__(self, messages, images):
        self.calls += 1
        view = self.views[self.calls]
        out = []
        for ims in images:
            hv, wv = ims[-1].array.shape[-2:]
            text = geometry.encode(tta.to_view(self.objects, view, self.w, self.h), wv, hv)
            said = self.answers.get(view, text)
            out.append((said(text) if callable(said) else said, []))
        return out


def reversed_box(text: str) -> str:
    """A ``<box>`` answer with its corners written the wrong way round (x2 y2 x1 y1)."""
    return re.sub(r"<box>(<loc_\d+><loc_\d+>)(<loc_\d+><loc_\d+>)</box>", r"<box>\2\1</box>", text)


def crossing_obb(text: str) -> str:
    """An ``<obb>`` answer with its last two corners swapped: its edges cross."""
    return re.sub(r"<obb>((?:<loc_\d+>){4})(<loc_\d+><loc_\d+>)(<loc_\d+><loc_\d+>)</obb>", r"<obb>\1\3\2</obb>", text)


DET = [[{"role": "user", "content": "<image>\n[det] Detect every ship."}]]


def test_fused_as_answer_is_marked_fused():
    """predict and chat set ``fused`` by assignment after ``as_answer``: the answer it made was not marked."""
    answer = Fused("<ref>ship</ref><box><loc_1><loc_2><loc_3><loc_4></box>").as_answer()
    assert answer.fused and is_fused(answer)


@pytest.mark.parametrize("kind, spoil, said", [
    ("box", reversed_box, "has x1>x2 or y1>y2; swapped"), ("obb", crossing_obb, "has crossing edges")])
def test_a_view_shape_repaired_on_decoding_is_fused_with_a_note(kind, spoil, said):
    """A view whose only problem was a repair was left out as "its geometry does not parse": with every view needed
    (min_views 4) the ship every view found was voted out."""
    coords = [4.0, 5.0, 14.0, 12.0] if kind == "box" else [[4.0, 5.0], [14.0, 5.0], [14.0, 12.0], [4.0, 12.0]]
    ship = [{"kind": kind, "label": "ship", "coords": coords}]
    plain = geometry.encode(ship, 40, 40)
    ask = Views(ship, 40, 40, tta.VIEWS, {"h": spoil})
    (fused,) = tta.fused_answers(ask, DET, [blank_image()], [(plain, [])], tta.FuseConfig(min_views=4))
    assert len(fused.objects) == 1 and fused.voted_out is None
    assert "could not be fused" not in fused.note
    assert fused.note.startswith("test-time augmentation: 1 shape repaired on decoding, fused as repaired")
    assert "view 'h': <" + kind + ">" in fused.note and said in fused.note


def test_a_plain_answer_repaired_on_decoding_is_fused_and_said():
    """A plain answer with a reversed box was not fused at all ("its answer's geometry does not parse")."""
    ship = [{"kind": "box", "label": "ship", "coords": [4.0, 5.0, 14.0, 12.0]}]
    plain = reversed_box(geometry.encode(ship, 40, 40))
    (fused,) = tta.fused_answers(Views(ship, 40, 40, tta.VIEWS), DET, [blank_image()], [(plain, [])])
    assert fused is not None and geometry.decode(fused.answer, 40, 40).problems == []
    assert fused.objects[0]["coords"] == pytest.approx(ship[0]["coords"], abs=0.05)
    assert "the plain answer: <box>" in fused.note and "swapped" in fused.note


def test_a_view_with_a_repair_and_a_real_problem_is_still_left_out_naming_the_problem():
    ship = [{"kind": "box", "label": "ship", "coords": [4.0, 5.0, 14.0, 12.0]}]
    plain = geometry.encode(ship, 40, 40)
    spoilt = {"h": lambda t: reversed_box(t) + "<box><loc_1></box>"}  # a box cut short after the repaired one
    (fused,) = tta.fused_answers(Views(ship, 40, 40, tta.VIEWS, spoilt), DET, [blank_image()], [(plain, [])])
    assert "1 of 3 other view answers could not be fused" in fused.note
    assert "its geometry does not parse (<box> needs 4 location tokens, got 1; dropped)" in fused.note
    assert "repaired" not in fused.note


def test_the_note_on_no_view_asked_comes_from_the_pixels_read_once(tmp_path, monkeypatch):
    """``no_view_note`` of an ``ImageInput`` holding a path read the file again only for its size (its read
    warnings given again): ``fused_answers``' ``no_views`` says it from the pixels it read."""
    from PIL import Image

    from rsvlm.model import image_args
    from rsvlm.model.processor import ImageInput

    Image.fromarray(np.tile(np.uint8([90, 60, 30]), (20, 30, 1))).save(path := tmp_path / "scene.png")
    read, real = [], image_args.from_file
    monkeypatch.setattr(image_args, "from_file", lambda p, *a: read.append(p) or real(p, *a))
    msgs = [[{"role": "user", "content": "<image>\n[cap] Describe the image."}]]
    plain = ("A harbour with many ships moored along two long piers.", [])  # a caption: no view is asked of it
    no_views, unasked = {}, set()
    (fused,) = tta.fused_answers(lambda m, i: pytest.fail("no view is asked"), msgs, [[ImageInput(str(path), modality="optical")]],
                                 [plain], no_views=no_views, unasked=unasked)
    assert fused is None and unasked == {0} and read == [str(path)]
    assert no_views == {0: "--tta flip: no view asked of this question (only shapes and answers of at most 4 words "
                           "are fused); the plain answer stands"}
    array = [ImageInput(np.zeros((3, 20, 30), np.float32))]  # (C,H,W): the same note from pixels given
    assert tta.no_view_note(msgs[0], array, plain, tta.FuseConfig()) == no_views[0] and read == [str(path)]


def test_a_bare_ordinal_answer_counting_things_is_left_out_of_every_mirror_views_vote():
    """"Which ship is damaged?" "The second.": each view counts the ships in its own order, yet each answer was voted
    as written (here the views' "The first." outvoted the plain answer)."""
    msgs = [[{"role": "user", "content": "<image>\n[vqa] Which ship is damaged?"}]]
    said = iter(["The first."] * 4 + ["The white one."] + ["The first."] * 2)
    (fused,) = tta.fused_answers(lambda m, i: [(next(said), [])], msgs, [blank_image()], [("The second.", [])],
                                 tta.FuseConfig(views="dihedral"))
    assert fused.answer == "The second." and fused.answers == 8
    assert fused.note.startswith("test-time augmentation: 6 of 7 other view answers could not be fused, left out of "
                                 "the vote (first: view 'h': its 'first' counts the objects in the view's own order")


@pytest.mark.parametrize("question", ["[vqa] Which ship is damaged, the first or the second?",
                                      "[vqa] Which row of tanks is full, the first or the last?",
                                      "[vqa] Which of the planes is the largest, the first or the last?"])
def test_a_question_picking_things_by_bare_ordinals_is_asked_of_no_mirror_view(question):
    """Asked of every view as written, though each counts the ships (or rows of tanks, any way round) in its own order."""
    msgs = [{"role": "user", "content": f"<image>\n{question}"}]
    assert all(tta.swap_words(question, v) is None for v in tta.DIHEDRAL[1:])
    unasked = set()
    (fused,) = tta.fused_answers(lambda m, i: pytest.fail("no view is asked"), [msgs], [blank_image()],
                                 [("The first.", [])], tta.FuseConfig(views="dihedral"), unasked=unasked)
    assert fused is None and unasked == {0}
    note = tta.no_view_note(msgs, blank_image(), ("The first.", []), tta.FuseConfig(views="dihedral"))
    assert "the question's 'first' under any mirror view, which counts them in another order: say from which side" in note


@pytest.mark.parametrize("question, h", [
    ("Which ship from the left is damaged, the first or the second?",  # counted from a side: turned, answer as is
     "Which ship from the right is damaged, the first or the second?"),
    ("Which image shows more change, the first or the second?", None),  # a pair's images: every view's order
    ("Which ship is first to dock, the first or the last?", None),  # an order in time
    ("Which row has the most tanks, the first or the last?", None)])  # a line of the image: its flip counts back
def test_bare_ordinals_of_a_side_a_pair_a_time_or_a_line_are_still_asked(question, h):
    assert tta.swap_words(question, "h") == (h or question)
    assert tta.swap_words("The second.", "h", back=True, **tta.spellings("The second.", question)) == "The second."


def test_a_training_view_of_a_bare_ordinal_answer_counting_things_is_none():
    """``map_text`` (training views) kept "The second." to "Which ship is damaged?" under a flip: a wrong sample."""
    msgs = [{"role": "user", "content": "<image>\n[vqa] Which ship is damaged?"},
            {"role": "assistant", "content": "The second."}]
    assert tta.view_messages(msgs, "h", 40, 40) is None and tta.view_messages(msgs, "", 40, 40) == msgs
    ship = msgs[:1] + [{"role": "assistant", "content": "The white one."}]
    assert tta.view_messages(ship, "h", 40, 40) == ship


@pytest.mark.parametrize("answer", ["Centre.", "The middle one.", "center"])
def test_a_middle_or_centre_answer_to_a_question_picking_things_is_still_voted(answer):
    """Found touring the bundled model ("Which ship is the largest?" "centre"): a place every mirror view keeps, which
    the bare-ordinal rule left out of the vote as a count of ships."""
    said = tta.spellings(answer, "[vqa] Which ship is the largest?")
    assert all(tta.swap_words(answer, v, back=True, **said) == answer for v in tta.DIHEDRAL[1:])
    assert tta.swap_words("Which ship is damaged, the middle or the last?", "h") is None  # "the last" counts
