"""Tour 75 (area K): record fields DESIGN.md lists are validated, errors name the file and line."""

import copy
import json
import re

import pytest

from rsvlm.data.read_report import ReadReport
from rsvlm.data.records import RecordError, normalize_record, read_records

BASE = {"id": "dota-P1888-det-0",
        "images": [{"path": "images/P1888.png", "modality": "optical"}],
        "conversations": [
            {"from": "human", "value": "<image>\n[det] Detect every small vehicle."},
            {"from": "gpt", "value": "<ref>small vehicle</ref><box><loc_913><loc_475><loc_941><loc_520></box>"}],
        "task": "det",
        "meta": {"source": "DOTA", "width": 712, "height": 557}}


def _rec(image=None, **top):
    r = copy.deepcopy(BASE)
    r["images"][0].update(image or {})
    r.update(top)
    return r


def test_designs_example_record_reads_as_written_with_unknown_fields_kept():
    """DESIGN.md: a superset of LLaVA's format; fields it does not name travel with the record."""
    got = normalize_record(_rec({"crs": "EPSG:32618", "transform": [0.5, 0, 500000, 0, -0.5, 4000000], "sensor": "x"},
                                source_file="a.xml"))
    assert got["id"] == BASE["id"] and got["task"] == "det" and got["meta"] == BASE["meta"]
    assert got["source_file"] == "a.xml" and got["images"][0]["sensor"] == "x"
    assert got["images"][0]["transform"] == [0.5, 0, 500000, 0, -0.5, 4000000]


@pytest.mark.parametrize("image", [
    {"crs": 32618}, {"crs": {"init": "epsg:32618"}}, {"crs": None},
    {"transform": [1, 0, 0, 0, -1, 0, 0, 0, 1]}, {"transform": None}])
def test_well_formed_crs_and_transform_are_kept(image):
    assert normalize_record(_rec(image))["images"][0]["crs" if "crs" in image else "transform"] == next(iter(image.values()))


@pytest.mark.parametrize("image, field, said", [
    ({"crs": [32618]}, "images[0].crs", "must be a CRS"),
    ({"crs": " "}, "images[0].crs", "must be a CRS"),
    ({"crs": True}, "images[0].crs", "must be a CRS"),
    ({"transform": "0.5 0 500000 0 -0.5 4000000"}, "images[0].transform", "must be 6 finite numbers"),
    ({"transform": [0.5, 0, 500000]}, "images[0].transform", "must be 6 finite numbers"),
    ({"transform": [0.5, 0, 500000, 0, -0.5, float("nan")]}, "images[0].transform", "must be 6 finite numbers"),
    ({"transform": [0.5, 0, 500000, 0, -0.5, 4e6, 1, 1, 1]}, "images[0].transform", "must be 6 finite numbers"),
    ({"transform": [True, 0, 5, 0, -1, 4]}, "images[0].transform", "must be 6 finite numbers"),
])
def test_a_malformed_crs_or_transform_is_refused_naming_its_field(image, field, said):
    """They were carried along unread, whatever they held (a string, 3 numbers, NaN)."""
    with pytest.raises(RecordError, match="^" + re.escape(f"f.jsonl:4 (id dota-P1888-det-0): field '{field}': {said}")) as e:
        normalize_record(_rec(image), where="f.jsonl:4")
    assert e.value.field == field.replace("[0]", "[]")


@pytest.mark.parametrize("rid, said", [("", "blank"), ("  ", "blank"),
                                       (True, "must be a string or an integer, got bool True"),
                                       (1.5, "must be a string or an integer, got float 1.5")])
def test_a_blank_or_boolean_id_is_refused(rid, said):
    """``"id": true`` was the id 'True'; ``""`` every such record's, so their predictions could not be told apart."""
    with pytest.raises(RecordError, match=rf"^f.jsonl:2: field 'id': {said}"):
        normalize_record(_rec(id=rid), where="f.jsonl:2")
    assert normalize_record(_rec(id=0))["id"] == "0"


@pytest.mark.parametrize("meta", [[1], "", False, 0])
def test_a_meta_that_is_no_object_is_refused(meta):
    """``""`` or ``False`` was once read as ``{}`` while ``[1]`` was refused; an empty ``[]`` (PHP's empty map) is ``{}``."""
    with pytest.raises(RecordError, match=r"field 'meta': must be an object"):
        normalize_record(_rec(meta=meta))
    assert normalize_record(_rec(meta=None))["meta"] == {}


def test_the_reader_names_file_and_line_and_counts_each_bad_field(tmp_path):
    path = tmp_path / "r.jsonl"
    lines = [BASE, _rec({"transform": "abc"}, id="b"), _rec(id=""), _rec(id="d", meta=[1]), _rec(id="e")]
    path.write_text("\n".join(json.dumps(r) for r in lines) + "\n")
    with pytest.raises(RecordError, match=rf"^{path}:2 \(id b\): field 'images\[0\]\.transform'"):
        list(read_records(path))
    report = ReadReport(str(path))
    assert [r["id"] for r in read_records(path, strict=False, report=report)] == [BASE["id"], "e"]
    assert report.n_skipped == 3
    assert report.examples[0].startswith(f"{path}:2 (id b): field 'images[0].transform'")


@pytest.mark.parametrize("n", [1, 3])
def test_a_change_record_of_other_than_two_images_is_counted_and_named(tmp_path, n):
    """DESIGN.md: a bi-temporal record has two images in time order. One (or three) was read as [change] unsaid, a
    question ``rsvlm chat`` refuses to ask of one image; it is kept (a scorer reads no image) and counted."""
    ans = {"from": "gpt", "value": "A road was built."}
    odd = {"id": "c", "images": [{"path": f"t{i}.png"} for i in range(n)],
           "conversations": [{"from": "human", "value": "<image>" * n + "\n[change] What changed?"}, ans]}
    by_field = {**odd, "id": "f", "task": "change",
                "conversations": [{"from": "human", "value": "<image>" * n + "\nWhat changed?"}, ans]}
    pair = {**odd, "id": "p", "images": [{"path": "a.png"}, {"path": "b.png"}],
            "conversations": [{"from": "human", "value": "<image><image>\n[change] What changed?"}, ans]}
    path = tmp_path / "r.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in (BASE, pair, odd, by_field)) + "\n")
    report = ReadReport(str(path))
    assert [r["id"] for r in read_records(path, report=report)] == [BASE["id"], "p", "c", "f"]
    assert report.unpaired_changes == 2 and report.notable
    assert (f"2 [change] records kept with other than two images, no before and after to compare (first: {path}:3 "
            f"(id c): a [change] record compares two images, before then after, got {n}") in report.summary()
