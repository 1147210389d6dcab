"""Review of tour 67 (area A, tiling): the nodata count under ``TileMerger(min_score=...)``; tour 67's tests hold
the tiled predict that says such an object where --min-score keeps it, and the strip standing along y."""

from __future__ import annotations

import pytest
from test_tiles_tour67 import merged_on_half_nodata


def _on_nodata(min_score: float, scores: list) -> int:
    """How many of boxes scored ``scores``, all on the nodata left half of the scene, the merger says."""
    return merged_on_half_nodata(min_score, [([2, 4 + 10 * i, 20, 10 + 10 * i], s) for i, s in enumerate(scores)]
                                 ).n_on_nodata


def test_a_numeric_string_score_is_counted_by_its_number():
    """A tile object's score may be a numeric string (docs/cli.md); with min_score the merge met
    "'>=' not supported between instances of 'str' and 'float'"."""
    assert _on_nodata(0.5, ["0.8", "0.3", 0.9, None]) == 3


def test_a_nan_score_is_counted_as_predicts_min_score_keeps_it():
    assert _on_nodata(0.0, [float("nan"), 0.2]) == 2  # no --min-score: every object is kept
    assert _on_nodata(0.1, [float("nan"), 0.2]) == 1  # predict's above_min_score drops a NaN score


@pytest.mark.parametrize("min_score", [float("nan"), "0.5", None])
def test_a_min_score_that_is_no_number_is_refused_naming_it(min_score):
    from rsvlm.io import TileMerger

    with pytest.raises(ValueError, match=r"min_score .*give a number, 0 to 1"):
        TileMerger(min_score=min_score)
