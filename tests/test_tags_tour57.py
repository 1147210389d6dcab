"""Tour 57: a task tag opens the user's turn (DESIGN.md, "Tasks and tags"); one further on is text.
``tokens.opening_task`` says which, and answering, the chat session, TTA, chat and predict decide a
turn's task by it; ``rsvlm eval`` writes a record's tag as the model learnt it, as chat and predict do."""

from __future__ import annotations

import json

import pytest
from test_grammar_wiring56 import NONE, kinds, scripted, tiny  # noqa: F401 (tiny: a fixture)

from rsvlm import answering, tta
from rsvlm.data.conversation import PromptConfig
from rsvlm.tokens import opening_task

TAG_IN_TEXT = "[vqa] what does [ground] mean?"


@pytest.mark.parametrize("text,task", [
    ("<image>\n[det] Detect ships", "det"),
    ("SAR image: <image> (SAR)\n[ground] the ship", "ground"),  # placeholders as a prompt writes them
    ("optical image: <image>\noptical image: <image>\n[change] What changed?", "change"),
    ("[count] How many ships?\ninfrared image: <image>", "count"),  # images after the words (image_last)
    (TAG_IN_TEXT, "vqa"), ("what does [ground] mean?", None), ("<image>\nIs [det] a tag?", None),
    ("[DET] ships", None), ("[detect] ships", None), ("[1] of the ships", None), ("", None)])
def test_opening_task_is_the_tag_that_opens_the_turn(text, task):
    assert opening_task(text) == task


def _turn(text: str) -> list[dict]:
    return [{"role": "user", "content": text}]


def test_asks_task_reads_only_the_opening_tag():
    # was: task_tag(task) in the question, so "[vqa] what does [ground] mean?" was a [ground] question
    assert answering.asks_task(_turn(TAG_IN_TEXT), "vqa") and not answering.asks_task(_turn(TAG_IN_TEXT), "ground")
    assert not answering.asks_detection(_turn("[vqa] is [det] a tag?"))
    assert answering.asks_detection(_turn("optical image: <image>\n[det] Detect every ship."))


def test_a_det_tag_further_on_is_not_asked_class_by_class():
    prompt = PromptConfig(det_classes=["ship", "plane"])
    assert answering.class_questions(_turn("[vqa] is [det] a tag?"), prompt) is None
    asked = answering.class_questions(_turn("<image>\n[det] Detect every object."), prompt)
    assert [m[-1]["content"] for m in asked] == ["<image>\n[det] Detect all ships.", "<image>\n[det] Detect all planes."]


def test_a_vqa_question_naming_a_tag_is_not_cropped():
    assert not tta.croppable(_turn(TAG_IN_TEXT))  # was: croppable as a [ground] question
    assert tta.croppable(_turn("<image>\n[ground] the white ship"))


def test_generate_owes_no_shape_to_a_question_that_names_the_ground_tag(tiny):  # noqa: F811
    model, proc = tiny
    with scripted(model, NONE):
        got = answering.answerer(model, proc, 30)([_turn(TAG_IN_TEXT), _turn("[ground] the ship")], [[], []])
    assert got[0].text == "None."  # was held to a box: a [ground] question's
    assert kinds(got[1].text) == ["box"]


def test_the_chat_session_owes_no_shape_to_a_question_that_names_the_ground_tag(tiny):  # noqa: F811
    from rsvlm.model.session import ChatSession

    model, proc = tiny
    with scripted(model, NONE):
        assert ChatSession(model, proc, max_new_tokens=30).ask(TAG_IN_TEXT) == "None."
        assert kinds(ChatSession(model, proc, max_new_tokens=30).ask("[ground] the ship")) == ["box"]


def test_predict_puts_the_task_tag_before_a_prompt_opening_with_no_tag(ckpt, geotiff, tmp_path, monkeypatch):
    """A --prompt opening with a bracketed number was asked untagged, warned as "opens with [1]"."""
    from rsvlm import inference as inf
    from rsvlm.cli import main

    asked = []

    def answerer(*a, **k):
        def generate(msgs, inputs):
            asked.append(msgs[0][-1]["content"])
            return [inf.Answer("3", []) for _ in msgs]

        return generate

    monkeypatch.setattr(inf, "answerer", answerer)
    out = tmp_path / "r.json"
    assert main(["predict", "--model", str(ckpt), "--image", str(geotiff), "--task", "count", "--device", "cpu",
                 "--prompt", "[1] of the ships: how many are moored?", "--out", str(out)]) == 0
    assert asked[0].endswith("\n[count] [1] of the ships: how many are moored?")
    assert not [n for n in json.loads(out.read_text())["notes"] if "opens with" in n]
