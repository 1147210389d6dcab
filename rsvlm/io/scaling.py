"""Raw band values → physically scaled float32 in [0, 1] (per modality); modality.py guesses the modality.

Pure numpy; no file access (``declared_scaling`` reads an open source's metadata). Fill values a file does
not declare, and their notes: ``fills.py``. ``read.py`` feeds it raw arrays (C, H, W) in the file's dtype.

What it cannot do: radiometric calibration. Sentinel-1 DN and SpaceNet-6 complex values are
turned into uncalibrated dB (``20·log10(amplitude)``) and stretched; set ``sar_db_range`` only
for data already calibrated to sigma0/beta0. Float SAR already in dB (a SNAP or Earth Engine
sigma0 export) is kept as it is; it is told from amplitude and intensity by its values alone
(``sar_in_db``), and amplitude from intensity not at all. Signed-integer SAR whose values are
mostly negative (``sar_dn_in_db``) holds dB too, often × 100 (int16 archives): by the GDAL scale the
file declares, or ``sar_db_scale``; undeclared, its factor is unknown (a percentile stretch does not
need it; ``sar_db_range`` does); float dB below -100 likewise. Thermal DN become kelvin only where
``ir_kelvin`` gives the product's constants (``read.py`` sets them for Landsat files): no
emissivity or atmospheric correction, so Level-1 values are brightness temperatures at the sensor, not surface temperatures.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from rsvlm.io.checks import n_bands

MODALITIES = ("optical", "msi", "sar", "ir")
SAR_INPUTS = ("amplitude", "intensity", "db")  # what real-valued sar holds (ReadConfig.sar_input)


@dataclass
class ReadConfig:
    """How raw values are scaled. One instance is shared by every window of a scene."""

    percentiles: tuple[float, float] = (2.0, 98.0)  # stretch of uint16/float optical & ir, and of sar dB
    msi_scale: float = 10000.0  # msi uint16 DN → reflectance: (DN + msi_offset) / msi_scale
    msi_offset: float = 0.0  # e.g. -1000 for Sentinel-2 processing baseline >= 04.00
    # msi integer DN → reflectance DN × gain + offset, one [gain, offset] a band, 8-bit too (a Landsat 5/7 _MTL.txt's,
    # whose bands' gains differ); None: msi_scale / msi_offset (8-bit: / 255)
    msi_band_scaling: list[list[float]] | None = None
    msi_float_dn: bool | None = None  # float msi holds DN (scaled as integers are), not reflectance; None: from its values
    sar_input: str | None = None  # real sar: "amplitude" (20·log10), "intensity" (10·log10) or "db" (as is); None: from its values
    sar_iq: bool | None = None  # real sar bands 1+2, 3+4 … are the I and Q parts of complex data; None: from band names (iq.py)
    sar_db_scale: float | None = None  # sar holding dB × k (int16 dB × 100: 0.01): dB = value × sar_db_scale; None: the file's GDAL scale, else 1
    sar_db_range: list[float] | None = None  # fixed [min, max] dB; None → percentiles of the scene
    ir_kelvin: list[float] | None = None  # ir DN (or float radiance) → kelvin: [gain, offset] or [gain, offset, K1, K2]
    ir_kelvin_range: list[float] | None = None  # fixed [min, max] K for ir in kelvin; None → percentiles
    nodata: float | None = None  # value treated as nodata where the file declares none (0 for L1 DN)
    stretch: list[list[float]] | None = None  # fixed per-band [lo, hi] (raw units; dB for sar)
    stats_max_side: int = 1024  # stretch statistics come from the scene decimated to this side
    gdal_cache_mb: int = 64  # GDAL block cache used by windowed reads (bounds peak memory)

    def __post_init__(self):
        """Each field converted to its type as a YAML config's are (``rsvlm.config``: "98" → 98.0, a numpy
        array → a list), or a ValueError naming it: a hand-built ``ReadConfig(stats_max_side="1024")``
        met "'<' not supported between 'str' and 'int'" deep in the reader. Values are checked where a
        scene is opened (``check_config``)."""
        from rsvlm.config import _coerce

        for name, tp in _field_types().items():  # tuple[float, float]: each value converted and named, count checked
            setattr(self, name, _coerce(getattr(self, name), tp, f"ReadConfig.{name}"))


@functools.cache
def _field_types() -> dict:
    """``ReadConfig``'s field annotations, resolved once (0.4 ms a config otherwise)."""
    import typing

    return typing.get_type_hints(ReadConfig)


def as_config(scaling) -> ReadConfig:
    """A copy of ``scaling``: a ``ReadConfig``, a mapping of its fields (a YAML or JSON config's: built by
    ``rsvlm.config.from_dict``, which converts types and names a key that is no field, with the valid
    ones), or None (the defaults); TypeError for anything else (a dict met dataclasses' "replace()
    should be called on dataclass instances")."""
    import dataclasses

    if scaling is None:
        return ReadConfig()
    if isinstance(scaling, ReadConfig):
        return dataclasses.replace(scaling)
    if isinstance(scaling, dict):
        from rsvlm.config import from_dict

        return from_dict(ReadConfig, scaling, where="scaling")  # numpy numbers and arrays taken too
    raise TypeError(f"scaling must be a ReadConfig or a dict of its fields, not {type(scaling).__name__}")


def check_config(cfg: ReadConfig) -> None:
    """ValueError naming the setting where ``cfg`` cannot scale anything: an unknown ``sar_input``, or
    a range that is not [low, high] with low < high (reversed it turned the image over, equal ends or
    NaN made it black or NaN)."""
    if cfg.sar_input is not None and cfg.sar_input not in SAR_INPUTS:
        raise ValueError(f"ReadConfig.sar_input must be one of {', '.join(SAR_INPUTS)} (or None: from the values), "
                         f"not {cfg.sar_input!r}")
    if cfg.sar_db_scale is not None and not (np.isfinite(cfg.sar_db_scale) and cfg.sar_db_scale > 0
                                             and cfg.sar_input in (None, "db")):
        raise ValueError(f"ReadConfig.sar_db_scale {cfg.sar_db_scale} must be a number above 0 (dB per stored unit: "
                         f"0.01 for dB × 100), and says the values are dB: sar_input {cfg.sar_input!r} says otherwise")
    if not (np.isfinite(cfg.msi_scale) and cfg.msi_scale > 0 and np.isfinite(cfg.msi_offset)):
        raise ValueError(f"ReadConfig.msi_scale {cfg.msi_scale} must be a number above 0 (and msi_offset "
                         f"{cfg.msi_offset} finite): reflectance is (DN + msi_offset) / msi_scale")
    if cfg.msi_band_scaling is not None and not all(len(g) == 2 and np.isfinite(g).all() and g[0] > 0
                                                    for g in cfg.msi_band_scaling):
        raise ValueError(f"ReadConfig.msi_band_scaling {cfg.msi_band_scaling} must be one [gain, offset] a band, each "
                         "gain a number above 0: reflectance is DN × gain + offset")
    if cfg.stats_max_side < 1:
        raise ValueError(f"ReadConfig.stats_max_side {cfg.stats_max_side} must be 1 or more (pixels a side)")
    if cfg.gdal_cache_mb < 1:  # was handed to GDAL as a cache of minus 5 MiB without a word
        raise ValueError(f"ReadConfig.gdal_cache_mb {cfg.gdal_cache_mb} must be 1 or more (MiB of GDAL block cache)")
    ranges = {"percentiles": cfg.percentiles, "sar_db_range": cfg.sar_db_range, "ir_kelvin_range": cfg.ir_kelvin_range,
              **{f"stretch[{i}]": r for i, r in enumerate([] if cfg.stretch is None else cfg.stretch)}}
    for name, r in ranges.items():
        if r is None:
            continue
        ok = len(r) == 2 and all(isinstance(v, (int, float, np.number)) and np.isfinite(v) for v in r) and r[0] < r[1]
        if not ok or name == "percentiles" and not 0 <= r[0] < r[1] <= 100:
            raise ValueError(f"ReadConfig.{name} {list(r)} must be [low, high] with low < high"
                             + (" in [0, 100]" if name == "percentiles" else ""))


def dn_text(scale: float, offset: float) -> str:
    """``DN × 0.0001 − 0.1``: how values are made of DN, for notes."""
    return f"DN × {scale:g} {'−' if offset < 0 else '+'} {abs(offset):g}"


def expected_bands(modality: str) -> str:
    return {
        "optical": "3 bands (RGB), 4 with alpha, or 1 grey band",
        "msi": "2 or more bands, or 1 Sentinel-2 band file (B04.jp2)",
        "sar": ("1, 2 or 4 polarisation bands (complex, float or uint amplitude), or 3 identical ones (grey "
                "stored as RGB); 3 others are a colour composite (Pauli RGB): read it as optical"),
        "ir": "1 band (or 3 identical bands)",
    }[modality]


def check_dtype(modality: str, dtype: str, path: str) -> None:
    kind = np.dtype(dtype).kind
    if kind == "c" and modality != "sar":
        raise ValueError(f"{path}: complex {dtype} data can only be read as sar, not {modality}: give --modality sar, "
                         "or none to have it guessed")
    if kind not in "uifc":
        raise ValueError(f"{path}: unsupported dtype {dtype} (expected uint8/uint16/int/float/complex)")


def plan_bands(modality: str, count: int, alpha_index: int | None, identical: bool, path: str,
               skip: set[int] = frozenset(), one_named_band: bool = False, *, suggest: bool = True,
               unfit: frozenset[str] = frozenset()) -> tuple[list[int], str | None]:
    """Which source bands (0-based) to keep for ``modality``; ValueError when the count is wrong.

    ``identical``: all bands hold the same values (grey stored as RGB); ``skip``: bands left out
    before counting; ``one_named_band``: the file is one band whose name is known (a Sentinel-2
    band file alone), which is a set of msi bands too. Returns (indices, note). A refusal names the modalities
    that read the count (``suggest``), less ``unfit`` (sar for bands named as colours: ``modality.plan`` refuses).
    """
    if modality not in MODALITIES:
        raise ValueError(f"{path}: unknown modality {modality!r}; expected one of {', '.join(MODALITIES)}")
    keep = [i for i in range(count) if i != alpha_index and i not in skip]
    note = "alpha band read as nodata (transparent pixels masked), not as a band" if alpha_index is not None else None
    n = len(keep)
    if modality == "optical":
        if n == 3:
            return keep, note
        if n == 1:
            return keep * 3, "grey band replicated to RGB"
    elif modality == "msi":
        if n >= 2 or (n == 1 and one_named_band):
            return keep, note
    elif modality == "sar":
        if n == 3 and identical:
            return keep[:1], "3 identical bands (grey stored as RGB) read as 1 sar band"
        if 1 <= n <= 4 and n != 3:
            return keep, note
    elif modality == "ir":
        if n == 1:
            return keep, note
        if n == 3 and identical:
            return keep[:1], "3 identical bands (grey stored as RGB) read as 1 ir band"
    have = f"{n_bands(n)} ({len(skip)} more left out)" if skip else n_bands(count)
    expected = expected_bands(modality)
    fits = [m for m in MODALITIES if m != modality and m not in unfit and suggest and "read it as" not in expected
            and _plans(m, count, alpha_index, identical, path, skip, one_named_band)]  # what to do: it had not said
    how = f"; it can be read as {', '.join(fits)}: give the one it is (--modality), or none to have it guessed" * bool(fits)
    raise ValueError(f"{path}: {have} cannot be read as {modality}; expected {expected}{how}")


def _plans(modality: str, *args) -> bool:
    """Whether ``plan_bands`` reads the bands as ``modality``."""
    try:
        plan_bands(modality, *args, suggest=False)
    except ValueError:
        return False
    return True


def to_physical(raw: np.ndarray, modality: str, cfg: ReadConfig) -> tuple[np.ndarray, np.ndarray | None, str]:
    """raw (C, H, W) any dtype → (values float32 (C, H, W), invalid-from-values (H, W) or None, unit).

    unit is "unit" (already in [0, 1]), "raw" (needs a stretch), "reflectance", "dB" (sar) or "K".
    ir with ``cfg.ir_kelvin`` is DN·gain + offset (float values too: [1, 0, K1, K2] for radiance):
    kelvin itself for two numbers (a surface-temperature product), radiance for four, turned into
    brightness temperature K2 / ln(K1 / radiance + 1) (invalid where radiance <= 0 or not finite).
    Integer msi with ``cfg.msi_band_scaling`` is DN × gain + offset band by band, 8-bit DN too (else / 255), and
    float msi holding DN (``cfg.msi_float_dn``) too; float reflectance is not scaled (``read.py`` says so).
    """
    kind = raw.dtype.kind
    if modality == "ir" and kind != "c" and cfg.ir_kelvin is not None:  # float ir too (radiance), once left as it was
        gain, offset, *planck = (float(v) for v in cfg.ir_kelvin)
        if len(planck) not in (0, 2):
            raise ValueError(f"ir_kelvin takes [gain, offset] or [gain, offset, K1, K2], not {cfg.ir_kelvin}")
        vals = raw.astype(np.float64) * gain + offset  # (C, H, W) kelvin, or radiance W/(m² sr µm)
        if not planck:  # 0 K and below is no temperature: a float band's fill
            return vals.astype(np.float32), ~(np.isfinite(vals) & (vals > 0)).all(axis=0), "K"
        k1, k2 = planck
        bad = ~(np.isfinite(vals) & (vals > 0)).all(axis=0)  # (H, W): no temperature for radiance <= 0
        kelvin = k2 / np.log(k1 / np.where(vals > 0, vals, 1.0) + 1.0)
        return kelvin.astype(np.float32), bad, "K"
    if modality == "sar":
        if kind == "u" and raw.dtype.itemsize == 1:
            return raw.astype(np.float32) / 255.0, None, "unit"  # display-scaled 8-bit SAR: no dB
        if kind != "c" and cfg.sar_input == "db":  # calibrated and already in dB: negative values are no amplitude
            db = raw.astype(np.float32)
            if cfg.sar_db_scale is not None:  # int16 dB × 100
                db *= np.float32(cfg.sar_db_scale)
            return db, ~np.isfinite(db).all(axis=0), "dB"
        amp = np.abs(raw).astype(np.float32)  # complex → amplitude; real → itself
        bad = ~(amp > 0).all(axis=0) | ~np.isfinite(amp).all(axis=0)  # (H, W): log undefined
        factor = 10.0 if (kind != "c" and cfg.sar_input == "intensity") else 20.0
        with np.errstate(divide="ignore", invalid="ignore"):
            db = factor * np.log10(np.where(amp > 0, amp, 1.0))
        return db.astype(np.float32), bad, "dB"
    if modality == "msi" and (kind in "ui" or cfg.msi_float_dn) and cfg.msi_band_scaling is not None:  # float DN too
        gain, offset = (np.asarray(v, np.float32)[:, None, None] for v in zip(*cfg.msi_band_scaling))  # (C, 1, 1)
        return raw.astype(np.float32) * gain + offset, None, "reflectance"
    if kind == "u" and raw.dtype.itemsize == 1:
        return raw.astype(np.float32) / 255.0, None, "unit"
    vals = raw.astype(np.float32)
    bad = ~np.isfinite(vals).all(axis=0) if kind == "f" else None
    if modality == "msi":
        if kind in "ui" or cfg.msi_float_dn:  # DN, also as floats (an Earth Engine export's float32)
            return (vals + cfg.msi_offset) / cfg.msi_scale, bad, "reflectance"
        return vals, bad, "reflectance"  # float msi is taken as reflectance already
    return vals, bad, "raw"


def flat_range(value: float, in_display_range: bool) -> list[float]:
    """The [lo, hi] that shows a band holding one ``value``: the value itself where it lies in [0, 1]
    and ``in_display_range`` says such values are shown as they are, else mid-grey (0.5). A
    percentile stretch had no width there and took [value, value + 1], which drew it black."""
    return [0.0, 1.0] if in_display_range and 0.0 <= value <= 1.0 else [value - 0.5, value + 0.5]


def percentile_range(values: np.ndarray, percentiles, in_display_range: bool) -> tuple[float, float, bool]:
    """(lo, hi, flat): the ``percentiles`` of ``values`` (any shape, finite, not empty) as a stretch
    range. Values of one throughout (``flat``) get ``flat_range``; a range with equal ends over values
    that do vary (most pixels one value) gets ``[lo, lo + 1]``. The one rule of the reader's stretch
    (``compute_stretch``), the overlay's (``vis``) and the synthetic previews'."""
    lo, hi = (float(x) for x in np.percentile(values, percentiles))
    if hi <= lo and values.min() == values.max():
        lo, hi = flat_range(lo, in_display_range)
        return lo, hi, True
    return lo, hi if hi > lo else lo + 1.0, False


def flat_note(bands: list[str], flat: dict[int, float], unit: str) -> str:
    """The note for bands of one value (``compute_stretch``'s ``flat``)."""
    told = ", ".join(f"{bands[i]} {v:.4g}" for i, v in flat.items())
    kept = [flat_range(v, unit == "raw") == [0.0, 1.0] for v in flat.values()]
    how = ("as it is (in [0, 1])" if all(kept) else "as mid-grey (0.5)" if not any(kept)
           else "as mid-grey, or as it is in [0, 1]")
    return f"band{'s' * (len(flat) > 1)} of one value throughout ({told}): nothing to stretch, read {how}"


def compute_stretch(values: np.ndarray, valid: np.ndarray | None, cfg: ReadConfig, unit: str
                    ) -> tuple[list[list[float]] | None, dict[int, float]]:
    """(per-band [lo, hi] from valid pixels (percentiles, or the fixed dB or K range), None when
    unneeded; the bands that hold one value, by index: ``flat_range`` shows them mid-grey, or as
    they are for raw values in [0, 1])."""
    if unit in ("unit", "reflectance"):
        return None, {}
    fixed = {"dB": cfg.sar_db_range, "K": cfg.ir_kelvin_range}.get(unit)
    if fixed is not None:
        lo, hi = fixed
        return [[float(lo), float(hi)] for _ in range(values.shape[0])], {}
    p_lo, p_hi = cfg.percentiles
    out, flat = [], {}
    for i, band in enumerate(values):  # (H, W)
        v = band[valid] if valid is not None else band.ravel()
        v = v[np.isfinite(v)]
        if v.size == 0:
            out.append([0.0, 1.0])
            continue
        lo, hi, one = percentile_range(v, [p_lo, p_hi], unit == "raw")
        if one:
            flat[i] = float(v[0])
        out.append([lo, hi])
    return out, flat


def apply_stretch(values: np.ndarray, stretch: list[list[float]] | None) -> np.ndarray:
    """(C, H, W) → (C, H, W) float32 in [0, 1] by per-band linear stretch and clip."""
    if stretch is None:
        return values.astype(np.float32, copy=False)
    lo = np.asarray([s[0] for s in stretch], np.float32)[:, None, None]
    hi = np.asarray([s[1] for s in stretch], np.float32)[:, None, None]
    return np.clip((values - lo) / (hi - lo), 0.0, 1.0).astype(np.float32, copy=False)


MSI_REFLECTANCE_MAX = 2.0  # float msi whose 98th percentile exceeds this holds DN: reflectance hardly passes 1.5


def _valid_percentile(raw: np.ndarray, valid: np.ndarray | None, q: float) -> float:
    """The ``q``-th percentile of the valid, finite values of ``raw`` (C, h, w); 0 when there are none."""
    v = raw[:, valid] if valid is not None else raw.reshape(raw.shape[0], -1)  # (C, n)
    v = v[np.isfinite(v)]
    return float(np.percentile(v, q)) if v.size else 0.0


def float_msi_dn(raw: np.ndarray, valid: np.ndarray | None) -> tuple[bool, float]:
    """(whether float msi ``raw`` (C, h, w) holds DN rather than reflectance, its 98th percentile)
    from its valid, finite values."""
    p98 = _valid_percentile(raw, valid, 98)
    return p98 > MSI_REFLECTANCE_MAX, p98


SAR_DB_BELOW = -1.0  # float sar whose 2nd percentile is below this is in dB: no linear backscatter is


def sar_in_db(raw: np.ndarray, valid: np.ndarray | None) -> tuple[bool, float]:
    """(whether real float sar ``raw`` (C, h, w) is already in dB, the 2nd percentile of its valid,
    finite values): amplitude and intensity are never below 0 but by noise subtraction's few
    thousandths, while any scene in dB has pixels far below (-25 dB water, -15 dB shadow), even
    one whose median is above 0 dB (a city's)."""
    p2 = _valid_percentile(raw, valid, 2)
    return p2 < SAR_DB_BELOW, p2


SAR_DB_FLOOR = -100.0  # no backscatter is below -100 dB: integer sar further down holds dB times a factor


def sar_dn_in_db(raw: np.ndarray, valid: np.ndarray | None) -> tuple[bool, float]:
    """(whether signed-integer sar ``raw`` (C, h, w) holds dB, or dB × k as int16 archives hold dB × 100,
    the 2nd percentile of its valid values): amplitude and intensity DN are never negative; an SLC's
    real or imaginary part is, but centres on 0, while a dB scene's median lies below 0 by a tenth
    of its 2-98 % spread or more (-8 dB land, -20 dB water; a city's -5 dB of a 35 dB spread)."""
    v = raw[:, valid] if valid is not None else raw.reshape(len(raw), -1)  # (C, n)
    if v.size == 0:
        return False, 0.0
    p2, p50, p98 = (float(x) for x in np.percentile(v, [2, 50, 98]))
    return p2 < SAR_DB_BELOW and p50 < -0.1 * (p98 - p2), p2


def sar_db_note(p2: float, cfg: ReadConfig, name: str, kind: str) -> str:
    """The note for ``kind`` ("float" or "integer") sar read as dB (``sar_in_db``, ``sar_dn_in_db``; ``p2``
    its 2nd percentile); ValueError naming ``name`` where ``cfg.sar_db_range``, in dB, meets values of
    a factor nothing gives (below -100 dB: dB × 100 read as dB clipped every pixel)."""
    k = cfg.sar_db_scale
    unknown = k is None and p2 < SAR_DB_FLOOR
    if unknown and cfg.sar_db_range is not None:
        raise ValueError(f"{name}: sar_db_range {list(cfg.sar_db_range)} is in dB, but its {kind} values (down to "
                         f"{p2:.4g}) are dB times a factor the file does not declare: give ReadConfig.sar_db_scale "
                         "(0.01 for dB × 100)")
    if kind == "float" and k is None and not unknown:
        return (f"float values down to {p2:.4g} (2nd percentile) are already in dB (no amplitude is negative): "
                "kept as they are (ReadConfig.sar_input='amplitude' or 'intensity' decides instead)")
    how = (f"dB × {1 / k:g} by the scale the file declares (GDAL scale {k:g})" if k else
           "dB times a factor the file does not declare (ReadConfig.sar_db_scale=0.01 says dB × 100; the "
           "percentile stretch is the same either way)" if unknown else "dB")
    return (f"{kind} values down to {p2:.4g} (2nd percentile) are no amplitude (never negative): read as {how}; "
            "ReadConfig.sar_input='amplitude' says otherwise")


def declared_scaling(src, indexes: list[int]) -> list[tuple[float, float]]:
    """The distinct (scale, offset) a GDAL raster declares for the bands read (value = DN × scale +
    offset); [] where every one is (1, 0), or the source is no GDAL raster."""
    pairs = [(float(a), float(b)) for d in getattr(src, "datasets", []) for a, b in zip(d.scales, d.offsets)]
    used = list(dict.fromkeys(pairs[i] for i in indexes)) if len(pairs) == src.count else []  # not a palette's RGB
    return [] if used == [(1.0, 0.0)] else used
