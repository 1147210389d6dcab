"""Review of stop 75's tta work: the motion and order rules read on real questions (the ``<image>`` token and task tag
before them), every trained phrasing still asked of every mirror view, "the first one" in a queue, the kind vote."""

from __future__ import annotations

import pytest

from rsvlm import geometry
from rsvlm.fusion import lead, other_kinds
from rsvlm.tta_text import view_messages

MIRRORS = ("h", "v", "t", "hv", "th", "tv", "thv")


def _asked(question: str, view: str, task: str = "vqa") -> str | None:
    """``question`` as ``view`` asks it in a real conversation's first turn; None where it is not asked."""
    said = view_messages([{"role": "user", "content": f"<image>\n[{task}] {question}"}], view, 64, 64)
    return None if said is None else said[0]["content"].split("] ", 1)[1]


@pytest.mark.parametrize("question, flipped", [
    ("Going from left to right, is the second building taller?",
     "Going from right to left, is the second building taller?"),
    ("Moving from left to right, which is the third building?", "Moving from right to left, which is the third building?")])
def test_an_opening_clause_orders_after_the_image_token_and_task_tag(question, flipped):
    """Read as a motion (no mirror view asked) once "<image>\\n[vqa] " stood before it: the sentence's start was only
    the text's start or a full stop, so the real question lost all 7 views the old code asked it in, turned."""
    assert _asked(question, "h") == flipped


@pytest.mark.parametrize("question", ["Is the first one in the queue red?", "Is the first one in line red?",
                                      "Is the second one in the convoy damaged?"])
def test_the_first_one_in_a_queue_counts_from_its_front_as_the_first_car_does(question):
    """"the first car in the queue" was kept as written in every view but "the first one in the queue" refused all."""
    assert [_asked(question, v) for v in MIRRORS] == [question] * len(MIRRORS)


@pytest.mark.parametrize("question", ["Is the second image cloudier?", "Wait one second, which ship is larger?",
                                      "Is the second-hand car lot full?", "Is the water brighter in the second band?",
                                      "Is the first one to dock the largest?", "Is the second one from the pier damaged?",
                                      "Is the first band brighter than the second one?", "Is the ship sailing north?"])
def test_other_seconds_are_asked_of_every_mirror_view(question):
    assert all(_asked(question, v) is not None for v in MIRRORS)


@pytest.mark.parametrize("question", ["Is the second ship sailing from left to right?", "Is the third tank going to the right?",
                                      "The first ship is moving left to right; is the second ship larger?",
                                      "Is the second one bigger than the first?"])
def test_an_order_no_side_sets_is_asked_of_no_mirror_view(question):
    assert all(_asked(question, v) is None for v in MIRRORS)


def _trained() -> list[tuple[str, str]]:
    """(task, question) of every trained phrasing (data_gen's templates), filled with a ship and a few expressions."""
    from data_gen.instructions import phrasings as P

    exprs = ["the ship", "the largest ship", "the leftmost ship", "the ship in the top left of the image",
             "the ship in the left part of the image", "the ship closest to the storage tank", "the red ship"]
    box = geometry.encode([{"kind": "box", "coords": [10.0, 12.0, 30.0, 40.0]}], 64, 64)
    fills = {"{expr}": exprs, "{box}": [box], "{lc}": ["water"], "{a}": ["ships"]}
    tasks = {"CLS": "cls", "CAP": "cap", "COUNT": "count", "COUNT_POINT": "count", "DET_ALL": "det", "DET_CLASS": "det",
             "GROUND": "ground", "REGCAP_CLASS": "regcap", "REGCAP_DESC": "regcap", "SEG_CLASS": "seg", "SEG_REF": "seg",
             "SEG_LANDCOVER": "seg", "CHANGE_CAPTION": "change", "CHANGE_SEG": "change"}
    templates = [(task, t) for name, task in tasks.items() for t in getattr(P, name)]
    templates += [("vqa", t) for ts in P.VQA.values() for t in ts]
    out = []
    for task, t in templates:
        key = next((k for k in fills if k in t), None)
        for fill in fills[key] if key else [""]:
            q = t.replace(key, fill) if key else t
            out.append((task, q.format(s="ship", pl="ships", b="planes") + (P.OBB_SUFFIX if task == "ground" else "")))
    return out


def test_every_trained_phrasing_is_asked_of_every_mirror_view():
    """Stop 75's motion and "the second one" rules refuse views of ordinals counted in no said order: none of the
    phrasings the model learnt is one (checked on the full fill, 8,920 questions, against the stop-74 code: none
    changed)."""
    trained = _trained()
    assert len(trained) > 100
    refused = [(task, q, v) for task, q in trained for v in MIRRORS if _asked(q, v, task) is None]
    assert refused == []


def test_a_two_two_tie_of_kinds_goes_to_the_earliest_view_and_names_the_count():
    box, point = [{"kind": "box", "coords": [0.0, 0.0, 2.0, 2.0]}], [{"kind": "point", "coords": [1.0, 1.0]}]
    views = [[], box, point, point, box]
    assert lead(views) is box
    assert other_kinds(views, ["h", "v", "hv", "t"]) == [
        (v, "it holds another kind of shape (points, while 2 of the 4 answers with shapes gave boxes, the kind fused)")
        for v in ("v", "hv")]
