"""Tour 69 of the front door (predict, chat, the command line)."""

from __future__ import annotations

import sys

import pytest

from rsvlm.cli import main


@pytest.mark.parametrize("argv, code", [
    (["--min-objects", "2", "--free-decoding"], 2),  # refused in cli.main, after the parse
    (["--model", " "], 2),
    (["--geojson", "-"], 2),  # refused by predict.main before its streams are guarded
    (["--reg", "1,1,5,5"], SystemExit),  # argparse's usage, printed to a stderr of None: stdout
])
def test_refusals_with_stderr_closed_leave_stdout_empty(argv, code, geotiff, monkeypatch, capsys):
    """``rsvlm predict … --out - 2>&- | jq``: a refusal said before the run (print(file=sys.stderr) with sys.stderr
    None, argparse's usage) went to stdout, where a machine reads JSON or nothing."""
    monkeypatch.setattr(sys, "stderr", None)
    run = ["predict", "--image", str(geotiff), "--task", "det", "--out", "-", *argv]
    if code is SystemExit:
        with pytest.raises(SystemExit) as e:
            main(run)
        assert e.value.code == 2
    else:
        assert main(run) == code
    assert sys.stderr is None  # given back as it was
    monkeypatch.undo()
    assert capsys.readouterr().out == ""


def test_a_region_beside_another_task_s_tag_is_refused_before_the_model(geotiff, tmp_path, capsys):
    """``--prompt '[det] find ships' --region …``: refused as --prompt's [det] with no region, and beside --task
    regcap as two tasks (predict.region_question's own refusal of it could not be reached, and is gone)."""
    base = ["predict", "--model", str(tmp_path / "no-model"), "--image", str(geotiff), "--region", "1,1,5,5",
            "--prompt", "[DET] find ships"]
    assert main(base) == 2
    assert "rsvlm predict: --region is for --task regcap; --prompt's [det] asks about none" in capsys.readouterr().err
    assert main([*base, "--task", "regcap"]) == 2
    err = capsys.readouterr().err
    assert "--task regcap and --prompt's [det] name two tasks" in err and "no-model" not in err, err


def test_out_with_a_geojson_name_is_said_written_only_where_it_will_be(geotiff, tmp_path, capsys):
    """``--out o.geojson`` for a PNG said "note: o.geojson written as GeoJSON", then refused it (no map
    coordinates): nothing was written. The note now follows every check (tour 70: also the model's)."""
    from PIL import Image

    png = tmp_path / "plain.png"
    Image.new("RGB", (32, 32), (90, 120, 60)).save(png)
    out = tmp_path / "o.geojson"
    base = ["predict", "--model", str(tmp_path / "no-model"), "--task", "det", "--out", str(out)]
    assert main([*base, "--image", str(png)]) == 2
    err = capsys.readouterr().err
    assert f"--out {out}: {png} is not georeferenced" in err and "written as GeoJSON" not in err, err
    assert main([*base, "--image", str(geotiff)]) == 2  # refused at the missing model: no note (tour 70)
    err = capsys.readouterr().err
    assert "written as GeoJSON" not in err and "no-model" in err, err
    assert not out.exists()
