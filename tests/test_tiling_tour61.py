"""Tour 61: ``rsvlm predict --tile`` notes (rsvlm/predict_tiles.py)."""

import pytest


@pytest.mark.parametrize("scene, tile, overlap, tiles, up", [((200, 130), 96, 95, 3675, 96 * 35),
                                                             ((300, 20), 96, 60, 7, 3),
                                                             ((96, 64), 32, 24, 45, 16)])
def test_an_overlap_over_half_the_tile_says_how_many_windows_a_pixel_is_in(scene, tile, overlap, tiles, up):
    """--overlap 95 --tile 96 on a 200x130 scene said each pixel was in up to 9,216 of its 3,675 tiles
    (96 x 96), though a 130 px side has 35 rows of windows; a 20 px strip has one row."""
    from types import SimpleNamespace

    from rsvlm.predict_tiles import overlap_notes

    said = []
    overlap_notes(SimpleNamespace(tile=tile, overlap=overlap), scene, "s.png", lambda text, label: said.append(text))
    assert len(said) == 1 and f"{tiles:,} tiles for this" in said[0] and f"each pixel in up to {up:,} of them" in said[0]
