"""The IoU thresholds the scorers report at, all fixed: what an option asking for one (``--iou 0.7``,
``--iou-thr``, ``--threshold``), or for a picture (``--overlay``, ``--vis``), is told in place of the nearest option's
name ("did you mean --out?")."""

from __future__ import annotations

import re

# by script: the thresholds its metrics are at, every one in its score file
FIXED = {"detection": "mAP over IoU 0.50:0.05:0.95, mAP50 and mAP75 (COCO's), mAP50_obb at IoU > 0.5 (DOTA's)",
         "grounding": "acc50, object_recall50 and object_precision50 at IoU 0.5, mIoU over every record",
         "segmentation": "P@0.5, P@0.7 and P@0.9, gIoU, cIoU and mIoU over every unit",
         "change": "pixel counts (F1, IoU_change, mIoU), with no threshold",
         "loc_error": "the location error in bins (mae_bins, within10: within 10 bins), with no IoU"}

_ASKS = re.compile(r"--[\w-]*(iou|thr|thresh)[\w-]*", re.IGNORECASE)  # --iou, --iou-thr, --iou_threshold, --thresh


# an option asking for a picture of the answers (--overlay, --vis, --png, --plot, --draw, --save-vis, --viz)
_PICTURE = re.compile(r"--(?:[^\W_]+[-_])*(overlays?|vis|viz|visuali[sz]e|png|plots?|draw|pictures?)(?:[-_][\w-]+)?",
                      re.IGNORECASE)  # a word of the option's: not --revision; words without _: \w+_ backtracked
PICTURE = ("the scorers draw nothing; rsvlm predict --image IMAGE --task TASK --vis OUT.png draws the model's answer on "
           "its image (docs/cli.md)")


def threshold_hint(task: str, extra: list[str]) -> tuple[list[str], str]:
    """The options of ``extra`` (words no option took, up to ``--``) that ask for an IoU threshold or a picture, and
    what ``python -m eval.TASK`` says of them ("" where none does): it has no such option, and what it reports or
    what draws one (``--overlay`` was told "did you mean --out?", as if the scores could be a PNG)."""
    words = extra[:extra.index("--")] if "--" in extra else extra
    asked = [h for w in words if _ASKS.fullmatch(h := w.split("=", 1)[0])]
    drawn = [h for w in words if _PICTURE.fullmatch(h := w.split("=", 1)[0]) and h not in asked]
    what = f"it reports {FIXED[task]}" if task in FIXED else "it scores no shapes"
    said = [f"{', '.join(asked)}: eval.{task} takes no IoU threshold; {what}"] * bool(asked) + \
        [f"{', '.join(drawn)}: {PICTURE}"] * bool(drawn)
    return asked + drawn, f" ({'; '.join(said)})" if said else ""


if __name__ == "__main__":  # python -m eval.thresholds: no command line; say so, and which scripts have one
    from eval.__main__ import library_main

    raise SystemExit(library_main("thresholds"))
