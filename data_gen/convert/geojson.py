"""Footprints in map coordinates (GeoJSON, SpaceNet style) over GeoTIFFs → ``[det]``,
``[ground]`` and ``[seg]`` records in pixel coordinates.

``--images`` and ``--labels`` are a GeoTIFF and a GeoJSON file (a FeatureCollection, or one
Feature), or two folders matched by the key that ``--match`` (a regex with one group, searched
in the file stem; default the whole stem) extracts: SpaceNet's ``RGB-PanSharpen_AOI_2_Vegas_img12.tif`` and
``buildings_AOI_2_Vegas_img12.geojson`` match with ``--match 'AOI_.*_img\\d+'``.

The GeoJSON's CRS is its ``crs`` member (old-style GeoJSON, as SpaceNet writes it; a bare
string such as ``"EPSG:32616"`` is read too), else ``--labels-crs`` (default EPSG:4326, as RFC 7946
says; a file that declares none but whose first vertex is no longitude/latitude is skipped as
``undeclared_crs``, naming the fix; its footprints counted as ``objects_unchecked_undeclared_crs``; one whose
footprints all lie off the image is ``all_outside_image``; either has a hint to swap each vertex's numbers where
latitude first puts them on it: a longitude past 90 written second, East Asia's, is no latitude, so undeclared, or
with a declared CRS ``unprojectable_geometry``). When it differs from the raster's, geometries are reprojected
with ``rasterio.warp.transform_geom``, thousands a call (the files with a footprint that came through it are
counted in the notes as ``reprojected_files``, the first named with both CRSs; one whose every feature was skipped before or in it, an
empty one, is not); then every vertex goes
through the inverse of the raster's affine transform. Records carry the raster's ``crs`` and ``transform`` (of the tile, when tiled).
Polygons keep their holes, but for one of under 3 vertices (``[]``) or of no area, or one sharing no area with its outer
ring (``make_valid`` made it a footprint of its own), left out and counted in the notes as
``degenerate_holes_dropped`` / ``holes_outside_their_polygon_dropped``; a MultiPolygon, or a GeometryCollection of polygons, gives one polygon per part
(noted as ``multipolygon_parts``). A ``--class-property`` whose value says only whether a feature is of
its kind (OpenStreetMap's ``building=yes``, ``true``; SpaceNet's footprints carry it) gives the property's name
as the class, noted as ``class_property_yes_read_as_its_name`` (every footprint was class ``yes``); ``no`` /
``false`` is left out under ``filtered`` as ``--class-property NAME: property_says_no`` (no error). A file whose
footprints take over 2 s to read and reproject has a progress bar of its own (``footprints of NAME``)
under the per-file one.

Bad annotations: ``unsupported_geometry`` (points, lines; ``polygon`` in lower case, named so), ``empty_geometry``,
``unparsable_geometry`` (a feature or ``geometry`` that is not an object, coordinates that are not number
pairs or not nested as the type's: a bare ring as a Polygon), ``unprojectable_geometry`` (reprojection failed, e.g. outside the raster CRS's domain),
``degenerate`` (under 1 px² after projection, or an outer ring of under 3 vertices: of a MultiPolygon that part alone, its others kept; a ring that crosses itself, a bow-tie, is measured
by its loops, whose signed areas cancel, and split at its crossings by ``detection.emit_objects``,
counted in the notes as ``self_intersecting_polygons_split``), ``outside_image`` / ``mostly_outside_image``, plus
``missing_image`` / ``missing_labels`` for unmatched files (a GeoTIFF whose name ``--match``
does not match too; one whose labels are a shapefile, GeoPackage … of its key, which are not read, named so with
the ``ogr2ogr`` line that makes GeoJSON of them, as ``--labels`` naming such a file is an error; of GeoTIFFs
sharing a key the first in sort order pairs, the others noted as ``ambiguous_image_names``), ``unparsable_labels`` for a GeoJSON
file that is not JSON, has no ``features`` list or an unreadable ``crs`` (its footprints, of one that is no JSON those before the break,
counted as ``objects_unchecked_unparsable_labels``), ``unreadable_image`` for a
raster that cannot be read to its end, ``wrong_band_count`` for one that cannot be read as
``--modality``, and ``no_georeference`` for a raster without a CRS or an
affine transform (one georeferenced by ground control points only, a radar GRD, is not mapped: warp
it first; its footprints counted as ``objects_unchecked_image_not_georeferenced``). A file whose
footprints all lie wholly outside its image (a CRS or pairing mistake, not bad annotations) is skipped
once as ``all_outside_image``, the bounds of both named. A GeoTIFF whose
GeoJSON has no footprint to write (an empty FeatureCollection, as SpaceNet gives a tile without a
building, or every feature skipped) is not read through: noted as ``images_without_objects_not_read``.
"""

from __future__ import annotations

import itertools
import math
import re
from pathlib import Path

from data_gen.convert.common import (
    ConversionError,
    Output,
    clean_label,
)
from data_gen.convert.detection import (
    add_det_arguments,
    det_options,
    emit_objects,
    nothing_to_write,
    unchecked,
    under_a_pixel,
)
from data_gen.convert.filters import class_name
from data_gen.convert.geopair import pair_files, unread_footprints
from data_gen.convert.images import gdal_errors_logged, open_raster, readable_size
from data_gen.convert.text import geojson_features_before_error, read_json
from data_gen.tiling import finite_coords, inner_progress
from rsvlm.tokens import MODALITIES


def _flag(value) -> bool | None:
    """True / False for a property value that says whether a feature is of the property's kind, not which
    kind (OpenStreetMap's ``building=yes``, ``true``, ``no``; JSON's true, false), else None (a number is a code)."""
    if isinstance(value, bool):
        return value
    return {"yes": True, "true": True, "no": False, "false": False}.get(str(value).strip().lower()) \
        if isinstance(value, str) else None


def add_arguments(p) -> None:
    p.add_argument("--images", required=True, type=Path, help="GeoTIFF file or folder")
    p.add_argument("--labels", required=True, type=Path, help="GeoJSON file or folder")
    p.add_argument("--match", default=None, type=_regex, help="regex picking the shared key out of file stems")
    p.add_argument("--label", default="building", type=class_name, help="class of every footprint")
    p.add_argument("--class-property", default=None, help="feature property holding the class instead")
    p.add_argument("--labels-crs", default="EPSG:4326",
                   help="CRS of GeoJSON files without a crs member (default EPSG:4326, as RFC 7946 says)")
    p.add_argument("--modality", default="optical", choices=MODALITIES, help="modality of every image (default: optical)")
    add_det_arguments(p)


def _regex(v: str) -> str:
    """An argparse ``type``: a regular expression (an unbalanced one was re.error's traceback)."""
    import argparse

    try:
        re.compile(v)
    except re.error as e:
        raise argparse.ArgumentTypeError(f"not a regular expression ({e}): {v!r}") from e
    return v


def geojson_crs(data: dict, path: Path, default="EPSG:4326"):
    """The CRS a GeoJSON's ``crs`` member names, else ``default`` (a name or a ``CRS``);
    ConversionError naming ``path``."""
    from rasterio.crs import CRS

    crs = data.get("crs")
    props = crs.get("properties") if isinstance(crs, dict) else None
    name = crs if isinstance(crs, str) else props.get("name") if isinstance(props, dict) else None
    if crs and not name:
        raise ConversionError(f"{path}: unreadable crs member {crs!r:.80} (expected {{'properties': {{'name': …}}}})")
    try:
        with gdal_errors_logged():  # PROJ's own 'crs not found' line would print beside ours
            return CRS.from_user_input(name or default)
    except Exception as e:  # noqa: BLE001 - rasterio raises CRSError for any unreadable name
        raise ConversionError(f"{path}: unreadable crs {name or default!r} ({e})") from e


class BadFeature(ValueError):
    """A feature that gives no object; ``reason`` is its skip reason."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(detail)
        self.reason = reason


def feature_objects(geom: dict, label: str, inverse, reproject, note=None) -> list[dict]:
    """Pixel-coordinate poly objects of one GeoJSON geometry; raises BadFeature when unusable. ``note`` (a key,
    a count) counts the holes left out (``_holes``)."""
    if isinstance(geom, dict) and geom.get("type") == "GeometryCollection":  # it was said empty_geometry
        geom = _collection_polygons(geom)
    if geom is not None and not isinstance(geom, dict):  # a list of geometries was said empty_geometry
        raise BadFeature("unparsable_geometry", f"'geometry' is a JSON {type(geom).__name__}, not an object "
                         '({"type": "Polygon", "coordinates": [[[x, y], …]]})')
    if not isinstance(geom, dict) or not geom.get("coordinates"):
        raise BadFeature("empty_geometry")
    if geom.get("type") not in ("Polygon", "MultiPolygon"):
        spelt = {"polygon": "Polygon", "multipolygon": "MultiPolygon"}.get(str(geom.get("type")).lower())
        hint = f" (GeoJSON's types are case-sensitive: {spelt})" if spelt else ""
        raise BadFeature("unsupported_geometry", f"{geom.get('type')}{hint}")
    _check_nesting(geom)
    if reproject is not None:
        try:
            geom = reproject(geom)
        except Exception as e:  # noqa: BLE001 - GDAL's errors: outside the projection's domain, bad coordinates
            raise BadFeature("unprojectable_geometry", str(e)) from e
    parts = [geom["coordinates"]] if geom["type"] == "Polygon" else geom["coordinates"]
    note = note or (lambda key, n: None)
    objs, short = [], []
    for rings in parts:
        px = [[list(inverse @ (float(p[0]), float(p[1]))) for p in ring] for ring in rings]
        px = [r[:-1] if len(r) > 1 and r[0] == r[-1] else r for r in px]
        shell, holes = (px[0], px[1:]) if px else ([], [])
        obj = {"kind": "poly", "label": label, "coords": shell}
        if len(shell) < 3:  # skipped as degenerate (under 1 px²) by the caller, the other parts kept
            short.append(len(shell))
        elif kept := _holes(shell, holes, note):
            obj["rings"] = [shell, *kept]
        objs.append(obj)
    if len(short) == len(objs):  # no part to keep: an empty outer ring alone was a min() traceback, the run's end
        raise BadFeature("degenerate", f"outer ring of {short[0]} vertices")
    return objs


def _check_nesting(geom: dict) -> None:
    """BadFeature ``unparsable_geometry`` where ``geom``'s coordinates are not nested as its type's are (a Polygon's
    3 deep, ``[[[x, y], …]]``; a MultiPolygon's 4): a bare ring as a Polygon said "'float' object is not
    subscriptable"."""
    want = 3 if geom["type"] == "Polygon" else 4
    depth, c = 0, geom["coordinates"]
    while isinstance(c, (list, tuple)) and c:  # GDAL's reprojection gives tuples
        filled = [e for e in c if not isinstance(e, (list, tuple)) or e]  # past an empty ring, of no depth
        depth, c = depth + 1, (filled or c)[0]
    if depth != want:
        shape = "[" * want + "x, y], …" + "]" * (want - 1)
        raise BadFeature("unparsable_geometry", f"{geom['type']} coordinates nested {depth} deep, not {want} "
                         f"({shape}, each ring a list of [x, y] positions): a ring or polygon one level off?")


def _holes(shell: list, holes: list, note) -> list:
    """The ``holes`` (pixel rings) of ``shell`` kept: not one of under 3 vertices (an empty ``[]``: a ``min()``
    traceback) or of no area (collinear), nor one that shares no area with the shell (``shapely.make_valid`` made such a hole a polygon of
    its own, a footprint nobody drew), each counted by ``note`` as ``degenerate_holes_dropped`` or
    ``holes_outside_their_polygon_dropped``."""
    import shapely

    kept, outer = [], None
    for hole in holes:
        if len(hole) < 3:
            note("degenerate_holes_dropped", 1)
            continue
        if not all(math.isfinite(v) for p in (*shell, *hole) for v in p):  # skipped later: non_finite_coordinates
            kept.append(hole)
            continue
        outer = outer if outer is not None else shapely.make_valid(shapely.Polygon(shell))
        inner = shapely.make_valid(shapely.Polygon(hole))
        if not inner.area > 0:  # collinear: of no area, as one of under 3 vertices (it was said outside)
            note("degenerate_holes_dropped", 1)
            continue
        if not outer.intersection(inner).area > 0:
            note("holes_outside_their_polygon_dropped", 1)
            continue
        kept.append(hole)
    return kept


def _collection_polygons(geom: dict) -> dict:
    """A GeometryCollection of polygons (as QGIS may export a footprint) as the MultiPolygon of their parts;
    BadFeature ``unsupported_geometry`` naming a member of another kind, ``empty_geometry`` for none."""
    members = geom.get("geometries")
    if not isinstance(members, list) or not members:
        raise BadFeature("empty_geometry", "a GeometryCollection of no geometries")
    parts = []
    for g in members:
        kind = g.get("type") if isinstance(g, dict) else type(g).__name__
        if kind not in ("Polygon", "MultiPolygon"):
            raise BadFeature("unsupported_geometry", f"GeometryCollection holding a {kind}")
        if g.get("coordinates"):
            parts.extend([g["coordinates"]] if kind == "Polygon" else g["coordinates"])
    return {"type": "MultiPolygon", "coordinates": parts}


def _crs_name(crs) -> str:
    """``EPSG:32616`` where ``crs`` has an EPSG code, else its WKT's first 60 characters."""
    return crs.to_string() if crs.to_epsg() is not None else crs.to_wkt()[:60]


def reprojected(features: list, reproject, chunk: int = 4096):
    """Per feature its geometry through ``reproject``, or None where the feature is to be reprojected
    alone (not a polygon, or in a block of ``chunk`` features that GDAL could not reproject at once:
    one footprint outside the CRS's domain fails its block, and is then skipped alone). Reprojected
    ``chunk`` at a time: one GDAL call a footprint took 1.1 s for 5000, one a block 0.05 s."""
    for start in range(0, len(features), chunk):
        block = features[start : start + chunk]
        polys = [k for k, f in enumerate(block) if isinstance(f, dict) and isinstance(g := f.get("geometry"), dict)
                 and g.get("type") in ("Polygon", "MultiPolygon") and g.get("coordinates")]
        try:
            done = dict(zip(polys, reproject([block[k]["geometry"] for k in polys]))) if polys else {}
        except Exception:  # noqa: BLE001 - GDAL's errors: each feature of the block is then tried alone
            done = {}
        yield from (done.get(k) for k in range(len(block)))


def _swapped_hint(first, src_crs, crs, transform, width: int, height: int) -> str:
    """Where ``first`` (a footprint's first vertex, degrees of the geographic ``src_crs``) lands on the image (``crs``,
    ``transform``, ``width`` x ``height``) once its two numbers are swapped, the hint to swap them: a file written
    latitude first was said only as lying outside the image; "" otherwise."""
    from rasterio.warp import transform as warp

    if first is None or not src_crs.is_geographic or not abs(first[0]) <= 90:
        return ""
    try:
        (x,), (y,) = warp(src_crs, crs, [first[1]], [first[0]])
    except Exception:  # noqa: BLE001 - no hint where it cannot be reprojected
        return ""
    col, row = ~transform @ (x, y)
    if not (0 <= col <= width and 0 <= row <= height):
        return ""
    a, b = (f"{v:.7g}" for v in first)
    return (f" Its first vertex ({a}, {b}) read as ({b}, {a}) lies on the image: GeoJSON is longitude, "
            "latitude; swap each vertex's two numbers")


def _first_vertex(features: list):
    """The first finite (x, y) of the first polygons among ``features``, or None: a broken first footprint's
    NaN (json reads ``NaN``) is no evidence of the CRS; the whole file was skipped as ``undeclared_crs``."""
    for f in features:
        try:
            c = f["geometry"]["coordinates"]
            while isinstance(c[0], list):
                c = c[0]
            x, y = float(c[0]), float(c[1])
        except (KeyError, IndexError, TypeError, ValueError):
            continue
        if math.isfinite(x) and math.isfinite(y):
            return x, y
    return None


def _bounds(objects: list[dict]) -> tuple[float, float, float, float]:
    xs = [p[0] for o in objects for p in o["coords"]]
    ys = [p[1] for o in objects for p in o["coords"]]
    return min(xs), min(ys), max(xs), max(ys)


def _overlaps(bounds, width: int, height: int) -> bool:
    x0, y0, x1, y1 = bounds
    return x1 > 0 and y1 > 0 and x0 < width and y0 < height


def run(args, out: Output) -> None:
    with gdal_errors_logged():  # GDAL's own error lines (an unknown CRS, a failed reprojection) off stderr
        _run(args, out)


def _run(args, out: Output) -> None:
    from rasterio.crs import CRS
    from rasterio.warp import transform_geom

    opts = det_options(args)
    try:
        labels_crs = CRS.from_user_input(args.labels_crs)  # parsed once, not per file
    except Exception as e:  # noqa: BLE001 - CRSError for any unreadable name
        raise ConversionError(f"--labels-crs {args.labels_crs!r}: not a CRS ({e})") from e
    pairs = pair_files(Path(args.images), Path(args.labels), args.match, out)
    if not pairs and not out.skipped:
        raise ConversionError(f"{args.images} / {args.labels}: no GeoTIFF / GeoJSON files")
    for tif, gj in out.bar(pairs, "geojson", "GeoJSON file"):  # one per GeoJSON with its GeoTIFF
        try:  # the header only: the pixels are read through once there are footprints to write
            with open_raster(tif) as ds:  # without a transform: said below as no_georeference
                crs, transform, width, height, gcps = ds.crs, ds.transform, ds.width, ds.height, ds.gcps[0]
        except Exception:  # noqa: BLE001 - readable_size says why, counting it as unreadable_image
            readable_size(tif, out, str(tif), args.modality)
            unread_footprints(gj, out)
            continue
        if crs is None or transform.is_identity:
            out.skip("no_georeference", str(tif), "ground control points only, no affine transform: warp it to a "
                     "map grid first (gdalwarp)" if gcps else f"no {'affine transform' if crs else 'CRS'}")
            unread_footprints(gj, out, "not_georeferenced")  # counted, not lost unsaid with it
            continue
        try:
            data = read_json(gj)
        except ConversionError as e:
            out.skip("unparsable_labels", str(gj), str(e).removeprefix(f"{gj}: "))
            unread_footprints(gj, out, "unparsable_labels", geojson_features_before_error(gj))  # up to its break
            continue
        if isinstance(data, dict) and data.get("type") == "Feature":  # one footprint alone
            data = {**data, "features": [data]}
        if not isinstance(data, dict) or not isinstance(data.get("features"), list):
            out.skip("unparsable_labels", str(gj), "not a GeoJSON FeatureCollection (no 'features' list) or Feature")
            continue
        try:
            src_crs = geojson_crs(data, gj, labels_crs)
        except ConversionError as e:
            out.skip("unparsable_labels", str(gj), str(e).removeprefix(f"{gj}: "))
            unread_footprints(gj, out, "unparsable_labels", len(data["features"]))
            continue
        first = _first_vertex(data["features"])
        if (not data.get("crs") and src_crs.is_geographic and first is not None
                and not (abs(first[0]) <= 180 and abs(first[1]) <= 90)):
            out.skip("undeclared_crs", str(gj), f"it declares no crs, so it was read as {args.labels_crs} "
                     f"(degrees), but its first vertex is {first}; give --labels-crs (the image's is {crs})"
                     + (f".{h}" if (h := _swapped_hint(first, src_crs, crs, transform, width, height)) else ""))
            unread_footprints(gj, out, "undeclared_crs", len(data["features"]))
            continue
        reproject = None
        if src_crs != crs:
            reproject = lambda g, s=src_crs, d=crs: transform_geom(s, d, g)  # noqa: E731
        features = data["features"]
        done = reprojected(features, reproject) if reproject is not None else itertools.repeat(None)
        objects, tiny, swap = [], [], None  # a city's footprints in one file: minutes of reprojection under the per-file bar
        shown = inner_progress(features, f"footprints of {gj.name}", "footprint", out.progress)
        for k, (feat, geom) in enumerate(zip(shown, done)):
            where = f"{gj}: features[{k}]"
            if not isinstance(feat, dict):
                out.skip("unparsable_geometry", where, "not a JSON object")
                continue
            label = args.label
            if args.class_property:
                props = feat.get("properties") or {}
                if not isinstance(props, dict):  # a list or string: it was an AttributeError traceback
                    out.skip("unknown_class", where, f"'properties' is a JSON {type(props).__name__}, not an object")
                    continue
                label = props.get(args.class_property)
                if label is None or label == "":  # a class code 0 is a class
                    out.skip("unknown_class", where, f"property {args.class_property!r} is "  # it said "no property"
                             + ("empty" if label == "" else "null" if args.class_property in props else "absent"))
                    continue
                if (flag := _flag(label)) is not None:  # OSM's building=yes: every footprint was class "yes"
                    if not flag:  # building=no: the data says it is none, a choice and no bad annotation
                        out.filter(f"--class-property {args.class_property}", "property_says_no")
                        continue
                    out.note("class_property_yes_read_as_its_name")
                    label = args.class_property
            try:
                objs = feature_objects(geom or feat.get("geometry"), clean_label(str(label)), ~transform,
                                       None if geom else reproject, out.note)
            except BadFeature as e:  # "utm: Invalid latitude" of 120, a longitude written second: the swap hint
                if e.reason == "unprojectable_geometry" and swap is None:  # once a file: a warp call
                    swap = "." + h if (h := _swapped_hint(first, src_crs, crs, transform, width, height)) else ""
                out.skip(e.reason, where, str(e) + (swap if e.reason == "unprojectable_geometry" else ""))
                continue
            except (TypeError, ValueError, IndexError) as e:  # coordinates that are not number pairs
                out.skip("unparsable_geometry", where, f"a vertex that is not an [x, y] pair of numbers ({e})")
                continue
            if len(objs) > 1:
                out.note("multipolygon_parts", len(objs))
            for o in objs:
                if not finite_coords(o):
                    out.skip("non_finite_coordinates", where, str(o["coords"])[:120])
                elif under_a_pixel(o["coords"]):  # counted below, unless all are outside; a bow-tie is its loops
                    tiny.append({**o, "src": where})
                else:
                    objects.append({**o, "src": where})
        if reproject is not None and (objects or tiny):  # an empty FeatureCollection was counted: nothing reprojected
            out.note("reprojected_files", example=f"{gj}: {_crs_name(src_crs)} to {_crs_name(crs)}")  # which, unsaid
        if (objects or tiny) and not _overlaps(bounds := _bounds(objects + tiny), width, height):
            # footprints of 10 m on 30 m pixels far from the image were each "degenerate", the mistake unsaid
            x0, y0, x1, y1 = bounds
            out.skip("all_outside_image", str(gj), f"all {len(objects) + len(tiny)} footprints lie outside {tif.name}: their "
                     f"pixel bounds are x {x0:.0f}..{x1:.0f}, y {y0:.0f}..{y1:.0f}, the image's 0..{width}, 0..{height}; "
                     f"is the GeoJSON's CRS ({src_crs}) right, and is it the image's label file?"
                     + _swapped_hint(first, src_crs, crs, transform, width, height))
            continue
        for o in tiny:
            out.skip("degenerate", o["src"], "polygon under 1 px²")
        # an empty FeatureCollection (SpaceNet's tiles without a building): the scene is not read through
        if nothing_to_write(out, objects, str(gj)):
            continue
        if readable_size(tif, out, str(tif), args.modality) is None:  # wrong bands for --modality, or damaged
            unchecked(out, objects)  # its footprints are lost with it: counted, as dota's and voc's objects are
            continue
        extra = {"crs": crs.to_string(), "transform": list(transform)[:6]}
        emit_objects(out, rid=f"geojson-{tif.stem}", source="GeoJSON", file=gj.name, image=tif, width=width,
                     height=height, objects=objects, opts=opts, modality=args.modality, forms=("box",),
                     seg=True, image_extra=extra)
