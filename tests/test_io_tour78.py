"""Reading tour 78: one overlap rule for predict's windows and the nodata note's (``windows.default_overlap``)."""

from __future__ import annotations

import numpy as np


def test_default_overlap_is_one_rule_for_predict_and_the_nodata_note():
    """predict_tiles gives windows.default_overlap itself (fills.tiling_skips had a copy of the rule), and the
    note's window count is predict's: a 1000 px scene at tile 512 (overlap 64) is cut into 3 x 3 windows."""
    from rsvlm import predict_tiles
    from rsvlm.io import fills, windows

    assert predict_tiles.default_overlap is windows.default_overlap
    assert [windows.default_overlap(t) for t in (128, 256, 512, 1024, 3)] == [32, 64, 64, 64, 0]
    valid = np.ones((1000, 1000), bool)
    valid[:, :520] = False  # the left column of windows (x 0-511) wholly nodata
    tile, skipped, n = fills.tiling_skips(valid, (1000, 1000), tiles=(512,))
    assert (tile, n) == (512, windows.n_windows(1000, 1000, 512, windows.default_overlap(512))) == (512, 9)
    assert skipped == 3


def test_reading_the_nodata_note_loads_no_model_code():
    """fills (a reader path) imports windows, not predict_tiles, which loads inference and torch."""
    import subprocess
    import sys

    code = ("import sys, rsvlm.io.fills; bad = [m for m in ('rsvlm.predict_tiles', 'rsvlm.inference') "
            "if m in sys.modules]; print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
