"""Tour 59 of the synthetic scenes: arrivals' rounding, SAR double bounce at any scale, colour words
that the optical pixels show, and the synth command's odd options."""

from __future__ import annotations

import numpy as np

from data_gen.synth.scene import _place_recipe


class _CountingPlacer:
    """Stands in for ``layout.Placer``: records the count each recipe line asks for."""

    def __init__(self) -> None:
        self.objects, self.asked = [], []

    def place(self, cls, zone, n, angle=None, jitter=180.0):
        self.asked.append(n)
        return 0


def test_arrivals_are_half_a_draw_with_a_half_rounding_up():
    # round(0.5) == 0 and round(2.5) == 2 (half to even): a recipe line of one object never arrived
    from data_gen.synth.layout import Background

    bg = Background(np.zeros((8, 8), np.uint8), np.ones((8, 8), np.float32), np.zeros((8, 8), np.float32))
    recipe = [("ship", "water", (k, k), "free", 0) for k in (1, 2, 3, 5)]
    placer = _CountingPlacer()
    _place_recipe(placer, bg, recipe, np.random.default_rng(0), 20, scale_counts=0.5)
    assert placer.asked == [1, 1, 2, 3]
