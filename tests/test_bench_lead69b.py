"""Stop 69, bench follow-ups: an empty kept folder is said to be empty (--keep's refusal, in words that fit every
bench, is tested in test_bench_tour69.py); missing_bands says why an image is left out (a VV-only one has no
every-band baseline; the stem takes it with a fill)."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from test_bench_args import bench_main
from test_bench_tour51 import bench_module, sar_records


def test_an_empty_kept_folder_is_said_to_be_empty_and_a_removed_one_is_not_offered(tmp_path, monkeypatch, capsys):
    """missing_bands on data whose every record was left out said 'the records and predictions are kept in DIR' of
    an empty folder, and without --keep that they 'were in /tmp/…, now removed; --keep DIR keeps them'."""
    common = bench_module("common", monkeypatch)
    (tmp_path / "kept").mkdir()
    (tmp_path / "full").mkdir()  # as check_keep leaves them
    with common.work_dir(tmp_path / "kept", "missing_bands"):
        pass
    with common.work_dir(None, "missing_bands"):
        pass
    err = capsys.readouterr().err
    assert err == f"missing_bands: no record was answered, so {tmp_path / 'kept'} is left empty\n"
    with common.work_dir(tmp_path / "full", "tta") as keep:
        (keep / "none.jsonl").write_text("{}\n")
    with common.work_dir(None, "tta") as tmp:
        (tmp / "none.jsonl").write_text("{}\n")
    err = capsys.readouterr().err
    assert f"tta: the records and predictions are kept in {tmp_path / 'full'}\n" in err
    assert f"were in {tmp}, now removed; --keep DIR keeps them" in err and not tmp.exists()


def test_missing_bands_says_its_kept_folder_is_empty_when_every_record_is_left_out(tmp_path, monkeypatch, capsys,
                                                                                  ckpt):
    data, keep = sar_records(tmp_path, [["VV"]]), tmp_path / "kept"
    with pytest.raises(SystemExit) as e:
        bench_main("missing_bands", monkeypatch, ["--data", str(data), "--model", str(ckpt), "--keep", str(keep)])
    err = capsys.readouterr().err
    assert "nothing to score" in str(e.value.code) and not any(keep.iterdir())
    assert f"no record was answered, so {keep} is left empty" in err and "kept in" not in err


def test_missing_bands_says_a_vv_only_image_lacks_a_band_not_that_the_stem_cannot_take_it(tmp_path, monkeypatch):
    """A VV-only image was left out as 'bands the model's stem cannot take': the stem takes it with a fill (the
    point of the bench); it is left out for want of a baseline. An image of none of the stem's bands is one the stem
    cannot take, even filled."""
    from rsvlm.model.stem import StemConfig

    mb = bench_module("missing_bands", monkeypatch)
    data = sar_records(tmp_path, [["VV", "VH"], ["VV"], ["B02"], None])
    records = [json.loads(line) for line in data.read_text().splitlines()]
    stem = StemConfig(modality="sar", bands=["VV", "VH"], mean=[0.0, 0.0], std=[1.0, 1.0])
    kept, why, examples = mb.usable(records, tmp_path, stem, "reading")
    assert [r["id"] for r in kept] == ["sar0"]
    assert why == Counter({"image without a band of the stem (no every-band baseline)": 1,
                           "image with bands the model's stem cannot take": 1, "unreadable image": 1})
    assert examples[0].startswith("sar1: ") and "missing ['VH']" in examples[0]
    assert examples[1].startswith("sar2: ") and "none of the bands ['B02']" in examples[1]


def test_a_usage_error_inside_the_run_leaves_the_keep_folder_empty_for_the_next_run(tmp_path, monkeypatch, capsys):
    """tta --data of no localisation record --keep DIR was refused after copying the records into DIR: the corrected
    run with the same --keep was refused as 'not empty' by a file of the refused one."""
    cls = {"id": "c0", "task": "cls", "images": [{"path": "x.png", "modality": "optical"}],
           "conversations": [{"from": "human", "value": "<image>\n[cls] What scene is this?"},
                             {"from": "gpt", "value": "harbor"}]}
    (tmp_path / "cls.jsonl").write_text(json.dumps(cls) + "\n")
    keep = tmp_path / "kept"
    for _ in range(2):
        with pytest.raises(SystemExit) as e:
            bench_main("tta", monkeypatch, ["--data", str(tmp_path / "cls.jsonl"), "--keep", str(keep)])
        err = capsys.readouterr().err
        assert e.value.code == 2 and "no ground, det, seg or change record" in err and "not empty" not in err
        assert keep.is_dir() and not any(keep.iterdir())


def test_a_keep_that_is_a_file_is_said_to_be_a_file(tmp_path, monkeypatch, capsys):
    """--keep results.jsonl (a file the user meant to write) said 'cannot make it (File exists)'."""
    (tmp_path / "cls.jsonl").write_text("")
    with pytest.raises(SystemExit) as e:
        bench_main("missing_bands", monkeypatch, ["--data", str(tmp_path / "cls.jsonl"), "--keep",
                                                  str(tmp_path / "cls.jsonl")])
    err = capsys.readouterr().err
    assert e.value.code == 2 and f"--keep {tmp_path / 'cls.jsonl'}: a file, not a folder; give a new or empty" in err
