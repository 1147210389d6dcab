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
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rsvlm.io import products as pr
from rsvlm.io import scaling as sc
from rsvlm.io.bandnames import (
    band_name_from_file,
    polarisation_from_file,
    polarisation_in,
    polarisations_in,
    sentinel2_alone,
)
from rsvlm.io.checks import ImageReadError
from rsvlm.io.sources import read_as_stored
from rsvlm.io.thermal import CELSIUS_UNITS, KELVIN_UNITS, band_unit, described_unit, unit_kelvin

MSI_BAND = r"[Bb]\d{1,2}[Aa]?"  # B02, B8A: a multispectral band's name
MSI_NAME = r"b\d{1,2}a?|coastal|blue|green|yellow|red|nir\d{0,2}|red[ _]?edge\d{0,3}|swir\d{0,2}|cirrus|pan(chromatic)?"  # (STAC's swir16, rededge071)


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


def guess_modality(src, paths: list[Path], modality: str | None, nodata: float | None) -> Guess:
    """``modality`` as given, else guessed from ``src`` (an open source, ``sources.py``) and the file
    names ``paths``: Landsat names or band descriptions, Sentinel-2 band files, then band count and
    dtype (``infer_modality``) corrected by one band's values and metadata (``by_values``). ValueError
    naming the file where no modality is given and one band's metadata says elevation (``elevation_said``)."""
    g = Guess(modality or "", modality is None)
    landsat = [pr.landsat_band(p) for p in paths] if src.count == len(paths) else []
    g.landsat = landsat if landsat and all(landsat) else None
    g.surface = bool(g.landsat) and all("_SR_B" in p.stem.upper() for p in paths)
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
    # one Sentinel-2 band file alone (B02.jp2): one named msi band, not a thermal frame
    g.s2_band = sentinel2_alone(paths[0]) if len(paths) == 1 and src.count == 1 else None
    one = [i for i in range(src.count) if i != src.alpha_index and i not in angle]
    # by_values' and described_clash's, once; band files resampled on read as they hold them (``read_stored``,
    # nearest), as the stretch's sample: bilinear, the guess weighed values no file holds
    sample = functools.cache(lambda: read_as_stored(src, 256, one, nodata))
    name = ", ".join(str(p) for p in paths)
    if modality is not None:
        if len(one) == 1 and (dem := elevation_said(src, one[0])):
            g.notes.append(f"{dem} says it holds elevation (a DEM): read as {modality}, as asked")
        if getattr(src, "bilevel", False):
            g.notes.append(f"{BILEVEL}: read as {modality}, as asked")
        return _thermal_unit(g, src, one, sample)
    if getattr(src, "bilevel", False):  # a segmentation mask given as the image was read as a black-and-white photo
        # (an ImageReadError, a ValueError: not an image, as a damaged header read as 1 bit is not either)
        raise ImageReadError(f"{name}: {BILEVEL}; a segmentation or change label goes in the record's answer "
                             "(<mask>, <poly>), not as its image; give the modality (--modality, or "
                             "read_image(..., modality=...)) to read it as an image anyway")
    if g.landsat_dn:
        thermal = bool(g.landsat) and all(b in pr.THERMAL for b, *_ in g.landsat)
        g.modality = "ir" if thermal else "msi"
        where = "file name(s)" if len(paths) > 1 or pr.landsat_band(paths[0]) else "band descriptions"
        g.notes.append(f"modality inferred as {g.modality} from Landsat {where}")
    elif len(paths) > 1 and all(re.fullmatch(MSI_BAND, band_name_from_file(p)) for p in paths):
        g.modality = "msi"  # B02, B8A: multispectral band files whatever their number (two are not a SAR pair)
        g.notes.append(f"modality inferred as msi from bands "
                       f"{', '.join(band_name_from_file(p) for p in paths)} in {len(paths)} files")
    elif g.s2_band:
        g.modality = "msi"
        g.notes.append(f"modality inferred as msi from the file name: one Sentinel-2 band ({g.s2_band}); "
                       "give the scene's band files comma-separated (B02.jp2,B03.jp2,…) to read all of them")
    else:
        if len(one) == 1 and (dem := elevation_said(src, one[0])):  # a DEM was read as thermal or SAR unsaid
            raise elevation_error(name, dem)
        g.modality, why = infer_modality(src.count, src.dtype, gcps_only=bool(src.gcps),
                                         alpha=src.alpha_index is not None, n_files=len(paths))
        fix = None
        if len(one) == 1 and np.dtype(src.dtype).kind in "fi" and g.modality in ("sar", "ir") and (fix := by_values(
                g.modality, *sample(), src.descriptions[one[0]], band_unit(src, one[0]),
                paths[0].name, sc.declared_scaling(src, one))):  # kelvin as "sar", int16 dB as "ir"
            g.modality, why = fix[0], f"modality inferred as {fix[0]} from 1 band {src.dtype}: {fix[1]}"
            g.ir_kelvin = [1.0, 0.0] if fix[2] else None
        if (fix is None and g.modality == "ir" and len(one) == 1 and src.dtype == "uint16"
                and not src.descriptions[one[0]] and not band_unit(src, one[0])
                and getattr(src, "crs", None)  # a map-georeferenced scene: SpaceNet's WorldView pan
                and not THERMAL_WORDS.search(paths[0].stem) and (pan := pan_like(*sample(), sc.declared_scaling(src, one)))):
            g.modality = "optical"
            why = f"modality inferred as optical (a grey panchromatic band) from 1 band uint16: {pan}"
        names = [src.descriptions[i] or "" for i in one]
        pols = polarisations(src, paths, one)
        if fix is None and g.modality != "sar" and len(one) in (1, 2, 4) and all(pols) and len(set(pols)) == len(pols):
            g.modality = "sar"  # HH, HV, VH, VV were 4 msi bands; a uint16 VV band thermal
            by_name = not all(polarisation_in(d) for d in names)  # a word of a file's name (pylon_hv_01.png)
            why = (f"modality inferred as sar from {len(one)} band(s) {src.dtype} named {', '.join(pols)} (polarisations"
                   + (", by a word of the file name only; a thermal band: --modality ir; a grey or panchromatic photo: "
                      "--modality optical)" if by_name else ")"))
        composite = g.modality == "optical" and len(one) == 3 and len(set().union(*map(polarisations_in, names))) >= 2
        if g.modality == "sar" and len(one) == 2 and np.dtype(src.dtype).kind != "c" and all(re.fullmatch(MSI_NAME, d, re.I) for d in names):
            g.modality = "msi"  # two bands described red and NIR were read as a polarisation pair
            why = f"modality inferred as msi from 2 bands described {', '.join(names)}"
        g.notes.append(why)
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
    return _thermal_unit(g, src, one, sample)


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
        g.ir_unit = how  # °C: by ``thermal.celsius_reading``; K × a declared scale: by ``products.declared_kelvin``,
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


def plan(src, g: Guess, name: str, nodata: float | None) -> tuple[list[int], list[str]]:
    """The source bands (0-based) read as ``g.modality`` (``scaling.plan_bands``; 3 identical bands are
    one grey band) and the notes that go with them; ValueError naming ``name`` where the count is wrong."""
    identical, seen = False, True  # seen: the sample held a valid pixel to compare
    colour = [i for i in range(src.count) if i not in g.skip and i != src.alpha_index]
    if (g.modality in ("sar", "ir") or g.inferred and g.modality == "optical") and len(colour) == 3:
        # (3, h, w), without the alpha band; band files as they hold them (``read_stored``): bilinear, a grey
        # image's three files, one of them finer, were no longer alike
        sample, ok = read_as_stored(src, 256, colour, nodata)
        if sample.dtype.kind in "fc":  # an all-infinite RGB was "a grey image stored as RGB"
            ok = np.isfinite(sample).all(axis=0) & (True if ok is None else ok)
        seen = ok is None or bool(ok.any())
        grid = sample  # (3, h, w): the class-map note asks how its colours lie
        sample = sample[:, ok] if seen and ok is not None else sample  # (3, n) valid pixels only
        identical = bool((sample == sample[:1]).all())
    indexes, note = sc.plan_bands(g.modality, src.count, src.alpha_index, identical, name, g.skip,
                                  one_named_band=bool(g.s2_band))
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


def _temperatures(lo: float, hi: float, scale: float, offset: float) -> bool:
    """Whether DN ``lo`` … ``hi`` (2nd, 98th percentiles) × ``scale`` + ``offset`` are a scene's temperatures: in
    °C (−90 to 70, spanning 1° or more: not reflectance's 0.01-0.1) or kelvin (``KELVIN_RANGE``, 150-400)."""
    a, b = sorted((lo * scale + offset, hi * scale + offset))
    return -90 <= a and b <= 70 and b - a >= 1 or KELVIN_RANGE[0] <= a and b <= KELVIN_RANGE[1]


def unflagged_alpha_note(src, inferred: bool, band4: np.ndarray) -> str | None:
    """The note for 4 uint8 bands R, G, B and one without a colour whose ``band4`` sample (the stretch's, read
    once) holds only 0 and 255, as an alpha band does, where the modality was inferred; else None."""
    if not (inferred and src.dtype == "uint8" and src.colour_names == ["R", "G", "B", None]
            and set(np.unique(band4).tolist()) <= {0, 255}):
        return None
    return ("band 4 holds only 0 and 255 as an alpha band does, but the file does not say it is alpha: "
            "if it is, say so (gdal_edit.py -colorinterp_4 alpha) and it reads as optical RGB")


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


def two_values_note(src, g: Guess, raw: np.ndarray, valid: np.ndarray | None) -> str | None:
    """A note where an 8-bit image of 3 bands or fewer whose modality was inferred (``g``) holds exactly
    two pixel values in the valid pixels (64 at least) of ``raw`` (C, h, w), a decimated read: it looks
    like a mask (LEVIR-CD's 0/255 change label read as ir without a word). A paletted one's is said by
    ``plan``."""
    if not g.inferred or src.dtype != "uint8" or len(raw) > 3 or getattr(src, "paletted", False):
        return None
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


def infer_modality(count: int, dtype: str, *, gcps_only: bool = False, alpha: bool = False,
                   n_files: int = 1) -> tuple[str, str]:
    """Guess the modality from band count and dtype; returns (modality, human-readable reason).

    Cannot tell a thermal band from a single-polarisation SAR band by type alone: a single
    uint band is taken as ir unless the file is georeferenced by ground control points only
    (as radar GRD products are); ``by_values`` then corrects a float band in kelvin (ir) and an
    int16 band of dB (sar). Temperatures in °C without a unit or description read as dB.
    """
    kind = np.dtype(dtype).kind
    n = count - bool(alpha)  # an alpha band says which pixels are valid, not what was sensed
    what = (f"{n} band{'s' if n != 1 else ''} {dtype}" + (" with alpha" if alpha else "")
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


KELVIN_RANGE = (150.0, 400.0)  # temperatures on Earth (clouds to fires); no backscatter band lies wholly inside
THERMAL_WORDS = re.compile(r"kelvin|celsius|temperature|thermal|(?<![a-z0-9])(tir|lst|bt|st_b\d+|degk|degc)(?![a-z0-9])", re.I)
SAR_WORDS = re.compile(r"sigma|gamma0|beta0|backscatter|amplitude|intensity|(?<![a-z0-9])([hv][hv]|db)(?![a-z0-9])", re.I)
ELEVATION_WORDS = re.compile(r"elevation|altitude|bathymetr|orthometric|(?<![a-z0-9])(dem|dsm|dtm|ndsm|height|hgt|srtm|"
                             r"aw3d30|nasadem|gebco|depth)(?![a-z0-9])", re.I)
TEMPERATURE_UNITS = (*KELVIN_UNITS, *CELSIUS_UNITS)
LENGTH_UNITS = ("m", "metre", "metres", "meter", "meters", "ft", "foot", "feet", "us survey foot")
WEAK = "a guess from its values alone"
TYPE_ONLY = "a guess from its type alone, which °C and metres share with dB"
CLASS_COLOURS = 32  # a paletted image using no more colours than this may be a class map (ESA WorldCover: 11)
BILEVEL = "it holds 1 bit a pixel (two values only), as a mask or label does, not imagery"


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
    v = v[np.isfinite(v) & (v != 0) & ~np.isin(v, sc.FILL_VALUES)]  # an undeclared fill (0 K is none, nor -9999)
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
