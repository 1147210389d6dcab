"""One class's pixels from a label that should be binary (``masks --binary``, ``levir-cd``), and the guard
against a photo given as the label.

What a label can be, and what is taken as the class:

- 0 and one value (or one value alone): that value.
- 0/1 with 255: 255 is "ignore" (void, no-data, as in the
  segmentation benchmarks), not the class; its pixels are counted in the notes as
  ``label_pixels_ignored_255`` (it was thresholded into the class, and the class pixels, 1, out of it).
  Only in a lossless file (a JPEG of a 0/255 mask can decode to 0, 1 and 255 alone, or 1 and 255, its 1s
  noise: ``lossy_file``) and where the 1s lie in flat regions (``PLATEAU`` of them in 2x2 blocks of one
  value); a 0/1/255 label of 1 px lines is thresholded as before, its 255 the class.
- At most ``CODES`` values none of which reaches half the range (codes 0, 1, 2): every non-zero value; of more
  than 4 values, not if over ``GRADIENT`` of its changes are small steps (``_small_steps``): a dark photo's
  levels (the SIRST image at gamma 2.5-4: 7-25 values, 84-93%; 7 land-cover codes: 26%). Not told by the values:
  the SIRST image at gamma 5 (0, 1, 2: codes), and Landsat 8's band 10 stretched to 8 bits over its zero border
  (13% mid-grey: a mask, 68% the class; no cheap rule found, docs/data-convert.md gives the figures); beside
  their own image they are (``photo_of_image``: their values follow its pixels).
- Piecewise constant, of more than ``CODES`` values (instance ids, 1…200): every non-zero value. Told by the
  pixels strictly between 0 and the brightest value: at least ``PLATEAU`` of them lie in a 2x2 block of one
  value (a 200-instance label: 1.00; photos and resampled masks: 0.00-0.44), and those flat pixels hold more
  than ``CODES`` values (one per id). A JPEG of a 0/255 mask whose 0 decodes to 1 is flat too (the LEVIR-CD and
  HRSID masks at qualities 5-70: 0.70-1.00), but its flat pixels hold one or two values: it was taken whole,
  its background as the class. Nor is a smooth photo quantised to flat levels: over ``GRADIENT`` of its value
  changes are small steps between two non-zero values (``_small_steps``). Instance ids were refused as "a
  photo?" past 127 ids. Where two instances touch, the pixels of one along the other are cleared (counted as
  ``instance_boundary_pixels_cleared``), so each is traced apart (row houses were one polygon); so too in a
  label of at most ``CODES`` values where each non-zero value is one region and two touch (``_few_ids``: ten
  touching houses were one polygon; codes of one region each that touch are so cut too: nothing tells them from
  ids, and a seam costs less than merged instances). A colour label
  of a few classes read as grey (Potsdam's, under ``--binary``) is not taken whole so: its mid-grey classes make
  it ``label_not_a_mask``.
- Otherwise a noisy or resampled binary mask (JPEG noise around 0/255, a mask resized with bilinear or
  bicubic interpolation): above half its class's value, the commonest value above half its brightest (255 for a
  0/255 mask, JPEG'd or resampled; 100 for a dark 0/100 one). A 0/100 mask through JPEG at quality 30-75 rings
  up to 128-155: thresholded at half the range (127.5) or at half that peak, it lost its class. Its mid-grey
  pixels (an eighth to seven eighths of the brightest value) are counted; over ``NOT_A_MASK`` of the label's
  pixels is no mask (a photo) unless at most ``RAMPS_MAX`` are mid-grey and ``RAMPS`` of them lie on smooth
  ramps (second differences at most 1/16 of the brightest value both ways), as an upsampled mask's do. A label
  of more than 256 values, not piecewise constant, is no mask (a 16-bit photo) unless half of it is 0 and a
  fair share of the rest bright (``_resampled_wide``: a 0/65535 mask enlarged, which was refused so; a photo mostly 0,
  a scene's corner, passes so, its mid-grey share counted over its zeros too). A float label's mid-grey pixels
  are counted as an integer one's (0.125-0.875 of a 0…1 label: a float photo passed unchecked). A JPEG's (``lossy``) values
  above ``CODES`` are no codes: a 0/100 mask at quality 95 decodes to 20-24 values, and every one of them, its
  noise around 0 too, was the class.

Measured (``tests/test_convert_tour66.py`` builds such masks): 0/255 masks of 1 px lines or dots every 2-16 px
enlarged 8x with PIL's bilinear, bicubic or Lanczos filter have 1-73% mid-grey pixels (lines every 4 px: 30-35%,
every 8 px: 14-16%), 86-100% of them on ramps; the LEVIR-CD label reduced 8x and enlarged again, 10-12%, 98-100%
on ramps. The real photos of ``../shared/realdata`` (DOTA, LEVIR-CD A, AID, HRSID SAR, Landsat 7 and 8, RGBN,
detectree) have 20-99% mid-grey pixels, 9-66% of them on ramps, but for a smooth infrared sky (99% mid-grey,
all on ramps: refused by ``RAMPS_MAX``, as are lines every 2 px, 73%). The ramps rule keeps the real masks reduced
4-16x and enlarged again, or blurred (LEVIR-CD's, detectree's: 15 of 45 such variants need it; one, detectree's
reduced 4x bicubic, 78% on ramps, is still refused), but passes a photo enlarged or blurred as well, its smooth
texture on ramps too (the HRSID SAR image 2-8x, Landsat 7's band 1 4-8x, a Sentinel-2 NIR band stretched to 8
bits 4-8x: 18 of 130 such variants of the real photos, noted ``labels_resampled``; under the 15% rule alone they
were refused).
"""

from __future__ import annotations

import math
from pathlib import Path

from data_gen.convert.common import ConversionError, Output

NOT_A_MASK = 0.15  # share of mid-grey pixels above which a label needs its ramps to pass (a JPEG mask's noise: under 2%)
RAMPS_MAX = 0.5  # share of mid-grey pixels above which a label is no mask, ramps or not
RAMPS = 0.8  # share of the mid-grey pixels that must lie on smooth ramps for a label over NOT_A_MASK
CODES = 32  # at most this many values under half the range are class codes (more: a dark photo)
PLATEAU = 0.9  # share of the in-between pixels in 2x2 blocks of one value that makes a label piecewise constant
GRADIENT = 0.8  # share of a piecewise-constant label's value changes in small steps above which it is a photo
VOID = 255
ZEROS, BRIGHT = 0.5, 0.15  # a label of over 256 values passes on as a mask resampled with these (``_resampled_wide``)


class NotAMask(ConversionError):
    """A label whose values are those of a picture, not of a (noisy) binary mask (``binary_mask``)."""


def binary_mask(label, out: Output, lossy: bool = False):
    """A label array (H, W) → bool mask (H, W) of its class, as the module says; ``NotAMask`` (saying the share
    of mid-grey pixels, the caller names the file) for a photo. ``lossy``: read from a JPEG, whose 255 is never
    void (``lossy_file``). Notes: ``labels_not_binary`` for every label
    that is not 0 and one value, ``labels_not_binary_every_nonzero_taken`` (codes, instance ids),
    ``label_pixels_mid_grey``, ``labels_resampled`` (over ``NOT_A_MASK`` mid-grey, on ramps) and
    ``label_pixels_ignored_255``, ``label_pixels_nan`` (a float label's no-data, no class pixel),
    ``label_pixels_negative`` (a signed label's no-data, -1 or -9999: no class pixel)."""
    return mask_and_void(label, out, lossy)[0]


def mask_and_void(label, out: Output, lossy: bool = False):
    """``binary_mask``'s mask (H, W) bool and the void pixels (H, W) bool of a 0/1 label's 255 (None where it has
    none), told from one look at the label (levir-cd leaves out the windows mostly void)."""
    import numpy as np

    if label.dtype.kind == "f" and (nan := np.isnan(label)).any():  # a float GeoTIFF's no-data: no class pixel
        out.note("label_pixels_nan", int(nan.sum()))  # it was a ValueError traceback (NaN to integer)
        label = np.where(nan, 0, label)
    if label.dtype.kind in "if" and (neg := int(np.count_nonzero(label < 0))):  # -1, -9999: a signed no-data
        out.note("label_pixels_negative", neg)  # no class pixel, as before, but no longer unsaid
    values = np.unique(label)
    if (void := _void_pixels(label, lossy, values)) is not None:  # 0/1 with 255 void: no class pixel
        out.note("label_pixels_ignored_255", int(void.sum()))
        return label == 1, void
    return _class_pixels(label, values, out, lossy), None


def _class_pixels(label, values, out: Output, lossy: bool):
    """``binary_mask`` of a label (H, W) with no void (``values``: its ``np.unique``)."""
    import numpy as np

    if len(values) == 1 or len(values) == 2 and values[0] == 0:  # 0 / v, or one value alone
        return label > 0
    top = 1 if values[-1] <= 1 else 255 if values[-1] <= 255 else 65535
    flat = len(values) > CODES and _piecewise_constant(label, CODES)  # few flat values: a colour label's classes
    flat = flat and _small_steps(label) <= GRADIENT  # a smooth photo's quantised levels are flat too
    codes = values[-1] <= top / 2 and len(values) <= CODES and not (lossy and values[-1] > CODES)
    # a dark photo's few levels (the SIRST sky darkened, gamma 2.5-4: 7-25 values, 84-93% small steps) are no codes
    codes = codes and not (len(values) > 4 and _small_steps(label) > GRADIENT)
    if codes or flat:  # codes (0, 1, 2) or instance ids, not noise
        out.note("labels_not_binary")
        out.note("labels_not_binary_every_nonzero_taken")
        return _apart(label, out) if flat or _few_ids(label, values) else label > 0
    peak = values[-1].item()  # a green mask read as grey is 0/150: its class pixels are no mid-grey
    if len(values) > 256 and not _resampled_wide(label, peak):  # a 16-bit photo has thousands of values
        raise NotAMask(f"not a binary mask: {len(values)} distinct values (0…{peak:g}), not in flat regions as "
                       "instance ids are: a photo, or an image given as the label?")
    floating = label.dtype.kind == "f"
    lo, hi = math.ceil(peak / 8), math.floor(peak * 7 / 8)  # 32, 223 for 0/255
    if floating:  # 0.125, 0.875 of a 0…1 float label (rounded to whole numbers they said 1…0)
        lo, hi = f"{peak / 8:.3g}", f"{peak * 7 / 8:.3g}"
    # a float label's 0…1 values are grey too (a reflectance band given as the label passed unchecked)
    grey = top > 1 or floating
    midmask = (label > peak / 8) & (label < peak * 7 / 8) if grey else np.zeros(label.shape, bool)
    mid = int(np.count_nonzero(midmask))
    if mid > NOT_A_MASK * label.size:
        ramps = _on_ramps(label, midmask, peak)
        if mid > RAMPS_MAX * label.size or ramps < RAMPS:
            raise NotAMask(f"not a binary mask: {mid / label.size:.0%} of its pixels are mid-grey ({lo}…{hi} of "
                           f"0…{peak:g}), {ramps:.0%} of them on smooth ramps, {len(values)} distinct values: a "
                           f"photo, or an image given as the label? A mask is 0 and one value "
                           f"({f'{top}, or 1' if top > 1 else 1}) for the class")
        out.note("labels_resampled")
    out.note("labels_not_binary")
    if mid:
        out.note("label_pixels_mid_grey", mid)
    upper, counts = np.unique(label[label > peak / 2], return_counts=True)  # a JPEG's 0/100 rings up to 155
    return label > upper[counts.argmax()] / 2  # half the class's value: 127.5 for 0/255, 50 for 0/100


def _apart(ids, out: Output):
    """``ids`` (H, W) > 0 less each pixel whose right or lower neighbour is another instance (a non-zero id of
    its own), counted in the notes as ``instance_boundary_pixels_cleared``: touching instances (row houses)
    were traced as one polygon."""
    edge = _touching(ids)
    if n := int(edge.sum()):
        out.note("instance_boundary_pixels_cleared", n)
    return (ids > 0) & ~edge


def _touching(ids):
    """The pixels (H, W) bool of ``ids`` (H, W) > 0 whose right or lower neighbour is another non-zero id: where
    two instances touch (``_apart`` clears them; ``_few_ids`` asks whether there are any)."""
    import numpy as np

    edge = np.zeros(ids.shape, bool)
    edge[:, :-1] = (ids[:, :-1] != ids[:, 1:]) & (ids[:, 1:] > 0)
    edge[:-1] |= (ids[:-1] != ids[1:]) & (ids[1:] > 0)
    return edge & (ids > 0)


def _resampled_wide(label, peak) -> bool:
    """Whether ``label`` (H, W) of over 256 values may be a 16-bit (or float) mask resampled: at least ``ZEROS`` of
    it exactly 0 (a mask's flat background) and at least ``BRIGHT`` of its non-zero pixels above half ``peak`` (its
    objects' insides). The LEVIR-CD, HRSID and detectree masks as 0/65535, reduced 2-4x and enlarged again: 68-100%
    zeros, 20-68% bright; the 16-bit photos of ``../shared/realdata`` (SpaceNet pan, Sentinel-1, Sentinel-2,
    Landsat 8 band 10, enlarged or not): 0-38% zeros (a nodata collar), and of those with bright pixels (Landsat 8:
    all) 58-74% mid-grey, refused by ``RAMPS_MAX``. Such masks were all refused as photos."""
    import numpy as np

    nonzero = label[label > 0]
    return (1 - nonzero.size / label.size >= ZEROS and nonzero.size > 0
            and float(np.count_nonzero(nonzero > peak / 2)) / nonzero.size >= BRIGHT)


def _few_ids(label, values) -> bool:
    """Whether ``label`` (H, W) of at most ``CODES`` values (``values``: its ``np.unique``) is instance ids: two of
    its non-zero values touch (4-neighbours) and each is one 8-connected region (codes, a dark photo's levels, are
    many regions each). Ten touching houses, ids 1…10, were one polygon (ids were traced apart from 33 on)."""
    import numpy as np
    from scipy import ndimage

    if not _touching(label).any():
        return False  # nothing to trace apart
    eight = np.ones((3, 3), bool)
    return all(ndimage.label(label == v, structure=eight)[1] == 1 for v in values if v > 0)


def _void_pixels(label, lossy: bool, values):
    """The void pixels (H, W) bool of ``label`` (H, W), a 0/1 label with 255 whose 1s lie in flat regions, read
    from a lossless file (not ``lossy``), or None; ``values``: ``np.unique(label)``."""
    if lossy or label.dtype.kind not in "ui":
        return None
    return label == VOID if values.tolist() == [0, 1, VOID] and _piecewise_constant(label) else None


def lossy_file(path) -> bool:
    """Whether ``path`` is a JPEG, whose compression noise can look like a 0/1 label's codes."""
    from pathlib import Path

    return Path(path).suffix.lower() in (".jpg", ".jpeg", ".jfif")


def _piecewise_constant(label, values: int = 0) -> bool:
    """Whether at least ``PLATEAU`` of ``label``'s (H, W) pixels strictly between 0 and its brightest value lie
    in a 2x2 block of one value (instance ids do; a photo's, a JPEG's or a resampled mask's mostly do not), those
    flat pixels holding more than ``values`` distinct values. Instance ids' flat pixels hold one value per id; a
    JPEG of a 0/255 mask whose 0 decodes to 1 (qualities 5, 15, 40, 70 of the LEVIR-CD label) has its 1s flat, 91%
    of its in-between pixels, but one or two values so: it was taken whole, the background as the class."""
    import numpy as np

    a = label
    if min(a.shape) < 2:
        return False
    flat = flat_pixels(a)
    between = (a > 0) & (a < a.max())  # none where a NaN is (its max NaN): such a label is no instance ids
    if not between.any() or float(flat[between].mean()) < PLATEAU:
        return False
    return not values or len(np.unique(a[flat & between])) > values


def flat_pixels(a):
    """(H, W) bool: the pixels of ``a`` ((H, W), or (C, H, W) every band alike; at least 2 x 2) in some 2x2 block of
    one value, NaN equal to NaN (a float mask's nodata). Shared with ``lookup.not_a_mask``."""
    import numpy as np

    a = a if a.ndim == 3 else a[None]
    if a.dtype.kind == "f":
        a = np.where(np.isnan(a), np.inf, a)  # NaN != NaN: a float mask's NaN nodata was never flat
    c = a[:, :-1, :-1]
    same = np.all((c == a[:, 1:, :-1]) & (c == a[:, :-1, 1:]) & (c == a[:, 1:, 1:]), axis=0)  # (H-1, W-1)
    flat = np.zeros(a.shape[1:], bool)
    for dy in (0, 1):
        for dx in (0, 1):
            flat[dy:dy + a.shape[1] - 1, dx:dx + a.shape[2] - 1] |= same
    return flat


def _small_steps(label) -> float:
    """The share of ``label``'s (H, W) changes of value between 4-neighbours that are steps between two non-zero
    values at most 1/32 of the brightest (or 1) apart: a smooth photo's quantised levels, flat in 2x2 blocks
    (the infrared sky of ``../shared/realdata``'s SIRST image enlarged 4x or 8x: 1.00), not instance ids, most
    of whose changes are to 0 or by many ids (200 apart: 0.00; rows of touching houses, 0.39; parcels tiling
    the image, ids by rows: 0.15)."""
    import numpy as np

    a = label.astype(np.int16 if label.dtype == np.uint8 else np.int64)
    small = max(1, int(a.max()) // 32)
    steps = changes = 0
    for x, y in ((a[:, 1:], a[:, :-1]), (a[1:], a[:-1])):  # across, down
        d = x != y
        changes += int(d.sum())
        steps += int((d & (x > 0) & (y > 0) & (np.abs(x - y) <= small)).sum())
    return steps / changes if changes else 0.0


def _on_ramps(label, midmask, peak) -> float:
    """The share of the ``midmask`` pixels of ``label`` (H, W) on a slope (unlike a neighbour before it, across or
    down) whose second differences across and down are at most ``peak`` / 16: a resampled mask's edges are such
    ramps; a photo's texture is not, nor a flat region of one grey (a colour label's class read as grey)."""
    import numpy as np

    # second differences fit (±510 for 8-bit); a float label's 0…1 kept (as int32 it was all 0 and 1)
    a = label.astype(np.int16 if label.dtype == np.uint8 else np.float64 if label.dtype.kind == "f" else np.int32)
    smooth = np.zeros(a.shape, bool)  # (H, W): second differences at most peak / 16 across and down (0 at edges)
    smooth[:, 1:-1] = np.abs(a[:, 2:] - 2 * a[:, 1:-1] + a[:, :-2]) <= peak / 16
    smooth[:, [0, -1]] = True
    smooth[1:-1] &= np.abs(a[2:] - 2 * a[1:-1] + a[:-2]) <= peak / 16
    slope = np.zeros(a.shape, bool)  # (H, W): not flat, across or down (a colour label's flat class is no ramp)
    slope[:, 1:] = a[:, 1:] != a[:, :-1]
    slope[1:] |= a[1:] != a[:-1]
    smooth &= slope  # about 2x faster than int32 with full-size difference arrays (0.9 s → 0.5 s, a 4096² label)
    return float(smooth[midmask].mean())


# rank agreement (chance-corrected) of a 3+ valued label with its image from which it is a photo: the photos told are
# their image stretched, darkened or quantised, 1.00; masks made by thresholding their own image (a smooth sky, a
# scene with a zero collar) then JPEG'd, enlarged or blurred reach 0.94, and clean synthetic scenes flat per class
# (``data_gen synth``'s sem and inst labels against their images) 0.90-0.97 in 12 of 324 (two more 0.993, 0.996,
# still refused: nothing tells an image drawn from its labels from a label drawn from its image): 0.9 refused them
SAME_AS_IMAGE = 0.99
SAMPLE = 262144  # pixels of label and image compared (a strided grid)


def _sample_step(size: int) -> int:
    """The stride, along each axis, of the grid that leaves about ``SAMPLE`` of ``size`` pixels."""
    return max(1, math.ceil(math.sqrt(size / SAMPLE)))


def image_ranks(label, image) -> float:
    """How far ``label`` (H, W) is a monotone function of ``image`` (H, W): its pixels ordered by the image's value,
    the share whose label is the one that order gives (the label sorted, ascending or descending), chance-corrected
    as Cohen's kappa (1: the label is the image quantised or stretched; 0: no more than its value shares give).
    The real masks of ``../shared/realdata`` against their images (a band or the mean): 0.05-0.39, enlarged
    again or as instance ids 0.01-0.26; the photos that pass as masks (Landsat 8 band 10 stretched to 8 bits, the
    SIRST image at gamma 5): 1.0. Both arrays are sampled on one strided grid of at most ``SAMPLE`` pixels (the
    pixels of 1-D arrays, the void left out, taken every so many)."""
    import numpy as np

    step = _sample_step(label.size)

    def sample(a):
        return a[::step, ::step].ravel() if a.ndim == 2 else a.ravel()[:: step * step]

    _, levels, counts = np.unique(sample(label), return_inverse=True, return_counts=True)
    levels = levels.reshape(-1)  # (N,) the level index of each sampled pixel
    chance = float(((counts / levels.size) ** 2).sum())
    if chance >= 1:
        return 0.0
    want = np.sort(levels)  # (N,) the levels in the order a monotone function of the image gives them
    got = levels[np.argsort(sample(image), kind="stable")]  # (N,) the levels in the image's order
    agree = max(float(np.mean(got == want)), float(np.mean(got == want[::-1])))  # rising or falling
    return (agree - chance) / (1 - chance)


def photo_of_image(label, images, void=None) -> str | None:
    """Why ``label`` (H, W), a label of more than two values that passed as a mask, is one of ``images`` (paths of
    its size: the masks image, LEVIR-CD's A and B) given as the label: its values follow one band of the image (or
    their mean, or their luma as PIL's ``convert("L")`` makes grey) to ``SAME_AS_IMAGE`` (``image_ranks``); None
    where none does, or an image cannot be read (its reader says so later). A stretched or darkened photo over a
    zero border (Landsat 8 band 10: 13% mid-grey) or of three levels (SIRST at gamma 5: 0, 1, 2) looks like a mask
    by its values alone; beside its own image it is told. A label of two values is not judged so: a mask made by
    thresholding its image is a mask, and so is one with void (``void``, (H, W) bool: a 0/1 label's 255, a
    GeoTIFF's nodata), whose void pixels are left out (a water mask thresholded from its band, 255 over the
    scene's zero collar, followed the band, falling)."""
    import numpy as np

    step = _sample_step(label.size)
    grid = label[::step, ::step]  # (h, w)
    keep = np.ones(grid.shape, bool) if void is None else ~void[::step, ::step]  # (h, w)
    lab = grid[keep]  # (n,) the sample compared, less the void
    lab = np.nan_to_num(lab) if lab.dtype.kind == "f" else lab
    if len(np.unique(lab)) <= 2:
        return None
    from data_gen.convert.images import open_raster

    for path in images:
        try:
            with open_raster(path) as ds:
                if (ds.height, ds.width) != label.shape:
                    continue
                # (C, h, w) on the label's sample grid; past 1 GB a band at a time (13 bands of 10980²: 3 GB),
                # else at once (a PNG's bands read one by one are decoded once each)
                whole = ds.count * ds.height * ds.width * np.dtype(ds.dtypes[0]).itemsize <= 2**30
                bands = ds.read()[:, ::step, ::step] if whole else np.stack(
                    [ds.read(k)[::step, ::step] for k in range(1, ds.count + 1)])
        except Exception:  # noqa: BLE001 - an unreadable image is skipped by its reader, naming why
            continue
        bands = bands[:, keep]  # (C, n)
        views = [(f"band {k + 1} of", band) for k, band in enumerate(bands)]
        if len(bands) > 1:  # an RGB photo made grey follows its mean, not one band
            views.append(("the band mean of", bands.mean(0, dtype=np.float64)))
        if len(bands) >= 3:  # or its luma (PIL's convert("L"), ITU-R 601): the mean left that at 0.18-0.37
            views.append(("the luma of", np.tensordot([0.299, 0.587, 0.114], bands[:3].astype(np.float64), 1)))
        name = f"{Path(path).parent.name}/{Path(path).name}"  # A/p.png, not p.png: LEVIR-CD's A and B share names
        for which, band in views:
            if (agree := image_ranks(lab, band)) >= SAME_AS_IMAGE:
                return (f"not a binary mask: its values follow {which} {name} (rank agreement {agree:.2f}): the image "
                        "given as the label? A mask is 0 and one value for the class")
    return None
