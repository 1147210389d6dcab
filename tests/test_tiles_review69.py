"""Review 69 of lead 69's A3 (``predict --on-nodata``): a tiled predict names the scene by its base name on the
progress bar and in the notes ``run_tiled`` prints itself (they showed the path as given, while predict's own
notes and ``--out`` used the base name); ``TileMerger`` takes the caller's ``ValidityMap`` when built."""

from __future__ import annotations

import json

import numpy as np
import pytest

from rsvlm.cli import main

ON_NODATA = "note: 1 object lies wholly on nodata pixels (kept; the image has no data there)"


@pytest.fixture
def collar_tif(tmp_path):
    """A 200x200 georeferenced GeoTIFF in a folder of its own, whose outer 60 px are nodata (0, declared)."""
    import rasterio
    from rasterio.transform import from_origin

    valid = np.zeros((200, 200), bool)  # (H, W)
    valid[60:-60, 60:-60] = True
    data = np.random.default_rng(2).integers(1, 255, (3, 200, 200), dtype=np.uint8) * valid  # (C, H, W)
    path = tmp_path / "scenes" / "collar.tif"
    path.parent.mkdir()
    with rasterio.open(path, "w", driver="GTiff", width=200, height=200, count=3, dtype="uint8", nodata=0,
                       crs="EPSG:32631", transform=from_origin(500000.0, 4000000.0, 10.0, 10.0)) as ds:
        ds.write(data)
    return path


def test_a_tiled_predict_names_the_scene_by_its_base_name_on_the_bar_and_in_run_tiled_s_notes(
        ckpt, collar_tif, tmp_path, capsys, monkeypatch):
    """stderr said 'tiles of /…/scenes/collar.tif' and '[/…/scenes/collar.tif] note: 1 object(s) lie wholly …'
    while --out's notes said '[collar.tif] note: …'."""
    from rsvlm import inference as inf

    boxes = "<ref>ship</ref><box><loc_50><loc_50><loc_150><loc_150></box>"  # (10, 10, 30, 30): on the collar
    monkeypatch.setattr(inf, "answerer", lambda *a, **k: lambda messages, images: [inf.Answer(boxes, [])
                                                                                   for _ in messages])
    out = tmp_path / "r.json"
    assert main(["predict", "--model", str(ckpt), "--image", str(collar_tif), "--max-new-tokens", "4", "--device",
                 "cpu", "--task", "det", "--tile", "200", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert f"[collar.tif] {ON_NODATA}" in json.loads(out.read_text())["notes"]
    assert f"[collar.tif] {ON_NODATA}" in err and "tiles of collar.tif" in err, err
    assert str(collar_tif.parent) not in err, err


def test_run_tiled_s_label_names_the_scene_and_defaults_to_its_name(tmp_path, capsys):
    from PIL import Image

    from rsvlm.io import TileMerger, run_tiled
    from rsvlm.io.nodata_objects import ValidityMap

    rgba = np.zeros((64, 64, 4), np.uint8)  # (H, W, C): transparent but for its last 16x16 px
    rgba[48:, 48:] = 200
    path = tmp_path / "a.png"
    Image.fromarray(rgba).save(path)
    detect = lambda ims: [[{"kind": "box", "coords": [2, 2, 10, 10]}] for _ in ims]  # noqa: E731
    for label, name in (("a.png", "a.png"), (None, str(path))):
        seen = ValidityMap()
        merger = TileMerger(validity=seen)
        assert merger.validity is seen
        run_tiled(path, detect, tile=32, overlap=0, merger=merger, label=label)
        err = capsys.readouterr().err
        assert f"tiles of {name}:" in err and f"[{name}] {ON_NODATA}" in err, err
        assert seen.on_nodata([{"kind": "box", "coords": [2, 2, 10, 10]}]) == [True]  # the map run_tiled filled
