"""Review of tour 68, the front door: a scene read shrunk to other ratios across and down (a 4100x5 strip is
read 2048x2 from a GeoTIFF, 1367x2 from a PNG) has its shapes drawn by ``/vis`` and ``predict --vis`` at
each axis's own ratio; the width's alone left a shape in the strip's lowest row "outside the image"."""

from __future__ import annotations

import pytest
from test_predict_edges import chat_repl, predict_det


@pytest.fixture
def strip(tmp_path):
    """A 4100x5 RGB GeoTIFF: read whole at most 2048 px a side, it is 2048x2 (x 0.4995, y 0.4)."""
    import numpy as np
    import rasterio
    from rasterio.transform import from_origin

    path = tmp_path / "strip.tif"
    with rasterio.open(path, "w", driver="GTiff", width=4100, height=5, count=3, dtype="uint8", crs="EPSG:32631",
                       transform=from_origin(500000.0, 4000000.0, 10.0, 10.0)) as ds:
        ds.write(np.full((3, 5, 4100), 120, np.uint8))
    return path


def test_an_overlay_scales_objects_by_each_axis(tmp_path):
    """object_scale (x, y): a box over an image's lower half is drawn there, on its lower half."""
    import numpy as np
    from PIL import Image

    from rsvlm.io import draw_overlay
    from rsvlm.io.read import RSImage

    img = RSImage(np.zeros((3, 50, 200), np.float32), "optical", ["R", "G", "B"], path="x.png")  # of a 400x200 scene
    box = {"kind": "box", "label": "field", "coords": [0, 100, 400, 200]}
    out = np.asarray(Image.open(draw_overlay(img, [box], tmp_path / "o.png", min_side=200, object_scale=(0.5, 0.25))))
    assert out.shape[:2] == (50, 200)  # no legend: the box is not outside the image
    lit = np.flatnonzero(out[:, 100:].max(axis=(1, 2)) > 0)  # rows drawn on right of the label (the image is black)
    assert 23 <= lit.min() <= 26 and lit.max() == 49, lit  # y 25 (100 x 0.25) to the bottom, outlined 2 px wide
    with pytest.raises(ValueError, match=r"object_scale \(0.5, 0\) must be above 0"):
        draw_overlay(img, [box], tmp_path / "p.png", object_scale=(0.5, 0))


def test_chat_vis_of_a_strip_draws_a_shape_in_its_lowest_row(ckpt, strip, tmp_path):
    from PIL import Image

    repl, out = chat_repl(ckpt)
    repl.load_image([str(strip), "optical"])
    assert (repl.images[-1].width, repl.images[-1].height) == (2048, 2)  # read shrunk: 0.4995 across, 0.4 down
    repl.last = {"question": "[det] Detect all ships.", "objects": []}
    assert repl.handle(f"/vis {tmp_path / 'none.png'}")
    repl.last = {"question": "[det] Detect all ships.", "objects": [{"kind": "box", "label": "ship",
                                                                     "coords": [1000, 4.2, 3000, 5]}]}
    assert repl.handle(f"/vis {tmp_path / 'one.png'}")
    assert out.getvalue().endswith(f"wrote {tmp_path / 'one.png'}\n"), out.getvalue()
    # the same size as the image drawn alone: no legend saying "1 object outside the image not drawn"
    assert Image.open(tmp_path / "one.png").size == Image.open(tmp_path / "none.png").size


def test_predict_vis_gives_the_overlay_each_axis_s_ratio(ckpt, strip, tmp_path, monkeypatch):
    import rsvlm.io

    drawn = {}
    real = rsvlm.io.draw_overlay

    def spy(*a, **kw):
        drawn.update(kw)
        return real(*a, **kw)

    monkeypatch.setattr(rsvlm.io, "draw_overlay", spy)
    assert predict_det(ckpt, strip, "--vis", str(tmp_path / "o.png")) == 0
    assert drawn["object_scale"] == pytest.approx((2048 / 4100, 2 / 5)) and (tmp_path / "o.png").is_file()
