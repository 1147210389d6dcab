"""Tour 68 (area A, tiling): tiling's --min-score rule is predict's one (``output_options.above_min_score``), and
the seam helpers live in ``seams.py`` (``SeamIndex``, ``at_seam``, ``slanted``), not on ``TileMerger``."""

from __future__ import annotations

import pytest

from rsvlm.io.nodata_objects import scored_at_least
from rsvlm.output_options import above_min_score

SCORES = [0.9, 0.5, 0.49, 0.0, 1.0, float("nan"), None, 1, 0]


@pytest.mark.parametrize("min_score", [0.0, 0.5, 1.0, -1.0])
def test_the_nodata_count_keeps_what_predicts_min_score_keeps(min_score):
    objs = [{"kind": "point", "coords": [i, i], **({} if s is None else {"score": s})} for i, s in enumerate(SCORES)]
    assert scored_at_least(objs, min_score) == above_min_score(objs, min_score)[0]


def test_a_numeric_string_score_is_kept_as_its_number_would_be():
    objs = [{"kind": "point", "coords": [0, 0], "score": s} for s in ("0.8", "0.3", "nan")]
    assert [o["score"] for o in scored_at_least(objs, 0.5)] == ["0.8"]  # the objects as given, not copies


def test_a_seam_index_gives_no_seam_that_a_third_window_sees_across():
    from rsvlm.io.seams import SeamIndex

    index = SeamIndex()
    for w in ((0, 0, 100, 100), (100, 0, 100, 100)):
        index.see(w)
    assert index.line((0, 0, 100, 100), (100, 0, 100, 100)) == ("x", 100, 0, 100)
    index.see((50, 0, 100, 100))  # --overlap 50: window 50 holds x = 100 inside
    assert index.line((0, 0, 100, 100), (100, 0, 100, 100)) is None


def test_the_merger_joins_through_the_seams_module():
    from shapely.geometry import box

    from rsvlm.io import TileMerger
    from rsvlm.io.seams import SeamIndex, at_seam

    merger = TileMerger()
    assert isinstance(merger.seams, SeamIndex)
    for w, c in (((0, 0, 100, 100), [80, 10, 100, 30]), ((100, 0, 100, 100), [0, 10, 15, 30])):
        merger.add(w, [{"kind": "box", "label": "car", "coords": c}])
    assert len(merger.result()) == 1
    a, b = ({"geom": box(*c), "window": w, "order": k}
            for k, (w, c) in enumerate((((0, 0, 100, 100), (80, 10, 100, 30)), ((100, 0, 100, 100), (100, 10, 115, 30)))))
    assert at_seam(merger.seams, a, b, 0.5, merger.edge_tol)


def _boxes_seen(boxes, scene, tile, overlap):
    """Each window of a ``tile``/``overlap`` tiling of ``scene`` (w, h) with ``boxes`` clipped to it (1 px or more)."""
    from rsvlm.io import iter_windows

    per = []
    for x0, y0, w, h in iter_windows(*scene, tile, overlap):
        c = [[max(b[0], x0) - x0, max(b[1], y0) - y0, min(b[2], x0 + w) - x0, min(b[3], y0 + h) - y0] for b in boxes]
        per.append(((x0, y0, w, h), [{"kind": "box", "label": "car", "coords": v} for v in c
                                     if min(v[2] - v[0], v[3] - v[1]) >= 1]))
    return per


def test_a_few_px_piece_drawn_a_pixel_off_its_tiles_edge_is_the_car_across_it():
    """``bench/tiling.py --only strips``' one car kept twice: the window at x 72 drew the car's 2.4-px piece from
    x 0.995, and its overlap with the whole car (x 61-74) was 0.979 px of the 1.97 its tile saw of it (< 0.5)."""
    from rsvlm.io import merge_tile_objects

    got = merge_tile_objects([((0, 0, 96, 1), [{"kind": "box", "label": "car", "coords": [60.987, 1, 73.975, 1]}]),
                              ((72, 0, 96, 1), [{"kind": "box", "label": "car", "coords": [0.995, 0, 3.333, 0]}])],
                             scene_size=(712, 1))
    assert [o["coords"] for o in got] == [[60.987, 1, 73.975, 1]]


def test_a_whole_car_a_pixel_off_its_tiles_edge_is_not_stretched_onto_a_neighbours_piece():
    """DOTA P1888's packed cars (boxes of its quads 48 and 50, --tile 124 --overlap 16): the car whole in the window
    ending at x 448 stops 2 px before it; stretched to the edge it took the next car's 5-px piece there."""
    from rsvlm.io import merge_tile_objects

    boxes = [[443.0, 444.0, 458.0, 488.0], [430.0, 445.0, 446.0, 490.0]]
    got = merge_tile_objects(_boxes_seen(boxes, (712, 557), 124, 16), scene_size=(712, 557))
    assert sorted(o["coords"] for o in got) == sorted(boxes)
