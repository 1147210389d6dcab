"""The probes in scripts/ as a user meets them: unreadable records are counted and named, and bad
arguments are one line before the model is loaded."""

from __future__ import annotations

import json

import pytest
from script_loader import load_script
from test_probe_pointer_cells import ground_records


def test_pointer_probe_counts_the_records_it_could_not_score(tmp_path, monkeypatch, ckpt, capsys):
    probe = load_script("probe_pointer_cells", monkeypatch)
    data = ground_records(tmp_path)
    rows = data.read_text().splitlines()
    first = json.loads(rows[0])
    first["images"][0]["path"] = "images/gone.png"
    data.write_text("{not json\n" + "\n".join([json.dumps(first), *rows[1:]]) + "\n")
    assert probe.main(["--model", str(ckpt), "--data", str(data), "--out", str(tmp_path / "r.json")]) == 0
    res = json.loads((tmp_path / "r.json").read_text())
    assert res["n"] == 12 and sum(res["skipped"].values()) == 2  # was: 12 of 16 coordinates, nothing said
    assert "2 record(s) not scored (" in capsys.readouterr().err


@pytest.mark.parametrize("args, says", [
    (["--limit", "0"], "--limit 0: give 1 or more"),  # 0 meant every record
    (["--limit", "-1"], "--limit -1: give 1 or more"),  # was: a ValueError traceback after loading the model
    (["--out", "{tmp}"], "--out {tmp}: give a file in an existing folder"),  # was: IsADirectoryError after the work
    (["--out", "{tmp}/no/r.json"], "--out {tmp}/no/r.json: give a file in an existing folder"),
])
def test_pointer_probe_refuses_bad_arguments_before_loading(tmp_path, monkeypatch, capsys, args, says):
    probe = load_script("probe_pointer_cells", monkeypatch)
    monkeypatch.setattr("rsvlm.inference.load_model", lambda *a, **k: pytest.fail("loaded the model"))
    data = ground_records(tmp_path)
    with pytest.raises(SystemExit) as e:
        probe.main(["--data", str(data), *[a.format(tmp=tmp_path) for a in args]])
    assert e.value.code == 2 and says.format(tmp=tmp_path) in capsys.readouterr().err


def test_pointer_probe_names_a_folder_that_is_not_a_checkpoint(tmp_path, monkeypatch, capsys):
    probe = load_script("probe_pointer_cells", monkeypatch)
    assert probe.main(["--model", str(tmp_path), "--data", str(ground_records(tmp_path))]) == 1
    err = capsys.readouterr().err.strip().splitlines()  # was: a FileNotFoundError traceback
    assert err == [f"error: {tmp_path}: not an rsvlm checkpoint (no config.yaml)"]
