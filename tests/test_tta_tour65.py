"""Tour 65 of --tta, its vote and its labels (helper D)."""

from __future__ import annotations

import pytest
from conftest import blank_image, fused_text

from rsvlm import tta
from rsvlm.answer_words import label_key
from rsvlm.fusion import vote
from rsvlm.tta_words import counter_spelling


@pytest.mark.parametrize("singular", ["specimen", "abdomen", "stamen", "omen", "regimen", "bitumen"])
def test_a_singular_in_men_is_no_plural_of_a_man(singular):
    """The -men rule read 'specimen' as 'speciman' and 'omen' as 'oman' (one class with a label 'Oman');
    a singular in -men is its own class, its -s plural the same."""
    assert label_key(singular) == singular
    assert label_key(singular.capitalize() + "s") == singular
    assert label_key(singular) != label_key(singular[:-3] + "man")


def test_men_plurals_still_read_as_their_man():
    assert label_key("fishermen") == label_key("Fisherman") == "fisherman"
    assert label_key("women") == "woman" and label_key("men") == "man"


@pytest.mark.parametrize("spelling", ["Anticlockwise.", "Anti-clockwise.", "Counter clockwise."])
def test_a_mirrors_clockwise_comes_back_in_the_plain_answers_spelling(spelling):
    """A mirror view's "Clockwise." came back "Counterclockwise." whatever the plain answer said: the plain
    "Anticlockwise." (eval's reference spelling) was outvoted by the same answer spelt another way."""
    q = "[vqa] Is the runway rotated clockwise or anticlockwise from north?"
    # h and v (mirrors) agree with the plain answer; the half turn hv says the other sense
    assert fused_text(q, spelling, ["Clockwise.", "Clockwise.", "Clockwise."]) == spelling
    assert tta.swap_words("Clockwise.", "h", back=True, counter=counter_spelling(spelling)).lower() == spelling.lower()


def test_the_question_spells_the_counter_sense_where_the_plain_answer_does_not():
    assert counter_spelling("Clockwise.", "rotated anti-clockwise?") == "anti-clockwise"
    assert counter_spelling("Yes.", None) == "counterclockwise"
    said = "Clockwise, not anticlockwise."
    assert tta.swap_words(said, "t", back=True, counter=counter_spelling(said)) == "Anticlockwise, not clockwise."


def test_a_polygon_every_view_agrees_on_comes_back_as_answered():
    """Eight views all drawing the plain answer's 4-corner field (a slanted top edge) fused into an 8-corner
    outline with the pixel staircase of that edge: the voted pixels were the plain polygon's, its corners lost."""
    from rsvlm import geometry

    w, h = 120, 80
    plain = geometry.encode([{"kind": "poly", "label": "field", "coords": [[10, 10], [50, 12], [45, 60], [12, 55]]}], w, h)
    said = iter(tta.map_text(plain, v, w, h) for v in tta.DIHEDRAL[1:])
    msgs = [[{"role": "user", "content": "<image>\n[det] Outline every field."}]]
    (fused,) = tta.fused_answers(lambda m, i: [(next(said), [])], msgs, [blank_image(w, h)], [(plain, [])],
                                 tta.FuseConfig(views="dihedral"))
    assert fused.answer == plain
    assert len(fused.objects) == 1 and len(fused.objects[0]["coords"]) == 4


@pytest.mark.parametrize("said,image", [("Bottom  right.", "Bottom  right."), ("top - left", "top - left"),
                                        ("Right  top.", "Bottom  left."), ("south -westerly", "north -easterly")])
def test_a_transposed_corner_with_odd_spacing_keeps_its_order(said, image):
    """A transposed view's "Bottom  right." (two spaces) came back "Right  bottom.": the corner's words were
    swapped but not put back in order, so the vote read it apart from the plain "Bottom right."."""
    assert tta.swap_words(said, "t", back=True) == image
    assert vote(["Bottom right.", tta.swap_words("Bottom  right.", "t", back=True), "Top left."]) == "Bottom right."


def test_a_self_crossing_polygon_every_view_agrees_on_is_traced_not_kept():
    """Where every view drew a polygon's pixels alike the plain polygon is kept; a self-crossing one (a bowtie,
    its views' too) is no valid polygon to keep: its pixels are traced into one that is."""
    from shapely.geometry import Polygon

    from rsvlm import fusion

    bowtie = [{"kind": "poly", "label": "field", "coords": [[10, 10], [50, 60], [50, 10], [10, 60]]}]
    (o,) = fusion.fuse([bowtie] * 4, 96, 96, tta.FuseConfig())
    assert Polygon(o["coords"]).is_valid and Polygon(o["coords"]).area > 500


@pytest.mark.parametrize("caption", ["One ship left.", "Two ships left, one arrived.", "One large vehicle left.",
                                     "Three storage tanks left and one ship appeared.", "12 cars left."])
@pytest.mark.parametrize("view", ["h", "t", "th", "tv", "thv", "hv"])
def test_left_as_a_departure_is_no_direction(caption, view):
    """Change captions say a departure as "One ship left." (the shipped model answers so): every mirror view's
    answer came back "One ship right." or "One ship top.", and --tta voted among them."""
    assert tta.swap_words(caption, view) == caption
    assert tta.swap_words(caption, view, back=True) == caption


@pytest.mark.parametrize("said,view,image", [
    ("The ship on the left.", "h", "The ship on the right."),
    ("The car is left of the road.", "h", "The car is right of the road."),
    ("One ship in the top left.", "h", "One ship in the top right."),
    ("Two ships at top left.", "t", "Two ships at top left."),  # a corner: "left top" back in order
    ("One ship on left.", "h", "One ship on right."),
    ("Two ships left, one right.", "h", "Two ships right, one left."),  # sides, not a departure
    ("One ship left of the tank.", "h", "One ship right of the tank."),
    ("Two ships left side.", "h", "Two ships right side."),
    ("Two left.", "h", "Two right."),  # no noun: a side
    ("Left.", "t", "Top."),
    ("Ships left and right of the road.", "h", "Ships right and left of the road."),
])
def test_left_as_a_direction_still_turns(said, view, image):
    assert tta.swap_words(said, view) == image


def test_a_change_caption_votes_as_answered():
    """--tta on a [change] caption: the plain 'One ship left.' and its views' 'One ship left.' are one answer."""
    q = "[change] What changed between the two images?"
    msgs = [[{"role": "user", "content": f"<image>\n<image>\n{q}"}]]
    said = iter(["One ship left."] * 7)  # every view says it; the plain answer said something else
    (fused,) = tta.fused_answers(lambda m, i: [(next(said), [])], msgs, [blank_image() * 2], [("Nothing changed.", [])],
                                 tta.FuseConfig(views="dihedral"))
    assert fused.answer == "One ship left."  # was "One ship right."/"top."/"bottom.", 2 views each
