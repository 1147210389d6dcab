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
