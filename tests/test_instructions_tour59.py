"""Tour 59 of the instruction builder: how records say where an object is."""

from __future__ import annotations

import json
import re

from data_gen.instructions import referring as R
from data_gen.synth.config import SynthConfig
from data_gen.synth.run import synthesize
from rsvlm.config import from_dict


def _obj(i, cls, cx, cy, area=50, colour=""):
    return {"id": i, "class": cls, "center": [cx, cy], "area": area, "attributes": {"colour": colour}}


def test_a_side_region_is_the_left_or_right_part_of_the_image():
    # "the ship in the left of the image": "in the left part of the image" (or "on the left of …")
    assert R.place("left") == "in the left part of the image"
    assert R.place("right") == "in the right part of the image"
    assert R.place("top left") == "in the top left of the image" and R.place("centre") == "in the centre"
    objs = [_obj(1, "ship", 10, 50), _obj(2, "ship", 90, 50)]
    texts = {R.text(e): i for e, i in R.candidates(objs, 100, 100)}
    assert texts["the ship in the left part of the image"] == 1
    assert texts["the ship in the right part of the image"] == 2


def test_no_record_says_in_the_left_of_or_in_the_right(tmp_path):
    # ground, seg, vqa and regcap said "in the left of the image", captions "… a ship in the left."
    cfg = from_dict(SynthConfig, {"modalities": ["optical"], "scene": {"size": 48, "pairs_fraction": 0.0},
                                  "instructions": {"all_tasks": True}})
    synthesize(tmp_path, 40, seed=0, cfg=cfg, progress=False, verbose=False)
    texts = [t["value"] for s in ("train", "val", "test") for line in (tmp_path / f"{s}.jsonl").read_text().splitlines()
             for t in json.loads(line)["conversations"]]
    assert not [t for t in texts if re.search(r"in the (left|right)\b(?! part)", t)]
    sides = [t for t in texts if re.search(r"in the (left|right) part of the image", t)]
    assert len(sides) >= 3 and any(t.startswith("An aerial") or "largest object" in t for t in texts)
    assert any("largest object" in t and " of the image." in t for t in texts)


def test_a_colour_names_no_object_while_another_of_unclear_colour_could_be_it():
    # a red-cab truck (its light box reads white, colour "") beside a white one: "the white large
    # vehicle" picked the white one as unique, though the other looks white as much
    white = _obj(1, "large vehicle", 20, 50)
    white["attributes"].update(colour="white", paint="white")
    red_cab = _obj(2, "large vehicle", 80, 50)
    red_cab["attributes"].update(colour="", paint="red")
    assert R.resolve(("colour", "large vehicle", "white"), [white, red_cab], 100, 100) == [1, 2]
    texts = {R.text(e) for e, _ in R.candidates([white, red_cab], 100, 100)}
    assert "the white large vehicle" not in texts and "the leftmost large vehicle" in texts
    plain = _obj(3, "ship", 50, 50)  # never painted (no colour, no paint): never a colour's
    assert R.resolve(("colour", "ship", "white"), [plain], 100, 100) == []
