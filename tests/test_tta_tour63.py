"""Tour 63 of test-time augmentation, answer decoding and the geometry grammar: tta.py's size, worded
"no objects" answers, class synonyms, snake_case labels."""

from __future__ import annotations

from pathlib import Path

from rsvlm import tta, tta_text

REPO = Path(__file__).resolve().parents[1]


def test_tta_has_room_and_its_view_messages_are_still_importable_from_it():
    """tta.py sat at 428 of its 430 lines; the views' messages moved to tta_text, every name callers
    take from tta (tests, train.data, chat) still there, the same object."""
    assert len((REPO / "rsvlm" / "tta.py").read_text().splitlines()) < 400
    for name in ("SPAN", "croppable", "crop_messages", "flip_view", "map_text", "shapes_only", "labels_back"):
        assert getattr(tta, name) is getattr(tta_text, name)
