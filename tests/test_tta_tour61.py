"""TTA direction words and fusion (stop 61)."""

import pytest

from rsvlm.tta_words import swap_words


@pytest.mark.parametrize("text, view, said", [
    ("the NorthEast corner", "h", "the NorthWest corner"),
    ("the NorthEast corner", "t", "the SouthWest corner"),
    ("a SouthWesterly wind", "v", "a NorthWesterly wind"),
    ("heading northEastward", "h", "heading northWestward"),
])
def test_a_camel_case_compass_word_keeps_each_capital(text, view, said):
    """"NorthEast" was mapped as "northeast" but written back with its first capital only ("Northwest"),
    unlike "North-East" or "North East", whose capitals stay; back from the view it is the word asked."""
    assert swap_words(text, view) == said
    assert swap_words(said, view, back=True) == text


def _box(coords, score=0.9, label="ship"):
    return {"kind": "box", "label": label, "coords": list(coords), "score": score}


def _obb(x0, y0, x1, y1, score=0.9):
    return {"kind": "obb", "label": "ship", "coords": [[x0, y0], [x1, y0], [x1, y1], [x0, y1]], "score": score}


@pytest.mark.parametrize("other", [
    [6, 6, 36, 36],  # the same ship drawn looser: IoU 0.44, wholly inside
    [12, 12, 32, 32],  # 2 px off in x and y on a 20 px ship: IoU 0.68 joins as before
])
def test_one_object_the_views_drew_a_little_differently_is_one_shape(other):
    """Two boxes of one ship, IoU under cluster_iou (0.5) between views, stayed two after --tta."""
    from rsvlm.fusion import fuse

    got = fuse([[_box([10, 10, 30, 30])], [_box(other, 0.8)], [_box([10, 10, 30, 30])]], 96, 96, many=True)
    assert len(got) == 1 and got[0]["label"] == "ship"
    assert got[0]["score"] == pytest.approx((0.9 + 0.8 + 0.9) / 3, abs=1e-5)  # all three views found it


def test_a_small_box_a_little_off_is_one_shape_obbs_too():
    from rsvlm.fusion import fuse

    got = fuse([[_box([10, 10, 20, 20])], [_box([12, 12, 22, 22], 0.8)]], 96, 96, many=True)  # IoU 0.47, 64 % inside
    assert [o["coords"] for o in got] == [[11, 11, 21, 21]]
    got = fuse([[_obb(10, 10, 30, 30)], [_obb(6, 6, 36, 36, 0.8)]], 96, 96, many=True)
    assert len(got) == 1 and got[0]["kind"] == "obb"


def test_neighbours_stay_apart():
    """Two ships one view told apart, ships of other classes, and side-by-side ships are not joined."""
    from rsvlm.fusion import fuse

    a, b = [10, 10, 30, 30], [14, 14, 34, 34]  # IoU 0.47, 64 % inside: near enough to join, were they one
    got = fuse([[_box(a), _box(b, 0.85)], [_box(a, 0.8)]], 96, 96)
    assert sorted(o["coords"] for o in got) == [[10, 10, 30, 30], b]
    got = fuse([[_box(a)], [_box([6, 6, 36, 36], 0.8, "harbour")]], 96, 96, many=True)
    assert sorted(o["label"] for o in got) == ["harbour", "ship"]
    got = fuse([[_box([10, 10, 20, 20]), _box([20, 10, 30, 20])], [_box([10, 10, 20, 20]), _box([20, 10, 30, 20])]],
               96, 96)
    assert len(got) == 2


def test_a_crop_s_piece_of_a_shape_is_not_joined_to_the_whole():
    """A shape cut by a crop's inner edge lies inside the whole one but is no copy of it: averaging it in
    would shrink the box."""
    from rsvlm.fusion import fuse

    whole, piece = [40, 40, 60, 60], [40, 40, 60, 47]  # the crop (0, 0, 88, 47) cut the ship at y = 47: IoU 0.35
    got = fuse([[_box(whole)], [_box(piece, 0.8)]], 96, 96, windows=[(0, 0, 96, 96), (0, 0, 88, 47)], many=True)
    assert [o["coords"] for o in got][0] == whole and len(got) == 2


def test_contain_is_checked():
    from rsvlm.tta import FuseConfig

    with pytest.raises(ValueError, match="contain 0"):
        FuseConfig(contain=0)


@pytest.mark.parametrize("text, view, said", [
    ("the northeasternmost tank", "h", "the northwesternmost tank"),
    ("the north-easternmost tank", "t", "the south-westernmost tank"),
    ("the South-Westernmost ship", "v", "the North-Westernmost ship"),
])
def test_the_most_forms_of_intercardinals_are_mirrored(text, view, said):
    """"northeasternmost" was no direction word at all: a flipped view asked for the same corner's tank, that
    is another tank; "north-easternmost" under a transpose was "west-southernmost"."""
    from rsvlm.tta_words import frames

    assert swap_words(text, view) == said and swap_words(said, view, back=True) == text
    assert frames(text)  # a crop changes which tank it is


def test_an_answer_of_no_word_is_no_vote():
    """Two views that answered "?" and "..." (the same empty key) outvoted the one that said "harbour"."""
    from rsvlm.fusion import vote

    assert vote(["?", "...", "harbour"]) == "harbour"
    assert vote(["Harbour.", "airport", "harbour"]) == "Harbour."
    assert vote(["?", "..."]) == "?"  # no view said a word: the earliest


def test_clustering_compares_only_shapes_that_overlap(monkeypatch):
    """Every shape was compared with every cluster (and every kept shape): 8 views of 150 obbs took over a
    minute on a dense scene. Shapes apart have IoU 0 and are not compared; the answer is the same."""
    import rsvlm.fusion as F

    calls = []
    iou = F._iou
    monkeypatch.setattr(F, "_iou", lambda a, b, reach: calls.append(1) or iou(a, b, reach))
    views = [[_box([x, y, x + 5, y + 5], 0.9 - 0.01 * v) for x in range(0, 90, 10) for y in range(0, 90, 10)]
             for v in range(4)]  # 81 ships far apart, each seen by the 4 views
    got = F.fuse(views, 96, 96)
    assert len(got) == 81 and all(o["score"] == pytest.approx(0.885) for o in got)
    assert len(calls) < 81 * 4 * 2  # each shape against its own cluster and its own kept shape, not all 81
