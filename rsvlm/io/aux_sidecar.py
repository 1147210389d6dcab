"""What GDAL's ``.aux.xml`` sidecar beside an image (its PAM file: band names, colours, nodata, georeferencing
written where the format cannot hold them) did unsaid: one cut short, or opening with an XML declaration or comment
(GDAL 3.10 reads none of it then), is ignored whole, and one that describes bands the file lacks (a sidecar copied
from another file) has those entries ignored while its entries for the bands there are applied (a Sentinel-1 VV
band read as "B08"). ``sidecar_notes`` says both, naming the sidecar.

A sidecar whose ends are those of one ``<PAMDataset>`` element and whose band numbers fit is not parsed (GDAL has
parsed it): an open pays a read and a byte scan (17 us for a 0.5 kB sidecar, 0.4 ms for 240 kB of histograms,
where a parse took 0.12 and 2.2 ms).
Cannot: tell a sidecar that lies about a band the file does have (its name or colour) from a true one, nor see a
tag broken inside such a sidecar (GDAL then ignores it, or, an undefined entity, reads it all the same)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

WORDS = {"Description": "name", "ColorInterp": "colour"}  # PAM band tags said in a note
BAND = re.compile(rb"""<PAMRasterBand\s[^>]*?\bband\s*=\s*["'](\d+)""")
HEAD, TAIL = b"<PAMDataset", b"</PAMDataset>"


def _band_numbers(data: bytes) -> list[int]:
    """The ``band=`` numbers of ``data``'s ``<PAMRasterBand>`` tags (a scan from tag to tag, no XML parse)."""
    found, at = [], data.find(b"<PAMRasterBand")
    while at >= 0:
        if m := BAND.match(data, at, at + 400):
            found.append(int(m.group(1)))
        at = data.find(b"<PAMRasterBand", at + 14)
    return found


def _ignored(side, ds, data: bytes) -> str | None:
    """The note on a sidecar GDAL read none of (not one whole ``<PAMDataset>`` element), or None."""
    start = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if start.startswith(HEAD) and data.rstrip().endswith(TAIL):
        return None
    try:
        ET.fromstring(data)
    except ET.ParseError as e:
        why = f"is not readable XML ({e})"
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
        elif (past := sorted({n for n in _band_numbers(data) if n > ds.count})):
            notes.append(_past(side, ds, data, past))
    return notes
