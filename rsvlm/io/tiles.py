"""Whole scenes: windows over a scene, a batched windowed runner, and merging of per-tile objects.

    objects = run_tiled("scene.tif", predict_fn, tile=512, overlap=64, batch_size=8)

``predict_fn(list[RSImage]) -> list[list[object]]`` gets batches of windows and returns objects in
each window's pixel coordinates; ``run_tiled`` returns them in scene pixels, duplicates merged.

Merging (``TileMerger``): boxes and oriented boxes go through greedy NMS by polygon IoU (shapely);
an object cut by an inner tile edge is "truncated", and a truncated view of the same object seen
in another tile is recognised by intersection over the smaller area, or over what the truncated
view's tile could see of the other (a rotated object's corner piece), the whole view kept (or the
union of the cut views when no tile saw it whole; two survivors whose absorbed views are such
duplicates are joined too: a rotated ship seen in three or four tiles, or a box across three windows
in a row where the last, flush with the scene's edge, overlaps its neighbour more than the others).
Polygons and masks of one label that overlap across tiles are unioned (a union's holes, its own or its parts', kept as ``rings``); points of
one label closer than ``point_radius`` across tiles are one. Ranking: "score" when present, else
earlier objects (tile order, then answer order) win. The unions of polygons, masks and points are in
``unions.py``.

With ``overlap=0`` tiles abut (windows that abut in an overlapping tiling, every other one at half the
tile, are no seam: a third window sees across): the views of a box, oriented box, polygon or mask cut at a seam meet
there without overlapping, and are one object where both come within ``edge_tol`` of the seam and
their extents along it overlap by ``iou_threshold`` (of the longer, then of the shorter for pieces not yet
joined across that seam; plain boxes each drawn within ``box_reach`` of the seam, not ``edge_tol``: two cars
nose to tail across it are two), ``seam_share``
of the shorter for masks, which must touch (a shared border, not a one-pixel touch, but for lines 1 px
wide, which touch at a corner; ``seams.py``); plain
boxes not yet joined across it also where they step away from it as a slanted object's pieces do
(``seams.slant_join``).

Cannot: merge objects larger than a tile whose pieces do not overlap (use overlap >= the largest
object size), or bound the memory
of a merged mask: it grows with the area the mask covers (a scene-wide class mask is scene-sized).
A PNG or JPEG that GDAL reads is read a row of windows at a time (``rows.RowReader``).
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import numbers
import sys
from collections.abc import Callable

import numpy as np

from rsvlm.io.cut_views import cut_overlap, pixel_wide
from rsvlm.io.georef import on_object
from rsvlm.io.nodata_objects import ValidityMap, nodata_note
from rsvlm.io.rows import RowReader, decodes_from_start
from rsvlm.io.seams import SeamIndex, at_seam, slanted
from rsvlm.io.unions import dedupe_points, union_masks, union_polys
from rsvlm.io.windows import (  # noqa: F401 (n_windows, touches_inner_edge: imported from here by predict_tiles, fusion)
    Window,
    iter_windows,
    label_key,
    n_windows,
    shift_object,
    touches_inner_edge,
)
from rsvlm.progress import counted

_shift = shift_object  # its name before windows.py (tests/test_tiles_tour55b)

__all__ = ["iter_windows", "n_windows", "TileMerger", "merge_tile_objects", "run_tiled"]

SEAM_GAPS = ("each other 1-2 px apart across an --overlap 0 seam: kept apart, as a gap there may be real (a "
             "path); a model that stops a pixel short of a tile's edge splits one object so, which an overlap joins")


class TileMerger:
    """Collects per-tile objects (``add``) and returns scene objects with duplicates merged (``result``).
    ``unions.py`` joins polygons, masks and points through ``clusters``, ``seams`` and ``best_of``."""

    def __init__(self, iou_threshold: float = 0.5, point_radius: float = 4.0, edge_tol: float = 2.0,
                 scene_size: tuple[int, int] | None = None, seam_share: float = 0.25, box_reach: float = 1.0,
                 min_score: float = 0.0, validity: ValidityMap | None = None):
        if not (isinstance(min_score, numbers.Real) and min_score == min_score):  # NaN: no score reaches it
            raise ValueError(f"TileMerger min_score {min_score!r}: give a number, 0 to 1 (predict's --min-score; "
                             "0 keeps all)")
        self.min_score = min_score  # --min-score: ``n_on_nodata`` counts only the objects it keeps
        self.iou_threshold, self.point_radius, self.edge_tol = iou_threshold, point_radius, edge_tol
        self.seam_share = seam_share  # masks at an --overlap 0 seam: shared border / shorter section
        self.box_reach = box_reach  # plain boxes at an --overlap 0 seam: each piece drawn this near it (``seams.at_seam``)
        self.scene_size = scene_size
        self._items: list[dict] = []  # {"obj", "tile", "window", "order"}
        self.seams = SeamIndex()  # every window added, objects or not: the seams no other window sees across
        self.n_tiles = 0
        self.n_nodata = 0  # tiles run_tiled did not ask about: every pixel nodata
        self.notes: list[str] = []  # run_tiled: what reading a window said beyond the scene's notes (a damaged block)
        self.n_empty_masks = 0  # tile answers' masks without a pixel: no object to keep (said in ``notes``)
        self.n_refused, self._first_refused = 0, ""  # ``add(skip_bad=True)``: objects whose geometry does not fit
        self.n_seam_gaps = 0  # ``result``: mask pieces 1-2 px apart across a seam, kept apart (said in ``notes``)
        # run_tiled: each window's nodata, for ``n_on_nodata`` (a caller's, to tell the objects on it after)
        self.validity = ValidityMap() if validity is None else validity
        self.n_on_nodata = 0  # ``result``: merged objects drawn wholly on nodata that ``min_score`` keeps (``notes``)
        self._said: dict[str, str] = {}  # ``result``'s counted notes by what they count, as said last (``_restate``)

    def add(self, window: Window, objects: list[dict], skip_bad: bool = False) -> None:
        """Objects of one tile, in ``window``'s pixels; ValueError naming the tile and the object whose
        geometry does not fit its kind (a box of 3 numbers met a bare IndexError). With ``skip_bad``
        (``run_tiled``: a model's garbled object hours into a scene ended the run) such an object is
        counted in ``n_refused``, the first said in ``notes`` by ``result``, and the tile's others kept."""
        x0, y0 = window[0], window[1]
        self.seams.see(tuple(window))
        shifted_all = []
        for i, obj in enumerate(objects):
            try:
                shifted_all.append(on_object(i, obj, lambda o: shift_object(o, x0, y0, window)))
            except ValueError as e:
                why = f"tile {tuple(window)} (x0, y0, w, h): {e}"
                if not skip_bad:
                    raise ValueError(why) from e
                self.n_refused += 1
                self._first_refused = self._first_refused or why
        for shifted in shifted_all:
            if shifted is not None:
                self._items.append({"obj": shifted, "tile": self.n_tiles, "window": tuple(window),
                                    "order": len(self._items)})
            else:  # was dropped without a word
                self.n_empty_masks += 1
        self.n_tiles += 1

    @property
    def n_objects_in(self) -> int:
        return len(self._items)

    def _truncated(self, it: dict, geom, scene: tuple[int, int]) -> bool:
        """Does the object touch an edge of its tile that lies inside the scene?"""
        return touches_inner_edge(geom.bounds, it["window"], scene, self.edge_tol)

    def merged(self) -> tuple[list[dict], list[str]]:
        """``result``, and the notes it added to ``notes`` (how many masks held no pixel): what a caller
        that has said ``notes`` as they came has still to say."""
        said = list(self.notes)
        objects = self.result()
        return objects, [n for n in self.notes if n not in said]

    def result(self) -> list[dict]:
        """The scene's objects, duplicates merged; masks without a pixel are counted in ``notes``."""
        from rsvlm.io.georef import object_geometry

        n, bad = self.n_empty_masks, self.n_refused
        self._restate("empty masks", f"{counted(n, 'mask')} in the tile answers {'holds' if n == 1 else 'hold'} no "
                      "pixel: no object, not kept" if n else None)
        self._restate("refused", f"{counted(bad, 'tile object')} refused, not kept (first: {self._first_refused})"
                      if bad else None)

        scene = self.scene_size or (max((it["window"][0] + it["window"][2] for it in self._items), default=0),
                                    max((it["window"][1] + it["window"][3] for it in self._items), default=0))
        kept: list[tuple[int, dict]] = []
        groups: dict[tuple, list[dict]] = {}
        self.n_seam_gaps = 0
        for it in self._items:
            groups.setdefault((it["obj"]["kind"], label_key(it["obj"].get("label"))), []).append(it)
        for (kind, _), items in groups.items():
            if kind in ("box", "obb"):
                import shapely

                for it in items:
                    g = object_geometry(it["obj"])  # a model's obb corners may cross (a bow tie): repaired
                    g = g if g.is_valid else shapely.make_valid(g)
                    if g.area == 0:  # x1 == x2 or y1 == y2 (a car on a 1-px strip): no IoU, its duplicates all kept
                        it["drawn"] = g  # matched as 1 px wide; its coords stay as drawn (``_joined`` too)
                        g = pixel_wide(g, scene)
                    it["geom"] = g
                    it["trunc"] = self._truncated(it, it["geom"], scene)
                kept += self._nms(items, kind)
            elif kind == "poly":
                kept += union_polys(self, items)
            elif kind == "mask":
                kept += union_masks(self, items)
            else:
                kept += dedupe_points(self, items)
        n = self.n_seam_gaps
        self._restate("seam gaps", f"{n} {'pair of masks faces' if n == 1 else 'pairs of masks face'} {SEAM_GAPS}"
                      if n else None)
        objects = [obj for _, obj in sorted(kept, key=lambda t: t[0])]
        # per merged object, not per tile's view; of those --min-score keeps, by predict's one rule (3 were said
        # where it left 1)
        from rsvlm.output_options import above_min_score  # (here: output_options imports rsvlm.io's georef)

        self.n_on_nodata = self.validity.count(above_min_score(objects, self.min_score)[0])
        self._restate("on nodata", nodata_note(self.n_on_nodata) if self.n_on_nodata else None)
        return objects

    def _restate(self, key: str, said: str | None) -> None:
        """``notes`` less the note of ``key`` that an earlier ``result`` added, and with ``said`` where given: a
        count said once however often ``result`` is called (matched by its key: its words change with the count)."""
        if (old := self._said.pop(key, None)) in self.notes:
            self.notes.remove(old)
        if said:
            self.notes.append(self._said.setdefault(key, said))

    @staticmethod
    def _rank(it: dict):
        s = it["obj"].get("score")
        s = None if s is None or np.isnan(float(s)) else float(s)  # a NaN score ranks with the unscored, last
        return (it.get("trunc", False), -s if s is not None else float("inf"), it["order"])

    def _nms(self, items: list[dict], kind: str) -> list[tuple[int, dict]]:
        import shapely
        from shapely.strtree import STRtree

        items = sorted(items, key=self._rank)
        geoms = [it["geom"] for it in items]
        tree, alive, out = STRtree(geoms), [True] * len(items), []
        for i, it in enumerate(items):
            if not alive[i]:
                continue
            gi, cut, views = it["geom"], [it] if it["trunc"] else [], [it]
            cands = [j for j in map(int, tree.query(gi, predicate="intersects"))
                     if j > i and alive[j] and self._duplicate(it, items[j])]
            for j in cands:
                if self._another(items[j], it, [it, *(items[k] for k in cands)]):
                    continue  # another object that this view's tile cut, beside this one there
                alive[j] = False
                views.append(items[j])
                if it["trunc"] and items[j]["trunc"]:
                    cut.append(items[j])
            out.append(dict(it, cut=cut, views=views))

        reach = self.box_reach if kind == "box" else None  # plain boxes: each piece drawn to the seam

        def joined(a, b):  # abutting at a seam, or duplicates through views NMS gave to two survivors
            return at_seam(self.seams, a, b, self.iou_threshold, self.edge_tol, longer=True, reach=reach) or any(
                self._duplicate(va, vb) and not self._another(va, vb, b["views"]) and not self._another(vb, va, a["views"])
                for va in a["views"] for vb in b["views"] if va["tile"] != vb["tile"])

        span = lambda it: shapely.union_all([v["geom"] for v in it["views"]]).bounds  # noqa: E731
        lone = lambda a, b: (at_seam(self.seams, a, b, self.iou_threshold, self.edge_tol, reach=reach)  # noqa: E731
                             or kind == "box" and slanted(self.seams, a, b, self.edge_tol))
        return [self._joined(g, kind) for g in self.clusters(out, joined, span, lone)]

    def _another(self, v: dict, of: dict, views: list[dict]) -> bool:
        """Whether view ``v``, a duplicate of ``of`` only as a cut piece (not by IoU), is another object: ``views``
        (``of``'s object's) hold a view in ``v``'s tile that is not ``v``'s duplicate, and a tile draws an object
        once. At --tile 200 --overlap 16 a car whole in the overlap, and so touching both windows' edges, took in
        the 2-px piece of the next car that one window cut, and the two came back as one (DOTA P1888's 64 cars,
        their boxes clipped to each window: 62 at --overlap 16, 58 at --tile 64 --overlap 32). Over 102 tilings of
        it (--tile 60-252, --overlap 0-48) boxes were 106 cars off in all, now 37; oriented boxes 24, now 9.
        Cannot: tell that piece from one object a model drew as two boxes in the tile that cut it (an L-shaped
        building's block and its wing, whole in another window): the wing comes back as a second object, where
        it was joined before. Sparing a piece that the other view runs on past the cut edge of kept the wing, but
        over the same tilings 150 of P1888's cars had no merged box at IoU 0.7, against 121 (266 before the rule)."""
        if v["tile"] == of["tile"] or self._iou(v, of) >= self.iou_threshold:
            return False
        return any(w is not v and w["tile"] == v["tile"] and not self._duplicate(v, w) for w in views)

    @staticmethod
    def _iou(a: dict, b: dict) -> float:
        inter = a["geom"].intersection(b["geom"]).area
        return inter / max(a["geom"].area + b["geom"].area - inter, 1e-9)

    def _duplicate(self, a: dict, b: dict) -> bool:
        """Whether views ``a`` and ``b`` are one object: IoU, or across tiles where one is cut by an inner
        tile edge ``cut_overlap`` (``cut_views.py``), at least ``iou_threshold``."""
        inter = a["geom"].intersection(b["geom"]).area
        if inter <= 0:
            return False
        iou = inter / (a["geom"].area + b["geom"].area - inter)
        across = a["tile"] != b["tile"] and (a["trunc"] or b["trunc"])
        return iou >= self.iou_threshold or across and cut_overlap(a, b, inter) >= self.iou_threshold

    def _joined(self, group: list[dict], kind: str) -> tuple[int, dict]:
        """One box or oriented box from NMS survivors of one object: where no tile saw it whole, the
        extent of the union of its cut views."""
        import shapely

        it = group[0]
        obj = self.best_of(group) if len(group) > 1 else dict(it["obj"])
        cut = [v for m in group for v in (m["cut"] or [m])]
        if len(cut) > 1:  # no tile saw it whole: join the cut views, as drawn (a box of no height stays so)
            drawn = shapely.union_all([v.get("drawn", v["geom"]) for v in cut])
            if kind == "box":  # the bridges between cut views lie within their extent
                obj["coords"] = [float(x) for x in drawn.bounds]
            else:
                from rsvlm.geometry import canonical_quad

                u = drawn if all("drawn" in v for v in cut) else shapely.union_all(
                    [v["geom"] for v in cut] + [b for m in group for b in m.get("bridges", [])])
                r = u.minimum_rotated_rectangle  # a line (or point) where all views have no width
                if r.geom_type == "Polygon":
                    quad = r.exterior.coords[:4]
                else:  # a line or point: its two ends, each twice, as an obb of no width is drawn
                    quad = [r.coords[0], r.coords[-1], r.coords[-1], r.coords[0]]
                obj["coords"] = canonical_quad([[float(x), float(y)] for x, y in quad])
        return it["order"], obj

    def clusters(self, items: list[dict], overlaps: Callable[[dict, dict], bool], bounds,
                 lone: Callable[[dict, dict], bool] | None = None) -> list[list[dict]]:
        """Union-find over pairs from different tiles that ``overlaps`` (candidates: bounds within the
        merger's ``edge_tol`` of each other, for views on the two sides of a seam), then over pairs that
        ``lone``, where neither is joined to anything from the other's tile (a moored ship's piece whose
        own other piece is there)."""
        from shapely.geometry import box
        from shapely.strtree import STRtree

        parent = list(range(len(items)))

        def find(a):
            while parent[a] != a:
                parent[a] = parent[parent[a]]
                a = parent[a]
            return a

        t = self.edge_tol
        boxes = [box(x0 - t, y0 - t, x1 + t, y1 + t) for x0, y0, x1, y1 in map(bounds, items)]
        tree = STRtree(boxes)
        pairs = []  # (i, j), j > i: candidates from different tiles, for ``lone`` too
        for i, it in enumerate(items):
            for j in tree.query(boxes[i], predicate="intersects"):
                j = int(j)
                if j > i and it["tile"] != items[j]["tile"]:
                    pairs.append((i, j))
                    if find(i) != find(j) and overlaps(it, items[j]):
                        parent[find(j)] = find(i)
        seen: dict[int, set] = {}  # root → the tiles its items are from
        for i, it in enumerate(items):
            seen.setdefault(find(i), set()).add(it["tile"])
        for i, j in pairs if lone is not None else []:
            ri, rj = find(i), find(j)  # neither joined to anything from the other's tile (a duplicate in an overlapping window may be)
            if ri != rj and items[i]["tile"] not in seen[rj] and items[j]["tile"] not in seen[ri] and lone(items[i], items[j]):
                parent[rj] = ri
                seen[ri] |= seen.pop(rj)
        groups: dict[int, list[dict]] = {}
        for i, it in enumerate(items):
            groups.setdefault(find(i), []).append(it)
        return [sorted(g, key=self._rank) for g in groups.values()]

    @staticmethod
    def best_of(group: list[dict]) -> dict:
        """One object for a group of views (best ranked first): the first's, with the group's highest score."""
        obj = dict(group[0]["obj"])
        scores = [float(it["obj"]["score"]) for it in group if it["obj"].get("score") is not None]
        if scores := [x for x in scores if not np.isnan(x)]:  # "0.8" beside 0.5 met "'>' not supported"
            obj["score"] = max(scores)
        return obj


def merge_tile_objects(per_tile: list[tuple[Window, list[dict]]], iou_threshold: float = 0.5,
                       scene_size: tuple[int, int] | None = None, **kwargs) -> list[dict]:
    """Objects in tile coordinates per window → scene objects, duplicates across tiles merged.
    Without ``scene_size`` the scene is taken to end where the last window ends."""
    merger = TileMerger(iou_threshold, scene_size=scene_size, **kwargs)
    for window, objects in per_tile:
        merger.add(window, objects)
    return merger.result()


def run_tiled(path, predict_fn, tile: int = 512, overlap: int = 64, batch_size: int = 8,
              modality: str | None = None, progress: bool = True, *, bands: list[str] | None = None,
              scaling=None, iou_threshold: float = 0.5, prefetch: bool = False, merger: TileMerger | None = None,
              label: str | None = None) -> list[dict]:
    """Run ``predict_fn`` over a scene window by window, in batches, and merge the results.

    ``path`` is a file, a list of band files, or an open ``SceneReader`` (left open; its modality, bands
    and scaling hold, so ``modality``, ``bands`` and ``scaling`` are not given): a caller that has read
    from the scene already passes it, so that its file is not opened and checked again (a PNG that GDAL
    reads is decoded whole at each open: ``sources.RasterioSource``). Only one batch (two with
    ``prefetch``: the next is read while the model runs) is in memory, and for a PNG or JPEG that GDAL
    reads (``decodes_from_start``) the strip of the scene's width its row of windows is cut from
    (``RowReader``); the scene's stretch is fixed once from a decimated read. A window whose every pixel is nodata (a scene's collar) is not given to
    ``predict_fn``. Pass a ``TileMerger`` to read its counts (``n_tiles``, ``n_nodata`` of those
    skipped, ``n_objects_in``, ``n_empty_masks``, ``n_refused``, ``n_on_nodata``) afterwards, and its ``notes``: what a window's read said
    that the scene's did not, how many masks of the answers held no pixel, how many merged objects lie wholly
    on nodata (kept: ``nodata_objects.py``; of those its ``min_score`` keeps), and how many objects were refused
    for a geometry that does not fit their kind (a NaN coordinate: skipped, not the run's end; printed with ``progress``).
    ``label``: the scene's name on the bar and in those notes (predict's base name; the scene's path when None).
    """
    from rsvlm.io.read import SceneReader
    from rsvlm.progress import bar as progress_bar

    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    if not isinstance(path, SceneReader):
        opened = SceneReader(path, modality, bands, scaling)
    elif (modality, bands, scaling) == (None, None, None):
        opened = contextlib.nullcontext(path)  # the caller's: left open
    else:
        raise ValueError("run_tiled: an open SceneReader has its own modality, bands and scaling; give them to it")
    with opened as scene:
        name = scene.name if label is None else label
        windows = iter_windows(scene.width, scene.height, tile, overlap)
        merger = merger or TileMerger(iou_threshold, scene_size=(scene.width, scene.height))
        merger.scene_size = (scene.width, scene.height)
        batches = [windows[i : i + batch_size] for i in range(0, len(windows), batch_size)]
        read_window = RowReader(scene, strips=decodes_from_start(scene))
        read = lambda b: [read_window(w) for w in b]  # noqa: E731
        with cf.ThreadPoolExecutor(max_workers=1) as pool, progress_bar(
                total=len(windows), desc=f"tiles of {name}", unit="tile",
                disable=not progress) as bar:  # on a pipe or file: a line each 30 s, not redraws
            pending = pool.submit(read, batches[0]) if prefetch else None
            for k, batch in enumerate(batches):
                imgs = pending.result() if prefetch else read(batch)
                if prefetch and k + 1 < len(batches):
                    pending = pool.submit(read, batches[k + 1])
                for note in (n for im in imgs for n in im.notes if n not in scene.notes):
                    if note in merger.notes:
                        continue
                    merger.notes.append(note)  # e.g. GDAL's warning on a damaged block only this window read
                    if progress:
                        bar.write(f"[{name}] {note}", file=sys.stderr)
                for w, im in zip(batch, imgs):
                    merger.validity.see(w, im.valid)
                asked = [(w, im) for w, im in zip(batch, imgs) if im.valid is None or im.valid.any()]
                merger.n_nodata += len(batch) - len(asked)
                results = predict_fn([im for _, im in asked]) if asked else []
                if not isinstance(results, list | tuple) or len(results) != len(asked):  # None met len()
                    got = f"{len(results)} results" if isinstance(results, list | tuple) else type(results).__name__
                    raise ValueError(f"predict_fn returned {got} for a batch of {len(asked)} tiles; it returns "
                                     "one list of objects per tile")
                for (w, _), objs in zip(asked, results):
                    merger.add(w, objs, skip_bad=True)  # one garbled object: counted, not the run's end
                del imgs, asked, results
                bar.update(len(batch))
                if merger.n_nodata:
                    bar.set_postfix(nodata=merger.n_nodata)
        objects, added = merger.merged()
        for note in added if progress else []:  # what merging found (empty masks)
            print(f"[{name}] {note}", file=sys.stderr)
        return objects

