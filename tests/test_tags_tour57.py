"""Tour 57: a task tag opens the user's turn (DESIGN.md, "Tasks and tags"); one further on is text.
``tokens.opening_task`` says which, and answering, the chat session, TTA, chat and predict decide a
turn's task by it; ``rsvlm eval`` writes a record's tag as the model learnt it, as chat and predict do."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import blank_image
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
        assert ChatSession(model, proc, max_new_tokens=30).ask(TAG_IN_TEXT, images=blank_image()) == "None."
        assert kinds(ChatSession(model, proc, max_new_tokens=30).ask("[ground] the ship", images=blank_image())) == ["box"]


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


def _records(root: Path) -> Path:
    """root/t.jsonl: a [ground] record whose tag is in capitals, one glued to its words, one with GeoChat's
    [refer] (no task tag), and a plain one; root/a.png their image."""
    import numpy as np
    from PIL import Image

    Image.fromarray(np.zeros((16, 16, 3), np.uint8)).save(root / "a.png")
    questions = {"caps": "<image>\n[GROUND] the ship", "glued": "<image>\n[ground]The ship",
                 "refer": "<image>\n[refer] the ship", "plain": "<image>\n[ground] the ship"}
    lines = [json.dumps({"id": rid, "task": "ground", "images": [{"path": "a.png", "modality": "optical"}],
                         "conversations": [{"from": "human", "value": q}, {"from": "gpt", "value": "None."}]})
             for rid, q in questions.items()]
    (root / "t.jsonl").write_text("\n".join(lines) + "\n")
    return root / "t.jsonl"


def test_eval_asks_a_records_tag_as_the_model_learnt_it_and_counts_unknown_tags(tmp_path, monkeypatch, capsys):
    """rsvlm eval asked "[GROUND] the ship" as written (the model reads it as characters, and no shape was
    owed), where chat and predict ask "[ground] the ship"."""
    from test_eval_tour55 import stand_in

    from rsvlm import evaluate
    from rsvlm import inference as inf

    asked = {}

    def answerer(messages, images):
        for m in messages:
            asked[m[-1]["content"]] = answering.asks_task(m, "ground")
        return [inf.Answer("None.", []) for _ in messages]

    processor = stand_in(monkeypatch, answerer)
    out = evaluate.run(None, processor, _records(tmp_path), tmp_path / "p.jsonl", progress=False)
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["answer"] for r in rows] == ["None."] * 4  # each record answered, the [refer] one too
    assert asked == {"optical image: <image>\n[ground] the ship": True, "optical image: <image>\n[ground] The ship": True,
                     "optical image: <image>\n[refer] the ship": False}
    err = capsys.readouterr().err
    assert "1 of the 4 records of this run opens a question with a bracketed word that is no task tag " \
           "(first: refer: [refer]): asked as written" in err


def test_tagged_record_leaves_a_record_asked_as_learnt_as_it_is():
    from rsvlm.evaluate import tagged_record

    turns = [{"from": "human", "value": "[det] Detect ships.\n<image>"}, {"from": "gpt", "value": "[GROUND]x"},
             {"from": "human", "value": "<image>\n[vqa] what does [GROUND] mean?"}]
    record = {"id": "a", "conversations": turns}
    assert tagged_record(record) == (record, None)  # an answer's words and a tag further on are not touched
    multi = {"id": "b", "conversations": [*turns, {"from": "human", "value": "[Count]How many?"}]}
    assert tagged_record(multi)[0]["conversations"][-1]["value"] == "[count] How many?"


def test_class_questions_keep_the_images_after_the_words():
    """A model whose prompt puts the images after the words (prompt.image_last) was asked "[det] Detect all
    ships. optical image: <image>": the placeholder's line joined the question as one of its sentences."""
    from rsvlm.data.conversation import image_turn

    prompt = PromptConfig(det_classes=["ship"], image_last=True)
    turn = image_turn("[det] Detect every object. Use oriented boxes.", ["optical", "sar"], prompt)
    (asked,) = answering.class_questions(_turn(turn), prompt)
    assert asked[-1]["content"] == "[det] Detect all ships. Use oriented boxes.\noptical image: <image>\nSAR image: <image>"
