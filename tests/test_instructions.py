"""Instruction builder: every task, answers that decode to the ground truth, referring uniqueness,
phrasing variety, config mix, splits by scene, stats, and loading with ``datasets``."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from data_gen.instructions import phrasings as P
from data_gen.instructions import referring as R
from data_gen.instructions.splits import assign_splits
from data_gen.instructions.stats import answer_tokens
from data_gen.synth.config import SynthConfig
from data_gen.synth.run import synthesize
from rsvlm import geometry
from rsvlm.config import from_dict
from rsvlm.tokens import MODALITIES, TASKS


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> tuple[Path, list[dict], dict[str, dict]]:
    out = tmp_path_factory.mktemp("instr")
    cfg = from_dict(SynthConfig, {"scene": {"size": 64, "pairs_fraction": 0.5}, "instructions": {"all_tasks": True}})
    synthesize(out, 16, seed=3, cfg=cfg, progress=False, verbose=False)
    recs = [json.loads(line) for s in ("train", "val", "test") for line in (out / f"{s}.jsonl").read_text().splitlines()]
    scenes = {json.loads(p.read_text())["scene"]: json.loads(p.read_text()) for p in (out / "scenes").glob("*.json")}
    return out, recs, scenes


def _frame(rec, scenes):
    s = scenes[rec["meta"]["scene"]]
    t = rec["meta"]["time"]
    return s, next(f for f in s["frames"] if f["time"] == ("" if not t else t.split(",")[-1]))


def test_all_tasks_modalities_and_valid_records(data):
    from rsvlm.data.records import normalize_record

    out, recs, _ = data
    assert {r["task"] for r in recs} == set(TASKS)
    assert {r["meta"]["modality"] for r in recs} == set(MODALITIES)
    keys = {tuple(sorted(r["meta"])) for r in recs}
    assert len(keys) == 1  # the same meta keys on every line (Arrow-friendly)
    for r in recs:
        normalize_record(r, r["id"])
        assert r["conversations"][0]["value"].split("\n")[-1].startswith(f"[{r['task']}] ")
        for im in r["images"]:
            assert (out / im["path"]).is_file() and im["modality"] == r["meta"]["modality"]
        assert len(r["images"]) == (2 if r["task"] == "change" else 1)
        suffix = r["images"][-1]["path"].rsplit(".", 1)[0].split(r["meta"]["modality"])[-1]  # "" or "_t1"
        assert r["meta"]["sem_mask"] == f"masks/{r['meta']['scene']}{suffix}_sem.png" and (out / r["meta"]["sem_mask"]).is_file()
    assert len({r["id"] for r in recs}) == len(recs)


def test_loads_with_datasets(data):
    import datasets

    out, recs, _ = data
    ds = datasets.load_dataset("json", data_files={s: str(out / f"{s}.jsonl") for s in ("train", "val", "test")})
    assert sum(len(ds[s]) for s in ds) == len(recs)
    row = ds["train"][0]
    assert row["images"][0]["path"].startswith("images/") and isinstance(row["meta"]["target_ids"], list)


def test_splits_are_by_scene(data):
    _, recs, scenes = data
    split_of = {}
    for r in recs:
        assert split_of.setdefault(r["meta"]["scene"], r["meta"]["split"]) == r["meta"]["split"]
    assert set(split_of.values()) == {"train", "val", "test"}
    a = assign_splits(100, 0.1, 0.2, seed=1)
    assert Counter(a) == {"train": 70, "val": 10, "test": 20} and a == assign_splits(100, 0.1, 0.2, seed=1)
    assert a != assign_splits(100, 0.1, 0.2, seed=2)
    assert Counter(assign_splits(3, 0.01, 0.01, 0)) == {"train": 1, "val": 1, "test": 1}
    assert set(assign_splits(7, 0.0, 1.0, 0)) == {"test"}  # an evaluation set
    with pytest.raises(ValueError, match="split fractions"):
        assign_splits(10, 0.6, 0.5, 0)


def test_geometry_answers_decode_to_ground_truth(data):
    """det / ground / regcap boxes are the objects' boxes within one bin; det lists each object once."""
    _, recs, scenes = data
    seen = Counter()
    for r in recs:
        q, a = r["conversations"][0]["value"], r["conversations"][1]["value"]
        s, f = _frame(r, scenes)
        by_id = {o["id"]: o for o in f["objects"]}
        if r["task"] in ("det", "ground"):
            obb = q.endswith("Use oriented boxes.")
            if a == "None.":
                assert r["task"] == "det" and not r["meta"]["target_ids"]
                continue
            dec = geometry.decode(a, width=64, height=64)
            assert dec.problems == [] and len(dec.objects) == len(r["meta"]["target_ids"])
            for o, i in zip(dec.objects, r["meta"]["target_ids"]):
                assert o["kind"] == ("obb" if obb else "box")
                gt = by_id[i]
                if obb:  # same corners, same turn; quantising may move which corner is top-most (first)
                    got, want = np.reshape(o["coords"], (4, 2)), np.reshape(gt["obb"], (4, 2))
                    assert min(np.abs(got - np.roll(want, k, axis=0)).max() for k in range(4)) <= 64 / 1000 + 1e-6
                else:
                    assert np.abs(np.array(o["coords"]) - np.array(gt["hbox"])).max() <= 64 / 1000 + 1e-6
                if r["task"] == "det":
                    assert o["label"] == gt["class"]
            seen[r["task"]] += 1
        if r["task"] == "det" and r["meta"]["target_class"]:
            assert sorted(r["meta"]["target_ids"]) == sorted(o["id"] for o in f["objects"] if o["class"] == r["meta"]["target_class"])
        if r["task"] == "regcap":
            box = geometry.decode(q, width=64, height=64).objects[0]["coords"]
            gt = by_id[r["meta"]["target_ids"][0]]
            assert np.abs(np.array(box) - np.array(gt["hbox"])).max() <= 64 / 1000 + 1e-6
            assert gt["class"] in a
            seen["regcap"] += 1
    assert seen["det"] > 10 and seen["ground"] > 5 and seen["regcap"] > 10


def test_segmentation_answers_match_masks(data):
    out, recs, _ = data
    ious, forms = [], Counter()
    for r in recs:
        if r["task"] not in ("seg", "change") or not r["meta"]["gt_mask"] or "caption" in r["meta"]["subtask"]:
            continue
        gt = np.isin(np.asarray(Image.open(out / r["meta"]["gt_mask"])), r["meta"]["gt_values"])
        a = r["conversations"][1]["value"]
        form = "grid" if r["conversations"][0]["value"].endswith("grid mask.") else "poly"
        forms[form] += 1
        if a == "No change.":
            assert not gt.any()
            continue
        dec = geometry.decode(a, width=64, height=64)
        assert dec.problems == [] and {o["kind"] for o in dec.objects} == ({"mask"} if form == "grid" else {"poly"})
        ious.append(geometry.mask_iou(geometry.objects_to_mask(dec.objects, 64, 64), gt))
    assert len(ious) > 15 and forms["grid"] and forms["poly"]
    assert np.median(ious) > 0.7 and min(ious) > 0.3


def test_text_answers_match_ground_truth(data):
    _, recs, scenes = data
    qtypes = Counter()
    for r in recs:
        s, f = _frame(r, scenes)
        a, m = r["conversations"][1]["value"], r["meta"]
        counts = Counter(o["class"] for o in f["objects"])
        if r["task"] == "cls":
            assert a == s["scene_class"]
        if r["task"] == "count" or m["qtype"] == "count":
            assert a == str(counts[m["target_class"]])
        if m["qtype"]:
            qtypes[m["qtype"]] += 1
        if m["qtype"] == "presence":
            assert a == ("yes" if counts[m["target_class"]] else "no")
        if m["qtype"] == "modality":
            assert a == {"optical": "optical", "sar": "SAR", "ir": "infrared", "msi": "multispectral"}[m["modality"]]
        if m["qtype"] == "attribute_colour":
            assert m["modality"] == "optical"  # colour is not asked of sar, ir or msi
        if m["qtype"] == "position":
            o = next(o for o in f["objects"] if o["id"] == m["target_ids"][0])
            assert R.region_of(*o["center"], 64, 64) == {a}
        if r["task"] == "change" and m["subtask"] == "change_caption":
            assert (a == "Nothing changed.") == (not s["changes"])
    assert len(qtypes) >= 4


def _obj(i, cls, cx, cy, area, colour=""):
    return {"id": i, "class": cls, "center": [cx, cy], "area": area, "attributes": {"colour": colour}}


def test_referring_expressions_are_unique():
    objs = [_obj(1, "ship", 10, 10, 100), _obj(2, "ship", 50, 12, 40), _obj(3, "ship", 52, 90, 38),
            _obj(4, "storage tank", 20, 80, 60), _obj(5, "small vehicle", 90, 90, 8, "red"),
            _obj(6, "small vehicle", 95, 20, 8, "blue")]
    cands = R.candidates(objs, 100, 100)
    texts = {R.text(e): i for e, i in cands}
    assert texts["the largest ship"] == 1 and "the smallest ship" not in texts  # 40 vs 38: a tie
    assert texts["the storage tank"] == 4 and texts["the red small vehicle"] == 5
    assert texts["the ship closest to the storage tank"] == 3
    assert texts["the leftmost ship"] == 1 and "the rightmost ship" not in texts  # 50 vs 52: too close
    assert "the ship" not in texts  # three ships
    for e, i in cands:
        assert R.resolve(e, objs, 100, 100) == [i]
    assert not any(e[0] == "colour" for e, _ in R.candidates(objs, 100, 100, colours=False))


def test_phrasing_variety_and_token_rule():
    for name in ("CLS", "CAP", "COUNT", "DET_ALL", "DET_CLASS", "GROUND", "REGCAP_CLASS", "REGCAP_DESC", "SEG_CLASS",
                 "SEG_REF", "SEG_LANDCOVER", "CHANGE_CAPTION", "CHANGE_SEG"):
        assert len(set(getattr(P, name))) >= 5, name
    assert all(len(set(v)) >= 5 for v in P.VQA.values())
    assert answer_tokens("<ref>small vehicle</ref><box><loc_1><loc_2><loc_3><loc_4></box>") == 2 + 2 + 6
    assert answer_tokens("Two ships were built.") == 4 and answer_tokens("[det] 3") == 2


def test_task_and_modality_mix_from_config(tmp_path):
    cfg = from_dict(SynthConfig, {"modalities": ["optical", "sar"], "scene": {"size": 48},
                                  "instructions": {"records_per_image": 3, "task_weights": {"count": 1.0, "cls": 1.0},
                                                   "modality_weights": {"sar": 0.0}}})
    rep = synthesize(tmp_path, 5, seed=1, cfg=cfg, progress=False, verbose=False)
    recs = [json.loads(x) for s in ("train", "val", "test") for x in (tmp_path / f"{s}.jsonl").read_text().splitlines()]
    assert {r["task"] for r in recs} == {"count", "cls"} and {r["meta"]["modality"] for r in recs} == {"optical"}
    assert len(recs) == 10 == rep["records"]  # 2 usable tasks per optical image
    stats = json.loads((tmp_path / "stats.json").read_text())
    assert stats["tasks"] == dict(Counter(r["task"] for r in recs)) and stats["scenes"] == 5
    assert stats["answer_tokens"]["cls"]["max"] == max(answer_tokens(r["conversations"][1]["value"])
                                                      for r in recs if r["task"] == "cls")
    bad = from_dict(SynthConfig, {"instructions": {"task_weights": {"detect": 1.0}}})
    with pytest.raises(ValueError, match="detect"):
        synthesize(tmp_path / "bad", 1, seed=0, cfg=bad, progress=False, verbose=False)
    assert not (tmp_path / "bad").exists()  # checked before anything is written


def test_skips_are_counted(data):
    out, recs, _ = data
    stats = json.loads((out / "stats.json").read_text())
    assert stats["records"] == len(recs)
    assert stats["skipped_total"] == sum(stats["skipped"].values())
    assert all(re.match(r"^[a-z]+", k) for k in stats["skipped"])


def test_rebuild_with_another_mix(data, tmp_path):
    from data_gen.instructions.rebuild import main

    out, recs, _ = data
    rc = main(["--dir", str(out), "--seed", "4", "--prefix", "g_", "instructions.task_weights={ground: 1}",
               "instructions.records_per_image=1"])
    assert rc == 0
    new = [json.loads(x) for s in ("train", "val", "test") for x in (out / f"g_{s}.jsonl").read_text().splitlines()]
    assert new and {r["task"] for r in new} == {"ground"}
    split_of = {r["meta"]["scene"]: r["meta"]["split"] for r in recs}
    assert all(split_of[r["meta"]["scene"]] == r["meta"]["split"] for r in new)
    stats = json.loads((out / "g_stats.json").read_text())
    assert stats["tasks"] == {"ground": len(new)} and stats["skipped_total"] > 0  # scenes without a unique object
    assert main(["--dir", str(tmp_path)]) == 2


def test_wording_has_no_clashes(data):
    _, recs, _ = data
    for r in recs:
        a, m = r["conversations"][1]["value"], r["meta"]
        assert "large small" not in a and "small large" not in a and "medium small" not in a
        if m["qtype"] == "attribute_size":
            assert not m["target_class"].endswith("vehicle")
        assert "There are one " not in a
