"""What GDAL's ``.aux.xml`` sidecar beside an image (its PAM file: band names, colours, nodata, georeferencing
written where the format cannot hold them) did unsaid: one that is not well-formed XML is ignored whole, and one that
describes bands the file lacks (a sidecar copied from another file) has those entries ignored while its entries for
the bands there are applied (a Sentinel-1 VV band read as "B08"). ``sidecar_notes`` says both, naming the sidecar.

Cannot: tell a sidecar that lies about a band the file does have (its name or colour) from a true one."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

WORDS = {"Description": "name", "ColorInterp": "colour"}  # PAM band tags said in a note


def _sidecar(ds) -> Path | None:
    """The ``.aux.xml`` beside ``ds``'s file (``B02.jp2.aux.xml``, or one GDAL lists among its files), or None."""
    listed = [Path(f) for f in ds.files if str(f).lower().endswith(".aux.xml")]
    if listed:
        return listed[0]
    main = Path(str(ds.name))
    side = main.with_name(main.name + ".aux.xml")
    return side if side.is_file() else None


def sidecar_notes(datasets) -> list[str]:
    """Notes on the ``.aux.xml`` sidecars of rasterio ``datasets`` that GDAL ignored in whole or part: unreadable
    XML, or band entries past the file's band count (the entries it applied said with them); [] where none."""
    notes = []
    for ds in datasets:
        side = _sidecar(ds)
        if side is None:
            continue
        try:
            root = ET.parse(side).getroot()
        except (ET.ParseError, OSError) as e:
            notes.append(f"{side}: GDAL's sidecar of {ds.name} is not readable XML ({e}): ignored, its band names, "
                         "nodata and georeferencing (if it held any) not applied; fix or remove it")
            continue
        bands = [b for b in root.iter("PAMRasterBand") if str(b.get("band", "")).isdigit()]
        past = sorted({int(b.get("band")) for b in bands if int(b.get("band")) > ds.count})
        if not past:
            continue
        used = {b.get("band"): ", ".join(f"{WORDS[t.tag]} {t.text}" for t in b if t.tag in WORDS)
                for b in bands if int(b.get("band")) <= ds.count and any(t.tag in WORDS for t in b)}
        notes.append(f"{side}: GDAL's sidecar describes band{'s' * (len(past) > 1)} {', '.join(map(str, past))}, but "
                     f"{ds.name} has {ds.count} band{'s' * (ds.count > 1)}: it may be another file's; its entries for "
                     f"band{'s' * (len(past) > 1)} {', '.join(map(str, past))} are ignored"
                     + (f", yet those for {'; '.join(f'band {k} ({v})' for k, v in used.items())} are applied"
                        if used else "") + " (remove the sidecar if it is not this file's)")
    return notes
