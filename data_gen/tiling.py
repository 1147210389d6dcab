"""Cut large images into tiles and carry their objects along.

Windows: ``tile_windows(W, H, tile, overlap)`` cuts as many windows per row (column) as steps of ``tile -
overlap`` need to reach the right (bottom) edge, the first flush with the left, the last with the right, and spreads
them evenly between (``spread_starts``), so every pixel is covered, no window is smaller than ``tile`` and neighbours
share at least ``overlap`` px (an image no larger than ``tile`` is one window, the whole image). Shifting the last
window alone back made it a near copy of the one before (520 px at ``--tile 256``: windows at 256 and 264).
Cannot: avoid two near copies where the image is just over one tile (256 px at ``--tile 255``): that is noted
(``near_duplicate_edges``).

Nodata: a window over half (the converters' ``--max-nodata``) of whose pixels hold no data, or all of them, gets no
record in any converter (``mostly_void``, noted as ``windows_mostly_nodata``; levir-cd's label void, by the same
function, as ``windows_mostly_void``), and an object lying wholly on nodata (``over_nodata``) is no object.
``nodata_reader`` reads one window's nodata at a time, the file opened once.

Border rule (objects are pixel-coordinate dicts ``{"kind", "label", "coords"}`` as in
``rsvlm.geometry``): an object wholly inside a window is shifted into the window's coordinates
unchanged. An object that a window border cuts is kept in that window only when at least
``min_visible`` (default 0.5) of its area lies inside; it is then clipped to the window:

* ``box``  → the bounds of the clipped part;
* ``obb``  → 4 corners inside the window that cover the clipped part best (``four_corners``: its own where it
  has 4);
* ``poly`` → the clipped polygon (holes kept as ``rings``); one the border splits in two gives one
  ``poly`` per part;
* ``point`` → kept when inside the window, never "cut".

Otherwise it is "cut" in that window: with ``keep_cut`` (the converters' default, as DOTA's devkit
keeps such an object marked difficult 2) its visible part is kept, clipped as above and marked
``"cut": True``; without, it is dropped from that window. Either way it is counted as ``cut``
(the parts kept carry the mark). An object dropped from every window it touches is counted as
``lost``; with overlap ≥ the object's size, or with ``keep_cut``, this cannot happen. The same rule
without ``keep_cut``, the whole image as the one window, clips annotations that stick out of an
image. Masks are not objects here: crop the mask array with the window instead. Writing a window of an
image to a file (``cropper``, ``crop_to_file``) lives in ``data_gen.crop``.
"""

from __future__ import annotations

import contextlib
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from data_gen.crop import (  # noqa: F401  re-exported: cropping lived here
    PNG_LEVEL,
    RASTER_SUFFIXES,
    crop_to_file,
    cropper,
    georef,
    tile_suffix,
)
from rsvlm.io.windows import even_starts


@dataclass(frozen=True)
class Window:
    x0: int
    y0: int
    x1: int
    y1: int

    @property
    def width(self) -> int:
        return self.x1 - self.x0

    @property
    def height(self) -> int:
        return self.y1 - self.y0

    def as_list(self) -> list[int]:
        return [self.x0, self.y0, self.x1, self.y1]


def tile_windows(width: int, height: int, tile: int | None = None, overlap: int = 0) -> list[Window]:
    """Row-major windows covering a ``width`` x ``height`` image; one full window when ``tile`` is None."""
    if width < 1 or height < 1:
        raise ValueError(f"cannot tile an image of {width} x {height} px")
    if not tile:
        return [Window(0, 0, width, height)]
    if tile < 1:
        raise ValueError(f"tile must be a positive size in px, got {tile}")
    if not 0 <= overlap < tile:
        raise ValueError(f"overlap must be in [0, tile): got tile={tile}, overlap={overlap}")
    xs, ys = spread_starts(width, tile, tile - overlap), spread_starts(height, tile, tile - overlap)
    return [Window(x, y, min(x + tile, width), min(y + tile, height)) for y in ys for x in xs]


def spread_starts(n: int, tile: int, step: int) -> list[int]:
    """Where windows of ``tile`` px start along a side of ``n`` px: as many as steps of ``step`` need to reach its end
    (as ``rsvlm.io.windows.even_starts``, torchgeo's ``GridGeoSampler`` and DOTA's devkit count them), the first at
    0 and the last flush with the end, spread evenly between, so that neighbours are at most ``step`` apart (520 px at
    tile 256: 0, 132, 264, where shifting the last alone gave 0, 256, 264)."""
    if not 0 < step <= tile:  # 0 divided by zero, a negative step gave no window at all
        raise ValueError(f"step must be in [1, tile]: got tile={tile}, step={step}")
    return even_starts(n, tile, step)


def near_duplicate_edges(windows: list[Window], overlap: int = 0) -> bool:
    """Whether the last column or row of ``windows`` (``tile_windows`` with ``overlap``) lies under half a step
    (``tile - overlap``) past the one before, so that it adds under half the new pixels a regular tile does:
    ``--tile 255`` cut a 256 px LEVIR-CD pair into four tiles one pixel apart, near copies of one another in the
    records (the converters note such images). Spread evenly (``spread_starts``), windows are that close only
    where a side is just over one tile; neighbours of 128 px steps at ``--tile 256 --overlap 128`` are no near
    copies: the overlap asked for has them share half a tile already."""
    return bool(edge_overlap(windows, overlap))


def edge_overlap(windows: list[Window], overlap: int = 0) -> str:
    """What ``near_duplicate_edges`` finds, said per side with the share of a tile the last window shares with the
    one before and the ``--tile`` that keeps that side one window: "x: tiles at 0 and 1 share 99.6% of their 255 px
    (a 256 px side: --tile 256 or more keeps it one tile)"; "" where neither side has near copies."""
    said = []
    for axis, start, size, end in (("x", lambda w: w.x0, windows[0].width, lambda w: w.x1),
                                   ("y", lambda w: w.y0, windows[0].height, lambda w: w.y1)):
        starts = sorted({start(w) for w in windows})
        if len(starts) > 1 and 2 * (starts[-1] - starts[-2]) < size - overlap:
            side = max(end(w) for w in windows)
            share = (size - (starts[-1] - starts[-2])) / size
            said.append(f"{axis}: tiles at {starts[-2]} and {starts[-1]} share {100 * share:.1f}% of their {size} px "
                        f"(a {side} px side: --tile {side} or more keeps it one tile)")
    return "; ".join(said)


def note_near_copies(out, windows: list[Window], overlap: int, name: str, tile: int | None = None) -> None:
    """Count an image whose last tiles are near copies of those before (``edge_overlap``: ``--tile`` just
    under its size) as ``images_with_near_duplicate_edge_tiles``, the first said in ``notes_examples`` with the share
    of a tile they repeat and the ``--tile`` that keeps the side whole (a count alone said neither). ``out``: a
    converter's ``Output``; the tiling converters (``dota``, ``voc``, ``coco``, ``geojson``, ``masks``, ``levir-cd``) call it.
    With ``tile`` (``--tile``), an image of one window is counted as ``images_within_tile_kept_whole`` (it was unsaid)."""
    if tile and len(windows) == 1:
        out.note("images_within_tile_kept_whole", 1, f"{name}: {windows[0].width} x {windows[0].height} px, --tile {tile}")
    elif said := edge_overlap(windows, overlap):
        out.note("images_with_near_duplicate_edge_tiles")
        out.note_examples.setdefault("images_with_near_duplicate_edge_tiles", f"{name}: {said}")


def nodata_mask(path, window: Window | None = None):
    """(H, W) bool, True where the GeoTIFF or JP2 ``path`` holds no data (its nodata value in every band, its mask
    band, an alpha of 0: GDAL's dataset mask), of ``window`` alone where given; None where it declares none (a PNG,
    a raster of valid pixels only), nothing read. Cannot: tell a black PNG collar from black ground."""
    with nodata_reader(path) as read:
        return read(window)


def constant_border(path, tolerance: int | None = None, image=None) -> tuple[tuple, int, int] | None:
    """(value per band, pixels, total pixels) of a black or white border of the PNG / JPEG / other non-raster image
    ``path`` (a rotated scene's collar), or None: the pixels within ``tolerance`` levels (default 8 for a JPEG and 0
    otherwise) of one value in every band, 4-connected to the image's edge, where that value, 0 or the type's top
    (255) in every band (in a JPEG, 0 or 255, or the level its quantisation table decodes a flat black or white
    block to, ``collar.jpeg_flat_levels``: white 253 at quality 20, black 1 at 53, a band 1 off where a thin collar's
    chroma rounds so, ``collar.is_fill``), is over a quarter of the edge's pixels and those pixels over 1% of the
    image. Such pixels are read as ground: a PNG declares no nodata. A JPEG's dark shadow or bright snow decoded to
    other levels is no collar. A GeoTIFF or JP2 is None, unread (its own nodata says). Cannot: tell a collar from
    saturated cloud or snow, or shadow, decoded to that level at the edge (a 0-3 shadow at quality 10 or 25 decodes
    to 0, a 0-7 one at 15 to 2: said, not masked), nor see a collar an encoder rounding DC otherwise (mozjpeg's
    trellis) left a level off. ``image``: ``path`` as PIL decoded it already
    (``cropper``'s), not decoded again; its edge is looked at first, the whole image only where that has a collar's
    value (an array of it all cost as much again as the decode)."""
    import numpy as np
    from PIL import Image

    from data_gen.convert.collar import is_fill, jpeg_flat_levels  # here: the converters import this module

    if str(path).lower().endswith(RASTER_SUFFIXES):
        return None
    with contextlib.nullcontext(image) if image is not None else Image.open(path) as im:
        lossy = Path(path).suffix.lower() in (".jpg", ".jpeg")
        im = im.convert("RGB") if im.mode in ("P", "PA", "LA", "RGBA", "CMYK", "YCbCr") else im
        w, h = im.size
        sides = [(0, 0, w, 1), (0, h - 1, w, h), (0, 1, 1, h - 1), (w - 1, 1, w, h - 1)]  # the edge, 4 crops
        ring = np.concatenate([(e := _bands(im.crop(b))).reshape(-1, e.shape[-1]) for b in sides if b[3] > b[1]])
        values, counts = np.unique(ring.astype(np.int64), axis=0, return_counts=True)  # (E, C) the edge's pixels
        value = values[counts.argmax()]  # (C,)
        top = 255 if ring.dtype == np.uint8 else None  # a wider type's top: 255 where the image holds no more
        black, white = jpeg_flat_levels(path) if lossy else (0, top)  # by its quantisation table
        if not (is_fill(value, black, 0) if lossy else (value == 0).all()):  # not a dark sea; the whole image
            top = top or (255 if int(np.asarray(im).max()) <= 255 else 65535)  # looked at only then
            if not (is_fill(value, white, top) if lossy else (value == top).all()):
                return None
        tol = (8 if lossy else 0) if tolerance is None else tolerance
        if 4 * (np.abs(ring.astype(np.int64) - value) <= tol).all(axis=-1).sum() <= len(ring):
            return None
        a = _bands(im)  # (H, W, C) as decoded: no wider copy of a large image
    lo, hi = (np.iinfo(a.dtype).min, np.iinfo(a.dtype).max) if a.dtype.kind in "iu" else (-np.inf, np.inf)
    near = np.ones((h, w), bool)
    for c, v in enumerate(value.tolist()):  # band by band: bool planes, not an int copy of the image
        near &= (a[..., c] >= max(v - tol, lo)) & (a[..., c] <= min(v + tol, hi))
    from scipy import ndimage  # imported only here: 0.4 s a run, where no image has a black or white edge

    lab, _ = ndimage.label(near)  # (H, W) int32, 4-connected
    at_edge = np.unique(np.concatenate([lab[0], lab[-1], lab[:, 0], lab[:, -1]]))
    pixels = int(np.isin(lab, at_edge[at_edge > 0]).sum())
    return (tuple(value.tolist()), pixels, h * w) if 100 * pixels > h * w else None


def _bands(im):
    """The PIL image ``im`` as an (H, W, C) array of at most 3 bands, as decoded."""
    import numpy as np

    a = np.asarray(im)
    return a[..., None] if a.ndim == 2 else a[..., :3]


def border_said(path, image=None) -> str:
    """``constant_border`` said for a converter's notes, with how to leave it out; "" where there is none or where it
    was not looked at (``data_gen.convert.collar.border_look``, which says why and where the converters' look lives)."""
    from data_gen.convert.collar import border_look  # imported here: the converters import this module

    return border_look(path, image)[0]


@contextmanager
def nodata_reader(path):
    """A function of a ``Window`` (None: the whole image) giving ``nodata_mask(path, window)``, ``path`` opened once
    (opened per window, the Landsat sample's 64 tiles at 128 px took 0.69 s, 0.02 s for its whole mask)."""
    from rsvlm.io.sources import open_raster

    if not str(path).lower().endswith(RASTER_SUFFIXES):
        yield lambda window=None: None
        return
    with open_raster(path) as ds:
        if ds.nodata is None and all(f.name == "all_valid" for e in ds.mask_flag_enums for f in e):
            yield lambda window=None: None
            return
        from rasterio.windows import Window as Read

        yield lambda window=None: ds.dataset_mask(
            window=None if window is None else Read(window.x0, window.y0, window.width, window.height)) == 0


MOSTLY = 0.5  # a window over this share void or nodata gets no record (the converters' --max-nodata default)


def mostly_void(void, most: float = MOSTLY) -> bool:
    """Whether over ``most`` of a window's pixels, or all of them, are void (``void``: (h, w) bool, None for none):
    the rule every converter gives a window no record by (``windows_mostly_nodata`` where the void is the image's
    nodata: its answers, "No change." or objects only where data is, would teach that fill is empty land; at
    ``--max-nodata 1`` only a window holding no data at all)."""
    return void is not None and void.size > 0 and (float(void.mean()) > most or bool(void.all()))


def over_nodata(obj: dict, nodata) -> bool:
    """Whether ``obj`` (a box / obb / poly / point in a window's pixels) lies wholly on nodata (``nodata``: that
    window's (h, w) bool, None for none): every pixel its bounds touch holds no data. Cannot: tell a slanted box
    whose bounds reach a valid pixel but itself does not (it is kept)."""
    import math

    if nodata is None or not nodata.any() or (b := _bounds(obj)) is None:
        return False
    h, w = nodata.shape
    x0, y0 = min(max(int(math.floor(b[0])), 0), w - 1), min(max(int(math.floor(b[1])), 0), h - 1)
    x1, y1 = min(max(int(math.ceil(b[2])), x0 + 1), w), min(max(int(math.ceil(b[3])), y0 + 1), h)
    return bool(nodata[y0:y1, x0:x1].all())


def tile_progress(windows: list[Window], name: str, progress: bool = True):
    """``windows`` under a progress bar of the tiles of image ``name`` (``inner_progress``: a
    DOTA-v2 scene at --tile 1024 is hundreds of tiles, minutes under a per-image bar at 0)."""
    return inner_progress(windows, f"tiles of {name}", "tile", progress)


def inner_progress(items: list, desc: str, unit: str, progress: bool = True):
    """``items``, the parts of one input under a converter's per-input bar, under a bar of their own
    that is shown once they take over 2 s and cleared when done (none for a single item, nor where
    ``progress`` is False: ``convert --no-progress``)."""
    import tqdm

    from rsvlm.progress import bar

    return bar(items, desc=desc, unit=unit, leave=False, delay=2, disable=not progress or len(items) < 2,
               tqdm_class=tqdm.tqdm)  # std tqdm as before (no notebook widget under a converter's bar)


def object_shape(obj: dict):
    """The shapely geometry of a box / obb / poly / point object (invalid rings repaired)."""
    import shapely
    from shapely.geometry import Point, Polygon, box

    from rsvlm.geometry.shapes import poly_rings  # here: rsvlm.geometry costs start-up time

    kind, c = obj["kind"], obj["coords"]
    if kind in ("box", "obb", "poly", "point") and not finite_coords(obj):  # was GEOS's "IllegalArgumentException"
        raise ValueError(f"{kind} coordinates {c!r:.80} hold a value that is no finite number")
    if kind == "box":
        if len(c) != 4:
            raise ValueError(f"a box needs 4 numbers x1 y1 x2 y2, got {c!r}")
        return box(*c)
    if kind in ("obb", "poly"):
        rings = poly_rings(obj)  # a list or an array of rings
        if len(rings[0]) < 3:  # shapely's own error names no object
            raise ValueError(f"{kind} needs at least 3 corners, got {len(rings[0])}: {rings[0]!r}")
        poly = Polygon(rings[0], rings[1:])
        return poly if poly.is_valid else shapely.make_valid(poly)
    if kind == "point":
        return Point(c)
    raise ValueError(f"cannot tile an object of kind {kind!r}")


def finite_coords(obj: dict) -> bool:
    """Whether ``obj``'s coordinates (its rings too) are numbers and all finite."""
    import numpy as np

    try:
        return all(np.isfinite(np.asarray(c, dtype=float)).all() for c in (obj["coords"], *(obj.get("rings") or [])))
    except (TypeError, ValueError):  # ragged or not numbers: the kind's own check says what is wrong
        return True


def _polygons(geom) -> list:
    if geom.geom_type == "Polygon":
        return [geom] if not geom.is_empty else []
    if hasattr(geom, "geoms"):
        return [p for g in geom.geoms for p in _polygons(g)]
    return []


def four_corners(part, bounds: tuple[float, float, float, float]) -> list[list[float]]:
    """An oriented box's part ``part`` (a shapely geometry of some area) inside a window or image ``bounds``
    (x0, y0, x1, y1) as 4 vertices inside ``bounds``, the quad that covers it best (IoU). A polygon of 4 corners:
    its own; of 3 (a corner of the box): its longest edge given its midpoint (the quad is the triangle); of 5 or
    more: the best of one corner dropped, or one edge dropped where its neighbours, extended, meet inside
    ``bounds``, again while it has more than 4, or of its minimum rotated rectangle with its corners clamped to
    ``bounds`` (what the codec wrote of it before). Another geometry (pieces of a bent quad): that rectangle.
    The rectangle alone stuck out of the window where its edge cut the box at a slant (the codec's clamp then
    bent it); DOTA devkit's merge of the shortest edge into its midpoint lost over a third of some."""
    import math

    from shapely.geometry import Polygon

    from rsvlm.geometry.shapes import polygon_iou

    x0, y0, x1, y1 = bounds
    pts = [tuple(p) for p in part.simplify(0).exterior.coords[:-1]] if part.geom_type == "Polygon" else []  # (V, 2)
    if len(pts) == 3:
        i = max(range(3), key=lambda k: math.dist(pts[k], pts[(k + 1) % 3]))
        pts.insert(i + 1, ((pts[i][0] + pts[(i + 1) % 3][0]) / 2, (pts[i][1] + pts[(i + 1) % 3][1]) / 2))
    if len(pts) == 4:
        return [list(p) for p in pts]
    rect = [(min(max(x, x0), x1), min(max(y, y0), y1)) for x, y in part.minimum_rotated_rectangle.exterior.coords[:4]]
    if len(pts) < 4:
        return [list(p) for p in rect]

    def cover(q) -> float:  # IoU with the part; -1 for a quad that crosses itself
        g = Polygon(q)
        return polygon_iou(g, part) if g.is_valid and g.area > 0 else -1.0

    while len(pts) > 4:
        n = len(pts)
        tries = [pts[:k] + pts[k + 1:] for k in range(n)]
        for k in range(n):  # edge k to k + 1 dropped: the edges before and after it extended to meet
            m = _meet(pts[k - 1], pts[k], pts[(k + 1) % n], pts[(k + 2) % n])
            if m is not None and x0 <= m[0] <= x1 and y0 <= m[1] <= y1:
                tries.append([m if j == k else p for j, p in enumerate(pts) if j != (k + 1) % n])
        pts = max(tries, key=cover)
    return [list(p) for p in max((pts, rect), key=cover)]


def _meet(a, b, c, d) -> tuple[float, float] | None:
    """Where the line a→b, on past b, meets the line c→d before c; None where they are parallel or meet elsewhere."""
    rx, ry, sx, sy = b[0] - a[0], b[1] - a[1], d[0] - c[0], d[1] - c[1]
    den = rx * sy - ry * sx
    if abs(den) < 1e-12:
        return None
    t = ((c[0] - a[0]) * sy - (c[1] - a[1]) * sx) / den
    u = ((c[0] - a[0]) * ry - (c[1] - a[1]) * rx) / den
    return (a[0] + t * rx, a[1] + t * ry) if t >= 1 and u <= 0 else None


def _shift(points, dx: float, dy: float) -> list[list[float]]:
    return [[float(x) - dx, float(y) - dy] for x, y in points]


def clip_object(obj: dict, window: Window, min_visible: float = 0.5,
                keep_cut: bool = False) -> tuple[list[dict], str | None]:
    """Objects for ``window`` (its own coordinates) and why none came out: ``"outside"``/``"cut"``, or
    ``"degenerate"`` for a box / obb / poly of no area that reaches the window (a polygon whose points
    lie on one line: it was "cut", which the converters reported as mostly outside the image).
    ``keep_cut``: an object under ``min_visible`` inside comes out clipped, each part marked
    ``"cut": True``, and ``None``."""
    from shapely.geometry import box

    if not 0 <= min_visible <= 1:
        raise ValueError(f"min_visible is a fraction of the object's area in [0, 1], got {min_visible}")
    win = box(window.x0, window.y0, window.x1, window.y1)
    geom = object_shape(obj)
    dx, dy = window.x0, window.y0
    kind = obj["kind"]
    if kind == "point":
        x, y = obj["coords"]
        if window.x0 <= x < window.x1 and window.y0 <= y < window.y1:
            return [{**obj, "coords": [x - dx, y - dy]}], None
        return [], "outside"
    inter = geom.intersection(win)
    if not geom.intersects(win) or (geom.area > 0 and inter.area <= 0):  # touching the border is not inside
        return [], "outside"
    if geom.area <= 0:
        return [], "degenerate"
    if geom.within(win):
        if kind == "box":
            x1, y1, x2, y2 = obj["coords"]
            return [{**obj, "coords": [x1 - dx, y1 - dy, x2 - dx, y2 - dy]}], None
        if geom.geom_type == "Polygon" and len(geom.exterior.coords) - 1 == len(obj["coords"]):
            from rsvlm.geometry.shapes import poly_rings

            return [_poly_obj(obj, [obj["coords"], *poly_rings(obj)[1:]], dx, dy)], None
    if geom.area <= 0 or inter.area / geom.area < min_visible:
        if not keep_cut or geom.area <= 0:
            return [], "cut"
        obj = {**obj, "cut": True}
    if kind == "box":
        x1, y1, x2, y2 = inter.bounds
        return [{**obj, "coords": [x1 - dx, y1 - dy, x2 - dx, y2 - dy]}], None
    if kind == "obb":  # its part in the window, 4 corners there
        quad = four_corners(inter, (window.x0, window.y0, window.x1, window.y1))
        return [{**obj, "coords": _shift(quad, dx, dy)}], None
    parts = [p for p in _polygons(inter) if p.area > 0]
    return [_poly_obj(obj, [list(r.coords)[:-1] for r in (p.exterior, *p.interiors)], dx, dy) for p in parts], None


def _poly_obj(obj: dict, rings: list, dx: float, dy: float) -> dict:
    """A poly object from rings (exterior first); ``rings`` only when there are holes."""
    rings = [_shift(r, dx, dy) for r in rings]
    out = {k: v for k, v in obj.items() if k != "rings"}
    out["coords"] = rings[0]
    if len(rings) > 1:
        out["rings"] = rings
    return out


def tile_objects(objects: list[dict], windows: list[Window], min_visible: float = 0.5, keep_cut: bool = False):
    """Per window its clipped objects, and counts: ``cut`` (an object under ``min_visible`` in one
    window: dropped there, or with ``keep_cut`` kept marked ``"cut"``), ``lost`` (objects kept in no
    window), ``outside`` (objects that touch no window: outside the image)."""
    per_window: list[list[dict]] = [[] for _ in windows]
    cut = lost = outside = 0
    for obj in objects:
        kept = touched = False
        b = _bounds(obj)
        for k, win in enumerate(windows):
            if b is not None and (b[2] < win.x0 or b[0] > win.x1 or b[3] < win.y0 or b[1] > win.y1):
                continue  # apart from the window: "outside", as clip_object finds (at 26 s a 12000 px scene)
            got, why = clip_object(obj, win, min_visible, keep_cut)
            per_window[k].extend(got)
            kept = kept or bool(got)
            touched = touched or why != "outside"
            cut += why == "cut" or any(o.get("cut") for o in got)
        lost += touched and not kept
        outside += not touched
    return per_window, {"cut": cut, "lost": lost, "outside": outside}


def _bounds(obj: dict) -> tuple[float, float, float, float] | None:
    """(x0, y0, x1, y1) of a box / obb / poly / point object, None where its coordinates are not
    numbers in that form (clip_object then says what is wrong)."""
    import numpy as np

    try:
        c = np.asarray(obj["coords"], dtype=float)
        pts = c.reshape(-1, 2)  # a box's two corners, a ring's points, a point
    except (KeyError, TypeError, ValueError):
        return None
    if pts.size == 0:
        return None
    (x0, y0), (x1, y1) = pts.min(axis=0), pts.max(axis=0)
    return float(x0), float(y0), float(x1), float(y1)
