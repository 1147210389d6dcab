"""Front door, review of tour 73: a progress unit copied or pickled keeps its words, a tiled word answer of an
all-nodata scene prints no tally before its refusal, and a tiled run under --tta calls a polygon a pixel vote only
where a tile's shapes were fused."""

import copy
import pickle

import numpy as np
import pytest

from rsvlm.cli import main

POLY = "<ref>building</ref><poly><loc_100><loc_100><loc_600><loc_100><loc_600><loc_600><loc_100><loc_600></poly>"


@pytest.mark.parametrize("clone", [copy.copy, copy.deepcopy, lambda u: pickle.loads(pickle.dumps(u))],
                         ids=["copy", "deepcopy", "pickle"])
def test_a_unit_copied_or_pickled_keeps_its_words(clone):
    """Rebuilt from its string, a copy of ``Unit("record")`` was ``"  recordses"``."""
    from tqdm import tqdm

    from rsvlm.progress import Unit

    unit = clone(Unit("record"))
    assert unit == " records" and unit.word == "record"
    assert "2.00 s/record" in tqdm.format_meter(n=5, total=10, elapsed=10, ncols=0, unit=unit)


def test_a_tiled_word_answer_of_an_all_nodata_scene_prints_no_tally_before_its_refusal(ckpt, tmp_path, capsys):
    """Too large for the check before the model loads, an all-nodata scene under --tile --task cls printed
    "answers of 0 tiles (4 tiles all nodata, not asked)" on stdout, then was refused: "nothing written"."""
    import rasterio
    from rasterio.transform import from_origin

    img = tmp_path / "empty.tif"
    with rasterio.open(img, "w", driver="GTiff", width=1100, height=1100, count=3, dtype="uint8", nodata=0,
                       crs="EPSG:32631", transform=from_origin(500000.0, 4000000.0, 1, 1)) as ds:
        ds.write(np.zeros((3, 1100, 1100), np.uint8))  # (C, H, W) all nodata
    assert main(["predict", "--model", str(ckpt), "--image", str(img), "--task", "cls", "--tile", "600", "--device",
                 "cpu"]) == 2
    said = capsys.readouterr()
    assert said.out == "" and "in each of its 4 tiles: nothing to ask about; nothing written" in said.err, said


@pytest.mark.parametrize("fused", [False, True], ids=["plain_kept", "fused"])
def test_a_tiled_run_calls_polygons_pixel_votes_only_where_a_tile_was_fused(ckpt, geotiff, monkeypatch, capsys,
                                                                             fused):
    """Tiled, the unscored note called every unscored polygon a --tta pixel vote, though each tile kept its plain
    answer (every view refused): a shape-to-score mismatch then, as untiled."""
    from rsvlm import inference as inf
    from rsvlm import tta
    from rsvlm.answering import Answer

    scores = [0.9] if fused else []  # fused: the votes carry no score; plain: the mismatch leaves none
    monkeypatch.setattr(inf, "answerer", lambda *a, **k: lambda msgs, imgs: [Answer(POLY, scores) for _ in msgs])
    if not fused:
        monkeypatch.setattr(tta, "fused_answers", lambda generate, msgs, *a, **k: [None] * len(msgs))
    assert main(["predict", "--model", str(ckpt), "--image", str(geotiff), "--task", "seg", "--device", "cpu",
                 "--tta", "flip", "--tile", "48", "--overlap", "0"]) == 0
    err = capsys.readouterr().err
    assert ("pixel vote" in err) is fused and ("did not match the model's per-shape scores" in err) is not fused, err


def test_a_small_scene_with_one_valid_patch_is_not_refused_under_tile(tmp_path, monkeypatch, capsys):
    """The check before the model loads reads the whole of a scene no larger than the stretch's sample: a 3 px valid
    patch in a corner of a 900 px nodata scene is found, and the run goes on to load the model."""
    import rasterio
    from rasterio.transform import from_origin

    from rsvlm import inference as inf

    def reached(*a, **k):
        raise FileNotFoundError("stand-in: the model would load here")

    monkeypatch.setattr(inf, "load_model", reached)
    img, data = tmp_path / "patch.tif", np.zeros((3, 900, 900), np.uint8)  # (C, H, W) nodata but for a 3 px patch
    data[:, 850:853, 850:853] = 120
    with rasterio.open(img, "w", driver="GTiff", width=900, height=900, count=3, dtype="uint8", nodata=0,
                       crs="EPSG:32631", transform=from_origin(500000.0, 4000000.0, 1, 1)) as ds:
        ds.write(data)
    assert main(["predict", "--model", str(tmp_path / "m"), "--image", str(img), "--task", "det", "--tile", "300"]) == 2
    err = capsys.readouterr().err
    assert "the model would load here" in err and "every pixel is nodata" not in err, err
