"""Data review 70: a refused role names every role read, a coco missing image names the folder searched, and a
binary GeoTIFF label's nodata and mask band are both void."""

from __future__ import annotations

import json

import numpy as np
import pytest
import rasterio
from convert_helpers import convert, png

from data_gen.convert.common import Output
from data_gen.convert.labelread import read_binary_label
from rsvlm.data.records import ROLES, RecordError, normalize_record


def _record(role: object) -> dict:
    return {"id": "a", "images": [], "conversations": [{"from": role, "value": "hi"}, {"from": "gpt", "value": "x"}]}


@pytest.mark.parametrize("role, hint", [
    ("tool", ""),
    ("Human", " (roles are lower-case: write 'human')"),
    ("developer", " (OpenAI's developer turn is a system turn: write 'system'"),
    (["user"], ""),  # unhashable: it was a TypeError naming no record
])
def test_a_refused_role_names_every_role_read(role, hint):
    # "'tool' is not one of human, gpt, system": user and assistant, read too, were unsaid
    with pytest.raises(RecordError) as e:
        normalize_record(_record(role), "f.jsonl:3")
    said = str(e.value)
    assert said.startswith("f.jsonl:3") and "conversations[0].from" in said
    assert f"{role!r} is not one of human, user, gpt, assistant, system{hint}" in said
    assert all(r in said for r in ROLES)


def test_a_coco_missing_images_example_names_the_folder_searched(tmp_path):
    # coco gave its file_name alone
    png(tmp_path / "imgs" / "a.png", 64, 64)
    ann = {"images": [{"id": k, "file_name": f"{s}.png", "width": 64, "height": 64} for k, s in enumerate("ab")],
           "annotations": [{"id": k, "image_id": k, "category_id": 1, "bbox": [10, 10, 20, 20]} for k in range(2)],
           "categories": [{"id": 1, "name": "ship"}]}
    (tmp_path / "ann.json").write_text(json.dumps(ann))
    stats, _ = convert(tmp_path / "o", "coco", "--ann", str(tmp_path / "ann.json"), "--images", str(tmp_path / "imgs"),
                       "--no-progress")
    assert stats["skipped"] == {"missing_image": 1}
    assert stats["skipped_examples"]["missing_image"].endswith(
        f"(b.png: no such image under --images {tmp_path / 'imgs'})")


def test_a_binary_geotiff_labels_nodata_and_mask_band_are_both_void(tmp_path):
    # read_binary_label took the first void alone (the mask band's), its nodata pixels left out of the void
    a = np.zeros((1, 48, 64), np.uint8)
    a[0, 10:30, 10:40] = 1
    a[0, 40:, :20] = 7  # its nodata
    valid = np.full((48, 64), 255, np.uint8)
    valid[:, 50:] = 0  # masked out
    path = tmp_path / "a_mask.tif"
    with rasterio.open(path, "w", driver="GTiff", width=64, height=48, count=1, dtype="uint8", nodata=7) as ds:
        ds.write(a)
        ds.write_mask(valid)
    out = Output(tmp_path / "o", "masks")
    _, mask, void = read_binary_label(path, out)
    assert mask.sum() == 20 * 30
    assert void is not None and void[:, 50:].all() and void[40:, :20].all()
    assert void.sum() == 48 * 14 + 8 * 20


def test_chat_a_late_system_records_opening_system_turn_splits_no_image(tmp_path, capsys):
    # the record joined with none still counted its image as split by system turn: "the records of 1 image(s) differ
    # in their opening system turn", and its records "left alone … under their system turn", which none were
    from conftest import write_jsonl

    from data_gen.instructions.chat import main

    def vqa(rid: str, *system: str) -> dict:
        turns = [{"from": "human", "value": f"<image>\n[vqa] Q{rid}?"}, {"from": "gpt", "value": "yes"}]
        if system:  # opening with one system turn, another after its first question
            turns = [{"from": "system", "value": system[0]}, *turns, {"from": "system", "value": "Briefly."},
                     {"from": "human", "value": "Sure?"}, {"from": "gpt", "value": "yes"}]
        return {"id": rid, "images": [{"path": "a.png", "modality": "optical"}], "task": "vqa", "conversations": turns}

    src = write_jsonl(tmp_path / "src.jsonl", [vqa("a"), vqa("b"), vqa("late", "Be careful.")])
    assert main(["--src", src, "--out", str(tmp_path / "c.jsonl"), "--no-progress"]) == 0
    said = capsys.readouterr()
    assert "1 conversation of 2 of 3 records (0 left alone: the only question of their images;" in said.out
    assert "1 record holds a system turn after its first (first: id late)" in said.err
    assert "differ in their opening system turn" not in said.err
