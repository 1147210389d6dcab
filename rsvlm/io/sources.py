"""File backends behind ``read.py``: rasterio (GeoTIFF, JP2, any GDAL raster; ``gdal_source.py``), PIL (plain PNG/JPEG;
``pil_source.py``), tifffile (TIFFs GDAL cannot open; ``tiff.py``). Each gives raw band values (C, H, W)
in the file's dtype.

Only the rasterio backend reads windows from disk; PIL and tifffile decode the whole file and
slice it, so whole-scene tiling is memory-bounded only for rasterio formats (tiled GeoTIFF best).
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import numpy as np

from rsvlm.io.budget import check_fits
from rsvlm.io.checks import (  # noqa: F401 (moved to checks.py; imported from here by read.py, data_gen, tests)
    LIBRARY_LOGGERS,
    PIL_SUFFIXES,
    TIFF_SUFFIXES,
    URL,
    ImageReadError,
    _subdataset_file,
    check_image_path,
    damaged,
    gdal_message,
    gtiff_page,
    header_data,
    header_files,
    library_messages,
    mixed_types,
    not_readable,
    raw_cut_short,
    text_start,
    vsi_archive,
)
from rsvlm.io.file_kinds import held_format, unread
from rsvlm.io.gdal_source import (  # noqa: F401 (moved to gdal_source.py; imported from here by readers, data_gen, tests)
    WHOLE_DECODED,
    RasterioSource,
    open_raster,
    read_failed,
)
from rsvlm.io.large import DecodedWhole
from rsvlm.io.pil_source import (  # noqa: F401 (PIL_AS_RGB, pil_cuts_bits: imported from here by data_gen.crop)
    PIL_AS_RGB,
    ArraySource,
    _ForGdal,
    _Misnamed,
    _read_pil,
    exif_note,
    misnamed_notes,
    pil_cuts_bits,
    with_misnamed,
)

GEO_SIDECARS = (".aux.xml", ".pgw", ".pngw", ".jgw", ".jpgw", ".wld")
FULL_READ_PIXELS = 4096 * 4096  # ``read_unblended`` reads a scene this size whole (by nearest, in strips), else a window


def _has_geo_sidecar(path: Path) -> bool:
    return any(Path(str(path) + s).exists() or path.with_suffix(s).exists() for s in GEO_SIDECARS)


def open_source(names: list[Path | str], gdal_cache_mb: int = 64, png_checked: set | None = None):
    """One backend over ``names`` (several = one single-band file per band, same grid). A name is
    given to GDAL as written: ``Path`` would fold a subdataset's ``HDF5:a.h5://grid`` to ``:/grid``.
    ``png_checked``: PNGs (PIL's or GDAL's) whose pixel data is known whole (``pngcheck.check_whole_png``). A file
    truncated or corrupt is an ``ImageReadError`` that says to get a whole copy (``checks.damaged``)."""
    try:
        return _open_source(names, gdal_cache_mb, png_checked)
    except ImageReadError as e:
        if (told := damaged(with_misnamed(e, names))) is e:  # a TIFF named .jp2 said so, as where it reads
            raise
        raise told from e


def _open_source(names: list[Path | str], gdal_cache_mb: int = 64, png_checked: set | None = None):
    paths, misnamed = [Path(p) for p in names], None
    for name in names:  # as written: a URL's "//" unfolded
        check_image_path(name)
    if len(paths) == 1 and paths[0].suffix.lower() == ".hdr":  # an ENVI .img's header given for it
        found = header_files(paths[0], names[0])
        src = _open_source([str(found[0])], gdal_cache_mb, png_checked)
        others = ", ".join(f.name for f in found[1:])  # scene and scene.img both: the first is read, the rest said
        src.notes.append(f"{paths[0].name} is a raster header: read its data file {found[0].name}"
                         + (f" (also beside it: {others}; give the data file meant)" if others else ""))
        return src
    vsi = any(vsi_archive(n) for n in names)  # /vsizip/pack.zip/a.png: GDAL's alone to read (PIL, tifffile read files)
    if len(paths) == 1 and paths[0].suffix.lower() in PIL_SUFFIXES and not _has_geo_sidecar(paths[0]) and not vsi:
        try:
            arr, alpha, notes, mode = _read_pil(paths[0], png_checked)
            return ArraySource(paths[0], (arr, alpha), notes, bilevel=mode == "1", paletted=mode == "P")
        except _ForGdal as e:  # past PIL's decompression-bomb limit, or 16-bit colour: GDAL reads it (in windows
            misnamed = e.args[0] if isinstance(e, _Misnamed) else None  # where it can); a TIFF named .png
    tiff = len(paths) == 1 and (paths[0].suffix.lower() in TIFF_SUFFIXES or misnamed) and not vsi and not gtiff_page(
        names[0])  # tifffile's to try (a page's GDAL name, GTIFF_DIR:2:p.tif, is no file of its)
    told = f" ({misnamed})" if misnamed else ""
    try:
        return RasterioSource([str(p) for p in names], gdal_cache_mb, png_checked)  # (which says a misnamed file itself)
    except ImportError:
        if tiff:
            return _tifffile(paths[0], "rasterio not installed: read by tifffile" + told)
        what = "band files given one per band" if len(paths) > 1 else f"a {paths[0].suffix or 'file without a suffix'}"
        raise ImportError(f"{', '.join(map(str, names))}: reading {what} needs rasterio (pip install 'rsvlm[geo]')") from None
    except ImageReadError as err:
        if tiff and not unread(held_format(paths[0])):  # a HEIC named .tif: no TIFF for tifffile to try
            try:
                return _tifffile(paths[0], f"read by tifffile ({err}){told}")
            except ImageReadError as again:  # its reason too, unless the file is text (then not said twice)
                if "a text file, not an image" not in str(err):
                    why = str(again).removeprefix(f"{paths[0]}: ")
                    raise ImageReadError(f"{err}; tifffile cannot read it either: {why}") from err
        raise


def read_as_stored(src, max_side: int, indexes: list[int], nodata: float | None):
    """``src.read_decimated``, band files resampled on read taken as they hold them (``RasterioSource.read_stored``,
    nearest): (raw (C, h, w), valid (h, w) or None) for the reader's checks and stretch, where bilinear values
    would be ones no file holds."""
    return getattr(src, "read_stored", src.read_decimated)(max_side, indexes, nodata)


def _tifffile(path: Path, note: str):
    """``tiff.tifffile_source``, which decodes the file whole: first a MemoryError where its first
    series (read from the header) does not fit in the memory free (``budget.check_fits``)."""
    from rsvlm.io.tiff import tifffile_source

    shape = None
    with contextlib.suppress(Exception):  # a damaged header: tifffile_source says why
        import tifffile

        with tifffile.TiffFile(path) as tf:
            shape, dtype = tf.series[0].shape, str(tf.series[0].dtype)  # (pages / H, W, bands …)
    if shape:
        try:
            check_fits(int(np.prod(shape)), 1, 1, dtype, scaled=False)
        except MemoryError as e:
            raise DecodedWhole(f"tifffile decodes this TIFF whole: {e}") from e
    return tifffile_source(path, note)
