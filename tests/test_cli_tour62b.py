"""Tour 62b (helper P): eval's answers are written where a reader closed its output (| head -1)."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest
from conftest import eval_record, write_jsonl
from PIL import Image
from test_cli_tour62r4 import Head

from rsvlm.cli import main


def answering(monkeypatch, text: str) -> None:
    """Every question, view or not, answered ``text`` (no score)."""
    from rsvlm import inference as inf

    monkeypatch.setattr(inf, "answerer", lambda *a, **k: lambda msgs, imgs: [inf.Answer(text, [])] * len(msgs))


def _eval_setup(tmp_path, monkeypatch, n: int = 4):
    """A model folder, ``n`` cls records plus one line that is no record (said on stderr before the run),
    answering patched to "lake"."""
    from rsvlm import evaluate
    from rsvlm import inference as inf

    (model := tmp_path / "model").mkdir()
    (model / "config.yaml").write_text("{}\n")
    recs = [eval_record(f"r{i}", "cls", "[cls] What scene?", "lake") for i in range(n)]
    for r in recs:
        Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / f"{r['id']}.png")
    data = write_jsonl(tmp_path / "test.jsonl", recs)
    with open(data, "a") as f:
        f.write("{not json\n")  # "1 line skipped" and its example: 2 lines before the answering
    monkeypatch.setattr(evaluate, "answer_batch", lambda model, processor, records, *a, **kw: [
        {"id": r["id"], "task": r["task"], "answer": "lake"} for r in records])
    monkeypatch.setattr(inf, "load_model", lambda *a, **kw: (None, SimpleNamespace()))
    monkeypatch.setattr(evaluate, "run_stamp", lambda model_dir, args: {"model": str(model_dir), "weights": "w",
                                                                        "options": {}})
    return model, data, recs


def test_eval_answers_every_record_though_the_reader_of_its_output_went_away(tmp_path, monkeypatch):
    model, data, recs = _eval_setup(tmp_path, monkeypatch)
    head = Head(1)
    monkeypatch.setattr("sys.stdout", head)  # rsvlm eval … 2>&1 | head -1
    monkeypatch.setattr("sys.stderr", head)
    out = tmp_path / "preds.jsonl"
    code = main(["eval", "--data", str(data), "--out", str(out), "--model", str(model), "--device", "cpu",
                 "--batch-size", "2"])
    assert out.exists(), "the run ended at the closed pipe, before any record was answered"
    assert code == 0 and [json.loads(line)["id"] for line in out.read_text().splitlines()] == [r["id"] for r in recs]
    assert len(head.got) >= 1  # the reader had its line


@pytest.mark.parametrize("task, tta, answer, why", [
    ("cls", "crops", "harbour", "crops are only for [det]/[ground] questions"),
    ("cap", "flip", "a long caption of a harbour with ships and cranes", "answers of at most 4 words are fused"),
])
def test_a_tiled_run_says_once_that_tta_asked_no_view(ckpt, geotiff, tmp_path, monkeypatch, capsys, task, tta, answer,
                                                      why):
    """--tile with --tta went through the tiles without on_views: the plain answers stood, with no word of why."""
    answering(monkeypatch, answer)
    out = tmp_path / "r.json"
    assert main(["predict", "--model", str(ckpt), "--image", str(geotiff), "--task", task, "--tta", tta,
                 "--tile", "48", "--overlap", "0", "--batch-size", "1", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    said = f"--tta {tta}: no view asked of this question ("
    assert err.count(said) == 1 and why in err and "no view was asked of any of the 4 tiles" in err, err
    assert sum(said in n for n in json.loads(out.read_text())["notes"]) == 1


def test_a_tiled_run_whose_tiles_asked_views_says_no_such_note(ckpt, geotiff, monkeypatch, capsys):
    from rsvlm import geometry

    answering(monkeypatch, geometry.encode([{"kind": "box", "label": None, "coords": [10, 10, 40, 30]}], 96, 64))
    assert main(["predict", "--model", str(ckpt), "--image", str(geotiff), "--task", "det", "--tta", "flip",
                 "--tile", "48", "--overlap", "0"]) == 0
    assert "no view asked" not in capsys.readouterr().err


@pytest.mark.parametrize("option, said", [("--out", "empty; give the predictions JSONL's file name"),
                                          ("--data", "empty; give the test records' JSONL"),
                                          ("--image-root", "empty; give a folder, or leave --image-root out")])
@pytest.mark.parametrize("value", ["", "  "])
def test_eval_refuses_an_empty_path_option_naming_it(tmp_path, monkeypatch, capsys, option, said, value):
    """--out "$OUT" with OUT unset said "--out . is a folder", --data "" "records file . is a folder", and an empty
    --image-root read the images against --data's folder unsaid."""
    monkeypatch.chdir(tmp_path)
    args = {"--data": "test.jsonl", "--out": "p.jsonl", "--image-root": None, option: value}
    with pytest.raises(SystemExit) as e:
        main(["eval", "--model", str(tmp_path / "none"), *[w for k, v in args.items() if v is not None for w in (k, v)]])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {option}: {said}" in err, err


def test_an_image_whose_name_holds_a_comma_is_one_file(tmp_path):
    """image_label split RSImage.path on ", ": "scene 3, clipped.png" was named "scene 3…clipped.png (2 files)" in
    every note; it and the pair's same-files check read RSImage.files."""
    from rsvlm import inference as inf
    from rsvlm.io import read_image

    one, other = tmp_path / "scene 3, clipped.png", tmp_path / "scene 3, other.png"
    for path in (one, other):
        Image.fromarray(np.full((8, 8, 3), 90, np.uint8)).save(path)
    img = read_image(one)
    assert inf.image_label(img) == "scene 3, clipped.png"
    assert any("both images of the pair are" in n for n in inf.pair_notes(img, read_image(one)))
    assert not any("both images of the pair are" in n for n in inf.pair_notes(img, read_image(other)))


def test_eval_data_dash_says_stdin_is_not_read(tmp_path, monkeypatch, capsys):
    """``… | rsvlm eval --data -`` said "records file not found: -"."""
    monkeypatch.chdir(tmp_path)
    assert main(["eval", "--data", "-", "--out", "p.jsonl", "--model", str(tmp_path / "none")]) == 2
    assert "--data -: records are not read from stdin" in capsys.readouterr().err
