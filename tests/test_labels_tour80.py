"""A runaway caption in a ``<ref>`` is no class label (``geometry.codec.caption_label``).

On the real SIRST image, ``rsvlm predict --task ground --prompt "The aircraft." --tta flip`` with the bundled model
had a mirror view label a box with a 184-character caption ("s a harbour. There are four buildings. …"), under
``MAX_LABEL_CHARS``: nothing flagged it and predict tabled it as the object's class. A label of two sentences is
now dropped on decoding, named in a problem (its first 40 characters and its length), its shapes kept unlabelled;
``encode`` refuses one back. Every class name and one-sentence referring phrase stays a label.
"""
from __future__ import annotations

import json

import pytest

from rsvlm import geometry, tta
from rsvlm.geometry.codec import MAX_LABEL_CHARS, caption_label
from tests.conftest import blank_image

# the mirror view's label on SIRST (Misc_100.png), as predict --out wrote it
SIRST_CAPTION = ("s a harbour. There are four buildings. Water covers about 40% of the image. The largest object is a "
                 "building in the bottom left of the bottom left|>down image shows a building about ip")
BOX = "<box><loc_250><loc_250><loc_750><loc_750></box>"  # the middle of the image: the same box in every mirror view
LEGAL = ["ship", "small vehicle", "ground track field", "basketball court", "storage-tank", "Expressway-Service-area",
         "Boeing737", "A320", "Truck w/Box", "U.S. Navy ship", "St. Louis airport", "the ship in the top left.",
         "the 2nd ship from the left", "the largest ship. ", "the white ship, e.g. Ferry", "No. 2 runway",
         "the building on av. Paulista", "ship vs. Boat", "the tower approx. North of the lake", "Mt. Fuji"]


@pytest.mark.parametrize("label", LEGAL)
def test_class_names_and_referring_phrases_stay_labels(label):
    assert not caption_label(label)
    dec = geometry.decode(f"<ref>{label}</ref>{BOX}", 100, 100)
    assert dec.problems == [] and dec.objects[0]["label"] == label.strip()
    obj = {"kind": "box", "label": label, "coords": [10, 10, 20, 20]}
    assert geometry.decode(geometry.encode([obj], 100, 100), 100, 100).objects[0]["label"] == label.strip()


@pytest.mark.parametrize("label", [SIRST_CAPTION, "The ship. It is white", "ships? Yes", 'harbour." Then a ship',
                                   "s a harbour. There are four buildings. " * 26])
def test_a_label_of_two_sentences_is_dropped_and_named_its_shape_kept(label):
    assert caption_label(label)
    dec = geometry.decode(f"<ref>ship</ref>{BOX}<ref>{label}</ref>{BOX}", 100, 100)
    assert [o["label"] for o in dec.objects] == ["ship", None]
    assert dec.objects[1]["coords"] == dec.objects[0]["coords"]
    (problem,) = dec.problems  # one problem, also past MAX_LABEL_CHARS: dropped, not cut to 256 and kept
    head = label.strip()[:40] + "…" * (len(label.strip()) > 40)  # the ellipsis only where the label goes on
    assert problem.startswith(f"<ref>{head} ({len(label.strip())} characters) reads as a caption")
    assert problem.endswith("reads as a caption (two sentences), not a class name: the label dropped")
    assert label.strip() in dec.text  # the words stay the answer's text


def test_a_long_label_of_one_sentence_is_still_cut_not_dropped():
    label = "the ship " * 40
    dec = geometry.decode(f"<ref>{label}</ref>{BOX}", 100, 100)
    assert len(dec.objects[0]["label"]) <= MAX_LABEL_CHARS and dec.objects[0]["label"].startswith("the ship")
    assert "the label cut to 256" in dec.problems[0]


def test_encode_refuses_a_caption_label_naming_it():
    obj = {"kind": "box", "label": SIRST_CAPTION, "coords": [10, 10, 20, 20]}
    with pytest.raises(ValueError, match=r"object 0.*'s a harbour\. There are four buildings\. W'… "
                                         r"\(184 characters\) holds two sentences"):
        geometry.encode([obj], 100, 100)


def _fused(plain: str, views: list[str]):
    said = iter(views)
    msgs = [[{"role": "user", "content": "<image>\n[ground] The aircraft."}]]
    (fused,) = tta.fused_answers(lambda m, i: [(next(said), [0.9])], msgs, [blank_image(100, 100)], [(plain, [0.9])])
    return fused


def test_a_caption_one_mirror_view_gave_is_no_class_of_the_fused_answer():
    fused = _fused(BOX, [f"<ref>{SIRST_CAPTION}</ref>{BOX}", BOX, BOX])
    labels = [o["label"] for o in geometry.decode(fused.answer, 100, 100).objects]
    assert labels == [None]  # was the caption: the only label any view gave
    assert "'h': its label: <ref>s a harbour. There are four buildings. W… (184 characters) reads as a caption (two " \
        "sentences), not a class name: the label dropped" in fused.note  # its geometry parses: the label was wrong
    assert fused.note.count("reads as a caption") == 1  # was said twice: "its label reads as a caption (… reads as …)"


def test_a_plain_answer_with_a_caption_is_left_unfused_and_unlabelled():
    plain = f"<ref>{SIRST_CAPTION}</ref>{BOX}"
    assert _fused(plain, [f"<ref>aircraft</ref>{BOX}"] * 3) is None  # a plain answer with problems: as it is
    assert [o["label"] for o in geometry.decode(plain, 100, 100).objects] == [None]


@pytest.mark.realdata
def test_the_real_sirst_ground_answer_tables_no_caption(realdata, tmp_path, capsys):
    from rsvlm.cli import main

    out = tmp_path / "g.json"
    assert main(["predict", "--image", str(realdata / "ir_sirst" / "Misc_100.png"), "--task", "ground", "--prompt",
                 "The aircraft.", "--tta", "flip", "--device", "cpu", "--out", str(out)]) == 0
    got = json.loads(out.read_text())
    assert [o["label"] for o in got["objects"] if o["label"] and caption_label(o["label"])] == []
    table = capsys.readouterr().out
    assert "harbour" not in table and "small vehicle" in table
    # the bundled model's mirror views wrote the captions (found so when this test was written)
    assert any("<ref>s a harbour. There are four buildings." in n and "reads as a caption" in n for n in got["notes"])
