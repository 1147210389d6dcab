"""Review 61 of ``rsvlm predict --tile``'s notes (rsvlm/predict_tiles.py)."""

import numpy as np
import pytest


@pytest.mark.parametrize("scene, tile, overlap", [((19, 19), 10, 6), ((200, 130), 96, 95), ((300, 20), 96, 60),
                                                  ((96, 64), 32, 24), ((1000, 37), 64, 40), ((23, 51), 16, 9)])
def test_the_over_half_overlap_note_says_the_most_windows_any_pixel_is_in(scene, tile, overlap):
    """The last window of a row is flush with the scene's edge, nearer its neighbour than a step: at
    --tile 10 --overlap 6 on a 19x19 scene pixel (9, 9) is in all 16 windows, and the note said "up to 9"
    (ceil(tile / step) per side)."""
    from types import SimpleNamespace

    from rsvlm.io.windows import iter_windows
    from rsvlm.predict_tiles import overlap_notes

    count = np.zeros(scene[::-1], int)
    for x, y, w, h in iter_windows(*scene, tile, overlap):
        count[y : y + h, x : x + w] += 1
    said = []
    overlap_notes(SimpleNamespace(tile=tile, overlap=overlap), scene, "s.png", lambda text, label: said.append(text))
    assert len(said) == 1 and f"each pixel in up to {count.max():,} of them" in said[0]
