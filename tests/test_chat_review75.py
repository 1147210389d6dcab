"""Review 75 (chat): ``[count]`` alone is one note quoting its question once, of a class the model knows; the
images across ``/reset``, ``/image``, a question and a pair, and a piped chat's exit status; ``rsvlm chat IMAGE``
is told to give it as ``--image PATH``."""

from __future__ import annotations

import io
import shutil
import sys

import pytest
from test_predict_edges import chat_repl


def test_a_count_tag_alone_is_one_note_of_a_class_the_model_knows(ckpt, geotiff):
    repl, out = chat_repl(ckpt)
    repl.session.processor.prompt.det_classes = ["building", "Small-Vehicle"]
    repl.load_image([str(geotiff)])
    assert repl.handle("[count]")
    said = out.getvalue()
    asked = [m["content"] for m in repl.session.messages if m["role"] == "user"][-1]
    assert asked.endswith("[count] How many buildings are there?"), asked  # was of ships, which it does not know
    assert said.count("How many buildings are there?") == 1 and "note: [count]" not in said, said  # were two notes
    assert "'[count] How many small vehicles are there?'; the model's classes: buildings, small vehicles" in said
    assert repl.handle("[count] How many small-vehicles are there?") and "warning" not in out.getvalue()
    assert repl.handle("[count] How many cars are there?")
    assert "warning: '[count] How many cars are there?' names none of the model's classes" in out.getvalue()


def _paths(repl):
    return [im.path for im in repl.images]


def test_images_across_reset_image_a_question_and_a_pair(ckpt, geotiff, tmp_path):
    a, b, c = (str(shutil.copy(geotiff, tmp_path / f"{n}.tif")) for n in "abc")
    repl, out = chat_repl(ckpt)
    repl.load_image([a])
    assert repl.handle("[cls] scene?") and repl.handle("/reset") and _paths(repl) == [a]
    assert repl.handle("[cls] again?") and repl.session.asked  # /reset keeps the image for the next question
    assert repl.handle("/reset") and repl.handle(f"/image {b}") and _paths(repl) == [b]  # was a pair of a and b
    assert repl.handle("[cls] scene?") and repl.handle(f"/image {c}") and _paths(repl) == [c]  # asked: anew
    assert repl.handle(f"/image {a}") and _paths(repl) == [c, a]  # a second /image before asking: a pair
    assert repl.handle("[change] What changed?") and "compares two images" not in out.getvalue()
    assert repl.handle("/reset") and _paths(repl) == [c, a] and repl.kept
    assert repl.handle(f"/image {b}") and _paths(repl) == [b]
    assert "(new image: c.tif and a.tif, kept by /reset, dropped;" in out.getvalue()
    assert repl.handle("/image no-such.tif") is not None and _paths(repl) == [b]  # a failed /image keeps the state


@pytest.mark.parametrize("lines, status", [("[cls] scene?\n/reset\n/image {g}\n[cls] now?\n", 0),
                                           ("[cls] scene?\n/reset\n/image no-such.tif\n[cls] now?\n", 1)])
def test_a_piped_chat_across_reset_and_image_ends_with_the_right_status(ckpt, geotiff, monkeypatch, capsys, lines,
                                                                         status):
    from rsvlm.cli import main

    monkeypatch.setattr(sys, "stdin", io.StringIO(lines.format(g=geotiff)))
    assert main(["chat", "--model", str(ckpt), "--image", str(geotiff), "--device", "cpu",
                 "--max-new-tokens", "2"]) == status
    said = capsys.readouterr()
    assert "(a pair:" not in said.out, said.out


def test_chat_given_an_image_without_image_is_told_to_give_it_as_image(geotiff, capsys):
    from rsvlm.cli import main

    with pytest.raises(SystemExit) as e:
        main(["chat", str(geotiff)])
    err = capsys.readouterr().err
    assert e.value.code == 2 and f"rsvlm chat: error: give it as --image PATH (rsvlm chat --image {geotiff})" in err, err
    with pytest.raises(SystemExit):  # a second path after --image: told as before, each takes its own --image
        main(["chat", "--image", str(geotiff), str(geotiff)])
    assert "error: unrecognized arguments:" in capsys.readouterr().err
