"""Thermal bands whose metadata gives their temperature unit: kelvin read as kelvin, °C said.

    unit_kelvin("celsius", [])  # ([1.0, 273.15], "its unit 'celsius'"): ir_kelvin, what says °C

Kelvin is the unit of ``ReadConfig.ir_kelvin`` and ``ir_kelvin_range`` (a Landsat ST band's DN ×
0.00341802 + 149, a float band in K). A band in °C (its unit, a netCDF-style ``units`` tag, or a declared
offset of -273.15 on kelvin DN) is stretched as it is, which a percentile stretch makes the same to the
model as kelvin, with a note; where ``ir_kelvin_range`` asks for kelvin it is read as kelvin (+ 273.15).
Cannot: tell °C from dB or metres by values alone (``modality.infer_modality``), or by a description.
"""

from __future__ import annotations

from rsvlm.io.scaling import dn_text

KELVIN_UNITS = ("k", "kelvin", "degk", "deg k", "degrees kelvin")
CELSIUS_UNITS = ("c", "°c", "degc", "deg c", "celsius", "degree_celsius", "degrees celsius", "degrees_c", "deg_c")
ZERO_C = 273.15  # K


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


def unit_kelvin(unit: str | None, declared: list[tuple[float, float]]) -> tuple[list[float], str | None] | None:
    """(``ReadConfig.ir_kelvin`` [gain, offset], what says °C, or None for kelvin) for one thermal band whose
    ``unit`` says kelvin or °C, with its one declared GDAL (scale, offset) ``declared`` if any; a declared offset
    of -273.15 (kelvin DN turned into °C) says °C too. None where nothing speaks of a temperature unit."""
    gain, offset = declared[0] if len(declared) == 1 else (1.0, 0.0)
    u = (unit or "").strip().lower()
    if u in KELVIN_UNITS:
        return [gain, offset], None
    said = f"its unit {unit!r}" if u in CELSIUS_UNITS else (
        "its declared offset -273.15 (GDAL scale / offset)" if len(declared) == 1 and abs(offset + ZERO_C) < 0.01 else None)
    return None if said is None else ([gain, offset + ZERO_C], said)


def celsius_note(unit: tuple[list[float], str | None] | None, cfg) -> list[str]:
    """The note for a band in °C (``unit``: ``unit_kelvin``'s) read with ``cfg`` (a ``ReadConfig``, filled in
    here): read as kelvin where ``cfg.ir_kelvin_range`` asks for kelvin (it was refused), else stretched as °C,
    which the model sees alike (a percentile stretch); nothing where the band is no °C or ir_kelvin is given."""
    if unit is None or unit[1] is None or cfg.ir_kelvin is not None:
        return []
    (gain, offset), said = unit
    celsius = f"{dn_text(gain, offset - ZERO_C)} °C" if (gain, offset) != (1.0, ZERO_C) else "°C"
    if cfg.ir_kelvin_range is not None:
        cfg.ir_kelvin = [gain, offset]
        return [f"values in {celsius} ({said}) read as kelvin (+ {ZERO_C:g}) for ir_kelvin_range"]
    return [f"values in {celsius} ({said}): stretched as they are, which a percentile stretch makes alike to kelvin "
            "(ir_kelvin_range, in K, reads them as kelvin)"]
