"""Per-modality stems: named bands → the encoder's 3 input channels, plus a modality embedding.

Two halves. ``prepare`` (used by the Processor; no weights) checks the band count/names, resizes
to the encoder's image size and normalises each band with the configured mean/std. ``Stem`` (the
learned part) mixes the bands into the encoder's RGB channels with a 1×1 map initialised so a
pretrained encoder sees what it was trained on at step 0 (R, G, B on their channels, other bands
at zero; 1–2 band inputs such as SAR or thermal averaged into all three), and adds a learned
modality embedding (zero at start) to the encoder's output tokens.

Limits: resizing is torch interpolation on floats, so it matches PIL-based CLIP preprocessing
exactly only when no resize is needed; inputs must already be physically scaled (readers do it).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from rsvlm.advice import FILL, RECORD_TOO
from rsvlm.io.bandnames import SAME_BAND, band_at, band_key, colour_band_at, near_band_at, same_band  # noqa: F401  (SAME_BAND: stem.SAME_BAND)
from rsvlm.io.products import s2_numbered
from rsvlm.progress import counted

CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
CLIP_STD = [0.26862954, 0.26130258, 0.27577711]
RESIZE_MODES = ("stretch", "pad", "crop")
INTERPOLATIONS = ("bilinear", "bicubic")  # StemConfig.interpolation: _interp resizes with antialias, which takes only these


@dataclass
class StemConfig:
    modality: str = "optical"
    bands: list[str] = field(default_factory=lambda: ["R", "G", "B"])
    mean: list[float] = field(default_factory=lambda: list(CLIP_MEAN))
    std: list[float] = field(default_factory=lambda: list(CLIP_STD))
    encoder: str = "default"  # key in VLMConfig.encoders; stems naming one encoder share its weights
    rgb_bands: list[str] | None = None  # bands that start on the encoder's R,G,B; None → "R","G","B" if present
    resize: str = "stretch"  # "stretch" | "pad" (to square with the band means, LLaVA-1.5) | "crop" (short side, centre)
    interpolation: str = "bicubic"  # one of INTERPOLATIONS


def check_stem(cfg: StemConfig) -> None:
    n = len(cfg.bands)
    if n == 0 or len(cfg.mean) != n or len(cfg.std) != n:
        raise ValueError(f"stem {cfg.modality!r}: bands {cfg.bands}, mean and std must have one entry per band "
                         f"(got {n}, {len(cfg.mean)}, {len(cfg.std)})")
    if not all(s > 0 for s in cfg.std):  # NaN too: every pixel would come out NaN
        raise ValueError(f"stem {cfg.modality!r}: std must be positive, got {cfg.std}")
    if not all(math.isfinite(m) for m in cfg.mean):  # every pixel of the band came out NaN
        raise ValueError(f"stem {cfg.modality!r}: mean must be finite numbers, got {cfg.mean}")
    keys = [band_key(b) for b in cfg.bands]
    twice = sorted({b for b, k in zip(cfg.bands, keys) if keys.count(k) > 1})
    if twice:  # both would read the one image channel of that name
        raise ValueError(f"stem {cfg.modality!r}: bands {twice} name one band twice (B8 is B08)")
    if cfg.resize not in RESIZE_MODES:
        raise ValueError(f"stem {cfg.modality!r}: resize must be one of {RESIZE_MODES}, got {cfg.resize!r}")
    if cfg.interpolation not in INTERPOLATIONS:  # was: built, then every image refused at its first resize
        raise ValueError(f"stem {cfg.modality!r}: interpolation must be one of {INTERPOLATIONS}, "
                         f"got {cfg.interpolation!r}")
    if cfg.rgb_bands is not None:  # by any name of a band, as the bands' own matching (was: exact names only)
        unknown = [b for b in cfg.rgb_bands if band_at(cfg.bands, str(b)) is None]
        if len(cfg.rgb_bands) != 3 or unknown:
            raise ValueError(f"stem {cfg.modality!r}: rgb_bands {cfg.rgb_bands} must be 3 of {cfg.bands}"
                             + "".join(f"; {b!r} names none of them" for b in unknown))


# Stand-ins taken only when missing bands may be filled: the other polarisation of the same kind; Sentinel-2's
# narrow NIR (B8A, 865 nm) for the broad one (B08, 842 nm), far nearer it than the red a copy fill would take.
STAND_INS = {"VV": ("HH",), "HH": ("VV",), "VH": ("HV",), "HV": ("VH",), "B08": ("B8A",), "NIR": ("B8A",)}


FILL_MODES = ("error", "copy", "mean")  # what becomes of a band the image lacks (match_bands)
# how match_bands' notes say to name an image's bands: predict's flag, a training/eval record image's field
# (chat: '/image PATH MODALITY R,G,B,NIR')
NAME_BANDS = "--bands" + RECORD_TOO  # advice.for_cli / for_chat rewrite it where it is shown
# the way out of a missing band without a fill (advice.for_cli / for_chat / for_python / for_config word it)
FILL_HINT = f" (to answer anyway, fill them: {FILL}; expect weaker answers)"


@dataclass
class BandMatch:
    index: list[int | None]  # per configured band: the image channel it is read from, None = filled
    notes: list[str]  # what was assumed, for the user
    copy_from: dict[int, int] = field(default_factory=dict)  # filled band → the present band it copies


def generic_band_names(bands: list[str]) -> bool:
    """Readers' names for bands without a description: ``b1 … bN`` in increasing order (no leading
    zero, so a user's lower-case Sentinel-2 ``b04`` is a name, matched as ``B04``; ``b4, b3, b2`` is
    no reader's order either, and was fed to B02, B03, B04: red as blue)."""
    nums = [int(m[1]) if (m := re.fullmatch(r"b([1-9]\d*)", b)) else 0 for b in bands]
    return all(nums) and all(a < b for a, b in zip(nums, nums[1:]))


def match_bands(cfg: StemConfig, bands: list[str] | None, n_channels: int, name: str = "image",
                fill: str = "error") -> BandMatch:
    """Which image channel feeds each of the stem's bands.

    Named bands are matched by name, case-insensitively and with band numbers read as numbers
    (``B4`` is ``B04``), or by a name in ``SAME_BAND`` (``R`` is Sentinel-2's ``B04``); 13 bands named ``B1 … B13``
    are Sentinel-2's 13 in order, ``B8A`` the 9th (``products.s2_numbered``, as the reader reads them). Unnamed
    bands (``None`` or readers' ``b1 … bN``) are taken in the configured order when their count fits. ``fill`` (``FILL_MODES``) decides the rest: ``error``
    names the missing band; otherwise a ``STAND_INS`` polarisation is tried, a lone unnamed band
    is taken as the first configured band, one named band feeds a one-band stem, and each band still
    missing is filled: ``copy`` with the nearest present band (in the configured order) rescaled to
    the missing band's training mean and spread, so it is the present band after normalisation;
    ``mean`` with its training mean (zero after normalisation). At least one band must match. The
    model saw no filled band in training; docs/benchmarks/missing_bands.md measures the cost
    (SAR without VH: scene class 0.875 with ``copy``, 0.225 with ``mean``, against 0.975).
    """
    if fill not in FILL_MODES:
        raise ValueError(f"missing-band fill must be one of {FILL_MODES}, got {fill!r}")
    filling = fill != "error"
    want, m = list(cfg.bands), cfg.modality
    if bands is not None and len(bands) != n_channels:
        k = len(bands)  # (was "1 band names ['VV'] for 2 channels")
        raise ValueError(f"{name}: {k} band name{'s' * (k != 1)} {list(bands)} given for {n_channels} "
                         f"channel{'s' * (n_channels != 1)}: give one name per channel, in their order, or none")
    if bands is None or generic_band_names(bands):
        if n_channels == len(want):  # R, G, B is what unnamed optical bands mean; other sets vary
            guess = (f"{n_channels} unnamed bands taken in the order {', '.join(want)} (if not, name them "
                     f"with {NAME_BANDS})") if n_channels > 1 and m != "optical" else None
            return BandMatch(list(range(n_channels)), [guess] if guess else [])
        if filling and n_channels == 1:
            return _filled([0] + [None] * (len(want) - 1), want, fill,
                           [f"1 unnamed band taken as {want[0]} (name it with {NAME_BANDS})"])
        # how many names, in which order ("name them" alone left a 5-band file's count and order to guess)
        name_them = (f"; name them, {n_channels} names in their order ({NAME_BANDS}, e.g. --bands "
                     f"{','.join(f'B{i + 1}' for i in range(n_channels))} with each band's real name)")
        hint = f"{name_them} to fill the missing ones" if filling and n_channels < len(want) else ""
        if n_channels > len(want):  # a 13-band Sentinel-2 file for a 4-band stem: named, its bands are picked
            hint = f"{name_them} to pick the model's {len(want)} from them"
        elif n_channels == 1 and m == "optical" and len(want) == 3:  # an (H,W) grey array: the readers repeat
            # a grey file's band (into R, G, B: a stem of other bands is told its count alone)
            hint = "; a grey image is R = G = B, as the readers read one: repeat its band (np.stack([a.squeeze()] * 3))"
        elif n_channels == 1 and not filling:  # a VV-only scene: filled, its band is taken as the first
            hint = FILL_HINT
        raise ValueError(f"{name}: modality {m!r} expects {counted(len(want), 'band')} {want}, got {n_channels}{hint}")
    notes: list[str] = []
    if s2_stack := s2_numbered(bands):  # as the reader reads them (ImageInput's names come here alone)
        bands = s2_stack[0]
        notes.append(f"13 bands numbered B1 … B13 read as Sentinel-2's 13 in their order, B8A the 9th ({s2_stack[1]}); "
                     f"if they are another sensor's, name them with {NAME_BANDS}")
    lower = {band_key(b): i for i, b in enumerate(bands)}
    index: list[int | None] = []
    flagged: set[int] = set()  # bands a note already says are left out
    for w in want:
        i = lower.get(band_key(w))
        rivals = sorted({lower[band_key(x)] for x in same_band(w) if band_key(x) in lower} - {i})
        if i is None and rivals:
            i, rivals = rivals[0], rivals[1:]
        flagged.update(rivals)
        if rivals:  # R and b4 (B04) in one list: two bands claim to be the model's one
            notes.append(f"{', '.join(bands[j] for j in rivals)} also name{'s' if len(rivals) == 1 else ''} {w}; "
                         f"{bands[i]} is read as {w} and the other left out (if wrong, rename them with {NAME_BANDS})")
        if i is None and (i := near_band_at(bands, w)) is not None:  # Landsat STAC's nir08 for B08: no broad NIR
            notes.append(f"band {bands[i]} (the narrow NIR, 865 nm) read as {w} (the broad NIR, 842 nm): "
                         f"the image has no {w}")
        elif i is not None and bands[i].lower() != w.lower():
            notes.append(f"band {bands[i]} read as {w}")
        if i is None and filling:
            i = next((lower[band_key(x)] for x in STAND_INS.get(w.upper(), ()) if band_key(x) in lower), None)
            if i is not None:
                notes.append(f"{bands[i]} stands in for {w} (the model was trained on {w})")
        index.append(i)
    if filling and len(want) == 1 and n_channels == 1 and index == [None]:
        return BandMatch([0], [f"band {bands[0]} taken as {want[0]}"])
    missing = [w for w, i in zip(want, index) if i is None]
    if missing and not filling:
        raise ValueError(f"{name}: modality {m!r} expects bands {want}; missing {missing} among {list(bands)}"
                         f"{FILL_HINT}")
    if len(missing) == len(want):
        raise ValueError(f"{name}: none of the bands {list(bands)} is one of modality {m!r}'s {want}; "
                         f"name them with {NAME_BANDS}")
    unused = [b for j, b in enumerate(bands) if j not in index and j not in flagged]
    if unused:  # e.g. an RGBN file whose 4th band has no colour name: NIR, left out unless named
        # a known band's name (Sentinel-2's B11, B12 of a 6-band synth scene fed to a 4-band stem) is no mistake to
        # name otherwise: the advice read as the user's error on every README run; a reader's b5 keeps it
        unnamed = [b for b in unused if not (same_band(b) or b.upper() in {"VV", "VH", "HH", "HV"})
                   or re.fullmatch(r"b[1-9]\d*", b)]
        notes.append(f"{', '.join(unused)} {'is' if len(unused) == 1 else 'are'} none of the model's bands "
                     f"({', '.join(want)}): left out" +
                     (f" (if one is, e.g. an unnamed NIR, name it with {NAME_BANDS})" if unnamed else ""))
    return _filled(index, want, fill, notes)


def _filled(index: list[int | None], want: list[str], fill: str, notes: list[str]) -> BandMatch:
    present = [c for c, i in enumerate(index) if i is not None]
    copy_from = {c: min(present, key=lambda p: (abs(p - c), p)) for c, i in enumerate(index) if i is None}
    if fill == "copy":
        notes += [f"{want[c]} missing: filled with {want[p]}, rescaled to {want[c]}'s training mean and spread "
                  f"(expect weaker answers)" for c, p in copy_from.items()]
    elif copy_from:
        notes.append(f"{', '.join(want[c] for c in copy_from)} missing: filled with the training mean "
                     f"(no information; expect weaker answers)")
    return BandMatch(index, notes, copy_from if fill == "copy" else {})


def check_channels_first(cfg: StemConfig, shape: tuple[int, ...], bands: list[str] | None, name: str,
                         counts: bool = False) -> None:
    """ValueError naming an unnamed (H,W,C) array (``np.asarray`` of a PIL image), which would
    read as H bands; ``counts``: it holds integers, and the fix says to scale them too."""
    n = len(cfg.bands)
    if bands is None and len(shape) == 3 and shape[0] != n and shape[2] == n and shape[0] > 4 * n:
        fix = ("(C,H,W) floats scaled as rsvlm.io's readers scale them (8-bit: arr.transpose(2, 0, 1) / 255)"
               if counts else "(C,H,W) (e.g. arr.transpose(2, 0, 1))")  # was: transpose, then refused as counts
        raise ValueError(f"{name}: shape {shape} looks like (H,W,C) with {n} bands last; the array must be {fix}")


FAR = 30  # a band whose mean lies this many of the stem's std from its training mean is in other units (``prepare``)
# the band means rsvlm.io's readers can give a modality: optical, sar and ir are stretched or scaled into [0, 1]; msi is
# reflectance (DN / 10000: up to 6.55, below 0 with an offset). Only a mean outside these is refused (``far_from_training``)
READ_RANGE = {"optical": (0.0, 1.0), "sar": (0.0, 1.0), "ir": (0.0, 1.0), "msi": (-1.0, 6.6)}
UNITS_HINT = {"optical": "8-bit counts as floats? divide by 255", "msi": "DN as floats? reflectance is DN / 10000",
              "sar": "dB or amplitude? the readers stretch it into [0, 1]", "ir": "kelvin or DN? the readers stretch "
              "it into [0, 1]"}


def far_from_training(cfg: StemConfig, x: torch.Tensor, index: list[int | None], name: str) -> str | None:
    """Why ``x`` (C,H,W, finite floats) holds values in other units than the stem was trained on, or None: a band
    read (``index``) whose mean lies outside every value ``READ_RANGE`` gives the modality (no reader's output) and
    ``FAR`` stds or more from its training mean (8-bit counts as floats, DN, dB, kelvin: read as if scaled, every
    answer about another image). A reader's output never is (a Sentinel-2 cirrus band B10 of mean 0.16, 31 stds
    from a 13-band stem's 0.002 ± 0.005, was refused), nor a stem's own units (a stem trained on dB), nor a modality
    no reader reads."""
    if cfg.modality not in READ_RANGE:
        return None
    lo, hi = READ_RANGE[cfg.modality]
    for c, i in enumerate(index):
        if i is None:
            continue
        m = float(x[i].mean())  # one pass a band
        if not lo - 1e-3 <= m <= hi + 1e-3 and abs(m - cfg.mean[c]) > FAR * cfg.std[c]:  # (a float32 sum's rounding)
            return (f"{name}: band {cfg.bands[c]} averages {m:.4g}, {abs(m - cfg.mean[c]) / cfg.std[c]:.0f} standard "
                    f"deviations from the {cfg.mean[c]:.3g} the model's {cfg.modality} images had in training: "
                    f"values in other units ({UNITS_HINT[cfg.modality]}); give them scaled as rsvlm.io's readers "
                    f"scale them (optical, sar, ir in [0, 1]; msi reflectance), or read the file with "
                    f"rsvlm.io.read_image")
    return None


def prepare(cfg: StemConfig, array: np.ndarray | torch.Tensor, image_size: int,
            bands: list[str] | None = None, name: str = "image", fill: str = "error",
            units: bool = False) -> torch.Tensor:
    """(C,H,W) float image → normalised (len(cfg.bands), image_size, image_size) float32 tensor.

    The configured bands are picked from the array by ``match_bands`` (``bands`` names the array's
    channels), which also says how a band the image lacks is filled (``fill``). An array that
    cannot be one image (complex, integer counts, empty, not numbers, NaN, channels last) is a ValueError
    naming it; with ``units`` (the processor's), so is one whose values are in other units than training's
    (``far_from_training``)."""
    if not isinstance(array, torch.Tensor):
        array = np.asarray(array)
        if array.dtype.kind not in "biufc":  # strings, objects: torch's TypeError named no image
            raise ValueError(f"{name}: pixel values of dtype {array.dtype} are not numbers")
    x = torch.as_tensor(array).detach().cpu()  # a tensor on a GPU, or one that requires grad, as an array
    if x.ndim == 2:
        x = x[None]
    if x.ndim != 3:
        raise ValueError(f"{name}: expected a (C,H,W) array for modality {cfg.modality!r}, got shape {tuple(x.shape)}")
    if x.is_complex():  # .float() would keep the real part without a word
        raise ValueError(f"{name}: complex values (an SLC?); give physically scaled amplitude, as "
                         f"rsvlm.io's readers make it (amplitude → dB)")
    if x.shape[1] == 0 or x.shape[2] == 0:
        raise ValueError(f"{name}: empty image of shape {tuple(x.shape)}")
    check_channels_first(cfg, tuple(x.shape), bands, name, counts=not x.is_floating_point())
    if not x.is_floating_point():  # raw counts (np.asarray of a PIL image): 0…255 went in as if scaled
        wide = x.dtype not in (torch.uint8, torch.bool)  # 16-bit DN: no fixed scale (the readers stretch them)
        raise ValueError(f"{name}: pixel values of dtype {str(x.dtype).removeprefix('torch.')} are raw counts; the "
                         f"stem takes physically scaled floats, as rsvlm.io's readers make them (8-bit optical: "
                         f"array / 255" + ("; other counts: read the file with rsvlm.io.read_image, which stretches "
                                           "optical, sar and ir and scales msi DN to reflectance (/ 10000)" * wide) + ")")
    match = match_bands(cfg, bands, x.shape[0], name, fill)
    x = x.float()
    if not torch.isfinite(x).all():
        raise ValueError(f"{name}: contains NaN or infinite values (mask nodata before the model)")
    if units and (far := far_from_training(cfg, x, match.index, name)):  # float 0-255 was read as if in [0, 1]
        raise ValueError(far)
    mean = torch.tensor(cfg.mean, dtype=torch.float32)[:, None, None]  # (C,1,1)
    std = torch.tensor(cfg.std, dtype=torch.float32)[:, None, None]
    planes = []  # one (H,W) per configured band, in physical units
    for c, i in enumerate(match.index):
        if i is not None:
            planes.append(x[i])
        elif c in match.copy_from:  # the present band p, standardised, in band c's units
            p = match.copy_from[c]
            planes.append((x[match.index[p]] - mean[p, 0]) / std[p, 0] * std[c, 0] + mean[c, 0])
        else:
            planes.append(mean[c, 0].expand(x.shape[1:]))
    x = _resize(torch.stack(planes), cfg, image_size, mean)  # (len(cfg.bands),S,S)
    return (x - mean) / std


def _resize(x: torch.Tensor, cfg: StemConfig, size: int, fill: torch.Tensor) -> torch.Tensor:
    # x: (C,H,W) → (C,size,size)
    c, h, w = x.shape
    if cfg.resize == "pad" and h != w and max(h, w) > size:
        # the long side resized first (the square canvas of it took long/short × the image's memory), then the
        # short side padded and resized: the same numbers, as torch's antialiased resize is separable
        y = x if h > w else x.transpose(1, 2)  # (C,long,short)
        y = _pad_short(_interp(y, (size, y.shape[2]), cfg.interpolation), max(h, w), size, cfg.interpolation, fill)
        return y if h > w else y.transpose(1, 2)  # (C,size,size)
    if cfg.resize == "pad" and h != w:
        s = max(h, w)
        canvas = fill.expand(c, s, s).clone()
        top, left = (s - h) // 2, (s - w) // 2
        canvas[:, top:top + h, left:left + w] = x
        x, h, w = canvas, s, s
    if cfg.resize == "crop" and h != w:
        return _crop(x, size, cfg.interpolation)
    if (h, w) != (size, size):
        x = _interp(x, (size, size), cfg.interpolation)
    return x


def _pad_short(x: torch.Tensor, s: int, size: int, mode: str, fill: torch.Tensor) -> torch.Tensor:
    """``x`` centred on a last axis of ``s`` cells of ``fill`` (C,1,1), that axis resized to ``size``: the
    output cells the image reaches are resized from the cells they read, the rest are the fill (the whole
    s-cell canvas of a 4×200000 px strip took 4 s and 800 MB at 336 px)."""
    # x: (C,size,n) → (C,size,size)
    c, rows, n = x.shape
    off, r = (s - n) // 2, s / size
    reach = 2 * max(1.0, r) + 1  # source cells an output cell reads on each side (bicubic, widened by a shrink)
    lo, hi = max(0, math.floor((off - reach) / r)), min(size, math.ceil((off + n + reach) / r))
    a, b, o = _span(s, size, lo, hi - lo)
    canvas = fill.expand(c, rows, b - a).clone()  # (C,size,b-a)
    canvas[:, :, off - a:off - a + n] = x
    y = F.interpolate(canvas[None], scale_factor=(1.0, size / s), mode=mode, align_corners=False, antialias=True,
                      recompute_scale_factor=False)[0]  # (C,size,≈(b-a)·size/s), at the whole canvas's ratio
    if y.shape[-1] < hi - o:  # the canvas's end, one cell short by rounding: the whole canvas
        canvas = fill.expand(c, rows, s).clone()
        canvas[:, :, off:off + n] = x
        return _interp(canvas, (size, size), mode)
    out = fill.expand(c, rows, size).clone()  # (C,size,size)
    out[:, :, lo:hi] = y[:, :, lo - o:hi - o]
    return out


def _crop(x: torch.Tensor, size: int, mode: str) -> torch.Tensor:
    """The short side resized to ``size`` and the long side's centre cut: the numbers of resizing the whole
    image (long side in proportion) and cutting, from a resize of only the source span the cut reads
    (a 4×200000 px strip made a 336×16.8M intermediate first). Separable: the long side first, then the short."""
    # x: (C,H,W) → (C,size,size)
    tall = x.shape[1] > x.shape[2]
    if tall:
        x = x.transpose(1, 2)  # (C,W,H): the long side last
    h, w = x.shape[1:]
    nw = max(size, round(w * size / h))  # the long side's length in the whole-image resize
    left = (nw - size) // 2
    a, b, o = _span(w, nw, left, size)
    y = F.interpolate(x[None, :, :, a:b], scale_factor=(1.0, nw / w), mode=mode, align_corners=False,
                      antialias=True, recompute_scale_factor=False)  # (1,C,h,≈(b-a)·nw/w), at the whole resize's ratio
    y = _interp(y[0, :, :, left - o:left - o + size], (size, size), mode)  # (C,size,size)
    return y.transpose(1, 2) if tall else y


def _span(n_in: int, n_out: int, lo: int, k: int) -> tuple[int, int, int]:
    """Source cells ``[a, b)`` that a resize of ``n_in`` cells to ``n_out`` reads for its output cells
    ``[lo, lo+k)``, and ``o``, the output cell that a resize of ``[a, b)`` at the same ratio starts at.
    ``a`` is taken where ``a·n_out/n_in`` is whole (the same numbers) within 64 spans; else the start nearest
    to whole among those (off by a small fraction of an output cell)."""
    r = n_in / n_out
    reach = math.ceil(2 * max(1.0, r)) + 2  # bicubic's support, widened by the antialiasing of a shrink
    lo_in = max(0, math.floor(lo * r) - reach)
    budget = math.ceil(64 * k * r)  # extra source cells worth resizing for exact numbers: 64·k output cells
    a = lo_in // (n_in // math.gcd(n_in, n_out)) * (n_in // math.gcd(n_in, n_out))
    if lo_in - a > budget:
        a = min(range(max(0, lo_in - budget), lo_in + 1), key=lambda s: abs(s / r - round(s / r)))
    b = min(n_in, math.ceil((lo + k) * r) + reach)
    return a, b, round(a * n_out / n_in)


def _interp(x: torch.Tensor, size: tuple[int, int], mode: str) -> torch.Tensor:
    # x: (C,H,W) → (C,*size). torch resizes the width first, so a tall strip made an (H, size[1]) intermediate
    # (3 s for 100000x1 px at 336): one 8 times larger than the other order's is resized transposed instead
    if x.shape[1] * size[1] > 8 * size[0] * x.shape[2]:
        return _interp(x.transpose(1, 2), (size[1], size[0]), mode).transpose(1, 2)
    y = F.interpolate(x[None], size=size, mode=mode, align_corners=False, antialias=True)[0]
    return y


def colour_bands(cfg: StemConfig) -> list[str] | None:
    """The stem's bands that start on the encoder's R, G, B: those ``rgb_bands`` names (``band_at``), else the
    bands ``SAME_BAND`` names red, green and blue (``R``, ``red``, Sentinel-2 ``B04`` …); None where one of them
    is missing. Was: literal ``R, G, B`` only, so ``[blue, green, red, nir]`` started with blue on R."""
    if cfg.rgb_bands is not None:  # check_stem refused names of none of the bands
        return [cfg.bands[band_at(cfg.bands, str(b))] for b in cfg.rgb_bands]
    found = colour_band_at(cfg.bands)
    return None if found is None else [cfg.bands[i] for i in found]


def mixing_init(cfg: StemConfig, out_channels: int = 3) -> torch.Tensor:
    """(out_channels, n_bands) start weights: RGB bands (``colour_bands``) on their channels, others 0;
    1–2 bands averaged; otherwise the first bands in order."""
    n = len(cfg.bands)
    w = torch.zeros(out_channels, n)
    rgb = colour_bands(cfg)
    if rgb is not None:
        for ch, band in enumerate(rgb[:out_channels]):
            w[ch, cfg.bands.index(band)] = 1.0
    elif n < out_channels:
        w[:] = 1.0 / n
    else:
        w[:, :out_channels] = torch.eye(out_channels)
    return w


class Stem(nn.Module):
    """Learned band mixing + modality embedding for one modality (see module docstring)."""

    def __init__(self, cfg: StemConfig, width: int, in_channels: int = 3):
        super().__init__()
        check_stem(cfg)
        self.modality = cfg.modality
        self.mix = nn.Parameter(mixing_init(cfg, in_channels))  # (3, n_bands)
        self.modality_embed = nn.Parameter(torch.zeros(width))  # (D,)

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        # pixels: (B,n_bands,H,W) normalised → (B,3,H,W) encoder input
        return torch.einsum("oc,bchw->bohw", self.mix.to(pixels.dtype), pixels)

    def embed_tokens(self, tokens: torch.Tensor) -> torch.Tensor:
        # tokens: (B,N,D) encoder output → same, with the modality embedding added
        return tokens + self.modality_embed.to(tokens.dtype)
