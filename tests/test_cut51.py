"""Answers the token limit cut short, said by predict and eval as chat says them; a TTA view the
model refuses; chat's object table cut at 50 rows."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest

from rsvlm import geometry, tta
from rsvlm import inference as inf
from rsvlm.cli import main

BOX = "<ref>ship</ref><box><loc_100><loc_100><loc_300><loc_300></box>"


class Says:
    """Stands in for RSVLM.generate: ``rule(prompt) -> (text, finished)`` per sequence, or a
    ValueError (a prompt past the context) for the whole batch; records every prompt it was asked."""

    def __init__(self, processor, rule):
        self.processor, self.rule, self.asked = processor, rule, []

    def generate(self, input_ids, attention_mask, images, **kw):
        from rsvlm.model.vlm import GenerateOutput

        prompts = [self.processor.tokenizer.decode(ids.tolist()) for ids in input_ids]
        self.asked += prompts
        said = [self.rule(p) for p in prompts]
        return GenerateOutput(tokens=[[] for _ in said], text=[t for t, _ in said],
                              scores=[[0.9] * t.count("</box>") for t, _ in said], finished=[f for _, f in said])


@pytest.fixture(scope="module")
def processor(ckpt):
    return inf.load_model(str(ckpt), "cpu")[1]


def _image(value: float = 0.0):
    from rsvlm.model import ImageInput

    return ImageInput(np.full((3, 32, 32), value, np.float32), "optical", ["R", "G", "B"])


def _ask(q: str) -> list[dict]:
    return [{"role": "user", "content": f"<image>\n{q}"}]


def test_an_answer_is_cut_where_generate_did_not_finish_it(processor, monkeypatch):
    model = Says(processor, lambda p: (BOX, "first" not in p))
    out = inf.generate_answers(model, processor, [_ask("[det] first ships"), _ask("[det] other ships")],
                               [[_image()], [_image()]], 8)
    assert [a.cut for a in out] == [True, False]
    assert out[0] == (BOX, [0.9])  # unpacks as (text, scores), as before
    # a model that does not say (no finished): nothing is cut
    assert not inf.is_cut(inf.generate_answers(Says(processor, lambda p: (BOX, True)), processor,
                                               [_ask("[det] ships")], [[_image()]], 8)[0])
    # --det-by-class: the joined answer is cut where one class's answer was
    monkeypatch.setattr(processor.prompt, "det_classes", ["ship", "plane"])
    model = Says(processor, lambda p: (BOX, "plane" not in p))
    joined = inf.generate_answers(model, processor, [_ask("[det] Detect every object.")], [[_image()]], 8,
                                  by_class=True)[0]
    assert joined.text.count("<box>") == 2 and joined.cut
    assert inf.join_shapes([inf.Answer(BOX, [0.9]), (BOX, [0.8])]).cut is False


def test_an_answer_short_of_min_objects_under_the_grammar_is_cut(processor):
    """The grammar opens no shape the token limit cannot close, and the --min-objects push lets go
    only then: the answer ends on EOS (finished) with fewer objects than asked, cut by the limit."""
    model = Says(processor, lambda p: (BOX, True))
    asked = [_ask("[det] ships"), _ask("[cls] What scene?")]
    out = inf.generate_answers(model, processor, asked, [[_image()], [_image()]], 20, min_objects=3)
    assert [a.cut for a in out] == [True, False]  # the [cls] question is not held to 3 objects
    assert not inf.generate_answers(model, processor, asked[:1], [[_image()]], 20, min_objects=1)[0].cut
    assert not inf.generate_answers(model, processor, asked[:1], [[_image()]], 20, constrain=False,
                                    min_objects=3)[0].cut  # free decoding: no push, nothing to infer


def test_predict_says_an_answer_stopped_at_the_token_limit(ckpt, geotiff, processor, tmp_path, capsys, monkeypatch):
    for finished in (False, True):
        model = Says(processor, lambda p, f=finished: (BOX, f))
        monkeypatch.setattr(inf, "load_model", lambda *a, model=model, **k: (model, processor))
        out = tmp_path / f"r{finished}.json"
        assert main(["predict", "--model", str(ckpt), "--image", str(geotiff), "--task", "det", "--device", "cpu",
                     "--max-new-tokens", "7", "--out", str(out)]) == 0
        err = capsys.readouterr().err
        said = "note: the answer reached the token limit (7 tokens); it may be cut: --max-new-tokens lets it run longer" in err
        assert said is not finished  # under the grammar the cut answer read as a whole one, without a word
        assert json.loads(out.read_text())["cut"] is not finished


def test_predict_tiled_counts_the_tiles_whose_answer_was_cut(ckpt, geotiff, processor, tmp_path, capsys, monkeypatch):
    calls = iter(range(100))
    monkeypatch.setattr(inf, "load_model",
                        lambda *a, **k: (Says(processor, lambda p: (BOX, next(calls) % 2 == 1)), processor))
    out = tmp_path / "r.json"
    assert main(["predict", "--model", str(ckpt), "--image", str(geotiff), "--task", "det", "--device", "cpu",
                 "--tile", "32", "--overlap", "0", "--batch-size", "1", "--out", str(out)]) == 0
    tiles = json.loads(out.read_text())["tiles"]
    assert len(tiles) == 6 and [bool(t.get("cut")) for t in tiles] == [True, False] * 3
    assert "note: 3 of 6 tile answers reached the token limit (256 tokens); they may be cut: --max-new-tokens lets them" in capsys.readouterr().err


def _records(tmp_path, questions: list[str]):
    from PIL import Image

    Image.fromarray(np.zeros((32, 32, 3), np.uint8)).save(tmp_path / "a.png")
    data = tmp_path / "test.jsonl"
    data.write_text("".join(json.dumps({
        "id": f"r{i}", "task": "det", "images": [{"path": "a.png", "modality": "optical"}],
        "conversations": [{"from": "human", "value": f"<image>\n{q}"}, {"from": "gpt", "value": BOX}],
        "meta": {"width": 32, "height": 32}}) + "\n" for i, q in enumerate(questions)))
    return data


def test_eval_marks_cut_answers_and_counts_them(processor, tmp_path, capsys):
    from rsvlm import evaluate

    data = _records(tmp_path, ["[det] first ships", "[det] other ships", "[det] first planes"])
    model = Says(processor, lambda p: (BOX, "first" not in p))
    out = evaluate.run(model, processor, data, tmp_path / "pred.jsonl", max_new_tokens=9, progress=False)
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r.get("cut", False) for r in rows] == [True, False, True]
    assert "2 of the 3 answers of this run reached the token limit (9 tokens); they may be cut" in capsys.readouterr().err


def test_a_fused_answer_is_cut_where_any_view_answer_was():
    def generate(messages, images):  # the h view's answer stopped short
        return [inf.Answer(BOX, [0.9], cut=float(im[0].array[0, 0, 0]) == 1.0) for im in images]

    img = np.zeros((3, 32, 32), np.float32)
    img[:, :, -1] = 1.0  # the right column: the h view's top-left pixel
    from rsvlm.model import ImageInput

    image = [ImageInput(img, "optical", ["R", "G", "B"])]
    cfg = tta.FuseConfig(views=("", "h"))
    (f,) = tta.fused_answers(generate, [_ask("[det] ships")], [image], [inf.Answer(BOX, [0.9])], cfg)
    assert f is not None and f.cut
    (f,) = tta.fused_answers(generate, [_ask("[det] ships")], [[_image()]], [inf.Answer(BOX, [0.9])], cfg)
    assert f is not None and not f.cut
    (f,) = tta.fused_answers(generate, [_ask("[det] ships")], [[_image()]], [inf.Answer(BOX, [0.9], cut=True)], cfg)
    assert f.cut  # the plain answer's own cut carries through


def test_a_view_past_the_context_keeps_the_plain_answer_with_a_note():
    def generate(messages, images):  # the mirrored question is a token longer: past the context
        if any("rightmost" in m[-1]["content"] for m in messages):
            raise ValueError("the prompt is 4097 tokens but the LLM's context is 4096 tokens")
        return [inf.Answer(BOX, [0.9]) for _ in messages]

    notes: dict[int, str] = {}
    msgs = [_ask("[ground] the leftmost ship"), _ask("[ground] the ship")]
    out = tta.fused_answers(generate, msgs, [[_image()], [_image()]], [(BOX, [0.9])] * 2, tta.FuseConfig(), notes)
    assert out[0] is None and out[1] is not None  # the other record is fused as before
    assert list(notes) == [0] and "view 'h' could not be asked" in notes[0] and "4097 tokens" in notes[0]


def test_eval_with_tta_survives_a_refused_view(processor, tmp_path, capsys):
    from rsvlm import evaluate

    def rule(prompt):  # the h view's "right" takes the prompt past the context
        if "right" in prompt:
            raise ValueError("the prompt is past the LLM's context")
        return BOX, True

    data = _records(tmp_path, ["[det] ships on the left", "[det] ships"])
    out = evaluate.run(Says(processor, rule), processor, data, tmp_path / "pred.jsonl", progress=False,
                       tta=tta.FuseConfig(views=tta.VIEWS))  # was a ValueError traceback ending the run
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert rows[0]["answer"] == BOX and "error" not in rows[0] and "could not be asked" in rows[0]["note"]
    assert "note" not in rows[1] and rows[1]["answer"] == geometry.encode(rows[1]["objects"], 32, 32)
    assert "1 record keeps its plain answer, not fused over the --tta views" in capsys.readouterr().err


def test_predict_with_tta_survives_a_refused_view(ckpt, geotiff, processor, tmp_path, capsys, monkeypatch):
    def rule(prompt):  # the h view's "right" takes the prompt past the context
        if "right" in prompt:
            raise ValueError("the prompt is past the LLM's context")
        return BOX, True

    monkeypatch.setattr(inf, "load_model", lambda *a, **k: (Says(processor, rule), processor))
    base = ["predict", "--model", str(ckpt), "--image", str(geotiff), "--task", "det", "--device", "cpu",
            "--prompt", "[det] ships on the left", "--tta", "flip"]
    assert main([*base, "--out", str(tmp_path / "a.json")]) == 0  # was exit 2 and the plain answer lost
    assert json.loads((tmp_path / "a.json").read_text())["answer"] == BOX
    assert "note: test-time augmentation left out: view 'h' could not be asked" in capsys.readouterr().err
    assert main([*base, "--tile", "32", "--overlap", "0", "--out", str(tmp_path / "t.json")]) == 0
    tiles = json.loads((tmp_path / "t.json").read_text())["tiles"]
    assert len(tiles) == 6 and all("could not be asked" in t["note"] for t in tiles)
    assert "note: 6 of 6 tiles not fused over the views" in capsys.readouterr().err


def test_chat_prints_50_rows_of_a_long_answer_and_counts_the_rest(ckpt, geotiff, monkeypatch):
    from rsvlm.chat import ChatREPL

    model, processor = inf.load_model(str(ckpt), "cpu")
    out = io.StringIO()
    repl = ChatREPL(model, processor, out=out, max_new_tokens=2)
    repl.load_image([str(geotiff), "optical"])
    many = [{"kind": "box", "label": "car", "coords": [i, 1.0, i + 2.0, 3.0]} for i in range(120)]
    monkeypatch.setattr(inf, "locate", lambda *a, **k: {"answer": "", "text": "", "objects": many, "problems": []})
    assert repl.ask("[det] cars") is not None
    said = out.getvalue()
    assert len([line for line in said.splitlines() if "  car  " in line]) == 50
    assert "… and 70 more objects, not shown (/geojson writes them all)" in said
    assert len(repl.last["objects"]) == 120  # /geojson still writes them all


def test_chat_says_a_view_answer_was_cut_or_refused(processor):
    from rsvlm.chat import ChatREPL

    out = io.StringIO()
    repl = ChatREPL(Says(processor, lambda p: (BOX, True)), processor, out=out, max_new_tokens=5,
                    tta=tta.FuseConfig(views=("", "h")))
    repl.images = [type("Img", (), {"data": np.zeros((3, 32, 32), np.float32), "modality": "optical",
                                    "bands": ("R", "G", "B"), "path": "a.png"})()]
    repl.session.messages += [{"role": "user", "content": "<image>\n[ground] the ship"}, {"role": "assistant", "content": BOX}]
    repl.answerer = lambda: (lambda m, i: [inf.Answer(BOX, [0.9], cut=True) for _ in m])
    answer, scores = repl.fused(BOX, [0.9])
    assert answer == BOX and "a view answer reached the token limit (5 tokens); it may be cut" in out.getvalue()

    def refuse(m, i):
        raise ValueError("past the LLM's context")

    repl.answerer = lambda: refuse
    assert repl.fused(BOX, [0.9]) == (BOX, [0.9])
    assert "view 'h' could not be asked (past the LLM's context); the plain answer is kept" in out.getvalue()


def test_eval_with_tta_says_a_cut_fused_answer_may_be_its_plain_or_a_views(processor, tmp_path, capsys):
    """Stop 79: under --tta the fused answer is marked cut where its plain answer or a view's reached the limit;
    the run's note said only 'reached the token limit', as if the written answer were the cut one."""
    from rsvlm import evaluate

    data = _records(tmp_path, ["[det] first ships", "[det] first planes"])
    model = Says(processor, lambda p: (BOX, False))  # no answer finished: every one reached the limit
    evaluate.run(model, processor, data, tmp_path / "pred.jsonl", max_new_tokens=9, progress=False,
                 tta=tta.FuseConfig(views=("", "h")))
    assert ("2 of the 2 answers of this run reached the token limit (9 tokens; with --tta: their plain answer or a "
            "view's did)") in capsys.readouterr().err
