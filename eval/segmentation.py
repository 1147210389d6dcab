"""Referring and class segmentation: mIoU, cIoU, gIoU and P@0.5 on rasterised answers.

``python -m eval.segmentation --gt GT.jsonl --pred PRED.jsonl [--out scores.json] [--format …]``

Reference and prediction are rasterised to (height, width) masks with
``rsvlm.geometry.objects_to_mask`` (pixel centres inside polygons, boxes and obbs; grid masks
as decoded; points add nothing), in the window of the image that holds their shapes
(``eval.regions.mask_overlap``: outside it both are empty, and a large scene's full-size masks took
about 0.5 GB a record). The unit of scoring is a (record, class) pair, the class being
the reference's normalised ``<ref>`` phrase: a record whose reference has one class is one unit
and every predicted shape counts for it, whatever its label; a record with several classes
(semantic segmentation in one answer) gives one unit per class, and predicted shapes go to the
class of their label — shapes of another class of the set's references are that class's false positives (their
pixels join its union in mIoU and cIoU, as a semantic-segmentation confusion matrix counts them; no unit, so not in
gIoU or P@), and shapes of a class no reference in the set has are counted (``n_pred_objects_unknown_class``) and
cannot be scored.

* unit IoU = |P ∩ G| / |P ∪ G|, and 1 when both masks are empty, if the record was answered (a missing or
  unparseable prediction is an empty mask, but no answer: 0, where it scored 1 on every "None." reference);
* ``gIoU``: mean unit IoU; ``cIoU``: sum of intersections / sum of unions over all units;
* ``mIoU``: mean over classes of (sum of intersections / sum of unions of that class's units);
  with free-form referring phrases every phrase is a class of its own. A class with no pixel in
  any reference or prediction has no IoU (``None`` in ``per_class_IoU``) and is left out of the
  mean, as semantic-segmentation mIoU leaves out absent classes;
* ``P@0.5`` (also ``P@0.7``, ``P@0.9``): fraction of units with IoU >= the threshold.

A reference with no object ("None.") is one unit of the class it asks for (``asked_classes``):
the phrase of a ``<ref>`` in it, else the one class of the set's references that its question
names (plurals and spellings too, as ``label_key`` reads them; the longest where one contains another,
"small vehicle" over "vehicle"), so
shapes drawn on it are that class's false positives. One whose class cannot be told (the question
names none of the references' classes, or several) is scored in gIoU, cIoU and P@ but left out of
mIoU, counted (``n_empty_references_unassigned``) and noted.

Missing and unparseable predictions are empty masks (and counted). It cannot read reference
masks from image files: the reference must be geometry in the answer (a mask file converts with
``rsvlm.geometry.mask_to_objects``). A reference holding a point (no pixel) is skipped and counted
(``answers.region_reference``); one holding a box or obb is scored as its rectangle, with a note: training
skips such a [seg] answer, as decoding cannot give it, but a reference is compared by its pixels alone.
"""

from __future__ import annotations

import re
from collections import defaultdict

import numpy as np

from eval import common, regions
from eval.answers import region_reference, seg_box_note
from eval.counts import counted

HEADLINE = ["mIoU", "cIoU", "gIoU", "P@0.5"]
THRESHOLDS = (0.5, 0.7, 0.9)
UNASSIGNED = "(empty reference, class unknown)"  # the unit class of an empty reference asking for no known class


def asked_classes(items: list[common.Item]) -> None:
    """``extra["asked_class"]`` of each item (None where the reference holds objects): for an empty
    reference, the normalised phrase of a ``<ref>`` in it, else the one class of the set's references
    its question names (as the word or its plural; of nested names the longest), else ``UNASSIGNED``."""
    refs = {it.id: common.ref_objects(it) for it in items}
    known = {common.norm_label(o.get("label")) for objs in refs.values() for o in objs} - {""}
    for it in items:
        it.extra["set_classes"] = frozenset(known)  # a several-class record's shapes of another one: its false positives
        if refs[it.id]:
            it.extra["asked_class"] = None  # the reference's own classes
            continue
        ref = re.search(r"<ref>(.*?)</ref>", common.gt_answer(it.record), re.S)
        if ref and common.norm_label(ref.group(1)):
            it.extra["asked_class"] = common.norm_label(ref.group(1))
            continue
        question = common.norm_label(common.prompt(it.record))
        named = [c for c in known if re.search(rf"(?<![a-z0-9]){_plural_pattern(c)}(?![a-z0-9])", question)
                 or _names_by_key(c, question)]
        named = [c for c in named if not any(c != o and c in o for o in named)]  # "vehicle" in "small vehicle"
        it.extra["asked_class"] = named[0] if len(named) == 1 else UNASSIGNED


def _names_by_key(name: str, question: str) -> bool:
    """Whether words of ``question`` name the class ``name`` as ``rsvlm.answer_words.label_key`` reads labels (as
    detection and a several-class reference read predicted ones): a spelling or plural the pattern does not know,
    ``harbours`` for DOTA's ``harbor``, ``leaves`` for ``leaf``."""
    from rsvlm.answer_words import label_key

    words, n, key = re.findall(r"[a-z0-9]+", question), len(name.split()), label_key(name)
    return any(label_key(" ".join(words[i:i + n])) == key for i in range(len(words) - n + 1))


def _plural_pattern(name: str) -> str:
    """A regex for a class name or its English plural (ship(s), bus(es), ferry/ferries)."""
    if re.search(r"[^aeiou]y$", name):
        return re.escape(name[:-1]) + "(?:y|ies)"
    return re.escape(name) + "(?:e?s)?"


def units(gt: list[dict], pred: list[dict], width: int, height: int, asked: str = UNASSIGNED,
          known: frozenset = frozenset()) -> tuple[list[tuple], int]:
    """([(class, inter, union)], number of predicted shapes of no class of the reference or of ``known``, the set's);
    a reference with no object is one unit of the ``asked`` class. In a several-class reference, shapes of a class of
    ``known`` it lacks come last as ``(class, 0, their pixels)``: that class's false positives, no unit."""
    classes = list(dict.fromkeys(common.norm_label(o.get("label")) for o in gt)) or [asked]
    if len(classes) == 1:
        groups = {classes[0]: (gt, pred)}
        unknown = 0
    else:  # a shape labelled "trees" is the reference's "tree" (common.read_as_known)
        labels = [common.norm_label(o.get("label")) for o in pred]
        for among in (set(classes), known):  # its own classes first: "ships" here is its "ship", though a set class
            read_as = common.read_as_known(among, set(labels) - set(classes))
            labels = [read_as.get(lab, lab) for lab in labels]
        groups = {c: ([o for o in gt if common.norm_label(o.get("label")) == c],
                      [o for o, lab in zip(pred, labels) if lab == c]) for c in [*classes, *sorted(known)]}
        groups = {c: v for c, v in groups.items() if c in classes or v[1]}  # a set class it lacks, drawn here
        unknown = sum(1 for lab in labels if lab not in groups)
    out = []
    for c, (g, p) in groups.items():
        inter, p_only, g_only = regions.mask_overlap(g, p, width, height)  # in the shapes' window, not (H, W)
        out.append((c, inter, inter + p_only + g_only))
    return out, unknown


def score(items: list[common.Item], args=None) -> dict:
    fmt = getattr(args, "format", "rsvlm")
    if any("asked_class" not in it.extra for it in items):  # not prepared over the whole set (main does)
        asked_classes(items)
    statuses, all_units, answered, strays, n_unknown, n_coco = [], [], [], [], 0, 0
    empty = {"n": 0, "answered_empty": 0, "unassigned": 0, "unassigned_with_shapes": 0}
    for it in common.progress(items, "segmentation"):
        w, h = common.image_size(it.record)
        parsed = common.pred_objects(it, fmt)
        statuses.append(parsed.status)
        gt = common.ref_objects(it)
        try:
            asked, known = it.extra.get("asked_class", UNASSIGNED), it.extra.get("set_classes", frozenset())
            # once a run: the whole set's, the modality's; keyed by the set's classes too (a caller's other set: stale)
            u, unknown = common.kept(it, f"units:{fmt}:{asked}:{sorted(known)}", units, gt, parsed.objects, w, h,
                                     asked, known)
        except ValueError as e:
            raise common.ScoreError(f"record {it.id!r}: {e}") from e
        own = {common.norm_label(o.get("label")) for o in gt} or {asked}
        strays += [x for x in u if x[0] not in own]  # a set class the reference lacks, drawn: false positives alone
        u = [x for x in u if x[0] in own]
        said = parsed.status not in common.NO_ANSWER  # an empty map, but no answer of one
        if not gt:
            drew = u[0][2] > 0  # union of an empty reference: the predicted pixels
            empty["n"] += 1
            empty["answered_empty"] += said and not drew
            if u[0][0] == UNASSIGNED:
                empty["unassigned"] += 1
                empty["unassigned_with_shapes"] += drew
        all_units += u
        answered += [said] * len(u)
        n_unknown += unknown
        if unknown:  # a COCO result's class is a number: no name to match a several-class reference's by
            n_coco += common.coco_unlabelled(parsed.objects)
    ious = np.array([i / u if u else float(ok) for (_, i, u), ok in zip(all_units, answered)])
    by_class = defaultdict(lambda: [0, 0])
    for c, i, u in all_units + strays:
        if c != UNASSIGNED:  # no class: in gIoU, cIoU and P@, not in mIoU
            by_class[c][0] += i
            by_class[c][1] += u
    class_iou = {c: (i / u if u else None) for c, (i, u) in sorted(by_class.items())}  # None: no pixel either side
    notes = [f"{counted(n_unknown, 'predicted shape')} in several-class records {'names' if n_unknown == 1 else 'name'} no class of the set's references, "
             "not scored" + (f" ({n_coco} of them {'carries' if n_coco == 1 else 'carry'} {common.COCO_CLASS_ADVICE})" if n_coco else "")] if n_unknown else []
    if empty["unassigned"]:
        notes.append(f"{counted(empty['unassigned'], 'record')} with an empty reference {'asks' if empty['unassigned'] == 1 else 'ask'} for no one class of the set's "
                     "references (no <ref> in the reference; the question names none of their classes, or several): "
                     f"in gIoU, cIoU and P@, left out of mIoU; {empty['unassigned_with_shapes']} of them answered "
                     "with shapes")
    if boxed := seg_box_note(items):  # scored as rectangles: said, as the model cannot answer so
        notes.append(boxed)
    present = [v for v in class_iou.values() if v is not None]
    sum_i, sum_u = sum(i for _, i, _ in all_units), sum(u for _, _, u in all_units + strays)
    return {
        "mIoU": float(np.mean(present)) if present else None,
        "cIoU": sum_i / sum_u if sum_u else float(all(answered)),
        "gIoU": float(ious.mean()),
        **{f"P@{t}": float((ious >= t).mean()) for t in THRESHOLDS},
        **common.counts(items, statuses),
        "n_units": len(all_units), "n_classes": len(class_iou),
        "n_pred_objects_unknown_class": n_unknown,
        "n_empty_references": empty["n"], "n_empty_references_answered_empty": empty["answered_empty"],
        "n_empty_references_unassigned": empty["unassigned"],
        "per_class_IoU": class_iou if len(class_iou) <= 200 else "(over 200 classes; left out)",
        "notes": notes,
    }


def main(argv: list[str] | None = None) -> dict:
    # a reference of points (no pixel): skipped, counted; boxes scored as rectangles, noted (seg_box_note)
    return common.run("segmentation", ("seg",), score, HEADLINE, argv, prepare=asked_classes, check=region_reference)


if __name__ == "__main__":
    common.main_guard(main)
