"""Review 75 (predict): the standard count question is of a class the loaded model knows (it was "ships" for every
model); the count warning reads a class in any case, singular or plural, ``-``/``_`` as spaces, and warns of no
trained phrasing; ``--prompt '[count]'`` quotes its question once."""

from __future__ import annotations

import json
import re

import pytest

from rsvlm import inference as inf
from rsvlm.cli import main
from rsvlm.predict_question import count_note, count_question

BUNDLED = ["plane", "ship", "large vehicle", "small vehicle", "storage tank", "building", "swimming pool"]


@pytest.mark.parametrize("classes, asked", [
    (BUNDLED, "[count] How many ships are there?"), (["building"], "[count] How many buildings are there?"),
    (["Storage_Tank", "bus"], "[count] How many storage tanks are there?"), (["SHIP"], "[count] How many ships are there?"),
    ([], inf.DEFAULT_PROMPTS["count"])])
def test_the_standard_count_question_is_of_a_class_the_model_knows(classes, asked):
    from data_gen.instructions.phrasings import COUNT

    assert count_question(classes) == asked  # was "How many ships are there?" for a model of buildings alone
    assert asked.startswith("[count] How many ") and asked.endswith(COUNT[0].removeprefix("How many {pl}"))
    note = count_note(asked, classes, default=True)
    assert note.count(asked) == 1 and "planes" not in note or "plane" in classes, note  # no class it lacks offered


@pytest.mark.parametrize("classes", [BUNDLED, ["Small-Vehicle", "Storage_Tank", "SHIP"], ["bus", "ferry"]])
def test_no_trained_count_phrasing_is_warned_of(classes):
    from data_gen.instructions.phrasings import COUNT, COUNT_POINT, plural

    for cls in classes:
        s = re.sub(r"[\s_-]+", " ", cls.lower())  # as data_gen's converters clean a label (small-vehicle)
        for phrasing in COUNT + COUNT_POINT:
            question = f"[count] {phrasing.format(s=s, pl=plural(s))}"
            assert count_note(question, classes, default=False) is None, (classes, question)
    said = count_note("[count] How many objects are there?", classes, default=False)
    assert said.startswith("warning: '[count] How many objects are there?' names none of the model's classes"), said


def _with_classes(monkeypatch, classes):
    load = inf.load_model

    def loaded(*a, **kw):
        model, processor = load(*a, **kw)
        processor.prompt.det_classes = list(classes)
        return model, processor

    monkeypatch.setattr(inf, "load_model", loaded)


@pytest.mark.parametrize("prompt", [[], ["--prompt", "[count]"]])
def test_predict_count_of_a_buildings_model_asks_of_buildings_and_quotes_it_once(ckpt, geotiff, tmp_path, capsys,
                                                                                 monkeypatch, prompt):
    _with_classes(monkeypatch, ["Building"])
    out = tmp_path / "c.json"
    assert main(["predict", "--model", str(ckpt), "--image", str(geotiff), "--task", "count", *prompt,
                 "--device", "cpu", "--max-new-tokens", "2", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert json.loads(out.read_text())["prompt"] == "[count] How many buildings are there?"  # was of ships
    assert err.count("How many") == 1 and "ships" not in err and "planes" not in err, err
    assert "the model's one class: buildings" in err, err


def test_predict_as_root_refuses_a_link_to_a_read_only_file_and_a_read_only_folder(ckpt, geotiff, tmp_path,
                                                                                     monkeypatch, capsys):
    import os

    monkeypatch.setattr(os, "geteuid", lambda: 0, raising=False)  # root's case, whoever runs the tests
    kept, folder = tmp_path / "kept.json", tmp_path / "ro"
    kept.write_text("kept")
    folder.mkdir()
    (tmp_path / "link.json").symlink_to(kept)
    kept.chmod(0o444)
    folder.chmod(0o555)
    try:
        for out, said in ((tmp_path / "link.json", "it is read-only (-r--r--r--)"),
                          (folder / "new.json", f"{folder} is read-only (dr-xr-xr-x)")):
            assert main(["predict", "--model", str(ckpt), "--image", str(geotiff), "--task", "cls", "--device", "cpu",
                         "--out", str(out)]) == 2
            err = capsys.readouterr().err
            assert f"rsvlm predict: --out {out}: {said}" in err and "loading model" not in err, err
        assert kept.read_text() == "kept" and not (folder / "new.json").exists()
    finally:
        kept.chmod(0o644)
        folder.chmod(0o755)
