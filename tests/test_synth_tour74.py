"""Synthetic sets, stop 74: every geometry a record writes decodes back to the objects drawn, over several seeds
and scene sizes (boxes, obbs, points, polygons, grid masks, change masks), and the records validate."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from data_gen.synth.config import SynthConfig
from data_gen.synth.run import synthesize
from rsvlm import geometry
from rsvlm.config import from_dict
from rsvlm.data.records import check_shapes, normalize_record
from rsvlm.tokens import MODALITIES, TASKS


def _make(out, seed: int, size: int, n: int = 8) -> tuple[list[dict], dict[str, dict]]:
    cfg = from_dict(SynthConfig, {"scene": {"size": size, "pairs_fraction": 0.5},
                                  "instructions": {"all_tasks": True, "point_count_share": 0.5}})
    synthesize(out, n, seed=seed, cfg=cfg, progress=False, verbose=False)
    recs = [json.loads(ln) for s in ("train", "val", "test") for ln in (out / f"{s}.jsonl").read_text().splitlines()]
    scenes = {p.stem: json.loads(p.read_text()) for p in (out / "scenes").glob("*.json")}
    return recs, scenes


def _frame(rec: dict, scene: dict) -> dict:
    t = rec["meta"]["time"].split(",")[-1]
    return next(f for f in scene["frames"] if f["time"] == t)


@pytest.mark.parametrize("seed,size", [(11, 48), (12, 64), (13, 100), (14, 128)])
def test_every_geometry_decodes_back_to_the_objects_drawn(tmp_path, seed, size):
    recs, scenes = _make(tmp_path, seed, size)
    half_bin = 0.5 * size / 1000 + 1e-6  # a coordinate decodes to its bin's centre
    seen = set()
    for r in recs:
        normalize_record(r, r["id"])  # what training and eval read
        check_shapes(r, r["id"])  # no crossing obb, no shape a reference may not hold
        m, (q, a) = r["meta"], (t["value"] for t in r["conversations"])
        assert (m["width"], m["height"]) == (size, size)
        scene = scenes[m["scene"]]
        by_id = {o["id"]: o for o in _frame(r, scene)["objects"]}
        dq, da = geometry.decode(q, size, size), geometry.decode(a, size, size)
        assert dq.problems == [] and da.problems == [], r["id"]
        for o in dq.objects:  # [regcap]: the box asked about is the target's box
            assert o["kind"] == "box" and r["task"] == "regcap"
            assert np.abs(np.subtract(o["coords"], by_id[m["target_ids"][0]]["hbox"])).max() <= half_bin
            seen.add("regcap/box")
        kinds = {o["kind"] for o in da.objects}
        if kinds & {"box", "obb", "point"}:
            assert len(da.objects) == len(m["target_ids"]), r["id"]
            for o, i in zip(da.objects, m["target_ids"]):
                gt = by_id[i]
                seen.add(f"{r['task']}/{o['kind']}")
                if o["kind"] == "box":
                    assert np.abs(np.subtract(o["coords"], gt["hbox"])).max() <= half_bin, r["id"]
                elif o["kind"] == "point":
                    assert np.abs(np.subtract(o["coords"], gt["center"])).max() <= half_bin, r["id"]
                else:  # the same corners, the same turn; quantising may change which one is first
                    got, want = np.reshape(o["coords"], (4, 2)), np.reshape(gt["obb"], (4, 2))
                    assert min(np.abs(got - np.roll(want, k, axis=0)).max() for k in range(4)) <= half_bin, r["id"]
                if r["task"] == "det":
                    assert o["label"] == gt["class"]
        if kinds & {"poly", "mask"}:  # [seg] and [change] shapes cover the mask they were made of
            gt = np.isin(np.asarray(Image.open(tmp_path / m["gt_mask"])), m["gt_values"])
            got = geometry.objects_to_mask(da.objects, size, size)
            assert geometry.mask_iou(got, gt) >= 0.5, r["id"]
            seen.update(f"{r['task']}/{k}" for k in kinds)
        if r["task"] == "change" and m["subtask"].startswith("change_seg") and a == "No change.":
            assert not np.asarray(Image.open(tmp_path / m["gt_mask"])).any()
        if r["task"] == "count":
            assert a.split()[-1] == str(len(m["target_ids"]))
            assert sorted(m["target_ids"]) == sorted(i for i, o in by_id.items() if o["class"] == m["target_class"])
    assert {r["task"] for r in recs} == set(TASKS) and {r["meta"]["modality"] for r in recs} == set(MODALITIES)
    assert {"det/box", "det/obb", "ground/box", "ground/obb", "regcap/box", "count/point"} <= seen
    assert {"seg/poly", "seg/mask"} <= seen and seen & {"change/poly", "change/mask"}


@pytest.mark.parametrize("seed,size", [(21, 64), (22, 96)])
def test_change_masks_are_the_changed_objects_of_their_frames(tmp_path, seed, size):
    # each change's object is drawn in the change mask (t0's pixels for what left, t1's for what came) and
    # nothing else is: the mask a [change] answer is made of is the scene's changes
    _, scenes = _make(tmp_path, seed, size, n=10)
    pairs = [s for s in scenes.values() if s["pair"]]
    assert pairs
    for s in pairs:
        inst = [np.asarray(Image.open(tmp_path / f["inst_mask"])).astype(int) for f in s["frames"]]
        want = np.zeros((size, size), bool)
        for c in s["changes"]:
            drawn = inst[0 if c["type"] in ("departed", "demolished") else 1] == c["id"]
            assert drawn.sum() == c["area"] > 0, (s["scene"], c)
            x1, y1, x2, y2 = c["hbox"]
            ys, xs = np.nonzero(drawn)
            assert x1 - 1 <= xs.min() and xs.max() < x2 + 1 and y1 - 1 <= ys.min() and ys.max() < y2 + 1
            want |= drawn
        assert ((np.asarray(Image.open(tmp_path / s["change_mask"])) > 0) == want).all(), s["scene"]


def test_the_order_modalities_are_named_in_changes_no_byte_of_the_set(tmp_path):
    # --modalities sar,optical drew other tasks for the same images than optical,sar (records, scene JSON,
    # config.yaml all differed): one set of modalities is one set, whatever order it is named in
    from data_gen.__main__ import main

    sets = []
    for order in ("sar,optical", "optical,sar"):
        out = tmp_path / order.replace(",", "_")
        assert main(["synth", "--out", str(out), "--n", "5", "--size", "32", "--seed", "4", "--no-progress",
                     "--modalities", order]) == 0
        sets.append({p.relative_to(out): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()})
    assert sets[0] == sets[1]
    assert "modalities:\n- optical\n- sar\n" in sets[0][Path("config.yaml")].decode()
