"""Tour 76 (area H): a record's ``crs`` is parsed as rasterio reads one (it was kept unread, ``EPSG:99999`` too), once
per distinct value; ``image`` beside ``images`` must name the same files (it was ignored unsaid); ``"meta": []``, what
PHP's json_encode writes for an empty map, is ``{}`` (a whole PHP-written file was refused)."""

from __future__ import annotations

import copy
import json

import pytest

from rsvlm.data.read_report import ReadReport
from rsvlm.data.record_fields import crs_problem
from rsvlm.data.records import RecordError, normalize_record, read_records

BASE = {"id": "a", "images": [{"path": "a.tif"}],
        "conversations": [{"from": "human", "value": "<image>\n[cls] Class?"}, {"from": "gpt", "value": "church"}]}


def _rec(**fields) -> dict:
    rec = copy.deepcopy(BASE)
    rec.update(fields)
    return rec


def _crs(crs) -> dict:
    return _rec(images=[{"path": "a.tif", "crs": crs}])


@pytest.mark.parametrize("crs", ["EPSG:32618", "epsg:4326", 32618, "OGC:CRS84", "urn:ogc:def:crs:EPSG::32631",
                                 "+proj=utm +zone=18 +datum=WGS84 +units=m", {"init": "epsg:4326"},
                                 {"proj": "utm", "zone": 18, "datum": "WGS84"}])
def test_a_crs_rasterio_reads_is_kept_as_written(crs):
    assert normalize_record(_crs(crs))["images"][0]["crs"] == crs


def test_a_full_wkt_and_projjson_of_a_real_file_are_kept():
    from rasterio.crs import CRS

    utm = CRS.from_epsg(32618)
    for crs in (utm.to_wkt(), utm.to_dict(projjson=True)):
        assert normalize_record(_crs(crs))["images"][0]["crs"] == crs


@pytest.mark.parametrize("crs, why", [("EPSG:99999", "The EPSG code is unknown"), ("UTM 18N", "could not be parsed"),
                                      ({"type": "ProjectedCRS", "name": "WGS 84 / UTM zone 18N"}, "could not be parsed"),
                                      (999999, "The EPSG code is unknown")])
def test_a_crs_rasterio_cannot_read_is_refused_naming_file_line_and_value(crs, why, tmp_path, capfd):
    path = tmp_path / "r.jsonl"
    path.write_text(json.dumps(BASE) + "\n" + json.dumps(_crs(crs)) + "\n")
    with pytest.raises(RecordError) as e:
        list(read_records(path))
    said = str(e.value)
    assert said.startswith(f"{path}:2 (id a): field 'images[0].crs': {crs!r:.80} is no CRS rasterio reads (") and \
        why in said and "\n" not in said
    assert e.value.field == "images[].crs" and "ERROR" not in capfd.readouterr().err  # GDAL's own print held back
    report = ReadReport(str(path))
    assert len(list(read_records(path, strict=False, report=report))) == 1
    assert report.skipped == {"bad field images[].crs": 1}


def test_a_crs_is_parsed_once_per_distinct_value(tmp_path):
    crs_problem.cache_clear()
    path = tmp_path / "r.jsonl"
    path.write_text("".join(json.dumps({**_crs(f"EPSG:{326 * 100 + i % 3 + 1}"), "id": str(i)}) + "\n"
                            for i in range(300)))
    assert len(list(read_records(path))) == 300
    info = crs_problem.cache_info()
    assert info.misses == 3 and info.hits == 297


@pytest.mark.parametrize("image, images", [("a.tif", ["a.tif"]), ("a.tif", [{"path": "a.tif", "modality": "sar"}]),
                                           (["a.tif", "b.tif"], [{"path": "a.tif"}, "b.tif"])])
def test_image_beside_images_is_taken_where_they_name_the_same_files(image, images):
    n = len(images)
    rec = _rec(image=image, images=images,
               conversations=[{"from": "human", "value": "<image>" * n + "\nWhat?"}, {"from": "gpt", "value": "x"}])
    assert [im["path"] for im in normalize_record(rec)["images"]] == (image if isinstance(image, list) else [image])


@pytest.mark.parametrize("image, images", [("b.tif", ["a.tif"]), (["a.tif"], ["a.tif", "b.tif"]),
                                           (["b.tif", "a.tif"], ["a.tif", "b.tif"])])
def test_image_beside_images_naming_other_files_is_refused_naming_the_line(image, images, tmp_path):
    """The LLaVA ``image`` was ignored unsaid where ``images`` was given too: a record edited by hand, or built as
    {**old, "images": [...]}, trained on images its ``image`` did not name."""
    n = len(images)
    rec = _rec(image=image, images=images,
               conversations=[{"from": "human", "value": "<image>" * n + "\nWhat?"}, {"from": "gpt", "value": "x"}])
    path = tmp_path / "r.jsonl"
    path.write_text(json.dumps(BASE) + "\n" + json.dumps(rec) + "\n")
    with pytest.raises(RecordError) as e:
        list(read_records(path))
    assert str(e.value).startswith(f"{path}:2 (id a): field 'image': {image!r} beside 'images' naming ")
    assert "a record names its images once" in str(e.value) and e.value.field == "image"


def test_an_empty_meta_list_as_php_writes_it_is_an_empty_map(tmp_path):
    """PHP's json_encode writes an empty map as []: every record of such a file was refused ('must be an object')."""
    path = tmp_path / "r.jsonl"
    path.write_text("".join(json.dumps(_rec(id=str(i), meta=[])) + "\n" for i in range(3)))
    assert [r["meta"] for r in read_records(path)] == [{}, {}, {}]


@pytest.mark.parametrize("meta", [[1], [{}], "", False, 0])
def test_a_meta_that_holds_something_and_is_no_object_is_still_refused(meta):
    with pytest.raises(RecordError, match=r"field 'meta': must be an object, got "):
        normalize_record(_rec(meta=meta))
