"""Measures of shapes for the tests, read from their public coordinates only (no fusion internals); shared by the
fusion and TTA tests (not fixtures: conftest holds those)."""

from __future__ import annotations

import math

import numpy as np
import pytest


def measured(quad) -> tuple[np.ndarray, float, float, float]:
    """(centre, long side, short side, long side's angle in radians) of a rectangle's 4 corners, measured edge by edge;
    asserts that they are a rectangle."""
    q = np.asarray(quad, dtype=float)  # (4,2)
    e = np.roll(q, -1, axis=0) - q  # (4,2) edges
    lens = np.linalg.norm(e, axis=1)  # (4,)
    assert lens[:2] == pytest.approx(lens[2:]) and abs(float(np.dot(e[0], e[1]))) < 1e-6 * lens[0] * lens[1]  # a rectangle
    i = int(lens[1] > lens[0])
    return q.mean(0), float(lens[i]), float(lens[1 - i]), math.atan2(e[i][1], e[i][0])
