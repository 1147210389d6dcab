"""Review 76 (tta): a plain answer not of the kind its question asks ("Use oriented boxes." answered with boxes) no
longer leads against that kind where most of all the answers gave it (7 of 8 views' oriented boxes), as
``tta_lead.majority_kind`` lets words lead a ``[count]``; at half or fewer, or where the views' kind is not the one
asked (boxes to a plain ``[det]``, boxes to ``[seg]``), the plain answer's kind still leads."""

from __future__ import annotations

from conftest import blank_image
from test_tta_lead73 import DET, Views

from rsvlm import geometry, tta
from rsvlm.fusion import asked_kind, lead, other_kinds, outvoted
from rsvlm.tta_text import views_left_out

SHIP = {"kind": "obb", "label": "ship", "coords": [[20.0, 20.0], [30.0, 20.0], [30.0, 28.0], [20.0, 28.0]]}
BOX = geometry.encode([{"kind": "box", "label": "ship", "coords": [20.0, 20.0, 30.0, 28.0]}], 48, 48)
OBB = [[{"role": "user", "content": "<image>\n[det] Detect every ship. Use oriented boxes."}]]


def _fused(mode: str, said: dict | None = None, messages=OBB):
    views = tta.DIHEDRAL if mode == "dihedral" else tta.VIEWS
    return tta.fused_answers(Views([SHIP], 48, 48, views, said), messages, [blank_image(48, 48)], [(BOX, [])],
                             tta.FuseConfig(views=mode))[0]


def test_seven_of_eight_views_oriented_boxes_asked_for_outvote_the_plain_boxes():
    fused = _fused("dihedral")
    assert [o["kind"] for o in fused.objects] == ["obb"], fused.objects  # was the plain answer's box, 7 obbs left out
    assert fused.note == ("test-time augmentation: 7 of the 8 answers gave oriented boxes, the kind asked, against the "
                          "plain answer's boxes: theirs lead, the plain answer left out")
    assert fused.left_out == 1 and fused.answers == 8 and views_left_out(fused.note, fused.left_out)


def test_the_plain_kind_leads_at_half_or_against_a_kind_not_asked():
    fused = _fused("flip", {"h": BOX})  # 2 of 4 oriented boxes: no majority
    assert [o["kind"] for o in fused.objects] == ["box"] and "theirs lead" not in fused.note
    plain = _fused("dihedral", messages=DET)  # "Detect every ship." asks boxes: 7 obbs are still no vote
    assert [o["kind"] for o in plain.objects] == ["box"] and "theirs lead" not in plain.note
    box, obb = [{"kind": "box", "coords": [0.0, 0.0, 2.0, 2.0]}], [{"kind": "obb", "coords": SHIP["coords"]}]
    assert lead([box, obb, obb, box], asked="obb") is box and outvoted([box, obb, obb, box], "obb") is None
    views = [box, obb, obb, box, obb]  # 3 of 5
    assert lead(views) is box and lead(views, asked="obb") is views[1]
    assert outvoted(views, "obb").startswith("test-time augmentation: 3 of the 5 answers gave oriented boxes")
    assert other_kinds(views, ["h", "v", "t", "hv"], "obb") == [
        ("t", "it holds another kind of shape (boxes, while 3 of the 5 answers with shapes gave oriented boxes, "
              "the kind fused)")]
    assert asked_kind("[ground] Find the red ship. Use oriented boxes.") == "obb"
    assert asked_kind("[det] Detect every ship.") is None and asked_kind(None) is None


def test_words_never_lead_a_change_question_asking_polygons():
    """"[change] … Answer with polygons." is a shape question though its task is no ``SHAPE_TASKS`` one (a [change]
    caption is words): 7 of 8 views' captions let the words lead and left the plain polygons out."""
    pair = blank_image(64, 64) + blank_image(64, 64)
    building = [{"kind": "poly", "label": "change", "coords": [[10.0, 10.0], [40.0, 10.0], [40.0, 30.0], [10.0, 30.0]]}]
    for question, led in (("[change] Segment the changed areas. Answer with polygons.", False),
                          ("[change] What changed between the two images?", True)):
        msgs = [[{"role": "user", "content": f"<image>\n<image>\n{question}"}]]
        fused = tta.fused_answers(Views([], 64, 64, tta.DIHEDRAL, {v: "A building was built." for v in tta.DIHEDRAL[1:]}),
                                  msgs, [pair], [(geometry.encode(building, 64, 64), [])],
                                  tta.FuseConfig(views="dihedral"))[0]
        assert (fused.objects is None) == led and ("the words lead" in (fused.note or "")) == led, fused
