"""Tour 59: ``rsvlm predict`` as a demanding user meets it: a ``--prompt`` that is a task tag alone
asks that task's standard question (it was sent bare), and the detection options' "ignored" warning
reaches ``--out``'s notes as predict's other warnings do (it was a print in ``cli.main``)."""

from __future__ import annotations

import json
import types
from pathlib import Path

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


def test_another_task_s_tag_alone_is_refused_as_two_tasks(tmp_path, capsys):
    """--task det --prompt '[cls]' was asked as [cls] with a warning; it names two tasks, refused before the
    model loads (settle_task, stop 67): asked_question's warning of it could not be reached, and is gone."""
    sample = Path(__file__).resolve().parents[1] / "rsvlm" / "assets" / "samples" / "harbour_optical.png"
    assert main(["predict", "--model", str(tmp_path / "no-model"), "--image", str(sample), "--task", "det",
                 "--prompt", "[cls]"]) == 2
    assert "--task det and --prompt's [cls] name two tasks" in capsys.readouterr().err


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
    main(["predict", "--model", str(tmp_path / "no-model"), "--image", str(geotiff),
          "--prompt", "[cls] What is this?", "--min-objects", "3", "--device", "cpu"])
    assert "--min-objects ignored: --prompt's [cls] asks no [det] question" in capsys.readouterr().err  # was silent
    # with --task det the tag's [cls] is another task: refused (stop 67), no longer asked with a warning
    assert main(["predict", "--model", str(tmp_path / "no-model"), "--image", str(geotiff), "--task", "det",
                 "--prompt", "[cls] What is this?", "--min-objects", "3", "--device", "cpu"]) == 2
    assert capsys.readouterr().err == ("rsvlm predict: --task det and --prompt's [cls] name two tasks: leave --task "
                                       "out (the tag names the task), or open --prompt with [det]\n")


def test_a_tile_far_below_the_model_input_is_said_enlarged():
    """``--tile 8`` on the 96 px model ran 144 windows each blown up 12x without a word."""
    from rsvlm.predict import Said
    from rsvlm.predict_tiles import window_notes

    said = Said()
    window_notes(8, (96, 96), 96, "x.png", said)
    assert said.lines == ["[x.png] --tile 8: each window is enlarged 12x to the model's 96 px input, a scale it "
                          "was not trained on; --tile 96 looks at the scene at its own resolution"]
    for tile in (24, 96, 384):  # 4x either way is left alone
        window_notes(tile, (1000, 1000), 96, "x.png", said)
    assert len(said.lines) == 1
    window_notes(8, (6, 5), 96, "x.png", said)  # the window is the 6 px scene: enlarged 16x
    assert "enlarged 16x" in said.lines[-1]


def test_a_tile_covering_the_scene_is_said_to_be_one_window():
    """``--tile 512`` on a 96x96 image was one tile and the --overlap 0 seam note, without a word of it."""
    from rsvlm.predict import Said
    from rsvlm.predict_tiles import overlap_notes

    said = Said()
    overlap_notes(types.SimpleNamespace(tile=512, overlap=0, task="det"), (96, 64), "x.png", said)
    assert said.lines == ["[x.png] note: --tile 512 is at least the 96x64 scene's size: one window, the whole "
                          "image, is asked"]  # no seams: the --overlap 0 note is not said
    said = Said()
    overlap_notes(types.SimpleNamespace(tile=32, overlap=0, task="det"), (96, 64), "x.png", said)
    assert said.lines == []  # seams join the pieces of an object cut there: nothing to say


@pytest.mark.parametrize("name, why", [("o.psd", ".psd is PSD, which PIL reads but cannot write"),
                                       ("o.xbm", "PIL cannot write the overlay as XBM")])
def test_a_vis_format_pil_only_reads_is_refused_before_the_model_runs(name, why, geotiff, tmp_path, capsys):
    """``--vis o.psd`` passed the extension check and, after the model had answered, failed with a
    KeyError traceback (PIL reads PSD but has no writer for it)."""
    rc = main(["predict", "--model", str(tmp_path / "no-model"), "--image", str(geotiff), "--task", "det",
               "--vis", str(tmp_path / name)])
    err = capsys.readouterr().err
    assert rc == 2 and f"rsvlm predict: --vis {tmp_path / name}: {why}" in err and "no-model" not in err


def test_a_region_follows_a_regcap_question_tagged_in_any_case():
    """``--task regcap --prompt '[REGCAP] What is this?' --region …``: the box follows the question, its tag as the
    model learnt it (another task's tag beside --region: test_front_tour69)."""
    from rsvlm.predict import Said, asked_question

    assert asked_question(_args(task="regcap", prompt="[REGCAP] What is this?", region=[1, 1, 5, 5]), _image(),
                          Said()).startswith("[regcap] What is this? <box>")


def test_tiled_regcap_without_a_box_names_the_way_that_works_with_tile():
    """With ``--tile`` the error said to give ``--region``, which ``--tile`` refuses."""
    from rsvlm.predict import Said, asked_question

    with pytest.raises(ValueError) as e:
        asked_question(_args(task="regcap", tile=96), _image(), Said())
    assert "with --tile, give it as a <box> in --prompt" in str(e.value) and "give it as --region" not in str(e.value)


def test_out_named_geojson_for_an_image_without_a_crs_says_to_name_it_json(tmp_path, capsys):
    """``--out r.geojson`` (taken as --geojson) of a plain PNG was refused with "--out writes pixel
    coordinates": the option the user had given."""
    from PIL import Image

    png = tmp_path / "plain.png"
    Image.new("RGB", (32, 32)).save(png)
    rc = main(["predict", "--model", str(tmp_path / "no-model"), "--image", str(png), "--task", "det",
               "--out", str(tmp_path / "r.geojson")])
    err = capsys.readouterr().err
    assert rc == 2 and f"rsvlm predict: --out {tmp_path / 'r.geojson'}: {png} is not georeferenced" in err
    assert "give --out a .json name" in err and "--out writes pixel coordinates" not in err


def test_outputs_starting_with_a_tilde_go_home(ckpt, geotiff, tmp_path, monkeypatch):
    """``--out=~/r.json`` (the shell expands no ``~`` after ``=``) made a folder named ``~`` in the current
    one and wrote there; the images' paths were already expanded."""
    home, here = tmp_path / "home", tmp_path / "here"
    home.mkdir(), here.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(here)
    assert main(["predict", "--model", str(ckpt), "--image", str(geotiff), "--task", "det", "--max-new-tokens", "2",
                 "--device", "cpu", "--out", "~/res/r.json", "--geojson", "~/res/r.geojson", "--vis", "~/v.png"]) == 0
    assert {p.name for p in (home / "res").iterdir()} == {"r.json", "r.geojson"} and (home / "v.png").is_file()
    assert not (here / "~").exists()


@pytest.mark.parametrize("name", ["", " "])
@pytest.mark.parametrize("option", ["--out", "--geojson", "--vis"])
def test_an_empty_output_name_is_refused(option, name, geotiff, tmp_path, capsys):
    """``--out "$OUT"`` with OUT unset ran the model and wrote nothing, without a word."""
    rc = main(["predict", "--model", str(tmp_path / "no-model"), "--image", str(geotiff), "--task", "det",
               option, name])
    err = capsys.readouterr().err
    assert rc == 2 and f"rsvlm predict: {option} is empty; give a file name" in err and "no-model" not in err
