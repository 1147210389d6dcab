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
