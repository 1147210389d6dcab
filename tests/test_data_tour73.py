"""Tour 73 of data: synth's scene-count refusal, coco's skip messages, record-field advice, llava's GDAL names,
instruction building end to end."""

import json

from PIL import Image


def test_synth_refusing_too_many_scenes_names_the_option_typed(tmp_path, capsys):
    # it said "n=20000000: at most …" of --n 20000000
    from data_gen.__main__ import main

    assert main(["synth", "--out", str(tmp_path / "x"), "--n", "20000000", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --n 20000000: at most 10000000 scenes a run") and "n=" not in err


def _coco(tmp_path, anns):
    Image.new("RGB", (40, 40)).save(tmp_path / "a.png")
    ann = tmp_path / "ann.json"
    ann.write_text(json.dumps({"images": [{"id": 1, "file_name": "a.png"}], "categories": [{"id": 1, "name": "car"}],
                               "annotations": [{"id": k, "image_id": 1, "category_id": 1, **a}
                                               for k, a in enumerate(anns)]}))
    return ann


def test_coco_skip_examples_say_the_missing_field_not_a_repr(tmp_path):
    # "unparsable_annotation (KeyError('bbox'))", "(KeyError('size'))" in stats.json's skipped_examples
    from data_gen.__main__ import main

    ann = _coco(tmp_path, [{}, {"segmentation": {"counts": [1, 2]}}, {"bbox": [1, 2, 3, 4]}])
    assert main(["convert", "coco", "--ann", str(ann), "--images", str(tmp_path), "--out", str(tmp_path / "o"),
                 "--no-progress"]) == 0
    stats = json.loads((tmp_path / "o" / "stats.json").read_text())
    assert stats["skipped"] == {"unparsable_annotation": 2}
    said = stats["skipped_examples"]["unparsable_annotation"]
    assert said == (f"{ann}: annotations[0] (id 0): unparsable_annotation (no 'bbox' field, and no 'segmentation' "
                    "(polygons or RLE) to take a box from)")
    assert "Error(" not in said


def test_coco_strict_names_an_rle_without_size_in_words(tmp_path, capsys):
    from data_gen.__main__ import main

    ann = _coco(tmp_path, [{"segmentation": {"counts": [1, 2]}}])
    assert main(["convert", "coco", "--ann", str(ann), "--images", str(tmp_path), "--out", str(tmp_path / "o"),
                 "--no-progress", "--strict"]) != 0
    err = capsys.readouterr().err
    assert f"{ann}: annotations[0] (id 0)" in err and "RLE segmentation has no 'size' field ([height, width])" in err
    assert "KeyError" not in err


def test_record_field_advice_agrees_with_advice_s_wording():
    # as_record_fields spelled stem.NAME_BANDS and read_image's advice out by hand: it must follow rsvlm.advice's
    from rsvlm.advice import LIBRARY_TOO, RECORD_TOO, for_cli
    from rsvlm.data.records import as_record_fields

    bands = f"4 unnamed bands read by their order (if not, name them with --bands{RECORD_TOO})"
    assert as_record_fields(bands) == '4 unnamed bands read by their order (if not, name them with "bands" in the ' \
                                      'record\'s image)'
    dem = f"an elevation model: give the modality (--modality{LIBRARY_TOO}) if it is imagery"
    assert as_record_fields(dem) == as_record_fields(for_cli(dem)) == \
        'an elevation model: give the modality (a "modality" in the record\'s image) if it is imagery'


def _raster(path, bands: int = 1):
    import warnings

    import numpy as np
    import rasterio

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # not georeferenced
        with rasterio.open(path, "w", driver="GTiff", width=24, height=16, count=bands, dtype="float32") as ds:
            ds.write(np.random.default_rng(0).uniform(0.01, 1, (bands, 16, 24)).astype(np.float32))  # (C, H, W)


def test_llava_keeps_records_whose_images_gdal_names_copying_their_file(tmp_path, monkeypatch):
    # /vsizip/pack.zip/a.tif, NETCDF:s1.nc:Band1 and HDF5:"s1.nc"://Band1 were all missing_image: records lost
    import warnings
    import zipfile

    import rasterio.shutil

    from data_gen.__main__ import main
    from rsvlm.data.records import image_paths, load_records
    from rsvlm.io import read_image

    src = tmp_path / "src"
    src.mkdir()
    _raster(src / "one.tif")
    with zipfile.ZipFile(src / "pack.zip", "w") as z:
        z.write(src / "one.tif", "a.tif")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rasterio.shutil.copy(src / "one.tif", src / "s1.nc", driver="netCDF", FORMAT="NC4")
    (src / "one.tif").unlink()
    names = ["/vsizip/pack.zip/a.tif", "NETCDF:s1.nc:Band1", 'HDF5:"s1.nc"://Band1', "/vsizip/gone.zip/a.tif"]
    turns = [{"from": "human", "value": "<image>\nWhat is it?"}, {"from": "gpt", "value": "A field."}]
    (tmp_path / "l.json").write_text(json.dumps([{"id": f"r{k}", "image": n, "modality": "sar", "conversations": turns}
                                                 for k, n in enumerate(names)]))
    monkeypatch.chdir(tmp_path)  # the records are read against their own folder, not this one
    assert main(["convert", "llava", "--src", "l.json", "--images", "src", "--out", "out", "--no-progress"]) == 0
    stats = json.loads((tmp_path / "out" / "stats.json").read_text())
    assert stats["records"] == 3 and stats["skipped"] == {"missing_image": 1}
    assert stats["skipped_examples"]["missing_image"].endswith(
        "(/vsizip/gone.zip/a.tif: its file src/gone.zip is not there)")
    assert stats["notes"]["gdal_names_read_from_their_copied_file"] == 3
    recs, _ = load_records(tmp_path / "out" / "records.jsonl")
    assert [r["images"][0]["path"] for r in recs] == ["/vsizip/images/pack.zip/a.tif", "NETCDF:images/s1.nc:Band1",
                                                      'HDF5:"images/s1.nc"://Band1']
    assert sorted(p.name for p in (tmp_path / "out" / "images").iterdir()) == ["pack.zip", "s1.nc"]
    monkeypatch.chdir(src)
    for r in recs:
        [[f]] = image_paths(r, tmp_path / "out")
        assert read_image(f).data.shape == (1, 16, 24)


def test_geojson_vertex_that_is_no_number_pair_is_said_in_words(tmp_path):
    # "unparsable_geometry (ValueError(\"could not convert string to float: 'a'\"))", "(IndexError('list index …'))"
    import numpy as np
    import rasterio
    from rasterio.transform import from_origin

    from data_gen.__main__ import main

    with rasterio.open(tmp_path / "a.tif", "w", driver="GTiff", width=32, height=32, count=1, dtype="uint8",
                       crs="EPSG:32616", transform=from_origin(500000, 3700000, 1, 1)) as ds:
        ds.write(np.zeros((1, 32, 32), np.uint8))
    rings = [[["a", "b"], [1, 3], [2, 3]], [[1], [1, 3], [2, 3]]]
    feats = [{"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [r]}} for r in rings]
    crs = {"type": "name", "properties": {"name": "EPSG:32616"}}  # the image's: no reprojection
    (tmp_path / "a.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": feats, "crs": crs}))
    main(["convert", "geojson", "--images", str(tmp_path / "a.tif"), "--labels", str(tmp_path / "a.geojson"),
          "--out", str(tmp_path / "o"), "--no-progress"])
    stats = json.loads((tmp_path / "o" / "stats.json").read_text())
    assert stats["skipped"] == {"unparsable_geometry": 2}
    said = stats["skipped_examples"]["unparsable_geometry"]
    assert said.endswith("features[0]: unparsable_geometry (a vertex that is not an [x, y] pair of numbers "
                         "(could not convert string to float: 'a'))")


def test_llava_unparsable_record_is_said_without_an_exception_repr(tmp_path):
    # "record 0: unparsable_record (TypeError('conversations is not a list of turns'))"
    from data_gen.__main__ import main

    Image.new("RGB", (8, 8)).save(tmp_path / "a.png")
    (tmp_path / "l.json").write_text(json.dumps([{"id": "a", "image": "a.png", "conversations": "hi"}]))
    main(["convert", "llava", "--src", str(tmp_path / "l.json"), "--images", str(tmp_path), "--out",
          str(tmp_path / "o"), "--no-progress"])
    stats = json.loads((tmp_path / "o" / "stats.json").read_text())
    assert stats["skipped_examples"]["unparsable_record"] == \
        f"{tmp_path / 'l.json'}: record 0: unparsable_record (conversations is not a list of turns)"


def test_chat_and_rebuild_help_say_what_seed_draws(capsys):
    # "--seed SEED" stood alone in both --help texts
    import pytest

    from data_gen.__main__ import main

    for command, said in (("chat", "draw of which questions join"), ("rebuild", "questions drawn")):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        out = " ".join(capsys.readouterr().out.split())
        assert f"--seed SEED seed of the {said}" in out, command
