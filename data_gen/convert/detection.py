"""Turn one image's objects into ``[det]`` / ``[ground]`` / ``[seg]`` records, tiling on the way.

Shared by the dota, voc, coco and geojson converters. Per image (or tile):

* one ``[det]`` record with every class, per geometry form the source gives (``obb`` sources
  give an oriented record *and* a horizontal one; ``box`` sources only the horizontal one);
  with ``per_class`` one record per class and form instead;
* one ``[ground]`` record per class that has exactly one instance in the image or tile (the
  class name then refers to one object unambiguously): "Where is the ship?" → its box; none for a class
  with a COCO crowd region there (``"crowd": True``: many of the class), counted in the notes as
  ``ground_left_out_for_crowd`` where the class has one instance beside it, or none, and
  ``ground_left_out_for_several`` once for each class with several instances there (the first named);
* with ``seg`` (polygon sources), one ``[seg]`` record per class with its polygons.

Objects of kind ``box``/``obb`` make the ``[det]``/``[ground]`` answers and ``poly`` objects the
``[seg]`` ones; a source with polygons only (GeoJSON) uses the polygons' bounds for ``[det]``.

Objects first go through the whole-image window: annotations with a coordinate that is not a
finite number (``nan``, ``inf``: Python's JSON and ``float`` read both) are bad annotations
(``non_finite_coordinates``), and so are coordinates of the wrong shape or not numbers
(``unparsable_geometry``: a box of 3 numbers), class names that are empty or hold an rsvlm tag
(``bad_class_name``: ``_``, ``<ref>``), an annotation of the class and coordinates of an earlier one of the
image (``duplicate_object``, once an annotation, all its objects compared: a label line pasted twice wrote the
box twice; ``repeated``), annotations wholly outside the image, or with
less than ``min_visible`` of their area inside (``outside_image`` /
``mostly_outside_image``); the rest are clipped. A polygon whose ring crosses itself (a COCO or GeoJSON
bow-tie) is split at its crossings by ``shapely.make_valid``, each part a polygon of its own in the
answers, counted in the notes as ``self_intersecting_polygons_split`` (once per source polygon); an oriented
box whose corners come in crossed order (1, 3, 2, 4) is the box of those corners, counted as
``quads_with_crossed_corners_reordered`` (it was skipped as ``degenerate``, its signed area cancelling). Then tiles follow ``data_gen.tiling``'s border
rule, which is no error: an object a tile border cuts with less than ``min_visible`` of its area in
the tile (counted in the notes as ``object_cuts_at_tile_borders``) keeps its visible part there,
clipped and flagged difficult (below), as DOTA's devkit (``ImgSplit``) keeps it marked difficult
2, counted as ``cut_objects_kept_difficult``: a model that finds the visible part of a car at a
tile's edge is then neither right nor wrong in ``eval.detection``, where dropping it made the find a
false positive. ``--drop-cut`` (``keep_cut=False``) drops it from that tile instead; one dropped
from every tile is counted as ``objects_lost_at_tile_borders``. An object under one bin of the
codec's 1000-bin grid wide or high (a few pixels in a large image) cannot be written and is
skipped as ``smaller_than_a_bin``; a cut part of one that small is counted in the notes as
``cut_slivers_under_a_bin`` instead (it is no bad annotation). Images or tiles with no object get
no record (noted as ``empty_images``, per window): the grammar has no spelling for "nothing here"
yet. Where a GeoTIFF image holds no data (``on_data``), a window over half nodata (``--max-nodata``) gets no
record (``windows_mostly_nodata``, the rule of ``levir-cd`` and ``masks``) and an object wholly on nodata is left
out (``objects_over_nodata``). A PNG or JPEG, which declares no nodata, with a black or white collar joining its
edge is noted as ``images_with_constant_border`` (``collar.note_border``: its pixels, and how to declare them
nodata; one not looked at, over 2**22 px and not decoded whole by the tiler, as
``images_not_looked_at_for_a_collar``). An image with no annotation at all (an empty label file, every line skipped) is not read (``nothing_to_write``:
noted as ``images_without_objects_not_read``, not ``empty_images``).

Difficult objects (DOTA's and VOC's ``difficult`` flag; an object dict with ``"difficult": True``;
the parts kept of objects cut at tile borders, ``"cut": True``) are written like any other object, and every record whose answer holds one says which in
``meta["difficult"]``: the sorted indices, from 0, into the objects that decoding the record's
answer gives, in answer order (so after the per-class sorting, per-class splitting and tiling
here; an object clipped at a tile border keeps its flag in each tile it is kept in). The notes'
``difficult_objects`` counts the difficult annotations some record holds (not those skipped as
outside the image, under a bin or lost at tile borders; one kept in two tiles once; not the cut
ones, which ``cut_objects_kept_difficult`` counts per tile). Every
record carries the key, ``[]`` when the answer holds no difficult object, so that every line of a
file has the same keys and types (``datasets``' JSON loader infers its schema from the first
block). A ``[ground]`` record about a difficult object is still written, with
``meta["difficult"] == [0]``; ``eval.detection`` leaves difficult ground truth out of #GT and out
of the false positives, ``eval.grounding`` scores such a record like any other (filter on a
non-empty ``meta.difficult`` to leave them out).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

from data_gen.convert.collar import note_border
from data_gen.convert.common import (
    Output,
    make_meta,
    make_record,
    one_image,
    pick,
)
from data_gen.convert.options import add_max_nodata, check_tiling, fraction, int_at_least, tile_size
from data_gen.crop import cropper, georef, tile_suffix
from data_gen.tiling import (
    MOSTLY,
    Window,
    clip_object,
    finite_coords,
    mostly_void,
    nodata_reader,
    note_near_copies,
    object_shape,
    over_nodata,
    tile_objects,
    tile_progress,
    tile_windows,
)

DET_ALL = ("Detect every object in the image and name its class.",
           "Find all objects and give each one's class.",
           "Locate every object of every class.")
DET_ONE = ("Detect every {c}.", "Find all the {c}s in the image.", "Where are the {c}s?")
GROUND = ("Where is the {c}?", "Give the location of the {c}.", "Find the {c}.")
SEG = ("Segment every {c}.", "Outline the {c} areas with polygons.", "Give the outline of each {c}.")
OBB = " Use oriented boxes."


@dataclass
class DetOptions:
    tile: int | None = None
    overlap: int = 0
    min_visible: float = 0.5
    per_class: bool = False
    ground: bool = True
    keep_cut: bool = True  # a tile border's cut under min_visible: kept as difficult (False: dropped)
    max_nodata: float = MOSTLY  # a window over this share nodata gets no record (tiling.mostly_void)


def add_det_arguments(parser) -> None:
    parser.add_argument("--tile", type=tile_size, default=None, help="cut images larger than this into tiles of this size (at least 32 px)")
    parser.add_argument("--overlap", type=int_at_least(0), default=None,
                        help="pixels neighbouring tiles share, only with --tile and at most half of it (default: 200, or a quarter of --tile where that is less)")
    parser.add_argument("--min-visible", type=fraction, default=0.5,
                        help="an object a tile border cuts under this share of its area is kept as difficult "
                             "(or dropped: --drop-cut); one under it inside the image is a bad annotation")
    parser.add_argument("--drop-cut", action="store_true",
                        help="drop an object a tile border cuts under --min-visible from that tile instead of "
                             "keeping its visible part flagged difficult (DOTA's devkit keeps it, difficult 2)")
    parser.add_argument("--per-class", action="store_true", help="one [det] record per class")
    parser.add_argument("--no-ground", action="store_true", help="no [ground] records")
    add_max_nodata(parser)


def det_options(args) -> DetOptions:
    """The options of ``add_det_arguments``; ConversionError for an ``--overlap`` over half of ``--tile``
    (it was replaced by a quarter of the tile without a word) or without ``--tile``."""
    check_tiling(args.tile, args.overlap)
    if not args.tile:
        overlap = 0
    elif args.overlap is None:  # DOTA's devkit gap of 200 for its 1024 tiles; a small tile overlaps less
        overlap = min(200, args.tile // 4)
    else:
        overlap = args.overlap
    return DetOptions(args.tile, overlap, args.min_visible, args.per_class, not args.no_ground, not args.drop_cut,
                      args.max_nodata)


def as_form(obj: dict, form: str) -> dict:
    """``box`` from any polygonal object (its bounds, its flags kept); ``obb`` and ``poly`` as they are."""
    if form == "box" and obj["kind"] != "box":
        xs = [p[0] for p in obj["coords"]]
        ys = [p[1] for p in obj["coords"]]
        box = {"kind": "box", "label": obj["label"], "coords": [min(xs), min(ys), max(xs), max(ys)]}
        return {**box, **{k: True for k in ("difficult", "cut") if obj.get(k)}}
    return obj


def _by_class(objects: list[dict]) -> dict[str, list[dict]]:
    groups: dict[str, list[dict]] = {}
    for o in objects:
        groups.setdefault(o["label"], []).append(o)
    return dict(sorted(groups.items()))


def emit_objects(out: Output, *, rid: str, source: str, file: str, image: Path, width: int, height: int,
                 objects: list[dict], opts: DetOptions, modality: str = "optical",
                 forms: tuple[str, ...] = ("box",), seg: bool = False, image_extra: dict | None = None,
                 where: str = "") -> None:
    """Write the records of one source image; ``objects`` are pixel-coordinate dicts, each may
    carry ``"src"`` (file:line) for the bad-annotation report and ``"difficult": True``. An image
    that does not decode is skipped as ``unreadable_image`` (``one_image``). ``where`` names the
    records' source for a duplicate id (default ``file``: COCO's is one file for every image)."""
    with one_image(out, "unreadable_image", str(image)):
        whole = Window(0, 0, width, height)
        inside, checked, copies = [], {}, repeated(objects)
        for o in objects:  # the whole image is the first window: what sticks out is a bad annotation
            if (why := label_problem(o.get("label"), checked)) is not None:
                out.skip("bad_class_name", o.get("src", file), why)
                continue
            if not finite_coords(o):
                out.skip("non_finite_coordinates", o.get("src", file), f"{o['kind']} {o['coords']}"[:120])
                continue
            if id(o) in copies:  # a line pasted twice: the same box twice in the answer, one of them never matched
                if said := copies[id(o)]:  # once for an annotation (COCO's box and polygons)
                    out.skip("duplicate_object", o.get("src", file), said)
                continue
            try:
                got, why = clip_object(o, whole, opts.min_visible)
            except ValueError as e:  # ragged or not numbers (finite_coords lets them through): no traceback
                out.skip("unparsable_geometry", o.get("src", file), f"{o['kind']} {o['coords']!r:.80}: {e}")
                continue
            inside.extend(got)
            if o["kind"] == "poly" and len(got) > 1 and polygon_parts(o) > 1:  # by make_valid, not the border
                out.note("self_intersecting_polygons_split")
            elif got and o["kind"] == "obb" and crossed_quad(o["coords"]):  # the codec puts its corners in order
                out.note("quads_with_crossed_corners_reordered")
            if why is not None:
                said = (f"{o['kind']} of no area" if why == "degenerate" else
                        share_inside(o, whole, opts.min_visible) if why == "cut" else "")
                out.skip({"outside": "outside_image", "cut": "mostly_outside_image"}.get(why, why), o.get("src", file), said)
        windows = tile_windows(width, height, opts.tile, opts.overlap)
        per_window, counts = tile_objects(inside, windows, opts.min_visible, opts.keep_cut)
        per_window = [writable(out, objs, w.width, w.height, file) for w, objs in zip(windows, per_window)]
        per_window = on_data(out, image, windows, per_window, opts.max_nodata)  # None: a window mostly nodata
        note_near_copies(out, windows, opts.overlap, Path(image).name, opts.tile if any(per_window) else None)
        if len(windows) > 1:
            out.note("object_cuts_at_tile_borders", counts["cut"])
            out.note("objects_lost_at_tile_borders", counts["lost"])
            if kept_cut := sum(bool(o.get("cut")) for objs in per_window for o in objs or ()):  # those some record holds
                out.note("cut_objects_kept_difficult", kept_cut)
        written: set = set()  # the source annotations (their "src", else the object) some record holds
        tiled = len(windows) > 1
        with cropper(image) if tiled and any(per_window) else contextlib.nullcontext() as crop:  # a PNG decoded once
            if modality == "optical" and any(per_window):  # a PNG's collar, read as ground; or why not looked at
                note_border(out, image, getattr(crop, "image", None))
            for win, objs in zip(tile_progress(windows, Path(image).name, out.progress), per_window):
                if not objs:
                    if objs is not None:  # not one mostly nodata: counted apart
                        out.note("empty_images")
                    continue
                if not tiled:
                    rel, extra = out.copy_image(image), dict(image_extra if image_extra is not None else georef(image))
                else:
                    dst, rel = out.image_path(f"{rid}_{win.x0}_{win.y0}{tile_suffix(image)}")
                    extra = crop(win, dst)
                    out.note("tiles")
                images = [{"path": rel, "modality": modality, **extra}]
                meta = make_meta(source, file, win.width, win.height, win.as_list())
                tid = rid if not tiled else f"{rid}-{win.x0}-{win.y0}"
                written |= {o.get("src") or id(o) for o in window_records(out, tid, images, meta, objs, forms, opts, seg, where)
                            if o.get("difficult")}
        if written:  # not those skipped after parsing (outside the image, under a bin, lost at tile borders)
            out.note("difficult_objects", len(written))


def on_data(out: Output, image: Path, windows: list[Window], per_window: list[list[dict]],
            most: float = MOSTLY) -> list[list[dict] | None]:
    """``per_window`` less what the GeoTIFF ``image``'s nodata hides (``tiling.nodata_reader``, read a window with
    objects at a time): None for a window over ``most`` of whose pixels hold no data (``tiling.mostly_void``, noted
    as ``windows_mostly_nodata``: its answers, the objects only where data is, taught that fill is empty land; the
    annotations no other window holds, each once, as ``objects_lost_in_windows_mostly_nodata``), and an object lying
    wholly on nodata left out (``objects_over_nodata``, and per class ``objects_over_nodata: CLASS``: footprints over a
    collar taught that fill is a building)."""
    kept: list[list[dict] | None] = []
    dropped, held = set(), set()  # the source annotations ("src", else the object) of windows left out, and kept
    with nodata_reader(image) if any(per_window) else contextlib.nullcontext(lambda window=None: None) as read:
        for win, objs in zip(windows, per_window):
            nodata = read(win) if objs else None  # (h, w) bool or None
            if mostly_void(nodata, most):
                out.note("windows_mostly_nodata")
                dropped |= {o.get("src") or id(o) for o in objs}
                kept.append(None)
                continue
            seen = [o for o in objs if not over_nodata(o, nodata)]
            if len(seen) < len(objs):
                out.note("objects_over_nodata", len(objs) - len(seen))
                kept_ids = {id(o) for o in seen}
                for o in objs:  # per class too, as masks counts them: which class the collar cost
                    if id(o) not in kept_ids:
                        out.note(f"objects_over_nodata: {o['label']}")
            held |= {o.get("src") or id(o) for o in seen}
            kept.append(seen)
    if lost := len(dropped - held):  # counted per window, one in two tiles was two, and one written elsewhere one
        out.note("objects_lost_in_windows_mostly_nodata", lost)
    return kept


def share_inside(obj: dict, image: Window, min_visible: float) -> str:
    """What a ``mostly_outside_image`` skip says of ``obj``: its extent, the image's size and the share of its area
    inside, ``obb x 10…5000, y 10…40 in a 712x557 px image: 14% of it inside, under --min-visible 0.5`` (floored: 49.9%
    under 0.5 never reads "50%"). It said only the file and line: a box 3 px over the edge looked like one far off."""
    import math

    from shapely.geometry import box

    geom = object_shape(obj)  # clip_object read it already: a shape of some area
    x0, y0, x1, y1 = geom.bounds
    share = geom.intersection(box(image.x0, image.y0, image.x1, image.y1)).area / geom.area
    # floored past float noise (29% inside is 28.999…%: it read "28%"), and below --min-visible as the rule it fails
    pct = min(math.floor(round(share * 100, 6)), math.ceil(round(min_visible * 100, 6)) - 1)
    pct = f"{pct}%" if share >= 0.01 else "under 1%"

    def num(v: float) -> str:  # 10, 10.5; never "-0"
        return f"{round(v, 1) or 0.0:.1f}".removesuffix(".0")

    return (f"{obj['kind']} x {num(x0)}…{num(x1)}, y {num(y0)}…{num(y1)} in a {image.width}x{image.height} px image: "
            f"{pct} of it inside, under --min-visible {min_visible:g}")


def repeated(objects: list[dict]) -> dict[int, str]:
    """The objects of ``objects`` to leave out as copies (by ``id()``), each with the ``duplicate_object`` detail
    to say, or "" where its annotation's is said already. An annotation is the objects of one ``src`` (COCO's box
    and polygons; a GeoJSON feature's parts; else the object alone): it is a copy where another annotation of the
    image holds its every object, class and coordinates, and more (a COCO box alone, before or after that box with
    its polygon: the one with the polygon is kept; the box alone before it was written twice in ``[det]``), or
    the same, given earlier; an object its own annotation gave before is left out too. So a COCO annotation of
    another's box but its own polygons is another object, kept whole (object by object, its box was left out and
    its polygons kept: one car in the ``[det]`` answer, two in the ``[seg]`` one). A COCO crowd region (``"crowd":
    True``) is never a copy of an instance of the same box, nor one of it: the instance was merged into the crowd,
    flagged difficult, and never scored."""
    groups: dict = {}
    for o in objects:
        groups.setdefault(o.get("src") or id(o), []).append(o)
    keys = [[(o["kind"], o.get("label"), repr(o["coords"]), repr(o.get("rings")), bool(o.get("crowd"))) for o in g]
            for g in groups.values()]  # each object's, once; a COCO crowd region never one with an instance
    keysets = [set(k) for k in keys]
    holders: dict[tuple, set[int]] = {}  # an object's key → the annotations (their number) holding it
    for n, ks in enumerate(keysets):
        for key in ks:
            holders.setdefault(key, set()).add(n)
    names = [src if isinstance(src, str) else "an earlier one" for src in groups]
    covering = [{m for m in set.intersection(*(holders[k] for k in ks)) - {n}
                 if m < n or len(keysets[m]) > len(ks)} for n, ks in enumerate(keysets)]
    copies: dict[int, str] = {}
    for n, group in enumerate(groups.values()):
        if within := covering[n]:
            copies.update({id(o): "" for o in group})
            kept = min((m for m in within if not covering[m]), default=min(within))  # the annotation written
            shown = f"the same {group[0]['label']} {group[0]['kind']}{' and its parts' if len(group) > 1 else ''}"
            copies[id(group[0])] = f"{shown} as {names[kept]}"
            continue
        seen: set = set()
        for o, key in zip(group, keys[n]):
            if key in seen:
                copies[id(o)] = f"the same {o['label']} {o['kind']} twice in one annotation"
            seen.add(key)
    return copies


def label_problem(label, seen: dict) -> str | None:
    """Why ``label`` (a class name as ``clean_label`` wrote it) cannot be written, or None: empty (a
    DOTA class ``_``, a VOC ``<name>-</name>``, a blank GeoJSON class property) or holding an rsvlm tag
    (``<ref>``). Either was the codec's ValueError traceback, ending the run at that image. ``seen``
    caches the answer per label."""
    if label not in seen:
        from rsvlm import geometry

        if label is not None and not str(label).strip():
            seen[label] = "a class name with no letter or digit in it"
        else:
            try:
                geometry.encode([{"kind": "point", "label": label, "coords": [0, 0]}], width=1, height=1)
                seen[label] = None
            except ValueError as e:
                seen[label] = str(e).split(": ", 1)[-1]
    return seen[label]


def polygon_parts(obj: dict) -> int:
    """How many polygons of some area a ``poly`` object is written as: 1, or for a ring that crosses
    itself (a bow-tie) the parts ``shapely.make_valid`` splits it into at its crossings
    (``tiling.object_shape``), each then a polygon of its own in the ``[seg]`` answer."""
    from data_gen.tiling import object_shape

    geom = object_shape(obj)
    return sum(g.geom_type == "Polygon" and g.area > 0 for g in getattr(geom, "geoms", [geom]))


def crossed_quad(q) -> bool:
    """Whether quad ``q`` (4 (x, y) corners) lists its corners in crossed order (a bow-tie: 1, 3, 2, 4),
    an edge crossing the opposite one."""
    def side(a, b, c) -> float:
        return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])

    def cross(a, b, c, d) -> bool:
        return side(a, b, c) * side(a, b, d) < 0 and side(c, d, a) * side(c, d, b) < 0

    return len(q) == 4 and (cross(q[0], q[1], q[2], q[3]) or cross(q[1], q[2], q[3], q[0]))


def under_a_pixel(ring) -> bool:
    """Whether a polygon ring ((x, y) points: a DOTA quad, a footprint) covers under 1 px². The shoelace
    area is a simple ring's; one that crosses itself (a bow-tie, a quad's corners in crossed order) has
    loops of opposite sign that cancel (to 0 for a symmetric bow-tie, skipped as ``degenerate``), so below
    1 px² its area is taken as the loops' that ``shapely.make_valid`` splits it into."""
    area = 0.5 * abs(sum(ring[i][0] * ring[i - 1][1] - ring[i - 1][0] * ring[i][1] for i in range(len(ring))))
    if not area < 1.0:  # nan too: a coordinate that is no finite number is non_finite_coordinates, later
        return False
    if len(ring) < 4:  # no loop cancels under 4 points
        return True
    import shapely
    from shapely.geometry import Polygon

    poly = Polygon(ring)
    return (poly if poly.is_valid else shapely.make_valid(poly)).area < 1.0


def nothing_to_write(out: Output, objects: list[dict], where: str | None = None) -> bool:
    """Whether an image has no annotation left to write (an empty label file, or every line
    skipped); counted in the notes as ``images_without_objects_not_read``, the first ``where`` (its label file) in
    ``notes_examples`` (an empty labelTxt was a count naming no file). The caller then does not
    read the image through: a DOTA-v2 scene took seconds in strips for records that never came."""
    if objects:
        return False
    out.note("images_without_objects_not_read", example=where)
    return True


def unchecked(out: Output, objects: list, why: str = "unreadable") -> None:
    """The objects of an image then skipped as unreadable (or of the wrong bands; ``why="missing"``: not there): parsed,
    but never checked against its size (outside it, under a bin, which need it), so counted in the notes as
    ``objects_unchecked_image_unreadable`` (``…_missing``), not left as though their label file were sound."""
    if objects:
        out.note(f"objects_unchecked_image_{why}", len(objects))


def collapses(obj: dict, width: int, height: int) -> bool:
    """Whether ``obj`` (as it is, or as its box) loses all its area on the codec's 1000-bin grid
    of a ``width`` x ``height`` image: an object under one bin wide or high, which no answer can
    hold and against which a perfect prediction would score an IoU of 0."""
    from rsvlm import geometry

    for o in {obj["kind"]: obj, "box": as_form(obj, "box")}.values():
        (d,) = geometry.decode(geometry.encode([{**o, "label": None}], width=width, height=height),
                               width, height).objects
        c = d["coords"]
        area = ((c[2] - c[0]) * (c[3] - c[1]) if d["kind"] == "box" else
                0.5 * abs(sum(c[i][0] * c[i - 1][1] - c[i - 1][0] * c[i][1] for i in range(len(c)))))
        if area <= 0:
            return True
    return False


def writable(out: Output, objs: list[dict], width: int, height: int, file: str) -> list[dict]:
    """``objs`` less those too small for the codec's grid of a ``width`` x ``height`` image or tile,
    each skipped as ``smaller_than_a_bin``, or, a sliver a tile border cut (``"cut"``: no bad
    annotation), counted in the notes as ``cut_slivers_under_a_bin``. Found before the image or tile
    is written: an image whose objects were all under a bin was copied (or cut) and no record named it."""
    small = [collapses(o, width, height) for o in objs]
    for o in (o for o, s in zip(objs, small) if s):
        if o.get("cut"):
            out.note("cut_slivers_under_a_bin")
            continue
        out.skip("smaller_than_a_bin", o.get("src", file),
                 f"{o['kind']} {o['coords']} on the 1000-bin grid of {width}x{height}")
    return [o for o, s in zip(objs, small) if not s]


def window_records(out: Output, tid: str, images: list[dict], meta: dict, objs: list[dict],
                   forms: tuple[str, ...], opts: DetOptions, seg: bool, where: str = "") -> list[dict]:
    """The ``[det]``/``[ground]``/``[seg]`` records of one image or tile (objects in its pixels, each
    one ``writable``); returns the objects written."""
    from rsvlm import geometry

    def add(kind: str, q: str, objs_: list[dict], task: str) -> None:
        answer = geometry.encode(objs_, width=meta["width"], height=meta["height"])
        # box/obb/poly objects decode one for one, in the order encoded: indices into the answer
        difficult = [i for i, o in enumerate(objs_) if o.get("difficult") or o.get("cut")]
        out.add(make_record(f"{tid}-{kind}", images, [(q, answer)], task, {**meta, "difficult": difficult}), where)

    det_objs = [o for o in objs if o["kind"] in ("box", "obb")] or objs  # polygons alone: their bounds
    for form in forms:
        shaped = sorted((as_form(o, form) for o in det_objs), key=lambda o: o["label"])  # one <ref> per class
        tail = OBB if form == "obb" else ""
        if opts.per_class:
            for c, group in _by_class(shaped).items():
                add(f"det-{form}-{c.replace(' ', '_')}", pick(DET_ONE, tid + c).format(c=c) + tail, group, "det")
        else:
            add(f"det-{form}", pick(DET_ALL, tid) + tail, shaped, "det")
    if opts.ground:
        for c, group in _by_class(det_objs).items():
            if any(o.get("crowd") for o in group):  # "the car" of a crowd of cars names no one object
                if sum(not o.get("crowd") for o in group) <= 1:  # with no crowd it was one, or none
                    out.note("ground_left_out_for_crowd")
                continue
            if len(group) == 1:
                box = as_form(group[0], "box")
                add(f"ground-{c.replace(' ', '_')}", pick(GROUND, tid + c).format(c=c),
                    [{**box, "label": None}], "ground")
            else:  # "Where is the car?" over several cars names no one car; the first named (it had no example)
                out.note("ground_left_out_for_several", 1,
                         f"{tid}{f' ({where})' * bool(where)}: {len(group)} objects of class {c}")
    if seg:
        for c, polys in _by_class([o for o in objs if o["kind"] == "poly"]).items():
            add(f"seg-{c.replace(' ', '_')}", pick(SEG, tid + c).format(c=c), polys, "seg")
    return objs
