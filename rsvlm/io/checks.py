"""What is wrong with a name given as an image, said naming it: no file there (a URL, a folder, a
device), a text file, and what tifffile and GDAL log about a damaged file (``library_messages``).
``sources.py`` reads through these; its callers import them from there too.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shlex
import threading
from pathlib import Path

PIL_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp")
TIFF_SUFFIXES = (".tif", ".tiff")
# a product folder's subfolders of no band files (a .SAFE's web page, masks, quick-looks), passed over by hints
NOT_BAND_FOLDERS = ("html", "qi_data", "aux_data", "datastrip", "rep_info", "preview", "support", "annotation")


class ImageReadError(ValueError):
    """A file exists but cannot be decoded (truncated, corrupt, or not an image)."""


# where the libraries log what they find wrong in a file: tifffile's "invalid page offset", GDAL's
# "TIFFReadDirectory: Bogus StripByteCounts field" (through rasterio), none naming the file
LIBRARY_LOGGERS = ("tifffile", "rasterio._env", "rasterio._err", "rasterio._base", "rasterio._io")


class _Heard(logging.Filter):
    """Takes this thread's warnings (and GDAL's errors, which rasterio logs at INFO and may not
    raise) off a library logger into ``notes``, so they do not print without the file's name."""

    def __init__(self, notes: list[str], floor: dict[str, int]):
        super().__init__()
        self.notes, self.thread = notes, threading.get_ident()
        self.floor = floor  # each logger's level before ``library_messages`` lowered it

    def filter(self, record: logging.LogRecord) -> bool:
        failure = record.levelno == logging.INFO and str(record.msg).startswith("GDAL signalled an error")
        if record.thread != self.thread or (record.levelno < logging.WARNING and not failure):
            return record.levelno >= self.floor.get(record.name, logging.NOTSET)  # as if not lowered
        if "parsing GDAL_NODATA tag raised" in record.getMessage():  # NaN of uint16: ``tiff.nodata_tag_note``
            return False  # says it with the file's name (tifffile logs it at every open of the file)
        if record.name.startswith("rasterio"):  # rasterio: (err_no, msg) or (code, msg)
            msg = record.args[-1] if isinstance(record.args, tuple) and record.args else record.getMessage()
            msg = re.sub(r"^[^\s:]+\.\w{2,5}: (?=\w)", "", str(msg))  # GDAL says it once with the file's name, once without
            note = f"GDAL {'error' if failure else 'warning'} while reading: {msg}"
        else:  # "<tifffile.TiffPages @8> invalid page offset 1000000000"
            note = f"{record.name} {record.levelname.lower()} while reading: " + re.sub(
                r"^<\w+\.(\w+) @(\d+)> ", r"\1 @\2: ", record.getMessage())
        if note not in self.notes:
            self.notes.append(note)
        return False


@contextlib.contextmanager
def library_messages():
    """Within the block, what tifffile and rasterio (GDAL) log about the file read (a damaged IFD, a
    bogus strip count) is appended to the list it yields instead of printed to stderr naming no file."""
    notes: list[str] = []
    loggers = [logging.getLogger(n) for n in LIBRARY_LOGGERS]
    heard = _Heard(notes, {lg.name: lg.getEffectiveLevel() for lg in loggers})
    lowered = [lg for lg in loggers if lg.getEffectiveLevel() > logging.INFO]  # a user's DEBUG stays
    levels = [lg.level for lg in lowered]
    for lg in loggers:
        lg.addFilter(heard)
    for lg in lowered:  # GDAL's errors come at INFO; nothing below WARNING passes the filter
        lg.setLevel(logging.INFO)
    try:
        yield notes
    finally:
        for lg in loggers:
            lg.removeFilter(heard)
        for lg, level in zip(lowered, levels):
            if not any(isinstance(f, _Heard) for f in lg.filters):  # another thread's read still listens
                lg.setLevel(level)


class _Drop(logging.Filter):
    """Drops what this thread logs (``unheard``); other threads' records pass on to the next filter."""

    def __init__(self):
        super().__init__()
        self.thread = threading.get_ident()

    def filter(self, record: logging.LogRecord) -> bool:
        return record.thread != self.thread


@contextlib.contextmanager
def unheard():
    """Within the block, what this thread's library calls log is dropped, before ``library_messages`` hears it: a
    parse allowed to fail whose failure the caller says itself (a .prj's "missing CONVERSION node" was also a
    note "GDAL error while reading: …", of an image read without error)."""
    drop, loggers = _Drop(), [logging.getLogger(n) for n in LIBRARY_LOGGERS]
    for lg in loggers:
        lg.filters.insert(0, drop)  # first: a filter that refuses stops the ones after it
    try:
        yield
    finally:
        for lg in loggers:
            lg.removeFilter(drop)


def gdal_message(err: BaseException) -> str:
    """``err``'s message, or where rasterio's says only "See previous exception for details." (a
    failed read), the GDAL error it chains: "IReadBlock failed at X offset 0, Y offset 24: …"."""
    cause = err.__cause__ or err.__context__
    if "previous exception" in str(err) and cause is not None:
        return str(cause)
    return str(err)


def text_start(p) -> str | None:
    """The start of ``p`` where it is a text file (an HTML error page saved as .tif, a JSON, a list of
    paths), else None: an image that cannot be read is then named as text, not as a corrupt raster."""
    try:
        with open(p, "rb") as f:
            head = f.read(512)
        text = head.decode("utf-8")
    except (OSError, UnicodeDecodeError):  # binary (or cut mid-character: then binary enough)
        return None
    if not text.strip() or any(c < " " and c not in "\t\r\n" for c in text):
        return None
    first = text.strip().splitlines()[0]
    return first[:60] + ("…" if len(first) > 60 else "")


def raw_cut_short(p, ds) -> ImageReadError | None:
    """The error for a raw raster's data file (``ds``, a rasterio dataset opened as ``p``; ENVI or ESRI ``.hdr``)
    shorter than its header says (header offset + samples × lines × bands × bytes a value; an ESRI header's skipped
    bytes and gaps only add, so its data alone is the least): GDAL reads such a file's missing rows as 0, unsaid
    (ENVI files may be sparse), so a download cut short read as black bands; None where it is whole, compressed
    (ENVI's ``file compression = 1``) or packed below a byte a value (``NBITS 4``)."""
    import numpy as np

    if ds.driver not in ("ENVI", "EHdr") or not ds.files:
        return None
    envi = ds.tags(ns="ENVI")
    hdr = next((f for f in ds.files[1:] if f.lower().endswith(".hdr")), None)
    try:
        offset = int(envi.get("header_offset", 0))
        compressed = int(envi.get("file_compression", 0))
        nbits = int(m[1]) if ds.driver == "EHdr" and (m := re.search(  # (GDAL keeps no NBITS tag of an ESRI header)
            r"(?im)^\s*NBITS\s+(\d+)", _header_text(hdr))) else 8
    except ValueError:
        return None
    need = offset + ds.width * ds.height * ds.count * np.dtype(ds.dtypes[0]).itemsize
    try:
        have = os.path.getsize(ds.files[0])
    except OSError:  # a GDAL virtual path (/vsizip/…): no size to compare
        return None
    if compressed or nbits < 8 or have >= need:
        return None
    header = Path(hdr).name if hdr else "its header"
    start = f"from byte {offset}" if ds.driver == "ENVI" else "at least"  # (an ESRI header's skipped bytes unread)
    return ImageReadError(f"{p}: the data file is cut short: {have} bytes, where {header} describes {need} "
                          f"({n_bands(ds.count)} of {ds.width}x{ds.height} {ds.dtypes[0]}, {start}; "
                          f"{_share(1 - max(have - offset, 0) / (need - offset))} missing); a download or copy "
                          "that stopped? Fetch or copy it again (GDAL would read the missing part as 0)")


def _share(f: float) -> str:
    """``f`` (0 … 1) as a percentage, rounded away from 0 % and 100 % where it is neither (50 bytes of 12800 was
    ``0%``)."""
    return "under 1%" if 0 < f < 0.01 else "over 99%" if 0.99 < f < 1 else f"{f:.0%}"


def _header_text(hdr: str | None) -> str:
    """The text of a raw raster's header ``hdr`` (its first 64 KB); "" where there is none or it cannot be read."""
    if hdr:
        with contextlib.suppress(OSError), open(hdr, "rb") as h:
            return h.read(65536).decode("latin-1")
    return ""


def not_readable(p, what: str, why) -> ImageReadError:
    """The error for a file whose format no reader recognised: said to be text where it is
    (``text_start``; a recognised text format, a VRT with a missing source, keeps the reader's words), an archive
    with the GDAL paths of the rasters in it (``archive_rasters``: it was "truncated or corrupt")."""
    if ("not recognized" in str(why) or "cannot identify" in str(why)) and (start := text_start(p)):
        return ImageReadError(f"{p}: a text file, not an image (it starts {start!r})")
    archive = vsi_archive(p)
    if (found := archive_rasters(archive or Path(p))) is not None:
        kind, vsi, inside = found
        rasters = f"e.g. {', '.join(inside[:3])}" + (f" ({len(inside)} in all)" if len(inside) > 3 else "")
        said = (f"{p}: no such raster in {archive}; give one it holds, " if archive else
                f"{p}: a {kind} archive, not an image; give a raster in it as GDAL reads it, ")
        return ImageReadError(said + (rasters if inside else f"as {vsi}{archive or p}/<file> (it holds no .tif, .jp2 or "
                                      "image file)") + ", or unpack it and give the file")
    return ImageReadError(f"{p}: {what} ({why})")


# a GDAL path into an archive: /vsizip/pack.zip/B02.tif, /vsizip//data/S2.zip/…, /vsitar/{a.tar}/x.tif, /vsigzip/a.tif.gz
VSI_ARCHIVE = re.compile(r"/vsi(zip|tar|7z|rar|gzip)/+\{?(.+?\.(?:zip|tar|tar\.gz|tgz|7z|rar|kmz|gz))\}?(?:/|$)", re.I)


def vsi_archive(name) -> Path | None:
    """The local archive a GDAL archive path reads (``/vsizip/pack.zip/B02.tif`` → ``pack.zip``; an absolute one
    as ``/vsizip//data/pack.zip/…``, or ``/vsizip/data/…`` where a Path folded its //), else None."""
    if not (m := VSI_ARCHIVE.match(str(name).replace("\\", "/"))):
        return None
    given = Path(m[2])
    if _written_absolute(m):  # /vsizip//data/… (its archive not ./data/…)
        return Path("/", m[2])
    return given if given.exists() or not Path("/", m[2]).exists() else Path("/", m[2])


def gdal_path(name) -> str:
    """``name`` as GDAL is to read it: a GDAL archive path whose absolute archive a ``Path`` folded (a record's
    ``/vsizip//data/a.zip/B02.tif`` read as ``Path``: ``/vsizip/data/a.zip/…``, which GDAL reads from ``./data``, "no
    such raster") with its // again; any other name as given."""
    text = str(name)
    m = VSI_ARCHIVE.match(text)
    if m and not _written_absolute(m) and not Path(m[2]).is_absolute() and (archive := vsi_archive(text)) is not None \
            and archive.is_absolute():  # (read as ./data/a.zip where that is there: a relative one as written)
        return f"{text[:m.start(2)]}/{text[m.start(2):]}"
    return text


def _written_absolute(m: re.Match) -> bool:
    """Whether ``VSI_ARCHIVE``'s match ``m`` names its archive absolute: a second / after ``/vsizip/``."""
    return "/" in m[0][len(m[1]) + 5:m.start(2)]


def archive_names(p: Path) -> tuple[str, list[str]] | None:
    """(kind, its members' names) of zip, tar or gzip archive ``p`` (a gzip's one member: ""); None for another file."""
    import tarfile
    import zipfile

    try:
        if zipfile.is_zipfile(p):
            with zipfile.ZipFile(p) as z:
                return "zip", z.namelist()
        if p.is_file() and tarfile.is_tarfile(p):
            with tarfile.open(p) as t:  # none in it: no tar (a file of zeros passes is_tarfile: was "a tar archive")
                return ("tar", names) if (names := t.getnames()) else None
        if p.is_file():  # one file gzipped (scene.tif.gz), else no archive
            with p.open("rb") as f:
                return ("gzip", [""]) if f.read(2) == b"\x1f\x8b" else None
    except (OSError, zipfile.BadZipFile, tarfile.TarError):
        pass
    return None


def _in_archive(p: Path) -> list[Path] | None:
    """The files beside ``p`` in its zip or tar (``/vsizip/pack.zip/scene.hdr``: pack.zip's in that folder), as
    GDAL paths; None where ``p`` is in none."""
    text = str(p).replace("\\", "/")
    if not (m := VSI_ARCHIVE.match(text)) or (archive := vsi_archive(text)) is None or not (
            listed := archive_names(archive)):
        return None
    folder = text[m.end():].rpartition("/")[0]
    return [Path(text[:m.end()] + n) for n in listed[1] if n.rpartition("/")[0] == folder and not n.endswith("/")]


def archive_rasters(p: Path) -> tuple[str, str, list[str]] | None:
    """(kind, GDAL prefix, the GDAL paths of the rasters in it) of zip, tar or gzip archive ``p``; None for another file.
    A zipped Sentinel-2 ``.SAFE``'s band files are among them (``/vsizip/S2B_….zip/S2B_….SAFE/GRANULE/…_B02_10m.jp2``)."""
    if (listed := archive_names(p)) is None:
        return None
    kind, names = listed
    root = f"/vsi{kind}/{str(p)}"  # GDAL's absolute form: /vsizip//data/a.zip/…
    headed = {f"{n.rpartition('/')[0]}/{d.name}".lstrip("/") for n in names if n.lower().endswith(".hdr")
              for d in header_data(Path(f"{root}/{n}"))[0]}  # an ENVI header's data file: was "it holds no … image"
    rasters = sorted((n for n in names if (n in headed or n.lower().endswith((*TIFF_SUFFIXES, ".jp2", *PIL_SUFFIXES)))
                      and not {f.lower() for f in n.split("/")[:-1]} & set(NOT_BAND_FOLDERS)), key=_natural)  # SAFE's
    return kind, f"/vsi{kind}/", [shlex.quote(root)] if kind == "gzip" else [shlex.quote(f"{root}/{n}") for n in rasters]


# GDAL's network file systems (/vsicurl/, /vsis3/ …), given alone or inside an archive's path (/vsizip//vsicurl/…)
NETWORK = re.compile(r"(?i)(?:/vsi(?:zip|tar|7z|rar|gzip)/+\{?)*(/vsi(?:curl|s3|gs|az|adls|oss|swift|hdfs|webhdfs)"
                     r"(?:_streaming)?/)")
# a URL given as an image: ``Path`` folds its "//" to "/", so one slash or more after the scheme
URL = re.compile(r"(?i)(https?|ftp|s3|gs|gcs|az|abfss?|wasbs?|hdfs):/+")
FILE_URL = re.compile(r"(?i)file:(/+)(.*)")  # file:///data/a.tif; file:/data/a.tif where a Path folded it


def file_url_message(name: str, url: re.Match) -> str:
    """What to say of a file URL given as an image: the path in it (its %20 decoded; the host
    ``localhost`` or none), or that it is on another host. (An existing PNG's was 'truncated or
    corrupt', a TIFF's read by GDAL: each reader took it its own way.)"""
    from urllib.parse import unquote

    slashes, rest = url.groups()
    host, path = rest.split("/", 1) if len(slashes) == 2 and "/" in rest else ("", rest)
    given = name if len(slashes) > 1 else f"file:///{rest}"  # as written, where a Path folded its "//"
    if len(slashes) == 2 and "/" not in rest or host.lower() not in ("", "localhost"):
        return f"{given}: a file URL on another host, and rsvlm reads local files only; copy it here and give its path"
    return f"{given}: a file URL; give the path itself: /{unquote(path)}"


HEADER_DATA = ("", ".img", ".dat", ".bin", ".raw", ".bsq", ".bil", ".bip", ".flt", ".envi")  # beside an ENVI / EHdr .hdr


def header_data(p: Path) -> tuple[list[Path], str]:
    """(its data files, the names looked for) for a raster header ``p`` (``x.hdr``, ENVI's or ESRI's, which GDAL
    refuses: it opens the data file): ``x.img``, ``x`` … (``HEADER_DATA`` added to the name, so ``x_2020.06.13.hdr``
    finds ``x_2020.06.13.img``), in any case (``SCENE.HDR`` beside ``scene.img`` or ``SCENE.IMG``), or ``x.img``
    for ``x.img.hdr``; in that order, empty where none is there. GDAL's own refusal named no data file."""
    stem = p.with_suffix("")
    own = stem.suffix.lower() in HEADER_DATA[1:]  # x.img.hdr: the header of x.img
    names = [stem.with_name(stem.name + s) for s in ([""] if own else HEADER_DATA)]
    inside = _in_archive(p)  # /vsizip/pack.zip/scene.hdr: pack.zip's scene.img (the disk's had been looked in)
    try:  # the folder's names, compared case-insensitively (a Windows pair on a case-sensitive disk)
        beside = sorted(n for n in (p.parent.iterdir() if inside is None else inside) if n.suffix.lower() != ".hdr")
    except OSError:
        beside = []
    found: list[Path] = []
    for want in names:
        for n in beside:  # scene.img and scene.IMG are one file on a case-insensitive disk
            if n.name.lower() == want.name.lower() and (n not in found if inside is not None else n.is_file() and not
                                                        any(n.samefile(f) for f in found)):
                found.append(n)
    return found, ", ".join(n.name for n in names)


def header_files(p: Path, name, among: bool = False) -> list[Path]:
    """The data files beside raster header ``p`` (``header_data``), given as ``name`` (alone, or ``among`` band
    files); an ImageReadError naming it and the files looked for where there is none."""
    found, looked = header_data(p)
    if not found:
        raise ImageReadError(f"{name}: a raster header{' among the band files' * among}, not "
                             f"{'an' if among else 'the'} image, and no data file beside it ({looked})")
    return found


def band_headers(names: list[str]) -> tuple[list[str], list[str]]:
    """Band files given with raster headers among them (``B02.img B02.hdr B03.img B03.hdr``: a folder's ``*``):
    a header whose data file is given too is left out, one given alone stands for its data file (``header_data``),
    with a note saying which, also in a zip or tar (``/vsizip/pack.zip/B02.hdr``); ``names`` as given where fewer
    than two or none is a header. Raises ImageReadError,
    naming the header, where no data file is beside it (GDAL's refusal said 'not a readable raster')."""
    names, sidecars = _without_sidecars(names)
    if len(names) < 2 or not any(Path(n).suffix.lower() == ".hdr" for n in names):
        return names, sidecars
    given = [Path(n) for n in names if Path(n).suffix.lower() != ".hdr"]
    out, dropped, swapped = [], [], []
    for n in names:
        p = Path(n)
        inside = _in_archive(p)  # /vsizip/pack.zip/B02.hdr: in the archive (on disk, none: it had been read as a band)
        if p.suffix.lower() != ".hdr" or not (p.is_file() if inside is None else p in inside):  # one missing is
            out.append(n)  # check_image_path's to name
            continue
        found = header_files(p, n, among=True)
        if any(f == g if inside is not None else g.is_file() and f.samefile(g) for f in found for g in given):
            dropped.append(p.name)
        else:
            out.append(str(found[0]) if inside is None else n[: len(n) - len(p.name)] + found[0].name)  # its //
            swapped.append(f"{p.name} by its data file {found[0].name}")
    notes = [f"raster header{'s' * (len(dropped) > 1)} {', '.join(dropped)} given beside {'their' if len(dropped) > 1 else 'its'} "
             f"data file{'s' * (len(dropped) > 1)}: left out (a header is no band)"] if dropped else []
    return out, sidecars + notes + ([f"read {', '.join(swapped)} (a header is no band)"] if swapped else [])


SIDECARS = (".aux.xml", ".ovr", ".msk")  # GDAL's own files beside an image, named after it whole (B02.jp2.aux.xml)


def _without_sidecars(names: list[str]) -> tuple[list[str], list[str]]:
    """``names`` without GDAL's sidecars of another of them (``B02.jp2.aux.xml`` beside ``B02.jp2``: a folder's
    ``*`` after QGIS computed its statistics; it was refused as 'a text file, not an image'), and a note naming
    them; as given where there is none. ESRI's ``B02.aux.xml`` (the image's name without its extension) is one of
    ``B02.tif`` given too, as ArcGIS writes it."""
    given = {str(n).lower() for n in names}
    esri = {str(Path(n).with_suffix("")).lower() for n in names if Path(n).suffix and not _sidecar_named(str(n))}
    side = [n for n in names for s in SIDECARS if str(n).lower().endswith(s) and (
        str(n).lower()[: -len(s)] in given or s == ".aux.xml" and str(n).lower()[: -len(s)] in esri)]
    if not side or len(side) == len(names):
        return names, []
    kept = [n for n in names if n not in side]
    return kept, [f"GDAL sidecar{'s' * (len(side) > 1)} {', '.join(Path(n).name for n in side)} given beside "
                  f"{'their' if len(side) > 1 else 'its'} image: left out (it holds the image's statistics or metadata, no band)"]


def _sidecar_named(name: str) -> bool:
    return any(name.lower().endswith(s) for s in SIDECARS)


def check_image_path(name: Path | str) -> None:
    """Raise, naming ``name``, unless it is a file; a folder's error lists the rasters in it as the
    comma-separated band files it may have been meant as; an empty file is an ImageReadError, and so
    is a path the system refuses to look at (a name past its length limit). A URL that is no local
    file is a FileNotFoundError saying to download it (rsvlm reads local files only)."""
    p = Path(name)
    try:
        p.stat()
    except (FileNotFoundError, NotADirectoryError):
        pass  # said below, with what is there instead
    except OSError as e:  # ENAMETOOLONG, EACCES on a folder above it: was a traceback from is_file()
        raise ImageReadError(f"{p}: {e.strerror}") from None
    if p.is_file() and p.stat().st_size == 0:  # a download or copy that never wrote: say so, not "unrecognised format"
        raise ImageReadError(f"{p}: empty file (0 bytes)")
    if p.is_file():
        return
    if (url := FILE_URL.match(str(name))) and not p.is_dir():
        raise FileNotFoundError(file_url_message(str(name), url))
    if _subdataset_file(p) is not None:  # (it took file:///a.png for a GDAL driver "file" and its file)
        return
    if net := NETWORK.match(str(name)):  # GDAL's, alone or holding an archive (/vsizip//vsicurl/https://…/a.zip/…)
        raise FileNotFoundError(f"{name}: a file on the network (GDAL's {net[1]}), and rsvlm reads local files only; "
                                "download it first (curl -O, aws s3 cp, gsutil cp) and give the downloaded file's path")
    if (archive := vsi_archive(name)) is not None:  # /vsizip/pack.zip/B02.tif: was "image not found"
        if archive.is_file():
            return  # (a file it does not hold: ``not_readable`` names those it holds)
        raise FileNotFoundError(f"image not found: {name} (its archive {archive} is not there)")
    if p.exists() and not p.is_dir():  # /dev/null, a pipe, a socket: was "image not found" though it is there
        raise ImageReadError(f"{p}: not a regular file (a device, pipe or socket); give an image file")
    if not p.is_dir() and (url := URL.match(str(name))):  # was "image not found: https:/host/scene.tif"
        scheme, rest = url.group(1), str(name)[url.end():]
        given = f"{scheme}://{rest}"  # as written, where a Path folded its "//"
        raise FileNotFoundError(f"{given}: a URL, and rsvlm reads local files only; download it first "
                                f"(curl -O, aws s3 cp, gsutil cp) and give the downloaded file's path")
    if not p.is_dir() and "," in str(name) and all(Path(q.strip()).is_file() for q in str(name).split(",")):
        raise FileNotFoundError(f"image not found: {p}; it names {str(name).count(',') + 1} files comma-separated: "
                                "give band files as a list (read_image([\"B02.jp2\", \"B03.jp2\"]))")
    if not p.is_dir() and str(name).startswith("~") and (home := Path(os.path.expanduser(str(name)))).exists():
        raise FileNotFoundError(f"image not found: {p}; a path's ~ is not expanded here (the shell does): give "
                                f"{home} (os.path.expanduser)")  # was "image not found" of a file that is there
    if not p.is_dir():
        raise FileNotFoundError(f"image not found: {p}")
    raise FileNotFoundError(f"{p} is a folder, not an image file{_folder_hint(p)}")


def _folder_hint(p: Path, depth: int = 5, most: int = 2000) -> str:
    """What to give instead of the folder ``p``: its rasters, or where it holds none itself, those in
    its subfolders down to ``depth`` (a Sentinel-2 .SAFE's GRANULE/*/IMG_DATA/R10m/*.jp2, a Sentinel-1's
    measurement/*.tiff), looking at ``most`` entries at most; "" where none is found."""
    is_raster = lambda f: f.suffix.lower() in (*TIFF_SUFFIXES, ".jp2", *PIL_SUFFIXES)  # noqa: E731
    found, seen, level = [], 0, [p]
    for _ in range(depth):
        entries = [f for d in level for f in _entries(d)]
        found = sorted((f for f in entries if f.is_file() and is_raster(f)), key=_natural)
        seen += len(entries)
        if found or seen > most:
            break
        # not into a product's web page, quality masks or quick-looks: a .SAFE's HTML/banner_1.png was offered
        level = sorted((f for f in entries if f.is_dir() and f.name.lower() not in NOT_BAND_FOLDERS), key=str)
    if not found:
        return ""
    found = [f for f in found if f.parent == found[0].parent]  # one folder's: not bands of several granules
    where = "" if found[0].parent == p else f" (in {found[0].parent.relative_to(p)}: {len(found)} rasters)"
    first = shlex.quote(str(found[0]))  # quoted where it must be to paste: a path with spaces was cut at them
    if len(found) == 1:  # one image: no band files to join
        return f"; give its image{where}: {first}"
    return (f"; give one of its images{where}, e.g. {first}, or, where they are one file per band, them "
            f"comma-separated: {shlex.quote(','.join(str(f) for f in found[:4]))}{',…' if len(found) > 4 else ''}")


def _natural(p: Path) -> list:
    """``p`` sorted with its numbers as numbers: a Landsat folder's B1, B2 … B10, not B1, B10, B11, B2."""
    return [(0, int(t), "") if t.isdigit() else (1, 0, t) for t in re.split(r"(\d+)", str(p))]


def _entries(d: Path) -> list[Path]:
    try:
        return list(d.iterdir())
    except OSError:  # unreadable: nothing found there
        return []


def _subdataset_file(p) -> Path | None:
    """The file inside a GDAL subdataset name, or None: ``NETCDF:scene.nc:VV``, ``HDF5:"a.h5"://grid/VV``,
    ``GTIFF_DIR:2:pages.tif`` (a TIFF's second page), ``HDF4_EOS:EOS_GRID:"MOD09.hdf":grid:band``. Unquoted, the
    longest run of its ``:``-separated fields that is a file: ``GTIFF_DIR:1:/a:b/p.tif``'s file holds a ``:``
    (split at each, it had been "image not found")."""
    m = re.fullmatch(r"[A-Za-z][A-Za-z0-9_]+:(.+)", str(p))
    if m is None:
        return None
    if quoted := re.findall(r'"([^"]+)"', m.group(1)):
        return next((Path(c) for c in quoted if Path(c).is_file()), None)
    f = m.group(1).split(":")
    runs = sorted((":".join(f[i:j]) for i in range(len(f)) for j in range(i + 1, len(f) + 1)), key=len, reverse=True)
    return next((Path(c) for c in runs if c and Path(c).is_file()), None)


def n_bands(n: int) -> str:
    """``n`` bands said with the right number: "1 band", "2 bands"."""
    return f"{n} band{'s' * (n != 1)}"


def dtype_said(src) -> str:
    """The type of a source's values as notes say it: GDAL's ``CInt16`` for a Sentinel-1 SLC's complex 16-bit
    integers, which rasterio reads as numpy's complex64 (a note had said "complex64"), else ``src.dtype``."""
    datasets = getattr(src, "datasets", None) or [None]
    return "CInt16" if getattr(datasets[0], "dtypes", ("",))[0] == "complex_int16" else src.dtype


def mixed_types(name: str, dtypes: tuple[str, ...]) -> ValueError:
    """The refusal of file ``name`` whose bands read differ in type (a ``gdalbuildvrt -separate`` VRT of uint16 DN and
    a float32 band: rasterio said only "more than one 'dtype' found"), with the ``gdal_translate -ot`` writing them as
    one type; bands of another type left out of the read (an incidence angle) are no matter."""
    import numpy as np
    from rasterio.dtypes import dtype_rev, typename_fwd  # GDAL's type names: Float32, CFloat32

    ot = typename_fwd[dtype_rev[str(np.result_type(*("complex64" if t == "complex_int16" else t for t in dtypes)))]]
    return ValueError(f"{name}: its bands are of different types ({', '.join(dtypes)}), read as one image of one type: "
                      f"write them as one (gdal_translate -ot {ot} {name} {Path(name).with_suffix('')}_one_type.tif)")
