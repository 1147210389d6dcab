"""Tour 66 of --tta, its words and its labels (helper D)."""

from __future__ import annotations

import pytest

from rsvlm import tta


@pytest.mark.parametrize("caption", ["A ship left the dock.", "Two ships left the harbour, one arrived.",
                                     "One ship has left the port.", "Three planes left the apron",
                                     "A ship left a berth empty.", "The ship left.", "The ship has left the port."])
@pytest.mark.parametrize("view", ["h", "t", "tv", "thv"])
def test_left_as_a_departure_with_an_object_is_no_direction(caption, view):
    """'A ship left the dock.' came back 'A ship right the dock.' (or top/bottom) from every mirror view: a
    departure with an object was read as a side, so --tta voted among sides on a [change] caption; so were
    'The ship left.' and 'The ship has left.' (no count before the noun)."""
    assert tta.swap_words(caption, view) == caption
    assert tta.swap_words(caption, view, back=True) == caption


@pytest.mark.parametrize("said,view,image", [
    ("A ship left of the dock.", "h", "A ship right of the dock."),  # "of": a side
    ("One ship left side.", "h", "One ship right side."),  # no determiner: a side
    ("The ship left of the dock.", "h", "The ship right of the dock."),
    ("The two planes on the apron left.", "h", "The two planes on the apron right."),  # a place word before it
    ("The ship left, the car right.", "h", "The ship right, the car left."),
    ("Two ships left the image and one right.", "h", "Two ships right the image and one left."),
])
def test_left_before_a_phrase_that_is_no_object_still_turns(said, view, image):
    assert tta.swap_words(said, view) == image


@pytest.mark.parametrize("place", ["Bremen", "Yemen", "Xiamen", "Kinmen", "Damen"])
def test_a_place_in_men_is_no_plural_of_a_man(place):
    """The -men rule keyed 'Bremen' as 'breman', 'Yemen' as 'yeman' and 'Damen' (a shipyard) as 'daman', the key of
    the city Daman: a name in -men is no plural, so it is its own class."""
    from rsvlm.answer_words import label_key

    assert label_key(place) == place.lower()
    assert label_key(place) != label_key(place[:-3] + "man")


@pytest.mark.parametrize("plural,singular", [("fishermen", "fisherman"), ("Women", "woman"), ("seamen", "seaman"),
                                             ("linemen", "lineman"), ("men", "man"), ("storage men", "storage man")])
def test_the_plural_of_a_man_still_reads_as_it(plural, singular):
    from rsvlm.answer_words import label_key

    assert label_key(plural) == label_key(singular)


def test_a_transposes_side_comes_back_with_the_plain_answers_hand():
    """A transposed view's 'Top side.' came back 'Left side.' where the plain answer said 'Left-hand side.': one
    answer in two spellings, so the four transposed views outvoted the plain answer and the two mirrors agreeing
    with it (4 to 3), and --tta answered in a spelling no view had used for the plain image."""
    from conftest import fused_text

    q = "[vqa] On which side of the runway is the terminal?"
    # views h, v, hv, t, th, tv, thv: h errs; the transposed views say the left of the image as top/bottom
    views = ["Left-hand side.", "Left-hand side.", "Right-hand side.", "Top side.", "Top side.", "Bottom side.",
             "Bottom side."]
    assert fused_text(q, "Left-hand side.", views) == "Left-hand side."


@pytest.mark.parametrize("said,view,plain,image", [
    ("The top ship.", "t", "The Left-Hand ship.", "The left-Hand ship."),
    ("Top side.", "tv", "right hand side", "Right hand side."),
    ("Top.", "t", "Left-hand side.", "Left."),  # no word it qualifies: no "-hand"
    ("Top of the image.", "t", "left-hand", "Left of the image."),
    ("The top left corner.", "t", "left-hand", "The top left corner."),
    ("Top side.", "t", "Left side.", "Left side."),  # the plain answer says no "-hand"
])
def test_hand_is_said_back_only_where_it_qualifies_a_word(said, view, plain, image):
    from rsvlm.tta_words import hand_spelling

    assert tta.swap_words(said, view, back=True, hand=hand_spelling(plain)) == image


def test_a_fused_answer_names_each_class_once():
    """Fused shapes were written in the order fused: a plane, a car, a plane said '<ref>plane</ref>…<ref>car</ref>…
    <ref>plane</ref>…' (as --tta dihedral answered on the airport sample), one class under two <ref>s, unlike any
    answer the model or the instruction builders write."""
    from rsvlm import geometry
    from rsvlm.fusion import fuse

    def box(label, x):
        return {"kind": "box", "label": label, "coords": [x, 10, x + 8, 18]}

    full, less = [box("plane", 10), box("car", 30), box("plane", 50)], [box("plane", 10), box("car", 30)]
    out = fuse([full, less, full, less], 96, 96, many=True)
    assert [o["label"] for o in out] == ["plane", "plane", "car"]
    assert geometry.encode(out, 96, 96).count("<ref>plane</ref>") == 1


@pytest.mark.parametrize("view,image", [("t", "the top-left corner"), ("th", "the top-right corner"),
                                        ("tv", "the bottom-left corner"), ("thv", "the bottom-right corner")])
def test_an_upper_corner_is_asked_of_the_transposed_views(view, image):
    """'the upper-left corner' has no one-word transpose word by word ('upper'), so --tta dihedral skipped all four
    transposed views of '[ground] the building in the upper-left corner'; as a corner it is the top-left one."""
    assert tta.swap_words("the upper-left corner", view) == image


def test_an_upper_corner_question_asks_every_dihedral_view():
    from conftest import blank_image

    msgs = [[{"role": "user", "content": "<image>\n[vqa] What is in the Upper Right corner?"}]]
    asked = []

    def generate(m, i):
        asked.append(m[0][-1]["content"])
        return [("Ship.", [])]

    tta.fused_answers(generate, msgs, [blank_image()], [("Ship.", [])], tta.FuseConfig(views="dihedral"))
    assert len(asked) == 7 and any("Bottom Left corner" in q for q in asked)  # t: the top right is bottom left


@pytest.mark.parametrize("text", ["The pipeline right-of-way.", "The railway's right of way."])
def test_a_right_of_way_is_no_side(text):
    """'right-of-way' (a pipeline's corridor) came back 'left-of-way' / 'bottom-of-way' from the mirror views."""
    assert all(tta.swap_words(text, view) == text for view in ("h", "t", "thv"))


@pytest.mark.parametrize("text", ["Solar panels on top of the building.", "cars on top of the parking garage"])
def test_on_top_of_a_thing_is_no_side(text):
    """'[ground] the solar panels on top of the building' was asked of the v view as '… on bottom of the building'
    (and 'on left of' of a transpose): above a thing, no side of the image."""
    assert all(tta.swap_words(text, view) == text for view in ("v", "t", "tv", "thv"))
    assert tta.swap_words(text, "tv", back=True) == text


@pytest.mark.parametrize("said,view,image", [("The ship on top of the image.", "v", "The ship on bottom of the image."),
                                             ("The ship on top.", "t", "The ship on left.")])
def test_on_top_of_the_image_still_turns(said, view, image):
    assert tta.swap_words(said, view) == image


@pytest.mark.parametrize("said,image", [("A right angle on the left side.", "A right angle on the top side."),
                                        ("Right angles.", "Right angles."),
                                        ("One ship left its berth.", "One ship left its berth.")])
def test_hand_is_not_said_after_a_right_angle_or_a_departure(said, image):
    """hand_spelling's '-hand' was put after every left or right before a word but a few: 'a right angle' came back
    'a right-hand angle' and the departure 'One ship left its berth.' 'left-hand its berth' where the plain answer
    said 'left-hand'."""
    assert tta.swap_words(said, "t", back=True, hand="-hand") == image


@pytest.mark.parametrize("plural,singular", [("policewomen", "policewoman"), ("servicewomen", "servicewoman"),
                                             ("coastguardsmen", "coastguardsman"), ("repairmen", "repairman")])
def test_a_compound_of_a_man_still_reads_as_it(plural, singular):
    """e00666d3 read only MEN's words as -man plurals: 'policewomen' and 'coastguardsmen', read so before it, became
    classes of their own beside 'policewoman'."""
    from rsvlm.answer_words import label_key

    assert label_key(plural) == label_key(singular)


def test_a_class_fused_in_two_spellings_is_written_under_one_ref():
    """Clusters of one class voted 'ships' and 'ship' were put together but written '<ref>ships</ref>…<ref>ship
    </ref>…', one class under two <ref>s still."""
    from rsvlm import geometry
    from rsvlm.fusion import fuse

    def box(label, x):
        return {"kind": "box", "label": label, "coords": [x, 10, x + 8, 18]}

    plain, other = [box("ship", 10), box("plane", 30), box("ship", 50)], [box("ships", 10), box("plane", 30),
                                                                          box("ship", 50)]
    out = fuse([plain, other, other], 96, 96, many=True)
    assert [o["label"] for o in out] == ["ships", "ships", "plane"]
    assert geometry.encode(out, 96, 96).count("<ref>") == 2


def test_a_plain_answers_shapes_voted_out_say_why():
    """--tta replaced a plain answer's shapes with 'None.' where no pixel had enough views, and said nothing of it
    (Fused.note, which eval counts as views left out, stays empty: none was)."""
    from conftest import blank_image

    msgs = [[{"role": "user", "content": "<image>\n[seg] the ships"}]]
    plain = "<ref>ship</ref><poly><loc_300><loc_300><loc_700><loc_300><loc_700><loc_700><loc_300><loc_700></poly>"
    (fused,) = tta.fused_answers(lambda m, i: [("None.", [])], msgs, [blank_image()], [(plain, [])],
                                 tta.FuseConfig(views="dihedral"))
    assert fused.answer == tta.NONE and fused.note is None
    assert fused.voted_out == ("test-time augmentation: \"None.\" in place of the plain answer's 1 shape, voted "
                               "out: no pixel was drawn as one class by 4 of the 8 views (min_share 0.5), or only "
                               "slivers under 0.1 of a view's instance")
    kept = tta.fused_answers(lambda m, i: [(plain, [])], msgs, [blank_image()], [(plain, [])])[0]  # symmetric: kept
    assert kept.objects and kept.voted_out is None


def test_an_upper_corner_answer_is_one_vote_with_the_transposed_views_top_corner():
    """68719e1b asked the transposed views 'top left or bottom right?' for 'upper left or lower right?', and their
    'Top left.' came back so: the plain 'Upper left.' and the two mirrors agreeing (3) lost to the four transposed
    views' 'Top left.' (one mirror erring), a spelling the plain answer did not use; a transposed view's 'Upper
    right.' was left out as having no one-word image back."""
    from conftest import blank_image

    msgs = [[{"role": "user", "content": "<image>\n[vqa] Which corner is the ship in, upper left or lower right?"}]]
    said = iter(["Lower left.", "Lower left.", "Lower right.", "Top left.", "Top right.", "Bottom left.",
                 "Bottom right."])  # h, v, hv, t, th, tv, thv: h errs
    (fused,) = tta.fused_answers(lambda m, i: [(next(said), [])], msgs, [blank_image()], [("Upper left.", [])],
                                 tta.FuseConfig(views="dihedral"))
    assert fused.answer == "Upper left." and fused.note is None
    assert tta.swap_words("Upper right.", "t", back=True, upper=True) == "Lower left."
    assert tta.swap_words("Top side.", "t", back=True, upper=True) == "Left side."  # no corner: as it was
    assert tta.labels_back([{"label": "upper left ship"}], "t") == [{"label": None}]  # no "top left ship" vote


@pytest.mark.parametrize("said,image", [("The building further left.", "The building further right."),
                                        ("The ship farthest left.", "The ship farthest right."),
                                        ("The car slightly left.", "The car slightly right."),
                                        ("The tank a bit left.", "The tank a bit right."),
                                        ("The car parked left.", "The car parked right."),
                                        ("The ship located left.", "The ship located right.")])
def test_left_after_a_degree_word_is_a_side(said, image):
    """4ea801c5 read 'the' as a count, so 'The building further left.' and 'The car parked left.' (sides, before it:
    no count) were read as departures and kept as 'left' in every mirror view."""
    assert tta.swap_words(said, "h") == image
    assert tta.swap_words(image, "h", back=True) == said
