"""Review of reading tour 75: predict's windows (``rsvlm.io.windows.window_starts``) spread evenly as data_gen's
are (``data_gen.tiling.spread_starts``, since 11eb7a10) where an overlap is asked; at overlap 0 they meet edge to edge."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("n, tile, overlap", [(520, 256, 1), (1000, 512, 64), (19, 10, 6), (256, 255, 1),
                                              (4096, 1024, 128), (300, 300, 1), (100, 256, 1), (513, 256, 255)])
def test_predicts_windows_are_spread_as_data_gens(n, tile, overlap):
    """predict shifted only its last window back, a near copy of the one before (520 px at --tile 256: 0, 256,
    264); data_gen spreads them evenly since 11eb7a10. Same count, the first and last flush, at most a step apart."""
    from data_gen.tiling import spread_starts
    from rsvlm.io.windows import iter_windows, n_windows, window_starts

    step = tile - overlap
    starts = window_starts(n, tile, step)
    assert starts == spread_starts(n, tile, step)
    assert len(starts) == (1 if n <= tile else -(-(n - tile) // step) + 1)  # as many as before
    assert starts[0] == 0 and starts[-1] == max(0, n - tile) and all(0 < b - a <= step for a, b in zip(starts,
                                                                                                     starts[1:]))
    assert n_windows(n, n, tile, overlap) == len(iter_windows(n, n, tile, overlap)) == len(starts) ** 2


def test_at_overlap_0_predicts_windows_meet_edge_to_edge_the_last_flush():
    """Spread at --overlap 0, neighbours shared slivers of a few px (0, 95, 190 on 290 px at --tile 100) and the
    merger kept an object cut on both sides of one as two boxes; edge to edge it joins them at the seam. data_gen,
    which merges nothing, still spreads them."""
    from data_gen.tiling import spread_starts
    from rsvlm.io.windows import iter_windows, window_starts

    assert window_starts(290, 100, 100) == [0, 100, 190] and spread_starts(290, 100, 100) == [0, 95, 190]
    assert window_starts(300, 100, 100) == [0, 100, 200] == spread_starts(300, 100, 100)
    assert [w[0] for w in iter_windows(290, 100, 100, 0)][:3] == [0, 100, 190]
