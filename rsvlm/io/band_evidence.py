"""What one band's type, values and metadata say it holds, for ``modality.guess_modality``: the modality
its band count and dtype suggest (``infer_modality``), corrected by its values and metadata (``by_values``:
temperatures in kelvin or °C read as sar, int16 dB × 100 read as ir; ``thermal_band``), a uint16 band that
looks like a panchromatic sensor's DN (``pan_like``), and metadata that says elevation, a DEM, which is no
modality rsvlm reads (``elevation_said``, ``elevation_error``). The words and units these look for
(``THERMAL_WORDS``, ``SAR_WORDS``, ``ELEVATION_WORDS``) and ``KELVIN_RANGE`` live here too.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from rsvlm.io import scaling as sc
from rsvlm.io.checks import n_bands
from rsvlm.io.fills import FILL_VALUES
from rsvlm.io.thermal import CELSIUS_UNITS, KELVIN_UNITS

KELVIN_RANGE = (150.0, 400.0)  # temperatures on Earth (clouds to fires); no backscatter band lies wholly inside
THERMAL_WORDS = re.compile(r"kelvin|celsius|temperature|thermal|(?<![a-z0-9])(tir|lst|bt|st_b\d+|degk|degc)(?![a-z0-9])", re.I)
SAR_WORDS = re.compile(r"sigma|gamma0|beta0|backscatter|amplitude|intensity|(?<![a-z0-9])([hv][hv]|db)(?![a-z0-9])", re.I)
ELEVATION_WORDS = re.compile(r"elevation|altitude|bathymetr|orthometric|(?<![a-z0-9])(dem|dsm|dtm|ndsm|height|hgt|srtm|"
                             r"aw3d30|nasadem|gebco|depth)(?![a-z0-9])", re.I)
TEMPERATURE_UNITS = (*KELVIN_UNITS, *CELSIUS_UNITS)
LENGTH_UNITS = ("m", "metre", "metres", "meter", "meters", "ft", "foot", "feet", "us survey foot")
WEAK = "a guess from its values alone"
TYPE_ONLY = "a guess from its type alone, which °C and metres share with dB"


def pan_like(raw: np.ndarray, valid: np.ndarray | None, declared: list[tuple[float, float]] = ()) -> str | None:
    """Why one uint16 band's values, ``raw`` (1, h, w) decimated, look like a panchromatic sensor's DN and not
    temperatures: 99.5 % within 12 bits (WorldView's 11, Pléiades' 12; kelvin × 100 and FLIR counts lie above) and
    spread wider than their median (shade to roofs; a scene's temperatures span a fraction of theirs), and no
    GDAL scale / offset ``declared`` puts them in temperatures (a deci-°C band's 0.1: 5-45 °C as DN 50-450 spread
    wider than their median, read as a pan photo); else None."""
    v = raw[0][valid] if valid is not None else raw[0].ravel()
    v = v[v > 0].astype(np.float64)  # (n,) 0 as fill
    if v.size < 64:
        return None
    lo, mid, hi, top = np.percentile(v, [2, 50, 98, 99.5])
    if top >= 4096 or hi - lo <= mid or len(declared) == 1 and _temperatures(lo, hi, *declared[0]):
        return None
    return (f"its values fit 12 bits and spread wider than their median ({lo:.0f}-{hi:.0f} about {mid:.0f}), as a "
            "panchromatic sensor's DN (WorldView's 11 bits), not temperatures (thermal infrared: --modality ir; "
            "single-polarisation SAR: --modality sar)")


def _temperatures(lo: float, hi: float, scale: float, offset: float) -> bool:
    """Whether DN ``lo`` … ``hi`` (2nd, 98th percentiles) × ``scale`` + ``offset`` are a scene's temperatures: in
    °C (−90 to 70, spanning 1° or more: not reflectance's 0.01-0.1) or kelvin (``KELVIN_RANGE``, 150-400)."""
    a, b = sorted((lo * scale + offset, hi * scale + offset))
    return -90 <= a and b <= 70 and b - a >= 1 or KELVIN_RANGE[0] <= a and b <= KELVIN_RANGE[1]


def infer_modality(count: int, dtype: str, *, gcps_only: bool = False, alpha: bool = False,
                   n_files: int = 1) -> tuple[str, str]:
    """Guess the modality from band count and dtype; returns (modality, human-readable reason).

    Cannot tell a thermal band from a single-polarisation SAR band by type alone: a single
    uint band is taken as ir unless the file is georeferenced by ground control points only
    (as radar GRD products are); ``by_values`` then corrects a float band in kelvin (ir) and an
    int16 band of dB (sar). Temperatures in °C without a unit or description read as dB.
    """
    kind = "c" if dtype == "CInt16" else np.dtype(dtype).kind  # (GDAL's name: checks.dtype_said)
    n = count - bool(alpha)  # an alpha band says which pixels are valid, not what was sensed
    what = (f"{n_bands(n)} {dtype}" + (" with alpha" if alpha else "")
            + (f" in {n_files} files" if n_files > 1 else ""))
    if kind == "c":
        return "sar", f"modality inferred as sar from {what} (complex values)"
    if n == 1:
        if kind == "f":  # °C lies where dB does, and metres where kelvin: neither its values nor type tell
            return "sar", (f"modality inferred as sar from {what} ({TYPE_ONLY}: thermal in °C: --modality ir; a DEM is "
                           "no modality rsvlm reads)")
        if gcps_only:
            return "sar", f"modality inferred as sar from {what} georeferenced by GCPs only"
        dem = "; elevation (a DEM), often signed integers, is no modality rsvlm reads" if kind == "i" else ""
        return "ir", (f"modality inferred as ir from {what} (a guess from its type alone, read as thermal "
                      "infrared; a panchromatic or grey photo: --modality optical; single-polarisation SAR: "
                      f"--modality sar{dem})")
    if n == 2:
        return "sar", f"modality inferred as sar from {what} (dual polarisation; two multispectral bands: --modality msi)"
    if n == 3:
        return "optical", f"modality inferred as optical from {what}"
    return "msi", f"modality inferred as msi from {what}"


def _unit_in(unit: str | None, units: tuple[str, ...]) -> bool:
    return bool(unit) and unit.strip().lower() in units


def elevation_said(src, i: int) -> str | None:
    """What the metadata of band ``i`` (0-based) of ``src`` says that makes it elevation (a DEM): a length
    unit ("m"), a description or netCDF-style tag naming a height ("elevation", "DEM"), an SRTM .hgt
    file, a CRS with a vertical (height) part; None where nothing does, or radar or temperature words
    are said too. Words in the file name alone say less (``guess_modality``: a note)."""
    if _unit_in(src.units[i], LENGTH_UNITS):
        return f"band {i + 1}'s unit {src.units[i]!r}"
    said = [("band description", src.descriptions[i])]
    datasets = getattr(src, "datasets", [])  # rasterio's (``sources.RasterioSource``); none for PIL / tifffile
    if len(datasets) == 1 and datasets[0].count == src.count:
        d = datasets[0]
        tags = {k.lower(): v for k, v in d.tags(i + 1).items()}
        said += [(f"{k} tag", tags.get(k)) for k in ("long_name", "standard_name", "netcdf_varname", "units")]
        if _unit_in(tags.get("units"), LENGTH_UNITS):
            return f"band {i + 1}'s units tag {tags['units']!r}"
        if d.driver == "SRTMHGT":
            return "its format, an SRTM height file (.hgt)"
        try:
            wkt = d.crs.to_wkt() if d.crs else ""
        except Exception:  # a CRS PROJ cannot write: no evidence either way
            wkt = ""
        if "VERTCRS" in wkt or "VERT_CS" in wkt:
            return "its CRS, which has a vertical (height) part"
    for what, text in said:
        if text and ELEVATION_WORDS.search(text) and not (SAR_WORDS.search(text) or THERMAL_WORDS.search(text)):
            return f"band {i + 1}'s {what} {text!r}"
    return None


def elevation_error(name: str, why: str) -> ValueError:
    return ValueError(f"{name}: {why} says it holds elevation (a DEM), which is no modality rsvlm reads (optical, "
                      "sar, ir, msi); give the modality (--modality, or read_image(..., modality=...)) to read it "
                      "as that image anyway")


def thermal_band(raw: np.ndarray, valid: np.ndarray | None, description: str | None,
                 unit: str | None) -> tuple[str, bool] | None:
    """(why, in kelvin) where one real float band that its type would make SAR holds temperatures (a
    thermal frame), else None: its unit or description says so ("K", "°C", "brightness temperature",
    "LST_Day"), or, where neither speaks of radar, its valid values ``raw`` (1, h, w) lie between 150
    and 400 from the 1st to the 99th percentile (then also "in kelvin"). Linear backscatter lies
    below 1, dB below 30, and amplitude's speckle spreads over a decade or more; elevation in metres
    may lie there too (the note says so)."""
    said = " ".join(t for t in (description, unit) if t)
    v = raw[:, valid] if valid is not None else raw.reshape(len(raw), -1)  # (1, n)
    v = v[np.isfinite(v) & (v != 0) & ~np.isin(v, FILL_VALUES)]  # an undeclared fill (0 K is none, nor -9999)
    lo, hi = (float(x) for x in np.percentile(v, [1, 99])) if v.size >= 16 else (np.nan, np.nan)
    kelvin = KELVIN_RANGE[0] <= lo and hi <= KELVIN_RANGE[1]
    if _unit_in(unit, TEMPERATURE_UNITS):  # "°C" was no temperature: a cold scene read as dB
        return f"its unit {unit!r}", _unit_in(unit, KELVIN_UNITS)
    if SAR_WORDS.search(said):
        return None
    if THERMAL_WORDS.search(said):
        return f"its band description or unit {said!r}", kelvin
    if kelvin:
        return (f"its values {lo:.4g}-{hi:.4g} (1st-99th percentile), temperatures in kelvin ({WEAK}; "
                "elevation in metres may lie there too, which rsvlm does not read; --modality sar if backscatter)"), True
    return None


def by_values(modality: str, raw: np.ndarray, valid: np.ndarray | None, description: str | None,
              unit: str | None, file_name: str = "", declared: list[tuple[float, float]] = ()
              ) -> tuple[str, str, bool] | None:
    """One band's modality as its type gave it (``infer_modality``), corrected by its values ``raw``
    (1, h, w) and metadata: (modality, why, in kelvin), or None where the type's guess stands. Float
    "sar" holding temperatures is ir (``thermal_band``); signed-integer "ir" whose values are mostly
    negative (``sar_dn_in_db``: int16 dB × 100) is sar, unless its unit, description, ``file_name``
    or declared GDAL (scale, offset) ``declared`` speak of temperature (°C × 100 of a winter scene)."""
    kind = raw.dtype.kind
    if modality == "sar" and kind == "f" and (hot := thermal_band(raw, valid, description, unit)):
        return "ir", hot[0], hot[1]
    if modality != "ir" or kind != "i" or not (db := sc.sar_dn_in_db(raw, valid))[0]:
        return None
    negative = f"its values, mostly negative (2nd percentile {db[1]:.4g}),"
    said = " ".join(t for t in (description, unit) if t)
    if THERMAL_WORDS.search(said) or _unit_in(unit, TEMPERATURE_UNITS):
        return "ir", f"{negative} are temperatures below 0 °C: its band description or unit {said!r} says so", False
    if any(abs(o - 273.15) < 0.01 for _, o in declared):  # DN × k + 273.15: °C × 1/k, and the file says kelvin
        return "ir", f"{negative} are temperatures: the file declares DN × k + 273.15 (GDAL scale / offset)", False
    stem = Path(file_name).stem
    if THERMAL_WORDS.search(stem) and not SAR_WORDS.search(stem):
        return "ir", f"{negative} are temperatures below 0 °C: the file name {stem!r} says so", False
    return "sar", (f"{negative} are backscatter in dB (times a factor), not thermal DN ({WEAK}: --modality ir if they "
                   "are temperatures below 0 °C, as °C × 100 of a winter scene are)"), False
