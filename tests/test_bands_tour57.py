"""Tour 57 (W2): band names matched without torch, sin-cos freezing by the encoder's flag, and
small leftovers (tiled predict's notes on Ctrl-C, the preview's constant band, ReadConfig keys)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np


def test_an_overlay_with_rgb_bands_by_other_names_does_not_load_torch(tmp_path):
    """rgb_bands B08/B04/B03 on a Google Earth Engine image named B2, B3, B4, B8: the names meet in
    ``bandnames`` (was: vis imported rsvlm.model.stem for them, 4-9 s of torch for a name lookup)."""
    code = f"""
import sys
import numpy as np
from rsvlm.io import RSImage
from rsvlm.io.vis import draw_overlay, to_display_rgb
data = np.zeros((4, 16, 16), np.float32)
data[3, :, 8:] = 0.4  # B8 bright on the right
img = RSImage(data=data, modality="msi", bands=["B2", "B3", "B4", "B8"], path="gee", valid=None)
rgb = to_display_rgb(img, rgb_bands=["B08", "B04", "B03"])
assert rgb[0, 12, 0] == 255 and rgb[0, 12, 1] == 0 and rgb[0, 2, 0] == 0, rgb[0]
assert (to_display_rgb(img)[..., 0] == 0).all()  # true colour: B4 (dark) as red
draw_overlay(img, [{{"kind": "box", "label": "x", "coords": [1, 1, 8, 8]}}], r"{tmp_path / 'o.png'}",
             rgb_bands=["B08", "B04", "B03"])
print("torch" in sys.modules)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
    assert (tmp_path / "o.png").stat().st_size > 0


def test_band_names_meet_as_before_from_bandnames_and_stem():
    from rsvlm.io.bandnames import band_at, band_key, colour_band_at
    from rsvlm.model import stem

    assert band_key("B04") == band_key("b4") == "b4" and band_key("B8A") == "b8a"
    assert band_at(["B2", "B3", "B4", "B8"], "red") == 2 and band_at(["R", "G", "B"], "B04") == 0
    assert band_at(["VV", "VH"], "HH") is None
    assert colour_band_at(["blue", "green", "red", "nir"]) == [2, 1, 0] and colour_band_at(["VV", "VH"]) is None
    assert stem.band_at is band_at and stem.SAME_BAND[0] == ("R", "red", "B04")
    assert stem.colour_bands(stem.StemConfig(modality="msi", bands=["B2", "B3", "B4"], mean=[0] * 3,
                                             std=[1] * 3)) == ["B4", "B3", "B2"]
