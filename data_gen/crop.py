"""Write windows of an image to tile files: GeoTIFF / JP2 with rasterio into a GeoTIFF that keeps its
georeferencing and metadata, others with PIL (or GDAL, for what PIL would not keep) into a PNG.
Windows are ``data_gen.tiling.Window`` (anything with ``x0, y0, x1, y1, width, height``).
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from data_gen.tiling import Window

RASTER_SUFFIXES = (".tif", ".tiff", ".jp2")  # cropped with rasterio into a GeoTIFF; others with PIL into a PNG
# zlib level of PNG tiles (PIL's and GDAL's default is 6): on the realdata DOTA scene's 256 px tiles
# level 3 wrote 1219 KiB in 160 ms where 6 wrote 1230 KiB in 423 ms, and on the LEVIR-CD pair
# 136 + 117 KiB where 6 wrote 143 + 132 KiB, at half the time (level 1: 2 % larger again)
PNG_LEVEL = 3


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


def grid_difference(ga: dict, gb: dict, a: str = "A", b: str = "B") -> str | None:
    """What differs between two pixel grids of one size (``georef`` of two georeferenced images, named ``a``
    and ``b`` in the answer): the CRS, or a transform coefficient by over a thousandth of a pixel; else None."""
    from rasterio.crs import CRS

    if CRS.from_user_input(ga["crs"]) != CRS.from_user_input(gb["crs"]):
        return f"{a} is in {ga['crs']}, {b} in {gb['crs']}"
    ta, tb = ga["transform"], gb["transform"]
    pixel = max(abs(ta[0]), abs(ta[1]), abs(ta[3]), abs(ta[4]))
    if max(abs(x - y) for x, y in zip(ta, tb)) > 1e-3 * pixel:
        return f"{a} has transform {ta}, {b} {tb}: the pixels are not the same places"
    return None


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

        crop.image = whole  # the decoded image, for a look at its pixels (convert.collar.note_border) without a second decode
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
