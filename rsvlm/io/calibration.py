"""How Landsat and Sentinel-2 products scale their DN: reflectance and brightness temperature from the
``_MTL.txt`` beside the files (``products.landsat_mtl``), Level-2's fixed scales, a thermal file's declared
kelvin, and Sentinel-2's baseline 04.00 offset. ``products.py`` tells the products and their bands apart.

Each function returns None for a file that is not such a product, so ``SceneReader`` asks them all.
Cannot: read Sentinel-2's ``MTD_*.xml`` (the baseline comes from the ``.SAFE`` name or the sensing date),
correct for emissivity or the atmosphere, or read any other mission's metadata.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np

from rsvlm.io.archives import member_text
from rsvlm.io.bandnames import ESPA_BAND
from rsvlm.io.products import (
    LANDSAT_BANDS,
    LANDSAT_MISSIONS,
    THERMAL,
    landsat_band,
    landsat_mission,
    landsat_mtl,
    landsat_mtl_name,
    mtl_number,
    mtl_pairs,
    product_level,
)


def _level1(stem: str) -> bool:
    """Whether a file's upper-case ``stem`` is a Landsat Level-1 product ID's (``LE07_L1TP_…``)."""
    return product_level(stem) == "L1"


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
    level = product_level(stem) if mission else ""
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
