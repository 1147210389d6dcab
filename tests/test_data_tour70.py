"""Data tour 70: Responses API content parts, binary labels read by their brightest channel, a GDAL mask band as
transparency, a class named by words that are classes, and chained records with a late system turn."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
from convert_helpers import convert, llava_rows, objs, png, png16, same_ring
from PIL import Image

SHAPE = [[10, 10], [40, 10], [40, 30], [10, 30]]


def test_llava_reads_responses_api_content_parts(tmp_path):
    # OpenAI's Responses API: input_text / input_image / output_text were "a content part of type 'input_text'"
    rows = [{"id": "a", "image": "a.png", "messages": [
        {"role": "user", "content": [{"type": "input_image", "image_url": "data:..."},
                                     {"type": "input_text", "text": "What is this?"}]},
        {"role": "assistant", "content": [{"type": "output_text", "text": "a church"}]}]}]
    stats, recs = llava_rows(tmp_path, rows)
    assert not stats["skipped"] and [r["conversations"] for r in recs] == [
        [{"from": "user", "value": "<image>\nWhat is this?"}, {"from": "assistant", "value": "a church"}]]


def _binary(tmp_path, name: str) -> tuple[dict, list[dict]]:
    png(tmp_path / "img" / "a.png", 64, 48)
    return convert(tmp_path / "o", "masks", "--images", str(tmp_path / "img"), "--labels", str(tmp_path / "lab"),
                   "--binary", "building", "--no-progress")


def _blue(value: int) -> np.ndarray:
    """(3, 48, 64) uint8: a pure-blue (0, 0, ``value``) rectangle SHAPE on black."""
    a = np.zeros((3, 48, 64), np.uint8)
    a[2, 10:30, 10:40] = value
    return a


@pytest.mark.parametrize("value", [1, 255])
@pytest.mark.parametrize("kind", ["png", "tif"])
def test_a_pure_blue_binary_label_reads_its_shape_as_png_and_as_geotiff(tmp_path, kind, value):
    # a PNG was read by its luminance: a 0/1 blue (0, 0, 1) mask was 0 everywhere, "no records written"; a GeoTIFF's
    # brightest band read it
    (tmp_path / "lab").mkdir()
    if kind == "png":
        Image.fromarray(np.moveaxis(_blue(value), 0, -1), "RGB").save(tmp_path / "lab" / "a_mask.png")
    else:
        with rasterio.open(tmp_path / "lab" / "a_mask.tif", "w", driver="GTiff", width=64, height=48, count=3,
                           dtype="uint8", photometric="RGB") as ds:
            ds.write(_blue(value))
    stats, recs = _binary(tmp_path, kind)
    assert len(recs) == 1 and [o["label"] for o in objs(recs[0])] == ["building"]
    assert same_ring(objs(recs[0])[0]["coords"], SHAPE, 64)


def test_a_geotiff_labels_mask_band_is_no_data(tmp_path):
    # a GDAL mask band (rasterio's write_mask) was ignored: the 255s under it, masked out, read as a second building
    a = np.zeros((1, 48, 64), np.uint8)
    a[0, 10:30, 10:40] = 255
    a[0, :, 50:] = 255  # under the mask: no data
    valid = np.full((48, 64), 255, np.uint8)
    valid[:, 50:] = 0
    (tmp_path / "lab").mkdir()
    with rasterio.open(tmp_path / "lab" / "a_mask.tif", "w", driver="GTiff", width=64, height=48, count=1,
                       dtype="uint8") as ds:
        ds.write(a)
        ds.write_mask(valid)
    stats, recs = _binary(tmp_path, "tif")
    assert len(recs) == 1 and len(objs(recs[0])) == 1
    assert same_ring(objs(recs[0])[0]["coords"], SHAPE, 64)
    assert stats["notes"]["label_pixels_masked"] == 48 * 14


def test_classes_run_together_by_spaces_are_told_to_be_separated(tmp_path):
    # "ship large-vehicle" is one class name (spaces are legal): every ship and large vehicle was left out, said
    # only as "--classes ship large vehicle: no annotation of this class"
    png(tmp_path / "d" / "images" / "a.png", 100, 80)
    (tmp_path / "d" / "labelTxt").mkdir()
    (tmp_path / "d" / "labelTxt" / "a.txt").write_text("10 10 40 10 40 30 10 30 ship 0\n"
                                                       "50 50 70 50 70 70 50 70 large-vehicle 0\n")
    stats, recs = convert(tmp_path / "o", "dota", "--src", str(tmp_path / "d"), "--classes", "ship large-vehicle,ship",
                          "--no-progress")
    assert "--classes ship large vehicle: no annotation of this class (but ship, large vehicle are: separate " \
           "classes by commas, --classes ship,large-vehicle)" in stats["notes"]
    plain, _ = convert(tmp_path / "o2", "dota", "--src", str(tmp_path / "d"), "--classes", "ship,small vehicle",
                      "--no-progress")  # words that are no classes there: the plain note
    assert "--classes small vehicle: no annotation of this class" in plain["notes"]


def _vqa(rid: str, late: bool = False) -> dict:
    turns = [{"from": "human", "value": f"<image>\n[vqa] Q{rid}?"}, {"from": "gpt", "value": "yes"}]
    if late:  # a system turn after the first: then a second question under it
        turns += [{"from": "system", "value": "Answer in one word."}, {"from": "human", "value": "Sure?"},
                  {"from": "gpt", "value": "yes"}]
    return {"id": rid, "images": [{"path": "a.png", "modality": "optical"}], "task": "vqa", "conversations": turns}


def test_chat_joins_a_record_with_a_late_system_turn_with_no_other_and_says_so(tmp_path, capsys):
    # it was chained as it was: a system turn mid-way through a conversation of several records, which many chat
    # templates cannot write (training left the whole conversation out), the others' questions with it
    from conftest import write_jsonl

    from data_gen.instructions.chat import main
    from rsvlm.data.records import load_records

    src = write_jsonl(tmp_path / "src.jsonl", [_vqa("a"), _vqa("b"), _vqa("late", late=True)])
    assert main(["--src", src, "--out", str(tmp_path / "c.jsonl"), "--no-progress", "--turns", "3"]) == 0
    (chat,), _ = load_records(tmp_path / "c.jsonl", strict=True)
    assert chat["meta"]["turn_ids"] in (["a", "b"], ["b", "a"])
    assert all(t["from"] != "system" for t in chat["conversations"])
    said = capsys.readouterr()
    assert "1 conversation of 2 of 3 records (0 left alone" in said.out and "1 with a system turn after" in said.out
    assert "1 record holds a system turn after its first (first: id late)" in said.err

    src = write_jsonl(tmp_path / "late.jsonl", [_vqa("x", late=True), _vqa("y", late=True)])
    assert main(["--src", src, "--out", str(tmp_path / "d.jsonl"), "--no-progress"]) == 2
    assert "each of its 2 records with an image holds a system turn after its first" in capsys.readouterr().err


def test_a_palette_geotiff_labels_mask_band_is_no_class(tmp_path):
    # a value no class has (9) under the mask band was unknown_label_value, an error under --strict
    import json

    png(tmp_path / "images" / "a.png", 64, 48)
    a = np.zeros((1, 48, 64), np.uint8)
    a[0, 10:30, 10:40] = 1
    a[0, :, 50:] = 9
    valid = np.full((48, 64), 255, np.uint8)
    valid[:, 50:] = 0
    (tmp_path / "labels").mkdir()
    with rasterio.open(tmp_path / "labels" / "a_mask.tif", "w", driver="GTiff", width=64, height=48, count=1,
                       dtype="uint8") as ds:
        ds.write(a)
        ds.write_mask(valid)
    (tmp_path / "p.json").write_text(json.dumps({"background": 0, "building": 1}))
    stats, recs = convert(tmp_path / "o", "masks", "--images", str(tmp_path / "images"), "--labels",
                          str(tmp_path / "labels"), "--palette", str(tmp_path / "p.json"), "--strict", "--no-progress")
    assert not stats["skipped"] and stats["notes"]["label_pixels_transparent"] == 48 * 14
    assert sorted(o["label"] for r in recs for o in objs(r)) == ["background", "building"]


def test_llava_reads_openais_developer_role_as_system(tmp_path):
    # OpenAI's chat format names the system turn "developer" (o1 models on): the record was invalid_record
    rows = [{"id": "a", "image": "a.png", "messages": [
        {"role": "developer", "content": "Answer briefly."}, {"role": "user", "content": "What is this?"},
        {"role": "assistant", "content": "a church"}]}]
    stats, recs = llava_rows(tmp_path, rows)
    assert not stats["skipped"] and stats["notes"]["developer_role_read_as_system"] == 1
    assert [t["from"] for t in recs[0]["conversations"]] == ["system", "user", "assistant"]


def test_a_missing_images_example_names_the_folder_searched(tmp_path):
    # "missing_image (00433.jpg)": the name alone, left the user to work out where it had been looked for
    png(tmp_path / "imgs" / "a.png", 32, 32)
    (tmp_path / "q.txt").write_text("a.png:what is this?church\nb.jpg:what is this?airport\n")
    stats, _ = convert(tmp_path / "o", "rsivqa", "--src", str(tmp_path / "q.txt"), "--images", str(tmp_path / "imgs"),
                       "--no-progress")
    assert stats["skipped_examples"]["missing_image"].endswith(
        f"missing_image (b.jpg: no such image under --images {tmp_path / 'imgs'})")

    (tmp_path / "labels").mkdir()
    Image.fromarray(np.zeros((32, 32), np.uint8)).save(tmp_path / "labels" / "c_mask.png")
    Image.fromarray(np.full((32, 32), 255, np.uint8)).save(tmp_path / "labels" / "a_mask.png")
    stats, _ = convert(tmp_path / "m", "masks", "--images", str(tmp_path / "imgs"), "--labels", str(tmp_path / "labels"),
                       "--binary", "building", "--no-progress")
    assert stats["skipped_examples"]["missing_image"].endswith(
        f"missing_image (c.*: no such image under --images {tmp_path / 'imgs'})")


def test_a_16_bit_colour_png_binary_label_reads_its_shape(tmp_path):
    # PIL reads a 16-bit RGB PNG as 8-bit RGB, its high byte: a 0/1 mask was 0 everywhere, its class lost
    a = np.zeros((48, 64, 3), np.uint16)
    a[10:30, 10:40, 0] = 1
    (tmp_path / "lab").mkdir()
    png16(tmp_path / "lab" / "a_mask.png", a)
    stats, recs = _binary(tmp_path, "png")
    assert len(recs) == 1 and same_ring(objs(recs[0])[0]["coords"], SHAPE, 64)
