"""How Landsat and Sentinel-2 products name their bands and scale their DN, read from file names,
band descriptions and the product metadata beside the files (``_MTL.txt``, the ``.SAFE`` name).

Each function returns None for a file that is not such a product, so ``SceneReader`` asks them all.
Cannot: read Sentinel-2's ``MTD_*.xml`` (the baseline comes from the ``.SAFE`` name or the sensing
date) or any other mission's metadata.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np

from rsvlm.io.archives import member_text
from rsvlm.io.bandnames import ESPA_BAND  # Landsat Collection 1 band files as ESPA names them

# Landsat band numbers → the names band matching knows (rsvlm.io.bandnames.SAME_BAND), by the
# mission prefix of a Collection product ID: 8/9 (OLI/TIRS) number their bands unlike 4/5/7 (TM/ETM+).
LANDSAT_BANDS = {
    "oli": {"B1": "coastal", "B2": "B", "B3": "G", "B4": "R", "B5": "NIR", "B6": "SWIR1", "B7": "SWIR2",
            "B8": "pan", "B9": "cirrus", "B10": "TIR", "B11": "TIR2"},
    "tm": {"B1": "B", "B2": "G", "B3": "R", "B4": "NIR", "B5": "SWIR1", "B6": "TIR", "B7": "SWIR2", "B8": "pan"},
}
LANDSAT_MISSIONS = {"LC08": "oli", "LC09": "oli", "LO08": "oli", "LO09": "oli", "LE07": "tm", "LT05": "tm",
                    "LT04": "tm"}
THERMAL = {"TIR", "TIR2"}
S2_WAVELENGTHS = {"B01": "coastal", "B02": "blue", "B03": "green", "B04": "red", "B05": "red edge",
                  "B06": "red edge", "B07": "red edge", "B08": "near infrared", "B09": "water vapour",
                  "B10": "cirrus", "B11": "SWIR1", "B12": "SWIR2"}
S2_ORDER = ("B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B09", "B10", "B11", "B12")  # L1C stack
S2_L2A_ORDER = tuple(b for b in S2_ORDER if b != "B10")  # Level-2A drops the cirrus band


def landsat_mission(p: Path) -> tuple[str, str] | None:
    """(mission, numbering) of a Landsat product ID starting the file name (``LE07_…`` →
    ``("Landsat 7", "tm")``); None for any other name."""
    kind = LANDSAT_MISSIONS.get(prefix := p.stem.upper().split("_")[0])
    return None if kind is None else (f"Landsat {prefix[2:].lstrip('0')}", kind)


def mission_from_names(paths: list[Path]) -> tuple[str, str] | None:
    """(mission, numbering) that every file's name says: a Landsat product ID (``LE07_…`` →
    ``("Landsat 7", "tm")``), a Sentinel-2 product or tile name (``S2B_MSIL2A_…``, also as a
    folder above the file; ``T33UUP_20230613T101559_…``) → ``("Sentinel-2", "s2")``; else None."""
    found = set()
    for p in paths:
        if landsat := landsat_mission(p):
            found.add(landsat)
        elif any(re.match(r"S2[A-D]_MSI", part) for part in p.absolute().parts) or re.match(
                r"T\d{2}[A-Z]{3}_\d{8}T\d{6}_", p.name):
            found.add(("Sentinel-2", "s2"))
        else:
            return None
    return found.pop() if len(found) == 1 else None


def s2_numbered(names: list[str]) -> tuple[list[str], str] | None:
    """(names, what was renamed) for 13 bands named ``B1 … B13`` in order, any case: Sentinel-2 L1C's 13 in their
    order, ``B8A`` the 9th (``S2_ORDER``), so ``B9`` is ``B8A`` and ``B13`` is ``B12`` (read as numbers, B9 was
    water vapour and B13 no band). The one rule for the reader (``band_numbers``) and the model's stem
    (``match_bands``, given an array with those names). None for any other names."""
    if [str(b).upper() for b in names] != [f"B{i}" for i in range(1, 14)]:
        return None
    return list(S2_ORDER), ", ".join(f"{b} as {o}" for b, o in zip(names[8:], S2_ORDER[8:]))


def landsat_numbered(names: list[str]) -> tuple[tuple[str, str], str] | None:
    """((mission, numbering), why) where the bands' own names say a Landsat numbering though no file name does:
    Landsat 7's thermal pair ``B6_VCID_1``, ``B6_VCID_2`` beside them (Earth Engine's ``LANDSAT/LE07`` stacks), or
    11 bands numbered ``B1 … B11`` in order, Landsat 8/9's own set (``LANDSAT/LC08`` TOA, also beside bands of
    other names, its ``QA_PIXEL``, ``SZA``: an export of the whole image had been read as Sentinel-2's; Sentinel-2
    has no such 11 without its B8A). Read as Sentinel-2's, Landsat's pan ``B8`` was the model's near infrared, its
    NIR ``B5`` red edge. None otherwise."""
    upper = [str(b).upper() for b in names]
    if gains := [str(b) for b, u in zip(names, upper) if re.fullmatch(r"B6_VCID_[12]", u)]:
        beside = " beside them" * any(re.fullmatch(r"B[1-9]\d?", b) for b in upper)  # ("them": bare numbers alone)
        return ("Landsat 7", "tm"), (f"{' / '.join(gains)}{beside} {'are band names' if len(gains) > 1 else 'is a band name'}"
                                     " of Landsat 7's alone")
    if ([b for b in upper if re.fullmatch(r"B\d+", b)] == [f"B{i}" for i in range(1, 12)]
            and not any(re.fullmatch(r"B0?8A", b) for b in upper)):
        s2 = ",".join(f"B{int(b[1:]):02d}" if re.fullmatch(r"B\d+", b, re.I) else str(b) for b in names)
        return ("Landsat 8/9", "oli"), ("11 bands numbered B1 … B11 in order are Landsat 8/9's set, which Sentinel-2 "
                                        f"has not without its B8A; if they are Sentinel-2's, --bands {s2}")
    return None


GAIN_NOTE = ("Landsat 7's high-gain band 6 left out of the read: {high} (the same thermal band as {low}, at low gain, "
             "which saturates less over hot ground and is read as TIR)")


def thermal_gains(names: list[str]) -> tuple[int | None, int | None]:
    """(index of the name of ``names`` read as Landsat 7's TIR, index of the one left out of the read) among Landsat
    7's two readings of its band 6: ``B6_VCID_1`` (low gain) and ``B6_VCID_2`` (high gain), as band descriptions or
    band file names end (``LE07_…_B6_VCID_2.TIF``). Both given: the low gain is TIR, the high gain left out (two
    bands of one name, or two thermal files read as one ir band, had been refused); either alone is TIR."""
    tails = [re.search(r"(?:^|_)B6_VCID_([12])$", Path(str(n)).stem.upper() if Path(str(n)).suffix.lower() in (
        ".tif", ".tiff") else str(n).upper()) for n in names]
    low = next((i for i, m in enumerate(tails) if m and m[1] == "1"), None)
    high = next((i for i, m in enumerate(tails) if m and m[1] == "2"), None)
    return (low, high) if low is not None else (high, None)


def one_thermal_gain(files: list[str], notes: list[str]) -> tuple[list[str], list[str]]:
    """Landsat 7's band 6 as two band files, low and high gain (``…_B6_VCID_1.TIF``, ``…_B6_VCID_2.TIF``): the high
    gain's left out, with a note (``thermal_gains``); ``files`` as given otherwise."""
    low, high = thermal_gains(files)
    if high is None or not all(landsat_band(Path(files[i])) for i in (low, high)):
        return files, notes
    note = GAIN_NOTE.format(low=Path(files[low]).name, high=Path(files[high]).name)
    return [f for i, f in enumerate(files) if i != high], [*notes, note]


def band_numbers(names: list[str], mission: tuple[str, str] | None) -> tuple[list[str], str | None]:
    """(names, note): bare band numbers (``b4``, ``B4``, ``B11``) among ``names`` read by the
    ``mission`` (``mission_from_names``) numbering them: Landsat's as the band they are there
    (Landsat 7's ``b4`` → ``NIR``), Sentinel-2's zero-padded (``B04``). With no mission they are
    read as Sentinel-2's, and the note says how to name them for another (Landsat 7's band 4 is
    near infrared, Sentinel-2's red). ``(names, None)`` when there is no bare number."""
    bare = [b for b in names if re.fullmatch(r"[Bb][1-9]\d?", b)]
    six = thermal_gains(names)[0]  # B6_VCID_1: Landsat 7's thermal band by its own name
    if not bare and six is None:
        return names, None
    s2 = {b: f"B{int(b[1:]):02d}" for b in bare}
    if (mission is None or mission[1] == "s2") and (s2_stack := s2_numbered(names)):
        unsure = ("" if mission else "; nothing in the file names the mission, 13 being only Sentinel-2 L1C's count: "
                  "for another sensor's 13 bands, --bands names them")  # (a stack of 13 is no Landsat's)
        return s2_stack[0], (f"13 bands numbered B1 … B13 are Sentinel-2's 13 in their order, B8A the 9th: "
                             f"{s2_stack[1]} (--bands names them otherwise){unsure}")
    if (mission is None and all(s2[b] == b for b in bare)
            and any(re.fullmatch(r"B(0\d|8A)", b, re.I) for b in names)):
        return names, None  # B11, B12 beside B02 … B08: Sentinel-2's own names (Landsat pads none)
    own = landsat_numbered(names) if mission is None else None
    if own or mission is not None and mission[1] != "s2":
        mission = own[0] if own else mission
        table = LANDSAT_BANDS[mission[1]]
        out = [table.get(b.upper(), b) for b in names]
        told = ", ".join(f"{b} as {table[b.upper()]}" for b in bare if b.upper() in table)
        if six is not None and mission[1] == "tm":
            out[six] = "TIR"
            told = ", ".join(filter(None, [told, f"{names[six]} as TIR"]))
        if own:  # the bands' names say it: B8 is Landsat's pan, not Sentinel-2's near infrared
            return out, f"band numbers read by {mission[0]}'s numbering: {told}; {own[1]}"
        return out, f"band numbers read by {mission[0]}'s numbering (the file name says {mission[0]}): {told}"
    out = [s2.get(b, b) for b in names]
    told = ", ".join(f"{b} as {s2[b]} ({S2_WAVELENGTHS.get(s2[b], 'no band')})" for b in bare)
    l2a = ""  # B1 … B12 is a TOA stack by number (sen2r), or an L2A one renumbered (B10 dropped, B8A 9th: ChaBuD)
    if [b.upper() for b in names] == [f"B{i}" for i in range(1, 13)]:
        l2a = (f"; 12 bands numbered B1 … B12 may instead be a Level-2A stack, which has no B10 (cirrus) and B8A "
               f"9th: then B9 is B8A and B10 B09 (--bands {','.join(S2_L2A_ORDER)} says so)")
    if mission is not None:
        return out, f"band numbers read by Sentinel-2's numbering (the file name says Sentinel-2): {told}{l2a}"
    if eight_a := next((b for b in names if re.fullmatch(r"b0?8a", b, re.I)), None):  # Earth Engine's B1 … B8A … B12
        return out, f"band numbers read by Sentinel-2's numbering ({eight_a} beside them is Sentinel-2's alone): {told}"
    landsat = [f"Landsat {what} (--bands {','.join(LANDSAT_BANDS[k].get(b.upper(), b) if b in s2 else b for b in names)})"
               for k, what in (("oli", "8/9"), ("tm", "4/5/7")) if all(b.upper() in LANDSAT_BANDS[k] for b in bare)]
    other = (f" Landsat numbers its bands otherwise; name them by wavelength for {' or '.join(landsat)}, or"
             if landsat else " Name them")  # Landsat 8/9 has no B12: 'SWIR2,…,TIR2,B12' was offered for it
    return out, (f"band numbers name no mission (nothing in the file says which): read as Sentinel-2's, {told}{l2a}."
                 f"{other} zero-padded for Sentinel-2 (--bands {','.join(out)}) to say so")


def sibling_bands(p: Path) -> str:
    """Two of the band files of the Landsat product a band file ``p`` is of, named as it is (``…_SR_B2.TIF,…_SR_B3.TIF``
    for Level-2's ``…_SR_B4.TIF``; ``…_B2.TIF`` had been asked of it, a name no Level-2 file has)."""
    if m := re.search(r"_((?:SR_)?)(B)\d+$", p.stem, re.IGNORECASE):
        kind, b = m.groups()
    else:  # a quality band file (…_QA_PIXEL.TIF): its product's naming, in its case (…_qa_pixel.tif: …_sr_b2.tif)
        kind, b = "SR_" * (_level(p.stem.upper()) == "L2"), "B"
        kind, b = (kind.lower(), b.lower()) if p.stem.islower() else (kind, b)
    return ",".join(f"…_{kind}{b}{n}{p.suffix}" for n in (2, 3))


def espa_named(paths: list[Path]) -> bool:
    """Whether every file is a Landsat Collection 1 band file as ESPA names it (``LC08_…_sr_band4.tif``, ``_bt_band10``)."""
    return bool(paths) and all(landsat_mission(p) and ESPA_BAND.search(p.stem) for p in paths)


def landsat_band(p: Path) -> tuple[str, str, str] | None:
    """``LC08_L2SP_…_SR_B5.TIF`` → ``("NIR", "Landsat 8", "B5")``: a Landsat Collection band file's band by its
    mission's numbering (Landsat 7's ``B6_VCID_1`` is its thermal band, as ESPA's ``…_bt_band6`` is); None else."""
    landsat, m = landsat_mission(p), re.search(r"_B(?P<n>\d+)(?:_VCID_\d)?$", p.stem.upper())
    if (bt := ESPA_BAND.search(p.stem)) and bt[1].upper() == "BT":  # ESPA's brightness temperature (…_bt_band10.tif)
        m = bt if landsat and LANDSAT_BANDS[landsat[1]].get(f"B{bt['n']}") in THERMAL else None
    band = m and f"B{m['n']}"
    if landsat is None or m is None or band not in LANDSAT_BANDS[landsat[1]]:
        return None
    return LANDSAT_BANDS[landsat[1]][band], landsat[0], band


def landsat_described(descriptions: list[str | None], p: Path) -> tuple[list[tuple[str, str, str]] | None, bool,
                                                                        str | None, set[int]]:
    """(bands as ``landsat_band`` gives them, surface reflectance?, note, source bands left out) for
    one file whose band descriptions are Landsat Collection 2 Level-2 bands, as Google Earth Engine
    exports them (``SR_B4``, ``ST_B10``, with ``QA_PIXEL`` and the like); ``(None, False, None,
    set())`` for any other file. Reflectance bands are read without the thermal and quality bands,
    whose DN are on other scales (the note names them); a thermal band alone without the quality
    bands. The mission comes from a product ID starting the file name (``LC08_044034_20210508.tif``),
    else from bands only one numbering has (``SR_B6``, ``ST_B10``: 8/9; ``ST_B6``: 4/5/7); where
    neither tells, bands stay unnamed (``SR_B4`` is red on Landsat 8, near infrared on 7) and the
    note says so."""
    upper = [(d or "").upper() for d in descriptions]
    if not upper or not all(re.match(r"(SR|ST|QA)_", d) for d in upper):
        return None, False, None, set()
    found = [re.fullmatch(r"(SR|ST)_(B\d+)", d) for d in upper]
    kind_of = "SR" if any(m and m.group(1) == "SR" for m in found) else "ST"
    keep = [i for i, m in enumerate(found) if m and m.group(1) == kind_of]
    if not keep:
        return None, False, None, set()
    skip = set(range(len(upper))) - set(keep)
    left = (f"{', '.join(descriptions[i] for i in sorted(skip))} left out of the read (Landsat Level-2 "
            f"{'thermal and quality' if kind_of == 'SR' else 'quality'} bands, on other scales)") if skip else None
    nums = [found[i].group(2) for i in keep]
    surface = kind_of == "SR"
    if landsat := landsat_mission(p):
        mission, kind = landsat
    elif {"SR_B6", "ST_B10", "ST_B11"} & set(upper):
        kind, mission = "oli", "Landsat 8/9"
    elif "ST_B6" in upper:
        kind, mission = "tm", "Landsat 4/5/7"
    else:
        named = ", ".join(descriptions[i] for i in keep)
        note = (f"bands {named} are Landsat Collection 2 Level-2 bands of no known mission (B4 is red on Landsat "
                "8/9, near infrared on 4/5/7): name them with --bands")
        return None, surface, "; ".join(filter(None, [left, note])), skip
    if not all(n in LANDSAT_BANDS[kind] for n in nums):
        return None, surface, left, skip
    return [(LANDSAT_BANDS[kind][n], mission, n) for n in nums], surface, left, skip


def _level(stem: str) -> str:
    """The processing level of the Landsat product ID a file's upper-case ``stem`` starts with (``LE07_L1TP_…`` →
    ``L1``, ``LC08_L2SP_…`` → ``L2``: its second part); else ``""``."""
    parts = stem.split("_")
    return parts[1][:2] if len(parts) > 1 else ""


def _level1(stem: str) -> bool:
    """Whether a file's upper-case ``stem`` is a Landsat Level-1 product ID's (``LE07_L1TP_…``)."""
    return _level(stem) == "L1"


def _rescaled_copy(mission: str, level: str, numbers: str = "its numbers", scale: str = "") -> str:
    """Why 8-bit DN of a product whose DN are 16-bit (Level-2; Landsat 8/9's Level-1) are not scaled by that product's
    numbers (``scale``, said after "16-bit"): a rescaled copy (its 16-bit numbers had made every reflectance ~ -0.1,
    every temperature ~ 150 K). The one wording of the stack, band file and thermal notes."""
    return f"{mission}'s {level} DN are 16-bit{scale}, so 8-bit ones are a rescaled copy that {numbers} do not fit"


RESCALING_KNOWN = "give ReadConfig.msi_band_scaling=[[gain, offset], …], one a band, where the rescaling is known"


def landsat_reflectance(paths: list[Path], bands: list[str], surface: bool) -> tuple[float, float, str] | None:
    """(msi_scale, msi_offset, note) turning Landsat Collection DN into reflectance as
    ``(DN + offset) / scale``: Level-2 surface reflectance (``surface``: ``…_SR_B*`` files or
    ``SR_B*`` band descriptions, every mission) is DN × 2.75e-5 − 0.2. Level-1 top-of-atmosphere reflectance is
    (DN × M + A) / sin(sun elevation) with M, A and the elevation from the product's ``_MTL.txt``
    beside the files (every mission, when M and A are the same for all ``bands``, the files' band
    numbers); without it, Landsat 8/9's fixed DN × 2e-5 − 0.1, uncorrected. None for other files."""
    stems = [p.stem.upper() for p in paths]
    if surface:
        return 1 / 2.75e-5, -0.2 / 2.75e-5, "Landsat Collection 2 Level-2 surface reflectance: DN × 2.75e-5 − 0.2"
    if not all(map(_level1, stems)):
        return None  # a Level-1 product ID names every file (an Earth Engine export's name need not)
    mtl, numbering = landsat_mtl(paths[0]), LANDSAT_BANDS.get((landsat_mission(paths[0]) or ("", ""))[1], {})
    if mtl is not None:  # a thermal band file among them (B10: no reflectance) is scaled as they are (said of it)
        own = [b for b in bands if numbering.get(b) not in THERMAL] or bands  # (it had cost them the sun's correction)
        mult, add = ({mtl_number(mtl, f"REFLECTANCE_{k}_BAND_{b[1:]}") for b in own} for k in ("MULT", "ADD"))
        elev = mtl_number(mtl, "SUN_ELEVATION")
        if len(mult) == len(add) == 1 and None not in mult | add and elev and elev > 0:
            m, a, sin = mult.pop(), add.pop(), math.sin(math.radians(elev))
            return sin / m, a / m, (f"Landsat Level-1 reflectance from the _MTL.txt: (DN × {m:g} + {a:g}) / "
                                    f"sin({elev:.1f}° sun elevation)")
    if all(LANDSAT_MISSIONS.get(s.split("_")[0]) == "oli" for s in stems):
        why = ("no _MTL.txt beside the files" if mtl is None else
               f"the _MTL.txt has no one REFLECTANCE_MULT/ADD or SUN_ELEVATION for bands {', '.join(bands)}")
        return 5e4, -5e3, f"Landsat 8/9 Level-1 reflectance: DN × 2e-5 − 0.1 ({why}: no sun-elevation correction)"
    return None


def landsat_8bit_reflectance(paths: list[Path], bands: list[str], surface: bool = False) -> tuple[list[list[float]] | None,
                                                                                               str] | None:
    """(``ReadConfig.msi_band_scaling``, note) for Landsat Level-1 bands stored as 8-bit DN (Landsat 4/5/7's
    Collection products; ``bands`` the files' band numbers): top-of-atmosphere reflectance (DN × M + A) / sin(sun
    elevation) with each band's own M and A (they differ by band, as 8/9's do not) from the product's ``_MTL.txt``
    beside the files; ``(None, note)`` where that file is not there or lacks a number (the DN are then read as DN /
    255, as other 8-bit msi is: said), as for Level-2 surface reflectance (``surface``), whose DN are 16-bit: an 8-bit
    copy's had been read as DN / 255 unsaid; None for files that are no Level-1 or Level-2 product."""
    stems = [p.stem.upper() for p in paths]
    as_is = "the 8-bit DN are read as DN / 255, not as reflectance"
    if bands and surface:
        mission = landsat_mission(paths[0]) or ("Landsat",)
        return None, (_rescaled_copy(mission[0], "Level-2 surface reflectance", "those numbers", " (DN × 2.75e-5 − 0.2)")
                      + f": {as_is} ({RESCALING_KNOWN})")
    if not bands or not all(map(_level1, stems)):
        return None
    if (mission := landsat_mission(paths[0])) and mission[1] == "oli":  # its 16-bit M and A made 8-bit DN ~ -0.1
        return None, _rescaled_copy(mission[0], "Level-1", "its _MTL.txt's numbers") + f": {as_is} ({RESCALING_KNOWN})"
    if (mtl := landsat_mtl(paths[0])) is None:  # a band file copied away from its product
        return None, (f"no {landsat_mtl_name(paths[0])} beside the files: {as_is} (put it beside them, or give "
                      "ReadConfig.msi_band_scaling=[[gain, offset], …], one a band)")
    if hot := [b for b in bands if LANDSAT_BANDS["tm"].get(b) in THERMAL]:  # band 6: radiance, no reflectance
        return None, (f"{', '.join(hot)}, thermal, has no reflectance: {as_is} (read the thermal band on its own, as "
                      "ir: its _MTL.txt puts it in kelvin)" if hot == bands else  # among others: modality says so of it
                      f"{as_is}: {', '.join(hot)} among them is thermal, of no reflectance in the _MTL.txt; give the "
                      "others without it to read them as reflectance")
    scaling, told = band_reflectance(mtl, bands, bands)
    if scaling is None:
        return None, f"{landsat_mtl_name(paths[0])} has no number for {told}: {as_is}"  # (an _MTL.txt cut short)
    return scaling, f"Landsat Level-1 reflectance from the _MTL.txt, by band: {told}"


def band_reflectance(mtl: dict[str, str], nums: list[str], labels: list[str]) -> tuple[list[list[float]] | None, str]:
    """(``ReadConfig.msi_band_scaling``, how) for Level-1 bands numbered ``nums`` (``B3``): each one's (DN × M + A) /
    sin(sun elevation) from the ``_MTL.txt`` pairs ``mtl``, said by ``labels``; ``(None, the keys it lacks)``."""
    keys = [k for n in nums for k in (f"REFLECTANCE_MULT_BAND_{n[1:]}", f"REFLECTANCE_ADD_BAND_{n[1:]}")]
    values, elev = [mtl_number(mtl, k) for k in keys], mtl_number(mtl, "SUN_ELEVATION")
    if missing := [k for k, v in zip(keys, values) if v is None] + ["SUN_ELEVATION"] * (not elev or elev <= 0):
        return None, ", ".join(missing)
    sin = math.sin(math.radians(elev))
    told = ", ".join(f"{b} DN × {m:g} {'−' if a < 0 else '+'} {abs(a):g}" for b, m, a in zip(labels, values[::2], values[1::2]))
    return [[m / sin, a / sin] for m, a in zip(values[::2], values[1::2])], f"({told}) / sin({elev:.1f}° sun elevation)"


def landsat_stack_reflectance(path: Path, bands: list[str], dtype: str = "uint16") -> tuple[list[list[float]] | None,
                                                                                            str] | None:
    """(``ReadConfig.msi_band_scaling``, note) for one multi-band file of a Landsat product (``LC08_L1TP_…_stack.tif``)
    whose bands read (``bands``) are named by the mission's numbering (``R``, ``NIR``), as its band files are scaled:
    Level-2 (``L2SP``) surface reflectance DN × 2.75e-5 − 0.2; Level-1 each band's (DN × M + A) / sin(sun elevation)
    from the ``_MTL.txt`` beside it (the product ID's seven parts + ``_MTL.txt``), else Landsat 8/9's fixed DN × 2e-5
    − 0.1. ``(None, note)`` where that cannot be done (unnamed bands: which of the product's each is, is not known; a
    thermal band; numbers the MTL lacks; 8-bit ``dtype`` of a product whose DN are 16-bit, Level-2 or Landsat 8/9: a
    rescaled copy). None where the name is no such product ID (or a Landsat 4/5/7 Level-1 without its ``_MTL.txt``,
    as before)."""
    stem, mission = path.stem.upper(), landsat_mission(path)
    level = _level(stem) if mission else ""
    if level not in ("L1", "L2"):
        return None
    names = ["_".join(path.stem.split("_")[:7]) + "_MTL.txt", landsat_mtl_name(path)]
    mtl_path, mtl = next(((path.with_name(n), t) for n in names if (t := member_text(path.with_name(n))) is not None),
                         (None, None))  # beside it, or in its zip or tar (read once: a tar's is read up to it)
    if level == "L1" and mtl_path is None and mission[1] != "oli":
        return None  # (no fixed scale for Landsat 4/5/7's DN)
    number = {v.upper(): k for k, v in LANDSAT_BANDS[mission[1]].items()}  # "R" → "B4" (Landsat 7's: "B3")
    nums = [number.get(str(b).upper()) for b in bands]
    by = mtl_path.name if mtl_path else "the product's scale"
    as_is = f"the stack's DN are read as other msi is (uint16 / 10000, 8-bit / 255), not by {by}"
    if dtype == "uint8" and (level == "L2" or mission[1] == "oli"):  # (its 16-bit numbers made 8-bit DN all ~ -0.1)
        why = _rescaled_copy(mission[0], "Level-2" if level == "L2" else "Level-1")
        return None, f"{as_is}: {why} ({RESCALING_KNOWN})"
    if None in nums:
        example = f" (e.g. {stack_example(mission[1], len(bands))})" if len(bands) <= len(LANDSAT_BANDS[mission[1]]) else ""
        return None, (f"{as_is}: its bands ({', '.join(bands)}) are not {mission[0]}'s bands by name, so which "
                      f"of its reflectance numbers each takes is not known; name them by {mission[0]}'s numbering "
                      f"with --bands{example} to read them as reflectance")
    if hot := [b for b, n in zip(bands, nums) if LANDSAT_BANDS[mission[1]][n] in THERMAL]:
        return None, (f"{as_is}: {', '.join(hot)}, thermal, has no reflectance (read it on its own as ir, or a "
                      "stack without it)")
    if level == "L2":
        return [[2.75e-5, -0.2]] * len(bands), ("Landsat Collection 2 Level-2 surface reflectance (the file name says "
                                                "L2): DN × 2.75e-5 − 0.2")
    if mtl_path is None:
        return [[2e-5, -0.1]] * len(bands), ("Landsat 8/9 Level-1 reflectance: DN × 2e-5 − 0.1 (no _MTL.txt beside "
                                             "the stack: no sun-elevation correction)")
    scaling, told = band_reflectance(mtl_pairs(mtl), nums, [f"{b} ({n})" for b, n in zip(bands, nums)])
    if scaling is None:
        return None, f"{as_is}: it has no number for {told}"
    return scaling, f"Landsat Level-1 reflectance from {mtl_path.name}, by band: {told}"


def stack_example(numbering: str, n: int) -> str:
    """A --bands example of ``n`` band numbers (``b2,b3,b4,b5``) for an unnamed stack of a Landsat product numbered
    ``numbering``: its reflectance bands in order (no thermal, no pan; Landsat 8/9 from blue where coastal is not
    needed), all its bands in order where ``n`` outnumbers them (``b2 … b{n + 1}`` had named pan and thermal bands,
    and numbers no mission has). Upper case where lower would be ``b1 … bn`` in order, which --bands reads as unnamed."""
    own = sorted(LANDSAT_BANDS[numbering], key=lambda b: int(b[1:]))
    refl = [b for b in own if LANDSAT_BANDS[numbering][b] not in THERMAL | {"pan"}]
    start = int(numbering == "oli" and n <= len(refl) - 2)  # (B2 … B7 for 6 or fewer: coastal B1 is seldom stacked)
    names = refl[start:start + n] if n <= len(refl) else own[:n]
    return ",".join(names if names == [f"B{i + 1}" for i in range(n)] else [b.lower() for b in names])


LANDSAT_ST = (0.00341802, 149.0)  # Collection 2 Level-2 surface temperature: K = DN × gain + offset
ESPA_BT = (0.1, 0.0)  # ESPA's Collection 1 brightness temperature (…_bt_band10.tif): K × 10


def landsat_thermal(path: Path, descriptions: list[str | None], dtype: str = "uint16") -> tuple[list[float] | None,
                                                                                             str] | None:
    """(``ReadConfig.ir_kelvin``, note) for one Landsat thermal band: Collection 2 Level-2 surface
    temperature (``…_ST_B10.TIF`` or an ``ST_B10`` band description) is DN × 0.00341802 + 149 K;
    a Level-1 band becomes brightness temperature at the sensor with the radiance rescaling and
    K1, K2 of its product's ``_MTL.txt`` beside it; ``(None, note)`` where that file lacks them (a
    truncated download) or is not there, and for 8-bit ``dtype`` of a product whose DN are 16-bit (Level-2, Landsat
    8/9: a rescaled copy, whose DN × 0.00341802 + 149 had all been about 149.5 K). None otherwise (the DN are
    stretched as they are)."""
    stem = path.stem.upper()
    if (espa := ESPA_BAND.search(stem)) and espa[1] == "BT" and landsat_mission(path):  # ESPA's (int16, -9999 fill)
        return list(ESPA_BT), f"Landsat ESPA brightness temperature: DN × {ESPA_BT[0]:g} K"
    level2 = "_ST_B" in stem or [(d or "").upper()[:4] for d in descriptions] == ["ST_B"]
    m = re.search(r"_B(\d+(?:_VCID_\d)?)$", stem)
    level1 = m and _level1(stem)
    if dtype == "uint8" and (level2 or level1 and (landsat_mission(path) or ("", ""))[1] == "oli"):
        who = (landsat_mission(path) or ("Landsat",))[0]
        return None, (_rescaled_copy(who, f"{'Level-2' if level2 else 'Level-1'} thermal") + ": stretched as they are, "
                      "not turned into kelvin (give ir_kelvin=[gain, offset] where the rescaling is known)")
    if level2:
        return list(LANDSAT_ST), f"Landsat Collection 2 Level-2 surface temperature: DN × {LANDSAT_ST[0]:g} + {LANDSAT_ST[1]:g} K"
    mtl = landsat_mtl(path) if level1 else None
    if mtl is None:  # a band file copied away from its product: stretched as DN, said (it had been silent)
        thermal = (landsat_band(path) or ("",))[0] in THERMAL
        if not (level1 and thermal):
            return None
        return None, (f"no {landsat_mtl_name(path)} beside it: the Level-1 thermal DN are stretched as they are, not "
                      "turned into kelvin (put it beside the file, or give ir_kelvin=[gain, offset, K1, K2])")
    keys = [f"{k}_BAND_{m.group(1)}" for k in ("RADIANCE_MULT", "RADIANCE_ADD", "K1_CONSTANT", "K2_CONSTANT")]
    gain, offset, k1, k2 = values = [mtl_number(mtl, k) for k in keys]
    if None in values:
        missing = [k for k, v in zip(keys, values) if v is None]
        return None, (f"the _MTL.txt beside it has no number for {', '.join(missing)}: the thermal DN are "
                      "stretched as they are, not turned into kelvin")
    return [gain, offset, k1, k2], (f"Landsat Level-1 brightness temperature from the _MTL.txt: "
                                    f"{k2:g} / ln({k1:g} / (DN × {gain:g} + {offset:g}) + 1) K")


def declared_kelvin(raw: np.ndarray, valid: np.ndarray | None, declared: tuple[float, float],
                    fill_free: bool = False) -> tuple[list[float], str, bool] | None:
    """(``ReadConfig.ir_kelvin``, note, whether DN 0 is fill) for ir whose one GDAL scale / offset ``declared``
    makes its values (``raw`` (C, h, w), the scene's decimated sample, DN 0 left out; ``valid`` (h, w) or None)
    temperatures on Earth in kelvin (150-400 K, 2nd to 98th percentile): a thermal product's DN × 0.01 K. DN 0
    is fill where ``fill_free`` (no nodata declared or given), the sample holds it and it would be colder than
    any surface (the offset below 150 K: Landsat ST's 149 K had stretched from 149 K). None where the values
    are no kelvin (radiance, °C, reflectance)."""
    from rsvlm.io.band_evidence import KELVIN_RANGE

    v = raw[:, valid] if valid is not None else raw.reshape(len(raw), -1)  # (C, n)
    k = v[(v != 0) & np.isfinite(v)].astype(np.float64) * declared[0] + declared[1]
    if not k.size or not (KELVIN_RANGE[0] <= np.percentile(k, 2) and np.percentile(k, 98) <= KELVIN_RANGE[1]):
        return None
    zero = float((v == 0).all(axis=0).mean()) if fill_free and declared[1] < KELVIN_RANGE[0] else 0.0
    return list(declared), (f"kelvin as the file declares it (GDAL scale / offset): DN × {declared[0]:g} + "
                            f"{declared[1]:g} K, median {np.median(k):.1f} K (ReadConfig.ir_kelvin says otherwise)"
                            + (f"; DN 0 ({declared[1]:g} K, colder than any surface), {zero:.1%} of the pixels, read "
                               "as nodata (ReadConfig.nodata says otherwise)" if zero else "")), zero > 0


def landsat_mtl_name(p: Path) -> str:
    """The name of the ``_MTL.txt`` of the Landsat product a band file belongs to."""
    return re.sub(r"_(?:SR_|ST_)?B\d+(?:_VCID_\d)?$", "", p.stem, flags=re.IGNORECASE) + "_MTL.txt"


def landsat_mtl(p: Path) -> dict[str, str] | None:
    """``KEY = VALUE`` pairs of the ``_MTL.txt`` of the Landsat product a band file belongs to."""
    text = member_text(p.with_name(landsat_mtl_name(p)))  # beside it on disk, or in its zip or tar (/vsitar/…)
    return None if text is None else mtl_pairs(text)


def mtl_pairs(text: str) -> dict[str, str]:
    """``KEY = VALUE`` pairs of an ``_MTL.txt``'s text, quotes taken off."""
    pairs = (line.split("=", 1) for line in text.splitlines() if "=" in line)
    return {k.strip(): v.strip().strip('"') for k, v in pairs}


def mtl_number(mtl: dict[str, str], key: str) -> float | None:
    """The finite number an ``_MTL.txt`` gives for ``key``; None where it gives none (a truncated file)."""
    try:
        v = float(mtl.get(key, ""))
    except ValueError:
        return None
    return v if math.isfinite(v) else None


S2_BASELINE_4_FROM = "20220125"  # ESA processes every product sensed from this day on with baseline >= 04.00


def sentinel2_offset(paths: list[Path]) -> tuple[float, str] | None:
    """(msi_offset, note) for Sentinel-2 band files whose DN carry the +1000 offset of processing
    baseline 04.00 or later: inside a ``.SAFE`` product that says so (``S2A_MSIL2A_…_N0509_…``), or,
    taken out of it, named as ESA names them (``T33UUP_20230613T101559_B04_10m.jp2``) and sensed on
    or after 25 January 2022, when that baseline came into use. None otherwise: an older scene
    reprocessed with the new baseline must be given ``msi_offset`` by hand."""
    found, dates = set(), set()
    for p in paths:
        for part in p.resolve().parts:
            if m := re.match(r"S2[A-D]_MSIL(1C|2A)_\d{8}T\d{6}_N(\d{4})_", part):
                found.add(m.group(2))
        if m := re.match(r"T\d{2}[A-Z]{3}_(\d{8})T\d{6}_B", p.name):
            dates.add(m.group(1))
    if found:
        if len(found) != 1 or int(found.pop()) < 400:
            return None
        return -1000.0, "Sentinel-2 processing baseline >= 04.00: DN offset by -1000 before / 10000"
    named = all(re.match(r"T\d{2}[A-Z]{3}_\d{8}T\d{6}_B", p.name) for p in paths)
    if not named or len(dates) != 1 or (day := dates.pop()) < S2_BASELINE_4_FROM:
        return None
    return -1000.0, (f"Sentinel-2 tile sensed {day}, after processing baseline 04.00 came in (25 Jan 2022): DN "
                     "offset by -1000 before / 10000 (an older baseline's product needs msi_offset=0)")
