"""Tour 60: the CLI's front door: options are not abbreviated, and a typo is said with the option meant."""

from __future__ import annotations

import pytest

from rsvlm.cli import main


@pytest.mark.parametrize("argv, word, meant", [
    (["predict", "--image", "x.png", "--task", "regcap", "--reg", "1,2,3,4"], "--reg", "did you mean --region?"),
    (["predict", "--image", "x.png", "--task", "regcap", "--reg=1,2,3,4"], "--reg", "did you mean --region?"),
    (["chat", "--hist", "0"], "--hist", "did you mean --history?"),
    (["predict", "--image", "x.png", "--task", "det", "--m", "x"], "--m", "did you mean one of --model, --modality"),
])
def test_an_abbreviated_option_is_refused_with_the_option_it_starts(argv, word, meant, capsys):
    """``--reg`` ran as ``--region`` without a word (argparse's allow_abbrev), and ``--m`` was "ambiguous option"."""
    with pytest.raises(SystemExit) as e:
        main(argv)
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert f"unrecognized arguments: {word}" in err
    assert f"{word} is no option; options are not abbreviated: {meant}" in err


def test_a_misspelt_option_is_said_with_the_nearest(capsys):
    with pytest.raises(SystemExit):
        main(["predict", "--image", "x.png", "--task", "regcap", "--regoin", "1,2,3,4"])
    assert "unrecognized arguments: --regoin 1,2,3,4 (--regoin is no option: did you mean --region?)" \
        in capsys.readouterr().err


def test_an_unlike_option_gets_no_guess(capsys):
    with pytest.raises(SystemExit):
        main(["predict", "--image", "x.png", "--task", "det", "--xyz"])
    err = capsys.readouterr().err
    assert "unrecognized arguments: --xyz" in err and "did you mean" not in err


def test_a_required_option_cut_short_is_said_with_the_one_meant(capsys):
    """``eval --dat x`` was "the following arguments are required: --data" alone, the typo unsaid."""
    with pytest.raises(SystemExit):
        main(["eval", "--dat", "d.jsonl", "--out", "p.jsonl"])
    assert "required: --data (--dat is no option; options are not abbreviated: did you mean --data?)" \
        in capsys.readouterr().err


def _predict(model, image, *extra):
    return main(["predict", "--model", str(model), "--image", str(image), "--task", "det", "--device", "cpu", *extra])


def test_a_run_that_fails_on_the_model_leaves_no_empty_output_folders(geotiff, tmp_path, capsys):
    """--out/--geojson/--vis folders were made before the model loaded: a bad --model left them behind, empty."""
    outs = ["--out", tmp_path / "a" / "b" / "r.json", "--geojson", tmp_path / "c" / "g.geojson",
            "--vis", tmp_path / "d" / "o.png"]
    assert _predict(tmp_path / "no-model", geotiff, *map(str, outs)) == 2
    assert "no-model" in capsys.readouterr().err  # it failed on the model, after the output checks
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_an_output_folder_under_a_file_is_refused_before_the_model(geotiff, tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("x")
    assert _predict(tmp_path / "no-model", geotiff, "--out", str(tmp_path / "notes.txt" / "sub" / "r.json")) == 2
    err = capsys.readouterr().err
    assert f"--out {tmp_path}/notes.txt/sub/r.json: cannot make its folder {tmp_path}/notes.txt/sub " \
           f"({tmp_path}/notes.txt is a file)" in err and "no-model" not in err, err


def test_output_folders_are_made_when_the_answer_is_written(ckpt, geotiff, tmp_path, capsys):
    out, geo, vis = tmp_path / "a" / "r.json", tmp_path / "b" / "g.geojson", tmp_path / "c" / "o.png"
    assert _predict(ckpt, geotiff, "--max-new-tokens", "4", "--out", str(out), "--geojson", str(geo),
                    "--vis", str(vis)) == 0
    assert out.is_file() and geo.is_file() and vis.is_file()


def test_the_end_of_options_marker_is_no_typo(capsys):
    """``--`` starts every option: it was offered them all as what was meant."""
    with pytest.raises(SystemExit):
        main(["eval", "--", "--out", "p.jsonl"])
    assert "did you mean" not in capsys.readouterr().err


def test_out_writes_coordinates_without_binary_noise():
    """outputs/quickstart.json (README's first file) read "coords": [44.400000000000006, 13.488000000000001, …]."""
    import json

    import numpy as np

    from rsvlm.predict import jsonable

    got = jsonable({"coords": [44.400000000000006, np.float32(0.1)], "map": np.array([500000.123456, 4e6]),
                    "score": np.float64(0.198316), "n": 3, "cut": False})
    assert json.dumps(got) == ('{"coords": [44.4, 0.1], "map": [500000.123456, 4000000.0], '
                               '"score": 0.198316, "n": 3, "cut": false}')  # float32 0.1 was 0.10000000149


def test_train_config_cut_short_is_said_with_the_option_meant(capsys):
    """``train --conf x.yaml`` became the override conf=x.yaml, and the error was "required: --config" alone."""
    with pytest.raises(SystemExit):
        main(["train", "--conf", "x.yaml"])
    assert "required: --config (--conf is no option; options are not abbreviated: did you mean --config?)" \
        in capsys.readouterr().err
