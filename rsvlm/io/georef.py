"""Pixel ↔ map coordinates and GeoJSON export of decoded objects.

Pixel coordinates are continuous with (0, 0) at the top-left corner of the top-left pixel, as the
geometry codec writes them. An affine GeoTIFF maps them with its transform; a GCP-referenced one
(Sentinel-1 GRD) through GDAL's thin-plate-spline GCP transformer (``gdalwarp -tps``): exact at
each GCP, where GDAL's default polynomial was 107 m off (median; 190 m at most) on the real
S1 GRD's 210 GCPs; past ``TPS_MAX_GCPS`` GCPs, the polynomial (the spline's solve grows as the cube). Cannot:
correct for terrain between GCPs (orthorectify for that).

Objects are ``rsvlm.geometry`` dicts: box [x1, y1, x2, y2], obb [[x, y]] * 4, point [x, y],
poly [[x, y], ...] (holes in ``"rings"``), mask with grid coords as decoded or a bool array under
"mask" (``"offset": [x0, y0]`` when the array is a crop placed at that pixel, as
``merge_tile_objects`` writes them). The notes on how an image lies on the map (not north-up, pixels far from
square) are in ``orientation.py``, their names importable from here too.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rsvlm.io.orientation import (  # noqa: F401  (importable from here, as before the split)
    GCPS_DIFFER,
    GCPS_UNCHECKED,
    NOT_NORTH_UP,
    degree_pixels_note,
    gcp_orientation_note,
    orientation_note,
)

__all__ = ["pixel_to_map", "map_to_pixel", "objects_to_geojson", "object_geometry", "mask_array", "mask_bounds",
           "map_coords", "objects_with_map_coords", "per_object", "shift_transform", "shift_gcps", "scale_gcps",
           "prj_beside", "orientation_note", "gcp_orientation_note", "degree_pixels_note", "NOT_NORTH_UP",
           "GCPS_DIFFER", "GCPS_UNCHECKED"]

# GCPs up to this many are fitted by a thin-plate spline (576: 0.1 s; 1444: 3 s; 2916: 44 s, a cubic solve), more
# by GDAL's polynomial
TPS_MAX_GCPS = 1000
# GCPs this share of their extent apart (in pixels, or on the map) or less are at one pixel (place): 0.025 px in a
# 25000 px swath, 0.2 m across 2°; two at one pixel but two places clash (``_clash``)
GCP_NEAR = 1e-6
# EPSG geographic CRSs with OGC URNs that order longitude first, as GeoJSON's coordinates are (``_crs_member``)
LON_LAT_URNS = {4326: "urn:ogc:def:crs:OGC:1.3:CRS84", 4269: "urn:ogc:def:crs:OGC:1.3:CRS83",
                4267: "urn:ogc:def:crs:OGC:1.3:CRS27"}
# UPS (N,E) → UPS (E,N), the same projection: their axes both run south (north), along meridians WKT 1 cannot hold,
# so swapping its two AXIS clauses made GDAL read the points swapped (``_east_first``)
EAST_FIRST_TWINS = {32661: 5041, 32761: 5042}
WORLD_FILE_ENDINGS = (".wld", "w")  # .pgw, .jgw, .tfw, .pngw, .jpgw: GDAL lists the one it read after the image


def mask_array(obj: dict) -> tuple[np.ndarray, tuple[int, int]]:
    """A mask object → (bool (h, w) array, (x0, y0) pixel of its top-left): its "mask" array placed
    at "offset" (default 0, 0), or its decoded grid rasterised over the grid's box only."""
    if obj.get("mask") is not None:
        ox, oy = obj.get("offset", (0, 0))
        return np.asarray(obj["mask"], dtype=bool), (int(ox), int(oy))
    c = obj.get("coords")
    if not isinstance(c, dict) or "box" not in c:
        raise ValueError("mask object has neither a 'mask' array nor grid coords {'box', 'size', 'rows'}")
    from rsvlm.geometry.grid import grid_to_mask

    x0, y0, x1, y1 = c["box"]
    ox, oy = max(0, int(np.floor(x0))), max(0, int(np.floor(y0)))
    w, h = max(1, int(np.ceil(x1)) - ox), max(1, int(np.ceil(y1)) - oy)
    local = dict(c, box=[x0 - ox, y0 - oy, x1 - ox, y1 - oy])  # integer shift keeps pixel centres aligned
    return grid_to_mask(local, w, h), (ox, oy)


def mask_bounds(obj: dict, decoded: tuple[np.ndarray, tuple[int, int]] | None = None
                ) -> tuple[int, int, int, int] | None:
    """(x0, y0, x1, y1) pixel box around a mask object's pixels; None when it has none. ``decoded``: the object's
    ``mask_array`` where the caller has it already (a grid mask is rasterised again otherwise)."""
    m, (x0, y0) = decoded if decoded is not None else mask_array(obj)  # (h, w)
    rows, cols = np.flatnonzero(m.any(axis=1)), np.flatnonzero(m.any(axis=0))
    if rows.size == 0:
        return None
    return x0 + int(cols[0]), y0 + int(rows[0]), x0 + int(cols[-1]) + 1, y0 + int(rows[-1]) + 1


def prj_beside(files: list[str]) -> tuple[str | None, str] | None:
    """(CRS, note) from the ESRI ``.prj`` beside an image georeferenced by a world file (``files``: GDAL's, the
    image then its world file), which GDAL's PNG and JPEG drivers do not read: such an image had no CRS, and the
    note told the user to put the .prj there. (None, note naming it) where the .prj cannot be parsed; None where
    there is no world file or no .prj. In a zip or tar (``/vsizip/a.zip/x.png``) the .prj is read from the archive
    (it had been looked for on disk only: the image had no CRS)."""
    if len(files) < 2 or not any(f.lower().endswith(WORLD_FILE_ENDINGS) for f in files[1:]):
        return None
    from rsvlm.io.archives import member_text

    image = Path(files[0])
    for prj in (image.with_suffix(".prj"), Path(f"{image}.prj")):
        if (text := member_text(prj, 65536)) is not None:
            from rasterio.crs import CRS
            from rasterio.errors import CRSError

            from rsvlm.io.checks import unheard

            try:  # utf-8-sig: a BOM (a .prj saved by Notepad) was "unhandled keyword: \ufeffPROJCS"
                with unheard():  # its failure is said below, not as "GDAL error while reading"
                    crs = CRS.from_user_input(text.removeprefix("\ufeff").strip()).to_string()
            except (CRSError, ValueError) as e:
                CRS.from_epsg(4326)  # clears GDAL's last error: left set, the next rasterio call raised it, and the
                # image was "not a readable raster, truncated or corrupt" for a damaged .prj beside it
                return None, f"{prj.name} beside the world file holds no CRS rsvlm can read ({e}): no CRS"
            named = crs if not crs.endswith("]") else f"{crs.split(chr(34))[1]!r} (WKT)"  # not 485 characters of WKT
            return crs, f"CRS {named} from {prj.name} beside the world file (GDAL reads none for this format)"
    return None


def shift_transform(t, x0, y0):
    """An affine transform (a, b, c, d, e, f) of a scene → that of its window starting at pixel (x0, y0)."""
    if t is None or (x0 == 0 and y0 == 0):
        return t
    a, b, c, d, e, f = t
    return (a, b, c + a * x0 + b * y0, d, e, f + d * x0 + e * y0)


def shift_gcps(gcps, x0, y0):
    """A scene's ground control points → those of its window starting at pixel (x0, y0)."""
    if not gcps or (x0 == 0 and y0 == 0):
        return gcps
    from rasterio.control import GroundControlPoint

    return [GroundControlPoint(row=g.row - y0, col=g.col - x0, x=g.x, y=g.y, z=g.z, id=g.id, info=g.info)
            for g in gcps]


def scale_gcps(gcps, fx: float, fy: float):
    """A scene's ground control points → those of its grid shrunk ``fx`` x ``fy`` scene pixels a pixel."""
    if not gcps:
        return gcps
    from rasterio.control import GroundControlPoint
    return [GroundControlPoint(row=g.row / fy, col=g.col / fx, x=g.x, y=g.y, z=g.z, id=g.id, info=g.info)
            for g in gcps]


def _points(xy) -> tuple[np.ndarray, np.ndarray]:
    """``xy`` as a float array and as (N, 2) points; ValueError unless it is [x, y] or (..., 2) (a flat
    [x1, y1, x2, y2] or (N, 3) points were paired up wrongly)."""
    arr = np.asarray(xy, dtype=np.float64)
    if arr.ndim == 0 or arr.shape[-1] != 2:
        raise ValueError(f"coordinates must be one [x, y] or an (N, 2) array of them, not shape {arr.shape}")
    return arr, arr.reshape(-1, 2)


def _referencing(img_or_transform):
    """→ ("affine", Affine) | ("gcps", [GroundControlPoint]) or ValueError."""
    from affine import Affine

    if isinstance(img_or_transform, Affine):
        return "affine", img_or_transform
    if isinstance(img_or_transform, (tuple, list)) and len(img_or_transform) in (6, 9) and all(
            isinstance(v, (int, float)) for v in img_or_transform):
        return "affine", Affine(*img_or_transform[:6])
    if isinstance(img_or_transform, (tuple, list)) and img_or_transform and hasattr(img_or_transform[0], "row"):
        return "gcps", list(img_or_transform)
    transform, gcps = getattr(img_or_transform, "transform", None), getattr(img_or_transform, "gcps", None)
    if transform is not None:
        return "affine", Affine(*transform[:6])
    if gcps:
        return "gcps", list(gcps)
    name = getattr(img_or_transform, "path", repr(img_or_transform)[:60])
    raise ValueError(f"{name}: not georeferenced (no affine transform and no ground control points); "
                     "only pixel coordinates are available")


def pixel_to_map(img_or_transform, xy) -> np.ndarray:
    """Pixel (x, y) → map (X, Y) in the image's CRS. ``xy``: [x, y] or (N, 2); returns the same shape."""
    arr, pts = _points(xy)  # as given, (N, 2)
    kind, ref = _referencing(img_or_transform)
    if kind == "affine":
        a, b, c, d, e, f = ref[:6]
        X = a * pts[:, 0] + b * pts[:, 1] + c
        Y = d * pts[:, 0] + e * pts[:, 1] + f
    else:
        X, Y = _gcp_fit(ref, lambda t, _: t.xy(pts[:, 1], pts[:, 0], offset="ul"), img_or_transform)
    return np.stack([np.asarray(X, np.float64), np.asarray(Y, np.float64)], axis=-1).reshape(arr.shape)


def map_to_pixel(img_or_transform, xy) -> np.ndarray:
    """Map (X, Y) → fractional pixel (x, y); inverse of ``pixel_to_map``."""
    arr, pts = _points(xy)  # as given, (N, 2)
    kind, ref = _referencing(img_or_transform)
    if kind == "affine":
        inv = ~ref
        x = inv.a * pts[:, 0] + inv.b * pts[:, 1] + inv.c
        y = inv.d * pts[:, 0] + inv.e * pts[:, 1] + inv.f
    else:
        x, y = _gcp_fit(ref, lambda t, tps: _inverse(t, pts, refine=not tps), img_or_transform)
    return np.stack([np.asarray(x, np.float64), np.asarray(y, np.float64)], axis=-1).reshape(arr.shape)


def _inverse(t, pts: np.ndarray, refine: bool) -> tuple[np.ndarray, np.ndarray]:
    """Pixel (x, y) of map points ``pts`` (n, 2) by GDAL's inverse of the GCP transformer ``t``; ``refine`` (the
    polynomial): then one Newton step on its forward map (the Jacobian by 1 px differences), so ``map_to_pixel``
    inverts ``pixel_to_map``: the polynomial's inverse is a fit of its own, 0.014 px off its forward (0.0025 median)
    on the real S1 GRD's 2000 random points, 1e-7 after the step. The spline's is 1e-9 px off unrefined (three more
    forward maps would take 0.5 s for 2000 points). A point where the forward map is singular is left unrefined."""
    rows, cols = t.rowcol(pts[:, 0], pts[:, 1], op=lambda v: v)
    x, y = np.asarray(cols, np.float64), np.asarray(rows, np.float64)
    if not refine:
        return x, y
    fwd = lambda x, y: np.stack([np.asarray(v, np.float64) for v in t.xy(y, x, offset="ul")], -1)  # noqa: E731
    at = fwd(x, y)  # (n, 2)
    jac = np.stack([fwd(x + 1, y) - at, fwd(x, y + 1) - at], -1)  # (n, 2, 2): d map / d x, d map / d y
    det = jac[:, 0, 0] * jac[:, 1, 1] - jac[:, 0, 1] * jac[:, 1, 0]
    ok = np.isfinite(det) & (det != 0) & np.isfinite(at).all(-1)
    r = pts[ok] - at[ok]  # (k, 2) what the step corrects
    j = jac[ok]
    x[ok] += (j[:, 1, 1] * r[:, 0] - j[:, 0, 1] * r[:, 1]) / det[ok]  # Cramer's rule on each 2 x 2
    y[ok] += (j[:, 0, 0] * r[:, 1] - j[:, 1, 0] * r[:, 0]) / det[ok]
    return x, y


def _gcp_fit(gcps, f, of=None):
    """``f(transformer, whether it is the spline)`` of GDAL's thin-plate-spline transformer of ``gcps`` (``rasterio.transform.xy`` passes no
    ``tps`` on: its polynomial); its polynomial past ``TPS_MAX_GCPS``, or where two GCPs share a pixel but not a place
    or a place but not a pixel, within ``GCP_NEAR`` (``_clash``: the spline's solve is singular, NaN at every point, or
    near it, a spike of 1 km within 1e-9 px). ValueError naming the image ``of`` where they give no map coordinates:
    fewer than 3, or on one line (the spline gave NaN or that line)."""
    from rasterio._err import CPLE_BaseError  # (rasterio.errors does not export it)
    from rasterio.transform import GCPTransformer

    at, to = (np.array([[getattr(g, k) for k in ks] for g in gcps], float) for ks in (("col", "row"), ("x", "y")))
    said = f"{getattr(of, 'path', 'GCPs')}: its {len(gcps)} ground control points give no map coordinates"
    if bad := sum(not np.isfinite([*a, *b]).all() for a, b in zip(at, to)):  # was numpy's 'SVD did not converge'
        raise ValueError(f"{said}: {bad} of them not finite (NaN or infinite)")
    if min(np.linalg.matrix_rank(p - p.mean(0)) for p in (at, to)) < 2:  # as GDAL's polynomial refuses them
        raise ValueError(f"{said}: fewer than 3 apart, or all on a line (in pixels or on the map)")
    tps = len(gcps) <= TPS_MAX_GCPS and (kept := _clash(at, to)) is not None
    try:
        with GCPTransformer([gcps[i] for i in kept] if tps else gcps, tps=tps) as t:
            return f(t, tps)
    except CPLE_BaseError as e:
        raise ValueError(f"{said}: {e}") from e


def _clash(at: np.ndarray, to: np.ndarray) -> list[int] | None:
    """The GCPs the spline is fitted to (pixels ``at``, places ``to``, (n, 2) each): one of each pair alike in both
    within ``GCP_NEAR`` of their extent (a GCP written twice); None where a pair is alike in one and not the other
    (a clash: one pixel, two places, or one place, two pixels), which the spline cannot fit."""
    near = [_near_pairs(p) for p in (at, to)]  # {(i, j), i < j} each
    if near[0] != near[1]:
        return None
    twice = {j for _, j in near[0]}  # a GCP alike with one before it
    return [i for i in range(len(at)) if i not in twice]


def _near_pairs(p: np.ndarray) -> set[tuple[int, int]]:
    """Pairs (i, j), i < j, of points ``p`` (n, 2) within ``GCP_NEAR`` of the points' extent of each other (Chebyshev
    distance), by a k-d tree: the (n, n) distances it had taken were 0.54 s at 1000 GCPs, 6.4 s at 3000."""
    from scipy.spatial import cKDTree

    tol = GCP_NEAR * max(float(np.ptp(p, axis=0).max()), 1e-300) if len(p) else 0.0
    return {(int(i), int(j)) for i, j in cKDTree(p).query_pairs(tol, p=np.inf, output_type="ndarray")}


def object_geometry(obj: dict):
    """A decoded object → shapely geometry in pixel coordinates (None for an empty mask); a mask the
    (Multi)Polygon of its pixel outlines (rasterio.features.shapes)."""
    from shapely.geometry import MultiPolygon, Point, Polygon, box, shape

    from rsvlm.geometry.shapes import poly_rings

    kind, c = obj.get("kind"), obj.get("coords")
    if kind == "box":
        x1, y1, x2, y2 = (float(v) for v in c)
        return box(x1, y1, x2, y2)
    if kind in ("obb", "poly"):
        rings = [[(float(x), float(y)) for x, y in r] for r in poly_rings(obj)]
        return Polygon(rings[0], [r for r in rings[1:] if len(r) >= 3]) if len(rings[0]) >= 3 else None
    if kind == "point":
        return Point(float(c[0]), float(c[1]))
    if kind == "mask":
        from affine import Affine
        from rasterio.features import shapes

        m, (x0, y0) = mask_array(obj)  # (h, w)
        if not m.any():
            return None
        polys = [shape(g) for g, v in shapes(m.astype(np.uint8), mask=m, transform=Affine.translation(x0, y0))
                 if v == 1]
        return polys[0] if len(polys) == 1 else MultiPolygon(polys)
    raise ValueError(f"unknown object kind {kind!r} (expected box, obb, point, poly or mask)")


def map_coords(obj: dict, img) -> list:
    """Map coordinates of one object, for tables and JSON: a point → [X, Y]; obb/poly → their
    vertices; a box → its 4 corners (x1,y1) (x2,y1) (x2,y2) (x1,y2), since a box need not stay
    axis-aligned on the map; a mask → the corners of the box around its pixels ([] if empty)."""
    pts = _pixel_points(obj)
    out = pixel_to_map(img, np.asarray(pts, dtype=np.float64)).tolist() if pts else []
    return out[0] if obj.get("kind") == "point" else out


def _pixel_points(obj: dict) -> list:
    """The pixel points ``map_coords`` maps of ``obj`` ([] for an empty mask)."""
    kind, c = obj.get("kind"), obj.get("coords")
    if kind == "point":
        return [c]
    if kind in ("obb", "poly"):
        return list(c)
    if kind == "box" or kind == "mask":
        if kind == "mask" and (c := mask_bounds(obj)) is None:
            return []
        x1, y1, x2, y2 = c
        return [[x1, y1], [x2, y1], [x2, y2], [x1, y2]]
    raise ValueError(f"unknown object kind {kind!r} (expected box, obb, point, poly or mask)")


def objects_with_map_coords(objects: list[dict], img) -> list[dict]:
    """Copies of ``objects`` with "map_coords" (see ``map_coords``) in the image's CRS, every object's points mapped
    in one call (a GCP transformer is fitted once, not once an object)."""
    _referencing(img)  # raises for non-georeferenced images, not as the first object's fault
    pts = per_object(objects, lambda o: _points(p)[1] if (p := _pixel_points(o)) else np.zeros((0, 2)))
    mapped = pixel_to_map(img, np.concatenate(pts)) if sum(map(len, pts)) else np.zeros((0, 2))
    out, at = [], 0
    for o, p in zip(objects, pts):
        c = mapped[at:at + len(p)].tolist()
        at += len(p)
        out.append(dict(o, map_coords=c[0] if o.get("kind") == "point" else c))
    return out


def per_object(objects: list[dict], f) -> list:
    """``[f(obj) for obj in objects]``; ValueError naming the object where ``f`` fails on it (a box of
    3 numbers met "not enough values to unpack", a missing kind "'NoneType' object …")."""
    return [on_object(i, obj, f) for i, obj in enumerate(objects)]


def on_object(i: int, obj: dict, f):
    """``f(obj)``; ValueError naming ``obj`` as object ``i`` where ``f`` fails on it (``per_object``)."""
    try:
        return f(obj)
    except (ValueError, TypeError, AttributeError, KeyError, IndexError) as e:
        raise ValueError(f"object {i} ({obj!r:.100}): {e}") from e


def _crs_member(crs: str) -> dict:
    """GeoJSON's ``crs`` member naming ``crs`` so that the coordinates, written x then y (longitude or easting first,
    RFC 7946 3.1.1), read in that order: EPSG's URNs order latitude (northing) first where EPSG's axes do, which
    readers that honour them swap to (NAD83, ETRS89 and a Gauss-Krüger zone had been written so). EPSG:4326, 4269 and
    4267 as OGC's longitude-first URNs (CRS84, CRS83, CRS27, as GDAL writes the first); another geographic CRS as its
    WKT with longitude first and no EPSG code (which would order latitude first); a 3D geographic one (EPSG:4979) as
    its 2D CRS, the coordinates having no heights; a projected one whose EPSG axes run northing first (GDAL's list:
    Gauss-Krüger, SWEREF99 TM, ETRS89-LAEA EPSG:3035) as its WKT with easting first and no EPSG code (``_east_first``:
    UPS N,E by its E,N twin's URN); any other projected one by its EPSG URN, else its WKT."""
    from rasterio.crs import CRS, epsg_treats_as_northingeasting

    crs = CRS.from_user_input(crs)
    if crs.is_geographic:
        crs = _two_d(crs)
    epsg = crs.to_epsg()
    if epsg in LON_LAT_URNS:
        name = LON_LAT_URNS[epsg]
    elif crs.is_geographic:
        name = _lon_lat(crs)
    elif epsg_treats_as_northingeasting(crs):
        name = _east_first(crs, epsg)
    else:
        name = f"urn:ogc:def:crs:EPSG::{epsg}" if epsg else crs.to_wkt()
    return {"type": "name", "properties": {"name": name}}


def _east_first(crs, epsg: int | None) -> str:
    """A northing-first CRS named easting first: UPS (N,E) by its (E,N) twin's URN; else its WKT 1 with the two axes
    swapped (``_east_first_wkt``), or, where that WKT does not end in them (a compound CRS with heights, one WKT 1
    cannot write: GDAL gives WKT 2), its PROJJSON's horizontal axes swapped, as WKT; else (axes not north, east) its
    URN as before: a GeoJSON is written whatever the CRS (a ValueError here had lost it)."""
    if epsg in EAST_FIRST_TWINS:
        return f"urn:ogc:def:crs:EPSG::{EAST_FIRST_TWINS[epsg]}"
    if name := _east_first_wkt(crs.to_wkt()) or _east_first_projjson(crs):
        return name
    return f"urn:ogc:def:crs:EPSG::{epsg}" if epsg else crs.to_wkt()


def _east_first_projjson(crs) -> str | None:
    """``crs``'s WKT with its PROJJSON's first two axes (a compound CRS's horizontal ones) swapped where they run
    north, east, and no code of its own; None otherwise."""
    from rasterio.crs import CRS
    from rasterio.errors import CRSError

    try:
        pj = crs.to_dict(projjson=True)
        horizontal = pj["components"][0] if pj.get("type") == "CompoundCRS" else pj
        axes = horizontal.get("coordinate_system", {}).get("axis", [])
        if [a.get("direction") for a in axes[:2]] != ["north", "east"]:
            return None
        horizontal["coordinate_system"]["axis"] = [axes[1], axes[0], *axes[2:]]
        pj.pop("id", None)
        horizontal.pop("id", None)
        return CRS.from_dict(pj).to_wkt()
    except (CRSError, KeyError, IndexError, TypeError):  # an odd PROJJSON: the URN is written
        return None


def _two_d(crs):
    """A 3D geographic CRS (EPSG:4979, 4937) as its 2D one (EPSG:4326, 4258 where EPSG has it); ``crs`` itself when
    it has two axes."""
    from rasterio.crs import CRS

    pj = crs.to_dict(projjson=True)
    axes = pj.get("coordinate_system", {}).get("axis", [])
    if len(axes) != 3:
        return crs
    pj.pop("id", None)
    pj["coordinate_system"]["axis"] = [a for a in axes if a.get("direction") != "up"]
    two = CRS.from_dict(pj)
    epsg = two.to_epsg()
    return CRS.from_epsg(epsg) if epsg else two


def _east_first_wkt(wkt: str) -> str | None:
    """A projected CRS's WKT 1 with its two axes swapped (northing, easting → easting, northing), its own EPSG code
    (last) dropped; the datum's and base CRS's codes are kept. None where the WKT does not end in a north and an east
    axis (``_east_first`` tries another way)."""
    import re

    m = re.search(r'(AXIS\["[^"]*",NORTH\]),(AXIS\["[^"]*",EAST\])(,AUTHORITY\["EPSG","\d+"\])?\]$', wkt)
    return None if m is None else f"{wkt[:m.start()]}{m[2]},{m[1]}]"


def _lon_lat(crs) -> str:
    """A geographic CRS named longitude first: its WKT 1 so (``_lon_lat_wkt``); one GDAL writes only as WKT 2 (which
    that text rewrite missed: latitude first had been kept) by its PROJJSON's axes swapped (``_east_first_projjson``),
    else its WKT as it is."""
    wkt = crs.to_wkt()
    if wkt.startswith(("GEOGCS[", "COMPD_CS[")):
        return _lon_lat_wkt(wkt)
    return _east_first_projjson(crs) or wkt


def _lon_lat_wkt(wkt: str) -> str:
    """A geographic CRS's WKT 1 with its axes longitude then latitude, its own EPSG code (the CRS's, last) dropped:
    GDAL writes ``AXIS["Latitude",NORTH],AXIS["Longitude",EAST]`` for EPSG's order."""
    import re

    wkt = wkt.replace('AXIS["Latitude",NORTH],AXIS["Longitude",EAST]', 'AXIS["Longitude",EAST],AXIS["Latitude",NORTH]')
    return re.sub(r',AUTHORITY\["EPSG","\d+"\]\]$', "]", wkt)


def objects_to_geojson(objects: list[dict], img) -> dict:
    """FeatureCollection of ``objects`` in ``img``'s CRS (boxes/obbs/polys/masks → Polygon or MultiPolygon, points →
    Point; properties label, kind, score when present), with the pre-RFC 7946 ``crs`` member so GDAL/QGIS place
    projected coordinates correctly. An invalid polygon or mask (an outline crossing itself: 11 of 18 in a tiled
    ``[seg]`` of the real SpaceNet-4 scene, written so, 4 clockwise) is written repaired (``_polygonal``), one with no
    area (under 3 vertices, an empty mask) left out, a box or obb of no width or height written as its line or point
    (a Polygon enclosing nothing is no valid geometry), each counted in a ``"notes"`` member, the first named by its
    number in the answer tables. ValueError when the image is not georeferenced."""
    import shapely
    from shapely.geometry import mapping
    from shapely.geometry.polygon import orient

    _referencing(img)  # raises for non-georeferenced images before any work
    if getattr(img, "crs", None) is None:
        raise ValueError(f"{getattr(img, 'path', img)}: has a transform but no CRS; cannot write GeoJSON")
    features, geoms, fixed = [], per_object(objects, object_geometry), {}  # {index: (why, repaired / "line")}
    kept = [i for i, g in enumerate(geoms) if g is not None and not g.is_empty]
    mapped = shapely.transform(np.array([geoms[i] for i in kept], dtype=object), lambda pts: pixel_to_map(img, pts))
    for i, geom in zip(kept, mapped):  # every point mapped in one call: a GCP fit once, not once an object
        if (obj := objects[i]).get("kind") in ("poly", "mask") and not geom.is_valid:
            why, geom = shapely.is_valid_reason(geom), _polygonal(geom)
            fixed[i] = (why, geom is not None)
            if geom is None:
                continue
        elif obj.get("kind") in ("box", "obb") and geoms[i].area == 0:  # a zero-area Polygon: its line or point
            geom, fixed[i] = geom.convex_hull, ("no width or height", "line")
        if geom.geom_type == "Polygon":
            geom = orient(geom, 1.0)  # RFC 7946: exterior rings counter-clockwise
        elif geom.geom_type == "MultiPolygon":
            geom = shapely.MultiPolygon([orient(g, 1.0) for g in geom.geoms])
        props = {"label": obj.get("label"), "kind": obj.get("kind")}
        if obj.get("score") is not None:
            props["score"] = float(obj["score"])
        features.append({"type": "Feature", "geometry": mapping(geom), "properties": props})
    fc = {"type": "FeatureCollection", "crs": _crs_member(img.crs), "features": features}
    fixed.update({i: ("an empty mask" if objects[i].get("kind") == "mask" else "under 3 vertices", False)
                  for i, g in enumerate(geoms) if g is None or g.is_empty})
    notes = []
    for ok, said in ((True, "repaired, not valid geometry as answered (shapely's make_valid, its polygonal parts: "
                            "an outline crossing itself as a MultiPolygon of its loops)"),
                     ("line", "written as a line or point, as a Polygon enclosing no area is no valid geometry"),
                     (False, "left out, enclosing no area (a polygon of under 3 vertices or on a line, an empty mask)")):
        if done := [(i, why) for i, (why, written) in sorted(fixed.items()) if written == ok]:
            label = "" if (first := objects[done[0][0]]).get("label") is None else f" {first['label']!r}"
            notes.append(f"GeoJSON: {len(done)} of {len(objects)} shapes {said}, the first #{done[0][0] + 1}{label} "
                         f"({done[0][1]})")
    return dict(fc, notes=notes) if notes else fc


def _polygonal(geom):
    """An invalid polygonal ``geom`` made valid (``shapely.make_valid``), its polygonal parts kept: a Polygon, or a
    MultiPolygon where it splits (a bow-tie into its two loops); None where no area is left (points all on a line)."""
    import shapely

    parts = [p for g in shapely.get_parts(shapely.make_valid(geom)) for p in shapely.get_parts(g)
             if p.geom_type == "Polygon" and not p.is_empty]
    return None if not parts else parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)

