"""Review 76 (RH): ``image`` beside ``images`` is refused only where they name other files: ``./a.tif`` is ``a.tif``,
an empty ``image`` names none, and an ``images`` that is no list is refused as that (it was said to be 'naming None')."""

from __future__ import annotations

import pytest

from rsvlm.data.records import RecordError, normalize_record

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
