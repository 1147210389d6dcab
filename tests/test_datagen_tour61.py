"""Tour 61 (data generation): split sizes."""

from __future__ import annotations

from collections import Counter

import pytest

from data_gen.instructions.splits import assign_splits, split_count


@pytest.mark.parametrize("n, fraction, want", [(5, 0.5, 3), (7, 0.5, 4), (50, 0.05, 3), (90, 0.05, 5),
                                               (10, 0.35, 4), (10, 0.25, 3), (40, 0.05, 2), (3, 0.0, 0)])
def test_split_sizes_round_halves_up(n, fraction, want):
    """round() took halves to even: 0.5 of 5 scenes was 2 but of 7 was 4, 0.05 of 50 was 2 and of 90 was 4."""
    assert split_count(n, fraction) == want
    assert Counter(assign_splits(n, fraction, 0.0, 0))["val"] == want


def test_train_keeps_a_scene_when_the_fractions_leave_it_one():
    # val 0.4 + test 0.4 of 4 scenes rounded to 2 + 2: train had none though a fifth of the scenes was asked for it
    assert Counter(assign_splits(4, 0.4, 0.4, 0)) == {"train": 1, "val": 2, "test": 1}
    assert Counter(assign_splits(1, 0.5, 0.0, 0)) == {"train": 1}
    assert Counter(assign_splits(2, 0.5, 0.5, 0)) == {"val": 1, "test": 1}  # nothing asked for train
    assert Counter(assign_splits(6, 0.0, 1.0, 0)) == {"test": 6}


def test_bad_split_fractions_name_the_config_keys():
    with pytest.raises(ValueError, match=r"split\.val=0\.5, split\.test=0\.6"):
        assign_splits(4, 0.5, 0.6, 0)
