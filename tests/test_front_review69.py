"""Review of the front door's tour 69: a failed run whose reader went away is not said to have gone on to its end."""

from __future__ import annotations

import sys

import pytest
from conftest import one_stream_closed, stubbed_command

from rsvlm.cli import main


@pytest.mark.parametrize("command", ["train", "merge-lora", "convert-llava"])
@pytest.mark.parametrize("closed", ["stdout", "stderr"])
def test_a_failed_run_whose_reader_went_away_is_said_to_have_failed(command, closed, tmp_path, monkeypatch):
    """``rsvlm merge-lora … | head -0`` that then failed said "the run went on to its end"."""
    def work(*a, **k):
        print("loading …")
        print("loading …", file=sys.stderr)
        return 2

    argv = stubbed_command(monkeypatch, tmp_path, command, work)
    kept, said = one_stream_closed(monkeypatch, closed)
    assert main(argv) == 2  # the run's own status, as before
    assert f"rsvlm {command}: {said} was closed by its reader; the run failed (exit status 2), and what it " \
           "wrote there after that was not shown" in kept.text, kept.text
    assert "went on to its end" not in kept.text
    assert ("run it again with standard error read to see why" in kept.text) == (closed == "stderr")


@pytest.mark.parametrize("status, end", [(0, "went on to its end"), (None, "went on to its end"),
                                         (130, "was stopped (Ctrl-C)"), (1, "failed (exit status 1)")])
def test_how_the_run_ended_is_said_as_its_status(status, end, tmp_path, monkeypatch):
    def work(*a, **k):
        print("wrote …")
        return status

    argv = stubbed_command(monkeypatch, tmp_path, "convert-llava", work)
    kept, _ = one_stream_closed(monkeypatch, "stdout")
    assert main(argv) == (status or 0)
    assert f"rsvlm convert-llava: standard output was closed by its reader; the run {end}, and" in kept.text, kept.text


def test_a_stdout_closed_before_a_failed_run_is_said_with_its_failure(capsys):
    from rsvlm.closed_pipes import say_lost

    say_lost("rsvlm train", {"stdout"}, frozenset({"stdout"}), 2)
    assert capsys.readouterr().err == ("rsvlm train: standard output was closed before the run (>&-); the run failed "
                                       "(exit status 2), and what it wrote there was not shown\n")


def test_predict_whose_reader_went_away_says_it_failed(geotiff, tmp_path, monkeypatch):
    """``rsvlm predict … --out r.json | head -0`` refused after its first note: was "went on to its end"."""
    kept, _ = one_stream_closed(monkeypatch, "stdout")
    argv = ["predict", "--model", str(tmp_path / "no-model"), "--image", str(geotiff), "--task", "det",
            "--out", str(tmp_path / "r.json"), "--overlap", "3"]  # --overlap without --tile: a warning first

    def noted(*a, **k):  # a line on stdout, which has lost its reader
        print("loading …")
        raise FileNotFoundError("no-model: no such checkpoint")

    import rsvlm.inference as inf

    monkeypatch.setattr(inf, "load_model", noted)
    assert main(argv) == 2
    assert "rsvlm predict: standard output was closed by its reader; the run failed (exit status 2)" in kept.text, \
        kept.text


def test_out_with_a_geojson_name_is_named_as_typed_where_it_cannot_be_written(geotiff, tmp_path, capsys):
    """``--out d.geojson`` (a folder) said "--geojson d.geojson is a folder", an option not typed: since tour 69 the
    note "written as GeoJSON (--geojson)" no longer comes first to say why."""
    folder = tmp_path / "d.geojson"
    folder.mkdir()
    base = ["predict", "--model", str(tmp_path / "no-model"), "--image", str(geotiff), "--task", "det"]
    assert main([*base, "--out", str(folder)]) == 2
    assert f"rsvlm predict: --out {folder} is a folder; give a file name" in capsys.readouterr().err
    same = tmp_path / "x.geojson"
    assert main([*base, "--out", str(same), "--vis", str(same)]) == 2
    err = capsys.readouterr().err
    assert f"--out and --vis name the same file {same}" in err and "--geojson" not in err, err


@pytest.mark.parametrize(("argv", "value"), [
    (["chat", "--temperature"], "nan"), (["chat", "--temperature"], "inf"), (["chat", "--temperature"], "-inf"),
    (["predict", "--image", "a.tif", "--task", "det", "--min-score"], "nan"),
    (["predict", "--image", "a.tif", "--task", "det", "--min-score"], "inf"),
    (["predict", "--image", "a.tif", "--task", "det", "--region"], "nan,0,5,5"),
    (["predict", "--image", "a.tif", "--task", "det", "--region"], "0,0,inf,5")])
def test_a_numeric_option_of_nan_or_inf_is_told_to_be_finite(argv, value, capsys):
    """``rsvlm chat --temperature nan`` said "must be at least 0, got nan" (a NaN fails every comparison), and
    ``--region nan,0,5,5`` "X1 < X2": neither said what was wrong with the value."""
    from rsvlm.cli import build_parser

    *argv, option = argv
    with pytest.raises(SystemExit) as e:
        build_parser().parse_args([*argv, f"{option}={value}"])  # =: "-inf" is no option
    err = capsys.readouterr().err
    assert e.value.code == 2 and f"argument {option}: expected a finite number" in err and value in err, err
