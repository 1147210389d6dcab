"""A record's image names resolved against the records' root (DESIGN.md "Instruction record": relative paths are
the records file's folder's, or ``data.root``'s), GDAL's names included: an archive path's archive
(``/vsizip/pack.zip/B02.tif``) and a subdataset name's file (``NETCDF:s1.nc:VV``, ``HDF5:"f.h5"://grid``) are
relative paths too."""

from __future__ import annotations

import re
from pathlib import Path

from rsvlm.io.archives import VSI_ARCHIVE, gtiff_page

# a GDAL subdataset name: DRIVER:rest (NETCDF:s1.nc:VV, HDF5:"f.h5"://grid, GTIFF_DIR:2:pages.tif); no drive letter C:
_SUBDATASET = re.compile(r"([A-Za-z][A-Za-z0-9_]+):(.+)")  # (GDAL reads the prefix in any case: netcdf:s1.nc:VV)


class WrittenName(type(Path())):
    """A ``Path`` whose text is the name as written, for GDAL (``str``, ``os.fspath``): ``Path`` folds a subdataset's
    ``HDF5:/data/f.h5://grid`` to ``…:/grid``, which GDAL cannot open, and ``/vsizip//ROOT/pack.zip/x.tif`` to
    ``/vsizip/ROOT/…``, whose archive reads as relative (a missing one was said as ``ROOT/pack.zip``, no leading /).
    The callers' ``Path`` uses (``stat``, ``is_file``, ``os.path.abspath``, pickling) read the text as written."""

    written: str = ""

    def __str__(self) -> str:
        return self.written or super().__str__()

    def __fspath__(self) -> str:
        return str(self)

    def __reduce__(self):  # pickled as written (Path's own rebuilds it from the folded parts)
        return written, (str(self),)


def written(text: str) -> Path:
    """``text`` as a ``Path``: a ``WrittenName`` where ``Path`` would fold it."""
    if str(Path(text)) == text:
        return Path(text)
    name = WrittenName(text)
    name.written = text
    return name


def resolve_name(name: str, root: Path) -> Path:
    """``name``, a record's image file, against ``root``: a relative path joined to it; a GDAL archive path's
    relative archive (``/vsizip/pack.zip/x.tif`` → ``/vsizip//ROOT/pack.zip/x.tif``) and a subdataset name's
    relative file (``NETCDF:s1.nc:VV`` → ``NETCDF:ROOT/s1.nc:VV``) joined to it, the rest of the name as written; a TIFF
    page's file likewise, an archive path too (``GTIFF_DIR:2:/vsizip/pack.zip/p.tif``: its archive had been the working
    folder's). A relative name written with Windows' backslashes (``imgs\\a.tif``, a JSONL written there) is the file
    with slashes where no file is named with the backslashes; a drive's (``C:\\data\\a.tif``) is no file here."""
    if "\\" in name and not (root / name).exists() and (root / (slashed := name.replace("\\", "/"))).exists():
        return resolve_name(slashed, root)
    if (page := gtiff_page(name)) and not (root / name).exists():
        inner = resolve_name(page[1], root)  # (as written where it is absolute: a Path folds /vsizip//…)
        return written(page[0] + (page[1] if str(inner) == str(Path(page[1])) else str(inner)))
    if Path(name).is_absolute():
        if not (m := VSI_ARCHIVE.match(name)):
            return Path(name)
        head = name[:m.start(2)]  # /vsizip/… (its archive was looked for in the working folder, not root)
        if head.count("/") > 2 or Path(m[2]).is_absolute():  # /vsizip//data/a.zip/…, /vsizip/{/data/a.zip}/…
            return Path(name)  # (a Path folds its //: rsvlm.io.checks.gdal_path reads it as written)
        return written(f"{head}{root / m[2]}{name[m.end(2):]}")  # /vsizip//ROOT/…: as written, the archive absolute
    if not (m := _SUBDATASET.fullmatch(name)) or (root / name).exists():  # (a file so named: itself)
        return root / name
    if (found := _file_part(m, root)) is None:
        return root / name
    start, part, quoted = found
    if Path(part).is_absolute():
        return written(name)
    file, end = str(root / part), start + len(part)
    if not quoted and ":" in file and end < len(name):  # a root with a ":": NETCDF:/a:b/s1.nc:VV is ambiguous to GDAL,
        file = f'"{file}"'  # quoted as GDAL's drivers read it; a last part (GTIFF_DIR:2:/a:b/p.tif) is the rest, as is
    return written(f"{name[:start]}{file}{name[end:]}")


def gdal_container(name: str, root: Path) -> tuple[Path, str, str] | None:
    """For a GDAL name, its container file (``/vsizip/pack.zip/x.tif``'s archive, ``NETCDF:s1.nc:VV``'s file; a
    relative one against ``root``, as ``resolve_name`` reads it) and the text of ``name`` before and after the part
    naming it (``/vsizip/``, ``/x.tif``; the head's // folded): a converter that copies the container names it anew
    between them. The file may be missing (the part with a suffix, as the reader says); None for another name."""
    if (page := gtiff_page(name)) and VSI_ARCHIVE.match(page[1]) and not (root / name).exists():  # a page in a zip
        file, head, rest = gdal_container(page[1], root)  # its archive (the path in it had been taken for the file)
        return file, page[0] + head, rest
    if m := VSI_ARCHIVE.match(name):
        head = name[:m.start(2)]
        file = Path("/", m[2]) if head.count("/") > 2 else Path(m[2]) if Path(m[2]).is_absolute() else root / m[2]
        return file, re.sub("/+", "/", head), name[m.end(2):]
    if Path(name).is_absolute() or not (m := _SUBDATASET.fullmatch(name)) or (root / name).exists():
        return None
    if (found := _file_part(m, root)) is None:
        return None
    start, part, _ = found
    return root / part, name[:start], name[start + len(part):]


def _file_part(m: re.Match, root: Path) -> tuple[int, str, bool] | None:
    """For ``_SUBDATASET``'s match ``m`` of a name, the part naming its file: (where it starts in the name, the part,
    whether it was quoted: ``HDF5:"f.h5"://grid``); the part that exists under ``root``, else for a driver's name in
    capitals the part with a suffix (missing: the reader says so; ``img_10:20.tif`` is a file's); None for neither."""
    quoted = re.search(r'"([^"]+)"', m[2])
    parts = [quoted[1]] if quoted else m[2].split(":")
    k = next((k for k, p in enumerate(parts) if p and (root / p).exists()), None)
    if k is None and m[1].isupper():
        k = next((k for k, p in enumerate(parts) if Path(p).suffix), None)
    if k is None:
        return None
    return m.start(2) + (quoted.start(1) if quoted else sum(len(p) + 1 for p in parts[:k])), parts[k], bool(quoted)


def image_paths(record: dict, root: str | Path) -> list[list[Path]]:
    """Per image, the file(s) to read: ``[path]`` or its ``band_files``, resolved against ``root`` (``resolve_name``)."""
    root = Path(root)
    return [[resolve_name(p, root) for p in im.get("band_files") or [im["path"]]] for im in record["images"]]
