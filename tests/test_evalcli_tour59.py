"""rsvlm eval's --data checks before the model loads (stop 59)."""

from rsvlm.cli import main


def test_eval_data_that_is_a_folder_is_said_to_be_one(tmp_path, capsys):
    """A folder given as --data was "records file not found", for a folder that is there."""
    (tmp_path / "test.jsonl").write_text("")
    rc = main(["eval", "--model", str(tmp_path / "no_model"), "--data", str(tmp_path), "--out", str(tmp_path / "p.jsonl")])
    err = capsys.readouterr().err
    assert rc == 2
    assert "is a folder" in err and "test.jsonl" in err and "not found" not in err


def test_eval_data_that_is_missing_is_said_so(tmp_path, capsys):
    rc = main(["eval", "--model", str(tmp_path), "--data", str(tmp_path / "nope.jsonl"), "--out", str(tmp_path / "p.jsonl")])
    assert rc == 2 and f"records file not found: {tmp_path / 'nope.jsonl'}" in capsys.readouterr().err
