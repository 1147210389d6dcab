"""Cut large images into tiles and carry their objects along.

Windows: ``tile_windows(W, H, tile, overlap)`` steps by ``tile - overlap`` and adds one last
window flush with the right / bottom edge, so every pixel is covered and no window is smaller
than ``tile`` (an image no larger than ``tile`` is one window, the whole image).

Border rule (objects are pixel-coordinate dicts ``{"kind", "label", "coords"}`` as in
``rsvlm.geometry``): an object wholly inside a window is shifted into the window's coordinates
unchanged. An object that a window border cuts is kept in that window only when at least
``min_visible`` (default 0.5) of its area lies inside; it is then clipped to the window:

* ``box``  → the bounds of the clipped part;
* ``obb``  → the minimum rotated rectangle of the clipped part (4 corners);
* ``poly`` → the clipped polygon (holes kept as ``rings``); one the border splits in two gives one
  ``poly`` per part;
* ``point`` → kept when inside the window, never "cut".

Otherwise it is "cut" in that window: with ``keep_cut`` (the converters' default, as DOTA's devkit
keeps such an object marked difficult 2) its visible part is kept, clipped as above and marked
``"cut": True``; without, it is dropped from that window. Either way it is counted as ``cut``
(the parts kept carry the mark). An object dropped from every window it touches is counted as
``lost``; with overlap ≥ the object's size, or with ``keep_cut``, this cannot happen. The same rule
without ``keep_cut``, the whole image as the one window, clips annotations that stick out of an
image. Masks are not objects here: crop the mask array with the window instead.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

RASTER_SUFFIXES = (".tif", ".tiff", ".jp2")  # cropped with rasterio into a GeoTIFF; others with PIL into a PNG
# zlib level of PNG tiles (PIL's and GDAL's default is 6): on the realdata DOTA scene's 256 px tiles
# level 3 wrote 1219 KiB in 160 ms where 6 wrote 1230 KiB in 423 ms, and on the LEVIR-CD pair
# 136 + 117 KiB where 6 wrote 143 + 132 KiB, at half the time (level 1: 2 % larger again)
PNG_LEVEL = 3


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
    from rsvlm.io.tiles import iter_windows  # the same windows as rsvlm predict --tile runs over

    return [Window(x, y, x + w, y + h) for x, y, w, h in iter_windows(width, height, tile, overlap)]


def near_duplicate_edges(windows: list[Window], overlap: int = 0) -> bool:
    """Whether the last column or row of ``windows`` (``tile_windows`` with ``overlap``), shifted back
    flush with the image's edge, lies under half a step (``tile - overlap``) past the one before, so that
    it adds under half the new pixels a regular tile does: ``--tile 255`` cut a 256 px LEVIR-CD pair into
    four tiles one pixel apart, near copies of one another in the records (the converters note such
    images). A last tile 72 px on at ``--tile 256 --overlap 128`` (128 px steps) is no near copy: the
    overlap asked for has neighbours share half a tile already."""
    for start, size in ((lambda w: w.x0, windows[0].width), (lambda w: w.y0, windows[0].height)):
        starts = sorted({start(w) for w in windows})
        if len(starts) > 1 and 2 * (starts[-1] - starts[-2]) < size - overlap:
            return True
    return False


def tile_progress(windows: list[Window], name: str):
    """``windows`` under a progress bar of the tiles of image ``name`` (``inner_progress``: a
    DOTA-v2 scene at --tile 1024 is hundreds of tiles, minutes under a per-image bar at 0)."""
    return inner_progress(windows, f"tiles of {name}", "tile")


def inner_progress(items: list, desc: str, unit: str):
    """``items``, the parts of one input under a converter's per-input bar, under a bar of their own
    that is shown once they take over 2 s and cleared when done (none for a single item)."""
    from tqdm import tqdm

    return tqdm(items, desc=desc, unit=unit, leave=False, delay=2, disable=len(items) < 2)


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
    if kind == "obb":
        quad = list(inter.minimum_rotated_rectangle.exterior.coords)[:4]
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


def tile_suffix(src: Path) -> str:
    """The suffix of the files ``crop_to_file`` writes for tiles of ``src``: ``.tif`` or ``.png``."""
    return ".tif" if Path(src).suffix.lower() in RASTER_SUFFIXES else ".png"


def georef(src: Path) -> dict:
    """``{"crs", "transform"}`` of a georeferenced GeoTIFF or JP2, or PNG / JPEG with a sidecar, as
    a whole (what ``crop_to_file`` returns for a window of it), else ``{}``."""
    from rsvlm.io.sources import _has_geo_sidecar  # the reader's own sidecar test

    if Path(src).suffix.lower() not in RASTER_SUFFIXES and not _has_geo_sidecar(Path(src)):
        return {}
    with _opened(src) as ds:
        if ds.crs is None or ds.transform.is_identity:
            return {}
        return {"crs": ds.crs.to_string(), "transform": list(ds.transform)[:6]}


def crop_to_file(src: Path, window: Window, dst: Path) -> dict:
    """Write the ``window`` of image ``src`` to ``dst``; return georeferencing for the record.

    GeoTIFF / JP2 sources are cropped with rasterio into a GeoTIFF ``dst`` (compressed as the
    source where that is lossless, else deflate: ``_tile_compression``) that keeps CRS and the
    window's affine transform (returned as ``{"crs", "transform"}``), and what the reader takes
    from the file: band descriptions, colours (a palette, an alpha band), nodata and an internal
    mask, the image description, ground control points and RPCs (shifted into the tile); others
    with PIL into a PNG (``{}``; zlib level ``PNG_LEVEL``; CMYK and other colour spaces PNG cannot hold as
    RGB, as ``rsvlm.io`` reads them), decoding the whole file: for several
    windows of one image use ``cropper`` (a PNG or JPEG past PIL's pixel limit, with 16 bits a colour
    channel, or georeferenced by a sidecar, through GDAL).
    ``dst`` must end in ``tile_suffix(src)`` (a GeoTIFF named ``.png`` fooled every other reader).
    """
    with cropper(src) as crop:
        return crop(window, dst)


@contextlib.contextmanager
def cropper(src: Path):
    """``crop(window, dst) -> dict``: ``crop_to_file`` for many windows of one image, a PNG or JPEG
    decoded once (per window it was decoded whole at every tile: 0.55 s a tile of a 4000 px DOTA
    PNG, 25 tiles at ``--tile 1024``); a GeoTIFF or JP2 is opened once and read window by window. One
    that PIL would not keep (past its pixel limit, 16-bit colour), or georeferenced by a sidecar (a
    world file, ``.aux.xml``), is cut by GDAL (``_strip_cropper``)."""
    src = Path(src)

    def checked(dst) -> Path:
        dst = Path(dst)
        if dst.suffix.lower() != tile_suffix(src):
            raise ValueError(f"{dst}: a tile of {src.name} is written as {tile_suffix(src)}, "
                             f"not {dst.suffix or 'no suffix'}")
        return dst

    if src.suffix.lower() in RASTER_SUFFIXES:
        with _raster_cropper(src) as crop:
            yield lambda window, dst: crop(window, checked(dst))
        return
    import warnings

    from PIL import Image

    from rsvlm.io.sources import PIL_AS_RGB, _has_geo_sidecar, pil_cuts_bits

    if _has_geo_sidecar(src):  # a georeferenced PNG or JPEG (world file, .aux.xml): GDAL keeps it in each tile
        with _strip_cropper(src, checked) as crop:
            yield crop
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # a large scene: tiling it is the point
        try:
            im = Image.open(src)
        except Image.DecompressionBombError:  # past PIL's pixel limit (a DOTA-v2 scene): it raised, naming no file
            im = None
    if im is None or pil_cuts_bits(im):  # 16-bit colour: PIL wrote its tiles with 8 bits, unsaid
        if im is not None:
            im.close()
        with _strip_cropper(src, checked) as crop:
            yield crop
        return
    with im:
        try:
            im.load()  # decoded once here, not by each crop
        except (OSError, SyntaxError, ValueError) as e:  # PIL's "image file is truncated" named no file
            from rsvlm.io.sources import ImageReadError

            raise ImageReadError(f"{src}: cannot decode image, truncated or corrupt ({e})") from e
        # a CMYK JPEG as the reader reads it, RGB: PNG holds no CMYK ("cannot write mode CMYK as PNG")
        whole = im.convert("RGB") if im.mode in PIL_AS_RGB else im

        def crop(window: Window, dst) -> dict:
            whole.crop((window.x0, window.y0, window.x1, window.y1)).save(checked(dst), compress_level=PNG_LEVEL)
            return {}

        yield crop


@contextlib.contextmanager
def _strip_cropper(src: Path, checked):
    """``cropper``'s ``crop`` for a PNG or JPEG that PIL would not keep (past its pixel limit, or 16
    bits a colour channel) or that a sidecar georeferences: GDAL reads one strip of the image's width
    per row of windows (it decodes such a file from the top at each read above its last), and each
    tile is a PNG written by GDAL, its bits and any palette kept, and a georeferenced one's CRS and
    window transform (in the tile's ``.png.aux.xml``; returned as ``{"crs", "transform"}``; PIL cut
    such tiles without either). Windows come row by row (``tile_windows``)."""
    import warnings

    from rasterio.enums import ColorInterp
    from rasterio.errors import NotGeoreferencedWarning
    from rasterio.windows import Window as RWindow

    from rsvlm.io.sources import open_raster

    with _opened(src) as ds:
        held: dict = {}  # (y0, h) of the strip held → its (bands, h, W) pixels
        placed = not ds.transform.is_identity  # a world file alone: a transform without a CRS

        def crop(window: Window, dst) -> dict:
            dst = checked(dst)
            rows = (window.y0, window.height)
            if rows not in held:
                held.clear()  # the last row's strip freed before the next is read
                held[rows] = _read(ds, src, RWindow(0, window.y0, ds.width, window.height))  # (C, h, W)
            data = held[rows][:, :, window.x0 : window.x1]  # (C, h, w)
            rw = RWindow(window.x0, window.y0, window.width, window.height)
            where = {"crs": ds.crs, "transform": ds.window_transform(rw)} if placed else {}
            with warnings.catch_warnings():  # written on close; without georeferencing a plain PNG
                warnings.simplefilter("ignore", NotGeoreferencedWarning)
                with open_raster(dst, "w", driver="PNG", width=window.width, height=window.height,
                                 count=ds.count, dtype=data.dtype, zlevel=PNG_LEVEL, **where) as out:
                    out.write(data)
                    if ds.colorinterp == (ColorInterp.palette,):
                        out.write_colormap(1, ds.colormap(1))
            if not placed or ds.crs is None:
                return {}
            return {"crs": ds.crs.to_string(), "transform": list(where["transform"])[:6]}

        yield crop


def _opened(src: Path):
    """The GDAL dataset of ``src``, or ImageReadError naming it (rasterio's names its base name at most)."""
    from rasterio.errors import RasterioIOError

    from rsvlm.io.sources import gdal_message, not_readable, open_raster

    try:
        return open_raster(src)
    except RasterioIOError as e:
        raise not_readable(src, "not a readable raster, truncated or corrupt", gdal_message(e)) from e


def _read(ds, src: Path, window):
    """``ds.read(window=window)`` (C, h, w), or ImageReadError naming ``src`` where the file is cut short
    (rasterio said "Read failed. See previous exception for details.")."""
    from rasterio._err import CPLE_BaseError
    from rasterio.errors import RasterioIOError

    from rsvlm.io.sources import ImageReadError, gdal_message

    try:
        return ds.read(window=window)
    except (RasterioIOError, CPLE_BaseError) as e:
        raise ImageReadError(f"{src}: read failed, file truncated or corrupt ({gdal_message(e)})") from e


LOSSLESS = ("deflate", "lzw", "zstd", "lzma", "packbits")  # GeoTIFF compressions a tile keeps as they are


def _tile_compression(ds) -> dict:
    """How a GeoTIFF tile of ``ds`` is compressed: as the source where that is lossless (with its
    predictor), deflate where the source is compressed otherwise (a JP2, a JPEG-compressed
    GeoTIFF: re-encoding would lose more, and uncompressed tiles of a Sentinel-2 JP2 took ten
    times its size on disk), nothing for an uncompressed source."""
    structure = {k.upper(): str(v).lower() for k, v in ds.tags(ns="IMAGE_STRUCTURE").items()}
    method = structure.get("COMPRESSION", "")
    if ds.driver == "GTiff" and method in LOSSLESS:
        return {"compress": method, **({"predictor": int(structure["PREDICTOR"])} if "PREDICTOR" in structure else {})}
    if ds.driver == "GTiff" and method in ("", "none"):
        return {}
    # a JP2 (compressed by nature) or a lossy GeoTIFF: deflate, integers by their differences
    return {"compress": "deflate", **({"predictor": 2} if ds.dtypes[0][0] in "ui" else {})}


@contextlib.contextmanager
def _raster_cropper(src: Path):
    """``crop(window, dst) -> dict`` for a GDAL raster: each window as a GeoTIFF with the source's
    metadata, read from one open dataset (it was opened, and its GCPs and tags read, once per tile;
    GDAL's block cache now carries over between tiles that share a compressed block)."""
    import numpy as np
    import rasterio
    from rasterio.control import GroundControlPoint
    from rasterio.enums import ColorInterp
    from rasterio.windows import Window as RWindow

    from rsvlm.io.sources import open_raster

    with _opened(src) as ds, rasterio.Env(GDAL_TIFF_INTERNAL_MASK=True):
        gcps, gcp_crs = ds.gcps if ds.transform.is_identity else ([], None)
        palette = ds.colorinterp == (ColorInterp.palette,)
        colormap = ds.colormap(1) if palette else None
        tags = ds.tags()
        internal_mask = ds.nodata is None and all(f.name == "per_dataset" for f in ds.mask_flag_enums[0])
        crs = ds.crs.to_string() if ds.crs is not None else None
        packing = _tile_compression(ds)

        def crop(window: Window, dst: Path) -> dict:
            rw = RWindow(window.x0, window.y0, window.width, window.height)
            data = _read(ds, src, rw)  # (bands, h, w)
            transform = ds.window_transform(rw)
            profile = {"driver": "GTiff", "width": window.width, "height": window.height, "count": ds.count,
                       "dtype": data.dtype, "crs": ds.crs, "transform": None if gcps else transform,
                       "nodata": ds.nodata, **packing}
            with open_raster(dst, "w", **profile, **({"photometric": "palette"} if palette else {})) as out:
                out.write(data)
                out.update_tags(**tags)
                out.descriptions, out.units = ds.descriptions, ds.units
                out.scales, out.offsets = ds.scales, ds.offsets
                if palette:
                    out.write_colormap(1, colormap)
                else:
                    out.colorinterp = ds.colorinterp  # R, G, B, alpha: the reader's colours and transparency
                if internal_mask:  # an internal or .msk mask
                    out.write_mask(ds.dataset_mask(window=rw).astype(np.uint8))
                if (rpcs := ds.rpcs) is not None:  # a Level-1 satellite scene: its RPCs, moved to the tile's origin
                    rpcs.line_off, rpcs.samp_off = rpcs.line_off - window.y0, rpcs.samp_off - window.x0
                    out.rpcs = rpcs
                if gcps:  # a radar scene referenced by ground control points (Sentinel-1 GRD)
                    out.gcps = ([GroundControlPoint(row=g.row - window.y0, col=g.col - window.x0, x=g.x, y=g.y,
                                                    z=g.z, id=g.id, info=g.info) for g in gcps], gcp_crs)
            return {} if crs is None else {"crs": crs, "transform": list(transform)[:6]}

        yield crop
