"""rsvlm.data.overlap: a test set's scenes and images against a checkpoint's training data."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import yaml

from rsvlm.data.overlap import overlap_report
from rsvlm.data.records import load_records


def rec(rid: str, image: str, scene: str | None = None) -> dict:
    meta = {"source": "synthetic", "scene": scene} if scene else {}
    return {"id": rid, "images": [{"path": image, "modality": "optical"}],
            "conversations": [{"from": "human", "value": "<image>\n[cls] What scene is this?"},
                              {"from": "gpt", "value": "harbour"}], "task": "cls", "meta": meta}


def write_jsonl(path: Path, records: list[dict], extra_lines: tuple[str, ...] = ()) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in records) + "".join(x + "\n" for x in extra_lines))
    return path


def checkpoint(folder: Path, train: str, extra: list[dict] | None = None, **top) -> Path:
    """A checkpoint folder holding only what overlap_report reads: train_config.yaml."""
    folder.mkdir(parents=True, exist_ok=True)
    cfg = {"out_dir": str(folder.parent), **top, "data": {"train": train, "root": None, "extra": extra or []}}
    (folder / "train_config.yaml").write_text(yaml.safe_dump(cfg))
    return folder


def image(path: Path, data: bytes) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path.name


def test_shared_scene_named_with_count_file_and_first_id(tmp_path):
    train = write_jsonl(tmp_path / "data/train.jsonl", [rec("t0", "images/a.png", "s11-000000"),
                                                        rec("t1", "images/b.png", "s11-000001")])
    model = checkpoint(tmp_path / "run/final", str(train))
    test = [rec("x0", "images/z.png", "s9001-000000"), rec("x1", "images/y.png", "s11-000001"),
            rec("x2", "images/w.png", "s9001-000002")]
    line = overlap_report(model, test, tmp_path / "test")
    assert line is not None
    assert line.startswith("1 of 3 test records share a scene or image with the model's training data")
    assert str(train) in line and "first: id x1" in line and "scene" in line


def test_no_overlap_is_none(tmp_path):
    train = write_jsonl(tmp_path / "data/train.jsonl", [rec("t0", "images/a.png", "s11-000000")])
    model = checkpoint(tmp_path / "run/final", str(train))
    assert overlap_report(model, [rec("x0", "images/a.png", "s12-000000")], tmp_path / "test") is None


def test_same_image_path_through_either_root(tmp_path):
    """A test record naming the training image by another relative path (its own root) overlaps."""
    train = write_jsonl(tmp_path / "data/train.jsonl", [rec("t0", "images/a.png")])
    model = checkpoint(tmp_path / "run/final", str(train))
    line = overlap_report(model, [rec("x0", "../data/images/a.png"), rec("x1", "images/a.png")], tmp_path / "test")
    assert line is not None and line.startswith("1 of 2 ") and "image path" in line and "first: id x0" in line


def test_copied_image_matches_by_content_not_by_size_alone(tmp_path):
    data = bytes(range(256)) * 64  # 16 KiB
    image(tmp_path / "data/images/a.png", data)
    image(tmp_path / "data/images/b.png", data[::-1])
    train = write_jsonl(tmp_path / "data/train.jsonl", [rec("t0", "images/a.png"), rec("t1", "images/b.png")])
    model = checkpoint(tmp_path / "run/final", str(train))
    image(tmp_path / "test/images/copy.png", data)  # a copy of a.png under another name
    image(tmp_path / "test/images/other.png", data[:8000] + b"\0" + data[8001:])  # same size, one byte in the middle
    line = overlap_report(model, [rec("x0", "images/other.png"), rec("x1", "images/copy.png")], tmp_path / "test")
    assert line is not None and line.startswith("1 of 2 ") and "first: id x1, image content" in line


def test_missing_training_files_or_config_is_none(tmp_path):
    model = checkpoint(tmp_path / "run/final", str(tmp_path / "elsewhere/train.jsonl"),
                       extra=[{"path": str(tmp_path / "gone.jsonl"), "root": None, "weight": 1.0}])
    assert overlap_report(model, [rec("x0", "images/a.png", "s11-000000")], tmp_path) is None
    (tmp_path / "bare").mkdir()
    assert overlap_report(tmp_path / "bare", [rec("x0", "images/a.png")], tmp_path) is None
    assert overlap_report(tmp_path / "nowhere", [rec("x0", "images/a.png")], tmp_path) is None


def test_bundled_default_model_flags_its_training_seeds(tmp_path):
    """The bundled model ships without train_config.yaml (its data is not on a user's machine), but
    with training_data.json: its training scenes by synthetic seed."""
    from rsvlm.inference import bundled_model_dir

    test = write_jsonl(tmp_path / "test.jsonl", [rec("s11-000000-optical-cls-0", "images/s11-000000.png", "s11-000000"),
                                                 rec("s9001-000000-optical-cls-0", "images/s9001-000000.png",
                                                     "s9001-000000")])
    line = overlap_report(bundled_model_dir(), test)  # was: None, nothing to compare
    assert line is not None and line.startswith("1 of 2 ") and "training_data.json (synthetic seed 11): 1" in line
    assert "first: id s11-000000-optical-cls-0, scene" in line


def test_extra_files_missing_ones_and_malformed_lines_are_reported(tmp_path):
    train = write_jsonl(tmp_path / "data/train.jsonl", [rec("t0", "images/a.png", "s1-000000")],
                        extra_lines=("{not json",))
    extra = write_jsonl(tmp_path / "chat/chat.jsonl", [rec("c0", "imgs/q.png", "s1-000005")])
    model = checkpoint(tmp_path / "run/final", str(train), extra=[
        {"path": str(extra), "root": None, "weight": 1.0},
        {"path": str(tmp_path / "gone.jsonl"), "root": None, "weight": 1.0}])
    line = overlap_report(model, [rec("x0", "images/n.png", "s1-000005")], tmp_path / "test")
    assert line is not None and line.startswith("1 of 1 ") and str(extra) in line
    assert f"not on this machine: {tmp_path / 'gone.jsonl'}" in line
    assert "1 malformed training line not compared" in line


def test_unreadable_training_file_is_reported_not_raised(tmp_path):
    bad = tmp_path / "data/bad.json"
    bad.parent.mkdir(parents=True)
    bad.write_text("[{\"id\": ")  # a JSON array file cut short
    good = write_jsonl(tmp_path / "data/train.jsonl", [rec("t0", "images/a.png", "s1-000000")])
    model = checkpoint(tmp_path / "run/final", str(bad), extra=[{"path": str(good), "root": None, "weight": 1.0}])
    line = overlap_report(model, [rec("x0", "images/k.png", "s1-000000")], tmp_path / "test")
    assert line is not None and f"unreadable: {bad}" in line
    assert overlap_report(checkpoint(tmp_path / "run2/final", str(bad)), [rec("x0", "k.png", "s1-0")], tmp_path) is None


def test_relative_paths_read_from_the_folder_training_ran_in(tmp_path, monkeypatch):
    """train_config.yaml keeps paths as given (relative to where `rsvlm train` ran); out_dir finds that folder."""
    work = tmp_path / "work"
    write_jsonl(work / "data/train.jsonl", [rec("t0", "images/a.png", "s3-000001")])
    model = work / "runs/a/final"
    model.mkdir(parents=True)
    (model / "train_config.yaml").write_text(yaml.safe_dump({"out_dir": "runs/a", "data": {"train": "data/train.jsonl"}}))
    monkeypatch.chdir(tmp_path)  # not the folder training ran in
    line = overlap_report(model, [rec("x0", "images/b.png", "s3-000001")], tmp_path)
    assert line is not None and str(work / "data/train.jsonl") in line


def test_earlier_stages_followed_through_init_from_and_llm_path(tmp_path):
    s1 = write_jsonl(tmp_path / "d1/train.jsonl", [rec("a0", "images/a.png", "s12-000000")])
    s2 = write_jsonl(tmp_path / "d2/train.jsonl", [rec("b0", "images/b.png", "s13-000000")])
    s3 = write_jsonl(tmp_path / "d3/train.jsonl", [rec("c0", "images/c.png", "s11-000000")])
    warm = checkpoint(tmp_path / "warm/final", str(s1))
    multi = checkpoint(tmp_path / "multi/final", str(s2), init_from=str(warm))
    sft = checkpoint(tmp_path / "sft/final", str(s3), model={"llm": {"name_or_path": str(multi / "llm")}})
    test = [rec("x0", "i/0.png", "s12-000000"), rec("x1", "i/1.png", "s13-000000"), rec("x2", "i/2.png", "s9-0")]
    line = overlap_report(sft, test, tmp_path)
    assert line is not None and line.startswith("2 of 3 ") and str(s1) in line and str(s2) in line


def test_records_file_path_and_eval_call(tmp_path):
    """rsvlm eval passes its --data path; relative image paths are then the file's folder's."""
    write_jsonl(tmp_path / "data/train.jsonl", [rec("t0", "images/a.png")])
    model = checkpoint(tmp_path / "run/final", str(tmp_path / "data/train.jsonl"))
    test = write_jsonl(tmp_path / "data/test.jsonl", [rec("x0", "images/a.png"), rec("x1", "images/b.png")])
    line = overlap_report(model, test)
    assert line is not None and line.startswith("1 of 2 ") and "image path" in line
    records, _ = load_records(test)
    assert overlap_report(model, records, tmp_path / "elsewhere") is None


def test_fast_on_many_training_records(tmp_path):
    n_train, n_test = 20_000, 2_000
    train = write_jsonl(tmp_path / "data/train.jsonl",
                        [rec(f"t{i}", f"images/{i}.png", f"s11-{i:06d}") for i in range(n_train)])
    model = checkpoint(tmp_path / "run/final", str(train))
    test = [rec(f"x{i}", f"images/q{i}.png", f"s11-{i * 40:06d}" if i % 4 == 0 else f"s9-{i}") for i in range(n_test)]
    t0 = time.perf_counter()
    line = overlap_report(model, test, tmp_path / "test")
    assert time.perf_counter() - t0 < 10
    assert line is not None and line.startswith("125 of 2000 ")  # i % 4 == 0 and i * 40 < 20 000: i < 500


def test_realdata_image_listed_twice_matches(tmp_path, realdata):
    """A real GeoTIFF copied into a test folder still matches the training record naming the original."""
    import pytest

    tifs = sorted(realdata.glob("*/*.tif"))[:1]  # the fixture's folder (RSVLM_REALDATA), not one machine's path
    if not tifs:
        pytest.skip(f"no real GeoTIFF under {realdata}")
    train = write_jsonl(tmp_path / "train.jsonl", [rec("t0", str(tifs[0]))])
    model = checkpoint(tmp_path / "run/final", str(train))
    shutil.copy(tifs[0], tmp_path / "copy.tif")
    line = overlap_report(model, [rec("x0", "copy.tif")], tmp_path)
    assert line is not None and "image content" in line


def test_records_repeating_an_id_each_count(tmp_path):
    """LLaVA-style test files reuse an image's id: each record is counted, not each id."""
    train = write_jsonl(tmp_path / "data/train.jsonl", [rec("t0", "images/a.png", "s5-000000")])
    model = checkpoint(tmp_path / "run/final", str(train))
    test = [rec("img1", "images/n.png", "s5-000000"), rec("img1", "images/n.png", "s5-000000"),
            rec("img2", "images/m.png", "s6-000000")]
    line = overlap_report(model, test, tmp_path / "test")
    assert line is not None and line.startswith("2 of 3 ")


def test_progress_bar_names_the_training_file(tmp_path, capsys):
    from rsvlm.data.overlap import OverlapConfig

    train = write_jsonl(tmp_path / "data/train.jsonl", [rec("t0", "images/a.png", "s5-000000")])
    model = checkpoint(tmp_path / "run/final", str(train))
    assert overlap_report(model, [rec("x", "i.png", "s5-000000")], tmp_path, OverlapConfig(progress=True))
    assert "overlap train.jsonl" in capsys.readouterr().err


def test_odd_train_config_is_none_not_an_error(tmp_path):
    """A train_config.yaml edited by hand (extra not a list, data a string, not YAML) compares what it can."""
    train = write_jsonl(tmp_path / "data/train.jsonl", [rec("t0", "images/a.png", "s5-000000")])
    model = tmp_path / "m"
    model.mkdir()
    test = [rec("x", "i.png", "s5-000000")]
    for text in (f"data: {{train: {train}, extra: 3}}", "data: train.jsonl", "data: [", "- 1\n- 2"):
        (model / "train_config.yaml").write_text(text)
        line = overlap_report(model, test, tmp_path)
        assert (line is not None) == text.startswith("data: {"), text


def test_rsvlm_eval_warns_before_the_run_when_the_test_set_overlaps_training(ckpt, tmp_path, capsys):
    import numpy as np
    from PIL import Image

    from rsvlm.cli import main

    model = tmp_path / "model"
    shutil.copytree(ckpt, model)
    Image.fromarray(np.zeros((32, 32, 3), np.uint8)).save(tmp_path / "a.png")
    train = write_jsonl(tmp_path / "train.jsonl", [rec("t0", "a.png", "s11-000000")])
    test = write_jsonl(tmp_path / "test.jsonl", [rec("x0", "a.png", "s11-000000")])
    argv = ["eval", "--model", str(model), "--data", str(test), "--max-new-tokens", "2", "--device", "cpu"]
    assert main([*argv, "--out", str(tmp_path / "p.jsonl")]) == 0
    assert "training data" not in capsys.readouterr().err  # no train_config.yaml: nothing to compare
    checkpoint(model, str(train))
    assert main([*argv, "--out", str(tmp_path / "q.jsonl")]) == 0
    assert "rsvlm eval: warning: 1 of 1 test records share a scene or image with the model's training data" \
        in capsys.readouterr().err
