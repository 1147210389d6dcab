"""Tour 59: ``rsvlm predict`` as a demanding user meets it: a ``--prompt`` that is a task tag alone
asks that task's standard question (it was sent bare), and the detection options' "ignored" warning
reaches ``--out``'s notes as predict's other warnings do (it was a print in ``cli.main``)."""

from __future__ import annotations

import json
import types

import pytest

from rsvlm import inference as inf
from rsvlm.cli import main


def _args(**kw):
    base = dict(task="det", prompt=None, region=None, tile=None, min_objects=0, det_by_class=False)
    return types.SimpleNamespace(**{**base, **kw})


def _image():
    import numpy as np

    from rsvlm.io import RSImage

    return RSImage(np.zeros((3, 96, 96), np.float32), "optical", ["R", "G", "B"], path="x.png")


@pytest.mark.parametrize("prompt", ["[count]", " [COUNT] ", "[Count]"])
def test_a_task_tag_alone_asks_the_standard_question(prompt):
    from rsvlm.predict import Said, asked_question

    said = Said()
    question = asked_question(_args(task="count", prompt=prompt), _image(), said)
    assert question == inf.DEFAULT_PROMPTS["count"]  # was "[count]" alone, answered with a box
    assert any("is a task tag alone" in line for line in said.lines)


def test_another_task_s_tag_alone_asks_that_task_s_question_and_warns():
    from rsvlm.predict import Said, asked_question

    said = Said()
    assert asked_question(_args(task="det", prompt="[cls]"), _image(), said) == inf.DEFAULT_PROMPTS["cls"]
    assert any("--prompt opens with [cls] but --task is det" in line for line in said.lines)


def test_a_regcap_tag_alone_takes_the_region_question():
    from rsvlm.predict import Said, asked_question

    question = asked_question(_args(task="regcap", prompt="[regcap]", region=[0, 0, 48, 48]), _image(), Said())
    assert question.startswith("[regcap] What is in <box>") and question.endswith("?")  # was "[regcap] <box>…"
    with pytest.raises(ValueError, match="--region"):  # no region: refused as without --prompt
        asked_question(_args(task="regcap", prompt="[regcap]"), _image(), Said())


def test_a_tag_with_words_or_an_unknown_tag_is_not_taken_as_alone():
    from rsvlm.predict import Said, asked_question

    assert asked_question(_args(prompt="[DET]Find ships."), _image(), Said()) == "[det] Find ships."
    with pytest.raises(ValueError, match=r"--prompt: unknown task tag \[detect\]"):
        asked_question(_args(prompt="[detect]"), _image(), Said())


def test_detection_options_ignored_are_in_the_out_notes(ckpt, geotiff, tmp_path, capsys):
    out = tmp_path / "r.json"
    assert main(["predict", "--model", str(ckpt), "--image", str(geotiff), "--task", "cls", "--max-new-tokens", "2",
                 "--device", "cpu", "--min-objects", "5", "--out", str(out)]) == 0
    line = "warning: --min-objects ignored: --task cls asks no [det] question"
    assert line in json.loads(out.read_text())["notes"]  # was on stderr only
    assert capsys.readouterr().err.count(f"rsvlm predict: {line}") == 1


def test_detection_options_under_another_tag_than_det_are_said_ignored(tmp_path, geotiff, capsys):
    main(["predict", "--model", str(tmp_path / "no-model"), "--image", str(geotiff), "--task", "det",
          "--prompt", "[cls] What is this?", "--min-objects", "3", "--device", "cpu"])
    assert "--min-objects ignored: the question opens with [cls], not [det]" in capsys.readouterr().err  # was silent
