"""What GDAL's ``.aux.xml`` sidecar beside an image (its PAM file: band names, colours, nodata, georeferencing
written where the format cannot hold them) did unsaid: one cut short, or opening with an XML declaration or comment
(GDAL 3.10 reads none of it then), is ignored whole, and one that describes bands the file lacks (a sidecar copied
from another file) has those entries ignored while its entries for the bands there are applied (a Sentinel-1 VV
band read as "B08"), and a nodata it sets over a GeoTIFF's own is applied in its place. ``sidecar_notes`` says
each, naming the sidecar.

A sidecar whose ends are those of one ``<PAMDataset>`` element and whose band numbers fit is not parsed (GDAL has
parsed it): an open pays a read and a byte scan (17 us for a 0.5 kB sidecar, 0.4 ms for 240 kB of histograms,
where a parse took 0.12 and 2.2 ms).
A tag broken inside such a sidecar (``<PAMRasterBand band="2"`` cut before its ``>``, a ``<Metadata>`` never
closed), which GDAL's parser refuses whole as it does a cut one, is found by a scan from tag to tag (``_broken_tag``:
0.55 ms for 180 kB of 12 bands' histograms, 314 tags, where expat took 0.48; 10 us for 0.1 kB) and said with the tag
and its line. The scan and the ends take tags as GDAL 3.10's parser does, not as expat: ``< /PAMDataset>``, ``<A></a>``
and ``<MDI key='a'domain='b'>`` are read (they had been said "not readable XML"), ``</ PAMRasterBand>`` is refused;
it reads a C string: NULs padding a sidecar, or text after its end, are left, and a NUL inside one cuts it short.
Cannot: tell a sidecar that lies about a band the file does have (its name or colour) from a true one."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import numpy as np

WORDS = {"Description": "name", "ColorInterp": "colour"}  # PAM band tags said in a note
BAND = re.compile(rb"""<PAMRasterBand\s[^>]*?\bband\s*=\s*["'](\d+)""")
# one whole tag as GDAL's parser takes it (a space after < but none after </, a value unquoted, no space between
# attributes), a comment, CDATA or declaration; its ends (a space inside them, an end tag in any case) as GDAL reads them
ATTR = rb"""[^\s<>/='"]+\s*=\s*(?:"[^"]*"|'[^']*'|[^\s<>/'"]+)"""
TAG = re.compile(rb"""<(?:\s*(?P<end>/?)(?P<name>[^\s<>/='"!?]+)(?:\s+""" + ATTR + rb"""(?:\s*""" + ATTR + rb""")*)?"""
                 rb"""\s*(?P<empty>/?)>|!--.*?-->|!\[CDATA\[.*?\]\]>|\?.*?\?>|![A-Z][^>]*>)""", re.S)
HEAD_TAG, TAIL_TAG = re.compile(rb"<\s*PAMDataset[\s/>]"), re.compile(rb"<\s*/PAMDataset\s*>\s*\Z", re.I)


def _band_numbers(data: bytes) -> list[int]:
    """The ``band=`` numbers of ``data``'s ``<PAMRasterBand>`` tags (a scan from tag to tag, no XML parse)."""
    found, at = [], data.find(b"<PAMRasterBand")
    while at >= 0:
        if m := BAND.match(data, at, at + 400):
            found.append(int(m.group(1)))
        at = data.find(b"<PAMRasterBand", at + 14)
    return found


def _broken_tag(data: bytes) -> str | None:
    """What breaks ``data``'s tags (one cut before its ``>``, an unquoted attribute, an element closed by another's
    end tag or never closed: each makes GDAL's parser refuse the whole sidecar), with its line; None where each
    ``<`` starts a whole tag (a comment, CDATA, a declaration) and each element is closed in turn."""
    def line(at: int) -> int:
        return data.count(b"\n", 0, at) + 1

    open_tags: list[tuple[bytes, int]] = []  # (name, offset)
    at = data.find(b"<")
    while at >= 0:
        if (m := TAG.match(data, at)) is None:
            cut = data[at:at + 40].split(b">")[0].splitlines()[0].decode("latin-1")
            return f"a tag broken at line {line(at)}: {cut!r}"
        if m["name"] and m["end"]:
            if not open_tags or open_tags[-1][0].lower() != m["name"].lower():  # GDAL's EQUAL
                was = f"<{open_tags[-1][0].decode('latin-1')}> (line {line(open_tags[-1][1])})" if open_tags else "nothing"
                return f"</{m['name'].decode('latin-1')}> at line {line(at)} closes {was}"
            open_tags.pop()
        elif m["name"] and not m["empty"]:
            open_tags.append((m["name"], at))
        at = data.find(b"<", m.end())
    if open_tags:
        return f"<{open_tags[-1][0].decode('latin-1')}> at line {line(open_tags[-1][1])} is never closed"
    return None


def _ignored(side, ds, data: bytes) -> str | None:
    """The note on a sidecar GDAL read none of (not one whole ``<PAMDataset>`` element, or a tag broken inside
    one), or None."""
    text = data.split(b"\0", 1)[0]  # GDAL's parser reads a C string: a NUL byte ends it (NULs padding a copy too)
    start = text.lstrip(b"\xef\xbb\xbf \t\r\n")
    head = HEAD_TAG.match(start) is not None
    whole = head and TAIL_TAG.search(text, max(0, len(text) - 4096)) is not None
    if head and (broken := _broken_tag(text)) is None:  # what follows the PAMDataset's end GDAL leaves (text, NULs)
        return None
    if not start:  # a 0-byte sidecar (a copy cut at its start): expat's "no element found" said it unclearly
        return f"{side}: GDAL's sidecar of {ds.name} is empty ({len(data)} bytes, no XML): ignored; remove it"
    nul = f"; a NUL byte at byte {len(text)} ends it for GDAL" if text.rstrip() != data.rstrip(b"\0 \t\r\n") else ""
    try:
        ET.fromstring(text)
    except ET.ParseError as e:  # the scan's word where it found the tag (an undefined entity, which GDAL reads,
        why = f"is not readable XML ({broken if whole else e}{nul})"  # may be expat's first complaint)
    else:
        if not start.startswith((b"<?", b"<!")):  # <PAMDataset/>, a comment after it: read as it is
            return None
        why = f"opens with {start[:5].decode('latin-1')!r} (GDAL reads its first node alone, not the PAMDataset after it)"
    return (f"{side}: GDAL's sidecar of {ds.name} {why}: ignored, its band names, nodata and georeferencing "
            "(if it held any) not applied; fix or remove it")


def _past(side, ds, data: bytes, past: list[int]) -> str:
    """The note on a sidecar describing bands ``past`` the file's count, with the entries GDAL applied."""
    try:
        bands = [b for b in ET.fromstring(data).iter("PAMRasterBand") if str(b.get("band", "")).isdigit()]
    except ET.ParseError:  # read by GDAL all the same (an undefined entity, a byte not UTF-8): entries unsaid
        bands = []
    used = {b.get("band"): ", ".join(f"{WORDS[t.tag]} {t.text}" for t in b if t.tag in WORDS)
            for b in bands if int(b.get("band")) <= ds.count and any(t.tag in WORDS for t in b)}
    s, said = "s" * (len(past) > 1), ", ".join(map(str, past))
    return (f"{side}: GDAL's sidecar describes band{s} {said}, but {ds.name} has {ds.count} "
            f"band{'s' * (ds.count > 1)}: it may be another file's; its entries for band{s} {said} are ignored"
            + (f", yet those for {'; '.join(f'band {k} ({v})' for k, v in used.items())} are applied" if used else "")
            + " (remove the sidecar if it is not this file's)")


def sidecar_notes(datasets) -> list[str]:
    """Notes on the ``.aux.xml`` sidecars (those GDAL lists among a dataset's files: no look where it lists none)
    of rasterio ``datasets`` that GDAL ignored in whole or part: not one whole PAMDataset element, or band entries
    past the file's band count (the entries it applied said with them); [] where none."""
    notes, seen = [], set()
    for ds in datasets:
        side = next((f for f in ds.files if str(f).lower().endswith(".aux.xml")), None)
        if side is None or side in seen:  # a multi-page TIFF's pages list its one sidecar
            continue
        seen.add(side)
        try:
            with open(side, "rb") as f:
                data = f.read()
        except OSError as e:
            notes.append(f"{side}: GDAL's sidecar of {ds.name} could not be read here ({e})")
            continue
        if note := _ignored(side, ds, data):
            notes.append(note)
            continue
        data = data.split(b"\0", 1)[0]  # as GDAL read it
        if (past := sorted({n for n in _band_numbers(data) if n > ds.count})):
            notes.append(_past(side, ds, data, past))
        if b"<NoDataValue" in data and (note := _nodata_over(side, ds)):
            notes.append(note)
    return notes


def _nodata_over(side, ds) -> str | None:
    """The note where GDAL's sidecar set a nodata other than the GeoTIFF's own (its GDAL_NODATA tag), which GDAL
    applies in its place (a sidecar copied from another file: RGB.byte.tif's 0 collar read as data under a 7), or
    None."""
    from rsvlm.io.tiff import gdal_nodata_tag

    if ds.driver != "GTiff" or (own := gdal_nodata_tag(ds.name)) is None:
        return None
    try:
        mine = float(own)
    except ValueError:  # "n/a": no value of the file's own (tiff.nodata_tag_note says it)
        return None
    # each band's: a sidecar setting band 2's alone (7 over 0) had a 3-band file's 0 collar read as data, unsaid.
    # A float32 band the sidecar leaves reads the tag as a float32 (0.1 as 0.10000000149…): still the file's own
    single = float(np.float32(mine)) if abs(mine) <= np.finfo(np.float32).max else mine
    own_read = [single if t == "float32" else mine for t in ds.dtypes]
    over = {k: v for k, v in enumerate(ds.nodatavals, 1) if v is not None and v not in (mine, own_read[k - 1])
            and not (np.isnan(v) and np.isnan(mine))}
    if not over:
        return None
    said = {k: f"{v:g}" if f"{v:g}" != f"{mine:g}" else repr(v) for k, v in over.items()}  # -3.40282e+38 twice
    one = len(set(said.values())) == 1
    value = next(iter(said.values())) if one else ", ".join(f"{v} (band {k})" for k, v in said.items())
    bands = f", in band{'s' * (len(over) > 1)} {', '.join(map(str, over))}" if one and len(over) < ds.count else ""
    return (f"{side}: GDAL's sidecar sets nodata {value}, over {ds.name}'s own {own}{bands}: the sidecar's is "
            f"applied (pixels of {own} read as data); remove the sidecar if it is not this file's")
