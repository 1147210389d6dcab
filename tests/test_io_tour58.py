"""Rough-edge tour 58 of image I/O: labels that are lists on an overlay, hand-built ReadConfigs with
wrong types, one flat-band rule, Sentinel-1 I/Q bands, odd GeoTIFFs and tiled scenes."""

from __future__ import annotations

import numpy as np
import pytest

from rsvlm.io import RSImage, draw_overlay


def _img(data, modality="optical", bands=("R", "G", "B"), valid=None):
    return RSImage(data=np.asarray(data, np.float32), modality=modality, bands=list(bands), path="synthetic",
                   valid=valid)


def test_an_overlay_draws_a_list_label_and_names_an_object_whose_label_is_a_mapping(tmp_path):
    """A label that is a list (several classes of one object) met "unhashable type: 'list'" in the
    colour table; a mapping now gets an error naming the object."""
    from PIL import Image

    img = _img(np.zeros((3, 64, 64)))
    out = draw_overlay(img, [{"kind": "box", "label": ["ship", "boat"], "coords": [4, 4, 40, 40]},
                             {"kind": "box", "label": ["ship", "boat"], "coords": [50, 50, 60, 60]}],
                       tmp_path / "o.png", min_side=64)
    drawn = np.asarray(Image.open(out))
    assert drawn[30, 4].any() and tuple(drawn[58, 50]) == tuple(drawn[30, 4])  # one colour for one label
    with pytest.raises(ValueError, match=r"object 1 .*label \{'a': 1\} is no text"):
        draw_overlay(img, [{"kind": "point", "label": "x", "coords": [3, 3]},
                           {"kind": "box", "label": {"a": 1}, "coords": [1, 1, 9, 9]}], tmp_path / "p.png")
