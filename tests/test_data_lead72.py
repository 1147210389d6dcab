"""Lead 72 (area D2): GDAL names in records, synth's and chat's messages and bars, pairs without a change record, the
objects of a missing image, a modality left unsaid in a prompt, the read summary's tag counts, GeoPackage layers."""

from __future__ import annotations

import json
import sqlite3
import warnings
import zipfile

import numpy as np
import pytest
from convert_helpers import convert, png

from rsvlm.data.records import ReadReport, image_paths, read_records


def _tif(path, w: int = 30, h: int = 20) -> None:
    import rasterio

    path.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # not georeferenced
        with rasterio.open(path, "w", driver="GTiff", width=w, height=h, count=1, dtype="float32") as ds:
            ds.write(np.random.default_rng(0).uniform(0.01, 1, (1, h, w)).astype(np.float32))  # (1, H, W)


def test_gdal_names_in_a_record_resolve_against_the_records_root(tmp_path, monkeypatch):
    """A record's ``/vsizip/pack.zip/x.tif`` was looked up in the working folder ("its archive pack.zip is not
    there"), ``NETCDF:s.nc:Band1`` became ``ROOT/NETCDF:s.nc:Band1`` and ``HDF5:s.nc://Band1`` lost its ``//``
    (GDAL: no such file): the archive or file inside a GDAL name is relative to the records' root as any path is."""
    import rasterio.shutil

    from rsvlm.io import read_image

    root = tmp_path / "set"
    _tif(root / "one.tif")
    with zipfile.ZipFile(root / "pack.zip", "w") as z:
        z.write(root / "one.tif", "x.tif")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rasterio.shutil.copy(root / "one.tif", root / "s.nc", driver="netCDF", FORMAT="NC4")  # NetCDF-4: HDF5 inside
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    names = ["/vsizip/pack.zip/x.tif", "/vsizip/{pack.zip}/x.tif", "NETCDF:s.nc:Band1", "HDF5:s.nc://Band1",
             'HDF5:"s.nc"://Band1']
    for base in (root, "../set"):  # data.root absolute, or relative to the working folder
        files = image_paths({"images": [{"path": n} for n in names]}, base)
        for name, [f] in zip(names, files):
            assert read_image(f).data.shape == (1, 20, 30), f"{name} -> {f}"  # (HDF5's rows as stored: flipped)
    [[f]] = image_paths({"images": [{"path": "HDF5:s.nc://Band1"}]}, root)
    assert str(f) == f"HDF5:{root}/s.nc://Band1"
    [[f]] = image_paths({"images": [{"path": "one.tif"}]}, root)  # a plain path as before
    assert f == root / "one.tif"


@pytest.mark.parametrize("words, says", [
    (["--n", "0"], "error: out of range: --n 0 (give at least 1 scene, e.g. --n 100)\n"),
    (["--n", "1", "--workers", "0"], "error: out of range: --workers 0 (give at least 1)\n")])
def test_synth_out_of_range_says_what_to_give(tmp_path, capsys, words, says):
    """"error: out of range: --n 0 (at least 1)" said no next step, unlike synth's other errors ("error: …", one line,
    tests/test_datagen_edges.py)."""
    from data_gen.__main__ import main

    assert main(["synth", "--out", str(tmp_path / "o"), "--no-progress", *words]) == 2
    assert capsys.readouterr().err == says and not (tmp_path / "o").exists()


def test_bars_of_an_unknown_count_put_a_space_before_their_unit(tmp_path, capsys):
    """``data_gen chat``'s reading bar said "4record [00:00, 2502.10record/s]", a converter's "0image"."""
    from data_gen.__main__ import main
    from data_gen.convert.common import Output

    rec = {"image": "a.png", "conversations": [{"from": "human", "value": "<image>\n[vqa] Any ship?"},
                                               {"from": "gpt", "value": "No."}]}
    (tmp_path / "r.jsonl").write_text("".join(json.dumps({**rec, "id": str(k)}) + "\n" for k in range(4)))
    assert main(["chat", "--src", str(tmp_path / "r.jsonl"), "--out", str(tmp_path / "c.jsonl")]) == 0
    err = capsys.readouterr().err
    assert "chat: read: 4 records [" in err and "record/s" not in err.replace(" records/s", ""), err
    out = Output(tmp_path / "o", "x")
    list(out.bar(iter([1, 2]), "dota", "image"))
    err = capsys.readouterr().err
    assert "dota: 2 images [" in err, err


def test_pair_scenes_that_drew_no_change_record_are_counted_and_said(tmp_path, capsys):
    """A pair scene whose records drew no change task (tasks are drawn by weight) got no word: only a set with no
    pair at all was noted. Seed 0, 4 pairs at 32 px, optical: one of them draws none."""
    from data_gen.__main__ import main

    out = tmp_path / "s"
    assert main(["synth", "--out", str(out), "--n", "4", "--size", "32", "--pairs-fraction", "1", "--modalities",
                 "optical", "--no-progress"]) == 0
    recs = [json.loads(ln) for ln in (out / "train.jsonl").read_text().splitlines()]
    for split in ("val", "test"):
        recs += [json.loads(ln) for ln in (out / f"{split}.jsonl").read_text().splitlines()]
    lone = 4 - len({r["meta"]["scene"] for r in recs if r["task"] == "change"})
    assert lone >= 1  # the case this seed makes
    stats = json.loads((out / "stats.json").read_text())
    assert stats["pairs_without_change_record"] == lone
    assert f"note: {lone} of the 4 pair scenes got no change record (tasks are drawn by weight, change 2 of" \
        in capsys.readouterr().err
    assert main(["rebuild", "--dir", str(out), "--prefix", "all_", "--no-progress", "instructions.all_tasks=true"]) == 0
    assert "got no change record" not in capsys.readouterr().err
    assert "pairs_without_change_record" not in json.loads((out / "all_stats.json").read_text())


def test_the_objects_of_a_missing_image_are_counted(tmp_path):
    """dota, voc and coco counted an image that is missing (missing_image) but not the objects its label gave, which an
    unreadable image's are (objects_unchecked_image_unreadable): now objects_unchecked_image_missing."""
    d = tmp_path / "dota"
    png(d / "images" / "P2.png", 64, 64)
    (d / "labelTxt").mkdir()
    (d / "labelTxt" / "P1.txt").write_text("imagesource:GoogleEarth\ngsd:0.5\n1 1 9 1 9 9 1 9 plane 0\n"
                                           "20 20 30 20 30 30 20 30 ship 0\n\n")
    (d / "labelTxt" / "P2.txt").write_text("1 1 9 1 9 9 1 9 plane 0\n")
    stats, _ = convert(tmp_path / "od", "dota", "--src", str(d), "--no-progress")
    assert stats["skipped"]["missing_image"] == 1 and stats["notes"]["objects_unchecked_image_missing"] == 2

    v = tmp_path / "voc"
    png(v / "JPEGImages" / "b.png", 64, 64)
    obj = "<object><name>ship</name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>9</xmax><ymax>9</ymax></bndbox></object>"
    (v / "Annotations").mkdir()
    (v / "Annotations" / "a.xml").write_text(f"<annotation><filename>a.png</filename>{obj * 3}</annotation>")
    (v / "Annotations" / "b.xml").write_text(f"<annotation><filename>b.png</filename>{obj}</annotation>")
    stats, _ = convert(tmp_path / "ov", "voc", "--src", str(v / "Annotations"), "--no-progress")
    assert stats["skipped"]["missing_image"] == 1 and stats["notes"]["objects_unchecked_image_missing"] == 3

    png(tmp_path / "coco" / "b.png", 64, 64)
    ann = {"images": [{"id": 1, "file_name": "a.png", "width": 64, "height": 64},
                      {"id": 2, "file_name": "b.png", "width": 64, "height": 64}],
           "categories": [{"id": 1, "name": "ship"}],
           "annotations": [{"id": k, "image_id": 1 + (k == 3), "category_id": 1, "bbox": [1, 1, 8, 8]} for k in range(4)]}
    (tmp_path / "ann.json").write_text(json.dumps(ann))
    stats, _ = convert(tmp_path / "oc", "coco", "--ann", str(tmp_path / "ann.json"), "--images",
                       str(tmp_path / "coco"), "--no-progress")
    assert stats["skipped"]["missing_image"] == 1 and stats["notes"]["objects_unchecked_image_missing"] == 3


def test_a_prompt_with_an_image_of_no_modality_is_refused(capsys):
    """``image_turn`` wrote "None image: <image>" for an image whose modality was None: a word the model never learnt."""
    from rsvlm.data.conversation import PromptConfig, image_turn

    with pytest.raises(ValueError, match=r"image 2's modality None is not one of optical, msi, sar, ir: give it"):
        image_turn("[det] Detect all ships.", ["optical", None], PromptConfig())
    assert image_turn("x", ["sar"], PromptConfig()) == "SAR image: <image>\nx"


def test_the_read_summary_names_the_answered_question_and_counts_a_tagged_records_unknown_tag(tmp_path):
    """The summary said "not their prompt's tag" where the question checked is the one eval answers; a record with a
    task whose question opens ``[detect]`` (a typo of [det]) was counted nowhere, asked as written."""
    def rec(i, task, *questions):
        convs = [t for q in questions for t in ({"from": "human", "value": q}, {"from": "gpt", "value": "ok"})]
        convs[0]["value"] = "<image>\n" + convs[0]["value"]
        return {"id": i, "image": "a.png", "task": task, "conversations": convs}

    path = tmp_path / "r.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in [
        rec("a", "vqa", "[vqa] Any ship?", "[detect] The ships."), rec("b", "det", "[detect] x"),
        rec("c", "cap", "[ground] The red car."), rec("d", None, "[detect] y")]))
    report = ReadReport(str(path))
    assert len(list(read_records(path, strict=False, report=report))) == 4
    assert report.unknown_tags == {"detect": 1} and report.unknown_tags_tagged == {"detect": 2}
    summary = report.summary()
    assert "; 2 questions of records with a task open with a tag that is not a task ([detect] x2): asked as " \
           "written, a tag the model never learnt" in summary
    assert "; 1 kept whose task field is not the tag of the question eval answers (training reads the tag" in summary


def test_a_geopackage_of_several_layers_is_told_to_name_one(tmp_path, capsys):
    """The ogr2ogr line for a GeoPackage named no layer: of several, ogr2ogr needs the one to write as GeoJSON."""
    from data_gen.convert import main

    png(tmp_path / "img" / "a.png", 8, 8)
    for name, layers in (("two.gpkg", ["buildings", "roads"]), ("one.gpkg", ["buildings"])):
        with sqlite3.connect(tmp_path / name) as db:
            db.execute("CREATE TABLE gpkg_contents (table_name TEXT, data_type TEXT)")
            db.executemany("INSERT INTO gpkg_contents VALUES (?, ?)", [(n, "features") for n in layers] + [
                ("dem", "tiles")])
        db.close()
    argv = ["geojson", "--images", str(tmp_path / "img"), "--out", str(tmp_path / "o"), "--labels"]
    assert main([*argv, str(tmp_path / "two.gpkg")]) == 2
    err = capsys.readouterr().err
    assert f"(ogr2ogr -f GeoJSON {tmp_path / 'two.geojson'} {tmp_path / 'two.gpkg'} buildings; QGIS" in err
    assert "it holds 2 feature layers (buildings, roads) and a GeoJSON takes one: name the footprints' layer" in err
    assert main([*argv, str(tmp_path / "one.gpkg")]) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path / 'one.gpkg'}; QGIS" in err and "layers" not in err


def test_synth_does_not_count_a_builds_args_json_as_a_records_file(tmp_path, capsys):
    """A build's ``train.jsonl.args.json`` beside the records was "also holds 1 records file(s) this run did not
    write"; a rebuild's ``stage_train.jsonl`` still is."""
    from data_gen.__main__ import main

    out = tmp_path / "s"
    argv = ["synth", "--out", str(out), "--n", "1", "--size", "16", "--modalities", "optical", "--no-progress"]
    assert main(argv) == 0
    (out / "train.jsonl.args.json").write_text("{}\n")
    capsys.readouterr()
    assert main(argv) == 0
    assert "this run did not write" not in capsys.readouterr().err
    (out / "stage_train.jsonl").write_text("")
    assert main(argv) == 0
    assert "also holds 1 records file this run did not write (first: stage_train.jsonl)" in capsys.readouterr().err
