"""Tour 57: test-time augmentation's rough edges. A corner crop owes no shape to a ``[ground]``
question (the object may be outside it), and is not asked a ``[det]`` question naming a part of the
image; predict says which view answers ran past the LLM's context; chat counts the views it asks; a
view keeps compound direction words English and turns heading words."""

from __future__ import annotations

import numpy as np
import pytest
from test_grammar_wiring56 import NONE, scripted, tiny  # noqa: F401 (tiny: a fixture)
from test_tta_tour55b import image

from rsvlm import answering, tta
from rsvlm import inference as inf
from rsvlm.model.processor import ImageInput

BOX = "<box><loc_400><loc_400><loc_599><loc_599></box>"  # centred: inside every crop


class Answers:
    """An answerer standing in for the model: ``text`` to every prompt; the answers of the calls
    numbered in ``past_on`` (0: the plain prompts, 1: the first other view, ...) ran past the context."""

    def __init__(self, text: str, past_on=()):
        self.text, self.past_on, self.calls = text, past_on, 0

    def __call__(self, messages, images):
        past = self.calls in self.past_on
        self.calls += 1
        return [inf.Answer(self.text, [0.9] if "<box>" in self.text else [], past_context=past) for _ in messages]


def _ground() -> list[dict]:
    return [{"role": "user", "content": "optical image: <image>\n[ground] the white ship"}]


def test_a_crop_owes_no_shape_to_a_ground_question():
    crop = tta.crop_messages(_ground(), (0, 0, 88, 88))
    assert answering.owes_shape(_ground()) and not answering.owes_shape(crop)
    assert crop[-1]["content"] == _ground()[-1]["content"] and "window" not in _ground()[-1]  # a copy, marked


def test_the_crops_of_a_ground_question_may_answer_without_a_box(tiny):  # noqa: F811
    """Each crop was held to a box, as the whole image's [ground] answer is: where the ship is outside the
    crop, a spurious vote (here: "None." and a box, text besides shapes, left out of the fusion with a note)."""
    model, proc = tiny
    answered = []

    def ask(messages, images):
        out = answering.answerer(model, proc, 30)(messages, images)
        answered.extend(a.text for a in out)
        return out

    inputs = [ImageInput(np.zeros((3, 32, 32), np.float32))]
    with scripted(model, NONE):
        (fused,) = tta.fused_answers(ask, [_ground()], [inputs], [inf.Answer(BOX, [0.9])], tta.FuseConfig(views="crops"))
    assert answered == ["None."] * 4  # no crop held to a box
    assert fused is not None and fused.note is None and fused.answer == BOX and fused.answers == 5


def test_predict_says_which_view_answers_ran_past_the_context(monkeypatch):
    """--tta: "1 of the 1 answer(s) ran past the LLM's context" where only a view's answer had."""
    import types

    from rsvlm import predict
    from rsvlm.data.conversation import PromptConfig

    processor = types.SimpleNamespace(prompt=PromptConfig())
    said = {}
    for past in (None, 0, 2):  # none, the plain answer (call 0), view 'v' (call 2 of "", h, v, hv)
        monkeypatch.setattr(inf, "answerer", lambda *a, past=past, **k: Answers(BOX, {past}))
        said[past] = []
        answer = predict.ask(None, processor, [image()], "[det] Detect every ship.", 64, tta=tta.FuseConfig(),
                             notes=said[past])
        assert answer.past_context is (past is not None)
    assert said[None] == []
    assert said[0] == ["warning: 1 of the 1 answer ran past the LLM's context of ? tokens (prompt and answer; "
                       "max_position_embeddings): its end is unreliable; a lower --max-new-tokens stops it "
                       "short of it"]
    assert len(said[2]) == 1 and said[2][0].startswith(
        "warning: 1 of the 3 view answers fused into it ('v'; not the answer itself) ran past the LLM's context")


def _past_on_views(monkeypatch):
    """``inference.answerer``: a box to every prompt, the answers of the second call on (the views) past
    the LLM's context."""
    monkeypatch.setattr(inf, "answerer", lambda *a, **k: Answers(BOX, range(1, 99)))


def test_predict_cli_says_only_view_answers_ran_past_the_context(ckpt, geotiff, tmp_path, monkeypatch, capsys):
    import json

    from rsvlm.cli import main

    _past_on_views(monkeypatch)
    run = ["predict", "--model", str(ckpt), "--image", str(geotiff), "--task", "det", "--device", "cpu", "--tta", "flip"]
    out = tmp_path / "r.json"
    assert main([*run, "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "1 of the 1 answer ran past" not in err and err.count("ran past the LLM's context") == 1  # the views' alone
    assert "warning: 3 of the 3 view answers fused into it ('h', 'v', 'hv'; not the answer itself) ran past" in err
    assert json.loads(out.read_text())["past_context"] is True  # the fused answer holds theirs

    _past_on_views(monkeypatch)
    assert main([*run, "--out", str(out), "--tile", "32", "--overlap", "0", "--batch-size", "8"]) == 0
    tiles = json.loads(out.read_text())["tiles"]
    assert [t["past_views"] for t in tiles] == [["h", "v", "hv"]] * 6
    assert "6 of the 6 answers ran past the LLM's context" in (err := capsys.readouterr().err)
    assert "(6 of them only in view answers fused into them, named in \"past_views\")" in err


class _Terminal:
    """A chat's output on a terminal (``isatty``): what is written, kept."""

    def __init__(self):
        self.text = ""

    def write(self, s: str) -> None:
        self.text += s

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return True


def _fused_in_chat(monkeypatch, question: str, answer: str) -> str:
    """What chat writes on a terminal while fusing ``answer`` to ``question`` over dihedral+crops."""
    import types

    from rsvlm.chat import ChatREPL

    repl = ChatREPL.__new__(ChatREPL)  # no session needed: fused asks through the stand-in answerer
    repl.out, repl.tta, repl.images = _Terminal(), tta.FuseConfig(views="dihedral+crops"), [image(64, 64)]
    turns = [{"role": "user", "content": f"optical image: <image>\n{question}"}, {"role": "assistant", "content": answer}]
    repl.session = types.SimpleNamespace(messages=turns, gen={"max_new_tokens": 8}, model=None, min_objects=0)
    monkeypatch.setattr(ChatREPL, "answerer", lambda self: Answers(answer))
    repl.fused(answer, [0.9] if "<box>" in answer else [])
    return repl.out.text


def test_chat_counts_only_the_views_it_asks(monkeypatch):
    # was "asking view k of 11" for dihedral+crops, though the 4 crops are asked of none of these
    for question, answer in (("[cls] What scene is this?", "harbour"), ("[ground] the ship in the NW", BOX)):
        said = _fused_in_chat(monkeypatch, question, answer)
        assert "(asking view 7 of 7…)" in said and "of 11" not in said and "8 of" not in said
    said = _fused_in_chat(monkeypatch, "[ground] the white ship", BOX)  # crops asked too
    assert "(asking view 11 of 11…)" in said
    told, asked = [], []
    tta.fused_answers(lambda msgs, ims: asked.append(1) or [(BOX, [0.9])] * len(msgs),
                      [[{"role": "user", "content": "[ground] the tank above the road"}]], [[inf.model_input(image())]],
                      [(BOX, [0.9])], tta.FuseConfig(views="dihedral"), on_views=told.append)
    assert told == [("h", "v", "hv")] and len(asked) == 3  # "above": no transposed view; told once, before asking


@pytest.mark.parametrize("text,view,said", [
    ("the right-hand ship", "t", "the bottom ship"),  # was "the bottom-hand ship"
    ("the Left-hand ship", "t", "the Top ship"),
    ("on the left hand side", "t", "on the top side"),
    ("the right-hand ship", "tv", "the top ship"),
    ("the right-hand ship", "h", "the left-hand ship"),  # a mirror keeps the compound
    ("a right-angled building on the left", "h", "a right-angled building on the right"),  # was "left-angled"
    ("two right angles", "thv", "two right angles"),
    ("a Right-Angled corner", "t", "a Right-Angled corner"),
    ("a top-down view of the top ship", "v", "a top-down view of the bottom ship"),  # was "bottom-down"
    ("a top-down view", "t", "a top-down view")])
def test_compound_direction_words_stay_english(text, view, said):
    from rsvlm.tta_words import swap_words

    assert swap_words(text, view) == said
    assert swap_words("the bottom ship", "t", back=True) == "the right ship"


def test_a_question_in_a_transposed_view_keeps_its_compounds_english():
    _, msgs = tta.flip_view([ImageInput(np.zeros((3, 8, 8), np.float32))],
                            [{"role": "user", "content": "[ground] the right-hand right-angled pier"}], "t")
    assert msgs[0]["content"] == "[ground] the bottom right-angled pier"


@pytest.mark.parametrize("text,view,said", [
    ("the ship heading westward", "h", "the ship heading eastward"),  # was asked "westward" of the mirror image
    ("the ship heading westward", "t", "the ship heading northward"),
    ("the road runs leftwards", "t", "the road runs upwards"),
    ("a Northerly wind", "v", "a Southerly wind"),
    ("the eastward lane", "thv", "the northward lane")])
def test_heading_words_turn_with_the_view(text, view, said):
    from rsvlm.tta_words import swap_words

    assert swap_words(text, view) == said and swap_words(said, view, back=True) == text


def test_a_detection_question_naming_a_part_of_the_image_is_not_cropped():
    """Every [det] question was cropped: "the ships in the top half" of a crop are other ships."""
    def croppable(q: str) -> bool:
        return tta.croppable([{"role": "user", "content": f"optical image: <image>\n{q}"}])

    for q in ("[det] Detect every ship in the top half.", "[det] Find the planes on the left.",
              "[det] Detect all vehicles in the NW quadrant.", "[det] Detect every ship near the image border."):
        assert not croppable(q), q
    assert croppable("[det] Detect every ship. Use oriented boxes.") and croppable("[det] Find all planes.")
