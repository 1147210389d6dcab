"""Band names: those a file's name gives (``T19UDP_20170729_B02.jp2`` → ``B02``,
``s1a-iw-grd-vv-….tiff`` → ``VV``, for ``read.py``), and how one band name meets another
(``band_key``, ``band_at``: ``B4`` is ``B04``, ``red`` is ``R`` and ``B04``), for the model's stem
and for overlays. Pure Python: no numpy, no torch."""

from __future__ import annotations

import re
from pathlib import Path

__all__ = ["band_name_from_file", "sentinel2_alone", "default_description", "polarisation_from_file", "file_stem", "polarisation_in", "polarisations_in",
           "SAME_BAND", "NEAR_BAND", "ESPA_BAND", "sentinel2_names", "near_band_at", "band_key", "same_band", "band_at", "colour_band_at"]

# Names of one band, matched case-insensitively: Sentinel-2 numbering, plain words and STAC's eo:common_name
# (STAC 1.1 eo: coastal, rededge071/075/078, nir09, cirrus, swir16, swir22, lwir11, lwir12: Planetary Computer
# and Earth Search assets, whose rededge1/2/3 are B05/B06/B07; their nir08 is Sentinel-2's B8A, and Landsat's
# NIR, which stands in for B08: NEAR_BAND). Sentinel-2's numbers: a Landsat file's numbers are read by mission as
# these words first (products.LANDSAT_BANDS)
SAME_BAND = (("R", "red", "B04"), ("G", "green", "B03"), ("B", "blue", "B02"), ("NIR", "N", "B08"),
             ("SWIR1", "B11", "swir16"), ("SWIR2", "B12", "swir22"), ("TIR", "thermal", "LWIR", "lwir11"),
             ("coastal", "B01"), ("B05", "rededge071", "rededge1"), ("B06", "rededge075", "rededge2"),
             ("B07", "rededge078", "rededge3"), ("B09", "nir09"), ("cirrus", "B10"), ("TIR2", "lwir12"), ("B8A", "nir08"))
# A band's near neighbours, read as it only where no name of it is present: STAC's nir08 (865 nm), the only NIR
# a Landsat STAC item has, for the broad NIR (B08, 842 nm). Sentinel-2's B8A, named so, stays no B08 (its stack
# has a B08 to be given; tests/test_stem_bands)
NEAR_BAND = {"nir": ("nir08",)}
# Landsat Collection 1 band files as ESPA names them (LC08_…_sr_band4.tif, _toa_band4, _bt_band10); products.py's too
ESPA_BAND = re.compile(r"_(SR|TOA|BT)_BAND(?P<n>\d+)$", re.I)


def band_key(band: str) -> str:
    """A band name as matching compares it: lower case, band numbers without leading zeros, so
    Google Earth Engine's Sentinel-2 ``B4`` / ``B8A`` meet ``B04`` / ``B8A``."""
    x = band.lower()
    m = re.fullmatch(r"b0*(\d+)(a?)", x)
    return f"b{int(m[1])}{m[2]}" if m else x


def same_band(name: str) -> tuple[str, ...]:
    """The ``SAME_BAND`` names of the band ``name`` names (``band_key``: ``b4`` gives R, red, B04); () where none."""
    key = band_key(name)
    return next((g for g in SAME_BAND if key in {band_key(x) for x in g}), ())


def band_at(names: list[str], want: str) -> int | None:
    """Index of the band of ``names`` that ``want`` names: the same name (``band_key``: any case, ``B4``
    is ``B04``), else one of its ``SAME_BAND`` names (``red`` is ``R`` and ``B04``); None where none is."""
    keys = [band_key(n) for n in names]
    return next((keys.index(band_key(x)) for x in (want, *same_band(want)) if band_key(x) in keys), None)


def near_band_at(names: list[str], want: str) -> int | None:
    """Index of the band of ``names`` that stands in for ``want`` (``NEAR_BAND``: ``nir08`` for ``B08``) where
    none of ``names`` is ``want`` by any name (``band_at``); None where none is or ``want`` has no near band."""
    if band_at(names, want) is not None:
        return None
    keys = {band_key(x) for x in (want, *same_band(want))}  # B08: nir, n, b8
    near = next((v for k, v in NEAR_BAND.items() if k in keys), ())
    return next((i for x in near for i, n in enumerate(names) if band_key(n) == band_key(x)), None)


def colour_band_at(names: list[str]) -> list[int] | None:
    """Indices of the bands of ``names`` that ``SAME_BAND`` names red, green and blue (``R``, ``red``,
    Sentinel-2 ``B04``, ``B4`` …), the first of each; None where one of them is missing."""
    found = [next((i for i, b in enumerate(names) if band_key(b) in {band_key(x) for x in same}), None)
             for same in SAME_BAND[:3]]
    return None if None in found else found  # type: ignore[return-value]


def default_description(description: str | None, number: int) -> bool:
    """Whether a band's ``description`` is only a writer's default for band ``number`` (1-based, in its file):
    ``Band 1`` (GDAL's ENVI and ERDAS writers, ENVI itself), ``Band_1``, ``layer 1``, ``channel_01``: no name."""
    m = re.fullmatch(r"\s*(?:band|layer|channel)[\s_.-]*(\d+)\s*", description or "", re.I)
    return bool(m) and int(m[1]) == number


def band_name_from_file(p: Path) -> str:
    """``T19UDP_20170729_B02.jp2`` → ``B02``: the last ``_``-separated part of the stem that names
    a band like ``B02`` / ``B8A`` (Sentinel-2 Level-2A adds the resolution: ``…_B04_10m.jp2``),
    else the last part."""
    if re.match(r"L[COTE]0\d_", p.stem, re.I) and (m := ESPA_BAND.search(p.stem)):  # Landsat Collection 1 as ESPA
        return f"B{m['n']}"  # names it (…_sr_band4.tif): band4 had matched no band; its numbering is the mission's
    parts = file_stem(p).split("_")
    return next((x for x in reversed(parts) if re.fullmatch(r"[Bb]\d{1,2}[Aa]?", x)), parts[-1])


def vrt_band_files(vrt, count: int) -> list[str] | None:
    """Band names from a VRT's source files where each of its ``count`` bands reads its own one file
    (``gdalbuildvrt -separate B02.tif B03.tif …``), as band files given one by one are named: GDAL gives such bands no
    description, so they read as b1 … bN (a Sentinel-2 scene's DN 0 collar as data, two bands as SAR); None where a
    band reads several files or none, two bands' names are one (a VRT over one multi-band file) or there is one band
    (a lone file is named only as a Sentinel-2 band: ``sentinel2_alone``)."""
    import xml.etree.ElementTree as ET

    try:
        bands = ET.parse(vrt).getroot().findall("VRTRasterBand")
    except (OSError, ET.ParseError):  # a VRT in an archive, or one GDAL reads and expat does not
        return None
    files = [{s.text for s in b.iter("SourceFilename")} for b in bands]
    if any((s.text or "1").strip() != "1" for b in bands for s in b.iter("SourceBand")):
        return None  # band 3 of rgbn.tif is no band file
    if len(bands) != count or count < 2 or any(len(f) != 1 or not next(iter(f)) for f in files):
        return None
    names = [band_name_from_file(Path(next(iter(f)).strip())) for f in files]
    return names if len(set(names)) == count else None


def sentinel2_alone(p: Path) -> str | None:
    """The band a lone file's name gives when it can only be Sentinel-2's (``B02.jp2``,
    ``T33UUP_…_B8A_20m.jp2``, ``B12``: zero-padded or 8A), else None. ``B10`` / ``B11`` are left
    out: a Landsat thermal band renamed is spelt alike."""
    band = band_name_from_file(p)
    return band.upper() if re.fullmatch(r"[Bb](0[1-9]|12|8[Aa])", band) else None


def polarisation_from_file(p: Path) -> str | None:
    """``s1a-iw-grd-vv-….tiff`` → ``VV``: the one polarisation named as a word of the file name, or of a NetCDF
    subdataset's variable (``NETCDF:s1.nc:VV``, whose stem is ``NETCDF:s1``)."""
    return polarisation_in(file_stem(p))


def file_stem(p: Path) -> str:
    """``p``'s stem, or a NetCDF subdataset's variable (``NETCDF:s1.nc:VV`` → ``VV``: its stem was ``NETCDF:s1``)."""
    return p.name.rsplit(":", 1)[1] if ":" in p.suffix else p.stem


def polarisations_in(text: str | None) -> set[str]:
    """The polarisations ``text`` names as words: ``Sigma0_VV_db`` → {VV}, ``VV/VH`` → {VV, VH}."""
    return {w.upper() for w in re.findall(r"(?<![a-z])(vv|vh|hh|hv)(?![a-z])", (text or "").lower())}


def polarisation_in(text: str | None) -> str | None:
    """The one polarisation ``text`` (a file's stem, a band's description) names, else None."""
    found = polarisations_in(text)
    return found.pop() if len(found) == 1 else None


def sentinel2_names(names) -> bool:
    """Whether every band name is a Sentinel-2 band's (``B02``, ``B8A``); False for none."""
    names = list(names)
    return bool(names) and all(re.fullmatch(r"[Bb](0[1-9]|1[0-2]|8[Aa])", str(b)) for b in names)
