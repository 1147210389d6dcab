"""scripts/make_samples.py: bad numbers and outputs are one usage line, and too few scenes is one
error line that leaves no empty output folder behind."""

from __future__ import annotations

import pytest
from script_loader import load_script


@pytest.mark.parametrize("args, says", [
    (["--n", "0"], "give --n 1 or more"),  # was: synthesize's ValueError traceback
    (["--seed", "-1"], "--seed 0 or more"),
    (["--out", "{tmp}/file"], "--out {tmp}/file: is a file"),  # was: mkdir's FileExistsError traceback
])
def test_bad_arguments_are_one_usage_line(tmp_path, monkeypatch, capsys, args, says):
    samples = load_script("make_samples", monkeypatch)
    (tmp_path / "file").write_text("")
    args = [a.format(tmp=tmp_path) for a in args]
    with pytest.raises(SystemExit) as e:
        samples.main(["--out", str(tmp_path / "out"), *args])
    assert e.value.code == 2 and says.format(tmp=tmp_path) in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_too_few_scenes_is_one_line_and_writes_nothing(tmp_path, monkeypatch):
    samples = load_script("make_samples", monkeypatch)
    with pytest.raises(SystemExit) as e:  # was: pick_scenes' ValueError traceback, after making --out
        samples.main(["--out", str(tmp_path / "out"), "--n", "1"])
    assert str(e.value.code).startswith("error: no scene of") and "--n" in e.value.code
    assert not (tmp_path / "out").exists()
