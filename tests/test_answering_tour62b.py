"""answering, second round of tour 62: class questions match whole words and take a question of
parts; a joined answer counts the classes that answered in words only."""

from rsvlm.answering import class_questions, join_shapes, worded_note
from rsvlm.data.conversation import PromptConfig

PROMPT = PromptConfig(det_classes=["ship", "harbor", "storage tank"])


def _asked(content):
    got = class_questions([{"role": "user", "content": content}], PROMPT)
    return None if got is None else [m[-1]["content"] for m in got]


def test_a_word_holding_a_class_name_is_no_class():
    # "shipyard" named the class "ship" (a substring match): asked once, not per class
    got = _asked("[det] Find every shipyard. Use oriented boxes.")
    assert got == ["[det] Detect all ships. Use oriented boxes.", "[det] Detect all harbors. Use oriented boxes.",
                   "[det] Detect all storage tanks. Use oriented boxes."]


def test_a_class_named_whole_or_plural_is_asked_as_it_is():
    for q in ("[det] Find every ship.", "[det] Find the Ships.", "[det] Where are the storage tanks?",
              "[det] harbor"):
        assert _asked(q) is None, q


def test_a_question_of_parts_is_asked_per_class():
    content = [{"type": "image"}, {"type": "text", "text": "[det] Find all objects. Use oriented boxes."}]
    got = _asked(content)
    assert got is not None and len(got) == 3
    assert got[1] == [{"type": "image"}, {"type": "text", "text": "[det] Detect all harbors. Use oriented boxes."}]
    assert content[1]["text"] == "[det] Find all objects. Use oriented boxes."  # the question itself untouched
    assert _asked([{"type": "image"}, {"type": "text", "text": "[det] Find the ships."}]) is None


def test_a_class_answering_in_words_is_counted():
    joined = join_shapes([("<box>[10,10,50,50]</box>", [0.9]), ("There are two harbors by the coast.", []),
                          ("None.", [])], ["ship", "harbor", "storage tank"])
    assert joined.text == "<ref>ship</ref><box>[10,10,50,50]</box>" and joined.scores == [0.9]
    assert joined.worded == ("harbor",)
    assert "1 class answer said" in worded_note(joined) and "'harbor'" in worded_note(joined)


def test_none_answers_are_not_counted_as_words():
    joined = join_shapes([("None.", []), ("none", [])], ["ship", "harbor"])
    assert joined.text == "None." and joined.worded == () and worded_note(joined) is None
    assert join_shapes([("Two ships.", []), ("None.", [])]).worded == ("answer 1",)


def test_a_class_named_with_a_hyphen_is_asked_as_it_is():
    # "storage-tanks" named no class: the question was asked once per class
    assert _asked("[det] Find the storage-tanks.") is None
    assert _asked("[det] Find every storage_tank and  storage tank.") is None
    assert _asked("[det] Find the tanks.") is not None  # another word for a class: per class (a known limit)
