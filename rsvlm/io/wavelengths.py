"""Bands named by their wavelength: an ENVI header's ``wavelength = {0.443, …}`` (GDAL's per-band ``wavelength``,
``wavelength_units``, which it also appends to the description: ``Band 1 (0.4430 Micrometers)``), GDAL's IMAGERY
``CENTRAL_WAVELENGTH_UM`` (a GeoTIFF's) or a description
that gives one (``Band 1 (0.4430 µm)``, ``B (490 nm)``). Where each band's wavelength falls in a different one of
STAC's eo common-name ranges, a band with no name of its own is named by it (``blue``, ``nir``, ``swir16``), which
band matching knows (``bandnames.SAME_BAND``); for ``sources.RasterioSource``. Pure Python."""

from __future__ import annotations

import re

from rsvlm.io.bandnames import band_at, same_band

__all__ = ["COMMON_RANGES", "PLANET_BANDS", "band_wavelength", "common_name", "named_by_wavelength", "planet_names"]

# STAC eo common names and the wavelengths (µm) they name: each a contiguous range, none overlapping; lwir11 meets
# lwir12 at 11.5 µm as STAC's do (Landsat 5/7's broad B6, centred 11.45 µm, is STAC's lwir: TIR as lwir11 is)
COMMON_RANGES = (("coastal", 0.40, 0.45), ("blue", 0.45, 0.52), ("green", 0.52, 0.60), ("yellow", 0.60, 0.62),
                 ("red", 0.62, 0.69), ("rededge071", 0.69, 0.72), ("rededge075", 0.72, 0.76),
                 ("rededge078", 0.76, 0.80), ("nir", 0.80, 0.90), ("nir09", 0.93, 0.96), ("cirrus", 1.35, 1.40),
                 ("swir16", 1.55, 1.75), ("swir22", 2.08, 2.35), ("lwir11", 10.3, 11.5), ("lwir12", 11.5, 12.5))
_UNIT = r"(µm|μm|um|micrometers?|micrometres?|microns?|nm|nanometers?|nanometres?|mm|millimeters?|millimetres?)"
# µm per unit (by the unit, lower case, else its first 3 letters): ENVI's "Millimeters" read as µm named nothing
_PER_UNIT = {"µm": 1.0, "μm": 1.0, "um": 1.0, "mic": 1.0, "nm": 1e-3, "nan": 1e-3, "mm": 1e3, "mil": 1e3,
             "cm": 1e4, "cen": 1e4, "m": 1e6, "met": 1e6}
_IN_TEXT = re.compile(r"\(?\s*(\d+(?:\.\d+)?)\s*" + _UNIT + r"\s*\)?", re.I)  # "(0.4430 µm)", "490 nm"
# GDAL's " (0.4430 Micrometers)", " (4.9e-7 Meters)", " (20408 Wavenumber)": an ENVI band's name and its header's
# wavelength and unit (any of ENVI's; kept as the band's own name, a unit unknown here had named the bands by none)
_GDAL_SUFFIX = re.compile(r"\s*\(\s*\d+(?:\.\d+)?(?:e[-+]?\d+)?\s*(?:" + _UNIT
                          + r"|m|meters?|metres?|cm|centimeters?|wavenumber|[gm]hz|index|unknown)?\s*\)\s*$", re.I)
_NO_NAME = re.compile(r"\s*(?:(?:band|layer|channel)?[\s_.-]*\d*\s*)?(?:" + _IN_TEXT.pattern + r")?\s*", re.I)


def _micrometres(value: float, unit: str | None) -> float | None:
    """``value`` in ``unit`` as µm; a unit left unsaid (or ENVI's ``Unknown``) is nm above 100, µm below (ENVI
    headers often omit it); ENVI's ``Wavenumber`` (cm⁻¹) is 10⁴ / value µm; a unit of no wavelength (ENVI's
    ``Index``, ``GHz``, ``MHz``) gives None."""
    u = (unit or "").strip().lower()
    if not u or u == "unknown":
        return value / 1000 if value > 100 else value
    if u == "wavenumber":
        return 1e4 / value if value > 0 else None
    factor = _PER_UNIT.get(u) or _PER_UNIT.get(u[:3])
    return value * factor if factor else None


def band_wavelength(tags: dict, description: str | None) -> float | None:
    """A band's wavelength in µm: GDAL's band metadata (ENVI's ``wavelength``, ``wavelength_units``; GDAL 3.10's
    IMAGERY ``CENTRAL_WAVELENGTH_UM``, as a GeoTIFF keeps it), else the one its ``description`` gives with a unit;
    None where none does (a value in a unit of no wavelength, ENVI's ``Index``, is none)."""
    for value, unit in ((tags.get("wavelength"), tags.get("wavelength_units")), (tags.get("CENTRAL_WAVELENGTH_UM"), "um")):
        try:
            um = _micrometres(float(value), unit)
        except (ValueError, TypeError):
            continue
        if um is not None:  # (None for a unit of no wavelength: ENVI's Index)
            return um
    m = _IN_TEXT.search(description or "")
    return _micrometres(float(m[1]), m[2]) if m else None


def common_name(um: float) -> str | None:
    """The STAC common name whose range holds ``um`` µm, else None (a wavelength between them: 0.91, 1.2)."""
    return next((n for n, lo, hi in COMMON_RANGES if lo <= um < hi), None)


def _own_name(d: str | None) -> str | None:
    """``d`` without the wavelength GDAL appends (``B8A (865 Nanometers)`` is ``B8A``) where that leaves a name of
    its own; as given where it leaves none (``Band 1 (0.4430 Micrometers)``: a hyperspectral cube's)."""
    own = _GDAL_SUFFIX.sub("", d or "")
    return d if not own or _NO_NAME.fullmatch(own) else own


# Planet's band descriptions (PlanetScope SuperDove's 8-band analytic assets; RapidEye's 5) and their centres (µm):
# coastal_blue, green_i, yellow and rededge are no name band matching knows (``bandnames.SAME_BAND``); blue, green,
# red, nir are
PLANET_BANDS = {"coastal_blue": 0.443, "blue": 0.490, "green_i": 0.531, "green": 0.565, "yellow": 0.610,
                "red": 0.665, "rededge": 0.705, "nir": 0.865}
PLANET_OWN = ("coastal_blue", "green_i", "rededge")  # names only Planet gives: the file is Planet's


def planet_names(descriptions: list[str | None]) -> tuple[list[str | None], list[str]]:
    """(descriptions, note): Planet's band names (``PLANET_BANDS``; all of them, one of ``PLANET_OWN`` among
    them) that band matching knows by no name read as the STAC common name of their wavelength where it knows that
    and no other band has it (``coastal_blue`` → ``coastal``, Sentinel-2's B01; ``rededge`` at 705 nm →
    ``rededge071``, its B05), the others said to match no band (``green_i`` beside ``green``; ``yellow``, which
    Sentinel-2 has not): they had all matched nothing, unsaid. Unchanged, no note, for any other names."""
    low = [(d or "").strip().lower() for d in descriptions]
    if not low or not all(d in PLANET_BANDS for d in low) or not set(low) & set(PLANET_OWN):
        return descriptions, []
    out, named, unmatched = list(descriptions), [], []
    for i, d in enumerate(low):
        if same_band(d):  # blue, green, red, nir: matched by their own name
            continue
        c = common_name(PLANET_BANDS[d])
        if c and same_band(c) and band_at([x or "" for x in out], c) is None:
            out[i] = c
            named.append(f"{descriptions[i]} as {c} ({PLANET_BANDS[d] * 1000:g} nm)")
        else:
            unmatched.append(f"{descriptions[i]} ({PLANET_BANDS[d] * 1000:g} nm)")
    said = [f"read by their wavelengths (STAC's common names): {', '.join(named)}"] if named else []
    said += [f"{', '.join(unmatched)} match{'es' * (len(unmatched) == 1)} no band models are trained on (Sentinel-2's):"
             f" a model leaves {'it' if len(unmatched) == 1 else 'them'} out"] if unmatched else []
    return out, [f"Planet band names {'; '.join(said)} (if wrong, name them with --bands)"]


def named_by_wavelength(descriptions: list[str | None], tags: list[dict]) -> tuple[list[str | None], list[str]]:
    """The bands' ``descriptions`` with those that name no band (none, a writer's ``Band 1``, a wavelength alone,
    GDAL's appended ``(0.4430 Micrometers)``) named by the common name of their wavelength, the others without
    the wavelength GDAL appended, and the note naming those named. Unless every band has a wavelength in a
    different common name's range, none is named and there is no note: the descriptions are kept (a hyperspectral
    cube's 200 bands), own names without GDAL's appended wavelength (a 12-band Sentinel-2 export's B08 and B8A
    are both nir: its ``B8A (865 Nanometers)`` is B8A). Either way, bare band numbers are read by the numbering
    (Sentinel-2's, Landsat's) their wavelengths agree with (``_numbers_by_wavelength``: ``B2`` at 490 nm is
    ``B02``), with a note. Planet's band names first (``planet_names``)."""
    descriptions, planet = planet_names(descriptions)
    out, said = _by_wavelength(descriptions, tags)
    return out, [*planet, *said]


def _by_wavelength(descriptions: list[str | None], tags: list[dict]) -> tuple[list[str | None], list[str]]:
    """``named_by_wavelength`` less Planet's names."""
    um = [band_wavelength(t, d) for t, d in zip(tags, descriptions)]
    names = [common_name(w) if w is not None else None for w in um]
    if not names or None in names or len(set(names)) < len(names):  # Sentinel-2's B08 and B8A are both nir
        return _numbers_by_wavelength([_own_name(d) if band_wavelength(t, None) is not None else d  # the header's: GDAL's
                                       for d, t in zip(descriptions, tags)], um)
    out, named = [], []
    for d, n, w in zip(descriptions, names, um):
        own = _GDAL_SUFFIX.sub("", d or "")
        if _NO_NAME.fullmatch(own):  # (an empty one too)
            out.append(n)
            named.append(f"{n} ({w:g} µm)")
        else:  # a name of its own: GDAL's appended wavelength dropped ("Red (0.6650 Micrometers)" is red)
            out.append(own)
    out, said = _numbers_by_wavelength(out, um)
    if not named:
        return out, said
    return out, [f"band{'s' * (len(named) > 1)} named by {'their' if len(named) > 1 else 'its'} wavelength: "
                 f"{', '.join(named)} (STAC's common names; if wrong, name them with --bands)", *said]


def _numbers_by_wavelength(names: list[str | None], um: list[float | None]) -> tuple[list[str | None], list[str]]:
    """(names, note): bare band numbers among ``names`` (``B2``, ``B8``; ``products.band_numbers`` would say they
    name no mission) read by the first numbering, Sentinel-2's (``B02``), Landsat 8/9's or 4/5/7's (``NIR``), in
    whose band of that number every one's wavelength falls (its common-name range: B2 at 0.49 µm is Sentinel-2's
    B02, blue; B4 at 0.835 µm is Landsat 7's NIR); as given where none fits (a number without a wavelength)."""
    from rsvlm.io.products import LANDSAT_BANDS  # (products imports numpy; this module is pure Python)

    bare = {i: n.upper() for i, n in enumerate(names) if n and re.fullmatch(r"[Bb][1-9]\d?", n)}
    tables = (("Sentinel-2", {b: f"B{int(b[1:]):02d}" for b in bare.values()}),
              ("Landsat 8/9", LANDSAT_BANDS["oli"]), ("Landsat 4/5/7", LANDSAT_BANDS["tm"]))
    for mission, table in tables if bare else ():
        if all(b in table and um[i] is not None and (c := common_name(um[i])) is not None
               and band_at([c], table[b]) is not None for i, b in bare.items()):
            told = ", ".join(f"{names[i]} as {table[b]} ({um[i]:g} µm)" for i, b in bare.items())
            return [table[bare[i]] if i in bare else n for i, n in enumerate(names)], [
                f"band numbers read as {mission}'s, their wavelengths being its bands': {told} (if wrong, name them "
                "with --bands)"]
    return names, []
