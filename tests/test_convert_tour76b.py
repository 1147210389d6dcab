"""Tour 76 (Z) of the converters under --limit: what is counted is named (dota's label files, voc's XML files,
masks' label images, not "images"), in the note and the bar, and a --classes name found in none of the files
read is not said to be in none of the dataset."""

import json

import numpy as np
import pytest

from data_gen.__main__ import main

LINE = "10 10 20 10 20 20 10 20 {} 0\n"


def _run(tmp_path, *argv, progress=False):
    out = tmp_path / "o"
    main(["convert", *argv, "--out", str(out), *([] if progress else ["--no-progress"])])
    return json.loads((out / "stats.json").read_text())


def _dota(tmp_path, classes=("small-vehicle", "small-vehicle")):
    """3 images, the first ``len(classes)`` labelled, one object of its class each."""
    from PIL import Image

    src = tmp_path / "dota"
    src.mkdir()
    for k in range(3):
        Image.fromarray(np.full((64, 64, 3), 90, np.uint8)).save(src / f"P{k}.png")
    for k, cls in enumerate(classes):
        (src / f"P{k}.txt").write_text(LINE.format(cls))
    return src


def test_dota_limit_counts_label_files_in_the_note_and_the_bar(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    stats = _run(tmp_path, "dota", "--src", str(_dota(tmp_path)), "--limit", "1", progress=True)
    # was "--limit 1: dota read 1 of 2 images", of a folder of 3 images: the 2 were its label files
    assert stats["notes_examples"]["inputs_left_out_by_limit"] == "--limit 1: dota read 1 of 2 label files", stats
    assert stats["notes"]["images_without_label"] == 1, stats  # the third image, counted apart
    bar = [line for line in capsys.readouterr().err.splitlines() if line.startswith("dota:")]
    assert bar and all("label file" in line and "image" not in line for line in bar), bar


def test_voc_limit_counts_xml_files(tmp_path):
    from PIL import Image

    src = tmp_path / "voc"
    src.mkdir()
    for k in range(3):
        Image.fromarray(np.full((64, 64, 3), 90, np.uint8)).save(src / f"{k}.jpg")
        (src / f"{k}.xml").write_text(f"<annotation><filename>{k}.jpg</filename><size><width>64</width><height>64"
                                      "</height><depth>3</depth></size><object><name>ship</name><bndbox><xmin>5</xmin>"
                                      "<ymin>5</ymin><xmax>20</xmax><ymax>20</ymax></bndbox></object></annotation>")
    stats = _run(tmp_path, "voc", "--src", str(src), "--limit", "2", "--classes", "plane")
    assert stats["notes_examples"]["inputs_left_out_by_limit"] == "--limit 2: voc read 2 of 3 XML files", stats
    assert stats["notes"]["--classes plane: no annotation of this class in the 2 XML files read; it may be in the "
                          "1 XML file --limit 2 left unread"] == 1, stats["notes"]


def test_masks_limit_counts_label_images(tmp_path):
    from PIL import Image

    for k in range(2):
        Image.fromarray(np.full((64, 64, 3), 90, np.uint8)).save(tmp_path / f"{k}.png")
        Image.fromarray(np.full((64, 64), 255, np.uint8)).save(tmp_path / f"{k}_mask.png")
    Image.fromarray(np.full((64, 64, 3), 90, np.uint8)).save(tmp_path / "2.png")  # no label
    stats = _run(tmp_path, "masks", "--images", str(tmp_path), "--labels", str(tmp_path), "--binary", "building",
                 "--limit", "1")
    assert stats["notes_examples"]["inputs_left_out_by_limit"] == "--limit 1: masks read 1 of 2 label images", stats


@pytest.mark.parametrize("limit, said", [
    ("1", "--classes plane: no annotation of this class in the 1 label file read; it may be in the 2 label files "
          "--limit 1 left unread"),
    (None, "--classes plane: no annotation of this class"),  # all read: none in the dataset
])
def test_a_class_only_in_unread_files_may_be_there(tmp_path, limit, said):
    src = _dota(tmp_path, ("small-vehicle", "plane", "plane"))
    stats = _run(tmp_path, "dota", "--src", str(src), "--classes", "plane", *(["--limit", limit] if limit else []))
    # was "--classes plane: no annotation of this class" under --limit 1, though P1.txt and P2.txt hold planes
    notes = [n for n in stats["notes"] if n.startswith("--classes plane")]
    assert notes == ([said] if limit else []), stats["notes"]


def test_a_class_in_no_file_of_a_limited_run_that_read_them_all(tmp_path):
    stats = _run(tmp_path, "dota", "--src", str(_dota(tmp_path)), "--classes", "plane", "--limit", "5")
    assert "--classes plane: no annotation of this class" in stats["notes"], stats["notes"]


def test_a_stream_under_limit_names_its_unit_in_the_plural_it_takes(tmp_path):
    from data_gen.convert.common import Output

    with Output(tmp_path / "s", "test", limit=2) as out:  # "2 batchs" from f"{unit}s"
        assert list(out.bar((n for n in range(5)), "x", "batch")) == [0, 1]
    assert out.notes == {"--limit 2: x read its first 2 batches, the rest unread": 1}


def test_geojson_limit_counts_geojson_files(tmp_path):
    import rasterio
    from rasterio.transform import Affine

    images, labels = tmp_path / "img", tmp_path / "lab"
    images.mkdir(), labels.mkdir()
    for k in range(2):  # 3-band GeoTIFFs in EPSG:32618, a footprint on each in the same CRS
        with rasterio.open(images / f"t{k}.tif", "w", driver="GTiff", width=64, height=64, count=3, dtype="uint8",
                           crs="EPSG:32618", transform=Affine(1, 0, 300000, 0, -1, 4000000)) as ds:
            ds.write(np.full((3, 64, 64), 120, np.uint8))
        ring = [[300010, 3999990], [300030, 3999990], [300030, 3999970], [300010, 3999970], [300010, 3999990]]
        (labels / f"t{k}.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [ring]}}]}))
    stats = _run(tmp_path, "geojson", "--images", str(images), "--labels", str(labels), "--labels-crs", "EPSG:32618",
                 "--limit", "1")
    assert stats["notes_examples"]["inputs_left_out_by_limit"] == "--limit 1: geojson read 1 of 2 GeoJSON files", stats
