"""Complex SAR stored as separate real bands: the I (in-phase, real) and Q (quadrature, imaginary)
parts of a Sentinel-1 SLC as SNAP and other tools export them (``i_IW1_VV``, ``q_IW1_VV``;
``VV_real``, ``VV_imag``), one file or one file per part.

``as_complex`` puts each I/Q pair back together as one complex band (``ComplexPairs``), which the
reader turns into amplitude in dB as it does a CInt16 SLC; the pairs come from the band names (or
the file names, one band a file), or from ``ReadConfig.sar_iq=True`` (bands 1 and 2, 3 and 4 … are
I and Q). Without either, ``iq_note`` says where real SAR bands look like I and Q by their values
(centred on 0, half negative), which as separate bands read as two unrelated amplitudes.

Cannot: deburst or merge sub-swaths, calibrate, or use the phase (only the amplitude is read); read shrunk
(``read_decimated``) it takes I and Q at the nearest sample, as rasterio's nearest read of a complex band does,
not a multilook (the mean amplitude of each block): the shrunk image keeps single-look speckle.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from rsvlm.io.checks import n_bands

__all__ = ["iq_pairs", "as_complex", "ComplexPairs", "iq_note"]

_POL = r"(?P<pol>[hv][hv])"
# (part, pol) from a band's name: i_VV, q_IW1_VV, I_VV, VV_real, real_VV, Imaginary, VV_i …
_PART = re.compile(rf"(?:(?P<p1>i|q|re|im|real|imag|imaginary)(?:[_\-.]\w*?)??(?:[_\-.]{_POL})?"
                   rf"|{_POL.replace('pol', 'pol2')}[_\-.](?:\w+?[_\-.])?(?P<p2>i|q|re|im|real|imag|imaginary))",
                   re.IGNORECASE)
_DERIVED = re.compile(r"(intensity|amplitude|sigma0|beta0|gamma0)(?:[_\-.]\w*)?", re.IGNORECASE)


def _part(name: str | None) -> tuple[str, str] | None:
    """("i" or "q", polarisation or "") a band name says, else None."""
    m = _PART.fullmatch(name or "")
    if m is None:
        return None
    part = (m["p1"] or m["p2"]).lower()
    return "i" if part in ("i", "re", "real") else "q", (m["pol"] or m["pol2"] or "").upper()


def iq_pairs(names: list[str | None]) -> tuple[list[tuple[int, int, str]], list[int]] | None:
    """([(I band, Q band, polarisation or "")], bands left out) where ``names`` name I and Q parts
    that pair up by polarisation, every other band being one derived from them (``Intensity_VV``,
    which SNAP adds); None where they do not (no I/Q names, an unpaired part, another band)."""
    parts = [_part(n) for n in names]
    if not any(parts):
        return None
    found: dict[str, dict[str, int]] = {}
    for k, p in enumerate(parts):
        if p is not None and p[0] in found.setdefault(p[1], {}):
            return None  # two I bands of one polarisation
        if p is not None:
            found[p[1]][p[0]] = k
    if any(set(f) != {"i", "q"} for f in found.values()):
        return None
    other = [k for k, p in enumerate(parts) if p is None]
    if not all(_DERIVED.fullmatch(names[k] or "") for k in other):
        return None
    return [(f["i"], f["q"], pol) for pol, f in found.items()], other


class ComplexPairs:
    """A source (``sources.py``) whose I/Q band pairs read as one complex64 band each (C, H, W)."""

    def __init__(self, src, pairs: list[tuple[int, int, str]], notes: list[str]):
        self.src, self.pairs = src, pairs
        src.band_files = src.fill_in_any_band = False  # I and Q files: a nodata masks where both hold it
        # (``fills.masks_any_band``)
        self.paths, self.width, self.height = src.paths, src.width, src.height
        self.count, self.dtype = len(pairs), "complex64"
        self.crs, self.transform, self.gcps = src.crs, src.transform, src.gcps
        self.descriptions = [pol or None for _, _, pol in pairs]
        self.units = [None] * self.count
        self.colour_names = [None] * self.count
        self.alpha_index, self.declares_nodata = None, src.declares_nodata
        self.notes = [*src.notes, *notes]

    def _complex(self, read, indexes: list[int], nodata):
        parts = [k for i in indexes for k in self.pairs[i][:2]]  # I, Q, I, Q …
        raw, valid = read(parts, nodata)  # (2C, h, w)
        out = raw[0::2].astype(np.complex64)  # (C, h, w): I as the real part
        out.imag = raw[1::2]  # Q
        return out, valid

    def read(self, window, indexes: list[int], nodata):
        return self._complex(lambda parts, nd: self.src.read(window, parts, nd), indexes, nodata)

    def read_decimated(self, max_side: int, indexes: list[int], nodata):
        return self._complex(lambda parts, nd: self.src.read_decimated(max_side, parts, nd), indexes, nodata)

    def close(self):
        self.src.close()


def as_complex(src, paths: list[Path], sar_iq: bool | None, modality: str | None, name: str):
    """``src`` with its I/Q pairs as complex bands (``ComplexPairs``) where ``sar_iq`` says so, or (None)
    the band names (descriptions, or file names, one band a file) do and ``modality`` is sar or not
    given; else ``src`` itself. ValueError naming ``name`` where ``sar_iq`` meets bands that do not pair."""
    if sar_iq is False or modality not in (None, "sar") or np.dtype(src.dtype).kind not in "uif":
        if sar_iq and modality not in (None, "sar"):
            raise ValueError(f"{name}: ReadConfig.sar_iq reads I/Q bands as complex sar, not {modality}")
        return src
    stems = [p.stem for p in paths] if len(paths) == src.count else [None] * src.count  # one band a file
    if len(paths) == 1 and modality != "sar" and not (_part(stems[0]) or ("", ""))[1]:  # a lone file's name is no
        stems = [None] * src.count  # part without its polarisation (i_VV.tif) unless given as sar (i.tif, its half):
        # real.jp2, q.png had been "I or Q parts … do not pair up"
    names = [st if _part(st) else d for st, d in zip(stems, src.descriptions)]  # its file's name, else description
    found = iq_pairs(names) if sar_iq is None else None
    if sar_iq:
        if src.count % 2 or src.alpha_index is not None:
            raise ValueError(f"{name}: ReadConfig.sar_iq reads bands as I/Q pairs, but the file has "
                             f"{n_bands(src.count)}" + (" with alpha" if src.alpha_index is not None else ""))
        pols = [(_part(names[k]) or ("", ""))[1] for k in range(0, src.count, 2)]
        found = [(k, k + 1, pol) for k, pol in zip(range(0, src.count, 2), pols)], []
    if found is None:
        half = [n for n in names if _part(n)] if sar_iq is None else []
        if half:  # one part of the pair alone (i_VV.img without q_VV.img) reads as |I|: said, not silent
            src.notes.append(f"band{'s' * (len(half) > 1)} {', '.join(half)} named as I or Q parts of complex SAR "
                             f"{'do' if len(half) > 1 else 'does'} not pair up (each needs its other part): read as real values; give both parts, e.g. i_VV and q_VV, "
                             "for the amplitude")
        return src
    pairs, left = found
    told = ", ".join(f"{names[i] or f'b{i + 1}'} + {names[q] or f'b{q + 1}'}" for i, q, _ in pairs)
    why = "ReadConfig.sar_iq" if sar_iq else "their names"
    notes = [f"I/Q bands of complex SAR (by {why}): {told} read as {len(pairs)} complex band{'s' * (len(pairs) > 1)}, amplitude in dB"]
    if left:
        notes.append(f"band{'s' * (len(left) > 1)} {', '.join(str(names[k]) for k in left)} derived from them left out")
    return ComplexPairs(src, pairs, notes)


def iq_note(raw: np.ndarray, valid: np.ndarray | None, bands: list[str]) -> str | None:
    """A note where real sar ``raw`` (C, h, w) of an even number of bands holds values as the I and Q
    parts of complex data do (each band centred on 0, 30-70 % negative; amplitude is never negative,
    dB mostly), read as separate bands; None otherwise."""
    if len(raw) % 2 or raw.dtype.kind not in "if":
        return None
    v = raw[:, valid] if valid is not None else raw.reshape(len(raw), -1)  # (C, n)
    v = v[:, np.isfinite(v).all(axis=0)]
    if v.shape[1] < 16:
        return None
    for band in v:
        p2, p50, p98 = np.percentile(band, [2, 50, 98])
        if not (0.3 <= (band < 0).mean() <= 0.7 and abs(p50) <= 0.05 * (p98 - p2)):
            return None
    return (f"bands {', '.join(bands)} hold values centred on 0, half of them negative, as the I and Q parts of "
            f"complex SLC data do: read as {len(bands)} separate bands; if they are I/Q, ReadConfig.sar_iq=True "
            "reads each pair as one complex band (its amplitude in dB)")
