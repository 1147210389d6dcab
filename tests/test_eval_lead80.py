"""Stop 80 (lead): eval.loc_error's --shuffle-images run draws no progress bar of the datasets library's own."""
from __future__ import annotations

import datasets
import pytest


@pytest.mark.parametrize("bars_off", [False, True])
def test_the_shuffled_index_draws_no_flattening_bar_and_keeps_the_bars_setting(bars_off, capsys):
    """Past 1000 rows, remove_columns after select drew datasets' "Flattening the indices" bar into the default
    build's log at every shuffled run; the bars' setting is as it was after."""
    from eval.loc_error import with_records

    (datasets.disable_progress_bars if bars_off else datasets.enable_progress_bars)()
    try:
        n = 3000
        index = datasets.Dataset.from_dict({"i": list(range(n)), "record": ["r"] * n})
        got = with_records(index, list(range(0, n, 2)), [f"s{k}" for k in range(n // 2)])
        assert got["i"][:3] == [0, 2, 4] and got["record"][:2] == ["s0", "s1"] and len(got) == n // 2
        assert "Flattening" not in capsys.readouterr().err
        assert datasets.are_progress_bars_disabled() == bars_off
    finally:
        datasets.enable_progress_bars()
