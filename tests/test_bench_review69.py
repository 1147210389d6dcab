"""Review of stop 69's bench changes: the count assay's scenes (--keep refused before the model loads is in
test_bench_tour69.py)."""

from __future__ import annotations

from test_bench_tour51 import bench_module


def test_count_assay_scenes_ask_one_record_each_and_say_nothing_missing(tmp_path, monkeypatch, capsys):
    """count_assay asked two records of scenes of one task: the same records were made as with one (a scene is
    asked each task once), and stderr said 'train: 40 of the 80 records asked of 40 scenes were made', half
    of the training set seemingly lost."""
    count_assay = bench_module("count_assay", monkeypatch)
    path = count_assay.make_scenes(tmp_path / "train", 3, 202)
    assert len(path.read_text().splitlines()) == 3
    err = capsys.readouterr().err
    assert "were made" not in err, err
