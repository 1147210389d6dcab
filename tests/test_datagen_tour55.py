"""Rough-edge tour 55 of synthetic scenes, instruction building, rebuild, chat and preview."""

from __future__ import annotations

import json

import pytest

from data_gen.synth.config import SynthConfig
from data_gen.synth.run import synthesize
from rsvlm.config import from_dict


def _cfg(modalities=("optical",), size: int = 32, pairs: float = 0.0, split=None, **instructions) -> SynthConfig:
    return from_dict(SynthConfig, {"modalities": list(modalities), "scene": {"size": size, "pairs_fraction": pairs},
                                   "split": split or {"val": 0.1, "test": 0.1},
                                   "instructions": {"records_per_image": 1, **instructions}})


def test_cpu_time_counts_the_pool_workers(tmp_path):
    # pool workers are the forkserver's children: RUSAGE_CHILDREN never saw them, so 2 workers
    # reported a few CPU-ms for the whole run (0.5 CPU-ms per scene against 40 with 1 worker)
    cfg = _cfg(("optical", "sar", "ir", "msi"), size=64)
    one = synthesize(tmp_path / "one", 4, seed=0, cfg=cfg, workers=1, progress=False, verbose=False)
    two = synthesize(tmp_path / "two", 4, seed=0, cfg=cfg, workers=2, progress=False, verbose=False)
    assert one["cpu_seconds"] > 0
    assert two["cpu_seconds"] >= 0.5 * one["cpu_seconds"]


def _lines(path) -> dict[str, str]:
    """Record lines of a records file by scene."""
    out: dict[str, list[str]] = {}
    for line in path.read_text().splitlines():
        out.setdefault(json.loads(line)["meta"]["scene"], []).append(line)
    return {k: "\n".join(v) for k, v in out.items()}


def test_rebuild_draws_each_scene_by_its_id_not_its_place_in_the_folder(tmp_path):
    # the synth seed remade synth's records only while the folder held exactly synth's scenes: one
    # scene removed (or one of another run sorting first) shifted every later scene's draws
    from data_gen.__main__ import main

    cfg = _cfg(split={"val": 0.0, "test": 0.0})
    synthesize(tmp_path, 6, seed=3, cfg=cfg, progress=False, verbose=False)
    before = _lines(tmp_path / "train.jsonl")
    (tmp_path / "scenes" / "s3-000001.json").unlink()
    assert main(["rebuild", "--dir", str(tmp_path), "--seed", "3", "--prefix", "r_", "--no-progress"]) == 0
    after = _lines(tmp_path / "r_train.jsonl")
    assert set(after) == set(before) - {"s3-000001"}
    assert all(after[s] == before[s].replace('{"id":"', '{"id":"r_') for s in after)  # ids take the prefix


def test_preview_names_a_truncated_scene_json_and_still_draws_the_others(tmp_path, capsys):
    # a scene JSON cut short (a killed run) was a JSONDecodeError traceback that drew nothing
    from data_gen.synth.preview import main as preview

    synthesize(tmp_path, 3, seed=1, cfg=_cfg(), progress=False, verbose=False)
    bad = tmp_path / "scenes" / "s1-000001.json"
    bad.write_text(bad.read_text()[:40])
    assert preview(["--dir", str(tmp_path), "--out", str(tmp_path / "pv")]) == 2
    err = capsys.readouterr().err
    assert f"{bad}: not valid JSON" in err and "1 of 3 scenes not drawn: s1-000001" in err
    assert len(list((tmp_path / "pv").glob("*.png"))) >= 1
    (tmp_path / "scenes" / "s1-000002.json").write_text("[1, 2]")  # JSON, but not a scene
    assert preview(["--dir", str(tmp_path), "--out", str(tmp_path / "pv"), "--scenes", "s1-000002"]) == 2
    assert "s1-000002.json: not a scene JSON of `python -m data_gen synth` (not a JSON object)" in capsys.readouterr().err


def test_every_rendered_modality_weighted_zero_is_a_mix_that_makes_no_record(tmp_path, capsys):
    # it rendered every scene and wrote empty records files with exit 0
    from data_gen.__main__ import main

    out = tmp_path / "o"
    assert main(["synth", "--out", str(out), "--n", "2", "--modalities", "optical", "--size", "32", "--no-progress",
                 "instructions.modality_weights={optical: 0, sar: 1}"]) == 2
    err = capsys.readouterr().err
    assert "instructions.modality_weights" in err and "every rendered modality (optical) has weight 0" in err
    assert not out.exists()
    assert main(["synth", "--out", str(out), "--n", "1", "--modalities", "optical", "--size", "32", "--no-progress",
                 "instructions.modality_weights={optical: 0}", "instructions.records_per_image=0"]) == 0


def _vqa_records(path, n: int) -> None:
    recs = [{"id": f"a-{i}", "task": "vqa", "images": [{"path": "a.png", "modality": "optical"}],
             "conversations": [{"from": "human", "value": f"<image>\n[vqa] q {i}?"}, {"from": "gpt", "value": "yes"}]}
            for i in range(n)]
    path.write_text("".join(json.dumps(r) + "\n" for r in recs))


def test_ctrl_c_during_chat_is_one_line_and_leaves_no_partial_file(tmp_path, capsys, monkeypatch):
    # it was a traceback, and a Ctrl-C while writing left chat.jsonl.partial beside the earlier --out
    import data_gen.instructions.chat as chat
    from data_gen.__main__ import main

    src, out = tmp_path / "train.jsonl", tmp_path / "chat.jsonl"
    _vqa_records(src, 12)
    out.write_text("earlier\n")
    dumps, calls = chat.json.dumps, []

    def dumps_then_interrupt(obj, *args, **kw):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return dumps(obj, *args, **kw)

    monkeypatch.setattr(chat.json, "dumps", dumps_then_interrupt)
    try:
        rc = main(["chat", "--src", str(src), "--out", str(out), "--no-progress"])
    except KeyboardInterrupt:
        pytest.fail("Ctrl-C during chat came out as a KeyboardInterrupt traceback")
    assert rc == 130
    err = capsys.readouterr().err
    assert f"interrupted: {out} not written (the earlier file there is as it was)" in err and "Traceback" not in err
    assert out.read_text() == "earlier\n" and not list(tmp_path.glob("*.partial"))


def test_no_more_workers_are_started_than_scenes(tmp_path, capsys, monkeypatch):
    # --n 1 --workers 4 started a pool of 4 processes (each importing numpy and the renderers) for one scene
    import multiprocessing

    def no_pool(*_a, **_k):
        raise AssertionError("a process pool was started for a single scene")

    monkeypatch.setattr(multiprocessing, "get_context", no_pool)
    synthesize(tmp_path, 1, seed=0, cfg=_cfg(), workers=4, progress=False, verbose=True)
    assert "(1 worker;" in capsys.readouterr().out


def test_rebuild_of_an_interrupted_synth_folder_says_so(tmp_path, capsys):
    # rebuild turned the scenes a killed synth run had written into records files that looked complete
    from data_gen.__main__ import main

    synthesize(tmp_path, 3, seed=0, cfg=_cfg(), progress=False, verbose=False)
    assert main(["rebuild", "--dir", str(tmp_path), "--prefix", "a_", "--no-progress"]) == 0
    assert "did not finish" not in capsys.readouterr().err
    for s in ("train", "val", "test"):  # as synth leaves the folder when killed after scene 2
        (tmp_path / f"{s}.jsonl").rename(tmp_path / f"{s}.jsonl.partial")
    (tmp_path / "scenes" / "s0-000002.json").unlink()
    assert main(["rebuild", "--dir", str(tmp_path), "--no-progress"]) == 0
    err = capsys.readouterr().err
    assert f"note: {tmp_path / 'train.jsonl.partial'}: an earlier run there" in err and "the 2 there" in err
    assert json.loads((tmp_path / "stats.json").read_text())["unfinished_run"] == str(tmp_path / "train.jsonl.partial")


def test_objects_too_small_to_draw_are_counted_not_silently_absent(tmp_path, capsys):
    # at 32 px a small vehicle draws under 3 px and is never placed: parking lots had no cars, without a word
    cfg = from_dict(SynthConfig, {"modalities": ["optical"], "scene": {"size": 32, "pairs_fraction": 0.0,
                                                                      "scene_weights": {"parking lot": 1000}},
                                  "instructions": {"records_per_image": 1, "task_weights": {"cls": 1}}})
    rep = synthesize(tmp_path / "a", 2, seed=0, cfg=cfg, progress=False)
    assert "small vehicle" not in rep["object_classes"] and rep["objects_too_small"]["small vehicle"] >= 8
    err = capsys.readouterr().err
    assert "were left out as too small to draw (under 3 px at scene.size 32" in err and "small vehicle" in err
    assert json.loads((tmp_path / "a" / "stats.json").read_text())["objects_too_small"] == rep["objects_too_small"]
    cfg.scene.min_object_px = 10.0  # the fix the note names
    rep = synthesize(tmp_path / "b", 2, seed=0, cfg=cfg, progress=False)
    assert rep["object_classes"]["small vehicle"] >= 2 and not rep["objects_too_small"]
    assert "too small" not in capsys.readouterr().err
    assert "objects_too_small" not in json.loads((tmp_path / "b" / "stats.json").read_text())


def test_modalities_flag_takes_any_case_as_rsvlm_modality_does(tmp_path):
    # "--modalities optical,SAR" was an error, while rsvlm predict --modality SAR is fine
    import yaml

    from data_gen.__main__ import main

    assert main(["synth", "--out", str(tmp_path), "--n", "1", "--size", "16", "--modalities", "Optical, SAR", "--pairs-fraction", "0",
                 "--no-progress"]) == 0
    assert yaml.safe_load((tmp_path / "config.yaml").read_text())["modalities"] == ["optical", "sar"]
    assert sorted(p.name for p in (tmp_path / "images").iterdir()) == ["s0-000000_optical.png", "s0-000000_sar.tif"]


def test_all_tasks_asks_a_pairs_single_image_questions_of_its_second_frame(tmp_path):
    # docs/data.md said the frame was random; with all_tasks it is always t1 (the eval sets)
    synthesize(tmp_path, 3, seed=0, cfg=_cfg(pairs=1.0, all_tasks=True), progress=False, verbose=False)
    recs = [json.loads(line) for s in ("train", "val", "test") for line in (tmp_path / f"{s}.jsonl").open()]
    times = {r["meta"]["time"] for r in recs if r["task"] != "change"}
    assert times == {"t1"} and {r["meta"]["time"] for r in recs if r["task"] == "change"} == {"t0,t1"}


def test_chat_refuses_a_folder_as_out_before_reading_and_leaves_no_partial(tmp_path, capsys):
    # the records were read and chained, the rename onto the folder failed, and OUT.partial stayed
    from data_gen.__main__ import main

    src, folder = tmp_path / "train.jsonl", tmp_path / "out"
    _vqa_records(src, 4)
    folder.mkdir()
    assert main(["chat", "--src", str(src), "--out", str(folder), "--no-progress"]) == 2
    assert f"error: --out {folder} is a folder; give a file, e.g. {folder / 'chat.jsonl'}" in capsys.readouterr().err
    assert not list(tmp_path.glob("*.partial"))


def test_rebuild_names_a_records_file_it_cannot_write(tmp_path, capsys):
    # an OSError other than a missing file (a folder in the way, a read-only --dir) was a traceback
    from data_gen.__main__ import main

    synthesize(tmp_path, 2, seed=0, cfg=_cfg(), progress=False, verbose=False)
    (tmp_path / "g_train.jsonl.partial").mkdir()
    assert main(["rebuild", "--dir", str(tmp_path), "--prefix", "g_", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and str(tmp_path / "g_train.jsonl.partial") in err and "Traceback" not in err


def test_preview_names_an_out_that_cannot_be_a_folder(tmp_path, capsys):
    from data_gen.synth.preview import main as preview

    synthesize(tmp_path, 1, seed=0, cfg=_cfg(), progress=False, verbose=False)
    (tmp_path / "file").write_text("")
    assert preview(["--dir", str(tmp_path), "--out", str(tmp_path / "file")]) == 2  # was a FileExistsError traceback
    assert f"error: --out {tmp_path / 'file'} cannot be made a folder" in capsys.readouterr().err


def test_chat_takes_images_given_as_one_file_per_band(tmp_path, capsys):
    # an image with band_files and no path (Sentinel-2 as one file per band) was a KeyError traceback
    from data_gen.__main__ import main

    bands = ["B02.tif", "B03.tif", "B04.tif", "B08.tif"]
    recs = [{"id": f"s2-{i}", "task": "vqa", "images": [{"band_files": bands if i < 3 else bands[:2], "modality": "msi"}],
             "conversations": [{"from": "human", "value": f"<image>\n[vqa] q {i}?"}, {"from": "gpt", "value": "no"}]}
            for i in range(4)]
    (tmp_path / "train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in recs))
    assert main(["chat", "--src", str(tmp_path / "train.jsonl"), "--out", str(tmp_path / "c.jsonl"), "--no-progress"]) == 0
    out = capsys.readouterr()
    chats = [json.loads(line) for line in (tmp_path / "c.jsonl").open()]
    assert [sorted(c["meta"]["turn_ids"]) for c in chats] == [["s2-0", "s2-1", "s2-2"]]  # s2-3: other files
    assert "1 left alone" in out.out and "4 of 4 images are not under" in out.err


def test_chat_ids_stay_unique_when_the_source_reuses_record_ids(tmp_path, capsys):
    # LLaVA-style files name records by their image: two conversations of one image got one id, which
    # rsvlm eval's resume and python -m eval.TASK match answers by
    from data_gen.__main__ import main

    recs = [{"id": "P0001", "image": "P0001.png",
             "conversations": [{"from": "human", "value": f"<image>\n[vqa] q {i}?"}, {"from": "gpt", "value": "a"}]}
            for i in range(8)]
    (tmp_path / "train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in recs))
    for seed in range(4):
        assert main(["chat", "--src", str(tmp_path / "train.jsonl"), "--out", str(tmp_path / "c.jsonl"),
                     "--no-progress", "--seed", str(seed)]) == 0
        ids = [json.loads(line)["id"] for line in (tmp_path / "c.jsonl").open()]
        assert len(set(ids)) == len(ids) >= 2 and all(i.startswith("chat-P0001-") for i in ids)
    assert "reuses record ids (7, the first repeat: 'P0001'" in capsys.readouterr().err


def test_preview_draws_the_first_single_scene_and_the_first_pair_of_each_class(tmp_path):
    # the help and docs said "the first scene of each class"; a class's first pair is drawn too
    from data_gen.synth.preview import main as preview

    cfg = _cfg(pairs=0.5)
    cfg.scene.scene_weights = {"parking lot": 1000.0}
    synthesize(tmp_path, 6, seed=0, cfg=cfg, progress=False, verbose=False)
    pairs = sorted(json.loads(p.read_text())["pair"] for p in (tmp_path / "scenes").glob("*.json"))
    assert pairs[0] is False and pairs[-1] is True  # both kinds among the 6
    assert preview(["--dir", str(tmp_path), "--out", str(tmp_path / "pv"), "--scale", "1"]) == 0
    names = sorted(p.name.rsplit("_", 1)[0] for p in (tmp_path / "pv").glob("*.png"))
    assert names == ["parking_lot", "parking_lot_pair"]
