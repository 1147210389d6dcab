"""COCO run-length masks in a prediction's ``objects``: what COCO's segm results, SAM and pycocotools write
(``{"size": [h, w], "counts": "…"}``, compressed, or ``"counts": [n0, n1, …]``, uncompressed), read as
``{"kind": "mask", "mask": …, "offset": [x, y]}``, the mask array the scorers take, cropped to its pixels.

An object holds one as COCO's results do (``"segmentation": RLE``), under ``"rle"``, or as its own
``size`` and ``counts`` (SAM's ``"kind": "mask"`` output). The counts are checked before a pixel is set: they must
cover the ``size`` exactly (pycocotools' own decoder reads past a short one and writes past a long one), and the
size must be the image's (``meta.height``, ``meta.width``), as a mask array's must.
"""

from __future__ import annotations

import numpy as np

RLE_KEYS = ("segmentation", "rle")  # where an object holds its run-length mask, besides its own size and counts


def rle_of(o: dict) -> tuple[str, dict] | None:
    """(where, the RLE) of an object that holds a COCO run-length mask (``{"size", "counts"}``) as its shape, or
    None: one with a shape of its own (a kind other than mask, ``coords``, a ``mask`` array) is that shape, its
    RLE beside it unread (a box carrying its instance mask scored as the box; read as a mask, detection left it
    out)."""
    if o.get("kind") not in (None, "mask") or "coords" in o or "mask" in o:
        return None
    for key in RLE_KEYS:
        if isinstance(v := o.get(key), dict) and {"size", "counts"} <= set(v):
            return key, v
    if "size" in o and "counts" in o:
        return "size/counts", o
    return None


def rle_problem(o: dict) -> str | None:
    """Why a run-length field of ``o`` (``segmentation``, ``rle``, or its own ``counts``) is no COCO run-length mask
    ``decoded`` reads, in words; None where ``o`` has none. One ``rle_of`` finds is read where the image's size is
    known (``eval.answers.pred_objects``), and said so."""
    key = next((k for k in (*RLE_KEYS, "counts") if k in o), None)
    if key is None:
        return None
    if (found := rle_of(o)) is not None:
        return f"its COCO run-length mask ({found[0]}) is read only against its image's size (eval.answers.pred_objects)"
    v = o[key]
    whole = "size" in o if key == "counts" else isinstance(v, dict) and {"size", "counts"} <= set(v)
    if whole:  # a shape of its own beside it (rle_of)
        why = f"it sits beside {next((k for k in ('coords', 'mask') if k in o), 'kind')!r}: give one of them"
    elif key == "counts":
        why = "no 'size' [height, width] beside its 'counts'"
    elif isinstance(v, dict):
        why = f"it has {', '.join(sorted(map(str, v))[:6]) or 'no key'}, not both 'size' and 'counts'"
    elif isinstance(v, list) and key == "segmentation":
        why = 'a list (COCO\'s polygons?): give each as {"kind": "poly", "coords": [[x, y], …]}'
    else:
        why = f"it is {type(v).__name__}, not an object"
    return f'its {key!r} is no COCO run-length mask ({{"size": [height, width], "counts": …}}): {why}'


def string_counts(s: str) -> list[int]:
    """The run lengths of a compressed COCO RLE string (pycocotools ``maskApi.c`` ``rleFrString``): 5 bits a
    character from 48 ('0'), 0x20 for more, a sign bit on the last, each count from the fourth on (its ``m > 2``)
    the difference from the one two before. ValueError where the string is no such code."""
    counts, p = [], 0
    while p < len(s):
        x, k, more = 0, 0, True
        while more:
            if p >= len(s):
                raise ValueError("it ends inside a count")
            c = ord(s[p]) - 48
            if not 0 <= c < 64:
                raise ValueError(f"{s[p]!r} at {p} is no character of the code ('0'..'o')")
            x |= (c & 0x1F) << 5 * k
            more = bool(c & 0x20)
            p, k = p + 1, k + 1
            if not more and c & 0x10:
                x |= -1 << 5 * k
        counts.append(x + counts[-2] if len(counts) > 2 else x)
    return counts


def decoded(o: dict, width: int, height: int, pixels: bool = True) -> tuple[dict, str | None]:
    """``o`` as a mask object of the scorers where it holds a COCO run-length mask (``rle_of``), cropped to the
    rows and columns it sets (``offset`` [x, y]; an empty one stays 1 x 1 at 0, 0, no pixel set), with its other
    keys (label, score); ``o`` as it is otherwise. The problem, or None: counts that are no run lengths of its
    ``size``, a size that is not the image's. Without ``pixels``, checked alone: its mask an empty 1 x 1 (the
    notes, which count objects: setting a 1024² mask's pixels three times over cost them twice the scoring)."""
    found = rle_of(o)
    if found is None:
        return o, None
    where, rle = found
    size, counts = rle.get("size"), rle.get("counts")
    from eval.regions import is_number  # NumPy's integers too: a run-length mask built in Python

    if not (isinstance(size, list) and len(size) == 2 and all(is_number(v, whole=True) and v > 0 for v in size)):
        return o, f"its COCO run-length mask ({where}) has size {str(size)[:40]}, not [height, width]"
    h, w = size
    try:
        if isinstance(counts, bytes):
            counts = counts.decode("ascii")
        if isinstance(counts, str):
            runs = string_counts(counts)
        elif isinstance(counts, list) and all(is_number(v, whole=True) for v in counts):
            runs = counts
        else:
            raise ValueError(f"its counts are {type(counts).__name__}, neither a string nor a list of integers")
        if any(v < 0 for v in runs):
            raise ValueError("a run is negative")
        if sum(runs) != h * w:
            raise ValueError(f"its runs cover {sum(runs)} pixels, its size {h} x {w} = {h * w}")
    except (ValueError, UnicodeDecodeError) as e:
        return o, f"its COCO run-length mask ({where}) cannot be read: {e}"
    if (h, w) != (height, width):
        swapped = (w, h) == (height, width)  # [width, height]: COCO's size is [height, width]
        return o, (f"its COCO run-length mask ({where}) is {w}x{h} pixels, the image {width}x{height} (meta.width x "
                   "meta.height): " + (f"its size {size} is [width, height]? COCO's is [height, width], the counts "
                                       "column by column" if swapped else "encode it at the image's size"))
    rest = {k: v for k, v in o.items() if k not in (*RLE_KEYS, "size", "counts", "kind")}
    if not pixels:
        return {**rest, "kind": "mask", "mask": np.zeros((1, 1), bool), "offset": [0, 0]}, None
    values = np.arange(len(runs)) % 2  # runs alternate 0, 1, … from 0, column by column
    mask = np.repeat(values.astype(bool), runs).reshape(w, h).T  # (h, w)
    rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
    y0, y1 = (rows[0], rows[-1] + 1) if len(rows) else (0, 1)
    x0, x1 = (cols[0], cols[-1] + 1) if len(cols) else (0, 1)
    crop = mask[y0:y1, x0:x1].copy()  # a view kept the whole image's array alive, one per object
    return {**rest, "kind": "mask", "mask": crop, "offset": [int(x0), int(y0)]}, None


def decoded_objects(objs: list, width: int, height: int, pixels: bool = True) -> tuple[list, str | None]:
    """``objs`` with each COCO run-length mask among them ``decoded`` (``pixels`` as there), and the first problem as
    "object I: why", or None: what the scorers (``eval.answers.pred_objects``) and the notes read alike."""
    read = [decoded(o, width, height, pixels) if isinstance(o, dict) else (o, None) for o in objs]
    return [o for o, _ in read], next((f"object {i}: {why}" for i, (_, why) in enumerate(read) if why), None)


if __name__ == "__main__":  # python -m eval.rle: no command line; say so, and which scripts have one
    from eval.__main__ import library_main

    raise SystemExit(library_main("rle"))
