"""``python -m eval``: which scripts there are (``python -m eval`` was "No module named eval.__main__"), and
what ``python -m eval.common`` and the other library modules say: that they have no command line, and
which scripts do (they said nothing and exited 0)."""

from __future__ import annotations

import sys

from eval.tags import TAGS

SCRIPTS = {  # python -m eval.NAME: what it gives
    "classification": "scene classification: accuracy, per-class accuracy, confusion matrix",
    "vqa": "visual question answering: exact match, per question type",
    "captioning": "captioning, region and change captioning: BLEU, METEOR, ROUGE-L, CIDEr",
    "counting": "counting: accuracy, MAE",
    "detection": "detection: COCO mAP, mAP50, DOTA obb AP50",
    "grounding": "grounding: acc@0.5, mean IoU",
    "segmentation": "segmentation: mIoU, cIoU, gIoU, P@0.5",
    "change": "change detection maps: F1, IoU of the change class",
    "report": "score files gathered into one table by task and modality",
    "loc_error": "teacher-forced location error of a model (needs the model)",
}

LIBRARY = {  # eval/NAME.py the scripts import: no command line of their own
    "common": "what the scoring scripts share: their options, printed table and scores JSON",
    "model_args": "usage errors of the scripts that answer a set with a model or write a file, found before the work",
    "answers": "records and answers read into objects in pixels; the modality of a record",
    "inputs": "ground truth and predictions read and paired by id",
    "pred_file": "a predictions file read: its lines by id, the bad ones and repeated ids counted",
    "errors": "the scorers' error for input they cannot score (ScoreError)",
    "gt_skips": "the ids and tasks of the ground-truth records the records reader skipped",
    "pred_bytes": ("a predictions file's bytes a chunk at a time, gzip decompressed as they come (a cut stream read to "
                   "its last line), and its lines"),
    "notes": "the notes a score file carries about its predictions file",
    "count_notes": "the count lines under a scorer's table, and the note of the ground-truth records it skipped",
    "object_notes": "the notes a score file carries about the objects its predictions give",
    "flags": "what rsvlm eval marks in a prediction row (error, cut, past_context)",
    "regions": "objects as regions: IoUs, masks, how every script reads a prediction's objects",
    "given_objects": "what a prediction's objects may be: kinds, coordinates, mask values and offsets",
    "foreign": "GeoChat and Falcon answers read as rsvlm objects (--format)",
    "dota_ap": "oriented-box AP as the DOTA devkit computes it",
    "text": "answer normalisation of classification, VQA and counting",
    "out_file": "the scores' --out file: refused, made and written whole",
    "rle": "COCO run-length masks among a prediction's objects read as mask arrays",
    "image_sizes": "the ground truth's meta sizes against its reachable image files",
    "tags": "rsvlm's task tags whose scoring script is named otherwise (det: detection)",
    "thresholds": "the IoU thresholds the scorers report at, said to an option asking for one (--iou)",
    "counts": "counts in the notes read in the singular and the plural (1 record has, 2 records have)",
    "report_read": "the score files eval.report reads, each checked and named as its tables name it",
    "report_notes": "eval.report's notes where a task's score files do not compare, or a set is left unscored",
    "headline": "a scorer's headline figure on a set for the benches, or why there is none, and what it skipped",
    "gt_refusal": "when a ground truth is refused for its skipped records, and what the refusal says",
}


def usage() -> str:
    """The scripts, one a line, and how to call them."""
    width = max(map(len, SCRIPTS))
    lines = [f"  {name:<{width}}  {what}" for name, what in SCRIPTS.items()]
    return ("usage: python -m eval.NAME --help\n\nscoring scripts (python -m eval.TASK --gt GT.jsonl --pred PRED.jsonl "
            "[--out scores.json]; docs/eval.md):\n" + "\n".join(lines) + "\n\nthe predictions come from rsvlm eval "
            "--data TEST.jsonl --out PRED.jsonl (docs/eval-run.md)\n\nlibrary modules (imported by the scripts, no command line): "
            + ", ".join(LIBRARY))


def library_main(name: str) -> int:
    """What ``python -m eval.NAME`` of a library module says, on stderr: what the module is and the scripts there
    are; status 2 (a user who asked it for --help gets an answer, a script that ran it no silent success)."""
    print(f"python -m eval.{name}: eval/{name}.py is a library module with no command line: {LIBRARY[name]}. "
          f"The scripts that have one:\n\n{usage()}", file=sys.stderr)
    return 2


EXAMPLE = {"report": "--dir scores/ --out report.md", "loc_error": "--model DIR --data TEST.jsonl"}  # others: --gt, --pred


def script_of(word: str) -> str | None:
    """The script ``word`` names: its own name, in any case and with ``-`` for ``_`` (``loc-error``), a task tag
    (``det``), or that with ``eval.`` or ``eval/`` before it (``.py`` after it); None for anything else."""
    name = word.strip().lower().removeprefix("eval.").removeprefix("eval/").replace("-", "_").removesuffix(".py")
    return name if name in SCRIPTS else TAGS.get(name.strip("[]"))


def main(argv: list[str] | None = None) -> int:
    """The usage on stdout (status 0), or on stderr after a word that is no option (status 2): a script's name or
    task tag (``python -m eval detection --gt …``) gets the command to run, its words kept; an option (``python -m
    eval --gt …``) is told to name a script."""
    import shlex

    args = sys.argv[1:] if argv is None else argv
    if args and args[0] not in ("-h", "--help"):
        if script := script_of(args[0]):  # "python -m eval.detection --help" still closes it: tests pin it
            rest = shlex.join(args[1:]) or EXAMPLE.get(script, "--gt GT.jsonl --pred PRED.jsonl")
            said = (f"{args[0]!r} names the script eval.{script}, which runs as python -m eval.NAME (a dot, not a "
                    f"space): python -m eval.{script} {rest}\n(its options: python -m eval.{script} --help)")
        elif args[0].startswith("-"):
            said = (f"{args[0]!r}: name the script first, after a dot: python -m eval.TASK {shlex.join(args)}, TASK one "
                    f"of {', '.join(SCRIPTS)}")
        elif (lib := args[0].strip().lower().removeprefix("eval.").removesuffix(".py")) in LIBRARY:  # was "no script" alone
            said = f"{args[0]!r} names eval/{lib}.py, a library module with no command line: {LIBRARY[lib]}"
        else:
            said = f"{args[0]!r} is no script; each script runs as python -m eval.NAME"
        print(f"python -m eval: {said}\n\n{usage()}", file=sys.stderr)
        return 2
    print(usage())
    return 0


if __name__ == "__main__":
    sys.exit(main())
