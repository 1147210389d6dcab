"""Stop 68 review of area A (tiling): --min-score's one rule reads a numeric-string score as its number, and a
packed lot's cut car is not stretched onto its neighbours (8e6d428c's ``to_cut_edge``, reverted)."""

from __future__ import annotations

from rsvlm.io.nodata_objects import scored_at_least
from rsvlm.output_options import above_min_score


def test_min_score_compares_a_numeric_string_score_as_its_number():
    objs = [{"kind": "point", "coords": [0, 0], "score": s} for s in ("0.8", "0.3", 0.6, "nan")]
    kept, said = above_min_score(objs, 0.5)  # "0.8" >= 0.5 raised TypeError
    assert [o["score"] for o in kept] == ["0.8", 0.6]
    assert said == "2 of 4 object(s) scored below --min-score 0.5 dropped"
    assert scored_at_least(objs, 0.5) == kept  # the nodata count keeps the same objects, as given
