"""What the scoring scripts read from a ground-truth record and a prediction: the reference answer,
the prompt, the modality and image size, and the objects of an answer in pixels (``pred_objects``:
a prediction's status, ok, partial, missing or unparseable). ``eval.common`` re-exports them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from eval.gt_refusal import FALCON_REWRITE
from eval.inputs import CROSSING_OBB, BadReference, Item, ScoreError, crossing_obb_advice

FORMATS = ("rsvlm", "geochat", "falcon")
# what each format's geometry looks like: an answer of another format decodes to nothing, silently
FORMAT_MARKS = {"rsvlm": re.compile(r"<loc_\d+>"), "geochat": re.compile(r"\{\s*<\s*-?\d"),
                "falcon": re.compile(r"<(?:box|quad|poly)>\s*<\d")}
T = TypeVar("T")
MISSING, UNPARSEABLE, PARTIAL, OK = "missing", "unparseable", "partial", "ok"
NO_ANSWER = (MISSING, UNPARSEABLE)  # statuses of no answer: not even one of nothing ("None.")


@dataclass
class Parsed:
    """Objects read from one prediction; ``status`` is ok, missing or unparseable."""

    objects: list[dict]
    status: str
    problems: list[str] = field(default_factory=list)


# ----------------------------------------------------------------------------- record fields


def gt_answer(record: dict) -> str:
    """The reference answer: the last assistant turn."""
    for turn in reversed(record["conversations"]):
        if turn["from"] in ("gpt", "assistant"):
            return turn["value"]
    raise ScoreError(f"record {record['id']!r}: no gpt turn")


def prompt(record: dict) -> str:
    """The last user turn before the reference answer."""
    users = [t["value"] for t in record["conversations"] if t["from"] in ("human", "user")]
    return users[-1] if users else ""


def modality(record: dict, pred: dict | None = None) -> str:
    """The record's modality; bi-temporal pairs of two modalities read ``optical+sar``, a record
    without an image ``text`` (as training groups it). An image the record does not name the
    modality of takes the one ``rsvlm eval`` inferred reading it (the prediction's ``modalities``),
    else reads ``unknown``: never taken for optical."""
    from rsvlm.data.modality import UNKNOWN
    from rsvlm.tokens import MODALITIES

    images = record.get("images") or []
    run = pred.get("modalities") if isinstance(pred, dict) else None
    run = run if isinstance(run, list) and len(run) == len(images) else [None] * len(images)
    mods = [im.get("modality") or (m if m in MODALITIES else UNKNOWN) for im, m in zip(images, run)]
    return "+".join(dict.fromkeys(mods)) or "text"


def image_size(record: dict) -> tuple[int, int]:
    meta = record.get("meta") or {}
    w, h = meta.get("width"), meta.get("height")
    from eval.regions import is_number

    if not all(is_number(v) and v >= 1 for v in (w, h)):  # np.int64 too (a record built in Python)
        raise ScoreError(f"record {record['id']!r}: meta.width/meta.height missing or not positive numbers (got "
                         f"{w!r:.20} x {h!r:.20}); geometry cannot be put in pixels without them")  # NaN: a traceback
    return int(w), int(h)


def number_text(answer: Any) -> str | None:
    """An answer given as a JSON number (``"answer": 7``, ``7.0``; not ``true``, not NaN) as its digits,
    where a number is an answer (a count, a VQA answer that is a number; NumPy's too); None for anything else."""
    from eval.regions import is_number

    if is_number(answer, whole=True):
        return str(int(answer))
    if is_number(answer):
        return f"{float(answer):f}".rstrip("0").rstrip(".")  # 1e+20 is no "1e 20", a count of 20; 7.0 is "7"
    return None


def not_text(answer: Any) -> str:
    """What an ``answer`` that is no string is, for the note naming its row: ``the number 7``, ``null``."""
    if isinstance(answer, bool) or answer is None:
        return json.dumps(answer)
    if number_text(answer) is not None:
        return f"the number {answer}"
    return f"{type(answer).__name__} {json.dumps(answer, default=str)[:40]}"


def reference_words(record: dict, yes_no: bool) -> str:
    """The reference answer of a classification or VQA ``record`` as ``eval.text.normalize_answer`` reads it; a
    BadReference naming the record where nothing is left of it (``.``, ``-``: no answer could match it, all scored
    wrong without a word), saying so where it is a lone article (``A``, a multiple-choice letter, read as ``a``)."""
    from eval.text import ARTICLES, normalize_answer

    if words := normalize_answer(ref := gt_answer(record), yes_no):
        return words
    letter = re.sub(r"[\W_]+", "", ref).lower() in ARTICLES  # "A", "(A)", "A.": an option's letter
    raise BadReference("reference: nothing left once normalised", f"record {record['id']!r}: reference answer "
                       f"{ref[:40]!r} has nothing left once normalised (punctuation and the articles a, an, the are "
                       "left out): no answer could match it" + (
                           "; a multiple-choice letter? 'A' reads as the article: give the options' text (or 'option "
                           "A') in the references and the answers" if letter else ""))


def norm_label(label: Any) -> str:
    """Class names compare NFKC-normalised (as answers are: a decomposed "é" is the composed one), lowercased, with
    ``-``/``_`` as spaces and whitespace collapsed."""
    if label is None:
        return ""
    from rsvlm.answer_words import plain_label

    return plain_label(str(label))


def read_as_known(known: set[str], labels: set[str]) -> dict[str, str]:
    """{label: class} for each of ``labels`` (``norm_label``'s) that is no class of ``known`` but names one by
    ``rsvlm.answer_words.label_key``, as the fusion reads labels: ``ships`` is ``ship``, ``storage tanks`` is
    ``storage tank``. A key two classes of ``known`` share (``building`` and ``buildings`` both references) maps
    to neither, and a label that is a class is never read as another: two classes are never merged."""
    from rsvlm.answer_words import label_key

    by_key: dict[str, list[str]] = {}
    for c in known:
        by_key.setdefault(label_key(c), []).append(c)
    return {lab: by_key[key][0] for lab in labels - known
            if lab and len(by_key.get(key := label_key(lab), ())) == 1}


# ----------------------------------------------------------------------------- answers → objects


def ref_objects(item: Item) -> list[dict]:
    """``gt_objects`` of ``item``'s record, decoded once per item (kept in ``item.extra``): a scorer reads them for the
    whole set and again for each modality's part. Each call gets its own object dicts (a scorer's ``o["label"] = …``
    reaches no other call's). What ``load_gt`` decoded of it is read once and let go (a mask's, held twice)."""
    return [dict(o) for o in kept(item, "ref_objects", gt_objects, item.record, item.extra.pop("ref_decoded", None))]


def gt_objects(record: dict, decoded=None) -> list[dict]:
    """Objects of the reference answer in pixels as the scripts score them (``regions.for_scoring``: a box
    narrower than one bin made one bin wide); a malformed reference raises ScoreError. The scorers read an item's
    through ``ref_objects``, which decodes each once, or takes what ``load_gt``'s check decoded (``decoded``:
    ``rsvlm.geometry.decode`` of the answer at the record's size)."""
    from rsvlm import geometry

    w, h = image_size(record)
    answer = gt_answer(record)
    dec = decoded if decoded is not None else geometry.decode(answer, w, h)
    if dec.problems:  # (a crossing <obb>: load_gt's check says so first, where records are checked)
        if (crossing := next((p for p in dec.problems if CROSSING_OBB in p), None)) is None:
            raise ScoreError(f"record {record['id']!r}: ground-truth answer does not parse: {dec.problems[:3]}")
        # a reference is not repaired: no "; swapped", the way out
        raise ScoreError(crossing_obb_advice(f"record {record['id']!r}: ground-truth answer does not parse: {crossing}"))
    foreign_reference(record)
    from eval import regions

    return regions.for_scoring(list(dec.objects), w, h)


def foreign_reference(record: dict) -> None:
    """BadReference where ``record``'s reference answer holds another tool's geometry (GeoChat's, Falcon's): a set
    scored unconverted, whose boxes read as no object and every answer as a false positive. ``load_gt`` skips such a
    record, counted; a set all of them is refused."""
    answer = gt_answer(record)
    if other := next((f for f, mark in FORMAT_MARKS.items() if f != "rsvlm" and mark.search(answer)), None):
        raise BadReference(f"reference: {other} geometry", f"record {record['id']!r}: the ground-truth answer holds "
                           f"{other} geometry ({answer[:80]!r}), which reads as no object: " + (
                               "convert the set first (python -m data_gen convert llava rewrites GeoChat's boxes)"
                               if other == "geochat" else "no converter reads Falcon's sets: rewrite it with "
                               f"{FALCON_REWRITE}") + "; --format is the predictions' format")


def area_reference(record: dict) -> None:
    """``foreign_reference``, then BadReference where ``record``'s reference (det, ground) holds shapes of no area,
    points or masks, which an IoU cannot match (was: the whole file refused in the scorer); ``load_gt`` skips such a
    record, counted. Only a reference with a ``<point>`` or ``<mask>`` tag is decoded here."""
    foreign_reference(record)
    answer = gt_answer(record)
    if "<point>" not in answer and "<mask>" not in answer:
        return
    from eval.regions import AREA_KINDS
    from rsvlm import geometry

    meta = record.get("meta") or {}
    size = [v if isinstance(v, int) and not isinstance(v, bool) and v >= 1 else 1000 for v in (meta.get("width"),
                                                                                               meta.get("height"))]
    kinds = sorted({f"{o['kind']}s" for o in geometry.decode(answer, *size).objects if o["kind"] not in AREA_KINDS})
    if kinds:
        raise BadReference(f"reference: {' and '.join(kinds)}", f"record {record['id']!r}: the {record['task']} "
                           f"reference holds {' and '.join(kinds)} ({answer[:80]!r}), which have no area for an IoU to "
                           "match: give boxes, obbs or polygons" + ("; a count's points are python -m eval.counting's"
                                                                    if "points" in kinds else ""))


def region_reference(record: dict) -> None:
    """``foreign_reference``, then BadReference where ``record``'s [seg] reference holds a ``<point>``: it has no
    pixel, so a reference of points alone read as an empty one ("None."), on which an empty answer scored 1. Boxes
    and obbs are scored as the rectangles they are (``seg_box_note`` says so): training skips a [seg] answer holding
    one (``record_fields.SEG_NOT_REGION``) as decoding cannot give it, but a reference is compared by its pixels
    alone, and ``rsvlm eval`` answers such a record. Read from the answer's tags, not decoded."""
    foreign_reference(record)
    if "<point>" in (answer := gt_answer(record)):
        raise BadReference("reference: points", f"record {record['id']!r}: the seg reference holds points "
                           f"({answer[:80]!r}), which have no pixel for an IoU to count: give polygons or masks")


def seg_box_note(items: list[Item]) -> str | None:
    """A note where [seg] references hold boxes or obbs (a GeoChat set converted under --task seg, a hand-made one):
    scored as their rectangles' pixels, while the model answers <poly> or <mask> alone and training skips such
    records (seg_answer_not_a_region); None where none does."""
    boxed = [it.id for it in items if re.search(r"<(?:box|obb)>", gt_answer(it.record))]
    if not boxed:
        return None
    one = len(boxed) == 1
    return (f"{len(boxed)} of the {len(items)} seg references {'holds' if one else 'hold'} a box or obb (first: "
            f"{boxed[0]}): scored as {'its' if one else 'their'} rectangles' pixels against answers that give "
            "<poly> or <mask> alone (the decoding grammar's; training skips such records, seg_answer_not_a_region)")


def gt_difficult(record: dict, n_objects: int) -> set[int]:
    """Indices of the reference answer's difficult objects, from ``meta.difficult`` (indices from 0
    into the decoded objects, in answer order, as the DOTA and VOC converters write it); empty
    when the key is absent. A value that is not a list of such indices raises ScoreError."""
    flags = (record.get("meta") or {}).get("difficult")
    if flags is None:
        return set()
    from eval.regions import is_number

    ok = isinstance(flags, list) and all(is_number(i, whole=True) and 0 <= i < n_objects for i in flags)
    if not ok:  # [true, false]: a flag per object, as VOC's XML and some exports write it
        bools = isinstance(flags, list) and flags and all(isinstance(i, bool) for i in flags)
        raise ScoreError(f"record {record['id']!r}: meta.difficult must list indices 0..{n_objects - 1} "
                         f"of the reference answer's objects, got {json.dumps(flags, default=str)[:80]}" + (
                             f": a true/false flag per object? list the indices of the true ones "
                             f"({[i for i, f in enumerate(flags) if f]})" if bools else ""))
    if len(set(flags)) < len(flags):  # [0, 1, 0]: a 0/1 flag per object (DOTA's label column), read as indices 0, 1
        raise ScoreError(f"record {record['id']!r}: meta.difficult {flags!r:.80} repeats an index: a 0/1 flag per "
                         "object? It lists the indices of the difficult objects (flags [0, 1, 0] are [1])")
    return set(flags)


def kept(item: Item, key: str, work: Callable[..., T], *args: Any) -> T:
    """``work(*args)``, done once per item and ``key`` (kept in ``item.extra``): what a scorer reads or works out of one
    record for the whole set is the same for its modality's part and for the notes. The result is shared: a caller
    that changes it hands out copies (``pred_objects``)."""
    if key not in item.extra:
        item.extra[key] = work(*args)
    return item.extra[key]


def pred_objects(item: Item, fmt: str = "rsvlm") -> Parsed:
    """``read_pred_objects``, read once per item and format (``kept``: a scorer reads each prediction for the whole
    set, again for its modality's part, and the notes again); each call gets its own ``Parsed`` and object dicts."""
    return _copy(kept(item, f"pred_objects:{fmt}", read_pred_objects, item, fmt))


def answer_objects(item: Item, fmt: str = "rsvlm") -> Parsed:
    """The objects of a prediction's ``answer`` text as ``pred_objects`` reads them where no ``objects`` are given,
    read once per item and format (``object_notes.objects_answer_note`` compares them with the ``objects`` given)."""
    return _copy(kept(item, f"answer_objects:{fmt}", _read_answer, item, fmt))


def _copy(parsed: Parsed) -> Parsed:
    return Parsed([dict(o) for o in parsed.objects], parsed.status, list(parsed.problems))


def read_pred_objects(item: Item, fmt: str = "rsvlm") -> Parsed:
    """Objects of a prediction, in pixels, each with a ``score`` (1.0 where none was given, or null).

    An explicit ``objects`` list in the prediction is used as it is (pixel coordinates, the
    form ``rsvlm eval`` writes; a COCO run-length mask read as its array, ``eval.rle``), a reversed box put in order (status ``partial``, as the decoder does),
    a mask array not of the image's size unparseable; otherwise ``answer`` is decoded in ``fmt``.
    Either way the objects are put as the scripts score them (``regions.for_scoring``: an obb's crossed
    corners in order, a box of zero width or height one bin wide), as the reference's are. An answer
    with problems keeps what was recovered (status ``partial``) unless nothing usable was (no object,
    or only polygons of under 3 vertices): then, like an answer that is not a string, it is
    ``unparseable``. An answer that cleanly says nothing spatial is an empty list (``ok``): "None.", a worded
    none, or words that say no such thing ("There are 3 ships."), which ``object_notes.worded_answers_note`` counts.
    """
    from eval import regions

    if item.pred is None:
        return Parsed([], MISSING)
    objs = item.pred.get("objects")
    if objs is not None:
        if isinstance(objs, list):  # COCO run-length masks (segm results, SAM) as the mask arrays scored
            from eval.rle import decoded_objects

            w, h = image_size(item.record)
            objs, bad = decoded_objects(objs, w, h)
            if bad:
                return Parsed([], UNPARSEABLE, [bad])
        bad = f": it is {not_text(objs)}" if not isinstance(objs, list) else next(
            (f" (object {i}: {json.dumps(o, default=str)[:160]}): {why}" for i, o in enumerate(objs)
             if (why := regions.object_problem(o))), None)  # which one and why: a NaN score among hundreds of objects
        if bad is not None:
            return Parsed([], UNPARSEABLE, [f"'objects' is not a list of {{kind, coords[, label, score]}}{bad}"])
        objs = regions.as_lists(objs)  # tuples, arrays from Python callers
        if bad := regions.mask_size_problems(objs, w, h):
            return Parsed([], UNPARSEABLE, bad)
        objs, problems = regions.ordered_boxes(objs)
        objs = regions.for_scoring(objs, w, h)
        return Parsed([{**o, "score": 1.0 if o.get("score") is None else float(o["score"])} for o in objs],
                      PARTIAL if problems else OK, problems)
    return _read_answer(item, fmt)  # (kept once, as pred_objects: answer_objects is the notes' where objects are given)


def _read_answer(item: Item, fmt: str) -> Parsed:
    """``answer_objects``, read; ``read_pred_objects``'s where no ``objects`` are given."""
    from eval import regions

    answer = item.pred.get("answer")
    if not isinstance(answer, str):
        return Parsed([], UNPARSEABLE, [f"'answer' is {not_text(answer)}, not text"])
    w, h = image_size(item.record)
    if fmt == "rsvlm":
        from rsvlm import geometry

        dec = geometry.decode(answer, w, h)
        objects, problems = list(dec.objects), list(dec.problems)
    else:
        from eval import foreign

        objects, problems = foreign.decode(answer, w, h, fmt)
    objects = regions.for_scoring(objects, w, h)
    usable = [o for o in objects if o.get("kind") not in ("poly", "obb") or len(o.get("coords") or []) >= 3]
    if problems and not usable:  # the decoder's "kept as a zero-area ring" is not so here: nothing is scored
        if objects:
            problems = ["nothing to score, every shape a polygon of under 3 vertices: "
                        + "; ".join(p.removesuffix("; kept as a zero-area ring") for p in problems[:2])]
        return Parsed([], UNPARSEABLE, problems)
    return Parsed([{**o, "score": float(o.get("score", 1.0))} for o in objects], PARTIAL if problems else OK,
                  problems)


def single_label_fill(objects: list[dict], gt: list[dict]) -> list[dict]:
    """Unlabelled predicted objects take the class of a record whose ground truth has one class."""
    labels = {norm_label(o.get("label")) for o in gt}
    if len(labels) != 1:
        return objects
    (only,) = labels
    return [o if o.get("label") else {**o, "label": only} for o in objects]


COCO_CLASS_ADVICE = ("a COCO 'category_id' and no 'label': classes are matched by name; give each its class "
                     "name as 'label'")  # detection's and segmentation's notes, after their count


def coco_unlabelled(objects: list[dict]) -> int:
    """How many of ``objects`` carry a COCO ``category_id`` (a class number) and no ``label``: no class name to
    match a reference's by (``COCO_CLASS_ADVICE``)."""
    return sum(o.get("category_id") is not None and not o.get("label") for o in objects)


if __name__ == "__main__":  # python -m eval.answers: no command line; say so, and which scripts have one
    from eval.__main__ import library_main

    raise SystemExit(library_main("answers"))
