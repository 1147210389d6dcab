"""Tour 67 of --tta, its words and its labels (helper D)."""

from __future__ import annotations

import pytest

from rsvlm import tta

DIHEDRAL_VIEWS = ("h", "v", "hv", "t", "th", "tv", "thv")
MIRRORS = ("h", "v", "t", "thv")  # an odd number of steps: a turn's sense is the other way in them


def _fused(question: str, plain: str, views: list[str], mode: str = "dihedral"):
    from conftest import blank_image

    said = iter(views)
    msgs = [[{"role": "user", "content": f"<image>\n{question}"}]]
    (fused,) = tta.fused_answers(lambda m, i: [(next(said), [])], msgs, [blank_image()], [(plain, [])],
                                 tta.FuseConfig(views=mode))
    return fused


def _asked_alike_in_every_view(texts):
    """Parametrize a test by each text and each dihedral view; the test asserts the view asks the text unchanged."""
    def wrap(test):
        return pytest.mark.parametrize("view", DIHEDRAL_VIEWS)(pytest.mark.parametrize("text", texts)(test))
    return wrap


def _assert_asked_alike(text: str, view: str):
    assert tta.swap_words(text, view) == text


@pytest.mark.parametrize("view", DIHEDRAL_VIEWS)
def test_a_turns_sense_is_asked_as_a_sense(view):
    """'Does the road turn left or right?' was asked of each view as a side: a half turn asked it 'turn right or
    left?' and a transpose 'turn bottom or top?', though a rotation keeps a turn's sense and a mirror alone swaps it."""
    q = "Does the road turn left or right? Is it a left turn?"
    mirrored = "Does the road turn right or left? Is it a right turn?"
    assert tta.swap_words(q, view) == (mirrored if view in MIRRORS else q)
    assert tta.swap_words("The road turns to the Right.", view) == (
        "The road turns to the Left." if view in MIRRORS else "The road turns to the Right.")


def test_a_turns_sense_answered_by_every_view_is_one_vote():
    """The answer 'Left.' to a turn's question came back as a side: the mirrors' 'Right.' and the rotations' 'Left.'
    (each the true sense in its view) were said back as 'Left.', 'Right.', 'Bottom.', ..., so seven views agreeing
    could not outvote a plain answer that erred."""
    views = ["Right." if v in MIRRORS else "Left." for v in DIHEDRAL_VIEWS]
    fused = _fused("[vqa] Does the road turn left or right?", "Right.", views)
    assert fused.answer == "Left." and fused.note is None


def test_a_side_beside_a_turn_still_turns():
    assert tta.swap_words("Turn right at the ship on the left.", "h") == "Turn left at the ship on the right."
    assert tta.swap_words("Is the bend left of the bridge?", "h") == "Is the bend right of the bridge?"  # a side
    assert tta.swap_words("The left turn lane.", "hv") == "The left turn lane."
    assert tta.turn_question("Does the road turn left or right?")
    assert not tta.turn_question("Is the ship on the left or the right?")


@_asked_alike_in_every_view(["The car right next to the ship.", "A tank right beside the road.",
                             "The boat right behind the pier.", "A car right in front of the hangar.",
                             "The tree right in the middle.", "Is the ship right there?",
                             "The car parked right next to the ship.", "The car is right next to the ship."])
def test_right_meaning_just_is_no_side(text, view):
    """'the car right next to the ship' was asked of a left-right flip as 'the car left next to the ship', of a
    transpose as 'bottom next to': another question."""
    _assert_asked_alike(text, view)


@pytest.mark.parametrize("said,image", [("The ship on the right next to the dock.", "The ship on the left next to the dock."),
                                        ("Top right next to the dock.", "Top left next to the dock."),
                                        ("Turn right behind the pier.", "Turn left behind the pier."),
                                        ("Is it on the right there?", "Is it on the left there?")])
def test_right_as_a_side_before_next_to_still_turns(said, image):
    assert tta.swap_words(said, "h") == image


def test_fused_shapes_of_a_class_are_in_reading_order():
    """A fused detection listed each class's boxes by score, best first: the plain answer's very boxes, found by
    every view, came back in another order than the model (and the instruction builders) write them, top to
    bottom then left to right, so chat printed a 'fused' answer that differed from the streamed one in order alone."""
    from rsvlm.fusion import fuse

    def ships(top_score, low_score):
        return [{"kind": "box", "label": "ship", "coords": [10, 10, 20, 20], "score": top_score},
                {"kind": "box", "label": "ship", "coords": [5, 50, 15, 60], "score": low_score},
                {"kind": "box", "label": "plane", "coords": [30, 5, 38, 12], "score": 0.9},
                {"kind": "box", "label": "ship", "coords": [40, 10, 50, 20], "score": 0.8}]

    out = fuse([ships(0.3, 0.9), ships(0.3, 0.9), ships(0.3, 0.9)], 64, 64, tta.FuseConfig(), many=True)
    assert [(o["label"], o["coords"][:2]) for o in out] == [
        ("ship", [10, 10]), ("ship", [40, 10]), ("ship", [5, 50]), ("plane", [30, 5])]


@pytest.mark.parametrize("said,image", [("Top 3.", "Left-hand 3."), ("Bottom 12", "Right-hand 12"),
                                        ("The top 2 lanes.", "The left-hand 2 lanes.")])
def test_hand_is_said_back_before_a_number(said, image):
    """A transposed view's 'Top 3.' came back 'Left 3.' where the plain answer said 'Left-hand 3.' (a lane, a berth):
    '-hand' was said back before a word only, so the transposed views voted for a spelling the plain answer did not use."""
    assert tta.swap_words(said, "t", back=True, hand="-hand") == image


def test_a_transposes_numbered_side_is_one_vote_with_the_mirrors():
    """The four transposed views' 'Left 3.' outvoted the three mirrors' 'Left-hand 3.' (the plain answer erring)."""
    q = "[vqa] Which berth is the tanker at, left-hand 3 or right-hand 2?"
    # h, v, hv, t, th, tv, thv: each the true berth in its view, the transposed ones in a transpose's words
    views = ["Right-hand 3.", "Left-hand 3.", "Right-hand 3.", "Top 3.", "Top 3.", "Bottom 3.", "Bottom 3."]
    fused = _fused(q, "Right-hand 2.", views)
    assert fused.answer == "Left-hand 3." and fused.note is None


@_asked_alike_in_every_view(["How many buildings were left intact?", "What debris was left behind?",
                             "How much forest is left?", "Is there any water left in the lake?",
                             "Is there anything left after the fire?", "Are any cars left on the road?",
                             "How much of the forest is left?", "How many ships are still left?"])
def test_left_as_remaining_is_no_side(text, view):
    """'How much forest is left?' was asked of a left-right flip as 'How much forest is right?', of a transpose as
    '... is top?': another question, or none."""
    _assert_asked_alike(text, view)


@pytest.mark.parametrize("said,image", [("How many ships are left of the road?", "How many ships are right of the road?"),
                                        ("The ship on the left behind the pier.", "The ship on the right behind the pier."),
                                        ("Is there any ship on the left in the image?",
                                         "Is there any ship on the right in the image?"),
                                        ("Is the left intact?", "Is the right intact?")])
def test_left_as_a_side_beside_a_remaining_word_still_turns(said, image):
    assert tta.swap_words(said, "h") == image


@pytest.mark.parametrize("text", ["There aren't any ships.", "There is not any ship in the image.", "There aren't any.",
                                  "I don't see any ships.", "I could not find any ships.",
                                  "We cannot detect any ships in the image.", "No, there are no ships.",
                                  "No, there isn't any.", "The image contains no ships."])
def test_common_english_nones_are_read_as_none(text):
    """'There aren't any ships.' or 'No, there are no ships.' from a detection view was counted as answering in
    words ('neither shapes nor none'), and in a text vote was its own answer beside 'None.'."""
    from rsvlm.answer_words import says_none

    assert says_none(text)


@pytest.mark.parametrize("text", ["No.", "No, commercial.", "No, there are 3 ships.", "No idea",
                                  "There aren't any ships but there are planes.", "I don't see any ships, but 3 planes.",
                                  "The image contains no ships but two planes.", "I don't know."])
def test_words_beside_a_none_are_still_words(text):
    from rsvlm.answer_words import says_none

    assert not says_none(text)


def test_a_detection_view_answering_there_arent_any_is_no_left_out_view():
    from conftest import blank_image

    box = "<ref>ship</ref><box><loc_100><loc_100><loc_300><loc_300></box>"
    said = iter(["There aren't any ships.", box, box])  # h, v, hv
    msgs = [[{"role": "user", "content": "<image>\n[det] Detect all ships."}]]
    (fused,) = tta.fused_answers(lambda m, i: [(next(said), [])], msgs, [blank_image()], [(box, [])])
    assert fused.note is None and "<box>" in fused.answer


@pytest.mark.parametrize("text,crops", [("[det] Detect the buildings left intact.", True),
                                        ("[det] Detect the cars right next to the hangar.", True),
                                        ("[det] Detect the ships on the left.", False),
                                        ("[ground] the car right of the hangar", False),
                                        ("[det] the building on the right next to the road", False)])
def test_a_left_or_right_naming_no_side_leaves_a_question_croppable(text, crops):
    """'[det] Detect the buildings left intact.' was not asked of the corner crops (and said so), as if 'left' were a
    side a crop moves."""
    assert tta.croppable([{"role": "user", "content": f"<image>\n{text}"}]) is crops


def test_a_which_way_question_of_a_bend_is_a_turn_question():
    """'Which way does the river bend?': the mirrors' 'Right.' came back as a side, the half turn's 'Left.' as 'Right.',
    so seven views answering the bend's sense could not outvote a plain answer that erred."""
    views = ["Right." if v in MIRRORS else "Left." for v in DIHEDRAL_VIEWS]
    assert _fused("[vqa] Which way does the river bend?", "Right.", views).answer == "Left."
    assert not tta.turn_question("Which way is the ship facing?")
