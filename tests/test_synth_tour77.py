"""Tour 77 of the synthetic data: the records' answers against their scene files, checked here on their own
(counts, det boxes, grounded shapes, segmentation and change masks), and a rebuild of a scene JSON whose object
holds a malformed box."""

import json
import re

import numpy as np
import pytest
from PIL import Image

from rsvlm import geometry


@pytest.fixture(scope="module")
def synth_set(tmp_path_factory):
    from data_gen.synth.config import SynthConfig
    from data_gen.synth.run import synthesize
    from rsvlm.config import from_dict

    out = tmp_path_factory.mktemp("syn")
    cfg = from_dict(SynthConfig, {"scene": {"pairs_fraction": 0.5}, "instructions": {"all_tasks": True}})
    synthesize(out, 12, 77, cfg, workers=1, progress=False, verbose=False)
    recs = [json.loads(line) for s in ("train", "val", "test") for line in (out / f"{s}.jsonl").open()]
    scenes = {p.stem: json.loads(p.read_text()) for p in (out / "scenes").glob("*.json")}
    return out, recs, scenes


def _objects(scene, time):
    frame = next(f for f in scene["frames"] if f["time"] == time) if time and "," not in time else scene["frames"][-1]
    return frame["objects"]


def _encloses(b, hb, tol):
    return b[0] <= hb[0] + tol and b[1] <= hb[1] + tol and b[2] >= hb[2] - tol and b[3] >= hb[3] - tol


def test_answers_agree_with_their_scene(synth_set):
    root, recs, scenes = synth_set
    checked, wrong = {}, []
    for r in recs:
        m, answer = r["meta"], r["conversations"][1]["value"]
        sc = scenes[m["scene"]]
        w, h, st = sc["width"], sc["height"], m["subtask"]
        tol = w / 1000 + 0.6  # a bin, and the scene's 2-decimal rounding
        objs = _objects(sc, m["time"])
        d = geometry.decode(answer, w, h)
        if st == "count" or (st == "vqa" and m["qtype"] == "count"):
            want = sum(o["class"] == m["target_class"] for o in objs)
            nums = re.findall(r"\b\d+\b", d.text)
            ok = bool(nums) and int(nums[-1]) == want
        elif st == "det_hbox":
            want = [o for o in objs if o["class"] == m["target_class"] or not m["target_class"]]
            ok = not d.problems and len(d.objects) == len(want) and all(
                any(o["label"] in (t["class"], None) and _encloses(o["coords"], t["hbox"], tol) for o in d.objects)
                for t in want)
        elif st.startswith("ground_"):
            targets = [o for o in objs if o["id"] in m["target_ids"]]
            ok = bool(targets) and len(d.objects) == len(targets)
            for t in targets:
                pts = [np.asarray(o["coords"], float).reshape(-1, 2) for o in d.objects]
                ok &= any(np.hypot(*(np.asarray(t["obb"]) - p[:, None]).transpose(2, 0, 1)).min(1).max() <= 2 * tol
                          if o["kind"] == "obb" else _encloses(o["coords"], t["hbox"], tol)
                          for o, p in zip(d.objects, pts))
        elif st.startswith(("seg_", "change_seg")):
            pred = geometry.objects_to_mask(d.objects, w, h) if d.objects else np.zeros((h, w), bool)
            if st.startswith("change_seg"):
                gt = np.asarray(Image.open(root / sc["change_mask"])) > 0
                centres = [np.mean(c["obb"], 0) for c in sc["changes"]]
                ok = m["gt_mask"] == sc["change_mask"] and all(pred[int(y), int(x)] for x, y in centres)
            else:
                gt = np.isin(np.asarray(Image.open(root / m["gt_mask"])), m["gt_values"])
                ok = True
            iou = (gt & pred).sum() / max((gt | pred).sum(), 1)
            ok &= not d.problems and (iou >= 0.5 or not (gt.any() or pred.any()))
        elif st == "cls":
            ok = answer.strip(". ").lower() == sc["scene_class"]
        else:
            continue
        checked[st] = checked.get(st, 0) + 1
        if not ok:
            wrong.append(f"{r['id']}: {answer[:100]}")
    assert not wrong, wrong[:5]
    assert {"count", "det_hbox", "cls"} <= set(checked) and any(k.startswith("change_seg") for k in checked)
    assert sum(checked.values()) >= 100, checked


def test_a_scene_whose_object_box_is_malformed_is_named_by_rebuild(synth_set, tmp_path):
    """hbox [1, 2, "x"] stopped a rebuild with "not enough values to unpack (expected 4, got 3)", no file named."""
    import shutil

    from data_gen.instructions.config import InstructionConfig
    from data_gen.instructions.rebuild import rebuild

    root = tmp_path / "set"
    shutil.copytree(synth_set[0], root)
    path = next(p for p in sorted((root / "scenes").glob("*.json"))
                if json.loads(p.read_text())["frames"][0]["objects"])
    scene = json.loads(path.read_text())
    scene["frames"][0]["objects"][0]["hbox"] = [1, 2, "x"]
    path.write_text(json.dumps(scene))
    with pytest.raises(ValueError, match=re.escape(f"{path}: not a scene JSON of `python -m data_gen synth` "
                                                   "(frames[0].objects[0] has hbox [1, 2, 'x'], not 4 numbers")):
        rebuild(root, InstructionConfig(), 0, prefix="re_", progress=False)
    assert not list(root.glob("re_*"))


@pytest.mark.parametrize("key, value, said", [
    ("obb", [[1, 2], [3, 4], [5, 6]], "obb [[1, 2], [3, 4], [5, 6]], not 4 [x, y] corners"),
    ("center", [1.0, float("nan")], "center [1.0, nan], not [x, y]"),
    ("area", True, "area True, not a number"),
])
def test_an_object_field_that_is_no_numbers_is_refused(key, value, said):
    from data_gen.instructions.rebuild import _object_problem

    obj = {"id": 1, "class": "ship", "hbox": [1, 2, 3, 4], "obb": [[1, 2], [3, 2], [3, 4], [1, 4]],
           "center": [2, 3], "area": 4, "angle": 0.0, "attributes": {}}
    assert _object_problem(obj, ("id", "class")) == ""
    assert _object_problem({**obj, key: value}, ("id", "class")).startswith(f"has {said}")


def test_names_meant_says_each_near_name_with_its_typo():
    from data_gen.instructions.config import names_meant
    from rsvlm.tokens import MODALITIES

    assert names_meant(["sarr", "optcal", "nir"], MODALITIES) == "; did you mean 'sar' for 'sarr', 'optical' for 'optcal'?"


def test_a_modality_answer_is_the_word_the_prompt_says_of_it(synth_set):
    """data_gen kept its own copy of rsvlm.data.conversation's modality words, free to drift from the prompt's."""
    from rsvlm.data.conversation import MODALITY_WORDS

    said = {(r["meta"]["modality"], r["conversations"][1]["value"]) for r in synth_set[1]
            if r["meta"]["subtask"] == "vqa" and r["meta"]["qtype"] == "modality"}
    assert said and all(answer == MODALITY_WORDS[m] for m, answer in said), said


@pytest.mark.parametrize("argv, rc", [(["--help"], 0), (["help"], 0), ([], 2)])
def test_data_gen_without_a_command_says_what_each_command_makes(argv, rc, capsys):
    """The usage line named synth, convert, chat and rebuild, not what any of them does; ``help`` was unknown."""
    from data_gen.__main__ import main

    assert main(argv) == rc
    out = capsys.readouterr()
    said = out.out if rc == 0 else out.err
    for command in ("synth", "convert", "chat", "rebuild"):
        assert re.search(rf"^  {command} +\w", said, re.M), said


def test_preview_of_a_scene_given_by_its_index_names_its_id(synth_set, tmp_path, capsys):
    """``--scenes 2`` said only "not under …/scenes (first there: s77-000000)"."""
    from data_gen.synth.preview import main

    assert main(["--dir", str(synth_set[0]), "--out", str(tmp_path / "p"), "--scenes", "2,99"]) == 2
    assert capsys.readouterr().err.rstrip().endswith("scenes are named by id: 2 is s77-000002?)")
    assert not (tmp_path / "p").exists()
