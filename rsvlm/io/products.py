"""How Landsat and Sentinel-2 products name their bands, read from file names, band descriptions and the
product metadata beside the files (``_MTL.txt``); how they scale their DN is ``calibration.py``'s.

Each function returns None for a file that is not such a product, so ``SceneReader`` asks them all.
Cannot: read Sentinel-2's ``MTD_*.xml`` or any other mission's metadata.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

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
        kind, b = "SR_" * (product_level(p.stem.upper()) == "L2"), "B"
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


def product_level(stem: str) -> str:
    """The processing level of the Landsat product ID a file's upper-case ``stem`` starts with (``LE07_L1TP_…`` →
    ``L1``, ``LC08_L2SP_…`` → ``L2``: its second part); else ``""``."""
    parts = stem.split("_")
    return parts[1][:2] if len(parts) > 1 else ""


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
