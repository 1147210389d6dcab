"""rsvlm eval --tta says which records were asked no view (their plain answer stands) and why."""
from __future__ import annotations

import json

import numpy as np
from PIL import Image
from test_eval_ranks51 import RECORD
from test_eval_tour53 import Processor, answering

from rsvlm import evaluate
from rsvlm.tta import MODES, FuseConfig


def _run(tmp_path, views, record=RECORD):
    """The one row ``rsvlm eval --tta`` (``views``) writes for ``record`` of a blank a.png."""
    Image.fromarray(np.zeros((16, 16, 3), np.uint8)).save(tmp_path / "a.png")
    data, out = tmp_path / "test.jsonl", tmp_path / "p.jsonl"
    data.write_text(json.dumps(record) + "\n")
    evaluate.run(None, Processor({}), data, out, batch_size=1, progress=False, tta=FuseConfig(views=views))
    return json.loads(out.read_text().splitlines()[0])


def test_eval_crops_on_a_class_question_asks_no_view_and_says_why(tmp_path, monkeypatch, capsys):
    answering(monkeypatch, "lake")
    row = _run(tmp_path, MODES["crops"])
    assert row["answer"] == "lake"
    assert row["tta_skipped"].startswith("--tta crops: no view asked of this question (crops are only for [det]/[ground]")
    err = capsys.readouterr().err
    assert "rsvlm eval: note: 1 of the 1 record of this run was asked no --tta view (first: r0: --tta crops:" in err


def test_eval_flip_on_a_class_question_asks_views_and_says_nothing_of_it(tmp_path, monkeypatch, capsys):
    answering(monkeypatch, "lake")
    row = _run(tmp_path, MODES["flip"])
    assert row["answer"] == "lake" and "tta_skipped" not in row
    assert "asked no --tta view" not in capsys.readouterr().err


def test_eval_dihedral_on_a_det_question_all_views_saying_none_is_not_told_it_asked_no_view(tmp_path, monkeypatch,
                                                                                            capsys):
    # the views were asked (8 answers "None."): fused_answers keeps "None." as it is (a Fused of it), which is no skipped view
    answering(monkeypatch, "None.")
    det = {**RECORD, "task": "det", "conversations": [{"from": "human", "value": "<image>\n[det] Find every ship."},
                                                      {"from": "gpt", "value": "None."}]}
    row = _run(tmp_path, MODES["dihedral"], det)
    assert row["answer"] == "None." and "tta_skipped" not in row
    assert "asked no --tta view" not in capsys.readouterr().err


def test_eval_tta_on_a_record_without_an_image_says_it_has_no_view(tmp_path, monkeypatch, capsys):
    # tta.no_view_note read images[-1]: a text-only record ended the whole run with an IndexError
    answering(monkeypatch, "water")
    text = {"id": "t0", "task": "vqa", "images": [],
            "conversations": [{"from": "human", "value": "[vqa] What is a lake?"}, {"from": "gpt", "value": "water"}]}
    row = _run(tmp_path, MODES["flip"], text)
    assert row["answer"] == "water"
    assert row["tta_skipped"] == "--tta flip: no view asked of this question (it holds no image); the plain answer stands"


def test_eval_views_a_question_is_not_asked_are_not_counted_as_answers_left_out(tmp_path, monkeypatch, capsys):
    # d99e2d0 put "4 other view(s) not asked" in Fused.note, which eval writes as tta_note and ends counting as
    # "view answers left out of their --tta fusion (empty, unparseable, …)": of every [count] record under crops
    answering(monkeypatch, "3")
    count = {**RECORD, "task": "count", "conversations": [{"from": "human", "value": "<image>\n[count] How many ships?"},
                                                          {"from": "gpt", "value": "3"}]}
    row = _run(tmp_path, MODES["dihedral+crops"], count)
    assert "tta_note" not in row and "tta_skipped" not in row
    assert row["tta_unasked"].startswith("test-time augmentation: 4 other views not asked, 7 asked")
    err = capsys.readouterr().err
    assert "left out of their --tta fusion" not in err
    assert "1 record was not asked some --tta views (first: r0: test-time augmentation: 4 other views" in err


def test_eval_det_by_class_says_a_class_that_answered_in_words(tmp_path, monkeypatch, capsys):
    # Answer.worded (411f7eb) was said by predict and chat: eval --det-by-class dropped such a class unsaid
    from rsvlm import inference

    box = "<box><loc_1><loc_2><loc_30><loc_40></box>"
    monkeypatch.setattr(inference, "answerer", lambda *a, **kw: lambda msgs, imgs: [
        inference.Answer(box, [0.9], worded=("harbor",)) for _ in msgs])
    det = {**RECORD, "task": "det", "conversations": [{"from": "human", "value": "<image>\n[det] Find all objects."},
                                                      {"from": "gpt", "value": box}]}
    Image.fromarray(np.zeros((16, 16, 3), np.uint8)).save(tmp_path / "a.png")
    data, out = tmp_path / "test.jsonl", tmp_path / "p.jsonl"
    data.write_text(json.dumps(det) + "\n")
    evaluate.run(None, Processor({}), data, out, batch_size=1, progress=False, by_class=True)
    row = json.loads(out.read_text().splitlines()[0])
    assert row["worded"] == ["harbor"]
    err = capsys.readouterr().err
    assert "rsvlm eval: note: 1 of the 1 record of this run had class answers in words with no shape, left out " \
           "of the joined answer (first: r0: 'harbor'; 'worded' in" in err, err
