"""Which objects a prediction may give, checked before any is scored: the kinds and coordinates ``object_problem``
takes (any sequence of finite numbers: lists from JSON, tuples or NumPy arrays from Python callers, ``as_lists``),
a mask's values and its whole-number ``offset`` (``whole_offset``: geometry's rule, of the check and the scoring), and
what a number is to eval's checks (``is_number``)."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np

from eval.rle import rle_problem


def is_number(v: Any, whole: bool = False) -> bool:
    """A finite int or float, or NumPy's integer or float scalar (objects built in Python: an offset of np.int64s, a
    box of np.float32s read from a tensor, were "unparseable"); not a bool (nor np.bool_); ``whole``: integers alone.
    The one rule of what a number is to eval's checks (an int past float's range met OverflowError mid-scoring)."""
    if whole:  # exact, of any size: a count, an index
        return isinstance(v, (int, np.integer)) and not isinstance(v, bool)
    try:
        return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) and math.isfinite(v)
    except OverflowError:
        return False


def is_sequence(v: Any) -> bool:
    """A list, tuple or NumPy array (not text, not a mapping): what coordinates may come in from Python callers
    (a box as a tuple, an obb's corners as an (4, 2) array were "unparseable"); ``as_lists`` makes lists of them."""
    return isinstance(v, (list, tuple, np.ndarray)) and not (isinstance(v, np.ndarray) and v.ndim == 0)


def as_lists(objects: list[dict]) -> list[dict]:
    """``objects`` (each ``valid_object``) with a box's, point's, obb's or polygon's ``coords`` and ``rings`` given
    as tuples or NumPy arrays made lists, as read from JSON, which every scorer takes; lists are left as they are."""
    def listed(v):
        return v if isinstance(v, list) and not any(isinstance(p, np.ndarray) for p in v) else np.asarray(v).tolist()

    return [{**o, "coords": listed(o["coords"]), **({"rings": [listed(r) for r in o["rings"]]} if o.get("rings") else {})}
            if o.get("kind") in ("box", "point", "obb", "poly") else o for o in objects]


def valid_object(o: Any) -> bool:
    """A prediction-supplied object: known kind, coordinates of the right shape, finite numbers (a
    NaN corner made a box match anything), numeric score, a mask that rasterises."""
    return object_problem(o) is None


def object_problem(o: Any) -> str | None:
    """What makes ``o`` no object ``valid_object`` takes, in words (``its score is no finite number``); None
    where it is one."""
    if not isinstance(o, dict):
        return "not a JSON object"
    if not (o.get("score") is None or is_number(o["score"])):  # null: no score given
        return "its score is no finite number"
    kind, c = o.get("kind"), o.get("coords")

    def pts(v, n_min):
        return is_sequence(v) and len(v) >= n_min and all(
            is_sequence(p) and len(p) == 2 and all(map(is_number, p)) for p in v)

    ok = {"box": lambda: is_sequence(c) and len(c) == 4 and all(map(is_number, c)),
          "point": lambda: is_sequence(c) and len(c) == 2 and all(map(is_number, c)),
          "obb": lambda: pts(c, 4) and len(c) == 4,
          "poly": lambda: pts(c, 3) and (o.get("rings") is None or is_sequence(o["rings"])
                                         and all(pts(r, 3) for r in o["rings"])),
          "mask": lambda: valid_mask(o)}
    if not isinstance(kind, str) or kind not in ok:  # "kind": ["box"] is unhashable: a TypeError, not a note
        named = [k for k in ok if k in o]  # {"poly": [...]}: another tool's layout, the shape under its kind's name
        how = ('add "kind": "mask" beside it' if named[:1] == ["mask"]  # a 2-D 'mask' array is read where it is
               else f'give {{"kind": "{named[0]}", "coords": …}}' if named else "")
        if not named and kind is None:  # another tool's layout: a COCO result's bbox, GeoJSON's "type"
            how = ('; its "bbox" is COCO\'s [x, y, width, height]? give {"kind": "box", "coords": [x1, y1, x2, y2]}'
                   if "bbox" in o else f'; it has "type": {json.dumps(o["type"], default=str):.40}: name the kind '
                   'under "kind", its shape under "coords"' if "type" in o else
                   f"; {why}" if (why := rle_problem(o)) else "")  # a COCO run-length mask of the wrong layout
            return f"kind None is none of {', '.join(ok)}{how}"
        return f"kind {kind!r:.40} is none of {', '.join(ok)}" + (f" (its shape is under {named[0]!r}: {how})" if named else "")
    shapes = {"box": "[x1, y1, x2, y2]", "point": "[x, y]", "obb": "4 [x, y] corners", "poly": "3 or more [x, y] points"}
    if ok[kind]():
        return None
    if kind == "mask" and o.get("mask") is not None and (why := mask_values_problem(o["mask"])):
        return why
    if kind not in shapes:  # a well-formed COCO run-length mask is decoded before this (eval.rle): say what is amiss
        rle_in_coords = isinstance(c, dict) and "counts" in c  # was told of grids and arrays alone, not where RLE goes
        return ("a mask needs a grid (coords: box, size, rows) or a 2-D 'mask' array, at an 'offset' of two whole numbers (pixels)"
                + (f"; {why}" if (why := rle_problem(o)) else "") + (
                    "; a COCO run-length mask ({size, counts}) is read as the object's own 'size' and 'counts', or under "
                    "'rle' or 'segmentation', not under 'coords'" if rle_in_coords else ""))
    # a tuple or NumPy array too (a Python caller's DOTA row): was told no hint
    flat = kind in ("obb", "poly") and is_sequence(c) and len(c) >= 6 and not len(c) % 2 and all(map(is_number, c))
    return f"{kind} coords must be {shapes[kind]} of finite numbers" + (
        f", not a flat list of {len(c)} numbers (DOTA's x1 y1 x2 y2 …): pair them, [[x1, y1], [x2, y2], …]" if flat else "")


def mask_values_problem(mask: Any) -> str | None:
    """Why ``mask`` is no 2-D array of 0/1 (or true/false, or 0/255 as a PNG holds it), or None: the rule of
    ``rsvlm.geometry.masks.mask_fault``, integers held to it too, worded for a prediction. Read as booleans, a
    probability map's 0.01, a NaN or a string "0" each was a mask pixel: the mask covered what the model doubted."""
    from rsvlm.geometry.masks import mask_fault

    f = mask_fault(mask, any_integer=False)
    if f is None:
        return None
    if f.what == "array":
        return "its 'mask' is no array of numbers"
    if f.what == "ndim":
        return f"its 'mask' array is {len(f.shape)}-D, not 2-D (rows of pixels){f.band_hint}"
    return "its 'mask' values must be 0/1 (or true/false, or 0/255); " + (
        f"it holds {f.example!r}: a class-label raster? give one class's mask (labels == k)"
        if f.what == "values" and isinstance(f.example, int) else  # "a probability map?" misled of a label raster
        f"it holds {f.example!r}: a probability map? threshold it" if f.what == "values" else
        f"they are {f.dtype} (text?)" if f.what == "text" else "it mixes 1 and 255")


def valid_mask(o: dict) -> bool:
    """A mask object ``objects_to_mask`` can rasterise: grid coords (``box``, ``size``, ``rows``) or
    a 2-D ``mask`` array, placed at an ``offset`` of two whole numbers where one is given (2.7 was cut to 2 unsaid); anything
    else would stop the whole scoring at that record."""
    from rsvlm.geometry import grid

    if o.get("mask") is not None:
        try:
            if o.get("offset") is not None:
                whole_offset(o["offset"])
        except ValueError:
            return False
        return mask_values_problem(o["mask"]) is None

    c = o.get("coords")
    try:
        box = [float(v) for v in c["box"]]
        grid.grid_cells(c)
    except (TypeError, KeyError, ValueError):
        return False
    return len(box) == 4 and all(map(math.isfinite, box)) and box[2] > box[0] and box[3] > box[1]


def whole_offset(offset: Any) -> tuple[int, int]:
    """``offset`` as the two ints (x, y) of a mask crop's top-left pixel, by ``rsvlm.geometry.mask_offset``: a list,
    tuple or NumPy array of two whole numbers (2 or 2.0, NumPy's too; no bool, no text); ValueError otherwise. One
    rule for eval's check (``valid_mask``), its scoring and ``objects_to_mask``'s rasterising (eval had a copy)."""
    from rsvlm.geometry import mask_offset

    return mask_offset(offset)


if __name__ == "__main__":  # python -m eval.given_objects: no command line; say so, and which scripts have one
    from eval.__main__ import library_main

    raise SystemExit(library_main("given_objects"))
