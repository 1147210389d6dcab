"""Review of the scripts tour 67: a --data folder named as one, the pointer probe's --image-root hint, the build's
--out refusal naming where --ship copies."""

from __future__ import annotations

import shutil

import pytest
from test_bench_args import bench_main


@pytest.mark.parametrize("name", ["tta", "det_decoding", "missing_bands"])
def test_model_benches_call_a_data_folder_a_folder(tmp_path, monkeypatch, capsys, name):
    """`--data runs/test9001` (the set's folder, not its test.jsonl) was refused as 'no such file', though it is
    there: the message now says it is a folder and names the JSONL files in it."""
    (tmp_path / "set").mkdir()
    (tmp_path / "set" / "test.jsonl").write_text("")
    with pytest.raises(SystemExit) as e:
        bench_main(name, monkeypatch, ["--data", str(tmp_path / "set")])
    err = capsys.readouterr().err
    assert e.value.code == 2, err
    assert f"--data {tmp_path / 'set'}: is a folder; give the JSONL file of its records (it holds test.jsonl)" in err
    assert "no such file" not in err


def test_pointer_probe_names_the_image_root_a_missing_image_was_read_against(tmp_path, monkeypatch, capsys, ckpt):
    """The 'no coordinate' error ended '(--image-root?)' for any unread record; it now says which folder relative
    image paths were read against, as probe_sensor_word does."""
    from script_loader import load_script
    from test_probe_pointer_cells import ground_records

    probe = load_script("probe_pointer_cells", monkeypatch)
    data = ground_records(tmp_path)
    shutil.rmtree(tmp_path / "images")
    assert probe.main(["--model", str(ckpt), "--data", str(data)]) == 1
    err = capsys.readouterr().err
    assert f"; relative image paths are read against --image-root {tmp_path}" in err and "(--image-root?)" not in err


def test_build_refusal_says_where_ship_copies(tmp_path, monkeypatch, capsys):
    """'e.g. runs/default_model (--ship copies the result there)' read as --ship copying into runs/default_model."""
    from script_loader import load_script

    b = load_script("build_default_model", monkeypatch)
    monkeypatch.setattr(b, "ROOT", tmp_path)  # a stand-in repository: the real package is never written
    (tmp_path / "rsvlm/assets/default_model").mkdir(parents=True)
    monkeypatch.setattr(b, "run_build", lambda *a: pytest.fail("the build ran"))
    with pytest.raises(SystemExit) as e:
        b.main(["--out", str(tmp_path / "rsvlm/assets/default_model"), "--only", "data"])
    err = capsys.readouterr().err
    assert e.value.code == 2 and "(--ship then copies its final model into rsvlm/assets/default_model)" in err, err
