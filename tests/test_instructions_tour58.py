"""Instruction building, tour 58: referring expressions a reader would find ambiguous, scene JSON a
hand edit broke, masks that do not fit their scene, mixes rebuild cannot make, skips and cuts that
went uncounted or under the wrong task, seg answers too coarse for their mask, caption and chat wording."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from data_gen.instructions import referring as R
from data_gen.instructions.builders import Skip, View, caption
from data_gen.instructions.builders_geo import _seg_answer, build_change
from data_gen.instructions.chat import chain
from data_gen.instructions.config import InstructionConfig
from data_gen.instructions.rebuild import main
from data_gen.synth.classes import SEMANTIC_ID
from data_gen.synth.config import SynthConfig
from data_gen.synth.run import synthesize
from rsvlm import geometry
from rsvlm.config import from_dict


def _obj(i, cls, cx, cy, area=50, colour=""):
    return {"id": i, "class": cls, "center": [cx, cy], "area": area, "attributes": {"colour": colour}}


def test_side_region_reads_as_the_whole_row_or_column():
    # ship 1 in the left-middle cell, ship 2 in the top left corner: "the ship in the left of the
    # image" could mean either, "the ship in the top left of the image" only ship 2
    objs = [_obj(1, "ship", 10, 50), _obj(2, "ship", 12, 10), _obj(3, "ship", 80, 85)]
    texts = {R.text(e): i for e, i in R.candidates(objs, 100, 100)}
    assert "the ship in the left of the image" not in texts
    assert R.resolve(("region", "ship", "left"), objs, 100, 100) == [1, 2]
    assert texts["the ship in the top left of the image"] == 2
    assert texts["the ship in the bottom right of the image"] == 3
    # alone in its row, the top-centre ship is "the ship in the top part of the image" (a side says
    # "part" like left and right; "in the top of the image" read as its edge)
    objs = [_obj(1, "ship", 50, 10), _obj(2, "ship", 12, 60)]
    texts = {R.text(e): i for e, i in R.candidates(objs, 100, 100)}
    assert texts["the ship in the top part of the image"] == 1
    assert "the ship in the top of the image" not in texts
    assert [R.place(r) for r in ("top", "bottom", "left", "right")] == [
        f"in the {r} part of the image" for r in ("top", "bottom", "left", "right")]
    assert R.place("bottom left") == "in the bottom left of the image" and R.place("centre") == "in the centre"


@pytest.fixture(scope="module")
def synth_dir(tmp_path_factory) -> Path:
    """A small written synth set (pairs included): copy it before changing it."""
    out = tmp_path_factory.mktemp("tour58")
    cfg = from_dict(SynthConfig, {"modalities": ["optical"], "scene": {"size": 48, "pairs_fraction": 0.5},
                                  "instructions": {"all_tasks": True}})
    synthesize(out, 4, seed=2, cfg=cfg, progress=False, verbose=False)
    for s in ("train", "val", "test"):
        (out / f"{s}.jsonl").unlink()  # rebuild may then write without a prefix
    return out


def _copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def test_rebuild_refuses_a_mask_of_another_size(synth_dir, tmp_path, capsys):
    d = _copy(synth_dir, tmp_path / "d")
    mask = sorted((d / "masks").glob("*_inst.png"))[0]
    with Image.open(mask) as im:  # a resized mask gave shapes at half the scene's scale, silently
        im.resize((24, 24), Image.NEAREST).save(mask)
    assert main(["--dir", str(d), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert str(mask) in err and "24x24" in err and "48x48" in err
    assert not (d / "train.jsonl").exists()


@pytest.mark.parametrize("edit, words", [
    (lambda o: o.pop("hbox"), "objects[0] has no key 'hbox'"),  # was a KeyError traceback
    (lambda o: o.update({"class": "helicopter"}), "class 'helicopter', not one of plane"),  # was "'helicopter' is not in tuple"
])
def test_rebuild_names_a_hand_edited_object(synth_dir, tmp_path, capsys, edit, words):
    d = _copy(synth_dir, tmp_path / "d")
    for path in sorted((d / "scenes").glob("*.json")):
        scene = json.loads(path.read_text())
        for f in scene["frames"]:
            for o in f["objects"]:
                edit(o)
        path.write_text(json.dumps(scene))
    first = sorted((d / "scenes").glob("*.json"))[0]
    assert main(["--dir", str(d), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert str(first) in err and words in err


def test_rebuild_names_an_unknown_change_type(synth_dir, tmp_path, capsys):
    d = _copy(synth_dir, tmp_path / "d")
    path = next(p for p in sorted((d / "scenes").glob("*.json")) if json.loads(p.read_text())["changes"])
    scene = json.loads(path.read_text())
    scene["changes"][0]["type"] = "moved"  # the change caption left it out, unsaid
    path.write_text(json.dumps(scene))
    assert main(["--dir", str(d), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and "changes[0] has type 'moved'" in err


def test_cut_detection_answers_are_reported(synth_dir, tmp_path, capsys):
    d = _copy(synth_dir, tmp_path / "d")
    assert main(["--dir", str(d), "--no-progress", "instructions.max_det_objects=1",
                 "instructions.task_weights={det: 1}"]) == 0
    recs = [json.loads(x) for s in ("train", "val", "test") for x in (d / f"{s}.jsonl").read_text().splitlines()]
    cut = sum(r["meta"]["subtask"].endswith("_cut") for r in recs)
    assert cut > 0 and json.loads((d / "stats.json").read_text())["det_cut"] == cut
    assert f"cut       {cut} [det] answers" in capsys.readouterr().out  # the printed table said nothing of them


def _pop_modality(s: dict) -> None:
    for f in s["frames"]:
        f["images"]["rgb"] = f["images"].pop("optical")


@pytest.mark.parametrize("edit, words", [  # each was a KeyError traceback
    (lambda s: s["bands"].pop("optical"), "modality 'optical': not one of"),
    (_pop_modality, "modality 'rgb': not one of"),
    (lambda s: s.update({"change_mask": ""}), "'pair' does not agree"),
])
def test_rebuild_names_a_scene_whose_images_or_pair_do_not_fit(synth_dir, tmp_path, capsys, edit, words):
    d = _copy(synth_dir, tmp_path / "d")
    path = next(p for p in sorted((d / "scenes").glob("*.json")) if json.loads(p.read_text())["pair"])
    scene = json.loads(path.read_text())
    edit(scene)
    path.write_text(json.dumps(scene))
    assert main(["--dir", str(d), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and words in err


def test_rebuild_with_no_rendered_modality_weighted_is_an_error(synth_dir, tmp_path, capsys):
    d = _copy(synth_dir, tmp_path / "d")  # optical only: a mix for sar alone made no record and exit 0
    assert main(["--dir", str(d), "--no-progress", "instructions.modality_weights={optical: 0, sar: 1}"]) == 2
    assert "every modality of the scenes (optical) has weight 0" in capsys.readouterr().err
    assert not (d / "train.jsonl").exists()


def test_rebuild_of_change_only_without_pairs_is_an_error(synth_dir, tmp_path, capsys):
    d = _copy(synth_dir, tmp_path / "d")
    for path in (d / "scenes").glob("*.json"):
        if json.loads(path.read_text())["pair"]:
            path.unlink()  # single scenes left: a change-only mix wrote no record and exited 0
    assert main(["--dir", str(d), "--no-progress", "instructions.task_weights={change: 1}"]) == 2
    assert "change is the only task with a weight > 0" in capsys.readouterr().err


def test_chat_later_turns_lose_a_trailing_image_placeholder_cleanly():
    def rec(i, q):
        return {"id": f"r{i}", "images": [{"path": "a.png", "modality": "optical"}], "task": "vqa", "meta": {},
                "conversations": [{"from": "human", "value": q}, {"from": "gpt", "value": "yes"}]}

    conv = chain([rec(0, "Is there a ship?\n<image>"), rec(1, "Is there a plane?\n<image>")], turns=2)[0]
    humans = [t["value"] for t in conv["conversations"] if t["from"] == "human"]
    assert humans[0].endswith("\n<image>") and humans[1] in ("Is there a ship?", "Is there a plane?")  # was '…?\n'


def test_closest_is_unique_by_box_gap_as_well_as_by_centre():
    def box(i, cls, x1, y1, x2, y2):
        return {**_obj(i, cls, (x1 + x2) / 2, (y1 + y2) / 2), "hbox": [x1, y1, x2, y2]}

    tank = box(1, "storage tank", 40, 40, 50, 50)
    near_centre = box(2, "building", 52, 40, 60, 50)  # centre 11 px from the tank's, 2 px gap
    long_touching = box(3, "building", 50, 10, 90, 39)  # centre 37 px away, but its box nearly touches
    far = box(4, "building", 5, 85, 12, 95)
    objs = [tank, near_centre, long_touching, far]
    assert R.resolve(("relation", "building", "storage tank"), objs, 100, 100) == [2, 3]
    assert "the building closest to the storage tank" not in {R.text(e) for e, _ in R.candidates(objs, 100, 100)}
    objs = [tank, near_centre, far]  # without the long one, the near one is closest either way
    assert R.resolve(("relation", "building", "storage tank"), objs, 100, 100) == [2]


def test_caption_says_trees_cover():
    scene = {"scene": "x", "scene_class": "forest", "width": 32, "height": 32, "pair": False,
             "frames": [{"time": "", "objects": [], "sem_mask": "", "inst_mask": ""}]}
    masks = {"sem": np.full((32, 32), SEMANTIC_ID["tree"], np.uint8), "inst": np.zeros((32, 32), np.int32)}
    text = caption(View(scene, 0, "optical", masks, np.random.default_rng(0), InstructionConfig()))
    assert text.endswith(" Trees cover about 100% of the image.")  # was "Tree covers about …"
    masks["sem"][:] = SEMANTIC_ID["water"]
    assert caption(View(scene, 0, "optical", masks, np.random.default_rng(0), InstructionConfig())).endswith(
        " Water covers about 100% of the image.")


def test_a_seg_answer_too_coarse_for_its_mask_is_skipped_and_counted():
    mask = np.zeros((64, 64), bool)  # a thin X of roads: 4 vertices (budget 8) make a quadrilateral over it
    for i in range(64):
        mask[i, max(0, i - 1):i + 1] = mask[i, max(0, 62 - i):64 - i] = True
    scene = {"scene": "x", "scene_class": "residential", "width": 64, "height": 64, "pair": False,
             "frames": [{"time": "", "objects": []}]}

    def view(budget):
        return View(scene, 0, "optical", {}, np.random.default_rng(0),
                    InstructionConfig(grid_fraction=0.0, mask_budget=budget))

    with pytest.raises(Skip, match="too coarse"):  # was written as the answer, IoU 0.06 with its own mask
        _seg_answer(mask, "pavement", view(8))
    text, _ = _seg_answer(mask, "pavement", view(64))
    shapes = geometry.objects_to_mask(geometry.decode(text, 64, 64).objects, 64, 64)
    assert geometry.mask_iou(shapes, mask) >= 0.5


def test_a_change_mask_in_too_many_pieces_is_counted_under_change():
    change = np.zeros((40, 40), bool)
    change[2:40:4, 2:40:4] = True  # 100 separate changed pixels
    scene = {"scene": "x", "scene_class": "parking lot", "width": 40, "height": 40, "pair": True,
             "changes": [{"type": "arrived", "class": "small vehicle", "id": 1}], "change_mask": "m.png",
             "frames": [{"time": "t0", "objects": []}, {"time": "t1", "objects": []}]}
    reasons = set()
    for seed in range(10):
        try:
            build_change(View(scene, 1, "optical", {"change": change}, np.random.default_rng(seed), InstructionConfig()))
        except Skip as e:
            reasons.add(str(e))
    assert reasons == {"change: more than 8 separate pieces"}  # was counted as "seg: …" in the stats


def test_rebuild_counts_scenes_without_a_split(synth_dir, tmp_path, capsys):
    d = _copy(synth_dir, tmp_path / "d")
    path = sorted((d / "scenes").glob("*.json"))[0]
    scene = json.loads(path.read_text())
    del scene["split"]  # went to train unsaid, a held-out scene among them too
    path.write_text(json.dumps(scene))
    assert main(["--dir", str(d), "--no-progress"]) == 0
    assert json.loads((d / "stats.json").read_text())["scenes_without_split"] == {"scenes": 1, "first": str(path)}
    assert f"1 scene names no split and went to train (first: {path})" in capsys.readouterr().err


@pytest.mark.parametrize("view, sides", [("t", "left top right bottom"), ("h", "left right top top"),
                                         ("v", "top bottom left left"), ("th", "left top right bottom")])
def test_side_place_maps_through_a_mirror_view(view, sides):
    # TTA says a record's question of a mirror view: "in the left part of the image" under a
    # transpose is "in the top part of the image", as a side's own place() says it, and back
    from rsvlm.tta_words import swap_words
    a, b, c, d = sides.split()
    for src, dst in ((a, b), (c, d)):
        q = f"Where is the ship {R.place(src)}?"
        assert swap_words(q, view) == f"Where is the ship {R.place(dst)}?"
        assert swap_words(swap_words(q, view), view, back=True) == q
