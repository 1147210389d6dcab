"""Rough edges of the readers met with real products' metadata."""

from __future__ import annotations

import numpy as np
import pytest

from rsvlm.io import read_image
from rsvlm.model.stem import StemConfig, match_bands

rasterio = pytest.importorskip("rasterio")

S2 = StemConfig(modality="msi", bands=["B02", "B03", "B04", "B08", "B11", "B12"],
                mean=[0.1, 0.2, 0.3, 0.4, 0.5, 0.6], std=[0.1] * 6, encoder="default")


def test_a_band_without_colour_beside_rgb_is_not_taken_for_sentinel2_red(tmp_path):
    """An RGBN product (NAIP style) says R, G, B for its first bands and nothing for NIR. Its NIR
    was named b4, which band matching reads as B04, so NIR fed the red band and red was dropped."""
    path = tmp_path / "rgbn.tif"
    with rasterio.open(path, "w", driver="GTiff", width=16, height=16, count=4, dtype="uint8",
                       photometric="RGB") as ds:  # colour: red, green, blue, undefined
        ds.write(np.random.default_rng(0).integers(1, 255, (4, 16, 16), dtype=np.uint8))
    img = read_image(path)
    assert img.modality == "msi" and img.bands[:3] == ["R", "G", "B"]
    m = match_bands(S2, img.bands, 4, str(path), fill="copy")
    assert m.index[2] == 0  # B04 is the file's red band, not its fourth
    assert m.index[:3] == [2, 1, 0] and 3 not in m.index


def test_a_scaling_from_a_scene_of_other_bands_is_refused(tmp_path):
    """The check sat, unreachable, under a raise: a one-band stretch was broadcast over three bands."""
    from rsvlm.io import SceneReader, read_window

    one, three = tmp_path / "grey.tif", tmp_path / "rgb.tif"
    rng = np.random.default_rng(0)
    for path, n in ((one, 1), (three, 3)):
        with rasterio.open(path, "w", driver="GTiff", width=16, height=16, count=n, dtype="uint16") as ds:
            ds.write(rng.integers(0, 4000, (n, 16, 16), dtype=np.uint16))
    with SceneReader(one, modality="ir") as scene:
        scaling = scene.scaling
    with pytest.raises(ValueError, match=r"rgb\.tif: scaling\.stretch has 1 bands, image has 3"):
        read_window(three, (0, 0, 8, 8), modality="optical", scaling=scaling)
    assert read_window(one, (0, 0, 8, 8), modality="ir", scaling=scaling).data.shape == (1, 8, 8)
