"""An unclosed task tag ("[det Detect ships", "[det") was asked as free chat: the model answered "0"."""

from argparse import Namespace

import pytest

from rsvlm.tokens import tagged, unclosed_tag


@pytest.mark.parametrize("question, said", [
    ("[det Detect ships", "the tag [det is not closed: write [det] Detect ships"),
    ("[det", "the tag [det is not closed: write [det]"),
    ("  [DET  Detect ships]", "the tag [DET is not closed: write [det] Detect ships"),
    ("[count: how many ships?", "the tag [count is not closed: write [count] how many ships?"),
    # a "]" that ends the question or closes a later tag closes no phrase (RI: "[change detection] …" is free chat)
    ("[count the ships]", "the tag [count is not closed: write [count] the ships"),
    ("[seg the harbour, then [count] ships", "the tag [seg is not closed: write [seg] the harbour, then [count] ships"),
    ("[det Detect ships]  ", "the tag [det is not closed: write [det] Detect ships"),
])
def test_an_unclosed_task_tag_is_refused_with_the_tag_closed(question, said):
    with pytest.raises(ValueError) as e:
        tagged(question)
    assert str(e.value) == said


@pytest.mark.parametrize("question, asked", [
    ("[det] Detect ships", "[det] Detect ships"),
    ("[ det ] Detect ships", "[det] Detect ships"),
    ("[note to self: ask later", "[note to self: ask later"),  # no task's name: free chat, as before
    ("[detection of ships", "[detection of ships"),
    ("what does [det mean?", "what does [det mean?"),  # not at the start: no tag
])
def test_a_closed_tag_or_a_bracket_before_no_task_name_is_asked_as_before(question, asked):
    assert tagged(question) == asked
    assert unclosed_tag(question) is None


def test_predict_names_prompt_for_an_unclosed_tag():
    from rsvlm.predict_question import settle_task

    args = Namespace(prompt="[det Detect ships", task=None, region=None)
    assert settle_task(args) == "--prompt: the tag [det is not closed: write [det] Detect ships"
