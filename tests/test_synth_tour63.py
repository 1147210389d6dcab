"""Tour 63 of synthetic data, instruction building and the build scripts (helper G)."""

from __future__ import annotations

import pytest


def _painted_car_in_shadow() -> dict:
    return {"id": 1, "class": "small vehicle", "attributes": {"colour": "", "paint": "white", "size": "small",
                                                              "orientation": "horizontal"}}


@pytest.mark.parametrize("images, counted", [({"sar": "images/x_sar.tif"}, False),
                                             ({"sar": "images/x_sar.tif", "optical": "images/x_optical.png"}, True)])
def test_a_set_without_optical_images_has_no_colour_line(images, counted):
    # a SAR-only run printed "colour    4 object(s) in a frame have no colour word: their optical pixels …":
    # no record of it has colour words, there were no optical pixels to read
    from data_gen.instructions.stats import Stats, format_report

    stats = Stats()
    stats.add_scene({"scene_class": "parking lot", "pair": False,
                     "frames": [{"images": images, "objects": [_painted_car_in_shadow()]}]}, "train")
    report = stats.report()
    assert ("colour_words_dropped" in report) == counted
    assert ("colour    1 object(s)" in format_report(report)) == counted


def test_records_per_image_0_is_scenes_only_in_synth_and_refused_by_rebuild(tmp_path, capsys):
    # synth wrote three empty records files without a word; rebuild of such a set (its own mix) wrote three
    # empty files again, replacing the prefix's earlier set
    from data_gen.__main__ import main

    out = tmp_path / "o"
    assert main(["synth", "--out", str(out), "--n", "2", "--size", "32", "--no-progress",
                 "instructions.records_per_image=0"]) == 0
    err = capsys.readouterr().err
    assert "note: instructions.records_per_image=0: scenes only" in err and "data_gen rebuild" in err
    assert len(list((out / "scenes").glob("*.json"))) == 2 and (out / "train.jsonl").read_text() == ""
    assert main(["rebuild", "--dir", str(out), "--prefix", "p_", "--no-progress"]) == 2
    assert "instructions.records_per_image is 0" in capsys.readouterr().err
    assert not (out / "p_train.jsonl").exists()
    assert main(["rebuild", "--dir", str(out), "--prefix", "p_", "--no-progress",
                 "instructions.records_per_image=1"]) == 0
    assert (out / "p_train.jsonl").read_text() or (out / "p_val.jsonl").read_text()
