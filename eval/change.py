"""Change detection (segment what changed): F1, IoU of the change class, precision and recall.

``python -m eval.change --gt GT.jsonl --pred PRED.jsonl [--out scores.json] [--format …]``

Scored records: ``change`` records whose reference answer holds geometry (``<poly>``,
``<mask>``, boxes…), and those that ask for a change map (``meta.subtask`` ``change_seg_*``, what
``data_gen`` writes) even when the reference says "No change.": that reference is an empty map,
so a predicted shape there is a false alarm and "No change." scores its pixels as true negatives.
Other change records answered in words are ``eval.captioning``'s and are counted here under
``n_gt_other_tasks`` as ``change (not kept)``. A converted dataset whose change records all ask
for a map but carry no ``meta.subtask`` (so a "No change." reference cannot be told from a
worded answer) is scored whole with ``--all-maps``: every change record is then a map, and a
worded reference that says none ("No change.", "Unchanged.", ``rsvlm.answer_words.says_none``) an empty one; one in other
words (a caption of the change: "Two buildings were built.") is no map, skipped and counted
(``reference: words``, named by line: an answer in words scored F1 1 on it). The change mask of each side is the
union of its shapes rasterised with ``rsvlm.geometry.objects_to_mask`` at ``meta.width`` x
``meta.height`` (in the window holding the shapes: ``eval.regions.mask_overlap``); reference masks in image files are not read (convert them with
``rsvlm.geometry.mask_to_objects`` first). Pixels are pooled over the whole set (as LEVIR-CD
and ChangeFormer report):

* ``precision`` = TP / (TP + FP), ``recall`` = TP / (TP + FN), ``F1`` their harmonic mean;
* ``IoU_change`` = TP / (TP + FP + FN); ``IoU_unchanged`` the same for the other class,
  ``mIoU`` their mean, ``OA`` the pixel accuracy;
* a ratio with a zero denominator is 0, except that a set with no change in the reference and
  none predicted scores 1 throughout, if every record of it was answered: a missing or unparseable
  prediction (an empty map, as ever) makes it 0, as an empty predictions file scored 1 on such a set
  (or on a modality whose records say "No change.").

Missing and unparseable predictions are empty masks (they lower recall) and are counted. It
cannot tell change types apart (all labels are one change class).
"""

from __future__ import annotations

import re

from eval import common, regions
from eval.answers import BadReference, foreign_reference
from rsvlm.answer_words import says_none

HEADLINE = ["F1", "IoU_change", "precision", "recall"]
_GEOMETRY = re.compile(r"<(box|obb|point|poly|mask)>")


def is_change_map(record: dict) -> bool:
    """A change record this script scores: a map is asked for (``meta.subtask``) or given."""
    if record.get("task") != "change":
        return False
    subtask = str((record.get("meta") or {}).get("subtask") or "")
    return subtask.startswith("change_seg") or bool(_GEOMETRY.search(common.gt_answer(record)))


def map_reference(record: dict) -> None:
    """``foreign_reference``, then BadReference where ``record``'s reference holds no shape and says no none: a caption
    of the change, read as an empty map by --all-maps (or a ``change_seg`` subtask), on which an answer in words
    scored F1 1 and shapes as false alarms."""
    foreign_reference(record)
    if not _GEOMETRY.search(answer := common.gt_answer(record)) and not says_none(answer):
        raise BadReference("reference: words", f"record {record['id']!r}: the change reference is words, no map and "
                           f"no 'No change.' ({answer[:80]!r}): a caption, eval.captioning's to score (--all-maps "
                           "reads a reference in words as an empty map only where it says none)")


def _keep(args):
    return (lambda r: r.get("task") == "change") if args.all_maps else is_change_map


def _args(ap) -> None:
    ap.add_argument("--all-maps", action="store_true",
                    help="score every change record as a change map (a worded reference is an empty "
                         "map); for converted data whose map requests carry no meta.subtask")


def _ratio(a: int, b: int) -> float:
    return a / b if b else 0.0


def score(items: list[common.Item], args=None) -> dict:
    fmt = getattr(args, "format", "rsvlm")
    statuses = []
    tp = fp = fn = tn = 0
    for it in common.progress(items, "change"):
        w, h = common.image_size(it.record)
        parsed = common.pred_objects(it, fmt)
        statuses.append(parsed.status)
        try:  # in the window of the shapes, not (H, W): outside it both masks are empty
            t, f_p, f_n = common.kept(it, f"overlap:{fmt}", regions.mask_overlap,  # once a run: set, modality
                                      common.ref_objects(it), parsed.objects, w, h)
        except ValueError as e:
            raise common.ScoreError(f"record {it.id!r}: {e}") from e
        tp, fp, fn, tn = tp + t, fp + f_p, fn + f_n, tn + w * h - t - f_p - f_n
    if tp + fp + fn == 0:  # no change to find, none found: right only where every record was answered
        prec = rec = f1 = iou_c = float(not any(st in common.NO_ANSWER for st in statuses))
    else:
        prec, rec = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
        f1 = _ratio(2 * prec * rec, prec + rec)
        iou_c = _ratio(tp, tp + fp + fn)
    iou_u = _ratio(tn, tn + fp + fn) if tn + fp + fn else 1.0
    return {
        "F1": f1, "IoU_change": iou_c, "precision": prec, "recall": rec,
        "IoU_unchanged": iou_u, "mIoU": (iou_c + iou_u) / 2, "OA": _ratio(tp + tn, tp + tn + fp + fn),
        **common.counts(items, statuses),
        "pixels": {"TP": tp, "FP": fp, "FN": fn, "TN": tn},
    }


def main(argv: list[str] | None = None) -> dict:
    return common.run("change", ("change",), score, HEADLINE, argv, extra_args=_args, keep=_keep,
                      check=map_reference)


if __name__ == "__main__":
    common.main_guard(main)
