"""Data lead 70: 16-bit colour PNGs as palette labels, every void of a palette label, ``llava --task`` on answers
without geometry, and synth's refusals showing numbers as given."""

from __future__ import annotations

import json

import numpy as np
import pytest
from convert_helpers import convert, llava_rows, objs, png, png16, rgba_label_with_mask


def _codes(channels: int, scale: int = 1) -> np.ndarray:
    """(48, 64, ``channels``) uint16: code 1 at pixels 10…40 x 10…30, 2 at 5…20 x 35…45, 0 elsewhere, in every
    colour channel, times ``scale``; a last channel of 4 is alpha, opaque."""
    a = np.zeros((48, 64, channels), np.uint16)
    a[10:30, 10:40, :3] = scale
    a[35:45, 5:20, :3] = 2 * scale
    if channels in (2, 4):
        a[..., -1] = 65535
    return a


@pytest.mark.parametrize("colour_type, channels, scale, note", [
    (2, 3, 1, False),  # codes 0/1/2 as they are: PIL's high byte read them all 0, "no records written"
    (6, 4, 1, False),  # RGBA
    (4, 2, 1, False),  # grey + alpha: PIL read it as 8-bit RGBA too
    (2, 3, 257, True),  # an 8-bit label stretched to 16 bits (ImageMagick's -depth 16): read as its 8-bit codes
])
def test_a_16_bit_colour_png_palette_label_reads_its_codes(tmp_path, colour_type, channels, scale, note):
    png(tmp_path / "images" / "a.png", 64, 48)
    (tmp_path / "labels").mkdir()
    png16(tmp_path / "labels" / "a_mask.png", _codes(channels, scale), colour_type)
    (tmp_path / "p.json").write_text(json.dumps({"building": 1, "road": 2}))
    stats, recs = convert(tmp_path / "o", "masks", "--images", str(tmp_path / "images"), "--labels",
                          str(tmp_path / "labels"), "--palette", str(tmp_path / "p.json"), "--strict", "--no-progress")
    assert sorted(o["label"] for r in recs for o in objs(r)) == ["building", "road"]
    assert stats["notes"].get("labels_16_bit_read_as_8_bit") == (1 if note else None)


def test_a_16_bit_colour_png_under_an_rgb_palette_reads_its_colours(tmp_path):
    a = np.zeros((48, 64, 3), np.uint16)
    a[10:30, 10:40] = [0, 0, 255]  # 255 at 16 bits: its high byte is 0
    png(tmp_path / "images" / "a.png", 64, 48)
    (tmp_path / "labels").mkdir()
    png16(tmp_path / "labels" / "a_mask.png", a, 2)
    (tmp_path / "p.json").write_text(json.dumps({"building": [0, 0, 255]}))
    stats, recs = convert(tmp_path / "o", "masks", "--images", str(tmp_path / "images"), "--labels",
                          str(tmp_path / "labels"), "--palette", str(tmp_path / "p.json"), "--strict", "--no-progress")
    assert [o["label"] for r in recs for o in objs(r)] == ["building"] and not stats["notes"]


def test_an_rgba_geotiff_labels_alpha_and_mask_band_are_both_no_class(tmp_path):
    # two voids: the alpha band's 0 and a GDAL mask band's. The mask band was not read beside an alpha band, and the
    # palette path kept the first void alone: the colour under the mask was unknown_label_value, --strict's error
    a = np.zeros((4, 48, 64), np.uint8)
    a[0, 10:30, 10:40] = 255  # a red building
    a[:3, :, 50:] = 9  # no class's colour, at columns 50-63
    a[3] = 255
    a[3, :, 57:] = 0  # transparent at columns 57-63
    valid = np.full((48, 64), 255, np.uint8)
    valid[:, 50:57] = 0  # masked out at columns 50-56
    rgba_label_with_mask(tmp_path, a, valid)
    (tmp_path / "p.json").write_text(json.dumps({"building": [255, 0, 0]}))
    stats, recs = convert(tmp_path / "o", "masks", "--images", str(tmp_path / "images"), "--labels",
                          str(tmp_path / "labels"), "--palette", str(tmp_path / "p.json"), "--strict", "--no-progress")
    assert not stats["skipped"] and stats["notes"]["label_pixels_transparent"] == 48 * 14
    assert [o["label"] for r in recs for o in objs(r)] == ["building"]


def test_llava_task_flag_on_answers_without_geometry_is_noted(tmp_path):
    # --task det tagged a VQA answer ("three") det without a word
    rows = [{"id": "q", "image": "a.png", "conversations": [
                {"from": "human", "value": "<image>\nHow many ships?"}, {"from": "gpt", "value": "three"}]},
            {"id": "b", "image": "a.png", "conversations": [
                {"from": "human", "value": "<image>\nWhere is the ship?"}, {"from": "gpt", "value": "{<10><10><40><30>}"}]},
            {"id": "v", "image": "a.png", "task": "vqa", "conversations": [  # its own task wins: not --task's
                {"from": "human", "value": "<image>\nIs it a port?"}, {"from": "gpt", "value": "yes"}]}]
    stats, recs = llava_rows(tmp_path, rows, "--task", "det")
    assert [r["task"] for r in recs] == ["det", "det", "vqa"]
    assert stats["notes"]["no_geometry_in_answers_tagged_det_by_--task (first: id 'q')"] == 1

    stats, _ = convert(tmp_path / "v", "llava", "--src", str(tmp_path / "l.json"), "--images", str(tmp_path / "imgs"),
                       "--task", "vqa")
    assert not any("no_geometry" in k for k in stats["notes"])  # vqa's answers are words


@pytest.mark.parametrize("override, said", [
    ("instructions.records_per_image=-1", "instructions.records_per_image must be finite and >= 0, got -1\n"),
    ("instructions.task_weights={det: -1}", "weights must be finite numbers >= 0, got {det: -1}\n"),
    ("instructions.mask_budget=3", "instructions.mask_budget must be >= 8 (location tokens per instance), got 3\n"),
    ("split.val=-1", "split.val=-1, split.test=0.1 must be"),
])
def test_synth_shows_a_refused_number_as_given(tmp_path, capsys, override, said):
    # "got -1.0" for -1; mask_budget's refusal named max_det_objects too
    from data_gen.__main__ import main

    assert main(["synth", "--out", str(tmp_path / "o"), "--n", "1", "--no-progress", override]) == 2
    err = capsys.readouterr().err
    assert said in err and ".0" not in err and "max_det_objects" not in err


def test_synth_config_given_by_name_is_told_its_path(tmp_path, capsys):
    # --config optical_only said "config file not found: optical_only", where configs/data/optical_only.yaml is
    from data_gen.__main__ import main

    assert main(["synth", "--out", str(tmp_path / "o"), "--n", "1", "--no-progress", "--config", "optical_only"]) == 2
    err = capsys.readouterr().err
    assert "--config takes a file's path: --config " in err and err.rstrip().endswith("optical_only.yaml")
    assert main(["synth", "--out", str(tmp_path / "o"), "--n", "1", "--no-progress", "--config", "nosuch"]) == 2
    assert capsys.readouterr().err == "error: --config: config file not found: nosuch\n"  # stop 78: the option named


def test_chat_refuses_a_missing_src_before_its_progress_bar(tmp_path, capsys):
    # an empty "chat: read: 0record" bar came before "records file not found"
    from data_gen.instructions.chat import main

    missing = tmp_path / "nosuch.jsonl"
    assert main(["--src", str(missing), "--out", str(tmp_path / "c.jsonl")]) == 2
    assert capsys.readouterr().err == f"error: records file not found: {missing}\n"


def test_chat_of_records_all_skipped_says_so(tmp_path, capsys):
    # "it holds no records", under the line saying 2 were skipped
    from data_gen.instructions.chat import main

    (tmp_path / "bad.jsonl").write_text('{"id": 1}\nnot json\n')
    assert main(["--src", str(tmp_path / "bad.jsonl"), "--out", str(tmp_path / "c.jsonl"), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.rstrip().endswith("none of its records could be read (2 skipped, above)") and "holds no" not in err
