"""Fusion's join of contained clusters (tour 62): tied pairs were joined in the clusters' input order, so
the same shapes fused differently by the order the views happened to come in; containment is
``geometry.shapes.cover``, one function for boxes, obbs and polygons."""

from __future__ import annotations

import itertools

import pytest

from rsvlm.fusion import join_near
from rsvlm.geometry.shapes import cover
from rsvlm.tta import FuseConfig


def box(v: int, c: list[float]) -> list[tuple[int, dict]]:
    return [(v, {"kind": "box", "coords": c, "label": "ship"})]


def joined(clusters) -> frozenset:
    out = join_near(list(clusters), FuseConfig())
    return frozenset(frozenset((v, tuple(o["coords"])) for v, o in c) for c in out)


def test_nested_clusters_join_the_same_whatever_their_order():
    """A holds B holds C (each wholly inside: tied at 1.0), D is A drawn a little tighter in B's view:
    which pairs joined hung on the order; now the most alike (IoU) join first, then by contents."""
    a, b, c, d = box(0, [0, 0, 40, 40]), box(1, [4, 4, 34, 34]), box(2, [8, 8, 28, 28]), box(1, [2, 2, 38, 38])
    results = {joined(p) for p in itertools.permutations([a, b, c, d])}
    assert len(results) == 1
    (got,) = results
    assert sorted(len(k) for k in got) == [2, 2]  # A with D (IoU 0.81), B with C: never B and D (one view)


def test_a_chain_of_nested_clusters_of_other_views_is_one_object():
    a, b, c = box(0, [0, 0, 40, 40]), box(1, [4, 4, 34, 34]), box(2, [8, 8, 28, 28])
    assert {joined(p) for p in itertools.permutations([a, b, c])} == {joined([a, b, c])}
    assert [len(k) for k in joined([a, b, c])] == [3]


def square(x0, y0, s):
    return [[x0, y0], [x0 + s, y0], [x0 + s, y0 + s], [x0, y0 + s]]


@pytest.mark.parametrize("kind", ["obb", "poly"])
def test_cover_of_rings_matches_boxes(kind):
    big, small = {"kind": "box", "coords": [0, 0, 10, 10]}, {"kind": "box", "coords": [2, 2, 7, 7]}
    as_ring = [{"kind": kind, "coords": square(0, 0, 10)}, {"kind": kind, "coords": square(2, 2, 5)}]
    assert cover(big, small) == pytest.approx((0.25, 1.0))
    assert cover(*as_ring) == pytest.approx(cover(big, small))
    bowtie = {"kind": kind, "coords": [[0, 0], [10, 10], [10, 0], [0, 10]]}  # self-crossing: repaired, no error
    iou, inside = cover(bowtie, as_ring[0])
    assert iou == pytest.approx(0.5) and inside == pytest.approx(1.0)


def test_cover_names_a_shape_it_cannot_take():
    with pytest.raises(ValueError, match="'point'"):
        cover({"kind": "point", "coords": [1, 1]}, {"kind": "box", "coords": [0, 0, 2, 2]})


def test_an_unscored_view_shape_does_not_raise_the_fused_score():
    """A view whose answer's scores could not be aligned (``with_scores``) gives unscored shapes: each
    counted as a score of 1.0 in the cluster's mean (0.1, 1.0, 0.1 found by 3 of 4 views: 0.3, not 0.075)."""
    from rsvlm.fusion import fuse

    b = {"kind": "box", "coords": [10, 10, 30, 30], "label": "ship"}
    got = fuse([[{**b, "score": 0.1}], [dict(b)], [{**b, "score": 0.1}], []], 100, 100, FuseConfig(), many=True)
    assert [o["score"] for o in got] == [pytest.approx(0.1 * 3 / 4)]


def test_a_plain_answer_fusion_cannot_join_asks_no_view():
    """Boxes with obbs: ``fuse`` returns None, so every other view was asked (7 under dihedral) and its
    answers thrown away unsaid."""
    import numpy as np

    from rsvlm import tta
    from rsvlm.model import ImageInput

    def generate(messages, images):
        raise AssertionError("a view was asked of an answer fusion cannot join")

    plain = ("<box><loc_100><loc_100><loc_300><loc_300></box>"
             "<obb><loc_500><loc_500><loc_700><loc_520><loc_680><loc_700><loc_490><loc_680></obb>")
    image = [ImageInput(np.zeros((3, 40, 40), np.float32))]
    got = tta.fused_answers(generate, [[{"role": "user", "content": "[det] ships"}]], [image], [(plain, [0.5, 0.5])],
                            FuseConfig(views="dihedral"))
    assert got == [None]
