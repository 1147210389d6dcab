"""COCO JSON (boxes, polygons, RLE) → ``[det]``, ``[ground]`` and ``[seg]`` records.

``--ann`` is the instances JSON, ``--images`` the image folder (a ``file_name`` written on Windows,
``train\\a.jpg``, read with ``/``, noted as ``windows_paths_read``; a ``file_name`` with folders,
``train/a.jpg``, as that path under it where there is one, else as the one image under it whose path ends
in it, ``images/train/a.jpg``; else its file name is looked up there, then its stem, but not in a folder
that other entries name, ``train/a.jpg`` for ``val/a.jpg``: ``missing_image``). Per annotation: polygon segmentations become ``poly`` objects (one per ring);
RLE segmentations (``iscrowd`` or not, compressed or not) are decoded with
``pycocotools.mask`` and traced into polygons by ``rsvlm.geometry.mask_to_objects``; an
annotation with only a ``bbox`` (``[x, y, w, h]``) becomes a ``box``. ``[det]`` uses the boxes
(bounds of the polygons where there are any), ``[seg]`` the polygons.

Bad annotations: ``unknown_category``, ``degenerate`` (bbox without area, no bbox and
no ring of 3 points or more), ``unparsable_annotation`` (a key missing, an ``image_id`` or ``category_id``
that is no number or string, a bbox that is not 4 numbers, a value that is no number, a segmentation
neither polygons nor RLE, an uncompressed RLE whose counts do not sum to its size, a compressed one
whose counts do not decode), ``missing_image`` (image entry without a file),
``orphan_annotation`` (image_id not among the images); a ring of fewer than 3 points beside a
``bbox`` or other rings is left out and counted in the notes as ``polygon_ring_under_3_points_dropped``
(the box and the other rings are kept); a ring that crosses itself (a bow-tie) is split at its
crossings into polygons of their own in ``[seg]`` (its ``[det]`` box stays the annotation's), counted in
the notes as ``self_intersecting_polygons_split`` (``detection.emit_objects``); per image entry ``unparsable_image_entry``
(no ``id``, one that is no number or string, no ``file_name``, or a ``width``/``height`` that is no whole number:
``"640"`` is read as 640; an annotation's ``image_id`` 6 for an entry's ``"6"`` is an ``orphan_annotation`` saying so,
a ``category_id`` 1 for a category's ``"1"`` an ``unknown_category`` saying so),
``duplicate_image_id`` (an entry of an id an earlier one has: the first is
kept, where the later one took its annotations), ``duplicate_image_file`` (an entry of a ``file_name`` an
earlier one has, of another ``width``/``height``: the first is kept, the later one's annotations
``orphan_annotation``; of one size, the two are one image, its annotations merged into one record, noted
as ``images_listed_twice_merged``: each entry's share was a ``[det]`` record missing the other's objects), ``unreadable_image`` (truncated file), ``wrong_band_count`` (cannot
be read as ``--modality``) and ``size_mismatch``
(``width``/``height`` not the file's; entries without them take the file's). A polygon of an odd
number of values loses its stray last one, counted in the notes as ``polygon_odd_value_dropped``. A category without
an ``id`` (a number or string) or ``name``, or of an id an earlier category of another name has, is an error naming it.

Crowd regions (``iscrowd: 1``, ``true`` or ``"1"``; ``0``, ``false``, ``"0"`` or none: not; another value is
an ``unparsable_annotation``: one outline around many objects) are kept and flagged difficult
(``meta["difficult"]``, counted in the notes' ``difficult_objects``), so ``eval.detection``
leaves them out of #GT and of the false positives, as pycocotools does with crowd ground truth;
they were plain objects, and a model finding each car of a crowd was scored with false
positives. A crowd region is never merged with an instance of the same box (``duplicate_object``, as a box-only
annotation is with the same box and its polygon): the car was then flagged difficult, never scored; both are
written, the crowd region difficult. ``--skip-crowd`` drops them instead, counted per category under ``filtered`` (``--skip-crowd: car``):
no bad annotation, so not under ``skipped`` and never raised by ``--strict``.
"""

from __future__ import annotations

from pathlib import Path

from data_gen.convert.common import IMAGE_EXTS, ConversionError, Output, clean_label
from data_gen.convert.detection import (
    add_det_arguments,
    det_options,
    emit_objects,
    nothing_to_write,
    unchecked,
)
from data_gen.convert.images import readable_size
from data_gen.convert.lookup import find_image, index_images, note_unlabelled
from data_gen.convert.mostmissing import warn_most_missing
from data_gen.convert.text import read_json
from rsvlm.tokens import MODALITIES


def _by_folders(images: Path, file_name: str, every: dict[str, list[Path]]) -> Path | None:
    """The image a ``file_name`` with folders names: ``images / file_name`` (of ``train/a.jpg`` and ``val/a.jpg``
    both were read as the first ``a.jpg`` in sort order, by name alone), else the one image under ``images``
    whose path ends in it (``--images`` a folder above: ``images/val/a.jpg``); None where there is none or
    several (looked up by name then). ``every``: ``index_images``'s file name → all its paths."""
    rel = Path(file_name.replace("\\", "/"))
    if rel.is_absolute() or ".." in rel.parts or len(rel.parts) < 2 or rel.suffix.lower() not in IMAGE_EXTS:
        return None
    p = Path(images) / rel
    if p.is_file():
        return p
    hits = [f for f in every.get(rel.name, ()) if f.parts[-len(rel.parts):] == rel.parts]
    return hits[0] if len(hits) == 1 else None


def _folders(file_name: str) -> tuple[str, ...]:
    """The folders of a ``file_name`` (``train/a.jpg`` → ``train``; a Windows ``\\`` read as ``/``)."""
    return Path(file_name.replace("\\", "/")).parts[:-1]


def _other_entries_folder(images: Path, file_name: str, path: Path, folders: set[str]) -> str | None:
    """The folder of ``path``, found by ``file_name``'s name alone, that other entries' file names
    name and ``file_name`` does not (``val/a.jpg`` found as ``train/a.jpg``, ``--images`` the train
    folder: val's boxes were drawn on train's image, its records ``coco-a-dup2``); None where none is.
    A ``file_name`` without folders, or with folders that none of ``images`` holds (``JPEGImages/a.jpg``
    over a flat folder), takes the file of its name as before."""
    if not _folders(file_name):  # b.png beside train/a.png entries: found by name, as the docstring says
        return None
    try:
        below = Path(path).relative_to(images).parts[:-1]
    except ValueError:  # index_images lists paths under images as given; none other is expected
        below = ()
    where = {Path(images).resolve().name, *below}
    theirs = sorted((where & folders) - set(_folders(file_name)))
    return theirs[0] if theirs else None


def _crowd(value) -> bool | None:
    """``iscrowd`` read: 0/1, true/false, or those as strings (an exporter's ``"0"`` was a crowd, being a
    non-empty string); absent or null: not; None for another value."""
    if value is None or isinstance(value, bool) or value in (0, 1):
        return bool(value)
    return {"0": False, "1": True, "false": False, "true": True}.get(str(value).strip().lower())


def add_arguments(p) -> None:
    p.add_argument("--ann", required=True, type=Path, help="COCO instances JSON")
    p.add_argument("--images", required=True, type=Path, help="image folder")
    p.add_argument("--skip-crowd", action="store_true",
                   help="leave out crowd regions (iscrowd 1; kept as difficult otherwise), counted under filtered")
    p.add_argument("--modality", default="optical", choices=MODALITIES, help="modality of every image (default: optical)")
    add_det_arguments(p)


def ann_objects(ann: dict, label: str, width: int, height: int) -> list[dict]:
    """Objects of one COCO annotation: its box (``bbox``, else the polygons' bounds) and its
    polygons; raises ValueError when it has no usable geometry."""
    polys = _polygons(ann, label, width, height)
    if "bbox" in ann:
        x, y, w, h = _numbers(ann["bbox"], 4, "bbox")
        if w <= 0 or h <= 0:
            raise ValueError(f"bbox without area {ann['bbox']}")
        box = [x, y, x + w, y + h]
    elif polys:
        xs = [p[0] for o in polys for p in o["coords"]]
        ys = [p[1] for o in polys for p in o["coords"]]
        box = [min(xs), min(ys), max(xs), max(ys)]
    elif short_rings(ann):
        raise ValueError("polygon with fewer than 3 points")
    else:
        raise TypeError("no 'bbox' field, and no 'segmentation' (polygons or RLE) to take a box from")
    return [{"kind": "box", "label": label, "coords": box}, *polys]


def _unreadable(e: KeyError | TypeError) -> str:
    """The detail of an ``unparsable_annotation`` that ``ann_objects`` raised: its TypeError's text, or for a field
    missing (KeyError) ``no 'FIELD' field``, not ``KeyError('counts')``."""
    if not isinstance(e, KeyError):
        return str(e)
    return f"no {e.args[0]!r} field" if e.args else "a field missing"


def _an_id(v, missing: bool = False) -> bool:
    """Whether ``v`` can be a COCO id: a number or string (``missing``: or absent). A list or object was
    an ``unhashable type`` traceback naming no file, where the id was looked up."""
    return isinstance(v, (int, float, str)) or missing and v is None


def short_rings(ann: dict) -> int:
    """Rings of ``ann``'s polygon segmentation with fewer than 3 points (left out of its objects)."""
    seg = ann.get("segmentation")
    return sum(isinstance(r, list) and len(r) // 2 < 3 for r in seg) if isinstance(seg, list) else 0


def _numbers(values, n: int | None, what: str) -> list[float]:
    """``values`` as floats, or TypeError (``unparsable_annotation``, not ``degenerate``) naming ``what``
    where they are not ``n`` numbers (any number of them for None)."""
    try:
        nums = [float(v) for v in values]
    except (TypeError, ValueError) as e:
        raise TypeError(f"{what} {values!r:.80} holds something that is no number") from e
    if n is not None and len(nums) != n:
        raise TypeError(f"{what} {values!r:.80} is not {n} numbers")
    return nums


def _size(im: dict) -> tuple:
    return im.get("width"), im.get("height")


def _pixels(v) -> int | None:
    """An image entry's ``width`` or ``height`` as an int: a whole number, or one as a string (``"640"``, which
    was "size_mismatch (entry says 640x480, … is 640x480)"); None where absent, null, ``""`` or 0 (unknown: the
    file's size is taken, as it was for each); ValueError for another value."""
    if v is None or isinstance(v, str) and not v.strip():  # "" was read as unknown before: not an entry to skip
        return None
    if isinstance(v, bool):
        raise ValueError(v)
    f = float(v)  # TypeError / ValueError for a list, "abc"
    if not f.is_integer() or f < 0:
        raise ValueError(v)
    return int(f) or None


def _polygons(ann: dict, label: str, width: int, height: int) -> list[dict]:
    seg = ann.get("segmentation")
    if seg is not None and not isinstance(seg, (list, dict)):  # it was left out unsaid, the bbox kept
        raise TypeError(f"segmentation {seg!r:.80} is neither a list of polygons nor an RLE mapping")
    if isinstance(seg, list) and seg:
        rings = [_numbers(r, None, f"segmentation[{k}]") for k, r in enumerate(seg)]
        polys = [[[r[i], r[i + 1]] for i in range(0, len(r) - 1, 2)] for r in rings]
        return [{"kind": "poly", "label": label, "coords": p} for p in polys if len(p) >= 3]  # others: short_rings
    if isinstance(seg, dict) and "counts" in seg:
        import numpy as np
        from pycocotools import mask as mask_utils

        from rsvlm.geometry import mask_to_objects

        rle = seg
        if "size" not in seg:  # a KeyError('size') said as such
            raise TypeError("RLE segmentation has no 'size' field ([height, width])")
        if isinstance(seg["counts"], list):  # uncompressed RLE
            h, w = _numbers(seg["size"], 2, "RLE size")
            if (n := sum(_numbers(seg["counts"], None, "RLE counts"))) != h * w:  # the rest was taken as background
                raise TypeError(f"uncompressed RLE counts sum to {n:g}, not its size "
                                f"{h:g}x{w:g} = {h * w:g} pixels")
            rle = mask_utils.frPyObjects(seg, *seg["size"])
        try:
            m = mask_utils.decode(rle).astype(bool)  # (h, w)
        except (ValueError, TypeError) as e:  # counts not of pycocotools' encoding: it was "degenerate"
            raise TypeError(f"RLE counts {str(seg['counts'])!r:.40} do not decode ({e})") from e
        if width and height and m.shape != (height, width):
            raise ValueError(f"RLE size {m.shape} differs from image {height}x{width}")
        if not np.any(m):
            raise ValueError("empty RLE mask")
        return [o for o in mask_to_objects(m, label, form="poly") if o["kind"] == "poly"]
    return []


def run(args, out: Output) -> None:
    opts = det_options(args)  # a usage error before any work
    data = read_json(args.ann)
    if not isinstance(data, dict) or not all(isinstance(data.get(k), list) for k in ("images", "annotations")):
        raise ConversionError(f"{args.ann}: not a COCO instances file (needs 'images' and 'annotations' lists)")
    cats = {}
    for k, c in enumerate(data.get("categories") or []):
        if not isinstance(c, dict) or not _an_id(c.get("id")) or not isinstance(c.get("name"), str):
            raise ConversionError(f"{args.ann}: categories[{k}] needs an 'id' (a number or string) and a 'name' string")
        if c["id"] in cats and cats[c["id"]] != clean_label(c["name"]):  # the later name took the first's objects
            raise ConversionError(f"{args.ann}: categories[{k}] gives id {c['id']!r} to {c['name']!r}, "
                                  f"an earlier category's id ({cats[c['id']]!r})")
        cats[c["id"]] = clean_label(c["name"])
    images, by_file, alias = {}, {}, {}  # alias: a later entry of a listed file → the first's id
    dropped = {}  # id of an entry skipped → why, said by its annotations' orphan_annotation
    listed = {}  # id → file_name of every entry read: kept, merged (alias) or dropped
    for k, im in enumerate(data["images"]):
        if not isinstance(im, dict) or not _an_id(im.get("id")) or not isinstance(im.get("file_name"), str):
            out.skip("unparsable_image_entry", f"{args.ann}: images[{k}]",
                     "needs an 'id' (a number or string) and a 'file_name'")
            continue
        try:
            im = {**im, "width": _pixels(im.get("width")), "height": _pixels(im.get("height"))}
        except (TypeError, ValueError):
            out.skip("unparsable_image_entry", f"{args.ann}: images[{k}]", f"width {im.get('width')!r:.20} or height "
                     f"{im.get('height')!r:.20} is not a whole number of pixels")
            dropped.setdefault(im["id"], "unparsable_image_entry")  # its annotations were orphans, not saying why
            continue
        if im["id"] in listed:  # it replaced the first: that file's annotations were drawn on this one (or, an
            # id of a merged entry, on the file it was merged into)
            out.skip("duplicate_image_id", f"{args.ann}: images[{k}]",
                     f"id {im['id']!r} ({im['file_name']}) is also {listed[im['id']]}'s; the first kept")
            continue
        listed[im["id"]] = im["file_name"]
        if "\\" in im["file_name"] and not (Path(args.images) / im["file_name"]).is_file():  # written on Windows
            im = {**im, "file_name": im["file_name"].replace("\\", "/")}  # train\a.png gave the record id coco-train\a
            out.note("windows_paths_read")
        if (first := by_file.get(im["file_name"])) is not None:
            if _size(im) != _size(first) and None not in (*_size(im), *_size(first)):
                out.skip("duplicate_image_file", f"{args.ann}: images[{k}]", f"{im['file_name']} (id {im['id']!r}) is "
                         f"{_size(im)} here, {_size(first)} as id {first['id']!r}; the first kept")
                dropped[im["id"]] = "duplicate_image_file"
            else:
                alias[im["id"]] = first["id"]
                out.note("images_listed_twice_merged")
            continue
        images[im["id"]] = by_file[im["file_name"]] = im
    per_image: dict = {i: [] for i in images}
    ids_as_text, cats_as_text = {str(i): i for i in images}, {str(i): i for i in cats}
    anns, data = data["annotations"], None  # each parsed annotation let go once read: its objects replace it
    # RLE tracing is slow
    for k in out.bar(range(len(anns)), "coco annotations", "annotation", limited=False):
        ann, anns[k] = anns[k], None
        if not isinstance(ann, dict):
            out.skip("unparsable_annotation", f"{args.ann}: annotations[{k}]", "not a JSON object")
            continue
        where = f"{args.ann}: annotations[{k}] (id {ann.get('id')})"
        if bad := [key for key in ("image_id", "category_id") if not _an_id(ann.get(key), missing=True)]:
            out.skip("unparsable_annotation", where, f"{bad[0]} {ann[bad[0]]!r:.40} is not a number or string")
            continue
        if ann.get("image_id") in alias:  # each entry's share was a [det] record of its own, missing the other's
            ann = {**ann, "image_id": alias[ann["image_id"]]}
        if ann.get("image_id") not in images:
            why = f" (its entry skipped as {dropped[ann['image_id']]})" if ann.get("image_id") in dropped else ""
            other = ids_as_text.get(str(ann.get("image_id")))  # 6 for an entry's "6": told apart, unsaid
            why = why or (f" (images has id {other!r}, a {type(other).__name__})" if other is not None else "")
            out.skip("orphan_annotation", where, f"image_id {ann.get('image_id')!r}{why}")
            continue
        if ann.get("category_id") not in cats:
            other = cats_as_text.get(str(ann.get("category_id")))  # 1 for a category's "1": as image ids
            out.skip("unknown_category", where, f"{ann.get('category_id')!r}"
                     + (f" (categories has id {other!r}, a {type(other).__name__})" if other is not None else ""))
            continue
        crowd = _crowd(ann.get("iscrowd"))
        if crowd is None:
            out.skip("unparsable_annotation", where, f"iscrowd {ann.get('iscrowd')!r:.40} is not 0/1 or true/false")
            continue
        if args.skip_crowd and crowd:  # the user's choice, no bad annotation: counted apart, never raised
            out.filter("--skip-crowd", cats[ann["category_id"]])
            continue
        im = images[ann["image_id"]]
        try:
            objs = ann_objects(ann, cats[ann["category_id"]], im.get("width"), im.get("height"))
        except ValueError as e:
            out.skip("degenerate", where, str(e))
            continue
        except (KeyError, TypeError) as e:
            out.skip("unparsable_annotation", where, _unreadable(e))
            continue
        seg = ann.get("segmentation")
        if isinstance(seg, list) and any(isinstance(r, list) and len(r) % 2 for r in seg):
            out.note("polygon_odd_value_dropped", 1, where)  # x y … x: the stray last value is not a vertex
        if short := short_rings(ann):  # the annotation's box and other rings are kept; the first named (it was not)
            out.note("polygon_ring_under_3_points_dropped", short, where)
        per_image[ann["image_id"]].extend({**o, "src": where, **({"difficult": True, "crowd": True} if crowd else {})}
                                          for o in objs)
    every: dict[str, list[Path]] = {}
    index = index_images(args.images, out, every)
    folders = {f for im in images.values() for f in _folders(im["file_name"])}
    missing, read = [], 0  # the file names of image entries not found; the entries read
    for image_id, objects in out.bar(per_image.items(), "coco images", "image"):
        im, read = images[image_id], read + 1
        path = _by_folders(args.images, im["file_name"], every) or find_image(index, Path(im["file_name"]).name, out)
        if path is not None and (theirs := _other_entries_folder(args.images, im["file_name"], path, folders)):
            out.skip("missing_image", f"{args.ann}: image id {image_id}",
                     f"{im['file_name']} is not under {args.images}; the file of its name there, {path}, is in "
                     f"{theirs}, a folder other entries name")
            unchecked(out, objects, "missing")  # lost with it: counted, as an unreadable image's are
            continue
        if path is None:
            out.missing_image(f"{args.ann}: image id {image_id}", im["file_name"], args.images)
            unchecked(out, objects, "missing")
            missing.append(im["file_name"])
            continue
        if nothing_to_write(out, objects, f"{args.ann}: image id {image_id}"):
            continue
        size = readable_size(path, out, f"{args.ann}: image id {image_id} ({path})", args.modality)
        if size is None:
            unchecked(out, objects)  # their lines' problems that need its size: unknown
            continue
        if (im.get("width") or size[0], im.get("height") or size[1]) != size:
            out.skip("size_mismatch", f"{args.ann}: image id {image_id}",
                     f"entry says {im.get('width')}x{im.get('height')}, {path} is {size[0]}x{size[1]}")
            continue
        seg = any(o["kind"] == "poly" for o in objects)
        emit_objects(out, rid=f"coco-{Path(im['file_name']).stem}", source="COCO", file=Path(args.ann).name,
                     image=path, width=size[0], height=size[1], objects=objects, opts=opts,
                     modality=args.modality, forms=("box",), seg=seg,
                     where=f"{args.ann}: image id {image_id} ({im['file_name']})")
    note_unlabelled(out, index, [p for f in by_file for p in (*every.get(Path(f).name, ()), index.get(Path(f).stem))
                                 if p is not None])  # images no entry lists (by name, or stem: find_image's)
    warn_most_missing(out, len(missing), read, "image entry", missing, args.images,
                      "the images of every entry --ann lists")
