"""Review of tour 77's codec changes: other-case tags, the <ref> label bound, right angles of rbox_to_quad."""

import math
import random

import pytest

from rsvlm import geometry
from rsvlm.geometry.codec import MAX_LABEL_CHARS

W, H = 100, 50
BOX = "<box><loc_1><loc_2><loc_3><loc_4></box>"


@pytest.mark.parametrize("word", ["</row>", "</run>", "</ROW>", "<SHIP>", "<B>", "<IMAGE>", "<BOXES>", "<REF >", "<LOC_>"])
def test_angle_bracket_words_that_are_no_tag_in_any_case_are_no_problem(word):
    """``</row>`` was said to be "no tag: tags are lower case (</row>)", and refused in a label: there is no ``</row>``."""
    d = geometry.decode(f"<ref>ship</ref>{BOX} and {word} too", W, H)
    assert d.problems == [] and [o["label"] for o in d.objects] == ["ship"] and word in d.text
    assert geometry.encode([{"kind": "point", "label": f"a {word} b", "coords": [1, 1]}], W, H).startswith("<ref>a ")


def test_a_label_over_the_bound_is_refused_naming_it():
    assert geometry.encode([{"kind": "point", "label": "s" * MAX_LABEL_CHARS, "coords": [1, 1]}], W, H)
    with pytest.raises(ValueError, match=r"object 0: label 'ssss.*'… is 257 characters, over 256: a class name or "
                                         r"referring phrase, not a text; shorten it"):
        geometry.encode([{"kind": "point", "label": " " + "s" * (MAX_LABEL_CHARS + 1), "coords": [1, 1]}], W, H)


def test_a_longer_ref_phrase_is_reported_and_its_label_cut_so_it_encodes_again():
    phrase = "the ship " * 40  # 360 characters
    d = geometry.decode(f"<ref>{phrase}</ref>{BOX}", W, H)
    assert d.problems == [f"<ref>{phrase.strip()[:40]}… is {len(phrase.strip())} characters, over 256; "
                          "the label cut to 256"]
    assert len(d.objects[0]["label"]) <= MAX_LABEL_CHARS and phrase.startswith(d.objects[0]["label"])
    assert geometry.encode(d.objects, W, H).endswith(BOX)


def test_rbox_to_quad_is_the_float_rotation_off_right_angles():
    """Only multiples of 90 degrees were made exact: any other angle gives the cosines' corners as before."""
    rng = random.Random(77)
    for _ in range(2000):
        cx, cy, w, h, a = (rng.uniform(0, 200), rng.uniform(0, 200), rng.uniform(0, 80), rng.uniform(0, 80),
                           rng.choice([rng.uniform(-720, 720), rng.randint(-720, 720) + 0.5, 90 + 1e-9]))
        r = math.radians(a)
        ux, uy, vx, vy = math.cos(r), math.sin(r), -math.sin(r), math.cos(r)
        want = [[cx + su * w / 2 * ux + sv * h / 2 * vx, cy + su * w / 2 * uy + sv * h / 2 * vy]
                for su, sv in ((-1, -1), (1, -1), (1, 1), (-1, 1))]
        assert geometry.rbox_to_quad(cx, cy, w, h, a) == want, a
