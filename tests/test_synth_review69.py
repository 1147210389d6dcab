"""Review of stop 69, area G: ``convert --no-progress`` (every converter's bar and its tiles'), a converter's missing
required option said with what to give, ``chat`` over records whose turns are role/content ``user``s (``convert
llava`` of ``messages``), and a 0/1 GeoTIFF label whose only non-zero pixels are a nodata collar. Review of G2: a grey
palette label's transparent pixels are no class whatever colour they hide, a colour left there included."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from convert_helpers import convert, png, tif_label

from data_gen.convert import CONVERTERS


@pytest.mark.parametrize("fmt", sorted(CONVERTERS))
def test_every_converter_takes_no_progress(fmt):
    # "python -m data_gen convert dota … --no-progress" was "unrecognized arguments" (synth, rebuild, chat took it)
    from data_gen.convert import build_parser

    sub = build_parser().commands[fmt]
    assert "--no-progress" in sub._option_string_actions


def _recording(monkeypatch) -> list[tuple[str, object]]:
    """Every bar the converters and data_gen.tiling make, as (desc, disable)."""
    import importlib

    import rsvlm.progress

    made = []
    real = rsvlm.progress.bar

    def bar(*args, desc=None, disable=False, **kw):
        made.append((desc, disable))
        return real(*args, desc=desc, disable=disable, **kw)

    monkeypatch.setattr(rsvlm.progress, "bar", bar)  # tiling imports it on each call
    for module, _ in CONVERTERS.values():
        mod = importlib.import_module(f"data_gen.convert.{module}")
        if hasattr(mod, "bar"):
            monkeypatch.setattr(mod, "bar", bar)
    return made


def _dota(tmp_path: Path) -> Path:
    png(tmp_path / "d" / "images" / "a.png", 200, 160)
    (tmp_path / "d" / "labelTxt").mkdir()
    (tmp_path / "d" / "labelTxt" / "a.txt").write_text("10 10 40 10 40 30 10 30 ship 0\n")
    return tmp_path / "d"


@pytest.mark.parametrize("off", [True, False])
def test_no_progress_turns_off_the_converters_bars_and_their_tiles(tmp_path, monkeypatch, off):
    made = _recording(monkeypatch)
    convert(tmp_path / "o", "dota", "--src", str(_dota(tmp_path)), "--tile", "64", *(["--no-progress"] * off))
    assert {d for d, _ in made} >= {"dota", "tiles of a.png"}, made
    assert all(disable is True for d, disable in made if d == "dota") is off
    tiles = [disable for d, disable in made if d == "tiles of a.png"]
    assert tiles and all(tiles) if off else not any(tiles)  # on: several tiles, so drawn (after 2 s)


def test_no_progress_turns_off_every_bar_of_a_masks_run(tmp_path, monkeypatch):
    from PIL import Image

    made = _recording(monkeypatch)
    png(tmp_path / "img" / "a.png", 128, 96)
    lab = np.zeros((96, 128), np.uint8)
    lab[10:30, 10:40] = 255
    (tmp_path / "lab").mkdir()
    Image.fromarray(lab).save(tmp_path / "lab" / "a.png")
    convert(tmp_path / "o", "masks", "--images", str(tmp_path / "img"), "--labels", str(tmp_path / "lab"),
            "--binary", "building", "--tile", "64", "--no-progress")
    assert made and all(disable is True for _, disable in made), made


@pytest.mark.parametrize(("argv", "says"), [
    (["dota"], "required: --src: give --src (DOTA split folder (images/, labelTxt/) or flat folder)"),
    (["masks"], "required: --images, --labels: give --images (image folder or file) and --labels (label-mask "
                "folder or file)"),
    (["coco", "--images", "x"], "required: --ann: give --ann (COCO instances JSON)"),
])
def test_a_converters_missing_input_says_what_to_give(tmp_path, capsys, argv, says):
    # "the following arguments are required: --src" named the option alone; predict names what is meant
    from data_gen.convert import main

    with pytest.raises(SystemExit) as e:
        main([*argv, "--out", str(tmp_path / "o")])
    assert e.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.endswith(says), err


def test_chat_over_converted_role_content_records_keeps_one_image_placeholder(tmp_path):
    # convert llava of "messages" writes "from": "user" turns; chat stripped later turns' <image> of "human" ones
    # only: the conversation had 3 placeholders for 1 image, refused by the records loader
    from convert_helpers import llava_rows

    from data_gen.instructions.chat import main
    from rsvlm.data.records import load_records

    rows = [{"id": f"r{i}", "image": "a.png", "messages": [{"role": "user", "content": f"<image>\n[vqa] Q{i}?"},
                                                           {"role": "assistant", "content": "yes"}]}
            for i in range(3)]
    llava_rows(tmp_path, rows)
    assert main(["--src", str(tmp_path / "o" / "records.jsonl"), "--out", str(tmp_path / "c.jsonl"),
                 "--turns", "3", "--no-progress"]) == 0
    chats, _ = load_records(tmp_path / "c.jsonl", strict=True)
    (chat,) = chats
    assert sum(t["value"].count("<image>") for t in json.loads((tmp_path / "c.jsonl").read_text())
               ["conversations"]) == 1 and len(chat["conversations"]) == 6


def test_a_0_1_labels_nodata_collar_beside_0s_alone_is_an_empty_tile(tmp_path):
    # a 0/1 mask with nodata 255 whose tile holds no 1 (0s and the 255 collar) was refused as a 0/255 mask's class
    # read as nodata, "unset the nodata": a way out that would have made its collar the class
    png(tmp_path / "img" / "a.png", 64, 48)
    lab = np.zeros((48, 64), np.uint8)
    lab[:, 56:], lab[40:, :] = 255, 255  # an L-shaped collar along two edges
    tif_label(tmp_path / "lab" / "a_mask.tif", lab, 255)
    stats, _ = convert(tmp_path / "o", "masks", "--images", str(tmp_path / "img"), "--labels", str(tmp_path / "lab"),
                       "--binary", "building")
    assert stats["skipped"] == {} and stats["notes"] == {"label_pixels_nodata": int((lab == 255).sum()),
                                                         "images_without_objects_not_read": 1}


def test_a_0_255_label_with_an_island_of_its_nodata_is_refused_still(tmp_path):
    # an object inside, beside a collar: the class read as nodata, as the tour's test has it without the collar
    png(tmp_path / "img" / "a.png", 64, 48)
    lab = np.zeros((48, 64), np.uint8)
    lab[:, 60:], lab[10:30, 10:40] = 255, 255
    tif_label(tmp_path / "lab" / "a_mask.tif", lab, 255)
    stats, _ = convert(tmp_path / "o", "masks", "--images", str(tmp_path / "img"), "--labels", str(tmp_path / "lab"),
                       "--binary", "building")
    assert stats["skipped"] == {"unreadable_label": 1}
    assert "unset the nodata" in stats["skipped_examples"]["unreadable_label"]


def test_llava_images_entry_without_a_path_is_named_so(tmp_path):
    # KeyError('path') of an images[] entry was said "no 'path' field (a LLaVA record has id, image, conversations…)"
    from convert_helpers import llava_rows

    rows = [{"id": "a", "images": [{"modality": "optical"}], "conversations": [
        {"from": "human", "value": "<image>\nWhat is it?"}, {"from": "gpt", "value": "a harbour"}]},
        {"id": "b", "image": "a.png", "conversations": [{"from": "human", "value": "<image>\nWhat is it?"},
                                                         {"from": "gpt", "value": "a harbour"}]}]
    stats, _ = llava_rows(tmp_path, rows)
    assert stats["skipped_examples"]["unparsable_record"].endswith("record 0: unparsable_record (no 'path' field)")


@pytest.mark.parametrize("suffix", [".png", ".tif"])
def test_a_grey_palettes_rgba_label_with_colour_under_its_transparency_is_read(tmp_path, suffix):
    # the colour left under alpha 0 (an editor's leftovers) was checked as drawn: "a colour label (3 bands that
    # differ) under a palette of grey levels", the label skipped, though its transparent pixels are no class
    import rasterio
    from convert_helpers import palette_label

    label = np.zeros((48, 64, 4), np.uint8)
    label[..., :3] = (200, 30, 30)  # (H, W, RGBA) red, transparent
    label[10:30, 10:40] = (2, 2, 2, 255)  # an opaque grey 2
    args = palette_label(tmp_path, label, "RGBA", {"field": 2})
    if suffix == ".tif":  # the same label as an RGBA GeoTIFF (GDAL's extra sample: alpha)
        (tmp_path / "labels" / "a_mask.png").unlink()
        with rasterio.open(tmp_path / "labels" / "a_mask.tif", "w", driver="GTiff", width=64, height=48, count=4,
                           dtype="uint8", photometric="RGB", alpha="YES") as ds:
            ds.write(np.moveaxis(label, -1, 0))  # (4, H, W)
    stats, recs = convert(tmp_path / "o", "masks", *args)
    assert [r["id"] for r in recs] == ["seg-a-field-poly"] and not stats.get("skipped")
    assert stats["notes"]["label_pixels_transparent"] == 48 * 64 - 20 * 30
