"""GDAL's archive paths (``/vsizip/pack.zip/B02.tif``, absolute as ``/vsizip//data/pack.zip/…``): the archive one
reads, the name GDAL is to be given where a ``Path`` folded its ``//``, and the rasters an archive holds; a TIFF page's
name (``GTIFF_DIR:2:p.tif``) and the file in it. Zip, tar and gzip are listed here; 7z and rar only by GDAL."""

from __future__ import annotations

import re
import shlex
import tarfile
import zipfile
import zlib
from pathlib import Path

PIL_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".avif")  # .avif: GDAL here has no AVIF
TIFF_SUFFIXES = (".tif", ".tiff")
# a product folder's subfolders of no band files (a .SAFE's web page, masks, quick-looks), passed over by hints
NOT_BAND_FOLDERS = ("html", "qi_data", "aux_data", "datastrip", "rep_info", "preview", "support", "annotation")


def natural(p: Path) -> list:
    """``p`` sorted with its numbers as numbers: a Landsat folder's B1, B2 … B10, not B1, B10, B11, B2."""
    return [(0, int(t), "") if t.isdigit() else (1, 0, t) for t in re.split(r"(\d+)", str(p))]


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
    such raster") with its // again; a TIFF page's name (``gtiff_page``) with its file so, and unquoted: GDAL reads
    all after ``GTIFF_DIR:2:`` as the file (``GTIFF_DIR:2:"/a:b/p.tif"`` was "No such file"); any other as given."""
    text = str(name)
    if page := gtiff_page(text):
        return page[0] + gdal_path(page[1])
    m = VSI_ARCHIVE.match(text)
    if m and not _written_absolute(m) and not Path(m[2]).is_absolute() and (archive := vsi_archive(text)) is not None \
            and archive.is_absolute():  # (read as ./data/a.zip where that is there: a relative one as written)
        return f"{text[:m.start(2)]}/{text[m.start(2):]}"
    return text


# a TIFF page as GDAL names it: GTIFF_DIR:2:p.tif (its second page), GTIFF_DIR:off:8192:p.tif (the page at byte 8192)
GTIFF_PAGE = re.compile(r"(GTIFF_DIR:(?:off:)?\d+:)(.+)", re.I)


def gtiff_page(name) -> tuple[str, str] | None:
    """(``GTIFF_DIR:2:``, the file) of a TIFF page's GDAL name, the file unquoted (``GTIFF_DIR:2:"/a:b/p.tif"``: GDAL
    takes the rest of the name as the file, quotes and all); the file may be a GDAL archive path
    (``GTIFF_DIR:2:/vsizip/x.zip/p.tif``); None for another name."""
    if not (m := GTIFF_PAGE.fullmatch(str(name))):
        return None
    quoted = len(m[2]) > 2 and m[2][0] == m[2][-1] == '"' and not Path(m[2]).exists()  # (a file named "p.tif" is)
    file = m[2][1:-1] if quoted else m[2]
    return m[1], file


def member_text(p: Path, most: int = 1 << 20) -> str | None:
    """The text (its first ``most`` bytes) of file ``p`` on disk, or of the zip or tar member a GDAL archive path names
    (``/vsitar/LC08_….tar/LC08_…_MTL.txt``: a sidecar beside a band read from the archive); None where there is none.
    A tar's members are read up to the one named only (a whole .tar.gz product had been decompressed, twice, to find
    it; one cut short raised a bare EOFError); 7z and rar are not read."""
    text = str(p).replace("\\", "/")
    if (m := VSI_ARCHIVE.match(text)) is None:
        if not p.is_file():
            return None
        with open(p, "rb") as f:
            return f.read(most).decode("utf-8", "replace")
    archive, member = vsi_archive(text), text[m.end():]
    if archive is None or not archive.is_file() or m[1].lower() not in ("zip", "tar"):
        return None
    try:
        if m[1].lower() == "zip":
            with zipfile.ZipFile(archive) as z, z.open(member) as f:
                return f.read(most).decode("utf-8", "replace")
        with tarfile.open(archive) as tar:
            info = next((i for i in tar if i.name == member), None)  # (``getmember`` reads every header first)
            f = None if info is None else tar.extractfile(info)
            return None if f is None else f.read(most).decode("utf-8", "replace")
    except (KeyError, OSError, EOFError, zlib.error, zipfile.BadZipFile, tarfile.TarError):  # none, or damaged, cut
        return None


def _written_absolute(m: re.Match) -> bool:
    """Whether ``VSI_ARCHIVE``'s match ``m`` names its archive absolute: a second / after ``/vsizip/``."""
    return "/" in m[0][len(m[1]) + 5:m.start(2)]


def archive_names(p: Path) -> tuple[str, list[str]] | None:
    """(kind, its members' names) of zip, tar or gzip archive ``p`` (a gzip's one member: ""); None for another file."""
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
    except (OSError, EOFError, zlib.error, zipfile.BadZipFile, tarfile.TarError):  # a .tar.gz cut short: EOFError
        pass
    return None


def in_archive(p: Path) -> list[Path] | None:
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
    from rsvlm.io.headers import header_data  # (headers reads archives through ``in_archive``)

    if (listed := archive_names(p)) is None:
        return None
    kind, names = listed
    root = f"/vsi{kind}/{str(p)}"  # GDAL's absolute form: /vsizip//data/a.zip/…
    headed = {f"{n.rpartition('/')[0]}/{d.name}".lstrip("/") for n in names if n.lower().endswith(".hdr")
              for d in header_data(Path(f"{root}/{n}"))[0]}  # an ENVI header's data file: was "it holds no … image"
    rasters = sorted((n for n in names if (n in headed or n.lower().endswith((*TIFF_SUFFIXES, ".jp2", *PIL_SUFFIXES)))
                      and not {f.lower() for f in n.split("/")[:-1]} & set(NOT_BAND_FOLDERS)), key=natural)  # SAFE's
    return kind, f"/vsi{kind}/", [shlex.quote(root)] if kind == "gzip" else [shlex.quote(f"{root}/{n}") for n in rasters]
