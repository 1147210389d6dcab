"""The notes a score file carries about the objects its predictions give (split from ``eval.notes``, which
holds those about the predictions file as a whole): answers read in part, coordinates no reader here reads,
answers in words where shapes were asked for, ``objects`` of another count than their answer, normalised to
the image or lying outside it. Each is a sentence a reader can act on; none changes a score."""

from __future__ import annotations

import re
from collections.abc import Callable

from eval.answers import FORMAT_MARKS, PARTIAL, UNPARSEABLE, answer_objects, image_size, kept, pred_objects
from eval.counts import counted
from eval.flags import is_errored
from eval.inputs import Item, ScoreError
from eval.regions import is_number


def partial_note(items: list[Item], fmt: str) -> str | None:
    """What the answers scored on what could be read (``n_partially_parsed``) had wrong, the first quoted: they were
    counted without a word. A box of ``objects`` whose corners come reversed is asked about COCO's ``[x, y, width,
    height]`` (read as corners, it scored as a sliver)."""
    partial = [(it, got) for it in items if it.pred is not None and (got := pred_objects(it, fmt)).status == PARTIAL]
    if not partial:
        return None
    it, got = partial[0]
    swapped = sum(it.pred.get("objects") is not None and any("has x1>x2 or y1>y2" in p for p in got.problems)
                  for it, got in partial)
    return (f"{counted(len(partial), 'answer', 'has/have')} parse problems and {'is' if len(partial) == 1 else 'are'} scored on what could be read (first: {it.id!r}: "
            f"{'; '.join(map(str, got.problems[:2]))})" + (
                f"; {swapped} {'gives' if swapped == 1 else 'give'} 'objects' with a box whose corners come reversed, put in order: boxes in COCO's "
                "[x, y, width, height]? 'objects' boxes are [x1, y1, x2, y2] in pixels" if swapped else ""))


_BRACKETED = re.compile(r"[\[(]([^\[\]()]*)[\])]")  # the inside of (…) or […]
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def _bracketed_numbers(answer: str) -> bool:
    """Whether ``answer`` holds four or more numbers in brackets: coordinates of some form."""
    return sum(len(_NUMBER.findall(g)) for g in _BRACKETED.findall(answer)) >= 4


def _read_as_nothing(items: list[Item], fmt: str, picked: Callable[[Item, str], bool]) -> list[Item]:
    """The items whose answer (text, no ``objects`` beside it) ``picked`` takes and ``pred_objects`` reads cleanly
    as no object: what ``unread_coordinates_note`` and ``worded_answers_note`` count, each picking its own."""
    out = []
    for it in items:
        ans = it.pred.get("answer") if it.pred is not None and it.pred.get("objects") is None else None
        if isinstance(ans, str) and picked(it, ans):
            got = pred_objects(it, fmt)
            if got.status != UNPARSEABLE and not got.objects:
                out.append(it)
    return out


def unread_coordinates_note(items: list[Item], fmt: str) -> str | None:
    """A note when answers read cleanly as no object though they hold four or more numbers in brackets
    (``[10, 10, 50, 50]``, ``<|box_start|>(100,100),(500,500)<|box_end|>``): boxes in a form no reader
    here reads (another tool's), which scored as finding nothing without a word."""
    unread = _read_as_nothing(items, fmt, lambda it, ans: _bracketed_numbers(ans))
    if not unread:
        return None
    first = unread[0]
    return (f"{counted(len(unread), 'answer')} read as no object though {'it holds' if len(unread) == 1 else 'they hold'} coordinates in a form the {fmt} reader "
            f"does not read (first: {first.id}: {first.pred['answer'][:80]!r}); {'it scores' if len(unread) == 1 else 'they score'} as finding "
            f"nothing: give {'it' if len(unread) == 1 else 'them'} in a --format this script reads (rsvlm, geochat, falcon) or as 'objects' in pixels")


def worded_answers_note(items: list[Item], fmt: str) -> str | None:
    """A note when answers read cleanly as no object though their words do not say they found none
    (``rsvlm.answer_words.says_none``): "There are 3 ships." to a [det] question scored as "None." does, without a
    word. "None." and a worded none ("There are no ships.") are answers of nothing; an empty answer, one of
    coordinates no reader here reads and one of another --format's geometry have their own notes."""
    from rsvlm.answer_words import says_none

    worded = _read_as_nothing(items, fmt, lambda it, ans: bool(ans.strip()) and not (
        says_none(ans) or is_errored(it)
        or _bracketed_numbers(ans)  # unread_coordinates_note's
        or any(mark.search(ans) for mark in FORMAT_MARKS.values())))  # another format's: its own note
    if not worded:
        return None
    return (f"{counted(len(worded), 'answer', 'holds/hold')} no shape and {'does' if len(worded) == 1 else 'do'} not say {'it' if len(worded) == 1 else 'they'} found none (first: {worded[0].id}: "
            f"{worded[0].pred['answer'][:80]!r}); {'it scores' if len(worded) == 1 else 'they score'} as finding nothing, as \"None.\" does: the model "
            "answered in words where shapes were asked for")


def objects_answer_note(items: list[Item], fmt: str) -> str | None:
    """A note when predictions give ``objects`` of another count than their answer reads as (``"objects": []``
    beside an answer of boxes: another tool's, a hand edit): ``objects`` is what is scored, without a word.
    ``rsvlm eval`` writes ``objects`` only where they are its answer's; a blank answer beside them is none to
    compare (another tool's objects alone). An ``objects`` list the scorers cannot read
    (``regions.valid_object``) is left to the unparseable note: none of it is scored. A COCO run-length mask counts
    as the mask it is scored as (``_own_objects``)."""
    odd = []
    for it in items:
        objs, ans = _own_objects(it), it.pred.get("answer") if it.pred else None
        # a blank answer beside them says nothing (a tool that writes its shapes as objects alone): no other count
        if objs is not None and isinstance(ans, str) and ans.strip():
            read = answer_objects(it, fmt)
            if read.status != UNPARSEABLE and len(read.objects) != len(objs):
                odd.append(f"{it.id}: {len(objs)} in 'objects', {len(read.objects)} in 'answer'")
    if not odd:
        return None
    return (f"{counted(len(odd), 'prediction', 'gives/give')} 'objects' of another count than {'its' if len(odd) == 1 else 'their'} answer reads as (first: {odd[0]}); "
            "'objects' is what is scored")


def normalised_objects_note(items: list[Item]) -> str | None:
    """A note when every coordinate of the predictions' own ``objects`` lies in [0, 1] on images
    of more than a few pixels: coordinates normalised to the image (another tool's convention),
    where ``objects`` are in pixels, so each such shape scores as a speck in the top-left corner."""
    values, n = [], 0
    for _, xy in _shape_coords(items):
        n += 1
        values += xy
    if not values or not all(0 <= v <= 1 for v in values):
        return None
    sizes = [(it.record.get("meta") or {}).get("width") for it in items]
    if not any(is_number(w) and w > 8 for w in sizes):
        return None
    return (f"every coordinate of the {counted(n, 'predicted object')} given as 'objects' lies in [0, 1]: normalised to the "
            "image? 'objects' are in pixels (meta.width × meta.height), so these score as specks in the top-left "
            "corner; multiply by the image size, or give the answer text instead")


def outside_objects_note(items: list[Item]) -> str | None:
    """A note when predicted ``objects`` (pixels, as given) lie wholly outside their image (``meta.width``
    × ``meta.height``): coordinates in another frame (the whole scene's where the record is a tile of
    it, bins 0–999), which score as misses without a word. A shape that only reaches past an edge (an
    obb's corner at the border, a box mapped back from a mirror view) is scored as it is: no note."""
    out = []
    for it, xy in _shape_coords(items):
        meta = it.record.get("meta") or {}
        w, h = meta.get("width"), meta.get("height")
        if len(xy) >= 2 and all(is_number(v) and v > 0 for v in (w, h)):
            xs, ys = xy[0::2], xy[1::2]
            if max(xs) < 0 or min(xs) > w or max(ys) < 0 or min(ys) > h:
                out.append(it.id)
    if not out:
        return None
    return (f"{counted(len(out), 'predicted object')} given as 'objects' {'lies' if len(out) == 1 else 'lie'} wholly outside {'its' if len(out) == 1 else 'their'} image (meta.width × "
            f"meta.height; first in {out[0]}): pixels of another frame (the whole scene's, for a tile of it)? "
            f"{'It scores as a miss' if len(out) == 1 else 'They score as misses'}")


def _own_objects(it: Item) -> list[dict] | None:
    """A prediction's own ``objects`` as they are scored, COCO run-length masks read as masks (``eval.rle``: a list
    holding one was passed over by the notes, as if unreadable); None where there is no list, or one the scorers
    cannot read (an object ``regions.valid_object`` refuses, an RLE not of the image's size, no meta.width): it is
    unparseable as a whole (``answers.pred_objects``), its own note's. An RLE's counts are checked, its pixels not
    set (``decoded(pixels=False)``), once per item (``kept``): three notes read each list, and setting
    every 1024² mask's pixels each time cost them twice the scoring."""
    return kept(it, "notes_objects", _read_own_objects, it)


def _read_own_objects(it: Item) -> list[dict] | None:
    """``_own_objects``, read."""
    from eval import regions
    from eval.rle import decoded_objects, rle_of

    objs = it.pred.get("objects") if it.pred else None
    if not isinstance(objs, list):
        return None
    if any(isinstance(o, dict) and rle_of(o) for o in objs):
        try:
            w, h = image_size(it.record)
        except ScoreError:  # no meta.width/meta.height: no RLE is read against it
            return None
        objs, bad = decoded_objects(objs, w, h, pixels=False)  # counted
        if bad:
            return None
    return objs if all(map(regions.valid_object, objs)) else None


def _shape_coords(items: list[Item]):
    """``(item, its numeric coordinates)`` for each shape of the predictions' own ``objects``, those scored only: a
    list with an object ``regions.valid_object`` refuses is unparseable as a whole (``answers.pred_objects``), so its
    shapes (a NaN corner, a string) were noted as normalised or outside their image, "scored as misses"."""
    for it in items:
        for o in _own_objects(it) or ():
            if isinstance(o, dict) and o.get("kind") in ("box", "point", "obb", "poly"):
                yield it, [v for v in _flat(o.get("coords")) if is_number(v)]


def _flat(v) -> list:
    return [x for e in v for x in _flat(e)] if isinstance(v, (list, tuple)) else [v]


if __name__ == "__main__":  # python -m eval.object_notes: no command line; say so, and which scripts have one
    from eval.__main__ import library_main

    raise SystemExit(library_main("object_notes"))
