"""Tour 68 (area A, tiling): the seam helpers live in ``seams.py`` (``SeamIndex``, ``at_seam``, ``slanted``), not
on ``TileMerger``. (Tiling's --min-score is predict's one rule, ``output_options.above_min_score``: the nodata count
under it is tests/test_tiles_tour67.py's and test_tiles_review67.py's.)"""

from __future__ import annotations


def test_a_seam_index_gives_no_seam_that_a_third_window_sees_across():
    from rsvlm.io.seams import SeamIndex

    index = SeamIndex()
    for w in ((0, 0, 100, 100), (100, 0, 100, 100)):
        index.see(w)
    assert index.line((0, 0, 100, 100), (100, 0, 100, 100)) == ("x", 100, 0, 100)
    index.see((50, 0, 100, 100))  # --overlap 50: window 50 holds x = 100 inside
    assert index.line((0, 0, 100, 100), (100, 0, 100, 100)) is None


def test_a_box_cut_at_the_mergers_seam_is_one_and_at_seam_says_so():
    from shapely.geometry import box

    from rsvlm.io import TileMerger
    from rsvlm.io.seams import at_seam

    merger = TileMerger()  # (its ``seams`` as a public attribute: tests/test_tiles_tour63.py)
    for w, c in (((0, 0, 100, 100), [80, 10, 100, 30]), ((100, 0, 100, 100), [0, 10, 15, 30])):
        merger.add(w, [{"kind": "box", "label": "car", "coords": c}])
    assert len(merger.result()) == 1
    a, b = ({"geom": box(*c), "window": w, "order": k}
            for k, (w, c) in enumerate((((0, 0, 100, 100), (80, 10, 100, 30)), ((100, 0, 100, 100), (100, 10, 115, 30)))))
    assert at_seam(merger.seams, a, b, 0.5, merger.edge_tol)
