"""Lead 72b (area D3): the pairs-without-a-change-record note only where it matters, naming --tasks where the user
gave it, and a change record left out for a missing image not blamed on the draw; GDAL subdataset names in any
case, and a root holding a ":" quoted into one as GDAL reads it."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

from rsvlm.data.records import image_paths


def _records(out, prefix: str = "") -> list[dict]:
    return [json.loads(ln) for split in ("train", "val", "test")
            for ln in (out / f"{prefix}{split}.jsonl").read_text().splitlines()]


def test_a_few_pairs_without_a_change_record_are_counted_but_not_noted(tmp_path, capsys):
    """Tasks are drawn by weight, so a few pairs draw no change record by design: the note was on nearly every
    default run ("3 of the 9 pair scene(s)"). Seed 0, 8 pairs, the four default modalities: 2 drew none."""
    from data_gen.__main__ import main

    out = tmp_path / "s"
    assert main(["synth", "--out", str(out), "--n", "8", "--size", "32", "--pairs-fraction", "1", "--no-progress"]) == 0
    lone = 8 - len({r["meta"]["scene"] for r in _records(out) if r["task"] == "change"})
    assert 1 <= lone < 4  # the case: some, fewer than half
    assert json.loads((out / "stats.json").read_text())["pairs_without_change_record"] == lone  # counted still
    assert "got no change record" not in capsys.readouterr().err


def test_the_pairs_note_names_tasks_where_the_user_gave_it(tmp_path, capsys):
    """After ``--tasks`` the note's advice named "a larger change weight", a config key the user never typed."""
    from data_gen.__main__ import main

    out = tmp_path / "s"
    assert main(["synth", "--out", str(out), "--n", "4", "--size", "32", "--pairs-fraction", "1", "--modalities",
                 "optical", "--tasks", "det,vqa,ground,change", "--no-progress", "instructions.records_per_image=1"]) == 0
    lone = 4 - len({r["meta"]["scene"] for r in _records(out) if r["task"] == "change"})
    assert lone >= 2
    err = capsys.readouterr().err
    assert (f"note: {lone} of the 4 pair scenes got no change record (tasks are drawn by weight, change 2 of 8 "
            "among --tasks, instructions.records_per_image 1 a scene and modality; instructions.all_tasks=true, or "
            "fewer tasks beside change in --tasks, gives more pairs one)") in err, err


def test_rebuild_does_not_blame_the_draw_for_a_change_record_whose_image_is_gone(tmp_path, capsys):
    """A pair's change record left out because its image was deleted counted as a pair that drew no change record
    (the note: "tasks are drawn by weight"): it is counted apart, under missing_images, and said there."""
    from data_gen.__main__ import main

    out = tmp_path / "s"
    assert main(["synth", "--out", str(out), "--n", "4", "--size", "32", "--pairs-fraction", "1", "--modalities",
                 "optical", "--no-progress", "instructions.records_per_image=0"]) == 0  # scenes only
    scene = json.loads(sorted((out / "scenes").glob("*.json"))[0].read_text())
    for f in (out / "images").glob(f"{scene['scene']}_*"):
        f.unlink()  # both frames of one pair
    capsys.readouterr()
    assert main(["rebuild", "--dir", str(out), "--prefix", "r_", "--tasks", "change", "--no-progress",
                 "instructions.records_per_image=1"]) == 0
    assert len(_records(out, "r_")) == 3  # every other pair drew its change record
    stats = json.loads((out / "r_stats.json").read_text())
    assert "pairs_without_change_record" not in stats  # none drew no change record
    assert stats["missing_images"]["pairs_left_without_change_record"] == 1
    err = capsys.readouterr().err
    assert "got no change record" not in err
    assert "note: 1 record left out: its image is missing (first: " in err
    assert "; 1 pair scene lost every change record so" in err, err


def _netcdf(path) -> np.ndarray:
    netcdf = pytest.importorskip("scipy.io").netcdf_file
    path.parent.mkdir(parents=True, exist_ok=True)
    vv = np.arange(96, dtype=np.float32).reshape(8, 12)  # (H, W)
    f = netcdf(path, "w")
    f.createDimension("y", 8)
    f.createDimension("x", 12)
    f.createVariable("VV", "f4", ("y", "x"))[:] = vv
    f.close()
    return vv


def _gdal_read(name) -> np.ndarray:
    """Band 1 of ``name`` as GDAL reads it (a NetCDF with no coordinates: its rows bottom-up)."""
    import rasterio

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # not georeferenced
        with rasterio.open(name) as src:
            return src.read(1)  # (H, W)


def test_a_lower_case_subdataset_prefix_resolves_against_the_root(tmp_path, monkeypatch):
    """GDAL reads a subdataset prefix in any case, but ``netcdf:s1.nc:VV`` became ``ROOT/netcdf:s1.nc:VV``."""
    from rsvlm.io import read_image

    vv = _netcdf(tmp_path / "set" / "s1.nc")
    monkeypatch.chdir(tmp_path)  # elsewhere: not found by chance in the working folder
    for name in ("netcdf:s1.nc:VV", "NetCDF:s1.nc:VV"):
        [[f]] = image_paths({"images": [{"path": name}]}, tmp_path / "set")
        assert str(f) == f"{name[:7]}{tmp_path}/set/s1.nc:VV"
        np.testing.assert_array_equal(_gdal_read(f), vv[::-1])
        assert read_image(f).data.shape == (1, 8, 12)
    [[f]] = image_paths({"images": [{"path": "img_10:20.tif"}]}, tmp_path / "set")  # missing, a file's name
    assert f == tmp_path / "set" / "img_10:20.tif"


def test_a_root_with_a_colon_is_quoted_into_a_subdataset_name(tmp_path):
    """``NETCDF:s1.nc:VV`` under a root ``/…/a:b`` became ``NETCDF:/…/a:b/s1.nc:VV``, which GDAL cannot parse ("Failed to
    parse NETCDF: prefix string"): the file is quoted, as GDAL documents; a last part (the rest) is left as written."""
    import rasterio

    from rsvlm.io import read_image

    root = tmp_path / "a:b"
    vv = _netcdf(root / "s1.nc")
    [[f]] = image_paths({"images": [{"path": "NETCDF:s1.nc:VV"}]}, root)
    assert str(f) == f'NETCDF:"{root}/s1.nc":VV'
    np.testing.assert_array_equal(_gdal_read(f), vv[::-1])
    assert read_image(f).data.shape == (1, 8, 12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # not georeferenced
        with rasterio.open(root / "p.tif", "w", driver="GTiff", width=4, height=3, count=1, dtype="uint8") as ds:
            ds.write(np.full((1, 3, 4), 7, np.uint8))  # (1, H, W)
    [[f]] = image_paths({"images": [{"path": "GTIFF_DIR:1:p.tif"}]}, root)
    assert str(f) == f"GTIFF_DIR:1:{root}/p.tif"  # GDAL reads the rest as the file: quotes would be in its name
    np.testing.assert_array_equal(_gdal_read(f), np.full((3, 4), 7, np.uint8))  # (rsvlm.io's check splits it at ":")
