"""The PIL backend behind ``sources.open_source`` (a plain PNG or JPEG, decoded whole) and ``ArraySource``,
the in-memory source it and tifffile (``tiff.tifffile_source``) give. PIL leaves an image to GDAL
(``_ForGdal``) past its decompression-bomb limit, as colour of 16 bits a channel, or where it is a TIFF
misnamed (``_Misnamed``)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

from rsvlm.io.budget import check_fits
from rsvlm.io.checks import ImageReadError, not_readable
from rsvlm.io.file_kinds import held_format, unread  # noqa: F401 (held_format: imported from here by tests)
from rsvlm.io.fills import nodata_valid
from rsvlm.io.large import PIL_DTYPES, DecodedWhole
from rsvlm.io.pngcheck import check_whole_png

PIL_AS_RGB = ("CMYK", "YCbCr", "LAB", "HSV")  # PIL modes read (and tiled: data_gen.crop) as RGB


def pil_cuts_bits(im) -> bool:
    """Whether PIL reads the open image ``im`` with fewer bits than stored: colour with 16 bits a
    channel ("RGB;16B"), which it cuts to 8 (a 16-bit grey PNG it keeps)."""
    return im.mode in ("RGB", "RGBA", "LA") and any(";16" in str(t[3]) for t in im.tile)


def exif_note(turn) -> list[str]:
    """The note for an EXIF orientation ``turn`` other than 1 (as stored), which no reader here applies."""
    return [] if str(turn) in ("1", "None", "") else [
        f"EXIF orientation {turn} ignored: pixels are read as stored, as GDAL reads them (a photo viewer "
        "shows them turned or mirrored)"]


# The one format each image extension names (.img, .dat, .bin name none: ENVI's and ERDAS's both) and the format each
# of GDAL's drivers and PIL's format names reads; a file whose extension names another than its own is said so
NAMED_FORMAT = {".tif": "TIFF", ".tiff": "TIFF", ".jp2": "JPEG 2000", ".j2k": "JPEG 2000", ".png": "PNG",
                ".jpg": "JPEG", ".jpeg": "JPEG", ".gif": "GIF", ".webp": "WebP", ".bmp": "BMP",
                ".avif": "AVIF", ".pdf": "PDF"}
READ_FORMAT = {"GTiff": "TIFF", "COG": "TIFF", "TIFF": "TIFF", "JP2OpenJPEG": "JPEG 2000", "JP2KAK": "JPEG 2000",
               "JP2ECW": "JPEG 2000", "JP2MrSID": "JPEG 2000", "JPEG2000": "JPEG 2000", "PNG": "PNG", "JPEG": "JPEG",
               "MPO": "JPEG", "GIF": "GIF", "WEBP": "WebP", "BMP": "BMP", "AVIF": "AVIF", "PDF": "PDF"}


def misnamed_note(path: Path, read_as: str) -> str | None:
    """The note for a file whose extension names one format (``NAMED_FORMAT``) but that GDAL's driver or PIL's
    format ``read_as`` reads as another (Sentinel-2 band files saved as GeoTIFFs named ``.jp2``; a GeoTIFF named
    ``.png``); None where they agree or the extension names no one format (``.img``). Its kind comes first ("a TIFF
    named .jp2: B02.jp2 read as one"), so that an eval's notes of many such files are one kind, not one a file."""
    return misnamed_notes([(path, read_as)])[0] if _misnamed_kind(path, read_as) else None


def _misnamed_kind(path: Path, read_as: str) -> str | None:
    """"a TIFF named .jp2" (``misnamed_note``), else None."""
    named = NAMED_FORMAT.get(path.suffix.lower())
    # a driver's (GTiff), held_format's ("JPEG 2000"), else ENVI's "a file GDAL's ENVI driver reads"
    held = READ_FORMAT.get(read_as) or (read_as if read_as in READ_FORMAT.values() else
                                        f"file GDAL's {read_as} driver reads,")
    return None if named is None or held == named else f"a{'n' * (held == 'AVIF')} {held} named {path.suffix}"


def misnamed_notes(read: list[tuple[Path, str]]) -> list[str]:
    """``misnamed_note`` of each (path, format read) of band files, one note for those alike (four Sentinel-2 band
    files: "a TIFF named .jp2: B02.jp2, B03.jp2, B04.jp2, B08.jp2 each read as one", not four notes)."""
    groups: dict[str, list[str]] = {}
    for p, fmt in read:
        if kind := _misnamed_kind(p, fmt):
            groups.setdefault(kind, []).append(p.name)
    return [f"{kind}: {', '.join(names)}{' each' * (len(names) > 1)} read as one" for kind, names in groups.items()]


def with_misnamed(err: ImageReadError, names: list) -> ImageReadError:
    """``err`` (a file of ``names`` that would not read, named first in it) with "; a TIFF named .jp2, read as one"
    where its first bytes are of another format than its extension names, as a misnamed file that reads is noted
    (``misnamed_notes``): the error had spoken of TIFF tiles for a file named .jp2, unexplained."""
    name = next((n for n in names if str(err).startswith(f"{n}:")), None)
    if type(err) is not ImageReadError or name is None or unread(held := held_format(name)) or held is None:
        return err  # (a HEIC, a video, a PDF: said by ``file_kinds.unread_kind``, none read as one)
    kind = _misnamed_kind(Path(str(name)), held)
    return ImageReadError(f"{err}; {kind}, read as one") if kind and kind not in str(err) else err


class _ForGdal(Exception):
    """An image PIL would not read as it is: past its decompression-bomb guard, or colour with 16
    bits a channel, which PIL cuts to 8 (a 16-bit grey PNG it keeps)."""


class _Misnamed(_ForGdal):
    """A TIFF named as a photo (.png, .jpg): PIL reads its first 3 bands as RGB and drops the others, its
    georeferencing and nodata; GDAL reads it as the TIFF it is. The message is the note that says so."""


def _read_pil(path: Path, png_checked: set | None = None) -> tuple[np.ndarray, int | None, list[str], str]:
    """(bands (C, H, W) as stored, alpha band index or None, notes: an EXIF orientation ignored,
    frames after the first, 16-bit colour cut to 8 bits; its PIL mode as stored: "1" bilevel, "P" paletted). A PNG's pixel data is checked whole unless
    ``png_checked`` holds it (``pngcheck.check_whole_png``)."""
    import warnings

    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():  # "possible decompression bomb DOS attack" on a large scene
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            warnings.filterwarnings("ignore", category=UserWarning, module=r"PIL\.TiffImagePlugin")  # a damaged TIFF
            im = Image.open(path)  # named .png ('Corrupt EXIF data', two lines on stderr): GDAL reads it, and says
        with im:
            misnamed = misnamed_note(path, im.format)
            if im.format == "TIFF":  # an RGBN GeoTIFF named .png read as RGB: its NIR band dropped unsaid
                raise _Misnamed(misnamed)
            deep = pil_cuts_bits(im)
            if deep and importlib.util.find_spec("rasterio") is not None:
                raise _ForGdal(f"{im.mode} with 16 bits a channel")
            _check_decode_fits(im)
            im.load()
            fmt, mode = im.format, im.mode
            turn = im.getexif().get(0x0112, 1)  # EXIF Orientation: 1 = as stored
            frames = getattr(im, "n_frames", 1)  # an animated GIF / WebP / APNG: PIL decodes the first
            key = im.info.get("transparency") if im.mode not in ("P", "RGBA", "LA") else None  # a tRNS colour
            if im.mode == "P":
                im = im.convert("RGBA" if "transparency" in im.info else "RGB")
            elif im.mode in ("1", *PIL_AS_RGB):
                im = im.convert("L" if im.mode == "1" else "RGB")
            arr = np.asarray(im)
            bands = im.getbands()
    except Image.DecompressionBombError as e:
        raise _ForGdal(str(e)) from e
    except UnidentifiedImageError as e:
        if held_format(path) == "TIFF":  # a TIFF PIL cannot open (complex SAR) named .png: "not a readable image" had ended it
            raise _Misnamed(misnamed_note(path, "TIFF")) from e
        if importlib.util.find_spec("rasterio") is not None:  # a PNG whose header is damaged: GDAL says it truncated or
            raise _ForGdal(f"PIL cannot identify it ({e})") from e  # corrupt, with what to do ("not a readable image")
        raise not_readable(path, "not a readable image", e) from e
    except (OSError, SyntaxError, ValueError) as e:  # PIL reports truncation as OSError
        raise ImageReadError(f"{path}: cannot decode image, truncated or corrupt ({e})") from e
    if fmt == "PNG":  # after the decode: a file cut short is its "truncated" error
        check_whole_png(path, png_checked)
    arr = arr[None] if arr.ndim == 2 else np.moveaxis(arr, -1, 0)  # (H, W, C) → (C, H, W)
    if arr.dtype == np.int32 and arr.size and arr.min() >= 0 and arr.max() < 65536:
        arr = arr.astype(np.uint16)  # PIL "I" mode holds 16-bit PNGs
    alpha = bands.index("A") if "A" in bands else None
    if key is not None and alpha is None and len(np.atleast_1d(key)) == len(arr):  # a grey or RGB PNG's tRNS: was kept
        arr, alpha = np.concatenate([arr, ~(arr == np.reshape(key, (-1, 1, 1))).all(0, keepdims=True)]), len(arr)
    notes = exif_note(turn) + ([misnamed] if misnamed else [])  # a JPEG named .png
    notes += ["16 bits a channel cut to 8 by PIL (rasterio, not installed, keeps them)"] if deep else []
    notes += [f"the file holds {frames} frames; the first is read"] if frames > 1 else []
    return arr, alpha, notes, mode


def _check_decode_fits(im) -> None:
    """Before PIL decodes the open image ``im`` whole (its pixels and then their numpy copy, a palette
    as RGBA): ``_ForGdal`` where that does not fit in the memory free and rasterio is there to read
    the file in windows, else a MemoryError (``budget.check_fits``)."""
    bands = 4 if im.mode == "P" else 3 if im.mode in PIL_AS_RGB else len(im.getbands())
    try:
        check_fits(im.width, im.height, bands, PIL_DTYPES.get(im.mode, "uint8"), scaled=False, copies=2)
    except MemoryError as e:
        if importlib.util.find_spec("rasterio") is not None:
            raise _ForGdal(f"too large to decode whole: {e}") from e
        raise DecodedWhole(f"PIL decodes a {im.format} whole: {e}") from e


class ArraySource:
    """A decoded image held in memory (PIL / tifffile); not georeferenced."""

    def __init__(self, path: Path, arr_alpha: tuple[np.ndarray, int | None], notes: list[str] | None = None, *,
                 bilevel: bool = False, paletted: bool = False, colours: list[str | None] | None = None,
                 nodata: float | None = None, mask: np.ndarray | None = None):
        self.arr, self.alpha_index = arr_alpha  # (C, H, W)
        self.mask = mask  # (H, W) bool, a TIFF's internal mask (valid where True), read by tifffile
        self.bilevel = bilevel  # 1 bit a pixel (PIL mode "1", a bilevel TIFF): a mask's, not imagery's
        self.paletted = paletted  # colour indices expanded to R, G, B (PIL mode "P")
        self.file_nodata = nodata  # a TIFF's GDAL_NODATA tag, read by tifffile (NaN allowed)
        self.paths = [path]
        self.count, self.height, self.width = self.arr.shape
        self.dtype = str(self.arr.dtype)
        self.crs = self.transform = self.gcps = None
        self.descriptions, self.units = [None] * self.count, [None] * self.count
        self.colour_names = colours or (["R", "G", "B", None][: self.count] if self.count in (3, 4) else [None] * self.count)
        self.notes = list(notes or [])
        self.fill_in_any_band = True  # but I and Q bands (``iq.ComplexPairs``): ``fills.masks_any_band``
        self.declares_nodata = nodata is not None or mask is not None  # PIL: an alpha band at most; tifffile: a
        # GDAL_NODATA tag or an internal mask

    def read(self, window, indexes: list[int], nodata: float | None):
        x0, y0, w, h = window
        raw = self.arr[indexes, y0 : y0 + h, x0 : x0 + w]  # (C, h, w)
        valid = None
        if self.alpha_index is not None:
            valid = self.arr[self.alpha_index, y0 : y0 + h, x0 : x0 + w] > 0
        if self.mask is not None:
            m = self.mask[y0 : y0 + h, x0 : x0 + w]  # (h, w)
            valid = m if valid is None else valid & m
        if (nd := self.file_nodata) is not None:  # the file's own, declared: where every band holds it, as GDAL's
            held = np.isnan(raw) if np.isnan(nd) else raw == nd  # dataset mask takes it (not ``masks_any_band``'s)
            valid = ~held.all(axis=0) if valid is None else valid & ~held.all(axis=0)
        return raw, nodata_valid(self, raw, valid, nodata)  # a given or found one: every source's rule

    def read_decimated(self, max_side: int, indexes: list[int], nodata: float | None):
        """The whole image at most ``max_side`` a side, of the size and pixels GDAL's nearest read gives
        (``RasterioSource.read_decimated``): a whole step of ``ceil(side / max_side)`` had read a 2100 px PNG at
        1050 px for ``read_shrunk(2048)``, where the same image as a TIFF was read at 2048."""
        step = max(1.0, max(self.width, self.height) / max_side)
        h, w = max(1, round(self.height / step)), max(1, round(self.width / step))
        raw, valid = self.read((0, 0, self.width, self.height), indexes, nodata)
        if (h, w) == (self.height, self.width):  # no smaller: as read (an index copy took 0.3 s at 2048 px)
            return raw, valid
        rows = (2 * np.arange(h) + 1) * self.height // (2 * h)  # each output pixel's centre, exact (GDAL's nearest)
        cols = (2 * np.arange(w) + 1) * self.width // (2 * w)  # np.take: 4000 to 2048 px in 0.03 s (fancy: 0.1-0.24)
        return (raw.take(rows, axis=-2).take(cols, axis=-1),
                None if valid is None else valid.take(rows, axis=0).take(cols, axis=1))

    def close(self):
        pass
