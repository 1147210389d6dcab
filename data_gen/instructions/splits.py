"""Train / val / test by scene, never by record: every record of a scene lands in one split."""

from __future__ import annotations

import numpy as np

SPLITS = ("train", "val", "test")


def assign_splits(n_scenes: int, val: float, test: float, seed: int) -> list[str]:
    """Split name per scene index: a seeded permutation cut at exact counts.

    With at least 3 scenes and positive fractions, val and test get one scene at least;
    ``test=1`` puts every scene in test (an evaluation set).
    """
    if val < 0 or test < 0 or val + test > 1:
        raise ValueError(f"split fractions val={val}, test={test} must be >= 0 and sum to at most 1")
    n_val = int(round(n_scenes * val))
    n_test = int(round(n_scenes * test))
    if n_scenes >= 3:
        n_val, n_test = max(n_val, int(val > 0)), max(n_test, int(test > 0))
    n_test = min(n_test, n_scenes - n_val)
    perm = np.random.default_rng([seed, 7]).permutation(n_scenes)
    out = ["train"] * n_scenes
    for i in perm[:n_val]:
        out[int(i)] = "val"
    for i in perm[n_val:n_val + n_test]:
        out[int(i)] = "test"
    return out
