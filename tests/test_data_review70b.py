"""Data review 70 (G2's round): a 16-bit label widened from 8 bits by a shift (v x 256), a 16-bit grey + alpha
binary label, a binary label's mask band beside its alpha band, chat's --turns / --seed refusals naming only what is
wrong, synth's scene and render refusals showing numbers as given, and llava's no-geometry note naming a written
record."""

from __future__ import annotations

import json

import numpy as np
import pytest
from convert_helpers import convert, llava_rows, objs, png, png16, rgba_label_with_mask, same_ring

SHAPE = [[10, 10], [40, 10], [40, 30], [10, 30]]


def _masks(tmp_path, label: np.ndarray, *argv: str) -> tuple[dict, list[dict]]:
    """``masks`` over images/a.png (64x48) and ``label`` (H, W, C) uint16 written as labels/a_mask.png, 16 bits."""
    png(tmp_path / "images" / "a.png", 64, 48)
    png16(tmp_path / "labels" / "a_mask.png", label)
    return convert(tmp_path / "o", "masks", "--images", str(tmp_path / "images"), "--labels",
                   str(tmp_path / "labels"), *argv, "--no-progress")


@pytest.mark.parametrize("value, palette", [
    ([255 << 8, 0, 0], {"building": [255, 0, 0]}),  # 65280: PIL's high byte read it 255, as drawn
    ([1 << 8] * 3, {"building": 1}),  # class code 1 shifted: 256
])
def test_a_16_bit_label_widened_by_a_shift_reads_its_8_bit_values(tmp_path, value, palette):
    # an 8-bit label widened by astype(uint16) << 8 (not x 257) was read at 16 bits: 65280 was unknown_label_value,
    # where PIL's high byte had read it right
    a = np.zeros((48, 64, 3), np.uint16)
    a[10:30, 10:40] = value
    (tmp_path / "p.json").write_text(json.dumps(palette))
    stats, recs = _masks(tmp_path, a, "--palette", str(tmp_path / "p.json"), "--strict")
    assert [o["label"] for r in recs for o in objs(r)] == ["building"]
    assert stats["notes"] == {"labels_16_bit_read_as_8_bit": 1}


def test_a_widened_16_bit_rgba_labels_colour_under_transparency_is_not_looked_at(tmp_path):
    # white (65535) under alpha 0 is no multiple of 256: the shifted red beside it was read at 16 bits, unknown
    a = np.zeros((48, 64, 4), np.uint16)
    a[10:30, 10:40, 0] = 255 << 8
    a[..., 3] = 65535
    a[:, 50:] = [65535, 65535, 65535, 0]  # transparent, white under it
    (tmp_path / "p.json").write_text(json.dumps({"building": [255, 0, 0]}))
    stats, recs = _masks(tmp_path, a, "--palette", str(tmp_path / "p.json"), "--strict")
    assert [o["label"] for r in recs for o in objs(r)] == ["building"]
    assert stats["notes"] == {"labels_16_bit_read_as_8_bit": 1, "label_pixels_transparent": 48 * 14}


def test_a_16_bit_grey_alpha_png_binary_label_reads_its_shape(tmp_path):
    # PIL read a 16-bit grey + alpha PNG at 8 bits, its high byte: a 0/1 mask was empty
    a = np.zeros((48, 64, 2), np.uint16)
    a[10:30, 10:40, 0] = 1
    a[..., 1] = 65535  # opaque
    stats, recs = _masks(tmp_path, a, "--binary", "building")
    assert len(recs) == 1 and same_ring(objs(recs[0])[0]["coords"], SHAPE, 64)


def test_a_binary_labels_mask_band_beside_its_alpha_band_is_void(tmp_path):
    # a GDAL mask band was not read where the label had an alpha band: the class under it was drawn
    a = np.zeros((4, 48, 64), np.uint8)
    a[:3, 10:30, 10:40] = 255
    a[:3, 10:30, 50:60] = 255  # under the mask band: no data
    a[3] = 255
    valid = np.full((48, 64), 255, np.uint8)
    valid[:, 48:] = 0
    rgba_label_with_mask(tmp_path, a, valid)
    stats, recs = convert(tmp_path / "o", "masks", "--images", str(tmp_path / "images"), "--labels",
                          str(tmp_path / "labels"), "--binary", "building", "--no-progress")
    assert len(recs) == 1 and len(objs(recs[0])) == 1 and same_ring(objs(recs[0])[0]["coords"], SHAPE, 64)
    assert stats["notes"]["label_pixels_masked"] == 48 * 16


@pytest.mark.parametrize("argv, said", [
    (["--turns", "1"], "error: --turns=1 must be at least 2: give --turns 2 or more (default 3): a conversation of "
                       "one turn is the single-turn record --src holds as it is\n"),
    (["--seed", "-1"], "error: --seed=-1 must be >= 0: give --seed 0 or more (default 0)\n"),
    (["--turns", "0", "--seed", "-2"], "error: --turns=0 and --seed=-2 are out of range (--turns at least 2, --seed "
                                       ">= 0): give --seed 0 or more (default 0), and give --turns 2 or more (default "
                                       "3): a conversation of one turn is the single-turn record --src holds as it is\n"),
])
def test_chat_turns_and_seed_refusals_name_only_what_is_wrong(tmp_path, capsys, argv, said):
    # "turns must be at least 2 and seed >= 0, got turns=1, seed=0" named the seed, which was right
    from data_gen.instructions.chat import main

    assert main(["--src", str(tmp_path / "r.jsonl"), "--out", str(tmp_path / "c.jsonl"), *argv]) == 2
    assert capsys.readouterr().err == said


@pytest.mark.parametrize("override, said", [
    ("scene.object_scale=-1", "error: override 'scene.object_scale=-1' (command line): scene.object_scale -1 is out "
                              "of range: give a finite number > 0\n"),
    ("scene.pairs_fraction=2", "error: override 'scene.pairs_fraction=2' (command line): scene.pairs_fraction 2 must "
                               "be in [0, 1]\n"),
])
def test_synth_scene_refusals_show_numbers_as_given(tmp_path, capsys, override, said):
    # "scene.object_scale -1.0 is out of range": a float field's whole number with a .0 it was not given
    from data_gen.__main__ import main

    assert main(["synth", "--out", str(tmp_path / "o"), "--n", "1", "--no-progress", override]) == 2
    assert capsys.readouterr().err.startswith(said)


def test_llava_no_geometry_note_names_a_record_written(tmp_path):
    # the note's first id is a record written: one skipped (its image missing) takes its count back with it
    rows = [{"id": "gone", "image": "nosuch.png", "conversations": [
                {"from": "human", "value": "<image>\nHow many ships?"}, {"from": "gpt", "value": "two"}]},
            {"id": "b", "image": "a.png", "conversations": [
                {"from": "human", "value": "<image>\nWhere is the ship?"}, {"from": "gpt", "value": "{<10><10><40><30>}"}]},
            {"id": "q", "image": "a.png", "conversations": [
                {"from": "human", "value": "<image>\nHow many ships?"}, {"from": "gpt", "value": "three"}]}]
    stats, recs = llava_rows(tmp_path, rows, "--task", "ground")
    assert [r["id"] for r in recs] == ["b", "q"] and stats["skipped"] == {"missing_image": 1}
    assert {k: n for k, n in stats["notes"].items() if "geometry" in k} == {
        "no_geometry_in_answers_tagged_ground_by_--task (first: id 'q')": 1}
