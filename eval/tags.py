"""rsvlm's task tags whose scoring script is named otherwise (``det`` → ``python -m eval.detection``): read by
``python -m eval`` (a tag typed for a script's name) and by loc_error (a script's name typed for a tag)."""

from __future__ import annotations

TAGS = {"cls": "classification", "count": "counting", "cap": "captioning", "regcap": "captioning", "det": "detection",
        "ground": "grounding", "seg": "segmentation"}  # tag -> script (eval/SCRIPT.py); the others share their name


if __name__ == "__main__":  # python -m eval.tags: no command line; say so, and which scripts have one
    from eval.__main__ import library_main

    raise SystemExit(library_main("tags"))
