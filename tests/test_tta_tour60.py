"""Tour 60 of test-time augmentation and answer fusion: tta.py's size, empty ``<ref></ref>`` labels in
fused answers, and compass words in other cases and forms."""

from __future__ import annotations

from pathlib import Path

from rsvlm import tta, tta_views

REPO = Path(__file__).resolve().parents[1]


def test_tta_stays_small_and_its_view_pixels_are_still_importable_from_it():
    """tta.py had grown to 484 lines; the views' pixels moved to tta_views, and every name callers
    take from tta (tests, eval, predict, train) is still there, the same object."""
    assert len((REPO / "rsvlm" / "tta.py").read_text().splitlines()) < 430
    for name in ("crop_window", "crop_view", "flip_array", "unflip_array", "view_size", "to_view", "unflip",
                 "uncrop"):
        assert getattr(tta, name) is getattr(tta_views, name)
