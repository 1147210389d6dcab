"""Review of stop 68, area synth: synth --out named as a records file (the copy named where a scene id is in two
files: test_synth_tour68; a record's task read by tokens.task_name, the rule eval reads a prediction's by:
test_convert_lead68n)."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("name, meant", [("set.jsonl", "set"), ("set.JSON.gz", "set")])
def test_synth_out_named_as_a_records_file_is_refused(name, meant, tmp_path, capsys):
    # --out set.jsonl made a folder named set.jsonl (scenes/, train.jsonl … in it), unsaid
    from data_gen.__main__ import main

    out = tmp_path / name
    assert main(["synth", "--out", str(out), "--n", "1", "--size", "32", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert f"error: output folder {out} is named as a records file" in err
    assert f"give a folder, e.g. {tmp_path / meant}" in err
    assert not out.exists()


def test_synth_out_an_existing_folder_named_so_is_kept(tmp_path):
    # a folder made so earlier (a set there to run again) is no file name mistaken
    from data_gen.synth.run import check_out

    (tmp_path / "set.jsonl").mkdir()
    check_out(tmp_path / "set.jsonl")
