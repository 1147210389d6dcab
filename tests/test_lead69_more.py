"""Stop 69's follow-ups across train, eval and the front: a failed run of rsvlm eval, python -m rsvlm.train and the
synth preview whose reader went away is said to have failed; loc_error's task tags in a plain module and its
``--tasks "[]"``; a text override holding ``,KEY=``; predict's and chat's non-UTF-8 question from a file; an empty
``--bands``."""

from __future__ import annotations

import sys
import warnings

import pytest
from conftest import one_stream_closed


def _entry(name: str, monkeypatch, work):
    """The command ``name``'s reader-guarded entry, with ``work`` run in place of its job: (its call, its name as
    the note says it)."""
    if name == "eval":
        from rsvlm import evaluate

        monkeypatch.setattr(evaluate, "_main", lambda args: work())
        return lambda: evaluate.main(None), "rsvlm eval"
    if name == "train":
        import rsvlm.train.__main__ as entry

        monkeypatch.setattr(entry, "main", lambda entry=False: work())  # run passes entry=True (3691ae29)
        return entry.run, "rsvlm train"
    from data_gen.synth import preview

    monkeypatch.setattr(preview, "main", lambda argv: work())
    return lambda: preview.run([]), "python -m data_gen.synth.preview"


@pytest.mark.parametrize("name", ["eval", "train", "preview"])
@pytest.mark.parametrize("closed", ["stdout", "stderr"])
def test_a_failed_run_whose_reader_went_away_is_said_to_have_failed(name, closed, monkeypatch):
    """``rsvlm eval … | head -0`` (and python -m rsvlm.train, the synth preview) that then failed said "the run
    went on to its end": the note says the run failed, with its exit status, which the run keeps."""
    def work():
        print("wrote …")
        print("refused …", file=sys.stderr)
        return 2

    run, who = _entry(name, monkeypatch, work)
    kept, said = one_stream_closed(monkeypatch, closed)
    assert run() == 2
    assert f"{who}: {said} was closed by its reader; the run failed (exit status 2), and what it wrote there " \
           "after that was not shown" in kept.text, kept.text
    assert "went on to its end" not in kept.text
    assert ("run it again with standard error read to see why" in kept.text) == (closed == "stderr")


@pytest.mark.parametrize("name", ["eval", "train", "preview"])
def test_a_run_that_ended_well_still_said_to_have_gone_on(name, monkeypatch):
    def work():
        print("wrote …")
        return 0

    run, who = _entry(name, monkeypatch, work)
    kept, said = one_stream_closed(monkeypatch, "stdout")
    assert run() == 0
    assert f"{who}: {said} was closed by its reader; the run went on to its end" in kept.text, kept.text


def test_the_task_tags_are_a_plain_module_both_read():
    """loc_error imported its table of tags from eval/__main__.py, a command's module."""
    import eval.__main__ as eval_main
    from eval import loc_error, tags

    assert loc_error.TAGS is tags.TAGS is eval_main.TAGS
    assert tags.TAGS["det"] == "detection" and eval_main.script_of("det") == "detection"


@pytest.mark.parametrize("given, said", [("[]", "'[]' names no task"), ("det,[ ]", "'[ ]' names no task")])
def test_loc_error_tasks_of_an_empty_tag_name_what_was_given(given, said, tmp_path, capsys):
    """``--tasks "[]"`` was refused as "unknown task(s) ['']", a name the user never typed."""
    from eval import loc_error

    data = tmp_path / "test.jsonl"
    data.write_text("{}\n")
    with pytest.raises(SystemExit) as stop:
        loc_error.main(["--model", str(tmp_path / "m"), "--data", str(data), "--tasks", given])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert f"--tasks: {said}" in err and "unknown task" not in err and "['']" not in err, err


def test_loc_error_still_points_a_scorer_name_to_its_task(tmp_path, capsys):
    from eval import loc_error

    data = tmp_path / "test.jsonl"
    data.write_text("{}\n")
    with pytest.raises(SystemExit):
        loc_error.main(["--model", str(tmp_path / "m"), "--data", str(data), "--tasks", "detection"])
    assert "'detection' is python -m eval.detection's, whose task is det" in capsys.readouterr().err


def _loaded(overrides):
    from rsvlm.config import load_config
    from rsvlm.train.config import TrainConfig

    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        cfg = load_config(TrainConfig, None, overrides)
    return cfg, [str(w.message) for w in said if issubclass(w.category, UserWarning)]


def test_a_text_override_holding_another_key_is_warned_of():
    """``out_dir=runs/a,max_steps=3`` set out_dir to 'runs/a,max_steps=3' and left max_steps as it was, unsaid."""
    cfg, said = _loaded(["out_dir=runs/a,max_steps=3"])
    assert cfg.out_dir == "runs/a,max_steps=3"  # taken as written, as a text value's comma is its own
    ours = [s for s in said if "override" in s]
    assert len(ours) == 1 and "\n" not in ours[0], said
    assert "out_dir is set to the one text 'runs/a,max_steps=3'" in ours[0]
    assert ours[0].endswith("give one key=value per argument: out_dir=runs/a max_steps=3"), ours[0]


@pytest.mark.parametrize("override", ["out_dir=runs/a,b", "out_dir=runs/a,b=3", "out_dir='runs/a,max_steps=3'",
                                      "out_dir=runs/a"])
def test_a_text_override_whose_comma_names_no_key_is_taken_unsaid(override):
    cfg, said = _loaded([override])
    assert not [s for s in said if "override" in s], said


def test_a_question_that_is_no_utf8_says_how_to_convert_a_file():
    """"set the terminal to UTF-8" was all it said, wrong advice where the questions are piped from a file."""
    from rsvlm.inference import tagged

    with pytest.raises(ValueError) as e:
        tagged("[cls] caf\udce9?")
    said = str(e.value)
    assert said.startswith("the question is not UTF-8 text (byte 0xe9 at byte 9): set the terminal to UTF-8")
    assert "iconv -f latin1 -t utf-8 q.txt" in said


@pytest.mark.parametrize("bands", [[""], [" "], ["", ""]])
def test_an_empty_bands_is_refused(bands):
    """``--bands "$BANDS"`` with BANDS unset was taken as no names, unsaid (``--bands ' '`` was refused)."""
    from rsvlm.inference import image_specs

    images = ["a.tif"] * len(bands) if len(bands) > 1 else ["a.tif"]
    with pytest.raises(ValueError, match=r"--bands '\s*' names no band .*leave --bands out"):
        image_specs(images, None, bands)


def test_a_pairs_empty_side_is_that_images_bands_unnamed():
    from rsvlm.inference import image_specs

    before, after = image_specs(["a.tif", "b.tif"], None, ["VV,VH", ""])
    assert before.bands == ["VV", "VH"] and after.bands is None


def test_predict_refuses_an_empty_bands(geotiff, tmp_path, capsys):
    from rsvlm.cli import main

    assert main(["predict", "--model", str(tmp_path / "none"), "--image", str(geotiff), "--bands", "",
                 "--task", "cls"]) == 2
    assert "rsvlm predict: --bands '' names no band" in capsys.readouterr().err


@pytest.mark.parametrize("options, said", [(["--modality", "sar"], "--modality given without --image"),
                                           (["--bands", "VV"], "--bands given without --image"),
                                           (["--modality", "sar", "--bands", "VV"],
                                            "--modality and --bands given without --image")])
def test_chat_refuses_modality_or_bands_without_an_image(options, said, tmp_path, capsys):
    """``rsvlm chat --modality sar --bands VV`` with no --image loaded the model and dropped both, unsaid: the
    chat's /image took none of them."""
    from rsvlm.cli import main

    assert main(["chat", "--model", str(tmp_path / "none"), *options]) == 2
    err = capsys.readouterr().err
    assert f"rsvlm chat: {said}" in err and "/image scene.tif sar VV,VH" in err, err
