"""The front door, tour 65: predict's --tta progress off a terminal, the token-limit note, shapes in questions."""

from __future__ import annotations

import io
import sys
import types

import numpy as np
import pytest

from rsvlm import inference as inf
from rsvlm import tta
from rsvlm.data.conversation import PromptConfig

BOX = "<ref>ship</ref><box><loc_400><loc_400><loc_599><loc_599></box>"  # centred: inside every crop


def _image():
    from rsvlm.io import RSImage

    return RSImage(np.zeros((3, 96, 96), np.float32), "optical", ["R", "G", "B"], path="x.png")


def _same_box(messages, images):
    """An answerer standing in for the model: one ship box to every question, none cut."""
    return [inf.Answer(BOX, [0.8]) for _ in messages]


def test_predict_tta_counts_its_views_in_plain_lines_off_a_terminal(monkeypatch):
    """``predict --tta flip 2> log`` asked its views without a word (tqdm's disable=None drew nothing off a
    terminal): minutes each for a large model, and the log said nothing of them."""
    from rsvlm.predict import ask

    log = io.StringIO()  # no terminal: a file, a pipe, a CI log
    monkeypatch.setattr(sys, "stderr", log)
    monkeypatch.setattr(inf, "answerer", lambda *a, **k: _same_box)
    ask(None, types.SimpleNamespace(prompt=PromptConfig()), [_image()], "[det] Detect every ship.", 64,
        tta=tta.FuseConfig(views="flip"))
    lines = log.getvalue().splitlines()
    assert [ln for ln in lines if ln.startswith("--tta views: 100% 3/3 [")], lines  # the final count, as a line
    assert "\r" not in log.getvalue() and "\x1b" not in log.getvalue()  # no redraws a log would pile up


def test_predict_tta_writes_no_bar_where_no_view_is_asked(monkeypatch):
    """An answer --tta asks no view of (here a caption: long text) got the note saying so, then a bar's line
    off a terminal counting nothing: "--tta views: 0view [00:00, ?view/s]"."""
    from rsvlm.predict import ask

    log = io.StringIO()
    monkeypatch.setattr(sys, "stderr", log)
    long_text = [inf.Answer("This is a harbour with many ships moored along two long piers. " * 3, [])]
    monkeypatch.setattr(inf, "answerer", lambda *a, **k: lambda messages, images: long_text * len(messages))
    notes: list[str] = []
    ask(None, types.SimpleNamespace(prompt=PromptConfig()), [_image()], "[cap] Describe the image.", 64,
        tta=tta.FuseConfig(views="flip"), notes=notes)
    assert any("no view asked" in n for n in notes), notes
    assert "--tta views" not in log.getvalue(), log.getvalue()


def test_last_task_reads_the_tag_opening_the_last_user_turn():
    """``answering.last_task``, the one reading of which task a conversation asks (asks_task, shape_need, tta)."""
    from rsvlm.answering import asks_task, last_task, shape_need

    parts = [{"role": "user", "content": "[det] ships"}, {"role": "assistant", "content": "None."},
             {"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "[ground] the white ship"}]}]
    assert last_task(parts) == "ground" and asks_task(parts, "ground") and shape_need(parts) is True
    assert last_task([{"role": "user", "content": "[vqa] what does [ground] mean?"}]) == "vqa"  # a later tag is text
    assert last_task([]) is None and last_task([{"role": "assistant", "content": "[det]"}]) is None


def test_the_token_limit_note_counts_one_token_as_one():
    """``--max-new-tokens 1`` was noted "(1 tokens)"."""
    assert "(1 token);" in inf.cut_note(1) and "(2 tokens);" in inf.cut_note(2, "a class answer")


def test_a_shape_the_model_cannot_read_in_a_question_is_refused_naming_it():
    """``[regcap] What is in <box>100,100,500,500</box>?`` (pixels as text), a ``<loc_1200>``, three
    corners or reversed ones were asked as written, and answered ("storage tank") about nothing."""
    ok = "[regcap] What is in <box><loc_100><loc_100><loc_500><loc_500></box>?"
    assert inf.shape_problem(ok) is None and inf.shape_problem("[cls] What scene is this?") is None
    assert inf.shape_problem("[vqa] Is <ref>ship</ref><obb>" + "".join(f"<loc_{i}>" for i in range(8)) + "</obb> one?") \
        is None
    for bad, said in [("<box>100,100,500,500</box>", "contains '100,100,500,500'"),
                      ("<box><loc_100><loc_100><loc_1200><loc_500></box>", "<loc_1200> is out of range 0..999"),
                      ("<box><loc_100><loc_100><loc_500></box>", "needs 4 location tokens, got 3"),
                      ("<box><loc_500><loc_500><loc_100><loc_100></box>", "has x1>x2 or y1>y2")]:
        why = inf.shape_problem(f"[regcap] What is in {bad}?")
        assert why is not None and said in why and "swapped" not in why and "; dropped" not in why, why


def test_chat_and_predict_refuse_a_question_with_an_unreadable_shape():
    from rsvlm.chat import ChatREPL
    from rsvlm.predict import asked_question

    repl = ChatREPL.__new__(ChatREPL)
    repl.out, repl.images = io.StringIO(), [_image()]  # no session: the question goes no further
    assert repl.ask("[regcap] What is in <box>100,100,500,500</box>?") is None
    assert "error: the question's geometry is not written as the model reads it" in repl.out.getvalue()
    args = types.SimpleNamespace(prompt="[vqa] Is <box><loc_9><loc_9><loc_1><loc_1></box> a ship?", task="vqa",
                                 region=None, tile=None, min_objects=0, det_by_class=False)
    with pytest.raises(ValueError, match=r"^--prompt: the question's geometry .*x1>x2") as e:
        asked_question(args, _image(), print)
    assert "--region" not in str(e.value)  # refused for [vqa]: offered only for [regcap] since 53811e60


def test_chat_turns_a_region_given_in_pixels_into_the_box_to_write():
    """``[regcap] What is in 10,10,50,50?`` was told to write <loc_…> thousandths, with no word of which ones:
    the error now gives the box of those pixels of the image (96x96 here), as predict --region reads them."""
    from rsvlm.chat import ChatREPL, pixel_box_hint

    img = _image()
    assert pixel_box_hint("[regcap] What is in 12,24,48,96?", img) == \
        "; 12,24,48,96 as pixels of x.png (96x96) is <box><loc_125><loc_250><loc_500><loc_999></box>"
    assert pixel_box_hint("[regcap] What is in 12,24,480,96?", img) == ""  # past the image: no pixels of it
    assert pixel_box_hint("[regcap] What is in 48,24,12,96?", img) == ""  # corners reversed
    assert pixel_box_hint("[vqa] How many of 3,4,5,6.5.1 ships?", img) == ""  # no four numbers alone
    assert pixel_box_hint("[regcap] Describe 12,24,48,96.", img).endswith("<loc_999></box>")  # a sentence's end
    repl = ChatREPL.__new__(ChatREPL)
    repl.out, repl.images = io.StringIO(), [img]
    for question in ("[regcap] What is in 0,0,48,48?", "[regcap] What is in <box>0,0,48,48</box>?"):
        assert repl.ask(question) is None
    said = repl.out.getvalue().splitlines()
    assert len(said) == 2 and all(s.endswith("is <box><loc_0><loc_0><loc_500><loc_500></box>") for s in said), said


def test_locations_with_no_shape_around_them_are_refused_too():
    """``<loc_1200>`` (the fault 5a77b31 names) or four locations with no ``<box>`` written around them were
    asked as written: only a question holding a shape's opening tag was read. ``data.records`` refuses such a
    turn in a record, so the model never saw one."""
    for bad, said in [("[regcap] What is in <loc_1200>?", "<loc_1200> is out of range 0..999"),
                      ("[vqa] Is <loc_100><loc_100><loc_500><loc_500> a ship?", "<loc_100> outside any shape"),
                      ("[vqa] Is <loc_1><loc_2><loc_3><loc_4></box> a ship?", "stray </box>")]:
        assert said in (inf.shape_problem(bad) or ""), (bad, inf.shape_problem(bad))
    for ok in ("[vqa] Is a < b?", "[ground] the Boeing 737 at gate 12", "[vqa] Is <ref>ship</ref> white?"):
        assert inf.shape_problem(ok) is None, ok


def test_eval_given_predicts_result_says_it_needs_test_records(tmp_path, monkeypatch):
    """``rsvlm eval --data result.json`` (predict's ``--out``) was told "its list(s) under 'objects', 'images':
    save the records list alone (jq '.objects')": those are one answer's objects, no records. Written as predict
    writes it (indent=1), on one line (``jq -c``), and past the read-ahead (a tiled scene's thousands of objects)."""
    import json

    from rsvlm.data import records, records_shape

    result = {"answer": BOX, "text": "ship", "objects": [{"kind": "box", "label": "ship", "coords": [1, 2, 3, 4]}],
              "problems": [], "cut": False, "task": "det", "prompt": "[det] Detect every ship.", "notes": [],
              "images": [{"path": "x.png", "modality": "optical", "bands": ["R", "G", "B"], "width": 96, "height": 96}]}
    big = {**result, "objects": result["objects"] * 400}
    monkeypatch.setattr(records_shape, "HEAD_CAP", 4000)
    monkeypatch.setattr(records_shape, "HEAD_START", 1000)
    for name, text in [("result.json", json.dumps(result, indent=1)), ("one.json", json.dumps(result)),
                       ("tiled.json", json.dumps(big, indent=1))]:
        (tmp_path / name).write_text(text)
        with pytest.raises(records.RecordError) as e:
            records.load_records(tmp_path / name, need_answer=False)
        said = str(e.value)
        assert "the result `rsvlm predict --out` writes" in said and "docs/eval-run.md" in said, said
        assert "jq" not in said and name in said, said
