"""Tour 60b: every command line (data_gen, eval, scripts, bench) refuses an abbreviated option as ``rsvlm``
does, naming the option meant; and the front door's follow-ups (tiled window shape notes, --tile errors)."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
ABBREV = "options are not abbreviated: did you mean"


def _refused(call, capsys) -> str:
    with pytest.raises(SystemExit) as e:
        call()
    assert e.value.code == 2
    return capsys.readouterr().err


def test_eval_scorer_refuses_abbreviations(capsys):
    """``python -m eval.classification --g … --pre …`` ran as --gt/--pred without a word."""
    from eval import classification

    err = _refused(lambda: classification.main(["--g", "gt.jsonl", "--pre", "p.jsonl"]), capsys)
    assert f"--g is no option; {ABBREV} --gt?" in err and f"--pre is no option; {ABBREV} --pred?" in err


def test_eval_report_refuses_abbreviation_with_its_usage(capsys, tmp_path):
    from eval import report

    err = _refused(lambda: report.main(["--di", str(tmp_path)]), capsys)
    assert "python -m eval.report" in err and f"--di is no option; {ABBREV} --dir?" in err


def test_data_gen_synth_refuses_abbreviation(capsys, tmp_path):
    from data_gen.__main__ import synth_main

    err = _refused(lambda: synth_main(["--ou", str(tmp_path), "--n", "1"]), capsys)
    assert f"--ou is no option; {ABBREV} --out?" in err


def test_data_gen_convert_says_a_stray_option_with_the_format_usage(capsys, tmp_path):
    """The format's own option, cut short after the required ones: refused by the format's parser, which
    knows it (the top parser, which argparse has say "unrecognized", does not)."""
    from data_gen.convert import convert

    err = _refused(lambda: convert(["dota", "--src", str(tmp_path), "--out", str(tmp_path / "o"), "--no-groun"]),
                   capsys)
    assert "usage: python -m data_gen convert dota" in err
    assert f"--no-groun is no option; {ABBREV} --no-ground?" in err


def test_a_script_refuses_abbreviation(capsys, tmp_path):
    spec = importlib.util.spec_from_file_location("average_checkpoints", REPO / "scripts/average_checkpoints.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    err = _refused(lambda: module.main(["a", "b", "--ou", str(tmp_path)]), capsys)
    assert f"--ou is no option; {ABBREV} --out?" in err


def test_a_bench_script_refuses_abbreviation():
    """Run as users run it (``python bench/tiling.py``): the words come from sys.argv."""
    r = subprocess.run([sys.executable, "bench/tiling.py", "--til", "64"], cwd=REPO, capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 2, r.stderr
    assert "unrecognized arguments: --til 64" in r.stderr and "--til is no option" in r.stderr
    assert "did you mean" in r.stderr and "--tile" in r.stderr


def test_no_command_line_builds_a_bare_argparse_parser():
    """Each entry point outside rsvlm/cli.py uses rsvlm.argparsing.Parser (a bare one abbreviates silently)."""
    bare = []
    for folder in ("data_gen", "eval", "scripts", "bench", "rsvlm"):
        for path in sorted((REPO / folder).rglob("*.py")):
            rel = path.relative_to(REPO).as_posix()
            if re.search(r"\bargparse\.ArgumentParser\(", path.read_text(encoding="utf-8")):
                bare.append(rel)
    assert not bare, f"bare argparse.ArgumentParser in {bare}: use rsvlm.argparsing.Parser"


def test_parser_module_is_torch_free():
    code = "import sys, rsvlm.argparsing, eval.common; print('torch' in sys.modules)"
    r = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert r.stdout.strip() == "False", r.stderr


def test_a_window_thinner_than_the_tile_is_said_stretched():
    """``--tile 96`` on a 300x1 strip ran 96x1 windows, each stretched 96x in height, without a word (an
    untiled strip gets inference.size_note's "longer one way" note)."""
    from rsvlm.predict import Said
    from rsvlm.predict_tiles import window_notes

    said = Said()
    window_notes(96, (300, 1), 96, "strip.png", said)
    assert said.lines == ["[strip.png] --tile 96: each window is 96x1 px, 96x longer one way than the other, "
                          "squashed to the model's square 96 px input: shapes in it are distorted"]
    window_notes(96, (5, 300), 96, "s.png", said, resize="pad")  # the stem's resize is said as size_note says it
    assert "each window is 5x96 px, 19x longer one way than the other, padded to" in said.lines[-1]
    n = len(said.lines)
    window_notes(96, (1000, 30), 96, "x.png", said)  # 96x30: 3.2x, left alone as size_note leaves it
    window_notes(96, (1000, 1000), 96, "x.png", said)
    assert len(said.lines) == n


@pytest.mark.parametrize("extra, got", [
    (["--tile", "-5"], "got --tile -5\n"),  # was "got -5 and -2": -2, the default overlap, was never given
    (["--tile", "64", "--overlap", "64"], "got --tile 64 and --overlap 64\n"),
])
def test_a_bad_tile_names_only_what_was_given(tmp_path, capsys, extra, got):
    from PIL import Image

    from rsvlm.cli import main

    Image.new("RGB", (32, 32)).save(tmp_path / "x.png")
    code = main(["predict", "--model", str(tmp_path / "no-model"), "--image", str(tmp_path / "x.png"),
                 "--task", "det", "--device", "cpu", *extra])
    assert code == 2
    assert capsys.readouterr().err.endswith(f"rsvlm predict: --tile must be > 0 and 0 <= --overlap < --tile; {got}")


def test_resume_and_seam_notes_point_where_they_are_said():
    """``rsvlm eval --help`` sent resuming to docs/eval.md, which moved it to docs/eval-run.md; cli.md said
    pieces cut at a seam "are joined there", not that they must share a border along it."""
    from rsvlm.cli import build_parser

    described = " ".join(build_parser().commands["eval"].description.split())
    assert "resumed, its answered records kept (docs/eval-run.md)" in described
    cli_md = " ".join((REPO / "docs" / "cli.md").read_text().split())
    assert "counts them on stderr at the end (docs/eval-run.md)" in cli_md
    assert "cut at a seam are joined there, where they share a border along it" in cli_md  # its rules: review61
    assert "resuming" in (REPO / "docs" / "eval-run.md").read_text().lower()


def test_the_trainer_entry_refuses_an_abbreviated_config_with_the_option_meant(capsys):
    """torchrun starts rsvlm.train.main, whose bare argparse took --conf as --config without a word."""
    from rsvlm.train import main

    with pytest.raises(SystemExit) as e:
        main(["--conf", "x.yaml"])
    err = capsys.readouterr().err
    assert e.value.code == 2 and "--conf is no option" in err and "--config" in err, err
