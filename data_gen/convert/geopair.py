"""How ``convert geojson`` pairs its GeoTIFFs and GeoJSON files (by the key ``--match`` picks out of their stems), and
how what it cannot pair is skipped and counted: a GeoJSON of no GeoTIFF is ``missing_image`` (its footprints counted
as ``objects_unchecked_image_missing``), a GeoTIFF of no GeoJSON ``missing_labels`` (a shapefile or GeoPackage of
its key named, with the ``ogr2ogr`` line that makes GeoJSON of it). Split out of ``geojson.py`` for its size."""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

from data_gen.convert.common import ConversionError, Output
from data_gen.convert.mostmissing import warn_most_missing
from data_gen.convert.text import geojson_feature_count


def _key(stem: str, pattern: str | None) -> str | None:
    if not pattern:
        return stem
    m = re.search(pattern, stem)
    return (m.group(1) if m.groups() else m.group(0)) if m else None


def pair_files(images: Path, labels: Path, pattern: str | None, out: Output) -> list[tuple[Path, Path]]:
    """(GeoTIFF, GeoJSON) pairs by key (``--match``); a GeoJSON or GeoTIFF without its other half is
    skipped (``missing_image`` / ``missing_labels``), each GeoTIFF whose name ``--match`` does not
    match too. Of GeoTIFFs sharing a key (SpaceNet's ``PAN/`` and ``RGB-PanSharpen/`` images of one
    chip under one ``--images``) the first in sort order pairs, the others are counted in the notes
    as ``ambiguous_image_names``: the last one won, and the rest were dropped without a word."""
    if gone := [f"{o} {p}" for o, p in (("--images", images), ("--labels", labels)) if not p.exists()]:
        raise ConversionError(f"{' and '.join(gone)}: no such file or folder")  # was each label's missing_image
    if labels.is_file() and labels.suffix.lower() in _OTHER_VECTOR:  # "cannot read JSON (Expecting value …)"
        raise ConversionError(f"--labels {labels}: {_not_geojson([labels])}")
    if images.is_file() and labels.is_file():
        return [(images, labels)]
    # not ._x.tif of a zip made on a Mac, nor an --out inside either folder (a rerun's tiles were missing_labels)
    tifs = [images] if images.is_file() else [p for p in out.inputs_under(images) if p.suffix.lower() in (".tif", ".tiff")]
    gjs = [labels] if labels.is_file() else [p for p in out.inputs_under(labels) if p.suffix.lower() in (".geojson", ".json")]
    by_key: dict[str, Path] = {}
    for p in tifs:
        k = _key(p.stem, pattern)
        if k is None:
            out.skip("missing_labels", str(p), f"--match {pattern!r} finds no key in its name")
        elif k in by_key:
            out.note("ambiguous_image_names")
        else:
            by_key[k] = p
    pairs, used, missing = [], set(), []  # missing: the GeoTIFFs GeoJSON files name, not found
    for g in gjs:
        k = _key(g.stem, pattern)
        if k is None:
            out.skip("missing_image", str(g), f"--match {pattern!r} finds no key in its name")
            unread_footprints(g, out, "missing")
            continue
        if k not in by_key:
            out.missing_image(str(g), f"a GeoTIFF of key {k!r}", images, hint="; it holds no GeoTIFF (.tif, .tiff)"
                              if not tifs else "" if pattern else _WHOLE_STEM)  # --match: no help where none is
            missing.append(f"*{k}*.tif" if pattern else f"{k}.tif")
            unread_footprints(g, out, "missing")
            continue
        pairs.append((by_key[k], g))
        used.add(k)
    other = [p for p in ([] if labels.is_file() else sorted(labels.rglob("*"))) if p.suffix.lower() in _OTHER_VECTOR]  # x.gdb/ too
    for k, p in by_key.items():
        if k not in used:  # a shapefile of its name was "no GeoJSON with key …: give --match"
            mine = [o for o in other if _key(o.stem, pattern) == k]
            out.skip("missing_labels", str(p), f"no GeoJSON with key {k!r}" + (
                f"; {_not_geojson(mine)}" if mine else "" if pattern else _WHOLE_STEM))
    warn_most_missing(out, len(missing), len(gjs), "GeoJSON file", missing, images,
                      "the GeoTIFFs of every GeoJSON file under --labels")
    return pairs


# vector formats a user may hold footprints in, which this converter does not read (rasterio reads no vectors)
_OTHER_VECTOR = (".shp", ".gpkg", ".kml", ".kmz", ".gml", ".fgb", ".gdb", ".tab", ".sqlite")


def _not_geojson(files: list[Path]) -> str:
    """Why the vector ``files`` (a shapefile, a GeoPackage …) are not read, and how to make GeoJSON of them."""
    from shlex import quote  # "My data/a.shp": a line to paste

    f = files[0]
    layers = _gpkg_layers(f) if f.suffix.lower() == ".gpkg" else []
    layer = f" {quote(layers[0])}" if len(layers) > 1 else ""  # ogr2ogr takes a GeoPackage's layers all, or one
    return (f"{f.name} is a {f.suffix.lower()} file, not GeoJSON, the one vector format read: convert it first "
            f"(ogr2ogr -f GeoJSON {quote(str(f.with_suffix('.geojson')))} {quote(str(f))}{layer}; QGIS: Export > Save "
            "Features As > GeoJSON)" + (f"; it holds {len(layers)} feature layers ({', '.join(layers[:5])}"
                                        f"{', …' if len(layers) > 5 else ''}) and a GeoJSON takes one: name the "
                                        "footprints' layer after the file, as the line names the first" if layer else ""))


def _gpkg_layers(path: Path) -> list[str]:
    """The feature layers of the GeoPackage ``path`` (an SQLite file: its ``gpkg_contents`` table); [] where it
    cannot be read as one."""
    import sqlite3

    try:
        with contextlib.closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as db:
            rows = db.execute("SELECT table_name FROM gpkg_contents WHERE data_type = 'features' ORDER BY table_name")
            return [str(r[0]) for r in rows]
    except sqlite3.Error:
        return []


# SpaceNet's image and label names share only a part (…_img12): the whole stems matched nothing, unsaid why
_WHOLE_STEM = "; without --match the key is the whole file stem: give --match, a regex of the part both names share"


def unread_footprints(gj: Path, out: Output, why: str = "unreadable", n: int | None = None) -> None:
    """The features of the GeoJSON ``gj`` of a GeoTIFF that cannot be opened, counted in the notes as
    ``objects_unchecked_image_{why}`` (``unreadable``; ``missing``: none found; ``not_georeferenced``: not mapped;
    streamed, not parsed whole: ``text.geojson_feature_count``), not lost unsaid with the image; of a GeoJSON
    skipped itself (``why``: ``unparsable_labels``, ``undeclared_crs``; ``n``: its features, counted by the caller)
    as ``objects_unchecked_{why}``. One that is no JSON is counted up to its break; past it, nothing can be."""
    if n := geojson_feature_count(gj) if n is None else n:
        out.note(f"objects_unchecked_{why}" if why in ("unparsable_labels", "undeclared_crs")
                 else f"objects_unchecked_image_{why}", n)
