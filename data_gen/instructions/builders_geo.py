"""Builders for the geometry tasks: [det], [ground], [regcap], [seg], [change].

All geometry text comes from ``rsvlm.geometry`` (``encode`` / ``mask_to_objects``). Order of
objects in a [det] answer: by class (``OBJECT_CLASSES`` order), then top to bottom, left to
right by box corner. Objects beyond ``max_det_objects`` are left out and the record says so in
``meta.subtask`` ("..._cut"); it is never silent.
"""

from __future__ import annotations

import numpy as np

from data_gen.instructions import phrasings as P
from data_gen.instructions import referring as R
from data_gen.instructions.builders import Sample, Skip, View, _obj, _position
from data_gen.synth.classes import OBJECT_CLASSES, SEMANTIC_ID

LANDCOVER = {"water": "water", "trees": "tree", "pavement": "pavement", "low vegetation": "low vegetation",
             "bare land": "bare land"}
MAX_MASK_PARTS = 8  # seg answers with more separate pieces than this are skipped (too long)
MIN_ANSWER_IOU = 0.5  # seg answers whose decoded shapes overlap their mask less than this are skipped


def _encode(objects: list[dict], v: View) -> str:
    from rsvlm.geometry import encode

    return encode(objects, width=v.w, height=v.h)


def _mask_objects(mask: np.ndarray, label: str | None, form: str, v: View) -> list[dict]:
    from rsvlm.geometry import mask_to_objects

    return mask_to_objects(mask, label, form=form, budget=v.cfg.mask_budget)


def _shape(o: dict, obb: bool, label: str | None) -> dict:
    return {"kind": "obb", "label": label, "coords": o["obb"]} if obb else {"kind": "box", "label": label, "coords": o["hbox"]}


def _order(objs: list[dict]) -> list[dict]:
    return sorted(objs, key=lambda o: (OBJECT_CLASSES.index(o["class"]), o["hbox"][1], o["hbox"][0]))


def build_det(v: View) -> Sample:
    obb = v.rng.uniform() < v.cfg.obb_fraction
    counts = v.counts()
    if v.rng.uniform() < 0.3:
        cls, objs = "", v.objects
        q = v.pick(P.DET_ALL)
    else:
        present = [c for c in OBJECT_CLASSES if counts[c]]
        absent = [c for c in OBJECT_CLASSES if not counts[c]]
        cls = v.pick(present) if present and (not absent or v.rng.uniform() < 0.85) else v.pick(absent)
        objs = [o for o in v.objects if o["class"] == cls]
        q = v.pick(P.DET_CLASS).format(s=cls, pl=P.plural(cls))
    objs = _order(objs)
    cut = len(objs) > v.cfg.max_det_objects
    objs = objs[: v.cfg.max_det_objects]
    ans = _encode([_shape(o, obb, o["class"]) for o in objs], v) if objs else "None."
    sub = ("det_obb" if obb else "det_hbox") + ("_cut" if cut else "")
    return Sample(q + (P.OBB_SUFFIX if obb else ""), ans, sub, target_class=cls, target_ids=[o["id"] for o in objs])


def build_ground(v: View) -> Sample:
    cands = R.candidates(v.objects, v.w, v.h, colours=v.modality == "optical")
    if not cands:
        raise Skip("ground: no uniquely referable object")
    kinds = sorted({e[0] for e, _ in cands})  # balance expression kinds, not objects
    kind = v.pick(kinds)
    e, i = v.pick([c for c in cands if c[0][0] == kind])
    obb = v.rng.uniform() < v.cfg.obb_fraction
    expr = R.text(e)
    q = v.pick(P.GROUND).format(expr=expr) + (P.OBB_SUFFIX if obb else "")
    ans = _encode([_shape(_obj(v, i), obb, None)], v)
    return Sample(q, ans, f"ground_{'obb' if obb else 'box'}_{e[0]}", target_class=e[1], target_ids=[i],
                  expression=expr)


def describe(o: dict, v: View) -> str:
    colour = o["attributes"]["colour"] if v.modality == "optical" and o["class"] != "storage tank" else ""
    size = "" if o["class"].endswith("vehicle") else o["attributes"]["size"]  # no "large small vehicle"
    words = " ".join(w for w in (size, colour, o["class"]) if w)
    art = "an" if words[0] in "aeiou" else "a"
    return f"{art} {words} {R.place(_position(o, v))}"


def build_regcap(v: View) -> Sample:
    if not v.objects:
        raise Skip("regcap: scene has no objects")
    o = v.pick(v.objects)
    box = _encode([{"kind": "box", "label": None, "coords": o["hbox"]}], v)
    if v.rng.uniform() < 0.5:
        return Sample(v.pick(P.REGCAP_CLASS).format(box=box), o["class"], "regcap_class", target_class=o["class"],
                      target_ids=[o["id"]])
    text = describe(o, v)
    return Sample(v.pick(P.REGCAP_DESC).format(box=box), text[0].upper() + text[1:] + ".", "regcap_desc",
                  target_class=o["class"], target_ids=[o["id"]])


def _seg_answer(mask: np.ndarray, label: str, v: View, task: str = "seg") -> tuple[str, str]:
    from scipy import ndimage

    form = "grid" if v.rng.uniform() < v.cfg.grid_fraction else "poly"
    if ndimage.label(mask)[1] > MAX_MASK_PARTS:
        raise Skip(f"{task}: more than {MAX_MASK_PARTS} separate pieces")
    key = (mask.tobytes(), label, form)  # the same mask is asked about in several modalities
    if key not in v.cache:
        text = _encode(_mask_objects(mask, label, form, v), v)
        v.cache[key] = text, _answer_iou(text, mask, v)
    text, iou = v.cache[key]
    if iou < MIN_ANSWER_IOU:  # a thin road network simplified to one quadrilateral over half the image
        raise Skip(f"{task}: answer too coarse for the mask budget (IoU < {MIN_ANSWER_IOU})")
    return text, form


def _answer_iou(text: str, mask: np.ndarray, v: View) -> float:
    """IoU of the decoded answer with the mask it describes."""
    from rsvlm.geometry import decode, mask_iou, objects_to_mask

    return mask_iou(objects_to_mask(decode(text, v.w, v.h).objects, v.w, v.h), mask)


def build_seg(v: View) -> Sample:
    frame = v.scene["frames"][v.frame]
    sem, inst = v.masks[f"sem{v.suffix}"], v.masks[f"inst{v.suffix}"]
    kind = v.pick(["class", "referring", "landcover"] if v.objects else ["landcover"])
    if kind == "class":
        cls = v.pick(sorted({o["class"] for o in v.objects}))
        ids = [o["id"] for o in v.objects if o["class"] == cls]
        ans, form = _seg_answer(np.isin(inst, ids), cls, v)
        q = v.pick(P.SEG_CLASS).format(s=cls, pl=P.plural(cls))
        extra = dict(target_class=cls, target_ids=ids, gt_mask=frame["inst_mask"], gt_values=ids)
    elif kind == "referring":
        cands = R.candidates(v.objects, v.w, v.h, colours=v.modality == "optical")
        if not cands:
            raise Skip("seg referring: no uniquely referable object")
        e, i = v.pick(cands)
        ans, form = _seg_answer(inst == i, e[1], v)
        q = v.pick(P.SEG_REF).format(expr=R.text(e))
        extra = dict(target_class=e[1], target_ids=[i], gt_mask=frame["inst_mask"], gt_values=[i], expression=R.text(e))
    else:
        frac = np.bincount(sem.ravel(), minlength=5)[:5] / sem.size
        names = [n for n, sem_name in LANDCOVER.items() if frac[SEMANTIC_ID[sem_name]] > 0.03]
        if not names:
            raise Skip("seg landcover: no land cover over 3% of the image")
        name = v.pick(names)
        sid = SEMANTIC_ID[LANDCOVER[name]]
        ans, form = _seg_answer(sem == sid, name, v)
        q = v.pick(P.SEG_LANDCOVER).format(lc=name)
        extra = dict(target_class=name, gt_mask=frame["sem_mask"], gt_values=[sid])
    suffix = P.GRID_SUFFIX if form == "grid" else P.POLY_SUFFIX
    return Sample(q + suffix, ans, f"seg_{kind}_{form}", **extra)


def change_caption(changes: list[dict]) -> str:
    if not changes:
        return "Nothing changed."
    verbs = {"built": ("was built", "were built"), "demolished": ("was demolished", "were demolished"),
             "arrived": ("appeared", "appeared"), "departed": ("left", "left")}
    out = []
    for kind in ("built", "demolished", "arrived", "departed"):
        by_cls: dict[str, int] = {}
        for c in changes:
            if c["type"] == kind:
                by_cls[c["class"]] = by_cls.get(c["class"], 0) + 1
        for cls, n in sorted(by_cls.items(), key=lambda kv: OBJECT_CLASSES.index(kv[0])):
            phrase = P.count_phrase(n, cls)
            out.append(f"{phrase[0].upper() + phrase[1:]} {verbs[kind][n != 1]}.")
    return " ".join(out)


def build_change(v: View) -> Sample:
    """Two-image record (t0, t1 of ``v.modality``): change caption or change segmentation."""
    if not v.scene["pair"]:
        raise Skip("change: scene is not a pair")
    changes = v.scene["changes"]
    ids = [c["id"] for c in changes]
    if v.rng.uniform() < 0.5:
        return Sample(v.pick(P.CHANGE_CAPTION), change_caption(changes), "change_caption", target_ids=ids,
                      gt_mask=v.scene["change_mask"], gt_values=[255])
    q = v.pick(P.CHANGE_SEG)
    mask = v.masks["change"]
    if not mask.any():
        form = "grid" if v.rng.uniform() < v.cfg.grid_fraction else "poly"
        ans = "No change."
    else:
        ans, form = _seg_answer(mask, "change", v, "change")
    suffix = P.GRID_SUFFIX if form == "grid" else P.POLY_SUFFIX
    return Sample(q + suffix, ans, f"change_seg_{form}", target_ids=ids, gt_mask=v.scene["change_mask"], gt_values=[255])
