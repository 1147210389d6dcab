"""Review of stop 69's bench changes: the count assay's scenes, and --keep refused before the model loads."""

from __future__ import annotations

import pytest
from test_bench_args import bench_main
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


def test_keep_is_refused_before_the_model_loads(tmp_path, monkeypatch, capsys):
    """'Before any work': a kept folder of an earlier run is refused before the bundled model is loaded."""
    from rsvlm import inference

    def no_load(*a, **k):
        raise AssertionError("the model was loaded before --keep was checked")

    monkeypatch.setattr(inference, "load_model", no_load)
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "pred-False-0.jsonl").write_text("{}\n")
    (tmp_path / "d.jsonl").write_text("")
    data = ["--data", str(tmp_path / "d.jsonl")]
    for name, extra in [("tta", data), ("det_decoding", data), ("constrained_decoding", [])]:
        with pytest.raises(SystemExit) as e:
            bench_main(name, monkeypatch, [*extra, "--keep", str(tmp_path / "old")])
        assert e.value.code == 2 and "not empty" in capsys.readouterr().err, name
