"""Rough edges of the geometry codec and the decoding grammar (tour 55)."""

from __future__ import annotations

import numpy as np
import pytest

from rsvlm import geometry


# ---------------------------------------------------------------- mask budgets


@pytest.mark.parametrize("budget", ["32", None, float("nan"), 32.7, True])
@pytest.mark.parametrize("form", ["poly", "grid"])
def test_a_mask_budget_that_is_no_whole_number_is_refused_naming_the_object(form, budget):
    """{"budget": "32"} was a bare TypeError from ``budget // 2`` (or ``"32" * n`` for a grid), NaN and
    32.7 were used as they came."""
    m = np.zeros((10, 12), bool)
    m[2:5, 3:7] = True
    with pytest.raises(ValueError, match=r"object 0: mask budget must be a whole number"):
        geometry.encode([{"kind": "mask", "mask": m, "form": form, "budget": budget}], 12, 10)
    assert geometry.encode([{"kind": "mask", "mask": m, "form": form, "budget": 32.0}], 12, 10).count("<loc_") > 0


# ---------------------------------------------------------------- grid masks past their rows


def test_a_mask_whose_runs_pass_its_rows_many_times_decodes_without_building_them_all():
    """A free-decoded ``<run><loc_999>`` repeated made 999 row lists per token before all but R were
    cut: 1000 of them built a million rows (2.4 s, ~100 MB) to keep 999. The count is still said."""
    import tracemalloc

    head = "<mask><grid><loc_0><loc_0><loc_999><loc_999><loc_999><loc_999></grid><row><loc_0><loc_5><loc_3><loc_7>"
    text = head + "<run><loc_999>" * 1000 + "</mask>"
    tracemalloc.start()
    try:
        parsed = geometry.decode(text, 1000, 1000)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert parsed.problems == ["<mask> has 999001 rows, header says 999; cut"]
    assert peak < 10_000_000, peak
    rows = parsed.objects[0]["coords"]["rows"]
    assert len(rows) == 999 and all(r == [0, 5, 3, 7] for r in rows)
    exact = geometry.decode(head + "<run><loc_998></mask>", 1000, 1000)  # the same mask, its 999 rows as written
    assert exact.problems == [] and exact.objects == parsed.objects
