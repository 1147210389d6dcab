"""Whole-stop review 81 (WF) of the geometry wording and config base-chain notes.

``no_tag`` named an alias's plural (``<bboxes>``, the key most tools write, ``<quads>``, ``<rboxes>``) with no tag at all,
and cut a word over 20 characters with no mark; ``caption_label`` read ``Harbor Fwy. North`` as two sentences (the
label dropped, its record refused) beside ``Garden State Pkwy. North`` kept. A refusal of unknown keys in several
places put every place's other-file keys inside the first place's note (``unknown key model.projector.pooll … (line 4
of m.yaml; model.llm.lora_rr at line 2 of llm.yaml …)``): each place now names its own.
"""
from __future__ import annotations

import pytest

from rsvlm import geometry
from rsvlm.config import ConfigError, load_config
from rsvlm.geometry.wording import caption_label
from rsvlm.train.config import TrainConfig

LOCS = "<loc_100><loc_200><loc_300><loc_400>"


@pytest.mark.parametrize("tag, meant", [("bboxes", "box"), ("rects", "box"), ("rectangle", "box"), ("rboxes", "obb"),
                                        ("quads", "obb"), ("contours", "poly"), ("pts", "point")])
def test_an_aliases_plural_names_its_tag(tag, meant):
    problems = geometry.decode(f"<ref>car</ref><{tag}>{LOCS}", 1000, 1000).problems
    assert problems[0] == f"<{tag}> is no tag (<{meant}>?): the location tokens after it are in no shape"


def test_a_long_word_is_cut_marked():
    word = "<" + "a" * 30 + ">"
    (said, *_) = geometry.decode(f"{word}{LOCS}", 1000, 1000).problems
    assert said.startswith("<" + "a" * 18 + "… is no tag (tags: <box>,")


@pytest.mark.parametrize("label", ["Harbor Fwy. North", "Pearl Hbr. Naval Base", "Dulles Arpt. Terminal",
                                   "Central Stn. Platform", "Oak Hill Cem. Chapel", "Lincoln Elem. Sch. Playground"])
def test_a_place_abbreviation_stays_a_label(label):
    assert not caption_label(label)


def test_a_capitalised_word_not_listed_still_ends_a_sentence():
    assert caption_label("the Harbor. Two ships") and caption_label("Lake Michigan. North shore")


def test_each_place_names_its_own_keys_of_other_files(tmp_path):
    (tmp_path / "llm.yaml").write_text("name: x\nlora_rr: 8\n")
    (tmp_path / "m.yaml").write_text("llm:\n  base: llm.yaml\nprojector:\n  pooll: 2\n")
    top = tmp_path / "s.yaml"
    top.write_text("out_dir: runs/x\nmodel:\n  base: m.yaml\n  llm:\n    lora_alphaa: 3\n")
    with pytest.raises(ConfigError) as e:
        load_config(TrainConfig, top)
    head, projector, llm = str(e.value).split("\n  ")
    assert head == f"{tmp_path / 'm.yaml'} (a base of {top}): unknown keys in 2 places:"
    assert projector.startswith("unknown key model.projector.pooll for ProjectorConfig (line 4 of m.yaml); valid")
    assert llm.startswith("unknown keys model.llm.lora_alphaa, model.llm.lora_rr, model.llm.name for LLMConfig "
                          "(model.llm.lora_alphaa at line 5 of s.yaml, model.llm.lora_rr at line 2 of llm.yaml, "
                          "model.llm.name at line 1 of llm.yaml); valid")


def test_each_place_names_its_line_in_the_file_and_in_its_base(tmp_path):
    (tmp_path / "b.yaml").write_text("optim:\n  lrr: 1\nmodel:\n  projector:\n    pooll: 2\n")
    top = tmp_path / "s.yaml"
    top.write_text("base: b.yaml\nout_dir: x\noptim:\n  warmupsteps: 3\nmodel:\n  projector:\n    typo: 1\n")
    with pytest.raises(ConfigError) as e:
        load_config(TrainConfig, top)
    _, projector, optim = str(e.value).split("\n  ")
    assert "(line 5 of b.yaml; model.projector.typo at line 7 of s.yaml); valid" in projector
    assert "(line 2 of b.yaml; optim.warmupsteps at line 4 of s.yaml); valid" in optim
