"""Band names a file's name gives (``T19UDP_20170729_B02.jp2`` → ``B02``, ``s1a-iw-grd-vv-….tiff`` →
``VV``), for ``read.py``."""

from __future__ import annotations

import re
from pathlib import Path

__all__ = ["band_name_from_file", "sentinel2_alone", "polarisation_from_file"]


def band_name_from_file(p: Path) -> str:
    """``T19UDP_20170729_B02.jp2`` → ``B02``: the last ``_``-separated part of the stem that names
    a band like ``B02`` / ``B8A`` (Sentinel-2 Level-2A adds the resolution: ``…_B04_10m.jp2``),
    else the last part."""
    parts = p.stem.split("_")
    return next((x for x in reversed(parts) if re.fullmatch(r"[Bb]\d{1,2}[Aa]?", x)), parts[-1])


def sentinel2_alone(p: Path) -> str | None:
    """The band a lone file's name gives when it can only be Sentinel-2's (``B02.jp2``,
    ``T33UUP_…_B8A_20m.jp2``, ``B12``: zero-padded or 8A), else None. ``B10`` / ``B11`` are left
    out: a Landsat thermal band renamed is spelt alike."""
    band = band_name_from_file(p)
    return band.upper() if re.fullmatch(r"[Bb](0[1-9]|12|8[Aa])", band) else None


def polarisation_from_file(p: Path) -> str | None:
    """``s1a-iw-grd-vv-….tiff`` → ``VV``: the one polarisation named as a word of the file name."""
    found = set(re.findall(r"(?<![a-z])(vv|vh|hh|hv)(?![a-z])", p.stem.lower()))
    return found.pop().upper() if len(found) == 1 else None
