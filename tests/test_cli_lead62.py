"""predict says when a class asked on its own (--det-by-class) answered in words, not shapes (the answerer is a stand-in)."""
from __future__ import annotations

from rsvlm.cli import main


def test_predict_says_a_class_answered_in_words(ckpt, geotiff, tmp_path, monkeypatch, capsys):
    from rsvlm import inference as inf

    answer = inf.Answer("<box><loc_1><loc_2><loc_30><loc_40></box>", [0.9], worded=("storage tank",))
    monkeypatch.setattr(inf, "answerer", lambda *a, **k: lambda msgs, imgs: [answer] * len(msgs))
    code = main(["predict", "--model", str(ckpt), "--image", str(geotiff), "--task", "det",
                 "--out", str(tmp_path / "p.json")])
    err = capsys.readouterr().err
    assert code == 0
    assert "1 class answer said words with no shape and was left out of the joined answer: 'storage tank'" in err


def test_predict_says_nothing_of_words_where_every_class_drew(ckpt, geotiff, tmp_path, monkeypatch, capsys):
    from rsvlm import inference as inf

    answer = inf.Answer("<box><loc_1><loc_2><loc_30><loc_40></box>", [0.9])
    monkeypatch.setattr(inf, "answerer", lambda *a, **k: lambda msgs, imgs: [answer] * len(msgs))
    assert main(["predict", "--model", str(ckpt), "--image", str(geotiff), "--task", "det",
                 "--out", str(tmp_path / "p.json")]) == 0
    assert "said words" not in capsys.readouterr().err


def stand_in_chat(max_position_embeddings: int = 2048):
    """A ChatREPL over a stand-in model (only its LLM config) and one blank image, for ``class_by_class``:
    (repl, its output, a [det] question asked, a box answer)."""
    import io
    import types

    import numpy as np
    from transformers import LlamaConfig

    from rsvlm.chat import ChatREPL
    from rsvlm.data.conversation import PromptConfig

    config = LlamaConfig(max_position_embeddings=max_position_embeddings)
    model = types.SimpleNamespace(llm=types.SimpleNamespace(config=config))
    out, box = io.StringIO(), "<ref>ship</ref><box><loc_100><loc_100><loc_300><loc_300></box>"
    repl = ChatREPL(model, types.SimpleNamespace(prompt=PromptConfig()), out=out, max_new_tokens=5)
    repl.images = [types.SimpleNamespace(data=np.zeros((3, 32, 32), np.float32), modality="optical",
                                         bands=("R", "G", "B"), path="a.png")]
    return repl, out, [{"role": "user", "content": "<image>\n[det] Detect all objects."}], box


def test_chat_says_a_class_answered_in_words():
    from rsvlm import inference as inf

    repl, out, asked, box = stand_in_chat()
    for worded in ((), ("harbor",)):
        repl.answerer = lambda worded=worded: (lambda m, i: [inf.Answer(box, [0.9], worded=worded) for _ in m])
        assert repl.class_by_class(asked, box).worded == worded
    said = [line for line in out.getvalue().splitlines() if "said words" in line]
    assert said == ["  note: 1 class answer said words with no shape and was left out of the joined answer: "
                    "'harbor'"]


def test_a_tiled_run_says_views_not_asked_apart_from_answers_left_out(ckpt, geotiff, tmp_path, monkeypatch, capsys):
    # d99e2d0's "4 other view(s) not asked" rode in Fused.note: every tile was said "fused without some view answers"
    import json

    from rsvlm import inference as inf

    answer = inf.Answer("<box><loc_1><loc_2><loc_30><loc_40></box>", [0.9])
    monkeypatch.setattr(inf, "answerer", lambda *a, **k: lambda msgs, imgs: [answer] * len(msgs))
    out = tmp_path / "p.json"
    assert main(["predict", "--model", str(ckpt), "--image", str(geotiff), "--task", "det", "--prompt",
                 "[det] Find the ships above the bridge.", "--tta", "dihedral", "--tile", "48", "--overlap", "0",
                 "--batch-size", "1", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "fused without some view answers" not in err
    assert "4 of 4 tiles were not asked some views (\"tta_unasked\" in --out's tiles; first: test-time " \
           "augmentation: 4 other views not asked, 3 asked ('t', 'th', 'tv', 'thv' not)" in err, err
    tiles = json.loads(out.read_text())["tiles"]
    assert all("tta_unasked" in t and "tta_note" not in t for t in tiles)


def test_a_tiled_run_says_a_class_answered_in_words(ckpt, geotiff, tmp_path, monkeypatch, capsys):
    # untiled predict said Answer.worded (6a3c167); --tile dropped it unsaid, tile by tile
    import json

    from rsvlm import inference as inf

    answer = inf.Answer("<box><loc_1><loc_2><loc_30><loc_40></box>", [0.9], worded=("storage tank",))
    monkeypatch.setattr(inf, "answerer", lambda *a, **k: lambda msgs, imgs: [answer] * len(msgs))
    out = tmp_path / "p.json"
    assert main(["predict", "--model", str(ckpt), "--image", str(geotiff), "--task", "det", "--tile", "48",
                 "--overlap", "0", "--batch-size", "1", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "note: 4 of 4 tiles had class answers in words with no shape, left out of the joined answer " \
           "(\"worded\" in --out's tiles; first: 'storage tank')" in err, err
    assert all(t["worded"] == ["storage tank"] for t in json.loads(out.read_text())["tiles"])
