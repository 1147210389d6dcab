"""Stop 68 review of area A (tiling): --min-score's one rule reads a numeric-string score as its number, and a
packed lot's cut car is not stretched onto its neighbours (8e6d428c's ``to_cut_edge``, reverted)."""

from __future__ import annotations

from rsvlm.output_options import above_min_score


def test_min_score_compares_a_numeric_string_score_as_its_number():
    objs = [{"kind": "point", "coords": [0, 0], "score": s} for s in ("0.8", "0.3", 0.6, "nan")]
    kept, said = above_min_score(objs, 0.5)  # "0.8" >= 0.5 raised TypeError
    assert [o["score"] for o in kept] == ["0.8", 0.6]
    assert said == "2 of 4 objects scored below --min-score 0.5 dropped"


def _boxes_seen(boxes, scene, tile, overlap):
    """Each window of a ``tile``/``overlap`` tiling of ``scene`` (w, h) with ``boxes`` clipped to it (1 px or more)."""
    from rsvlm.io import iter_windows

    per = []
    for x0, y0, w, h in iter_windows(*scene, tile, overlap):
        c = [[max(b[0], x0) - x0, max(b[1], y0) - y0, min(b[2], x0 + w) - x0, min(b[3], y0 + h) - y0] for b in boxes]
        per.append(((x0, y0, w, h), [{"kind": "box", "label": "car", "coords": v} for v in c
                                     if min(v[2] - v[0], v[3] - v[1]) >= 1]))
    return per


def test_a_packed_lots_cut_piece_is_not_stretched_onto_the_next_car():
    """DOTA P1888's cars 3-5 (boxes of its quads, each overlapping the next) at --tile 76 --overlap 48: a piece of
    the car at x 422-439, stretched to the window edge it stopped near (``to_cut_edge``), matched the car at
    x 408-426 too, and the three came back as one box 408-451."""
    from rsvlm.io import merge_tile_objects

    boxes = [[436.0, 326.0, 451.0, 375.0], [422.0, 326.0, 439.0, 374.0], [408.0, 328.0, 426.0, 378.0]]
    got = [o["coords"] for o in merge_tile_objects(_boxes_seen(boxes, (712, 557), 76, 48), scene_size=(712, 557))]
    assert [408.0, 328.0, 426.0, 378.0] in got  # (the two others still come back as one: 422-451)


def test_a_whole_car_a_pixel_off_its_tiles_edge_is_not_stretched_onto_a_neighbours_piece():
    """DOTA P1888's packed cars (boxes of its quads 48 and 50, --tile 124 --overlap 16): the car whole in the window
    ending at x 448 stops 2 px before it; stretched to the edge it took the next car's 5-px piece there."""
    from rsvlm.io import merge_tile_objects

    boxes = [[443.0, 444.0, 458.0, 488.0], [430.0, 445.0, 446.0, 490.0]]
    got = merge_tile_objects(_boxes_seen(boxes, (712, 557), 124, 16), scene_size=(712, 557))
    assert sorted(o["coords"] for o in got) == sorted(boxes)
