"""Fill values a file holds without declaring them, and the notes that say so: a known GIS fill
(``FILL_VALUES``: -9999, -32768, float32's lowest) or an outlying lowest / highest value in every band
(``undeclared_fill``), DN 0 in every msi band (``msi_zero_note``), exactly 0 dB in sar (``db_zero_note``),
SAR amplitude 0, nodata already (``zero_amplitude_note``) or read as data in a file named for a polarisation
given optical or ir (``polarised_zero_note``),
which files declare no nodata (``no_nodata_declared``), the fill of a Landsat or Sentinel-2 product that declares
none (``product_fill``), and why a read has no valid pixel (``no_valid_note``).

Pure numpy on raw arrays (C, h, w) in the file's dtype, as ``scaling.py`` (``no_valid_note`` reads an open
source's metadata); ``read.py`` asks them once a scene.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rsvlm.io.windows import default_overlap, iter_windows

FILL_VALUES = (-9999.0, -32768.0, float(np.finfo(np.float32).min))  # GIS fill values no real band holds
NO_NODATA = "the file declares no nodata"  # the fill notes' ``declares``: one file's words


def product_fill(src, paths: list[Path], bands: list[str], modality: str, landsat: bool, declares: str
                 ) -> tuple[float, str] | None:
    """(fill, note) for a Landsat (``landsat``: its DN by name or metadata) or Sentinel-2 product that declares no
    nodata: USGS Landsat Collection products fill with DN 0 (ESPA's int16 files with -9999), ESA's Sentinel-2
    uint16 tiles with DN 0 (a collar outside the swath; valid DN start at 1), the latter named by its band files'
    names (``B02.jp2``), or read as msi by its ``bands``. The fill follows the product in any modality but sar:
    band files B04, B03, B02 read as optical had stretched their 38 % collar in as black, unsaid; as sar, DN 0 is
    amplitude 0, nodata as such (``zero_amplitude_note``: a thermal B10 given --modality sar had been told of a
    Landsat fill). The reader says the note only where a read holds the fill: it had been said of every file so
    named, fill or not. None for other files."""
    from rsvlm.io import products as pr
    from rsvlm.io.bandnames import band_name_from_file, sentinel2_names

    if src.declares_nodata:
        return None
    if modality == "sar":
        return None
    if landsat:
        fill = -9999 if pr.espa_named(paths) and np.dtype(src.dtype).kind == "i" else 0
        return fill, f"Landsat {'ESPA ' * bool(fill)}fill: DN {fill} read as nodata ({declares} value)"
    names = [band_name_from_file(p).upper() for p in paths]
    if src.dtype == "uint16" and (modality == "msi" and sentinel2_names(bands)  # (given "blue,green,red,nir" too)
                                  or len(paths) == src.count and sentinel2_names(names)):
        who = "Sentinel-2 or Landsat" if set(names) <= {"B10", "B11"} else "Sentinel-2"  # a thermal band renamed
        return 0, (f"{who} fill: DN 0 read as nodata ({declares} value; zeros that are data: declare a nodata the "
                   "file does not hold, gdal_edit.py -a_nodata 65535, or give ReadConfig.nodata=65535)")  # (B10.tif as ir had
        # been told Sentinel-2's; a B02.tif that is no product had its zeros masked with no word of how to keep them)
    return None


def held_pixels(src, raw: np.ndarray, nodata: float) -> np.ndarray:
    """(h, w): the pixels of ``raw`` (C, h, w) that ``nodata`` (NaN too) masks, as the sources do: where every band
    holds it, or any band where the source says so (``masks_any_band``: band files' -9999)."""
    hold = np.isnan(raw) if np.isnan(nodata) else raw == nodata  # (C, h, w)
    return hold.any(axis=0) if masks_any_band(src, nodata) else hold.all(axis=0)


def unsaid_fill_note(note: str, hold: np.ndarray, sample_side: int | None) -> str:
    """``note`` (``product_fill``'s) for a whole read whose ``hold`` (h, w) marks the pixels it masks: with their
    share, and, where the scene's ``sample_side`` px sample was read and held none (``sample_side``; None: a stretch
    given, no sample), that it is a strip too thin for the sample: such a strip had been masked unsaid."""
    why = f", too thin for the scene's {sample_side} px sample to hold" if sample_side else ""
    return f"{note}: {hold.mean():.2%} of the pixels{why}"


def resampling_fill_note(src, nodata: float | None) -> str | None:
    """Band files resampled on read (``regrid.py``, ``src.resample_fill``) that declare no nodata are read with
    ``nodata`` (else the one the other files declare, else NaN in float files) left out of their bilinear weights:
    blended in, a fill had darkened (or NaN had voided) a coarser band's edge. The note naming them, or None (NaN,
    never data, unsaid: every float band file would have said it)."""
    if not hasattr(src, "resample_fill"):
        return None
    other = src.declared_fill()  # B02 -9999 beside a B05 of none: -2500s (taken as nodata by the reader where a fill)
    other = other if nodata is None or nodata == other else None
    fill = nodata if nodata is not None else np.nan if other is None else other
    if np.isnan(fill) and np.dtype(src.dtype).kind != "f":
        return None  # (NaN is no integer's)
    names = src.resample_fill(fill)
    if not names or np.isnan(fill):
        return None
    return (f"nodata {fill:g}{' (as the other band files declare)' * (other is not None)} left out of the bilinear "
            f"resampling of {', '.join(names)}")


def masks_any_band(src, nodata: float) -> bool:
    """Whether ``nodata`` (given or found, not declared) masks a pixel of the source ``src`` where any band holds it,
    not only where every band does: a fill no real band holds (``FILL_VALUES``), in band files given one per band,
    as a declared one masks each file's own (a -9999 collar a column wider in one band file had been read as
    reflectance -9999), and in one file's bands alike (its band 3's -9999 collar was reflectance -9999). A DN 0 in
    one band keeps the others' data; I and Q files (``iq.ComplexPairs``, ``src.fill_in_any_band`` False) and a
    source without ``fill_in_any_band`` mask where every band holds it."""
    return bool(getattr(src, "fill_in_any_band", False)) and nodata in FILL_VALUES


def nodata_valid(src, raw, valid, nodata: float | None):
    """``valid`` (H, W) or None, with the pixels of ``raw`` (C, H, W) that hold a given or found ``nodata`` (NaN
    too) left out (``held_pixels``): the one rule of every source (GDAL's, PIL / tifffile's, the shared read);
    ``valid`` as it is without a ``nodata``. A file's own declared nodata is its source's: GDAL's mask, or
    ``pil_source``'s where every band holds it. (NaN had held nowhere here, as ``raw == nan``, and been masked by
    PIL's own copy of this rule; the scaling masks a non-finite value anyway, so no read changes.)"""
    if nodata is None:
        return valid
    v = ~held_pixels(src, raw, nodata)
    return v if valid is None else valid & v


def no_nodata_declared(paths) -> str:
    """The fill notes' ``declares`` for the files ``paths`` read: ``NO_NODATA`` for one, else the band files
    named (at most 4; more as the first two … the last): "the file" had been said of a folder of band files.
    The names in parentheses: a note's kind (``eval_reading.ReadNotes.kind``, up to its first ``(`` or ``:``)
    stays one for every record's files."""
    names = [Path(p).name for p in paths]
    if len(names) < 2:
        return NO_NODATA
    shown = ", ".join(names if len(names) <= 4 else [*names[:2], "…", names[-1]])
    return f"the {len(names)} band files ({shown}) declare no nodata" if len(names) > 4 else \
        f"the band files ({shown}) declare no nodata"


def undeclared_fill(raw: np.ndarray, valid: np.ndarray | None, share: float = 0.005, bands: list[str] | None = None,
                    declares: str = NO_NODATA) -> tuple[float | None, str] | None:
    """(nodata, note) for a fill value a file holds without declaring it: the lowest or highest value of
    ``raw`` (C, h, w), in every band of ≥ ``share`` of the valid pixels, farther from the values of the pixels
    where no band holds it than they span (-9999 beside dB in [-30, 5] stretched the scene flat). nodata is the
    value where it is a known fill value (``FILL_VALUES``), else None (a saturated 65535 may be cloud); None
    where there is no such value; the note says ``declares`` (``no_nodata_declared``). A known fill held by some
    bands only (of ``bands``, their names) at ≥ ``share`` of the pixels is nodata too, the note naming those bands:
    no band holds -9999 as data (a 4-band file's band 3 collar had been read as reflectance -9999); the sources mask
    a pixel where any band holds it."""
    if raw.dtype.kind == "c":  # a complex fill is amplitude 0, invalid already
        return None
    v = raw[:, valid] if valid is not None else raw.reshape(len(raw), -1)  # (C, n)
    v = v[:, np.isfinite(v).all(axis=0)].astype(np.float64)  # uint16 0 - 4 wrapped round
    if v.shape[1] < 2:
        return None
    for x in (v.min(), v.max()):
        some = (v == x).any(axis=0)  # (n,) a fill's edge differs by a pixel or so from band to band (Sentinel-2's
        held, rest = (v == x).all(axis=0), v[:, ~some]  # detectors): those pixels had hidden it, as the others' min
        if rest.size == 0:
            continue
        if abs(x - np.clip(x, rest.min(), rest.max())) <= np.ptp(rest):
            if float(x) not in FILL_VALUES:
                continue
            # an overview averaged (gdaladdo -r average), which the decimated sample reads, blends a fill with the
            # data along its edge: a -9999 collar beside reflectance left -4000s between, and was not found
            lo, hi = np.quantile(rest, [0.02, 0.98])  # as the stretch's percentiles
            if abs(x - np.clip(x, lo, hi)) <= hi - lo:
                continue
            rest = np.clip(rest, lo, hi)  # the note's range: the data's, not the blend's
        if held.mean() < share:
            if float(x) in FILL_VALUES and some.mean() >= share:
                return float(x), _some_bands_fill(v == x, float(x), rest, bands)
            continue
        x, told = float(x), f"{held.mean():.1%} of the pixels hold {float(x):g}, far outside the others' " \
                             f"[{float(rest.min()):g}, {float(rest.max()):g}], and {declares}"
        if x in FILL_VALUES:
            return x, f"{told}: read as nodata (ReadConfig.nodata=... says otherwise)"
        return None, f"{told}: if that is fill, give it as nodata (gdal_edit.py -a_nodata {x:g}, or ReadConfig.nodata)"
    return None


def _some_bands_fill(held: np.ndarray, x: float, rest: np.ndarray, bands: list[str] | None) -> str:
    """The note for a known fill ``x`` that ``held`` (C, n) shows in some bands only (``undeclared_fill``)."""
    names = bands if bands is not None and len(bands) == len(held) else [f"b{c + 1}" for c in range(len(held))]
    which = [names[c] for c in range(len(held)) if held[c].any()]
    return (f"{held.any(axis=0).mean():.1%} of the pixels hold {x:g} in band{'s' * (len(which) > 1)} "
            f"{', '.join(which)} only, far outside the others' [{float(rest.min()):g}, "
            f"{float(rest.max()):g}], and no nodata is declared: no band holds {x:g} as data, so those pixels "
            "are read as nodata in every band (ReadConfig.nodata=... says otherwise)")


def msi_zero_note(raw: np.ndarray, valid: np.ndarray | None, share: float = 0.005, declares: str = NO_NODATA
                  ) -> str | None:
    """A note where integer msi ``raw`` (C, h, w), C ≥ 2, of a file that declares no nodata holds DN 0 in every
    band at ≥ ``share`` of its pixels: no surface reflects nothing in every band, so that is likely fill (a
    scene's collar, read as black ground unsaid), but nothing names the product, so it is only said (a named
    Sentinel-2 or Landsat file's is masked). None where there is no such pixel; the note says ``declares``."""
    if len(raw) < 2 or raw.dtype.kind not in "ui":
        return None
    held = (raw == 0).all(axis=0) & (True if valid is None else valid)  # (h, w)
    if held.mean() < share:
        return None
    return (f"{held.mean():.1%} of the pixels are DN 0 in all {len(raw)} bands and {declares}: "
            "read as data, though no surface reflects nothing in every band; if that is fill (a collar), give it as "
            "nodata (gdal_edit.py -a_nodata 0, or ReadConfig.nodata=0)")


def db_zero_note(raw: np.ndarray, valid: np.ndarray | None, bands: list[str] | None = None,
                 share: float = 0.005, declares: str = NO_NODATA) -> str | None:
    """A note where sar in dB (or dB × k) ``raw`` (C, h, w) holds exactly 0 at ≥ ``share`` of its valid pixels,
    more than lie near 0 (within 2 % of the band's 2-98 % spread): 0 dB is a bright but valid value, so a fill
    of 0 the file does not declare is read as data. In every band: a nodata fixes it; in some ``bands`` only
    (VV filled, VH not): named, as nodata masks only pixels where every band holds it. None otherwise; the note
    says ``declares`` (``no_nodata_declared``)."""
    v = raw[:, valid] if valid is not None else raw.reshape(len(raw), -1)  # (C, n)
    v = v[:, np.isfinite(v).all(axis=0)].astype(np.float64)
    if not v.size:
        return None
    zero = v == 0  # (C, n)
    every = zero.all(axis=0)  # (n,)
    notes = []
    if _zero_fill(v[0], every, share):
        notes.append(f"{every.mean():.1%} of the pixels hold exactly 0 (0 dB, bright), far more than lie near it, and "
                     f"{declares}: read as data; if that is fill, give it as nodata (gdal_edit.py "
                     "-a_nodata 0, or ReadConfig.nodata=0)")
    names = bands if bands is not None and len(bands) == len(v) else [f"b{c + 1}" for c in range(len(v))]
    alone = [(names[c], float((zero[c] & ~every).mean())) for c in range(len(v))
             if _zero_fill(v[c], zero[c] & ~every, share, zero[c])]
    if alone:
        told = ", ".join(f"{b} at {f:.1%}" for b, f in alone)
        notes.append(f"band{'s' * (len(alone) > 1)} {told} of the pixels hold{'s' * (len(alone) == 1)} exactly 0 (0 dB, "
                     "bright) where another band holds data, far more than lie near it: read as data; nodata "
                     "(ReadConfig.nodata) masks only pixels where every band holds it, so if that is fill, set those "
                     "pixels to 0 in every band of the file")
    return "; ".join(notes) or None


def zero_amplitude_note(raw: np.ndarray, valid: np.ndarray | None, size: tuple[int, int], share: float = 0.005
                        ) -> str | None:
    """A note where sar amplitude or intensity ``raw`` (C, h, w), a sample of a ``size`` (W, H) scene, holds exactly
    0 at ≥ ``share`` of the pixels ``valid`` (h, w) leaves: an amplitude of 0 has no dB value (the log of 0), so
    ``scaling.to_physical`` reads it as nodata already, but unsaid (a Sentinel-1 GRD's zero-filled strip along its
    right edge). Rows or columns of it (95 % or more: a stray pixel in the strip had cut its width to 2 px) along an
    edge are named, with their width in scene pixels ("about" where ``raw`` is a sample: one was 24 px for 25)."""
    zero = (raw == 0).any(axis=0) & (True if valid is None else valid)  # (h, w)
    if zero.mean() < share:
        return None
    return (f"{zero.mean():.1%} of the pixels have amplitude 0{_zero_where(zero, size)}: no dB value (the log of 0), "
            "so read as nodata as a declared one is (left out of the stretch; objects found there are said to lie on "
            "nodata)")


def polarised_zero_note(raw: np.ndarray, valid: np.ndarray | None, size: tuple[int, int], modality: str,
                        share: float = 0.005) -> str | None:
    """A note where a file named for a SAR polarisation (``modality._polarised``), given ``modality`` (optical or
    ir) and declaring no nodata, holds 0 at ≥ ``share`` of its pixels (``raw``, a sample of a ``size`` scene), as
    ``zero_amplitude_note`` finds it: read as data, unlike as sar. Was: the real Sentinel-1 ``iw-vv.tiff`` read as
    optical stretched its 2 % zero strip in (R [0, 383]), unsaid. None otherwise, and for 8-bit values (a SAR chip
    quantised to uint8 holds 0 in dark water)."""
    zero = (raw == 0).any(axis=0) & (True if valid is None else valid)  # (h, w)
    if raw.dtype.kind == "c" or raw.dtype.itemsize == 1 or zero.mean() < share:
        return None
    return (f"{zero.mean():.1%} of the pixels are 0{_zero_where(zero, size)}, a SAR scene's fill, and {NO_NODATA}: "
            f"read as data as {modality} (as sar they are nodata); if that is fill, give it as nodata "
            "(gdal_edit.py -a_nodata 0, or ReadConfig.nodata=0)")


def _zero_where(zero: np.ndarray, size: tuple[int, int]) -> str:
    """The edges of the scene (``size``, W x H) whose lines ``zero`` (h, w, a sample of it) marks, as a note says
    them (" (a fill along its right edge, about 25 px wide)"); "" where none."""
    (W, H), (h, w) = size, zero.shape
    cols, rows = zero.mean(axis=0) >= 0.95, zero.mean(axis=1) >= 0.95  # (w,) (h,)
    runs = {side: (int(np.argmin(line)) if not line.all() else 0, k) for side, line, k in (
        ("left", cols, W / w), ("right", cols[::-1], W / w), ("top", rows, H / h), ("bottom", rows[::-1], H / h))}
    edges = [f"{side} edge, {'about ' * (k != 1)}{round(n * k)} px wide" for side, (n, k) in runs.items() if n]
    ragged = _ragged_edges(zero, W / w, H / h)  # a swath's tilted edge: its widest rows are no full columns
    if not edges or any(lo != hi for _, lo, hi, _ in ragged):  # (it had been said as its narrowest rows' width)
        edges = [f"{side} edge, {'about ' * (k != 1)}{lo if lo == hi else f'{lo}-{hi}'} px wide"
                 for side, lo, hi, k in ragged]
    return f" (a fill along its {', and '.join(edges)})" if edges else ""


def _ragged_edges(zero: np.ndarray, kx: float, ky: float) -> list[tuple[str, int, int, float]]:
    """(side, least, most width in scene pixels, a pixel's size) of each edge of ``zero`` (h, w) along which most
    lines (rows for left and right; those wholly 0, another edge's strip, aside) start with a run of 0, the runs
    holding most of their zeros; least and most are the runs' 5 and 95 % (``kx``, ``ky``: a sample pixel's size),
    one where they differ by a sample pixel or less: a fill whose width varies from row to row."""
    out = []
    for side, lines, k in (("left", zero, kx), ("right", zero[:, ::-1], kx), ("top", zero.T, ky),
                           ("bottom", zero[::-1].T, ky)):
        lines = lines[~lines.all(axis=1)]  # (lines, n)
        runs = np.argmin(lines, axis=1)  # (lines,) leading zeros
        if len(runs) and (runs > 0).mean() >= 0.5 and runs.sum() >= 0.5 * lines.sum():
            lo, hi = np.percentile(runs[runs > 0], [5, 95])
            lo, hi = (round(float(lo) * k), round(float(hi) * k)) if hi - lo > 1 else (round(float(hi) * k),) * 2
            out.append((side, lo, hi, k))
    return out


def _zero_fill(band: np.ndarray, held: np.ndarray, share: float, zero: np.ndarray | None = None) -> bool:
    """Whether ``held`` (n,) marks ≥ ``share`` but not all of ``band`` (n,), more pixels than its other
    values (not ``zero``, default ``held``) hold near 0 (within 2 % of their 2-98 % spread)."""
    zero = held if zero is None else zero
    if held.mean() < share or zero.all():
        return False
    lo, hi = np.percentile(band[~zero], [2, 98])
    return bool(held.sum() > (np.abs(band[~zero]) <= 0.02 * (hi - lo)).sum())


def no_valid_note(valid, bad, src, nodata, shrunk: bool, unit: str = "") -> str:
    """The note for a decimated read whose ``valid`` (h, w) and values' own ``bad`` (h, w) (in ``unit``,
    ``to_physical``'s) leave no valid pixel, saying which masks did it."""
    why = []
    if valid is not None and not valid.any():
        why += ["transparent (alpha 0)"] if src.alpha_index is not None else []
        why += ["masked by the file's nodata value or mask"] if src.declares_nodata else []
        why += [f"equal to nodata {nodata:g} in every band"] if nodata is not None else []
    if bad is not None and bad.all():
        why.append("without a usable value (" + {"dB": "not finite, or an amplitude of 0, whose dB is undefined",
                                                  "K": "not finite, or no temperature above 0 K"}.get(
            unit, "not finite: NaN or infinity") + ")")  # an all-NaN RGB was told of amplitudes and dB
    where = " (of those read for the stretch, the scene shrunk)" if shrunk else ""
    return (f"no valid pixel: every pixel{where} is {' or '.join(why) or 'nodata'}; the image reads as zeros "
            "where RSImage.valid is False")


NODATA_SHARE = 0.25  # a whole read this much nodata or more says so (``nodata_share_note``)


def nodata_share_note(valid: np.ndarray | None, tiled: bool = False, scene_size: tuple[int, int] | None = None
                      ) -> str | None:
    """The note for a whole read whose ``valid`` (h, w) marks ≥ ``NODATA_SHARE`` of the pixels nodata, but not all
    (``no_valid_note`` says that): the model is given the image whole and sees 0 there, the bottom of each band's
    stretch (black), which it cannot tell from dark ground (a Landsat scene's tilted collar: a third of its frame).
    ``tiled``: the read is a tiled run's one window (a scene no larger than ``--tile``), which had been advised to
    read it tiled: it advises a smaller ``--tile``. Untiled, it advises ``--tile`` only at a size whose windows
    (``tiling_skips``) include some wholly nodata, which alone a tiled run skips: "read it tiled" had been said of
    the real Landsat-7 collar scene, none of whose windows at 512, 256 or 128 px is. ``scene_size``: (W, H) of a
    shrunk read's scene (default ``valid``'s own)."""
    share = 0.0 if valid is None else 1.0 - np.count_nonzero(valid) / max(valid.size, 1)  # one pass of the mask
    if share < NODATA_SHARE or share == 1.0:
        return None
    if tiled:
        how = "give a --tile smaller than the scene (its windows wholly nodata are skipped)"
    elif skips := tiling_skips(valid, scene_size or (valid.shape[1], valid.shape[0])):
        how = f"read it tiled (rsvlm predict --tile {skips[0]} skips {skips[1]} of its {skips[2]} windows, wholly nodata)"
    else:  # a collar along the edges lies in every window
        how = "a tiled run would not help (it skips only windows wholly nodata, and no window here at 128 px or more is)"
    return (f"{share:.0%} of the image is nodata (its nodata value or mask, alpha 0 or no usable value): the model "
            f"sees it as 0, the bottom of each band's stretch (black), and cannot tell it from dark ground; crop the "
            f"image to its valid area, or {how}")


def tiling_skips(valid: np.ndarray, scene_size: tuple[int, int], tiles=(512, 256, 128)) -> tuple[int, int, int] | None:
    """(tile, windows skipped, windows) for the largest of ``tiles`` smaller than the scene whose ``rsvlm predict
    --tile`` windows (``windows.iter_windows`` at ``windows.default_overlap``, predict's) include some
    wholly nodata in ``valid`` (h, w), the scene's (``scene_size`` (W, H)) mask or a shrunk read's; None where none
    does. A shrunk mask's windows are scaled to it, so a window is judged on the pixels that read kept."""
    W, H = scene_size
    fy, fx = valid.shape[0] / H, valid.shape[1] / W
    for tile in (t for t in tiles if t < max(W, H)):
        windows = iter_windows(W, H, tile, default_overlap(tile))
        skipped = sum(not valid[int(y * fy):max(int(y * fy) + 1, round((y + h) * fy)),
                                int(x * fx):max(int(x * fx) + 1, round((x + w) * fx))].any() for x, y, w, h in windows)
        if skipped:
            return tile, skipped, len(windows)
    return None
