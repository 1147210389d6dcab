"""Review 76 (RH): ``image`` beside ``images`` is refused only where they name other files: ``./a.tif`` is ``a.tif``,
an empty ``image`` names none, and an ``images`` that is no list is refused as that (it was said to be 'naming None');
a ``crs`` rasterio trips on (ValueError, not CRSError) is refused at its line, not raised bare."""

from __future__ import annotations

import json

import pytest

from rsvlm.data.read_report import ReadReport
from rsvlm.data.records import RecordError, normalize_record, read_records

CONV = [{"from": "human", "value": "<image>\n[cls] Class?"}, {"from": "gpt", "value": "church"}]


@pytest.mark.parametrize("image, images", [("./a.tif", ["a.tif"]), ("a.tif", [{"path": "./a.tif"}]),
                                           ("d/../a.tif", ["a.tif"]), ("", ["a.tif"]), ([], [{"path": "a.tif"}])])
def test_image_beside_images_naming_the_same_file_or_none_is_taken(image, images):
    """Each read before 992ae7d2 and names the one file (or none, beside it); each was refused after."""
    rec = normalize_record({"id": "x", "image": image, "images": images, "conversations": CONV})
    assert len(rec["images"]) == 1 and rec["images"][0]["path"] in ("a.tif", "./a.tif")


@pytest.mark.parametrize("images", ["a.tif", {"path": "a.tif"}])
def test_an_images_that_is_no_list_is_refused_as_that_beside_image(images):
    with pytest.raises(RecordError, match=r"\(id x\): field 'images': must be a list$"):
        normalize_record({"id": "x", "image": "a.tif", "images": images, "conversations": CONV})


def test_image_beside_band_files_names_them_in_the_refusal():
    with pytest.raises(RecordError) as e:
        normalize_record({"id": "x", "image": "a.tif", "images": [{"band_files": ["b1.tif", "b2.tif"]}],
                          "conversations": CONV})
    assert "field 'image': 'a.tif' beside 'images' naming [['b1.tif', 'b2.tif']]" in str(e.value)
    assert e.value.field == "image"


@pytest.mark.parametrize("crs, why", [("EPSG:32618x", "ValueError: invalid literal"),
                                      ({"init": 32618}, "AttributeError: ")])
def test_a_crs_rasterio_trips_on_is_refused_at_its_line_and_counted_not_raised(crs, why, tmp_path):
    """rasterio's CRS.from_user_input raises ValueError / AttributeError, no CRSError, on these: a non-strict read
    stopped with a bare 'invalid literal for int()', naming no file or line (before 992ae7d2 they were kept)."""
    path = tmp_path / "r.jsonl"
    good = {"id": "a", "images": [{"path": "a.tif"}], "conversations": CONV}
    path.write_text(json.dumps(good) + "\n" + json.dumps({**good, "images": [{"path": "a.tif", "crs": crs}]}) + "\n")
    with pytest.raises(RecordError) as e:
        list(read_records(path))
    assert str(e.value).startswith(f"{path}:2 (id a): field 'images[0].crs': ") and why in str(e.value)
    report = ReadReport(str(path))
    assert len(list(read_records(path, strict=False, report=report))) == 1
    assert report.skipped == {"bad field images[].crs": 1}
