"""End-to-end: `rsvlm predict`, `rsvlm eval` and the chat REPL on a tiny random checkpoint."""

import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest

from rsvlm import geometry
from rsvlm import inference as inf
from rsvlm.cli import main
from rsvlm.tables import objects_table

REPO = Path(__file__).resolve().parents[1]




def test_locate_adds_map_coordinates(geotiff):
    img = inf.read_spec(inf.ImageSpec([str(geotiff)], "optical"))
    answer = "There is one ship. " + geometry.encode(
        [{"kind": "box", "label": "ship", "coords": [12.0, 8.0, 40.0, 30.0]}], img.width, img.height)
    res = inf.locate(answer, img)
    (obj,) = res["objects"]
    assert obj["label"] == "ship" and not res["problems"]
    (x1, y1), _, (x2, y2), _ = obj["map_coords"]  # a box's 4 corners on the map
    # pixel x → 500000 + 0.5 x ; pixel y → 4000000 - 0.5 y (bin centres: within half a bin)
    assert x1 == pytest.approx(500000 + 0.5 * 12, abs=0.5 * 96 / 1000 * 0.5 + 1e-6)
    assert y2 == pytest.approx(4000000 - 0.5 * 30, abs=0.5 * 64 / 1000 * 0.5 + 1e-6)
    table = objects_table(res["objects"])
    assert "ship" in table and "500006" in table


def test_locate_scores_objects_only_when_each_has_one(geotiff):
    img = inf.read_spec(inf.ImageSpec([str(geotiff)], "optical"))
    answer = geometry.encode([{"kind": "box", "label": "ship", "coords": [12.0, 8.0, 40.0, 30.0]},
                              {"kind": "box", "label": "plane", "coords": [50.0, 8.0, 90.0, 60.0]}], img.width, img.height)
    res = inf.locate(answer, img, [0.9, 0.25])
    assert [o["score"] for o in res["objects"]] == [0.9, 0.25]
    table = objects_table(res["objects"]).splitlines()
    assert "score" in table[0] and "0.90" in table[1] and "0.25" in table[2]
    assert all("score" not in o for o in inf.locate(answer, img, [0.9])["objects"])  # 2 objects, 1 score
    assert "score" not in objects_table(inf.locate(answer, img)["objects"])


def test_locate_reports_bad_geometry_never_raises(geotiff):
    img = inf.read_spec(inf.ImageSpec([str(geotiff)], "optical"))
    res = inf.locate("<ref>ship</ref><box><loc_1><loc_2>", img)
    assert res["problems"] and res["objects"] == []


def test_predict_writes_json_geojson_and_overlay(ckpt, geotiff, tmp_path, capsys):
    out, gj, vis = tmp_path / "r.json", tmp_path / "r.geojson", tmp_path / "r.png"
    rc = main(["predict", "--model", str(ckpt), "--image", str(geotiff), "--task", "det",
               "--max-new-tokens", "8", "--out", str(out), "--geojson", str(gj), "--vis", str(vis), "--device", "cpu"])
    assert rc == 0
    res = json.loads(out.read_text())
    assert set(res) >= {"answer", "objects", "problems", "task", "images"}
    assert isinstance(res["answer"], str) and res["images"][0]["crs"]
    fc = json.loads(gj.read_text())
    assert fc["type"] == "FeatureCollection" and len(fc["features"]) == len(res["objects"])
    assert vis.stat().st_size > 0
    capsys.readouterr()
    named = tmp_path / "named.geojson"  # --out with a GeoJSON name: GeoJSON, and said so
    assert main(["predict", "--model", str(ckpt), "--image", str(geotiff), "--task", "det", "--max-new-tokens", "8",
                 "--out", str(named), "--device", "cpu"]) == 0
    assert json.loads(named.read_text())["type"] == "FeatureCollection"
    assert "written as GeoJSON (--geojson)" in capsys.readouterr().err


def test_predict_missing_image_is_a_clear_error(ckpt, tmp_path, capsys):
    rc = main(["predict", "--model", str(ckpt), "--image", str(tmp_path / "none.tif"), "--task", "cls"])
    assert rc == 2 and "none.tif" in capsys.readouterr().err


def test_predict_checks_the_image_count_against_the_task(ckpt, geotiff, capsys):
    rc = main(["predict", "--model", str(ckpt), "--image", str(geotiff), "--task", "change"])
    assert rc == 2 and "--task change compares two images" in capsys.readouterr().err  # not a silent "None."
    rc = main(["predict", "--model", str(ckpt), "--image", str(geotiff), "--image", str(geotiff), "--task", "cls",
               "--max-new-tokens", "3", "--device", "cpu"])
    err = capsys.readouterr().err
    assert rc == 0 and "2 images for --task cls" in err and "comma-separated" in err


def test_predict_tiled_reads_windows(ckpt, geotiff, tmp_path):
    out = tmp_path / "t.json"
    rc = main(["predict", "--model", str(ckpt), "--image", str(geotiff), "--task", "det", "--tile", "32",
               "--overlap", "8", "--batch-size", "3", "--max-new-tokens", "4", "--out", str(out), "--device", "cpu"])
    assert rc == 0
    from rsvlm.io import iter_windows

    res = json.loads(out.read_text())
    windows = iter_windows(96, 64, 32, 8)
    assert sorted(tuple(t["window"]) for t in res["tiles"]) == sorted(tuple(w) for w in windows)
    assert res["images"][0]["width"] == 96 and res["images"][0]["height"] == 64


def test_eval_writes_one_prediction_per_record_and_resumes(ckpt, geotiff, tmp_path, capsys):
    from rsvlm.predictions import asked_digest

    recs = []
    for i in range(3):
        recs.append({"id": f"r{i}", "images": [{"path": str(geotiff), "modality": "optical"}], "task": "cls",
                     "conversations": [{"from": "human", "value": "<image>\n[cls] What scene?"},
                                       {"from": "gpt", "value": "harbour"}]})
    recs.append({"id": "bad", "images": [{"path": "missing.png", "modality": "optical"}], "task": "cls",
                 "conversations": [{"from": "human", "value": "<image>\n[cls] What scene?"},
                                   {"from": "gpt", "value": "forest"}]})
    data = tmp_path / "test.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in recs) + '\n{"id": "cut", "images": [\n')
    out = tmp_path / "pred.jsonl"
    # a row that says what it was asked (rows without it are asked again: tests/test_predictions_tour59.py)
    out.write_text(json.dumps({"id": "r0", "task": "cls", "answer": "kept", "asked_digest": asked_digest(recs[0])}) + "\n")
    rc = main(["eval", "--model", str(ckpt), "--data", str(data), "--out", str(out), "--batch-size", "2",
               "--max-new-tokens", "4", "--device", "cpu"])
    assert rc == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["id"] for r in rows] == ["r0", "r1", "r2", "bad"]
    assert rows[0]["answer"] == "kept"  # resumed, not answered again
    assert "missing.png" in rows[3]["error"] and rows[3]["answer"] == ""
    err = capsys.readouterr().err
    assert "4 records read, 1 skipped (invalid JSON: 1)" in err and "test.jsonl:5: not valid JSON" in err  # which line


def test_chat_repl_through_a_pty(ckpt, geotiff, tmp_path):
    pexpect = pytest.importorskip("pexpect")
    second = tmp_path / "second.png"
    from PIL import Image

    Image.fromarray(np.zeros((40, 50), np.uint8)).save(second)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}
    child = pexpect.spawn(sys.executable, ["-m", "rsvlm.cli", "chat", "--model", str(ckpt), "--device", "cpu",
                                           "--max-new-tokens", "6"], env=env, encoding="utf-8", timeout=120)
    try:
        child.expect(">>> ")
        child.sendline(f"/image {geotiff} optical")
        child.expect(r"loaded scene.tif: 96x64 optical")
        child.expect(">>> ")
        child.sendline("[cls] What kind of scene is this?")
        child.expect(">>> ")
        child.sendline("[vqa] Is there a ship?")
        child.expect(">>> ")
        child.sendline(f"/image {second} ir")
        child.expect(r"new image: conversation reset")
        child.expect(r"loaded second.png: 50x40 ir")
        child.expect(">>> ")
        child.sendline("/reset")
        child.expect(r"conversation reset")
        child.expect(">>> ")
        child.sendline("/help")
        child.expect("/geojson")
        child.sendline("/quit")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0


def test_interrupted_answer_rolls_back(ckpt, geotiff):
    """Ctrl-C mid-answer leaves the session as it was before the question."""
    import io

    from rsvlm.chat import ChatREPL

    model, processor = inf.load_model(str(ckpt), "cpu")
    repl = ChatREPL(model, processor, out=io.StringIO(), max_new_tokens=6)
    repl.load_image([str(geotiff), "optical"])
    first = repl.ask("[cls] What scene?")
    s = repl.session
    cache_len, ids, messages = s.cache_len, list(s.token_ids), list(s.messages)

    calls = []

    def interrupt(piece):
        calls.append(piece)
        if len(calls) == 2:
            raise KeyboardInterrupt

    orig = repl.session.ask
    repl.session.ask = lambda *a, **k: orig(*a, **{**k, "on_token": interrupt})
    assert repl.ask("[vqa] Is there a ship?") is None
    assert "(stopped)" in repl.out.getvalue()
    # the question is forgotten; the cache keeps at most the earlier turns (less where the last
    # answer re-tokenises differently: the next question prefills that tail again)
    assert s.messages == messages and s.token_ids == ids
    assert 0 < s.cache_len <= cache_len and s.cache.get_seq_length() == s.cache_len
    repl.session.ask = orig
    again = repl.ask("[vqa] Is there a ship?")

    fresh = ChatREPL(model, processor, out=io.StringIO(), max_new_tokens=6)
    fresh.load_image([str(geotiff), "optical"])
    assert fresh.ask("[cls] What scene?") == first
    assert fresh.ask("[vqa] Is there a ship?") == again


def test_eval_shards_across_ranks_and_merges_in_record_order(ckpt, geotiff, tmp_path):
    """Under torchrun each rank answers every WORLD_SIZE-th record; the last to finish merges."""
    from rsvlm.evaluate import run

    model, processor = inf.load_model(str(ckpt), "cpu")
    recs = [{"id": f"r{i}", "images": [{"path": str(geotiff), "modality": "optical"}], "task": "count",
             "conversations": [{"from": "human", "value": "<image>\n[count] How many ships?"},
                               {"from": "gpt", "value": str(i)}]} for i in range(5)]
    data = tmp_path / "test.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in recs) + "\n")
    out = tmp_path / "pred.jsonl"
    run(model, processor, data, out, batch_size=2, max_new_tokens=3, rank=1, world=2, progress=False)
    assert not out.exists()  # rank 0 has not finished yet
    assert [json.loads(x)["id"] for x in (tmp_path / "pred.jsonl.rank1").read_text().splitlines()] == ["r1", "r3"]
    run(model, processor, data, out, batch_size=2, max_new_tokens=3, rank=0, world=2, progress=False)
    assert [json.loads(x)["id"] for x in out.read_text().splitlines()] == [f"r{i}" for i in range(5)]
    # a second run over a longer set, resumed: rank 1 finishing first must not merge (its old marker
    # file said every rank was done, and the merge wrote a file missing rank 0's new answers)
    recs += [{**recs[0], "id": f"r{i}"} for i in (5, 6)]
    data.write_text("\n".join(json.dumps(r) for r in recs) + "\n")
    run(model, processor, data, out, batch_size=2, max_new_tokens=3, rank=1, world=2, progress=False)
    assert [json.loads(x)["id"] for x in out.read_text().splitlines()] == [f"r{i}" for i in range(5)]  # untouched
    run(model, processor, data, out, batch_size=2, max_new_tokens=3, rank=0, world=2, progress=False)
    assert [json.loads(x)["id"] for x in out.read_text().splitlines()] == [f"r{i}" for i in range(7)]
    assert not list(tmp_path.glob("pred.jsonl.merge*"))


def test_unnamed_bands_are_taken_in_configured_order():
    """A TIFF without band descriptions reads as b1, b2: the stem takes them positionally."""
    from rsvlm.model.stem import StemConfig, prepare

    cfg = StemConfig(modality="sar", bands=["VV", "VH"], mean=[0.0, 0.0], std=[1.0, 1.0], encoder="default")
    x = np.stack([np.zeros((8, 8), np.float32), np.ones((8, 8), np.float32)])
    out = prepare(cfg, x, 8, ["b1", "b2"])
    assert out[0].abs().max() == 0 and (out[1] == 1).all()
    with pytest.raises(ValueError, match="missing"):
        prepare(cfg, x, 8, ["HH", "HV"])  # real names that do not fit still fail


def test_predict_passes_the_chat_format_stop_strings(ckpt, geotiff, monkeypatch):
    from rsvlm import predict

    model, processor = inf.load_model(str(ckpt), "cpu")
    seen = {}
    real = model.generate

    def spy(*a, **k):
        seen.update(k)
        return real(*a, **k)

    monkeypatch.setattr(model, "generate", spy)
    img = inf.read_spec(inf.ImageSpec([str(geotiff)], "optical"))
    predict.ask(model, processor, [img], "[cls] What scene?", 3)
    assert seen["stop_strings"] == processor.stop_strings


def test_predict_fills_a_missing_sar_band_and_says_so(ckpt, tmp_path, capsys):
    import rasterio

    path = tmp_path / "scene_vv.tif"
    amp = np.random.default_rng(1).uniform(1, 500, (1, 40, 40)).astype(np.float32)
    with rasterio.open(path, "w", driver="GTiff", width=40, height=40, count=1, dtype="float32") as ds:
        ds.write(amp)
    rc = main(["predict", "--model", str(ckpt), "--image", str(path), "--task", "cls", "--max-new-tokens", "3"])
    err = capsys.readouterr().err
    assert rc == 0 and "[scene_vv.tif] VH missing: filled with VV, rescaled to VH's training mean" in err
    rc = main(["predict", "--model", str(ckpt), "--image", str(path), "--task", "cls", "--missing-bands", "error"])
    assert rc == 2 and "scene_vv.tif: modality 'sar' expects bands ['VV', 'VH']; missing ['VH']" in capsys.readouterr().err


def test_chat_takes_bands_from_the_command_line(ckpt, tmp_path, capsys):
    """--bands used to be accepted by chat and ignored; here it names an RGBN file's bands."""
    import io

    import rasterio

    from rsvlm.chat import ChatREPL

    path = tmp_path / "rgbn.tif"
    with rasterio.open(path, "w", driver="GTiff", width=32, height=32, count=4, dtype="uint16") as ds:
        ds.write(np.random.default_rng(2).integers(0, 4000, (4, 32, 32), dtype=np.uint16))
    model, processor = inf.load_model(str(ckpt), "cpu")
    out = io.StringIO()
    repl = ChatREPL(model, processor, out=out, max_new_tokens=3)
    processor.missing_bands = "mean"
    repl.load_image([str(path), "msi", "blue,green,red,NIR"])
    assert repl.images[0].bands == ["blue", "green", "red", "NIR"] and "band NIR read as B08" in out.getvalue()
    processor.missing_bands = "error"
    repl.load_image([str(path), "msi", "R,G,B,SWIR1"])
    assert "error:" in out.getvalue() and "missing ['B08']" in out.getvalue() and len(repl.images) == 1


@pytest.mark.realdata
def test_bundled_model_answers_on_single_polarisation_real_sar(realdata, capsys):
    rc = main(["predict", "--image", str(realdata / "sar_spacenet6" / "sar_hh.tif"), "--task", "cls",
               "--max-new-tokens", "8"])
    err = capsys.readouterr().err
    assert rc == 0 and "band named HH from the file name" in err and "HH stands in for VV" in err
    assert "VH missing" in err


def _tif(path, w, h, x0=500000.0, crs="EPSG:32631"):
    import rasterio
    from rasterio.transform import from_origin

    with rasterio.open(path, "w", driver="GTiff", width=w, height=h, count=3, dtype="uint8", crs=crs,
                       transform=from_origin(x0, 4000000.0, 0.5, 0.5)) as ds:
        ds.write(np.random.default_rng(3).integers(0, 255, (3, h, w), dtype=np.uint8))
    return inf.read_spec(inf.ImageSpec([str(path)], "optical"))


def test_a_suspect_change_pair_is_flagged(ckpt, tmp_path, capsys):
    a = _tif(tmp_path / "a.tif", 64, 64)
    assert inf.pair_notes(a, _tif(tmp_path / "same.tif", 64, 64)) == []
    size, ground = inf.pair_notes(a, _tif(tmp_path / "big.tif", 128, 96))  # a larger footprint too
    assert "differs in size (64x64 and 128x96)" in size and "overlap 33 %" in ground
    (shifted,) = inf.pair_notes(a, _tif(tmp_path / "east.tif", 64, 64, x0=500016.0))  # half the width east
    assert "different ground (overlap 33 %" in shifted
    (crs,) = inf.pair_notes(a, _tif(tmp_path / "utm32.tif", 64, 64, crs="EPSG:32632"))
    assert "different CRS" in crs
    rc = main(["predict", "--model", str(ckpt), "--image", str(tmp_path / "a.tif"), "--image", str(tmp_path / "big.tif"),
               "--task", "change", "--max-new-tokens", "3"])
    assert rc == 0 and "[pair] warning: the pair differs in size" in capsys.readouterr().err


def test_a_scene_far_larger_than_the_input_gets_a_tiling_hint(ckpt, geotiff, tmp_path, capsys):
    small = inf.read_spec(inf.ImageSpec([str(geotiff)], "optical"))  # 96x64 against the tiny model's 32 px
    assert inf.size_note(small, 32) is None and inf.size_note(small, 16) is not None
    big = _tif(tmp_path / "big.tif", 200, 150)
    assert "200x150 px shrunk whole to the model's 32 px input" in inf.size_note(big, 32)
    rc = main(["predict", "--model", str(ckpt), "--image", str(tmp_path / "big.tif"), "--task", "cls",
               "--max-new-tokens", "2"])
    assert rc == 0 and "rsvlm predict --tile 32" in capsys.readouterr().err
    rc = main(["predict", "--model", str(ckpt), "--image", str(tmp_path / "big.tif"), "--task", "det",
               "--max-new-tokens", "2", "--tile", "32"])
    assert rc == 0 and "shrunk whole" not in capsys.readouterr().err  # default overlap 32 // 4 = 8
    rc = main(["predict", "--model", str(ckpt), "--image", str(tmp_path / "big.tif"), "--task", "det",
               "--tile", "32", "--overlap", "32"])
    assert rc == 2 and "0 <= --overlap < --tile; got --tile 32 and --overlap 32" in capsys.readouterr().err


def test_eval_answers_a_record_with_bands_the_model_cannot_take_empty_not_the_run(ckpt, geotiff, tmp_path, capsys):
    """A one-polarisation SAR record used to crash rsvlm eval (and lose its batch); now it is
    answered empty with the reason, or filled with --missing-bands copy."""
    import rasterio

    vv = tmp_path / "scene_vv.tif"
    with rasterio.open(vv, "w", driver="GTiff", width=32, height=32, count=1, dtype="float32") as ds:
        ds.write(np.random.default_rng(4).uniform(1, 500, (1, 32, 32)).astype(np.float32))
    turn = [{"from": "human", "value": "<image>\n[cls] What scene?"}, {"from": "gpt", "value": "harbour"}]
    recs = [{"id": "sar", "images": [{"path": str(vv), "modality": "sar"}], "task": "cls", "conversations": turn},
            {"id": "opt", "images": [{"path": str(geotiff), "modality": "optical"}], "task": "cls", "conversations": turn}]
    data = tmp_path / "test.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in recs) + "\n")
    for fill, out in (("error", tmp_path / "strict.jsonl"), ("copy", tmp_path / "copy.jsonl")):
        rc = main(["eval", "--model", str(ckpt), "--data", str(data), "--out", str(out), "--batch-size", "2",
                   "--max-new-tokens", "3", "--device", "cpu", "--missing-bands", fill])
        rows = {r["id"]: r for r in map(json.loads, out.read_text().splitlines())}
        assert rc == 0 and set(rows) == {"sar", "opt"} and "error" not in rows["opt"]
        if fill == "error":
            assert "missing ['VH']" in rows["sar"]["error"] and rows["sar"]["answer"] == ""
            assert "1 of 2 records with unreadable images, bands the model cannot take" in capsys.readouterr().err
        else:
            assert "error" not in rows["sar"]


def test_det_by_class_without_the_models_classes_is_a_clear_error(ckpt, geotiff, tmp_path, capsys):
    assert main(["predict", "--model", str(ckpt), "--image", str(geotiff), "--task", "det", "--det-by-class"]) == 2
    assert "prompt.det_classes" in capsys.readouterr().err
    data = tmp_path / "d.jsonl"  # one record: eval refuses a file of none before it looks at the model
    data.write_text(json.dumps({"id": "r0", "images": [{"path": str(geotiff), "modality": "optical"}], "task": "det",
                                "conversations": [{"from": "human", "value": "<image>\n[det] Detect all objects."},
                                                  {"from": "gpt", "value": "None."}]}) + "\n")
    assert main(["eval", "--model", str(ckpt), "--data", str(data), "--out", str(tmp_path / "p"),
                 "--det-by-class"]) == 2
    assert "lists none" in capsys.readouterr().err
    assert main(["chat", "--model", str(ckpt), "--det-by-class"]) == 2
    assert "rsvlm chat: --det-by-class needs" in capsys.readouterr().err
