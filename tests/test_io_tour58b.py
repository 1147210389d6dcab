"""A folder given as an image (stop 58)."""

from __future__ import annotations

import pytest


def test_a_folder_of_scenes_is_answered_with_one_of_its_images_first(tmp_path):
    """A LEVIR-CD folder of RGB scenes was told only to join its files as band files, comma-separated."""
    from rsvlm.io.sources import check_image_path

    for name in ("a.png", "b.png"):
        (tmp_path / name).write_bytes(b"x")
    with pytest.raises(FileNotFoundError, match=rf"give one of its images, e\.g\. {tmp_path / 'a.png'}, or, where "
                                                r"they are one file per band, them comma-separated"):
        check_image_path(tmp_path)
