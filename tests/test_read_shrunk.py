"""A whole scene larger than inference.READ_MAX_SIDE is read shrunk, its answers still in scene pixels."""
import json

import numpy as np
import pytest

from rsvlm import geometry
from rsvlm import inference as inf
from rsvlm.cli import main


def _tif(path, w, h):
    import rasterio
    from rasterio.transform import from_origin

    data = np.random.default_rng(0).integers(0, 255, (3, h, w), dtype=np.uint8)  # (C, H, W)
    with rasterio.open(path, "w", driver="GTiff", width=w, height=h, count=3, dtype="uint8", crs="EPSG:32631",
                       transform=from_origin(500000.0, 4000000.0, 2.0, 2.0)) as ds:
        ds.write(data)
    return path


def test_a_shrunk_read_keeps_the_scene_grid(tmp_path):
    path = _tif(tmp_path / "s.tif", 200, 100)
    spec = inf.ImageSpec([str(path)], "optical")
    img = inf.read_spec(spec, max_side=64)
    assert (img.width, img.height) == (64, 32) and inf.scene_wh(img) == (200, 100)
    assert any("read shrunk from 200x100 to 64x32 px" in n for n in img.notes)
    full = inf.read_spec(spec, max_side=4096)  # not larger than max_side: read as it is
    assert (full.width, full.height) == (200, 100) and not any("shrunk" in n for n in full.notes)
    answer = geometry.encode([{"kind": "box", "label": "ship", "coords": [50.0, 20.0, 150.0, 80.0]}], 200, 100)
    small, whole = inf.locate(answer, img)["objects"][0], inf.locate(answer, full)["objects"][0]
    assert small["coords"] == whole["coords"] == pytest.approx([50.1, 20.05, 150.1, 80.05])  # scene pixels
    assert small["map_coords"] == whole["map_coords"]
    assert small["map_coords"][0] == pytest.approx([500000.0 + 2 * 50.1, 4000000.0 - 2 * 20.05])


def test_predict_on_a_scene_above_the_read_limit(ckpt, tmp_path, capsys):
    w = inf.READ_MAX_SIDE + 52
    path = _tif(tmp_path / "wide.tif", w, 40)
    out = tmp_path / "r.json"
    assert main(["predict", "--model", str(ckpt), "--image", str(path), "--task", "det", "--max-new-tokens", "8",
                 "--out", str(out), "--vis", str(tmp_path / "v.png")]) == 0
    assert f"read shrunk from {w}x40 to" in capsys.readouterr().err
    res = json.loads(out.read_text())
    assert (res["images"][0]["width"], res["images"][0]["height"]) == (w, 40)  # the scene's, not the read's
    assert (tmp_path / "v.png").is_file()
