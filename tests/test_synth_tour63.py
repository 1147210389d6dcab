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
