"""Reading the converters' images through: ``image_size`` (a truncated or damaged file is caught here,
not in training), ``check_bands`` (the bands fit ``--modality``), ``readable_size`` (both, a bad image
counted as skipped), and rasterio opened with GDAL's messages kept off stderr. Moved out of
``common``, which still answers for these names."""

from __future__ import annotations

import functools
from pathlib import Path

from data_gen.convert.common import ConversionError, Output


def gdal_errors_logged():
    """A context in which GDAL's own error lines (``ERROR 1: PROJ: … crs not found``) go to Python's
    logging (logger ``rasterio._env``) and not straight to stderr, beside the message of ours that
    names the file or option: rasterio installs its error handler for the life of an ``Env``."""
    import rasterio

    return rasterio.Env()


def open_raster(path, mode: str = "r", **kwargs):
    """``rsvlm.io.sources.open_raster`` (``rasterio.open`` without its NotGeoreferencedWarning),
    imported on use so that importing the converters loads no numpy."""
    from rsvlm.io.sources import open_raster as _open

    return _open(path, mode, **kwargs)


def image_size(path: Path, out: Output | None = None) -> tuple[int, int]:
    """(width, height) of an image read to its end, so that a truncated file is caught here and
    not in training: rasterio reads GeoTIFF/JP2 block by block, PIL checks a PNG's chunks and
    ``rsvlm.io.pngcheck`` that its pixel data inflates whole (no unfiltering), a JPEG is decoded at 1/8 scale, other formats whole; an image past PIL's
    decompression-bomb limit (a 20000 px DOTA-v2 scene) is read by rasterio in strips of rows.

    What GDAL says of a damaged file it still reads (a bogus strip count, a broken page chain)
    is counted in ``out``'s notes under a key naming the file (``PATH: GDAL warning while
    reading: …``), or without ``out`` logged as a warning naming it (logger ``data_gen.convert``);
    it went to stderr naming no file, or nowhere. Raises ``ConversionError`` naming the file when
    it cannot be read, with what GDAL said on the way.
    """
    from rsvlm.io.pngcheck import check_png_data, is_png
    from rsvlm.io.sources import check_image_path, gdal_message, library_messages

    path = path if isinstance(path, Path) else Path(path)  # a GDAL name's WrittenName kept as written
    heard: list[str] = []
    try:
        check_image_path(path)  # "empty file (0 bytes)", not "cannot identify image file"
    except (ValueError, FileNotFoundError) as e:
        raise ConversionError(str(e)) from e
    if (gone := missing_member(path)) is not None:  # was unreadable_image, GDAL's "does not exist in the file system"
        raise MissingMember(gone)
    try:
        # a GDAL name (/vsizip/…, NETCDF:s1.nc:VV: no file of its own) is GDAL's alone to read
        gdal = path.suffix.lower() in (".tif", ".tiff", ".jp2") or not path.is_file()
        if not gdal and is_png(path):  # PIL's verify checks CRCs; damaged data under a new CRC was copied
            check_png_data(path)
        size = None if gdal else _pil_size(path)
        if size is None:
            with gdal_errors_logged(), library_messages() as heard:
                size = _gdal_size(path, by_blocks=gdal)
    except Exception as e:  # noqa: BLE001 - any reader failure is a bad input file
        why = gdal_message(e)
        unquoted = str.maketrans("", "", "`'\"")  # GDAL quotes a name `so' in its log, 'so' when raised
        said = "; ".join(n for n in heard if n.split(": ", 1)[-1].translate(unquoted) not in why.translate(unquoted))
        raise ConversionError(f"{path}: cannot read image ({why}){f' [{said}]' if said else ''}") from e
    for note in heard:
        if out is not None:
            out.note(f"{path}: {note}")
        else:
            import logging

            logging.getLogger("data_gen.convert").warning("%s: %s", path, note)
    return size


class MissingMember(ConversionError):
    """A GDAL name (``/vsizip/pack.zip/b.png``) whose archive is there but holds no such member: a missing file,
    not an unreadable one."""


def missing_member(name) -> str | None:
    """Why the zip or tar member ``name`` names (``/vsizip/pack.zip/b.png``, a ``GTIFF_DIR:2:`` page of one) is
    missing, naming the archive, the member and some it holds; None where it is there, where ``name`` names no
    archive member, or the archive cannot be listed (GDAL then says why). A member under a nested archive
    (``/vsizip/a.zip/b.zip/x.tif``) counts as there when the inner archive is: only the outer one is listed."""
    from rsvlm.io.archives import VSI_ARCHIVE, gtiff_page, vsi_archive

    text = str((gtiff_page(name) or (None, name))[1]).replace("\\", "/")
    if not (m := VSI_ARCHIVE.match(text)) or (archive := vsi_archive(text)) is None:
        return None
    member = text[m.end():].strip("/")
    try:
        st = archive.stat()
    except OSError:
        return None
    if not member or (listed := _archive_files(str(archive.resolve()), st.st_mtime_ns, st.st_size)) is None:
        return None
    files, held = listed
    parts = member.split("/")
    if any("/".join(parts[:k]) in held for k in range(1, len(parts) + 1)):  # it, or a nested archive it is in
        return None
    shown = ", ".join(files[:3]) + (f" … ({len(files)} files)" if len(files) > 3 else "")
    return f"{name}: {archive} holds no {member} ({f'it holds {shown}' if files else 'it is empty'})"


@functools.lru_cache(maxsize=4)
def _archive_files(archive: str, mtime_ns: int, size: int) -> tuple[tuple[str, ...], frozenset[str]] | None:
    """The files of zip or tar ``archive``, in order and as a set, its folders left out (a tar's ``scenes`` has no
    trailing /), or None for another file. Listed once while the file is unchanged (``mtime_ns``, ``size``):
    ``missing_member`` asks for each record, and a 247 MB .tar.gz of 5,000 images took 2 s a time to list."""
    from rsvlm.io.archives import archive_names

    if (listed := archive_names(Path(archive))) is None or listed[0] not in ("zip", "tar"):
        return None
    folders = {n.rstrip("/").rsplit("/", 1)[0] for n in listed[1] if "/" in n.rstrip("/")}
    folders |= {f.rsplit("/", k)[0] for f in list(folders) for k in range(1, f.count("/") + 1)}
    files = tuple(n for n in listed[1] if not n.endswith("/") and n not in folders)
    return files, frozenset(files)


def _pil_size(path: Path) -> tuple[int, int] | None:
    """(width, height) of an image PIL reads through, or None for one past PIL's decompression-bomb
    limit (it was skipped as unreadable; its warning below the limit printed naming no file)."""
    import warnings

    from PIL import Image

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # a large scene: its size is the point
        try:
            im = Image.open(path)
        except Image.DecompressionBombError:
            return None
        with im:
            size = im.size  # draft shrinks it
            if im.format == "PNG":
                im.verify()
            else:
                im.draft(im.mode, (1, 1))  # JPEG: smallest DCT scale, still reads every byte
                im.load()
            return size


def _gdal_size(path: Path, by_blocks: bool) -> tuple[int, int]:
    """(width, height) of a raster rasterio reads through: block by block (a tiled GeoTIFF), or in
    strips of rows (a PNG or JPEG), never all rows at once: GDAL 3.10 reads a truncated 8-bit PNG
    whole without an error (the rows it lacks are whatever was in memory), row by row with one."""
    from rasterio.windows import Window

    with open_raster(path) as ds:
        if by_blocks:
            for _, win in ds.block_windows():
                ds.read(window=win)
        else:
            rows = max(1, min(2**24 // max(1, ds.width * ds.count), (ds.height + 1) // 2))  # <= 16 M samples
            for y in range(0, ds.height, rows):
                ds.read(window=Window(0, y, ds.width, min(rows, ds.height - y)))
        return ds.width, ds.height


class WrongBands(ConversionError):
    """An image whose bands cannot be read as the modality its records would name."""


def check_bands(path: Path, modality: str | None) -> None:
    """Raise ``WrongBands`` naming ``path`` when ``rsvlm.io.read`` cannot read it as ``modality``
    (a 4-band R, G, B, NIR GeoTIFF under the default ``--modality optical``, a 4-band scene as
    ``ir``): its records failed only in training. The message says what the reader would infer.
    A PNG or JPEG always reads as optical (1 or 3 colour bands) and is not opened for it; the
    other checks open the file's header, and read a 3-band image shrunk for ``sar`` / ``ir``."""
    from data_gen.crop import RASTER_SUFFIXES

    if modality is None or modality == "optical" and Path(path).suffix.lower() not in RASTER_SUFFIXES:
        return
    from rsvlm.io.read import SceneReader
    from rsvlm.io.sources import ImageReadError

    try:
        with SceneReader(path, modality):
            return
    except ImageReadError as e:
        raise ConversionError(str(e)) from e
    except ValueError as e:  # plan_bands / check_dtype: the band count or dtype does not fit
        why = str(e)
    try:
        with SceneReader(path) as r:
            why = guessed_hint(why, "it reads as", r.modality)
    except ValueError:
        pass
    raise WrongBands(why)


def guessed_hint(why: str, says: str, modality: str) -> str:
    """The reader's refusal ``why`` with what the file reads as (``says``: "it reads as") in place of the reader's
    own hint ("; it can be read as msi, sar: …", "…: give --modality sar, or none …"), which it names more loosely:
    both had been said, one after the other."""
    head = why.split("; it can be read as ")[0].split(": give --modality ")[0]
    return f"{head}; {says} {modality} (--modality {modality})"


def readable_size(path: Path, out: Output, where: str, modality: str | None = None,
                  cache: dict | None = None) -> tuple[int, int] | None:
    """``image_size`` (its library messages in ``out``'s notes), or None after counting the image
    as skipped ``unreadable_image``, ``missing_image`` (an archive member that is not there), or
    ``wrong_band_count`` where it cannot be read as ``modality`` (``check_bands``). ``cache``: path → its size or the error, kept by the caller across
    calls, so that an image many entries name (a VQA image's questions) is read once and each entry
    skipped as the first was."""
    found = cache.get(path) if cache is not None else None
    if found is None:
        try:
            found = image_size(path, out)
            check_bands(path, modality)
        except ConversionError as e:
            found = e
        if cache is not None:
            cache[path] = found
    if isinstance(found, ConversionError):
        reason = {WrongBands: "wrong_band_count", MissingMember: "missing_image"}.get(type(found), "unreadable_image")
        detail = str(found).removeprefix(f"{path}: ") if str(path) in where else str(found)  # the path said once
        out.skip(reason, where, detail)
        return None
    return found
