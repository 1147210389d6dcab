"""Tour 61 of the front door: docs/cli.md split (its image-reading part is docs/readers.md), every option
``rsvlm CMD --help`` lists is documented, words after ``--``, ``--region`` given twice, and an output path
through a folder that does not exist."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from rsvlm.cli import build_parser, main

REPO = Path(__file__).resolve().parents[1]


def _subparsers() -> dict[str, argparse.ArgumentParser]:
    return next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)).choices


def test_the_reading_docs_have_a_page_of_their_own_that_cli_md_and_readme_link():
    """docs/cli.md was 499 lines; its "Reading images" part is docs/readers.md, and the heading other pages
    cite stays in cli.md, pointing there."""
    cli, readers = (REPO / "docs" / "cli.md").read_text(), (REPO / "docs" / "readers.md").read_text()
    readme = (REPO / "README.md").read_text()
    assert len(cli.splitlines()) < 420
    assert "## Reading images\n" in cli and "](readers.md)" in cli and "](docs/readers.md)" in readme
    assert "### From the file's bands to the model's" not in cli and "## From the file's bands to the model's" in readers
    assert "`--missing-bands copy` (default) or `mean` allows the rest" in readers


def test_every_option_the_help_lists_is_in_the_readme_and_the_docs():
    """``chat --temperature`` was in ``--help`` and README's list but no doc said what it does."""
    readme = (REPO / "README.md").read_text()
    block = readme.split("## Command line", 1)[1].split("```")[1]
    docs = "".join(p.read_text() for p in [*sorted((REPO / "docs").glob("*.md")),
                                           *sorted((REPO / "docs" / "benchmarks").glob("*.md")),
                                           *sorted((REPO / "docs" / "default-model").glob("*.md"))])
    missing = []
    for name, parser in _subparsers().items():
        for option in (o for a in parser._actions for o in a.option_strings if o not in ("-h", "--help")):
            for where, text in (("README.md's Command line", block), ("docs/", docs)):
                if not re.search(rf"{re.escape(option)}(?![\w-])", text):
                    missing.append(f"{name} {option}: not in {where}")
    assert not missing, missing


def _usage_error(argv, capsys) -> str:
    with pytest.raises(SystemExit) as e:
        main(argv)
    assert e.value.code == 2
    return capsys.readouterr().err.strip().splitlines()[-1]


def test_an_option_after_the_end_of_options_is_said_to_go_before_it(capsys):
    """``predict … -- --tile 256`` said "(--tile is no option; options are not abbreviated: did you mean --tile?)
    (--tile?) is no option: did you mean --tile?)": a hint on the option itself, then one on the hint's words."""
    err = _usage_error(["predict", "--image", "a.png", "--task", "cls", "--", "--tile", "256"], capsys)
    assert err == ("rsvlm predict: error: unrecognized arguments: -- --tile 256 ('--' ends the options, and rsvlm "
                   "predict takes no other words: put --tile before '--', or leave '--' out)"), err


def test_a_question_starting_with_a_dash_is_said_as_prompt(capsys):
    err = _usage_error(["predict", "--image", "a.png", "--task", "vqa", "--", "-what is this?"], capsys)
    assert err.endswith("the question is --prompt's, even one starting with '-': '--prompt=-what is this?')"), err
    args = build_parser().parse_args(["predict", "--image", "a.png", "--task", "vqa", "--prompt=-what is this?"])
    assert args.prompt == "-what is this?"


def test_chat_says_a_question_is_typed_not_given_after_the_end_of_options(capsys):
    err = _usage_error(["chat", "--", "-what"], capsys)
    assert "a question is typed in the chat or piped in" in err and "echo -what | rsvlm chat" in err, err


def test_a_typo_before_the_end_of_options_is_still_named(capsys):
    err = _usage_error(["predict", "--image", "a.png", "--task", "cls", "--tiel", "3", "--", "--tile", "4"], capsys)
    assert "(--tiel is no option: did you mean --tile?)" in err and err.count("did you mean") == 1, err


def test_region_given_twice_is_refused_naming_both(capsys):
    """``--region 0,0,10,10 --region 5,5,50,50`` answered about the second region alone, without a word."""
    err = _usage_error(["predict", "--image", "a.png", "--task", "regcap", "--region", "0,0,10,10",
                        "--region", "5,5,50.5,50"], capsys)
    assert "argument --region: given twice (0,0,10,10 and 5,5,50.5,50); a run asks about one region" in err, err


def test_region_given_twice_alike_is_taken():
    args = build_parser().parse_args(["predict", "--image", "a.png", "--task", "regcap", "--region", "1,2,3,4",
                                      "--region=1,2,3,4"])
    assert args.region == [1.0, 2.0, 3.0, 4.0]


def test_predict_refuses_an_output_path_back_out_of_a_missing_folder(tmp_path, capsys):
    """``--out missing/../x.json`` made the folder ``missing`` (mkdir -p) and wrote x.json beside it, where the
    system refuses the path (``echo > missing/../x.json``: No such file or directory)."""
    sample = REPO / "rsvlm" / "assets" / "samples" / "harbour_optical.png"
    for option in ("--out", "--geojson", "--vis"):
        out = tmp_path / "missing" / ".." / ("x.png" if option == "--vis" else "x.json")
        assert main(["predict", "--image", str(sample), "--task", "cls", option, str(out)]) == 2
        err = capsys.readouterr().err.strip().splitlines()[-1]
        assert err == (f"rsvlm predict: {option} {out}: the path goes back out of {tmp_path / 'missing'} ('..'), which "
                       f"does not exist, so the system refuses it; give {tmp_path / out.name} if that is the file "
                       "meant"), err
        assert not list(tmp_path.iterdir())
    (tmp_path / "there").mkdir()  # through a folder that is there, '..' is the system's to follow
    from rsvlm.out_paths import through_missing

    assert through_missing(tmp_path / "there" / ".." / "x.json") is None and through_missing("../x.json") is None


def test_chat_refuses_a_write_back_out_of_a_missing_folder(ckpt, geotiff, tmp_path):
    from test_chat_tour58 import repl_with_answer

    repl, out = repl_with_answer(ckpt, geotiff)
    for cmd, name in (("/vis", "o.png"), ("/geojson", "o.geojson")):
        out.seek(0), out.truncate()
        assert repl.handle(f"{cmd} {tmp_path / 'gone' / '..' / name}")
        assert out.getvalue().startswith(f"error: {cmd} {tmp_path / 'gone' / '..' / name}: the path goes back out of "
                                         f"{tmp_path / 'gone'} ('..'), which does not exist"), out.getvalue()
    assert not list(tmp_path.iterdir())


def test_eval_refuses_an_out_back_out_of_a_missing_folder(tmp_path):
    """``rsvlm eval --out gone/../p.jsonl`` made the folder ``gone`` and wrote p.jsonl beside it."""
    from rsvlm.predictions import check_out

    out = tmp_path / "gone" / ".." / "p.jsonl"
    why = check_out(tmp_path / "test.jsonl", out)
    assert why == (f"--out {out}: the path goes back out of {tmp_path / 'gone'} ('..'), which does not exist, so the "
                   f"system refuses it; give {tmp_path / 'p.jsonl'} if that is the file meant"), why
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("argv, want", [
    (["eval", "--data", "d", "--out", "o", "--", "--limit", "3"], "put --limit before '--', or leave '--' out)"),
    (["merge-lora", "--model", "a", "--out", "b", "--", "-x"], "a value starting with '-' is given joined to its option, e.g. --out=-x)"),
])
def test_other_commands_say_what_follows_the_end_of_options_too(argv, want, capsys):
    err = _usage_error(argv, capsys)
    assert f"('--' ends the options, and rsvlm {argv[0]} takes no other words: {want}" in err, err


def test_out_dash_writes_the_json_to_stdout_alone(tmp_path, capsys, monkeypatch):
    """``--out -`` wrote a file named '-' in the working folder; a pipe (``… --out - | jq``) got the answer's
    table. Now stdout is the JSON alone, and the answer goes to stderr."""
    import json

    monkeypatch.chdir(tmp_path)
    sample = REPO / "rsvlm" / "assets" / "samples" / "harbour_optical.png"
    assert main(["predict", "--image", str(sample), "--task", "cls", "--max-new-tokens", "4", "--out", "-"]) == 0
    out, err = capsys.readouterr()
    result = json.loads(out)
    assert result["task"] == "cls" and result["answer"] and f"{result['answer']}\n" in err, (out, err)
    assert "wrote the JSON to stdout" in err and not list(tmp_path.iterdir())
    assert main(["predict", "--image", str(sample), "--task", "det", "--out", "-", "--geojson", "-"]) == 2
    assert "--out - and --geojson - both ask for stdout" in capsys.readouterr().err


def test_eval_refuses_out_dash_which_made_a_file_named_dash(tmp_path):
    from rsvlm.predictions import check_out

    assert check_out(tmp_path / "test.jsonl", Path("-")).startswith("--out -: rsvlm eval writes a predictions file")


@pytest.mark.parametrize("command", [["chat"], ["predict", "--image", "a.png", "--task", "cls"],
                                     ["eval", "--data", "d", "--out", "o"]])
def test_device_is_taken_in_any_case_and_an_empty_one_refused(command, capsys):
    """``--device CPU`` was "not a device" (``--modality SAR`` is taken); ``--device ""`` ran on the default."""
    assert build_parser().parse_args([*command, "--device", "CPU"]).device == "cpu"
    assert build_parser().parse_args([*command, "--device", "Cuda:1"]).device == "cuda:1"
    err = _usage_error([*command, "--device", ""], capsys)
    assert err.endswith("argument --device: empty; give cpu, cuda or cuda:N, or leave --device out (cuda if "
                        "available)"), err


def test_device_gpu_is_answered_with_cuda():
    from rsvlm.inference import check_device

    with pytest.raises(ValueError, match=r"--device 'gpu' is not a device \(did you mean cuda\?\)"):
        check_device("gpu")


@pytest.mark.parametrize("argv, loose", [
    (["predict", "scene.tif", "--task", "det"], "scene.tif"),
    (["predict", "--task", "det", "my scene.png", "--", "--tile", "256"], "my scene.png"),
    (["predict", "--det-by-class", "a.tif"], "a.tif"),
])
def test_an_image_given_without_image_is_said_so(argv, loose, capsys):
    """``rsvlm predict scene.tif --task det`` said only "the following arguments are required: --image"."""
    from shlex import quote

    err = _usage_error(argv, capsys)
    assert err.endswith(f"({loose}: an image is given as --image {quote(loose)})"), err


def test_an_option_value_is_not_taken_for_a_loose_image(capsys):
    err = _usage_error(["predict", "--task", "det", "--prompt", "x.png"], capsys)
    assert err.endswith("the following arguments are required: --image"), err


@pytest.mark.parametrize("region, warned", [([0.1, 0.1, 0.5, 0.5], True), ([0, 0, 1, 1], True),
                                             ([0, 0, 2, 2], False), ([10, 10, 40, 40], False)])
def test_a_region_in_fractions_is_said_to_be_in_pixels(region, warned):
    """``--region 0.1,0.1,0.5,0.5`` (fractions of the image, as some tools take them) was asked as a box
    inside the top-left pixel without a word."""
    import types

    import numpy as np

    from rsvlm.io import RSImage
    from rsvlm.predict import Said, asked_question

    args = types.SimpleNamespace(task="regcap", prompt=None, region=region, tile=None, min_objects=0,
                                 det_by_class=False)
    said = Said()
    asked_question(args, RSImage(np.zeros((3, 96, 96), np.float32), "optical", ["R", "G", "B"], path="x.png"), said)
    hit = [line for line in said.lines if "is in pixels" in line]
    assert bool(hit) == warned, said.lines
    if warned:
        assert hit[0].endswith("it lies within the top-left pixel of the 96x96 image; for fractions of the image, "
                               "multiply them by its width and height"), hit


def test_an_image_after_the_end_of_options_is_not_offered_as_the_prompt(capsys):
    sample = str(REPO / "rsvlm" / "assets" / "samples" / "harbour_optical.png")
    err = _usage_error(["predict", "--image", sample, "--task", "det", "--", sample], capsys)
    assert "an image is given as --image PATH before '--')" in err and "--prompt=" not in err, err
