"""How a ``SceneReader``'s band values become the values its reads scale, once its modality, bands and band
indexes are known (moved out of ``read.py``, which a size limit bounds): the calibration a file or its product
declares (GDAL scale / offset, a Landsat _MTL.txt, the Sentinel-2 baseline offset, a thermal band's kelvin), the
nodata a product or the sample's values reveal where none is declared, and how the values are read (float msi as
DN, SAR as dB or amplitude) and stretched. Together the functions fill in the scene's ``cfg``, ``nodata``, ``unit``
and ``notes`` in place, as the reader's own ``_resolve`` did, and read through the reader's public helpers (its ``sample``,
``unblended``, ``band_labels``). Cannot: resolve a scene on its own; ``SceneReader`` calls ``resolve_scaling``
at open."""

from __future__ import annotations

import numpy as np

from rsvlm.io import calibration as cal
from rsvlm.io import fills as fl
from rsvlm.io import modality as md
from rsvlm.io import products as pr
from rsvlm.io import scaling as sc
from rsvlm.io.bandnames import same_band
from rsvlm.io.iq import iq_note
from rsvlm.io.stack_thermal import kelvin_note
from rsvlm.io.thermal import BARE_UNIT


def resolve_scaling(scene, g, mission) -> None:
    """Fill in ``scene``'s scaling (a ``SceneReader`` whose modality, indexes and bands are resolved; ``g`` its
    ``modality.guess_modality``, ``mission`` the (mission, numbering) its file names say, or None)."""
    declared = calibrate(scene, g)
    declares = resolve_fill(scene, mission, g.landsat_dn)
    resolve_values(scene, g, declared, declares)


def calibrate(scene, g) -> list:
    """The gain and offset ``scene``'s DN are read with (``scene.cfg`` filled in, each choice a note); returns the
    scale / offset the file declares and no choice applied ([(scale, offset)], said or applied later)."""
    src, modality, surface, landsat_dn = scene.src, scene.modality, g.surface, g.landsat_dn
    default = sc.ReadConfig()
    declared = sc.declared_scaling(src, scene.indexes)  # [(scale, offset)] GDAL gives the bands read
    if len(declared) == 1 and declared[0][0] and modality == "msi" and np.allclose(
            (scene.cfg.msi_scale * declared[0][0], scene.cfg.msi_offset * declared[0][0]), (1, declared[0][1])):
        declared = []  # applied already: a scene's .scaling passed on to read its windows
    own = (scene.cfg.msi_scale, scene.cfg.msi_offset, scene.cfg.msi_band_scaling) == (
        default.msi_scale, default.msi_offset, None)  # no scale given (nor a scene's passed on)
    if (len(declared) == 1 and declared[0][0] and modality == "msi" and np.dtype(src.dtype).kind in "ui"
            and own):
        (gain, offset), declared = declared[0], []  # an Earth Search Sentinel-2 COG: DN × 0.0001 − 0.1
        scene.cfg.msi_scale, scene.cfg.msi_offset = 1 / gain, offset / gain
        if src.dtype == "uint8":  # (msi_scale had been set and 8-bit DN read / 255, said "as the file declares")
            scene.cfg.msi_band_scaling = [[gain, offset]] * len(scene.indexes)
        scene.notes.append(f"reflectance as the file declares it (GDAL scale / offset): {sc.dn_text(gain, offset)}")
    elif (landsat_dn and modality == "msi" and src.dtype == "uint16" and own
            and (how := cal.landsat_reflectance(scene.paths, [n for _, _, n in scene.landsat or []], surface))):
        scene.cfg.msi_scale, scene.cfg.msi_offset, note = how
        scene.notes.append(note)
    elif (landsat_dn and modality == "msi" and src.dtype == "uint8" and own and len(scene.landsat or []) == len(
            scene.indexes) and (how := cal.landsat_8bit_reflectance(scene.paths, [n for _, _, n in scene.landsat], surface))):
        scene.cfg.msi_band_scaling, note = how  # Landsat 5/7 Level-1: each band's M and A (DN / 255 had been read)
        scene.notes.append(note)
    elif (not landsat_dn and modality == "msi" and src.dtype in ("uint8", "uint16") and own and len(scene.paths) == 1
          and (how := cal.landsat_stack_reflectance(scene.paths[0], scene.bands, src.dtype))):
        scene.cfg.msi_band_scaling, note = how  # a Landsat Level-1 stack beside its _MTL.txt: had read as DN / 10000
        scene.notes.append(note)
    elif (landsat_dn and modality == "ir" and len(scene.paths) == 1  # 5/7: 8 bit; ESPA's brightness temperature int16
          and src.dtype in ("uint8", "uint16", "int16")
          and scene.cfg.ir_kelvin is None
          and (how := cal.landsat_thermal(scene.paths[0], [src.descriptions[i] for i in scene.indexes], src.dtype))):
        scene.cfg.ir_kelvin, note = how
        scene.notes.append(note)
    elif (modality == "ir" and len(declared) == 1 and declared[0][0] and scene.cfg.ir_kelvin is None
          and (how := cal.declared_kelvin(*scene.sample(scene.cfg.nodata), declared[0],
                                          scene.cfg.nodata is None and not src.declares_nodata))):
        scene.cfg.ir_kelvin, note, fill = how  # a thermal product's DN × 0.01 K were stretched as bare DN
        scene.cfg.nodata = 0 if fill else scene.cfg.nodata  # its DN 0 (149 K) had stretched from 149 K
        scene.notes.append(note)
    elif (modality == "msi" and src.dtype == "uint16" and scene.cfg.msi_offset == default.msi_offset
          and scene.cfg.msi_band_scaling is None and (s2 := cal.sentinel2_offset(scene.paths))):
        scene.cfg.msi_offset, note = s2
        scene.notes.append(note)
    if (modality == "msi" and src.dtype == "uint8" and scene.cfg.msi_band_scaling is None  # given, had been unsaid
            and (scene.cfg.msi_scale, scene.cfg.msi_offset) != (default.msi_scale, default.msi_offset)):
        given = sc.dn_text(1 / scene.cfg.msi_scale, scene.cfg.msi_offset / scene.cfg.msi_scale)
        scene.notes.append(f"msi_scale / msi_offset ({given}) not applied: 8-bit DN are read as DN / 255; "
                           "ReadConfig.msi_band_scaling=[[gain, offset], …], one a band, scales them")
    return declared


def resolve_fill(scene, mission, landsat_dn) -> list:
    """``scene.nodata`` where the file declares none: a product's fill (said where the sample holds it, else kept
    for the reads that do: ``SceneReader._fill_held``), a band file's fill beside others that declare one, and msi's zero
    collar said. Returns which files declare no nodata (``fills.no_nodata_declared``), for the notes after."""
    src, modality = scene.src, scene.modality
    scene.nodata = scene.cfg.nodata
    declares = fl.no_nodata_declared(scene.paths)  # the band files named: "the file" was said of a folder of them
    named_landsat = (mission or ("", ""))[1] in pr.LANDSAT_BANDS  # LE07_…_stack.tif
    scene.fill_note = None  # (a product's fill note the scene did not say, the sample's side): _fill_held
    if scene.nodata is None and (fill := fl.product_fill(src, scene.paths, scene.bands, modality, bool(
            landsat_dn or named_landsat and modality == "msi"), declares)):
        scene.nodata, note = fill  # said only where held: it was said of every file so named, fill or not
        side = scene.cfg.stats_max_side if scene.cfg.stretch is None else None  # (a stretch given: no sample)
        if side and fl.held_pixels(src, scene.sample(None)[0], scene.nodata).any():
            scene.notes.append(note)  # (the stretch's sample, read with no nodata, then masked: no read more)
        else:  # a strip thinner than the sample's stride had been masked unsaid
            scene.fill_note = note, side
    if scene.nodata is None and (fill := getattr(src, "declared_fill", lambda: None)()) in fl.FILL_VALUES:
        scene.nodata = scene.cfg.nodata = fill  # a band file declaring none beside files that declare -9999: its
        # own -9999 collar had been read as reflectance -9999 (said with the sources' "declare different nodata")
    if (scene.nodata is None and not src.declares_nodata and modality == "msi"  # a collar read as black ground
          and (note := fl.msi_zero_note(*scene.sample(None), declares=declares))):
        scene.notes.append(note)  # unsaid (an unnamed 13-band Sentinel-2 stack, a 4-band uint16 RGBN clip)
    return declares


def resolve_values(scene, g, declared: list, declares) -> None:
    """How the values are read (float msi as DN or reflectance, SAR as dB or amplitude, an undeclared fill in the
    sample) and the stretch (``sc.compute_stretch`` of the sample unless one is given), with their notes; a
    declared scale left unapplied is said. Raises ValueError naming the file for a given stretch of another band
    count, or ir_kelvin_range without kelvin."""
    src, modality, name = scene.src, scene.modality, scene.name
    float_msi = modality == "msi" and np.dtype(src.dtype).kind == "f" and scene.cfg.msi_float_dn is None
    float_sar = modality == "sar" and np.dtype(src.dtype).kind == "f" and scene.cfg.sar_input is None
    int_sar = modality == "sar" and np.dtype(src.dtype).kind == "i" and scene.cfg.sar_input is None
    if modality == "sar" and scene.cfg.sar_db_scale is not None:
        int_sar, float_sar, scene.cfg.sar_input = False, False, "db"  # the user says it is dB × k
    if float_msi or float_sar or int_sar or scene.cfg.stretch is None:
        raw, valid = scene.sample(scene.nodata)
        # a mask? (read from full resolution, not averaged overviews)
        scene.notes += [note] if (note := md.two_values_note(src, g, len(scene.indexes),
                                                             lambda: scene.unblended(scene.nodata))) else []
        if (scene.nodata is None and not src.declares_nodata and src.dtype != "uint8"  # (uint8: no stretch)
                and (fill := fl.undeclared_fill(raw, valid, bands=scene.band_labels(), declares=declares))):
            scene.nodata, note = fill  # an undeclared -9999 had stretched a scene flat
            scene.cfg.nodata = scene.nodata  # carried by .scaling to reads that compute no stretch
            valid = valid if scene.nodata is None else both_valid(valid, ~fl.held_pixels(src, raw, scene.nodata))
            scene.notes.append(note)
    # once the fill is known: found above, it had been blended into a 20 m band
    scene.notes += [note] if (note := fl.resampling_fill_note(src, scene.nodata)) else []
    if float_sar or int_sar:  # dB read as amplitude had its contrast turned over (water bright)
        db, p2 = (sc.sar_in_db if float_sar else sc.sar_dn_in_db)(raw, valid)  # a sigma0 export, int16 dB × 100
        scene.cfg.sar_input = "db" if db else "amplitude" if float_sar else None
        scene.notes += [note] if (note := iq_note(raw, valid, scene.bands)) else []  # I/Q by values alone
    if (scene.cfg.sar_input == "db" and modality == "sar" and len(declared) == 1 and declared[0][1] == 0
            and scene.cfg.sar_db_scale in (None, declared[0][0])):
        scene.cfg.sar_db_scale, declared = declared[0][0], []  # the file's own dB × k: GDAL scale 0.01
    if (float_sar or int_sar) and db:
        scene.notes.append(sc.sar_db_note(p2, scene.cfg, scene.name, "float" if float_sar else "integer"))
        if scene.nodata is None and not src.declares_nodata and (
                note := fl.db_zero_note(raw, valid, scene.bands, declares=declares)):
            scene.notes.append(note)  # a fill of 0 beside dB in [-25, 5] had been read as bright pixels unsaid
    if modality == "ir" and len(declared) == 1 and len(scene.cfg.ir_kelvin or []) == 2 and (np.allclose(
            scene.cfg.ir_kelvin, declared[0]) or g.ir_unit and scene.cfg.ir_kelvin == g.ir_unit[0]):
        declared = []  # applied (a Landsat ST band's own scale, a °C band's): it was also said "not applied"
    if declared:  # (a percentile stretch makes a scale moot, not a fixed range or ir_kelvin)
        told = ", ".join(sc.dn_text(a, b) for a, b in declared)
        scene.notes.append(f"the file declares its values as {told} (GDAL scale / offset), not applied: {modality} "
                           "is read from the DN" + (" (ir_kelvin=[scale, offset] if that is kelvin)" * (modality == "ir")))
    if float_msi:  # an Earth Engine export's float32 DN were taken as reflectance 1000s
        # (C, h, w) without thermal bands: a TOA stack's B6 / B10 in kelvin had made its reflectance "DN" / 10000
        cool = [i for i, b in enumerate(scene.bands) if (same_band(b) or ("",))[0] not in pr.THERMAL] or None
        scene.cfg.msi_float_dn, p98 = sc.float_msi_dn(raw if cool is None else raw[cool], valid)
        if cool is not None and len(cool) < len(scene.bands) and not scene.cfg.msi_float_dn:
            scene.notes.append(kelvin_note(scene, raw, valid, [i for i in range(len(scene.bands)) if i not in cool]))
        if scene.cfg.msi_float_dn:
            dn = f"(DN {scene.cfg.msi_offset:+g})" if scene.cfg.msi_offset else "DN"
            how = ("DN × gain + offset, one a band (ReadConfig.msi_band_scaling)" if scene.cfg.msi_band_scaling
                   else f"{dn} / {scene.cfg.msi_scale:g}")
            scene.notes.append(f"float values up to {p98:.4g} (98th percentile) are no reflectance: read as "
                               f"{how} (ReadConfig.msi_float_dn=False keeps them)")
    if (modality == "msi" and np.dtype(src.dtype).kind == "f" and not scene.cfg.msi_float_dn
            and scene.cfg.msi_band_scaling is not None):  # given, had been dropped unsaid
        scene.notes.append("ReadConfig.msi_band_scaling not applied: the float values are read as reflectance "
                           "already (ReadConfig.msi_float_dn=True reads them as DN, scaled by it)")
    if scene.cfg.stretch is None:
        values, bad, scene.unit = sc.to_physical(raw, modality, scene.cfg)
        usable = both_valid(valid, None if bad is None else ~bad)
        none = usable is not None and not usable.any()
        if none:
            shrunk = max(src.width, src.height) > scene.cfg.stats_max_side  # a small valid patch may fall between samples
            scene.notes.append(fl.no_valid_note(valid, bad, src, scene.nodata, shrunk, scene.unit))
        elif scene.unit == "dB" and scene.cfg.sar_input != "db" and (  # a GRD's zero strip had been nodata unsaid
                note := fl.zero_amplitude_note(raw, valid, (src.width, src.height))):
            scene.notes.append(note)
        valid = usable
        scene.cfg.stretch, flat = sc.compute_stretch(values, valid, scene.cfg, scene.unit)
        if flat:  # (a constant band had read as 0, black)
            scene.notes.append(sc.flat_note(scene.bands, flat, scene.unit))
        if scene.cfg.stretch is not None:
            fixed = {"dB": scene.cfg.sar_db_range, "K": scene.cfg.ir_kelvin_range}.get(scene.unit)
            how = ("fixed range" if fixed else "no valid pixel to take percentiles of" if none  # not "2-98"
                   else f"{scene.cfg.percentiles[0]:g}-{scene.cfg.percentiles[1]:g} percentiles")
            rng = ", ".join(f"{b} [{lo:.4g}, {hi:.4g}]" for b, (lo, hi) in zip(scene.bands, scene.cfg.stretch))
            scene.notes.append(f"stretch ({how}{f', {scene.unit}' if scene.unit in ('dB', 'K') else ''}): {rng}")
    else:
        scene.unit = sc.to_physical(np.zeros((1, 1, 1), src.dtype), modality, scene.cfg)[2]
        if len(scene.cfg.stretch) == 1 and len(set(scene.indexes)) == 1 < len(scene.indexes):  # a grey file read as
            scene.cfg.stretch = [list(scene.cfg.stretch[0])] * len(scene.indexes)  # R = G = B: its one range (refused)
        if len(scene.cfg.stretch) != len(scene.indexes):  # one band's range would be broadcast over all
            raise ValueError(f"{name}: scaling.stretch has {len(scene.cfg.stretch)} bands, image has {len(scene.indexes)}")
    if modality == "sar" and scene.unit == "unit":  # a SAR chip saved as JPEG / PNG: its grey is kept as it is
        scene.notes.append("8-bit SAR read as display-scaled grey (values / 255), not as amplitude in dB as 16-bit, "
                           "float and complex SAR are")
    if modality == "ir" and scene.cfg.ir_kelvin_range is not None and scene.unit != "K":
        bare = [d for i in scene.indexes if (d := src.descriptions[i]) and BARE_UNIT.fullmatch(d)]
        raise ValueError(f"{name}: ir_kelvin_range needs the values in kelvin; give ir_kelvin=[gain, offset] "
                         "(or [gain, offset, K1, K2]; [1, 273.15] for °C) for this file"
                         + (f" (its band description {bare[0]!r} alone is taken for no unit: as likely a band "
                            "letter)" if bare else ""))


def both_valid(a, b):
    """Two valid masks (each None where every pixel is) as one: valid where both are."""
    if a is None:
        return b
    return a if b is None else a & b
