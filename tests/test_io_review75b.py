"""Review of reading tour 75: predict's windows (``rsvlm.io.windows.window_starts``) spread evenly as data_gen's
are (``data_gen.tiling.spread_starts``, since 11eb7a10)."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("n, tile, overlap", [(520, 256, 0), (1000, 512, 64), (19, 10, 6), (256, 255, 0),
                                              (4096, 1024, 128), (300, 300, 0), (100, 256, 0), (513, 256, 255)])
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
