"""What an image is, where the caller does not say: its modality (optical, sar, ir, msi) from file
names (Landsat, Sentinel-2 band files), band count and dtype, and one band's values and metadata;
and which of its bands are read as that modality.

    guess = guess_modality(src, paths, None, cfg)     # guess.modality, guess.notes
    indexes, notes = plan(src, guess, name, cfg.nodata)

Every guess is said in a note ("modality inferred as … from …"); one from values alone says so and
names the option that says otherwise. A single band whose metadata says elevation (a length unit,
"elevation" / "DEM" in its description or tags, an SRTM .hgt, a vertical CRS) is refused unless the
modality is given: a DEM is none of rsvlm's modalities; so is a 1-bit image (a mask's or label's). An
8-bit image of two values, or a palette of 32 colours or fewer, is said to look like a mask or class
map (a note). Cannot: tell a thermal band from single-polarisation SAR in uint DN, nor a panchromatic
band from either, by anything but type and georeferencing; nor, by values, int16 dB × 100 from °C × 100 of a winter scene, or metres from kelvin
(a pixel-to-pixel roughness measure does not separate them either: Landsat 8 band 10 at 30 m steps
0.066 of its spread between neighbours, Sentinel-1 GRD 0.08-0.1).
What one band's type, values and metadata say (``infer_modality``, ``by_values``, ``elevation_said``)
is in ``band_evidence.py``.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rsvlm.io import fills as fl
from rsvlm.io import products as pr
from rsvlm.io import scaling as sc
from rsvlm.io.band_evidence import (
    ELEVATION_WORDS,
    THERMAL_WORDS,
    by_values,
    elevation_error,
    elevation_said,
    infer_modality,
    pan_like,
)
from rsvlm.io.bandnames import (
    band_name_from_file,
    polarisation_from_file,
    polarisation_in,
    polarisations_in,
    sentinel2_alone,
)
from rsvlm.io.checks import ImageReadError, dtype_said, n_bands
from rsvlm.io.quality import PLANET_SCENE, qa_asked, qa_way_out, qa_what, quality_band, quality_file
from rsvlm.io.sources import read_as_stored
from rsvlm.io.thermal import band_unit, described_unit, unit_kelvin

MSI_BAND = r"[Bb]\d{1,2}[Aa]?"  # B02, B8A: a multispectral band's name
MSI_NAME = r"b\d{1,2}a?|coastal|blue|green|yellow|red|nir\d{0,2}|red[ _]?edge\d{0,3}|swir\d{0,2}|cirrus|pan(chromatic)?"  # (STAC's swir16, rededge071)
CLASS_COLOURS = 32  # a paletted image using no more colours than this may be a class map (ESA WorldCover: 11)
BILEVEL = "it holds 1 bit a pixel (two values only), as a mask or label does, not imagery"


@dataclass
class Guess:
    """The modality of a scene and what told it (``guess_modality``)."""

    modality: str
    inferred: bool  # the caller gave no modality
    notes: list[str] = field(default_factory=list)
    landsat: list | None = None  # [(band name, mission, number)] for Landsat Collection bands
    surface: bool = False  # Landsat surface reflectance (_SR_B*)
    landsat_dn: bool = False  # Landsat Collection DN, named or not
    skip: set[int] = field(default_factory=set)  # source bands left out (an Earth Engine export's QA bands)
    s2_band: str | None = None  # one Sentinel-2 band file alone (B02.jp2)
    ir_kelvin: list[float] | None = None  # set where the values are kelvin already ([1, 0])
    ir_unit: tuple | None = None  # (ir_kelvin, what says °C or None for kelvin) from the band's unit (thermal.py)


def given_modality(modality, name: str) -> str | None:
    """``modality`` as the caller gave it, in any case and spacing ("SAR", " ir"), as one of
    ``scaling.MODALITIES``; None where none is given; ValueError naming ``name`` and the modalities
    otherwise (before the file is opened: "SAR" was refused after it, though the CLI takes it)."""
    if modality is None:
        return None
    m = modality.strip().lower() if isinstance(modality, str) else modality
    if m not in sc.MODALITIES:
        raise ValueError(f"{name}: unknown modality {modality!r}; expected one of {', '.join(sc.MODALITIES)}")
    return m


def guess_modality(src, paths: list[Path], modality: str | None, nodata: float | None, read=None,
                   skipped=None) -> Guess:
    """``modality`` as given, else guessed from ``src`` (an open source, ``sources.py``) and the file
    names ``paths``: Landsat names or band descriptions, Sentinel-2 band files, then band count and
    dtype (``infer_modality``) corrected by one band's values and metadata (``by_values``). ValueError
    naming the file where no modality is given and one band's metadata says elevation (``elevation_said``).
    ``read(max_side, indexes, nodata)``: how a sample is read (``sources.read_as_stored`` of ``src``; the reader's
    ``SharedRead.sample``, a stride of one read, where it has one); ``skipped(bands)``: told the bands (0-based)
    left out by their metadata before any sample is read (``SharedRead.leave_out``: it had held them)."""
    g = Guess(modality or "", modality is None)
    landsat = [pr.landsat_band(p) for p in paths] if src.count == len(paths) else []
    g.landsat = landsat if landsat and all(landsat) else None
    refl = [p for p, (b, *_) in zip(paths, g.landsat or []) if b not in pr.THERMAL]  # (an ST_B10 among them: said)
    g.surface = bool(refl) and all("_SR_B" in p.stem.upper() for p in refl)
    if g.landsat is None and len(paths) == 1 and src.alpha_index is None:
        g.landsat, g.surface, note, g.skip = pr.landsat_described(src.descriptions, paths[0])
        g.notes += [note] if note else []
    g.landsat_dn = bool(g.landsat) or g.surface or bool(g.skip)
    angle = incidence_bands(src) if not g.skip and len(paths) == 1 and modality in (None, "sar") else set()
    if angle:  # Earth Engine's S1_GRD export: VV, VH, angle was read as an optical composite
        g.skip = angle
        g.notes.append(f"band{'s' * (len(angle) > 1)} {', '.join(src.descriptions[i] for i in sorted(angle))} (the "
                       "incidence angle, in degrees: no backscatter) left out of the read")
    low, high = pr.thermal_gains(src.descriptions) if len(paths) == 1 else (None, None)
    if high is not None and high not in g.skip:  # Earth Engine's LANDSAT/LE07 stack: B6_VCID_1 and B6_VCID_2
        g.skip = {*g.skip, high}
        g.notes.append(pr.GAIN_NOTE.format(low=src.descriptions[low], high=src.descriptions[high]))
    if skipped and g.skip:
        skipped(g.skip)
    # one Sentinel-2 band file alone (B02.jp2): one named msi band, not a thermal frame
    g.s2_band = sentinel2_alone(paths[0]) if len(paths) == 1 and src.count == 1 else None
    files = _band_files(src, paths)
    aside = [p for p in paths if p not in files]  # the list's alpha file, flagged or named so
    if len(files) == 1 < len(paths) and src.alpha_index is not None and re.fullmatch(
            MSI_BAND, band := band_name_from_file(files[0])):  # B04.tif + its flagged alpha: one named band, so too
        g.s2_band = sentinel2_alone(files[0]) or band  # (B4: by the numbering note)
    one = [i for i in range(src.count) if i != src.alpha_index and i not in angle]
    # by_values' and described_clash's, once; band files resampled on read as they hold them (``read_stored``,
    # nearest), as the stretch's sample: bilinear, the guess weighed values no file holds
    read = read or functools.partial(read_as_stored, src)
    sample = functools.cache(lambda: read(256, one, nodata))
    name = ", ".join(str(p) for p in paths)
    qa = [(p.name, q) for p in paths if (q := quality_band(p) if len(paths) > 1 else quality_file(p, len(one), src.dtype))]
    # a QA_PIXEL read as a thermal frame, unsaid; a quality file holds one band (an RGB photo so named is none), a
    # Planet UDM2 8 of uint8 (read as 8-band msi)
    # a Landsat thermal band file among reflectance band files (…_ST_B10.TIF, ESPA's …_bt_band10.tif): its kelvin DN
    # were scaled as reflectance beside them (and the others' Level-2 scale lost), unsaid
    hot = [p.name for p in paths if (pr.landsat_band(p) or ("",))[0] in pr.THERMAL] if len(paths) > 1 else []
    hot = hot if len(hot) < len(paths) else []
    if modality is not None:
        g.notes += [_thermal_among(hot)] if hot and modality == "msi" else []
        g.notes += [f"{n} is {qa_asked(q)}: read as {modality}, as asked" for n, q in qa]
        g.notes += [note] if (note := _named_otherwise(g, modality)) else []
        if modality != "sar" and (note := _polarised(src, paths, one, modality)):
            g.notes.append(note)
            if modality in ("optical", "ir") and nodata is None and not src.declares_nodata and (
                    zero := fl.polarised_zero_note(*sample(), (src.width, src.height), modality)):
                g.notes.append(zero)  # its zero fill, read as data (as sar: nodata, said)
        if len(one) == 1 and (dem := elevation_said(src, one[0])):
            g.notes.append(f"{dem} says it holds elevation (a DEM): read as {modality}, as asked")
        if getattr(src, "bilevel", False):
            g.notes.append(f"{BILEVEL}: read as {modality}, as asked")
        if src.alpha_index is None and aside:
            g.notes.append(_unflagged_alpha(aside[0]))  # read as a band, as the inferred reads say
        return _thermal_unit(g, src, one, sample)
    if getattr(src, "bilevel", False):  # a segmentation mask given as the image was read as a black-and-white photo
        # (an ImageReadError, a ValueError: not an image, as a damaged header read as 1 bit is not either)
        raise ImageReadError(f"{name}: {BILEVEL}; a segmentation or change label goes in the record's answer "
                             "(<mask>, <poly>), not as its image; give the modality (--modality, or "
                             "read_image(..., modality=...)) to read it as an image anyway")
    if qa:
        what = qa_what(qa[0][1]) if len(paths) == 1 else "; ".join(f"{n} is {qa_what(q)}" for n, q in qa)
        raise ImageReadError(f"{name}: {what}, not an image; give the scene's "
                             f"{'image' if qa[0][1] in PLANET_SCENE else 'band files'} ({qa_way_out(Path(qa[0][0]), qa[0][1])}) without it, or "
                             "the modality (--modality) to read it as an image anyway")
    if g.landsat_dn:
        thermal = bool(g.landsat) and all(b in pr.THERMAL for b, *_ in g.landsat)
        pan = bool(g.landsat) and [b for b, *_ in g.landsat] == ["pan"]  # one panchromatic band: grey, no msi band
        g.modality = "ir" if thermal else "optical" if pan else "msi"
        where = f"file name{'s' * (len(paths) > 1)}" if len(paths) > 1 or pr.landsat_band(paths[0]) else "band descriptions"
        g.notes.append(f"modality inferred as {g.modality} from Landsat {where}" + (
            " (its panchromatic band alone: a grey image, as a pan chip is)" if pan else ""))
        if g.modality == "msi" and len(paths) == 1 and src.count == 1:  # LE07_…_B3.TIF alone had been refused
            g.notes.append(f"one Landsat band ({g.landsat[0][0]}) read alone; give the scene's band files "
                           f"comma-separated ({pr.sibling_bands(paths[0])},…) to read all of them")
    elif (len(files) > 1 or aside) and all(re.fullmatch(MSI_BAND, band_name_from_file(p)) for p in files):
        g.modality = "msi"  # B02, B8A: multispectral band files whatever their number (two are not a SAR pair;
        # B04 beside alpha.tif, one band, was sar by the count)
        g.notes.append(f"modality inferred as msi from band{'s' * (len(files) > 1)} "
                       f"{', '.join(band_name_from_file(p) for p in files)} in {len(files)} file{'s' * (len(files) > 1)}"
                       + (f", beside the alpha file {aside[0].name}" if aside else ""))
        if aside and src.alpha_index is None:  # named alpha, not flagged: a band (R, G, B of an optical guess)
            g.notes.append(_unflagged_alpha(aside[0]))
    elif g.s2_band:
        g.modality = "msi"
        g.notes.append(f"modality inferred as msi from the file name: one Sentinel-2 band ({g.s2_band}); "
                       "give the scene's band files comma-separated (B02.jp2,B03.jp2,…) to read all of them")
    else:
        if len(one) == 1 and (dem := elevation_said(src, one[0])):  # a DEM was read as thermal or SAR unsaid
            raise elevation_error(name, dem)
        g.modality, why = infer_modality(src.count, dtype_said(src), gcps_only=bool(src.gcps),
                                         alpha=src.alpha_index is not None, n_files=len(paths))
        fix = None
        if len(one) == 1 and np.dtype(src.dtype).kind in "fi" and g.modality in ("sar", "ir") and (fix := by_values(
                g.modality, *sample(), src.descriptions[one[0]], band_unit(src, one[0]),
                paths[0].name, sc.declared_scaling(src, one))):  # kelvin as "sar", int16 dB as "ir"
            g.modality, why = fix[0], f"modality inferred as {fix[0]} from 1 band {dtype_said(src)}: {fix[1]}"
            g.ir_kelvin = [1.0, 0.0] if fix[2] else None
        if (fix is None and g.modality == "ir" and len(one) == 1 and src.dtype == "uint16"
                and not src.descriptions[one[0]] and not band_unit(src, one[0])
                and (getattr(src, "crs", None) or getattr(src, "rpcs", False))  # a map-georeferenced scene (SpaceNet's
                # WorldView pan) or a satellite L1 product by its RPCs (WorldView L1B pan: was ir)
                and not THERMAL_WORDS.search(paths[0].stem) and (pan := pan_like(*sample(), sc.declared_scaling(src, one)))):
            g.modality = "optical"
            why = f"modality inferred as optical (a grey panchromatic band) from 1 band uint16: {pan}"
        names = [src.descriptions[i] or "" for i in one]
        pols = polarisations(src, paths, one)
        if fix is None and g.modality != "sar" and len(one) in (1, 2, 4) and all(pols) and len(set(pols)) == len(pols):
            g.modality = "sar"  # HH, HV, VH, VV were 4 msi bands; a uint16 VV band thermal
            by_name = not all(polarisation_in(d) for d in names)  # a word of a file's name (pylon_hv_01.png)
            why = (f"modality inferred as sar from {n_bands(len(one))} {dtype_said(src)} named {', '.join(pols)} (polarisations"
                   + (", by a word of the file name only; a thermal band: --modality ir; a grey or panchromatic photo: "
                      "--modality optical)" if by_name else ")"))
        composite = g.modality == "optical" and len(one) == 3 and len(set().union(*map(polarisations_in, names))) >= 2
        if g.modality == "sar" and len(one) == 2 and np.dtype(src.dtype).kind != "c" and all(re.fullmatch(MSI_NAME, d, re.I) for d in names):
            g.modality = "msi"  # two bands described red and NIR were read as a polarisation pair
            why = f"modality inferred as msi from 2 bands described {', '.join(names)}"
        g.notes.append(why)
        if src.alpha_index is None and aside:  # VV.tif, alpha.tif: a pair of VV and alpha in dB, unsaid
            g.notes.append(_unflagged_alpha(aside[0]))
        if composite:  # VV, VH, VV/VH: read as optical without a word
            g.notes.append(f"its bands are described {', '.join(names)}: a SAR colour composite, read as optical; "
                           "rsvlm reads SAR as 1, 2 or 4 polarisation bands: give those alone for sar")
        if len(one) == 1 and (word := ELEVATION_WORDS.search(paths[0].name)):
            g.notes.append(f"the file name says {word.group(0)!r}: if it holds elevation (a DEM), that is no "
                           f"modality rsvlm reads, and {g.modality} is only what its type and values suggest; "
                           "give the modality (--modality) if it is imagery")
        band = band_name_from_file(paths[0])
        if len(paths) == 1 and src.count == 1 and re.fullmatch(MSI_BAND, band):
            g.notes.append(f"the file holds one multispectral band ({band}), read as a grey {g.modality} image; "
                           "for msi give the scene's band files comma-separated (B02.jp2,B03.jp2,B04.jp2,…)")
    g.notes += [_thermal_among(hot)] if hot and g.modality == "msi" else []
    return _thermal_unit(g, src, one, sample)


def _thermal_among(hot: list[str]) -> str:
    """The note on Landsat thermal band files ``hot`` read among reflectance band files as msi."""
    one = len(hot) == 1
    return (f"{', '.join(hot)} {'is a thermal band' if one else 'are thermal bands'} (temperature, no reflectance) "
            "read beside the reflectance band files and scaled as they are: a model whose msi bands include a thermal "
            "band sees values of no temperature there (the default model's msi bands have none and leave it out); "
            f"read {'it' if one else 'each'} alone (ir) for temperatures")


def _thermal_unit(g: Guess, src, one: list[int], sample) -> Guess:
    """``g`` with ``ir_unit`` from one ir band's metadata (``thermal.unit_kelvin``; its description where no
    unit is given, its values were not found in kelvin, it is float or declares a scale, and its values can be in
    that unit: ``described_clash``) and, for kelvin of no declared scale, ``ir_kelvin`` (a
    float band in K given --modality ir had stayed raw: ir_kelvin_range refused it). ``sample()``: the band
    decimated (raw (1, h, w), valid), read once however many ask."""
    if g.modality != "ir" or len(one) != 1:
        return g
    declared = sc.declared_scaling(src, one)
    unit, said_by = band_unit(src, one[0]), None
    scaled = np.dtype(src.dtype).kind == "f" or len(declared) == 1  # integer DN: °C × 100 unless a scale says
    if not unit and g.ir_kelvin is None and scaled and (unit := described_unit(src.descriptions[one[0]])):
        said_by = f"its band description {src.descriptions[one[0]]!r}"  # "LST (Celsius)" was stretched unsaid
        if clash := described_clash(src, one, unit, declared, sample):
            g.notes.append(clash)  # "Temperature (C)" on 295 K given --modality ir: + 273.15 clipped every pixel
            unit = None
    if how := unit_kelvin(unit, declared, said_by):
        g.ir_unit = how  # °C: by ``thermal.celsius_reading``; K × a declared scale: by ``calibration.declared_kelvin``,
        if how[1] is None and not declared:  # which says it, and its DN 0 fill
            g.ir_kelvin = how[0]
    return g


def described_clash(src, one: list[int], unit: str, declared: list[tuple[float, float]], sample) -> str | None:
    """A note where the values of ``src``'s band ``one`` (under its ``declared`` scale) cannot be in the ``unit``
    its description names (``thermal.described_unit``): a median of 150 or more is no °C of any scene, one below
    150 no kelvin; None where they can be (or no value is valid). ``sample()``: the band decimated, (raw, valid)."""
    raw, valid = sample()
    gain, offset = declared[0] if len(declared) == 1 else (1.0, 0.0)
    v = raw[0].astype(np.float64) * gain + offset  # (h, w)
    v = v[np.isfinite(v) & (True if valid is None else valid)]
    if not v.size or (float(np.median(v)) < 150) == (unit == "celsius"):
        return None
    return (f"the band description {src.descriptions[one[0]]!r} says {'°C' if unit == 'celsius' else 'kelvin'}, but "
            f"its values (median {np.median(v):.4g}) cannot be: the description is not used (give ir_kelvin for this file)")


ANGLE_NAME = re.compile(r"(local[ _]?)?(incidence[ _]?)?angle|(local[ _]?)?incidence|lia|theta", re.I)


def incidence_bands(src) -> set[int]:
    """The bands (0-based) described as a SAR incidence angle (``angle``, ``local_incidence_angle``, ``LIA``) beside
    1, 2 or 4 bands each described by another polarisation (VV, VH); empty otherwise."""
    desc = {i: src.descriptions[i] or "" for i in range(src.count) if i != src.alpha_index}  # an alpha first too
    angle = {i for i, d in desc.items() if ANGLE_NAME.fullmatch(d.strip())}
    pols = [polarisation_in(d) for i, d in desc.items() if i not in angle]
    return angle if angle and len(pols) in (1, 2, 4) and all(pols) and len(set(pols)) == len(pols) else set()


def polarisations(src, paths: list[Path], bands: list[int]) -> list[str | None]:
    """The polarisation each of ``bands`` (0-based) names: its description (``Sigma0_VV``), else, one band
    a file, its file's name (``scene_VH.tif``)."""
    pols = [polarisation_in(src.descriptions[i]) for i in bands]
    if len(paths) == src.count and src.alpha_index is None:
        pols = [p or polarisation_from_file(paths[i]) for p, i in zip(pols, bands)]
    return pols


def _named_otherwise(g: Guess, modality: str) -> str | None:
    """The note where files named as Sentinel-2 or Landsat bands (``g.s2_band``, ``g.landsat``) are read as a
    ``modality`` given that their names do not say (B08.jp2 or a Landsat B10 given sar had read as sar unsaid); None
    where it agrees, msi and optical alike (a Landsat RGB given optical)."""
    bands = [b for b, *_ in g.landsat or []]
    which = (f"Sentinel-2 band {g.s2_band}" if g.s2_band else f"Landsat band{'s' * (len(bands) > 1)} "
             f"{', '.join(n for *_, n in g.landsat)} ({', '.join(bands)})" if bands else None)
    said = "msi" if g.s2_band else "ir" if bands and set(bands) <= pr.THERMAL else "msi or optical"
    if which is None or modality in said.split(" or "):
        return None
    return f"its file name says {which}, which reads as {said}: read as {modality}, as asked"


def _polarised(src, paths: list[Path], one: list[int], modality: str) -> str | None:
    """The note where the bands ``one`` of a scene given a ``modality`` other than sar each name a SAR polarisation
    as a whole word (``polarisations``, as the guess takes them: Sentinel-1's ``s1a-iw-grd-vv-….tiff``, a band
    described ``Sigma0_VV``); None otherwise. Was: ``iw-vv.tiff`` given optical read its backscatter as grey RGB,
    unsaid. Cannot: tell a file named for a person or place that spells vv, vh, hh or hv as a word."""
    pols = polarisations(src, paths, one)
    if len(one) not in (1, 2, 4) or not all(pols) or len(set(pols)) < len(pols):
        return None
    by_desc = any(polarisation_in(src.descriptions[i]) for i in one)
    one_band = len(one) == 1
    said = (f"{'its band is' if one_band else 'its bands are'} described" if by_desc
            else f"its file name{' says' if one_band else 's say'}")
    return (f"{said} {', '.join(pols)}, {'a SAR polarisation' if one_band else 'SAR polarisations'}: "
            f"read as {modality}, as asked")


def plan(src, g: Guess, name: str, nodata: float | None, read=None) -> tuple[list[int], list[str]]:
    """The source bands (0-based) read as ``g.modality`` (``scaling.plan_bands``; 3 identical bands are
    one grey band) and the notes that go with them; ValueError naming ``name`` where the count is wrong.
    ``read``: how the sample is read, as ``guess_modality`` takes it."""
    identical, seen = False, True  # seen: the sample held a valid pixel to compare
    colour = [i for i in range(src.count) if i not in g.skip and i != src.alpha_index]
    if (g.modality in ("sar", "ir") or g.inferred and g.modality == "optical") and len(colour) == 3:
        # (3, h, w), without the alpha band; band files as they hold them (``read_stored``): bilinear, a grey
        # image's three files, one of them finer, were no longer alike
        sample, ok = (read or functools.partial(read_as_stored, src))(256, colour, nodata)
        if sample.dtype.kind in "fc":  # an all-infinite RGB was "a grey image stored as RGB"
            ok = np.isfinite(sample).all(axis=0) & (True if ok is None else ok)
        seen = ok is None or bool(ok.any())
        grid = sample  # (3, h, w): the class-map note asks how its colours lie
        sample = sample[:, ok] if seen and ok is not None else sample  # (3, n) valid pixels only
        identical = bool((sample == sample[:1]).all())
    unfit = frozenset({"sar"} if len(colour) > 1 and colour_bands(src, g, colour) else ())  # refused below, as asked
    indexes, note = sc.plan_bands(g.modality, src.count, src.alpha_index, identical, name, g.skip,
                                  one_named_band=bool(g.s2_band) or _lone_landsat(g, src), unfit=unfit)
    notes = [note] if note else []
    if g.modality == "sar" and not g.inferred and len(indexes) > 1 and (said := colour_bands(src, g, indexes)):
        raise ValueError(f"{name}: {len(indexes)} bands ({said}) cannot be read as sar, as asked: rsvlm reads SAR as "
                         "1, 2 or 4 polarisation bands (HH, HV, VH, VV), and these are colours or multispectral "
                         "bands (--modality msi)")
    if g.inferred and g.modality == "optical" and getattr(src, "paletted", False) and len(colour) == 3:
        colours = distinct_colours(sample.reshape(3, -1))  # the sample above (read once: a 36000² WorldCover tile's is slow)
        n = len(colours)
        if n <= CLASS_COLOURS and like_class_map(grid, colours, ok):  # a photo saved with 32 colours was said one
            notes.append(f"the file holds colour indices (a palette) and uses {n} colours: if it is a class map "
                         "(land cover, a segmentation label), its classes go in the record's answer (<mask>, "
                         "<poly>), not as its image")
    if identical and seen and g.modality == "optical":  # a SAR chip or thermal frame saved as a JPEG / PNG
        notes.append("its 3 bands are identical, a grey image stored as RGB: if it is SAR or thermal, "
                     "give the modality (--modality sar or ir)")
    return indexes, notes


def unflagged_alpha_note(src, inferred: bool, band4: np.ndarray, k: int = 4) -> str | None:
    """The note for 4 uint8 bands R, G, B and one without a colour, or (``k`` 2) 2 uint8 bands, whose last band's
    sample ``band4`` (the reader's ``_unblended``: not averaged overviews) holds only 0 and 255, as an alpha band
    does, where the modality was inferred; else None. (Grey + an unflagged alpha had been a SAR pair, unsaid.)"""
    if not (inferred and src.dtype == "uint8" and src.count == k
            and (k == 2 or src.colour_names == ["R", "G", "B", None]) and set(np.unique(band4).tolist()) <= {0, 255}):
        return None
    reads = "it reads as optical RGB" if k == 4 else "band 1 reads alone, its pixels masked where band 2 is 0"
    return (f"band {k} holds only 0 and 255 as an alpha band does, but the file does not say it is alpha: "
            f"if it is, say so (gdal_edit.py -colorinterp_{k} alpha) and {reads}")


def colour_bands(src, g: Guess, indexes: list[int]) -> str | None:
    """What says the bands ``indexes`` (0-based) of ``src`` are colours or multispectral bands, not polarisations:
    the file's colour interpretation (R, G, B), band descriptions (red, nir, B08) or band files' names (B02.jp2),
    Landsat names; None where a band names a polarisation or nothing is said."""
    paths = [Path(p) for p in src.paths]
    if any(polarisations(src, paths, indexes)):
        return None
    colours = [src.colour_names[i] for i in indexes]
    desc = [src.descriptions[i] or "" for i in indexes]
    files = [band_name_from_file(p) for p in paths] if len(paths) == src.count == len(indexes) else []
    if sum(c in ("R", "G", "B") for c in colours) >= 2:
        return "colours " + ", ".join(c or "none" for c in colours) + " by the file's colour interpretation"
    generic = [f"b{k + 1}" for k in range(len(indexes))]  # band 1, band 2 …: a name that says nothing
    if all(re.fullmatch(MSI_NAME, d, re.I) for d in desc) and [d.lower() for d in desc] != generic:
        return "described " + ", ".join(desc)
    if files and all(re.fullmatch(MSI_BAND, f) for f in files) and [f.lower() for f in files] != generic:
        return "files named " + ", ".join(files)
    return "Landsat bands " + ", ".join(b for b, *_ in g.landsat) if g.landsat else None


CLASS_SAME_NEIGHBOURS = 0.85  # a class map's neighbouring pixels mostly share a class (LEVIR-CD's label: 0.99)
CLASS_COLOUR_APART = 48.0  # a class map's colours are far apart (ESA WorldCover's nearest two: 64); a photo's 8 are not


def like_class_map(grid: np.ndarray, colours: np.ndarray, valid: np.ndarray | None = None) -> bool:
    """Whether a paletted image of few colours, sampled as ``grid`` (3, h, w), its valid pixels' distinct
    ``colours`` (k, 3) (``distinct_colours``), looks like a class map rather than a photo quantised to a
    palette: its neighbouring valid pixels (``valid`` (h, w), None: all) mostly alike, or its colours all far
    apart (the nearest two of a photo's 8 to 32 colours lie 3-37 apart). Pairs touching nodata do not count: a
    photo's transparent collar, one colour throughout, had made 80 % of its neighbours alike."""
    g = grid.astype(np.int64)
    same = [(g[:, :, 1:] == g[:, :, :-1]).all(0), (g[:, 1:] == g[:, :-1]).all(0)]  # (h, w-1), (h-1, w)
    v = np.ones(grid.shape[1:], bool) if valid is None else valid  # (h, w)
    both = [v[:, 1:] & v[:, :-1], v[1:] & v[:-1]]  # the pairs of valid pixels
    if sum(s[b].sum() for s, b in zip(same, both)) >= CLASS_SAME_NEIGHBOURS * max(1, sum(b.sum() for b in both)):
        return True
    colours = colours.astype(np.float64)  # (k, 3), k ≤ CLASS_COLOURS
    gaps = np.sqrt(((colours[:, None] - colours[None]) ** 2).sum(-1)) + np.where(np.eye(len(colours)), np.inf, 0)
    return len(colours) < 2 or float(gaps.min()) >= CLASS_COLOUR_APART


def distinct_colours(pixels: np.ndarray) -> np.ndarray:
    """The distinct colours (k, 3) of ``pixels`` (3, n): integers of 16 bits or fewer packed into one number
    each (np.unique over axis 1 took 0.4 s on a 256 x 256 sample)."""
    if pixels.dtype.kind in "ui" and pixels.dtype.itemsize <= 2:
        p = pixels.astype(np.int64) & 0xFFFF  # (3, n)
        _, first = np.unique(p[0] << 32 | p[1] << 16 | p[2], return_index=True)
        return pixels[:, first].T
    return np.unique(pixels, axis=1).T


def count_colours(pixels: np.ndarray) -> int:
    """How many distinct colours ``pixels`` (3, n) hold (``distinct_colours``)."""
    return len(distinct_colours(pixels))


def two_values_note(src, g: Guess, n_bands: int, sample) -> str | None:
    """A note where an 8-bit image of ``n_bands`` bands, 3 or fewer, whose modality was inferred (``g``) holds
    exactly two pixel values in the valid pixels (64 at least) of ``sample()`` (raw (C, h, w), valid), a decimated
    read made only for such an image (the reader's ``_unblended``: from full resolution where the file has
    overviews): it looks like a mask (LEVIR-CD's 0/255 change label read as ir without a word). A paletted one's
    is said by ``plan``."""
    if not g.inferred or src.dtype != "uint8" or n_bands > 3 or getattr(src, "paletted", False):
        return None
    raw, valid = sample()
    pixels = raw[:, valid] if valid is not None else raw.reshape(len(raw), -1)  # (C, n)
    if pixels.shape[1] < 64:
        return None
    first = (pixels == pixels[:, :1]).all(axis=0)  # (n,) the pixels that hold the first one's value
    if first.all():
        return None
    other = pixels[:, np.argmin(first)]  # (C,) the first pixel that differs (np.unique of 1M pixels took 3 s)
    if not (first | (pixels == other[:, None]).all(axis=0)).all():
        return None
    values = sorted([tuple(int(x) for x in pixels[:, 0]), tuple(int(x) for x in other)])
    two = " and ".join(str(v[0]) if len(v) == 1 else str(v) for v in values)
    return (f"it holds two values only ({two}), as a mask or label does: if it is one, it goes in the record's "
            "answer (<mask>, <poly>), not as its image")


def _lone_landsat(g: Guess, src) -> bool:
    """One Landsat Collection reflectance band file alone (``LE07_…_B3.TIF``): one named msi band, as a lone
    Sentinel-2 band file is (it had been refused as 1 band of msi, naming only Sentinel-2's)."""
    return src.count == 1 and bool(g.landsat) and len(g.landsat) == 1 and g.landsat[0][0] not in pr.THERMAL


def _unflagged_alpha(p: Path) -> str:
    """The note on a list's file named alpha but not flagged alpha: read as a band, and how to flag it."""
    return (f"{p.name} is named alpha but not flagged alpha: read as a band, masking nothing; "
            f"flag it (gdal_edit.py -colorinterp_1 alpha {p}) to mask its 0s")


def _band_files(src, paths: list[Path]) -> list[Path]:
    """``paths`` less the list's alpha file (flagged alpha, else one named ``alpha``): its name is no band's, and a
    list of Sentinel-2 band files beside it had been inferred from the count (2 bands with alpha: sar; with an
    unflagged one, 3 bands: optical, its alpha blue)."""
    if len(paths) != src.count:
        return paths
    named = [i for i, p in enumerate(paths) if band_name_from_file(p).lower() == "alpha"]  # unflagged: one alone
    out = src.alpha_index if src.alpha_index is not None else named[0] if len(named) == 1 else None
    return [p for i, p in enumerate(paths) if i != out]
