"""Review 72, round 2 (area D2): a record's zip under the records' root keeps its name as written (a missing one was
said as ``ROOT/pack.zip`` without its leading /), and the footprints of a GeoJSON that no GeoTIFF pairs with are
counted as ``objects_unchecked_image_missing`` (documented, untested)."""

from __future__ import annotations

import json
import pickle

import pytest

from rsvlm.data.records import image_paths


def test_a_records_missing_zip_under_its_root_is_named_by_its_own_path(tmp_path, monkeypatch):
    """``/vsizip/pack.zip/x.tif`` under root ``/data/set`` was returned folded, ``/vsizip/data/set/pack.zip/x.tif``,
    whose archive reads as relative: a missing one was "its archive data/set/pack.zip is not there" (no such path
    was ever given). It is ``/vsizip//data/set/pack.zip/x.tif`` now, as GDAL's absolute form is written, pickled
    (a DataLoader worker's copy) as written too."""
    from rsvlm.io import read_image

    root = tmp_path / "set"
    root.mkdir()
    monkeypatch.chdir(tmp_path)
    [[f]] = image_paths({"images": [{"path": "/vsizip/pack.zip/x.tif"}]}, root)
    assert str(f) == f"/vsizip/{root}/pack.zip/x.tif"  # root is absolute: /vsizip//…
    assert str(pickle.loads(pickle.dumps(f))) == str(f) and json.dumps(f, default=str) == json.dumps(str(f))
    with pytest.raises(FileNotFoundError) as e:
        read_image(f)
    assert str(e.value) == f"image not found: {f} (its archive {root / 'pack.zip'} is not there)"


def test_the_footprints_of_a_geojson_no_geotiff_pairs_with_are_counted(tmp_path):
    """docs/data-convert.md: the features of a GeoJSON whose GeoTIFF is missing are counted as
    ``objects_unchecked_image_missing``, both where ``--match`` finds no key in its name and where no GeoTIFF has its
    key; a GeoJSON that is no JSON is left to its skip."""
    from data_gen.convert.common import Output
    from data_gen.convert.geojson import pair_files

    feature = {"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [0, 0]}}
    (tmp_path / "img_1.tif").write_bytes(b"")
    for name, n in (("zone_1.geojson", 1), ("zone_2.geojson", 3), ("zone.geojson", 2)):
        (tmp_path / name).write_text(json.dumps({"type": "FeatureCollection", "features": [feature] * n}))
    (tmp_path / "zone_3.geojson").write_text("not json")
    with Output(tmp_path / "o", "geojson") as out:
        assert pair_files(tmp_path, tmp_path, r"_(\d+)", out) == [(tmp_path / "img_1.tif", tmp_path / "zone_1.geojson")]
    assert out.skipped["missing_image"] == 3 and out.notes["objects_unchecked_image_missing"] == 5


def test_rebuild_says_the_pair_scenes_that_drew_no_change_record(tmp_path, capsys):
    """3d7630ba's note after a rebuild was tested only for its absence (``all_tasks``): a rebuild that draws no change
    record for some pair says how many, and its stats.json counts them."""
    from data_gen.__main__ import main

    out = tmp_path / "s"
    assert main(["synth", "--out", str(out), "--n", "4", "--size", "32", "--pairs-fraction", "1", "--modalities",
                 "optical", "--no-progress", "instructions.records_per_image=0"]) == 0  # scenes only
    capsys.readouterr()
    assert main(["rebuild", "--dir", str(out), "--prefix", "r_", "--no-progress", "instructions.records_per_image=1"]) == 0
    recs = [json.loads(ln) for split in ("train", "val", "test")
            for ln in (out / f"r_{split}.jsonl").read_text().splitlines()]
    lone = 4 - len({r["meta"]["scene"] for r in recs if r["task"] == "change"})
    assert lone >= 1  # one record a scene, change 2 of 13: most draw another task
    assert json.loads((out / "r_stats.json").read_text())["pairs_without_change_record"] == lone
    assert f"note: {lone} of the 4 pair scenes got no change record (tasks are drawn by weight" in capsys.readouterr().err
