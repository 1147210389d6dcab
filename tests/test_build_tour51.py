"""scripts/build_default_model.py on odd but legitimate use and on bad input (tour 51): a work folder
that cannot be made, ..."""

from __future__ import annotations

import os

import pytest
from script_loader import load_script


@pytest.fixture
def build(monkeypatch):
    b = load_script("build_default_model", monkeypatch)
    ran = []
    monkeypatch.setattr(b, "STAGES", {"one": lambda out, bc, scale: ran.append(scale)})
    b.ran = ran
    return b


def test_an_out_folder_that_cannot_be_made_is_one_usage_line(build, tmp_path, capsys):
    (tmp_path / "file").write_text("")
    bad = [tmp_path / "file" / "sub"]  # under a file: was a NotADirectoryError traceback
    if os.geteuid() != 0:  # root writes anywhere
        (tmp_path / "ro").mkdir(mode=0o500)
        bad.append(tmp_path / "ro" / "out")
    for out in bad:
        with pytest.raises(SystemExit) as e:
            build.main(["--out", str(out), "--only", "one"])
        err = capsys.readouterr().err.strip().splitlines()
        assert e.value.code == 2 and f"--out {out}: cannot make the work folder" in err[-1], err
    assert build.ran == []
