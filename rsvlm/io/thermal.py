"""Thermal bands whose metadata gives their temperature unit: kelvin read as kelvin, °C said.

    unit_kelvin("celsius", [])  # ([1.0, 273.15], "its unit 'celsius'"): ir_kelvin, what says °C
    ir_kelvin, notes = celsius_reading(unit, cfg.ir_kelvin, cfg.ir_kelvin_range)  # the caller applies ir_kelvin

Kelvin is the unit of ``ReadConfig.ir_kelvin`` and ``ir_kelvin_range`` (a Landsat ST band's DN ×
0.00341802 + 149, a float band in K). A band in °C (its unit, a netCDF-style ``units`` tag, or a declared
offset of -273.15 on kelvin DN, or, where none of these is given, a band description naming a temperature
in °C: "LST (Celsius)", "temperature degC", ``described_unit``; one naming kelvin reads as kelvin) is
stretched as it is, which a percentile stretch makes the same to the model as kelvin, with a note; where
``ir_kelvin_range`` asks for kelvin it is read as kelvin (+ 273.15).
A description of a difference or spread ("difference from mean (C)", "LST anomaly °C") says no °C to add
273.15 to, nor does a bare "(C)" without a temperature word. Cannot: tell °C from dB or metres by values alone
(``band_evidence.infer_modality``).
"""

from __future__ import annotations

import re

from rsvlm.io.scaling import dn_text

KELVIN_UNITS = ("k", "kelvin", "degk", "deg k", "degrees kelvin")
CELSIUS_UNITS = ("c", "°c", "degc", "deg c", "celsius", "degree_celsius", "degrees celsius", "degrees_c", "deg_c")
ZERO_C = 273.15  # K
CELSIUS_SAID = re.compile(r"celsius|°\s*c(?![a-z])|(?<![a-z])deg(rees?)?[ _]?c(?![a-z])", re.I)
C_BRACKETED = re.compile(r"[(\[]\s*c\s*[)\]]", re.I)  # "(C)", "[C]": °C only beside a temperature word
KELVIN_SAID = re.compile(r"kelvin|(?<![a-z])deg(rees?)?[ _]?k(?![a-z])", re.I)
K_BARE = re.compile(r"[(\[]\s*k\s*[)\]]|(?<![a-z0-9.])k\s*$", re.I)  # "(K)", "BT K": only beside a temperature word
BARE_UNIT = re.compile(r"\s*[(\[]?\s*[ck]\s*[)\]]?\s*", re.I)  # a description "K", "(C)": a band letter too, no unit
TEMPERATURE_SAID = re.compile(r"temperature|thermal|(?<![a-z0-9])(lst|bt|tir|sst|t2m|temp)(?![a-z0-9])", re.I)
FACTOR_SAID = re.compile(r"(?<![a-z])[x×]\s*\.?\d|[*/]\s*\.?\d|\d\s*[x×*]|(?<![\d.])0\.\d|"  # "K x 0.02" was kelvin
                         r"(?<![a-z])(scale|scaled|factor|dn)(?![a-z])", re.I)
RELATIVE_SAID = re.compile(r"differen|(?<![a-z])diff|anomal|delta|change|deviation|(?<![a-z])(std|stdev|sd|var)(?![a-z])|"
                           r"variance|range|trend|gradient|error|uncertainty|rmse|bias|spread|amplitude", re.I)


def band_unit(src, i: int) -> str | None:
    """Band ``i`` (0-based)'s unit: GDAL's unit type, else a ``units`` or ``unit`` band tag (netCDF-style
    metadata, which GDAL shows as a tag only); None where neither is given."""
    if src.units[i]:
        return src.units[i]
    datasets = getattr(src, "datasets", [])  # rasterio's (``sources.RasterioSource``); none for PIL / tifffile
    if len(datasets) == 1 and datasets[0].count == src.count:
        tags = {k.lower(): v for k, v in datasets[0].tags(i + 1).items()}
        return tags.get("units") or tags.get("unit") or None
    return None


def described_unit(description: str | None) -> str | None:
    """"celsius" where a band ``description`` names temperatures in °C ("LST (Celsius)", "temperature degC",
    "BT [C]"), "kelvin" where in K ("LST (Kelvin)", "brightness temperature K"), else None (or both named): not a
    difference, anomaly or spread ("difference from mean (C)": adding 273.15 to it would be wrong), nor °C times a
    factor ("LST (°C x 100)", "0.01 degC"), and a bare "(C)" or "K" only beside a temperature word."""
    d = description or ""
    if RELATIVE_SAID.search(d) or FACTOR_SAID.search(d):  # "LST (°C x 100)": DN, not °C
        return None
    celsius, kelvin = _names(d, CELSIUS_SAID, C_BRACKETED), _names(d, KELVIN_SAID, K_BARE)
    return None if celsius == kelvin else "celsius" if celsius else "kelvin"  # both said: neither is sure


def _names(description: str, said: re.Pattern, bare: re.Pattern) -> bool:
    """Whether ``description`` names a unit: ``said`` outright, or its ``bare`` letter beside a temperature word."""
    return bool(said.search(description) or bare.search(description) and TEMPERATURE_SAID.search(description))


def unit_kelvin(unit: str | None, declared: list[tuple[float, float]], said_by: str | None = None
                ) -> tuple[list[float], str | None] | None:
    """(``ReadConfig.ir_kelvin`` [gain, offset], what says °C, or None for kelvin) for one thermal band whose
    ``unit`` says kelvin or °C (``said_by``: what says it, if not its unit), with its one declared GDAL (scale,
    offset) ``declared`` if any; a declared offset of -273.15 (kelvin DN turned into °C) says °C too. None where
    nothing speaks of a temperature unit."""
    gain, offset = declared[0] if len(declared) == 1 else (1.0, 0.0)
    u = (unit or "").strip().lower()
    if u in KELVIN_UNITS:
        return [gain, offset], None
    said = (said_by or f"its unit {unit!r}") if u in CELSIUS_UNITS else (
        "its declared offset -273.15 (GDAL scale / offset)" if len(declared) == 1 and abs(offset + ZERO_C) < 0.01 else None)
    return None if said is None else ([gain, offset + ZERO_C], said)


def celsius_reading(unit: tuple[list[float], str | None] | None, ir_kelvin: list[float] | None,
                    ir_kelvin_range: list[float] | None) -> tuple[list[float] | None, list[str]]:
    """(``ReadConfig.ir_kelvin`` to read with, notes) for a band in °C (``unit``: ``unit_kelvin``'s) read with the
    caller's ``ir_kelvin`` and ``ir_kelvin_range``: [gain, offset] in kelvin where ``ir_kelvin_range`` asks for
    kelvin (it was refused), else ``ir_kelvin`` unchanged and a note that the band is stretched as °C, which the
    model sees alike (a percentile stretch); ``ir_kelvin`` and no note where the band is no °C or ir_kelvin is given."""
    if unit is None or unit[1] is None or ir_kelvin is not None:
        return ir_kelvin, []
    (gain, offset), said = unit
    celsius = f"{dn_text(gain, offset - ZERO_C)} °C" if (gain, offset) != (1.0, ZERO_C) else "°C"
    if ir_kelvin_range is not None:
        return [gain, offset], [f"values in {celsius} ({said}) read as kelvin (+ {ZERO_C:g}) for ir_kelvin_range"]
    return None, [f"values in {celsius} ({said}): stretched as they are, which a percentile stretch makes alike to "
                  "kelvin (ir_kelvin_range, in K, reads them as kelvin)"]
