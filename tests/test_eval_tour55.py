"""Follow-ups of tour 55 in eval and chat: --tta detections in the record's pixels on a scene read
shrunk, view answers left out of a fusion shown (``"tta_note"``, chat), the past-context flag given
by ``RSVLM.generate`` itself, and the scorers' count of such rows."""

from __future__ import annotations

import json
import types

import numpy as np
import pytest
from PIL import Image

from rsvlm import evaluate, geometry
from rsvlm import inference as inf
from rsvlm.data.conversation import PromptConfig
from rsvlm.tta import MODES, FuseConfig

BLOCK = (500, 300, 600, 400)  # x0, y0, x1, y1 of the bright block in the 3000 x 1500 scene


def big_scene(root):
    """root/big.png: a 3000 x 1500 black scene (read shrunk to 2048 px a side) with one bright block."""
    a = np.zeros((1500, 3000, 3), np.uint8)
    x0, y0, x1, y1 = BLOCK
    a[y0:y1, x0:x1] = 255
    Image.fromarray(a).save(root / "big.png")


def det_record(rid="r0"):
    return {"id": rid, "task": "det", "images": [{"path": "big.png", "modality": "optical"}],
            "meta": {"width": 3000, "height": 1500},
            "conversations": [{"from": "human", "value": "<image>\n[det] Detect every storage tank."},
                              {"from": "gpt", "value": "None."}]}


class _BoxesTheBlock:
    """An answerer standing in for the model: boxes the bright block of the image each view shows it
    (in that image's pixels); where ``odd(image)`` holds, the answer is a box cut short."""

    def __init__(self, odd=lambda arr: False):
        self.odd, self.calls = odd, 0

    def __call__(self, messages, images):
        self.calls += 1
        out = []
        for ims in images:
            arr = ims[-1].array  # (C,H,W), the view's
            h, w = arr.shape[-2:]
            ys, xs = np.nonzero(arr.mean(0) > arr.mean())
            box = [{"kind": "box", "label": "storage tank",
                    "coords": [float(xs.min()), float(ys.min()), float(xs.max() + 1), float(ys.max() + 1)]}]
            text = "<ref>storage tank</ref><box><loc_1><loc_2></box>" if self.odd(arr) else geometry.encode(box, w, h)
            out.append(inf.Answer(text, [0.9]))
        return out


def stand_in(monkeypatch, answerer):
    monkeypatch.setattr(inf, "answerer", lambda *a, **k: answerer)
    return types.SimpleNamespace(prompt=PromptConfig(), band_notes=lambda im: [], image_sizes=None)


def test_tta_detections_of_a_scene_read_shrunk_are_in_the_records_pixels(tmp_path, monkeypatch):
    # a 3000 px scene is read at 2048 px: the fused objects were in those pixels (x = 341 for 500), while
    # the scorers take "objects" in meta.width/height, as the plain answer's are
    big_scene(tmp_path)
    processor = stand_in(monkeypatch, _BoxesTheBlock())
    plain = evaluate.answer_batch(None, processor, [det_record()], tmp_path, 64)[0]
    fused = evaluate.answer_batch(None, processor, [det_record()], tmp_path, 64, tta=FuseConfig(views=MODES["flip"]))[0]
    (want,) = plain["objects"]
    assert want["coords"] == pytest.approx(list(BLOCK), abs=3)  # a location bin of 3000 px is 3 px
    (got,) = fused["objects"]
    assert got["coords"] == pytest.approx(want["coords"], abs=3) and got["score"] == pytest.approx(0.9)
    assert "error" not in fused and "tta_note" not in fused


def test_view_answers_left_out_of_an_eval_fusion_are_written_and_counted(tmp_path, monkeypatch, capsys):
    # Fused.note (a view answer that does not parse, left out) was shown nowhere
    big_scene(tmp_path)
    right = _BoxesTheBlock(odd=lambda arr: np.nonzero(arr.mean(0) > arr.mean())[1].mean() > arr.shape[-1] / 2)
    processor = stand_in(monkeypatch, right)  # the h view (the block on the right) answers a broken box
    data, out = tmp_path / "t.jsonl", tmp_path / "p.jsonl"
    data.write_text("".join(json.dumps(det_record(f"r{i}")) + "\n" for i in range(2)))
    evaluate.run(None, processor, data, out, batch_size=2, tta=FuseConfig(views=MODES["flip"]), progress=False)
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    for row in rows:
        assert row["tta_note"].startswith("test-time augmentation: 2 of 3 other view answers could not be fused")
        assert "its geometry does not parse" in row["tta_note"] and "note" not in row  # no refused prompt
    err = capsys.readouterr().err
    assert "2 records had view answers left out of their --tta fusion" in err and "'tta_note'" in err
    assert "prompt was refused" not in err


def test_chat_says_which_view_answers_were_left_out_of_the_fusion(monkeypatch):
    import io

    from rsvlm import tta
    from rsvlm.chat import ChatREPL

    note = "test-time augmentation: 1 of 3 other view answers could not be fused, each counted as finding nothing"
    box = "<box><loc_100><loc_100><loc_300><loc_300></box>"
    monkeypatch.setattr(tta, "fused_answers", lambda *a, **k: [tta.Fused(box, [], note=note)])
    out = io.StringIO()
    repl = ChatREPL.__new__(ChatREPL)  # no session needed: fused asks through the stand-in fused_answers
    repl.out, repl.tta, repl.images = out, FuseConfig(), []
    repl.session = types.SimpleNamespace(messages=[{"role": "user", "content": "q"}, {"role": "assistant", "content": box}],
                                         gen={"max_new_tokens": 8}, min_objects=0)
    monkeypatch.setattr(ChatREPL, "answerer", lambda self: None)
    repl.fused(box, [0.5])
    assert f"  note: {note}" in out.getvalue().splitlines()


def test_generate_flags_each_answer_past_the_context_and_warns_at_the_callers_line():
    # generate warned of the batch's longest answer only, naming torch's _contextlib.py, and callers that
    # mark each answer worked it out again and filtered the warning with a regex copy of its wording
    import warnings

    import torch

    from rsvlm.config import load_config
    from rsvlm.model import ImageInput, VLMConfig, create_model

    torch.manual_seed(0)
    model, processor = create_model(load_config(VLMConfig, evaluate.Path(__file__).parents[1] / "configs/model/tiny.yaml",
                                                 ["llm.config.max_position_embeddings=220"]))
    image = [ImageInput(np.zeros((3, 32, 32), np.float32))]
    texts = [processor.chat_prompt([{"role": "user", "content": f"<image>\n[cap] {q}"}], add_generation_prompt=True)
             for q in ("A?", "Describe the whole image in detail.")]
    batch = processor(texts, [image, image])
    n = 220 - int(batch["attention_mask"][0].sum())  # the first answer ends at the context, the longer prompt's past it
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        out = model.eval().generate(**batch, max_new_tokens=n, constrain=False, warn_context=False)
    assert not seen and [len(t) for t in out.tokens] == [n, n]  # the flags said instead: no warning
    assert out.past_context == [False, True]
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        model.generate(**batch, max_new_tokens=n, constrain=False)  # a library user's call: warned, at this line
    (w,) = [w for w in seen if "past the LLM's context" in str(w.message)]
    assert w.filename == __file__


def test_the_scorers_count_answers_past_the_context_as_they_count_cut_ones(tmp_path, capsys):
    # rsvlm eval marks "past_context": true, and the scorers scored such answers with nothing said
    from test_eval_ranks51 import RECORD

    from eval import classification

    gt, pred = tmp_path / "gt.jsonl", tmp_path / "p.jsonl"
    gt.write_text("".join(json.dumps({**RECORD, "id": i, "images": [{"path": "a.png", "modality": m}]}) + "\n"
                          for i, m in (("a", "optical"), ("b", "sar"))))
    pred.write_text("".join(json.dumps(r) + "\n" for r in [{"id": "a", "task": "cls", "answer": "lake"},
                                                            {"id": "b", "task": "cls", "answer": "la", "past_context": True}]))
    scores = classification.main(["--gt", str(gt), "--pred", str(pred)])
    assert scores["n_pred_past_context"] == 1 and scores["n_pred_cut"] == 0
    assert {m: s["n_pred_past_context"] for m, s in scores["by_modality"].items()} == {"optical": 0, "sar": 1}
    table = capsys.readouterr().out.split("\nnote:")[0].splitlines()
    assert [c.strip() for c in table[1].strip("|").split("|")][-1] == "n_pred_past_context"
    assert [c.strip() for c in table[3].strip("|").split("|")][-1] == "1"  # the "all" row
