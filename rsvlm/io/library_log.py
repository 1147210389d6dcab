"""What tifffile and GDAL (through rasterio) log while a file is read, heard and said naming the file
(``library_messages``) or dropped where the caller says it (``unheard``); GDAL's error behind rasterio's bare one
(``gdal_message``). Only the logging of the calling thread is heard: another thread's read is no concern of it."""

from __future__ import annotations

import contextlib
import logging
import re
import threading
from pathlib import Path

# where the libraries log what they find wrong in a file: tifffile's "invalid page offset", GDAL's
# "TIFFReadDirectory: Bogus StripByteCounts field" (through rasterio), none naming the file
LIBRARY_LOGGERS = ("tifffile", "rasterio._env", "rasterio._err", "rasterio._base", "rasterio._io")

# libtiff's word for a tag whose values lie past the file's end: a TIFF whose IFD and tag values come after its pixels
# (sar_hh.tif) cut short by 322 bytes read whole pixels and no georeferencing, said only as four such GDAL warnings
# (its file's name first, or none: a name with a space, "band 2.tif", is more than the name of other notes)
PAST_END = re.compile(r'^(?:(?P<file>.+?): )?\w+: ?IO error during reading of "(?P<tag>\w+)"; tag ignored')
CUT_TAGS, CUT_FILES = "the file is cut short: its tags ", "files cut short: "


def _cut_tags(by_file: dict[str, list[str]]) -> str:
    """The note on TIFF tags whose values lie past their file's end (libtiff ignored them), by file name (band files
    read together: each file's tags named with it, not merged as one file's)."""
    geo, one = any(t.startswith(("Geo", "Model")) for tags in by_file.values() for t in tags), len(by_file) == 1
    lost = " (georeferencing tags among them: the image may be read as not georeferenced, or placed wrongly)" * geo
    # ("may": a multi-page TIFF's page 2 cut in its tags reads its page 1 georeferenced all the same)
    first = next(iter(by_file))  # "" where GDAL named no file
    name = " of each" if not one else f" of {first}" if first else ""
    whole = f"; get a whole copy{name} (copy or download it again: a transfer cut short leaves such a file)"
    if one:
        return f"{CUT_TAGS}{', '.join(*by_file.values())} lie past its end and were not read{lost}{whole}"
    return (CUT_FILES + "; ".join(f"{name}'s tags {', '.join(tags)}" for name, tags in by_file.items())
            + f" lie past their ends and were not read{lost}{whole}")


class _Heard(logging.Filter):
    """Takes this thread's warnings (and GDAL's errors, which rasterio logs at INFO and may not
    raise) off a library logger into ``notes``, so they do not print without the file's name."""

    def __init__(self, notes: list[str], floor: dict[str, int], names=()):
        super().__init__()
        self.notes, self.thread = notes, threading.get_ident()
        self.names = tuple(f"{Path(n).name}: " for n in names)  # the files read: GDAL's prefix, spaces and all
        self.floor = floor  # each logger's level before ``library_messages`` lowered it
        self.past_end: dict[str, list[str]] = {}  # by file name: TIFF tags whose values lie past its end (``PAST_END``)
        self.cut_file = ""  # the file GDAL last named in such a warning (it says each again naming none)

    def filter(self, record: logging.LogRecord) -> bool:
        failure = record.levelno == logging.INFO and str(record.msg).startswith("GDAL signalled an error")
        if record.thread != self.thread or (record.levelno < logging.WARNING and not failure):
            return record.levelno >= self.floor.get(record.name, logging.NOTSET)  # as if not lowered
        if "parsing GDAL_NODATA tag raised" in record.getMessage():  # NaN of uint16: ``tiff.nodata_tag_note``
            return False  # says it with the file's name (tifffile logs it at every open of the file)
        if "returns an approximate value of the true nodata" in record.getMessage():  # rasterio's float of a 64-bit
            return False  # band's nodata (2**64 - 1): GDAL's mask, which the read takes, is the exact value's
        if record.name.startswith("rasterio"):  # rasterio: (err_no, msg) or (code, msg)
            msg = record.args[-1] if isinstance(record.args, tuple) and record.args else record.getMessage()
            raw = str(msg).strip()  # "GetRasterBand(4) - Illegal band #\n" (a SamplesPerPixel changed) ends in a newline
            named = re.match(r"^([^\s:]+\.\w{2,5}): (?=\w)", raw)  # GDAL says it once with the file's name, once without
            name = next((n for n in self.names if raw.startswith(n)), "")  # "band 2.tif: " is no \S+ name
            msg = raw[len(name):] if name else raw[named.end():] if named else raw
            if m := PAST_END.match(raw):  # a file cut short in its tags' values: one note for all, what it loses
                self.cut_file = m["file"] or self.cut_file
                tags = self.past_end.setdefault(self.cut_file, [])
                tags += [m["tag"]] * (m["tag"] not in tags)  # (GDAL reads the IFD twice: said once)
                self.notes[:] = [n for n in self.notes if not n.startswith((CUT_TAGS, CUT_FILES))] + [
                    _cut_tags(self.past_end)]
                return False
            note = f"GDAL {'error' if failure else 'warning'} while reading: {msg}"
        else:  # "<tifffile.TiffPages @8> invalid page offset 1000000000"
            note = f"{record.name} {record.levelname.lower()} while reading: " + re.sub(
                r"^<\w+\.(\w+) @(\d+)> ", r"\1 @\2: ", record.getMessage().strip())
        if note not in self.notes:
            self.notes.append(note)
        return False


@contextlib.contextmanager
def library_messages(*names):
    """Within the block, what tifffile and rasterio (GDAL) log about the file read (a damaged IFD, a
    bogus strip count) is appended to the list it yields instead of printed to stderr naming no file; GDAL's
    prefix of a file's name is taken off (any of ``names``, the files read, or a name with no space)."""
    notes: list[str] = []
    loggers = [logging.getLogger(n) for n in LIBRARY_LOGGERS]
    heard = _Heard(notes, {lg.name: lg.getEffectiveLevel() for lg in loggers}, names)
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
