"""Builders for the text-answer tasks: [cls], [cap], [count], [vqa].

Every builder takes a ``View`` (one scene frame seen in one modality) and returns a ``Sample``
or raises ``Skip`` with the reason (counted in the stats, never silent).
"""

from __future__ import annotations

import zlib
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from data_gen.instructions import phrasings as P
from data_gen.instructions import referring as R
from data_gen.synth.classes import OBJECT_CLASSES, SEMANTIC_CLASSES
from rsvlm.data.conversation import MODALITY_WORDS  # the prompt's word of each modality: answers say the same


class Skip(Exception):
    """This view cannot give a record of the asked kind; the message is the counted reason."""


@dataclass
class View:
    scene: dict  # ground-truth JSON of the scene
    frame: int  # index into scene["frames"]
    modality: str
    masks: dict  # "sem[_t0|_t1]", "inst[_t0|_t1]", "change" -> arrays
    rng: np.random.Generator
    cfg: object  # InstructionConfig
    cache: dict = field(default_factory=dict)  # per-scene memo of encoded masks

    @property
    def objects(self) -> list[dict]:
        return self.scene["frames"][self.frame]["objects"]

    @property
    def w(self) -> int:
        return self.scene["width"]

    @property
    def h(self) -> int:
        return self.scene["height"]

    @property
    def suffix(self) -> str:
        t = self.scene["frames"][self.frame]["time"]
        return f"_{t}" if t else ""

    def pick(self, items):
        return items[int(self.rng.integers(len(items)))]

    def counts(self) -> Counter:
        return Counter(o["class"] for o in self.objects)


@dataclass
class Sample:
    question: str  # after the task tag, without <image>
    answer: str
    subtask: str
    question_type: str = ""
    target_class: str = ""
    target_ids: list[int] = field(default_factory=list)
    gt_mask: str = ""  # a mask file; ground truth = isin(mask, gt_values)
    gt_values: list[int] = field(default_factory=list)
    expression: str = ""


def build_cls(v: View) -> Sample:
    return Sample(v.pick(P.CLS), v.scene["scene_class"], "cls")


def _position(o: dict, v: View) -> str:
    return next(iter(R.region_of(o["center"][0], o["center"][1], v.w, v.h)))


def caption(v: View) -> str:
    """Scene sentence, object counts, dominant land cover, and where the largest object lies."""
    sc = v.scene["scene_class"]
    out = [v.pick(P.SCENE_OPENINGS).format(a_scene=P.SCENE_PHRASE[sc])]
    counts = v.counts()
    if counts:
        items = [P.count_phrase(counts[c], c) for c in OBJECT_CLASSES if counts[c]]
        verb = "is" if items[0].startswith("one ") else "are"  # agrees with the first noun phrase
        out.append(v.pick([f"There {verb} {P.join_list(items)}.", f"It contains {P.join_list(items)}.",
                           f"Visible {verb} {P.join_list(items)}."]))
    else:
        out.append(v.pick(["No objects of interest are visible.", "There are no vehicles, ships or buildings.",
                           "It contains no man-made objects."]))
    sem = v.masks[f"sem{v.suffix}"]
    frac = np.bincount(sem.ravel(), minlength=len(SEMANTIC_CLASSES))[:5] / sem.size
    lc = int(np.argmax(frac))
    if frac[lc] > 0.3:
        cover = "Trees cover" if SEMANTIC_CLASSES[lc] == "tree" else f"{SEMANTIC_CLASSES[lc].capitalize()} covers"
        out.append(f"{cover} about {int(round(frac[lc] * 10)) * 10}% of the image.")
    if counts:
        big = max(v.objects, key=lambda o: o["area"])
        out.append(f"The largest object is a {big['class']} {R.place(_position(big, v))}.")
    return " ".join(out)


def build_cap(v: View) -> Sample:
    return Sample(v.pick(P.CAP), caption(v), "cap")


def _count_class(v: View, present_p: float) -> str:
    counts = v.counts()
    present = [c for c in OBJECT_CLASSES if counts[c]]
    absent = [c for c in OBJECT_CLASSES if not counts[c]]
    if present and (not absent or v.rng.uniform() < present_p):
        return v.pick(present)
    return v.pick(absent)


def build_count(v: View) -> Sample:
    """The number; with ``count_points`` first a ``<point>`` on each counted object's centre in
    reading order (top to bottom, then left to right), so the model writes its evidence before
    the total: ``<point><loc_104><loc_208></point><point>…</point> 2``. Zero stays ``0``.
    ``point_count_share`` of the records ask for that form in their own words ("Point to each
    ship, then count them.", subtask ``count_points``); the share is drawn from the scene, sensor
    and frame, not from ``v.rng``, so every other record stays as it is without it."""
    from rsvlm.geometry import encode

    cls = _count_class(v, v.cfg.count_present_share)
    objs = sorted((o for o in v.objects if o["class"] == cls), key=lambda o: (o["center"][1], o["center"][0]))
    question, point, sub = v.pick(P.COUNT), v.cfg.count_points, "count"
    if v.cfg.point_count_share > 0:
        side = np.random.default_rng(zlib.crc32(f"{v.scene['scene']}/{v.modality}/{v.frame}".encode()))
        if side.uniform() < v.cfg.point_count_share:
            question, point, sub = P.COUNT_POINT[int(side.integers(len(P.COUNT_POINT)))], True, "count_points"
    ans = str(len(objs))
    if point and objs:
        ans = encode([{"kind": "point", "label": None, "coords": o["center"]} for o in objs], v.w, v.h) + " " + ans
    return Sample(question.format(s=cls, pl=P.plural(cls)), ans, sub, target_class=cls,
                  target_ids=[o["id"] for o in objs])


def _attribute_kinds(v: View) -> list[str]:
    return ["colour", "orientation", "size"] if v.modality == "optical" else ["orientation", "size"]


def build_vqa(v: View) -> Sample:
    """One VQA pair; yes/no questions (presence, comparison) only of scenes with objects, each answer drawn
    even: in an empty scene (a lake, bare land) both were always "no", and a comparison's second class mostly
    absent or tied (1 yes in 3 overall)."""
    types = ["count", "modality"]
    if v.objects:
        types = ["presence", "count", "comparison", "modality", "position", "attribute"]
    qtype = v.pick(types)
    counts = v.counts()
    if qtype == "presence":
        cls = _count_class(v, 0.5)
        ans = "yes" if counts[cls] else "no"
        return Sample(v.pick(P.VQA["presence"]).format(s=cls, pl=P.plural(cls)), ans, "vqa", qtype, cls)
    if qtype == "count":
        cls = _count_class(v, v.cfg.count_present_share)
        return Sample(v.pick(P.VQA["count"]).format(pl=P.plural(cls)), str(counts[cls]), "vqa", qtype, cls,
                      [o["id"] for o in v.objects if o["class"] == cls])
    if qtype == "comparison":  # a class present, b one of another count (no tie): yes or no, one each half
        a = _count_class(v, 1.0)
        b = v.pick([c for c in OBJECT_CLASSES if counts[c] != counts[a]] or [c for c in OBJECT_CLASSES if c != a])
        if (counts[a] > counts[b]) != (v.rng.uniform() < 0.5):
            a, b = b, a
        ans = "yes" if counts[a] > counts[b] else "no"
        q = v.pick(P.VQA["comparison"]).format(a=P.plural(a), b=P.plural(b))
        return Sample(q, ans, "vqa", qtype, f"{a}|{b}")
    if qtype == "modality":
        return Sample(v.pick(P.VQA["modality"]), MODALITY_WORDS[v.modality], "vqa", qtype)
    if qtype == "position":
        cands = [(e, i) for e, i in R.candidates(v.objects, v.w, v.h, ("class", "size", "relation"), False)
                 if len(R.region_of(*_obj(v, i)["center"], v.w, v.h, R.EDGE)) == 1]
        if not cands:
            raise Skip("vqa position: no unambiguous object")
        e, i = v.pick(cands)
        q = v.pick(P.VQA["position"]).format(expr=R.text(e))
        return Sample(q, _position(_obj(v, i), v), "vqa", qtype, e[1], [i], expression=R.text(e))
    kind = v.pick(_attribute_kinds(v))
    cands = R.candidates(v.objects, v.w, v.h, ("class", "extreme", "relation"), False)
    if kind == "colour":
        cands = [(e, i) for e, i in cands if _obj(v, i)["attributes"]["colour"]]
    if kind == "size":  # "is the small vehicle small?" would be a riddle
        cands = [(e, i) for e, i in cands if not _obj(v, i)["class"].endswith("vehicle")]
    if kind == "orientation":
        cands = [(e, i) for e, i in cands if _obj(v, i)["class"] != "storage tank" and _clear_orientation(_obj(v, i))]
    if not cands:
        raise Skip(f"vqa attribute {kind}: no unique object")
    e, i = v.pick(cands)
    o = _obj(v, i)
    ans = o["attributes"][kind] if kind != "orientation" else o["attributes"]["orientation"]
    q = v.pick(P.VQA[kind]).format(expr=R.text(e))
    return Sample(q, ans, "vqa", f"attribute_{kind}", e[1], [i], expression=R.text(e))


def _clear_orientation(o: dict) -> bool:
    """Orientation answers only for objects at least 8 degrees away from a class boundary."""
    a = o["angle"] % 180
    return min(abs(a - b) for b in (22.5, 67.5, 112.5, 157.5)) >= 8


def _obj(v: View, i: int) -> dict:
    return next(o for o in v.objects if o["id"] == i)
