"""Tour 58: ``rsvlm predict`` and the CLI front as a demanding user meets them: ``--min-objects`` pushes
the plain answer only, not the TTA views (a corner crop with none of the objects made some up)."""

from __future__ import annotations

import types

import pytest
from conftest import Terminal

from rsvlm import inference as inf
from rsvlm import tta

BOX = "<ref>ship</ref><box><loc_400><loc_400><loc_599><loc_599></box>"  # centred: inside every crop


@pytest.fixture
def pushes(monkeypatch):
    """``inference.answerer`` standing in for the model: a box to every prompt; the list records the
    ``min_objects`` of each batch asked."""
    asked: list[int] = []

    def answerer(model, processor, max_new_tokens, constrain=True, min_objects=0, by_class=False):
        def generate(messages, images):
            asked.append(min_objects)
            return [inf.Answer(BOX, [0.9]) for _ in messages]

        return generate

    monkeypatch.setattr(inf, "answerer", answerer)
    return asked


def _image():
    import numpy as np

    from rsvlm.io import RSImage

    return RSImage(np.zeros((3, 96, 96), np.float32), "optical", ["R", "G", "B"], path="x.png")


@pytest.mark.parametrize("mode", ["crops", "flip"])
def test_min_objects_pushes_the_plain_answer_not_the_tta_views(pushes, mode):
    from rsvlm.data.conversation import PromptConfig
    from rsvlm.predict import ask, tile_predictor

    processor = types.SimpleNamespace(prompt=PromptConfig())
    ask(None, processor, [_image()], "[det] Detect every ship.", 64, tta=tta.FuseConfig(views=mode), min_objects=5)
    assert pushes == [5, 0, 0, 0, 0] if mode == "crops" else [5, 0, 0, 0], pushes
    pushes.clear()
    im = _image()
    tile_predictor(None, processor, "[det] Detect every ship.", 64, [], tta=tta.FuseConfig(views=mode),
                   min_objects=5)([im, im])
    assert pushes[0] == 5 and set(pushes[1:]) == {0}, pushes


# eval and chat ask the views without the push too (stop 58)
def test_eval_pushes_the_plain_answer_not_the_views(pushes, tmp_path):
    import numpy as np
    from PIL import Image

    from rsvlm.data.conversation import PromptConfig
    from rsvlm.evaluate import answer_batch

    Image.fromarray(np.zeros((96, 96, 3), np.uint8)).save(tmp_path / "a.png")
    record = {"id": "a", "task": "det", "images": [{"path": "a.png", "modality": "optical"}],
              "conversations": [{"from": "human", "value": "<image>\n[det] Detect every ship."},
                                {"from": "gpt", "value": BOX}]}
    processor = types.SimpleNamespace(prompt=PromptConfig(), band_notes=lambda im: [])
    rows = answer_batch(None, processor, [record], tmp_path, 64, tta=tta.FuseConfig(views="flip"), min_objects=5)
    assert rows[0]["answer"] and pushes == [5, 0, 0, 0], pushes  # each view pushed to 5 made objects up


def test_chats_views_are_asked_without_the_push(pushes):
    import io

    from rsvlm.chat import ChatREPL

    repl = ChatREPL.__new__(ChatREPL)  # fused() needs the session's settings, the images and the conversation
    repl.session = types.SimpleNamespace(model=None, processor=None, gen={"max_new_tokens": 64}, constrain=True,
                                         min_objects=5, messages=[
                                             {"role": "user", "content": "<image>\n[det] Detect every ship."},
                                             {"role": "assistant", "content": BOX}])
    repl.by_class, repl.tta, repl.out = False, tta.FuseConfig(views="flip"), io.StringIO()
    repl.images = [_image()]
    got = repl.fused(BOX, [0.9])
    assert got.text == BOX and pushes == [0, 0, 0], pushes  # the streamed answer was pushed; its views are not


def predict(tmp_path, image, *extra):
    from rsvlm.cli import main

    return main(["predict", "--model", str(tmp_path / "no-model"), "--image", str(image), "--task", "det",
                 "--device", "cpu", *extra])


def test_batch_size_without_tile_is_said_to_be_ignored(geotiff, tmp_path, capsys):
    """``--batch-size 8`` without ``--tile`` was dropped without a word."""
    predict(tmp_path, geotiff, "--batch-size", "8")  # the model is looked for after the options are read
    assert "rsvlm predict: warning: --batch-size 8 ignored: it applies to --tile SIZE" in capsys.readouterr().err
    for extra in ([], ["--tile", "32", "--batch-size", "8"]):
        predict(tmp_path, geotiff, *extra)
        assert "--batch-size" not in capsys.readouterr().err


def test_ctrl_c_while_the_command_is_imported_is_one_line(monkeypatch, capsys):
    """A Ctrl-C during the subcommand's import (torch, transformers: seconds) was a KeyboardInterrupt traceback."""
    from rsvlm import cli

    def importing(name):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli.importlib, "import_module", importing)
    assert cli.main(["predict", "--image", "x.png", "--task", "cls"]) == 130
    assert capsys.readouterr().err.strip() == "rsvlm predict: stopped (Ctrl-C)"


def test_the_tta_docs_have_a_page_of_their_own_that_the_cli_docs_and_readme_link():
    """docs/cli.md ran past 500 lines with TTA in it; its "Test-time augmentation" heading (which other pages
    cite) now points to docs/tta.md, and every page these three name exists."""
    import re
    from pathlib import Path

    docs = Path(__file__).resolve().parents[1] / "docs"
    readme, cli, page = ((docs.parent / "README.md").read_text(), (docs / "cli.md").read_text(),
                         (docs / "tta.md").read_text())
    assert "## Test-time augmentation\n" in cli and "](tta.md)" in cli and "](docs/tta.md)" in readme
    assert "`crops` asks a detection question" in page and "`crops` asks a detection question" not in cli
    assert len(cli.splitlines()) < 500
    for name, text, base in (("README.md", readme, docs.parent), ("cli.md", cli, docs), ("tta.md", page, docs)):
        for target in re.findall(r"\]\(([^)#:]+\.md)", text) + re.findall(r"\bdocs/[\w-]+\.md", text):
            where = docs.parent / target if target.startswith("docs/") else base / target
            assert where.is_file(), f"{name} names {target}, which is not there"


def test_version_is_printed(capsys):
    from rsvlm import __version__
    from rsvlm.cli import main

    with pytest.raises(SystemExit) as e:  # was "unrecognized arguments: --version"
        main(["--version"])
    assert e.value.code == 0 and capsys.readouterr().out == f"rsvlm {__version__}\n"


@pytest.mark.parametrize("argv, want", [
    (["predcit"], "argument COMMAND: invalid choice: 'predcit', maybe 'predict'?"),
    (["predict", "--image", "a.tif", "--task", "detect"], "invalid choice: 'detect', maybe 'det'?"),
    (["eval", "--data", "d", "--out", "o", "--tta", "dihedal"], "invalid choice: 'dihedal', maybe 'dihedral'?"),
])
def test_a_typo_in_a_word_choice_is_answered_with_the_nearest(argv, want, capsys):
    from rsvlm.cli import main

    with pytest.raises(SystemExit) as e:
        main(argv)
    assert e.value.code == 2 and want in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["xyz"])
    assert "maybe" not in capsys.readouterr().err  # nothing near


def test_the_nearest_choice_is_found_in_newer_pythons_unquoted_list_too(capsys):
    from rsvlm.cli import Parser

    with pytest.raises(SystemExit):
        Parser(prog="rsvlm").error("argument --task: invalid choice: 'detect' (choose from det, ground, seg)")
    assert "invalid choice: 'detect', maybe 'det'? (choose from det, ground, seg)" in capsys.readouterr().err


def test_a_shell_glob_after_image_is_said_with_predicts_usage_and_how_to_answer_many(tmp_path, capsys):
    """``rsvlm predict --image *.png`` said "usage: rsvlm [-h] COMMAND ...  unrecognized arguments: b.png c.png"."""
    from rsvlm.cli import main

    for name in "abc":
        (tmp_path / f"{name}.png").write_bytes(b"")
    with pytest.raises(SystemExit) as e:
        main(["predict", "--image", *(str(tmp_path / f"{n}.png") for n in "abc"), "--task", "cls"])
    err = capsys.readouterr().err
    assert e.value.code == 2 and "usage: rsvlm predict" in err, err
    assert f"rsvlm predict: error: unrecognized arguments: {tmp_path / 'b.png'} {tmp_path / 'c.png'} (2 paths: " \
           "each image takes its own --image" in err and "for many, run it once per file" in err
    with pytest.raises(SystemExit):
        main(["eval", "--data", "d", "--out", "o", "--foo"])
    err = capsys.readouterr().err
    assert "usage: rsvlm eval" in err and err.rstrip().endswith("rsvlm eval: error: unrecognized arguments: --foo")


def test_an_out_that_cannot_be_opened_is_refused_before_the_model_runs(geotiff, tmp_path, capsys):
    """``--out /proc/x.json`` (its folder writable to root) passed the checks: the model answered, and the
    write failed after it ("[Errno 2] No such file or directory"), the answer lost."""
    assert predict(tmp_path, geotiff, "--out", "/proc/x.json") == 2
    err = capsys.readouterr().err
    assert "rsvlm predict: --out /proc/x.json: " in err and "not an rsvlm checkpoint" not in err, err
    kept, new = tmp_path / "kept.json", tmp_path / "sub" / "new.json"
    kept.write_text("an earlier result")
    predict(tmp_path, geotiff, "--out", str(kept), "--vis", str(new.with_suffix(".png")))  # fails at the model
    assert kept.read_text() == "an earlier result" and not new.with_suffix(".png").exists()  # the tries left nothing


def test_regcap_asks_about_the_region_given_in_pixels(geotiff, tmp_path, capsys):
    """``--task regcap``'s standard question named no region ("What is in the centre of the image?"), and the
    bundled model answered it with a box; a region could only be given as location tokens in --prompt."""
    from rsvlm import geometry
    from rsvlm.predict_question import region_question

    def args(**kw):
        return types.SimpleNamespace(**{"task": "regcap", "prompt": None, "region": None, "tile": None, **kw})

    box = geometry.encode([{"kind": "box", "label": None, "coords": [24, 24, 48, 72]}], width=96, height=96)
    assert region_question(args(region=[24, 24, 48, 72]), _image()) == f"[regcap] What is in {box}?"
    assert region_question(args(region=[24, 24, 48, 72], prompt="Describe {box}."), _image()) == f"Describe {box}."
    assert region_question(args(prompt=f"[regcap] What is {box}?"), _image()) is None  # its own box: as it is
    for bad, why in ((args(), "--task regcap asks about a region: give it as --region X1,Y1,X2,Y2"),
                     (args(region=[0, 0, 97, 10]), "--region 0,0,97,10 lies outside the 96x96 image"),
                     (args(region=[0, 0, 9, 9], task="det"), "--region is for --task regcap")):
        with pytest.raises(ValueError, match=why):
            region_question(bad, _image())
    assert predict(tmp_path, geotiff, "--task", "regcap") == 2  # said before the model is looked for
    assert "rsvlm predict: --task regcap asks about a region" in capsys.readouterr().err


def test_every_command_says_what_it_does_and_names_its_values():
    """``rsvlm merge-lora --help`` and ``convert-llava --help`` went from usage to options with no word on what
    they do, and the latter wrote ``--vision-tower VISION_TOWER`` where the README writes ``--vision-tower DIR``."""
    from rsvlm.cli import build_parser

    commands = build_parser().commands
    assert set(commands) == {"chat", "predict", "train", "eval", "merge-lora", "convert-llava"}
    assert all(p.description for p in commands.values()), [n for n, p in commands.items() if not p.description]
    assert "[--vision-tower DIR]" in commands["convert-llava"].format_usage()
    assert "[--temperature T]" in commands["chat"].format_usage()  # was TEMPERATURE, its help "0 = greedy" alone
    for name in ("chat", "predict", "eval"):  # the --tta page of its own
        assert "docs/tta.md" in " ".join(commands[name].format_help().split()), name


def test_the_tta_views_predict_asks_are_counted_on_a_terminal(pushes, monkeypatch):
    """``predict --tta dihedral+crops`` asks 11 more answers, minutes each for a large model, and said nothing."""
    import sys

    from rsvlm.data.conversation import PromptConfig
    from rsvlm.predict import ask


    monkeypatch.setattr(sys, "stderr", Terminal())
    ask(None, types.SimpleNamespace(prompt=PromptConfig()), [_image()], "[det] Detect every ship.", 64,
        tta=tta.FuseConfig(views="dihedral+crops"))
    shown = sys.stderr.getvalue()
    assert "--tta views:   0%|" in shown and "0/11 [" in shown, shown  # the other views asked: 7 mirror, 4 crops


def test_detection_options_on_another_task_are_said_to_be_ignored(geotiff, tmp_path, capsys):
    """``predict --task cls --min-objects 5`` (or ``--det-by-class``) ran as if neither was given, without a word."""
    predict(tmp_path, geotiff, "--task", "cls", "--min-objects", "5", "--det-by-class")  # the last --task wins
    assert "rsvlm predict: warning: --min-objects and --det-by-class ignored: --task cls asks no [det] question" \
        in capsys.readouterr().err
    for extra in (["--min-objects", "5"], ["--prompt", "[DET] Find ships.", "--min-objects", "5"]):
        predict(tmp_path, geotiff, *extra)  # a [det] question: pushed
        assert "ignored" not in capsys.readouterr().err
