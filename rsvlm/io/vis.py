"""Overlays: an ``RSImage`` rendered for display, with decoded objects drawn on it (PIL only).

Display: optical as is (bands named R, G, B in the file's colour order); msi as an RGB composite
(true colour from the bands named red, green and blue: R, red, B04 or B4 …; unnamed b1 … bN by their count,
``UNNAMED_RGB``: 4 as blue, green, red, NIR) stretched 2-98 % jointly over the
three bands (one msi band, a Sentinel-2 band file read alone, as grey); sar as grey of its first
band (already a dB stretch from the reader); ir through an inferno colour map (or grey) of the reader's stretch, so
that a fixed ``ir_kelvin_range`` gives every scene the same colours (one unstretched and dim: ``_ir_range``). Nodata
is black. ``rgb_bands`` names the bands drawn as red, green and blue (case-insensitively, and as the
model's stem names them: ``red`` = ``B04`` = ``B4``) for optical, msi (false colour) and sar
(``["VV", "VH", "VV"]``, each band by the reader's dB stretch), a title line naming them; ir refuses it. A band of
one value has nothing to stretch: it is drawn as it is where it lies in [0, 1] (reflectance, a
float image in display range), else mid-grey (``scaling.percentile_range``).

Labels, legend and title are drawn in a system font that has their characters (DejaVu Sans, Noto, Arial …; Noto
CJK, WenQuanYi, Microsoft YaHei … for Chinese, Japanese, Korean), else Pillow's own (ASCII): a character no font
found has is drawn unaccented ("é" → "e") or as its code ("U+5EFA"); ``rsvlm.io.vis_fonts`` finds and picks them.

A bi-temporal pair (``draw_pair_overlay``) is drawn side by side, before left and after right, its shapes on both.

Cannot: keep full resolution beyond ``max_side`` (large scenes are downscaled for display;
objects are scaled with them).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rsvlm.io.bandnames import band_at, colour_band_at
from rsvlm.io.georef import per_object
from rsvlm.io.scaling import percentile_range
from rsvlm.io.vis_fonts import fit as _fit
from rsvlm.io.vis_fonts import label_fonts as _fonts
from rsvlm.io.vis_objects import _anchor, _drawn_label, _label_text, _score_or_inf, _where, place_labels
from rsvlm.io.vis_words import object_text, titled

__all__ = ["to_display_rgb", "draw_overlay", "draw_pair_overlay"]

# matplotlib's inferno sampled at 0, 1/8, ..., 1 (linear interpolation in between)
_INFERNO = np.array([(0, 0, 4), (31, 12, 72), (85, 15, 109), (136, 34, 106), (186, 54, 85),
                     (227, 89, 51), (249, 140, 10), (249, 201, 50), (252, 255, 164)], dtype=np.float32)
_PALETTE = [(255, 56, 56), (56, 200, 255), (255, 210, 0), (72, 240, 72), (255, 120, 240), (255, 150, 40),
            (150, 110, 255), (0, 255, 200), (255, 255, 255), (190, 255, 80), (255, 90, 140), (90, 160, 255)]


def _limits(data: np.ndarray, idx: list[int], valid: np.ndarray | None, lo: float, hi: float,
            max_side: int = 1024) -> tuple[float, float]:
    """Joint [lo, hi] percentiles of bands ``idx`` of ``data`` (C, H, W) over valid, finite pixels, from the bands
    decimated to ``max_side`` (as the reader's stretch is: full copies of a large scene's cost gigabytes)."""
    k = max(1, -(-max(data.shape[1:]) // max_side))
    sample = data[:, ::k, ::k][sorted(set(idx))]  # (c, h, w)
    v = sample[:, valid[::k, ::k]] if valid is not None else sample.reshape(len(sample), -1)  # (c, n)
    v = v[:, np.isfinite(v).all(0)]  # one NaN made every percentile NaN: an msi overlay all black
    if v.size == 0:
        return 0.0, 1.0
    a, b, _ = percentile_range(v, [lo, hi], in_display_range=True)  # one value: as it is in [0, 1], else mid-grey
    return a, b


def _to_uint8(band: np.ndarray, lo: float = 0.0, hi: float = 1.0) -> np.ndarray:
    """(H, W) float → uint8 (H, W), ``lo`` → 0 and ``hi`` → 255 (NaN, unmasked, → 0: numpy warned), one float temporary."""
    t = band - np.float32(lo)  # (H, W) float32
    t *= np.float32(255.0 / (hi - lo))
    np.clip(np.nan_to_num(t, copy=False, nan=0.0), 0, 255, out=t)
    return np.add(t, 0.5, out=t).astype(np.uint8)


def _display_bands(img, rgb_bands) -> list[int]:
    """The bands of ``img`` drawn as red, green and blue: ``rgb_bands`` by name (``bandnames.band_at``,
    as the stem matches them; a name may repeat: ``["VV", "VH", "VV"]``), else the bands named as
    colours (``colour_band_at``: an optical file stored B, G, R is drawn R, G, B), else the first
    three (two as (1, 2, 2), one as grey)."""
    names = list(img.bands)
    if isinstance(rgb_bands, str):  # "B08,B04,B03", as --bands is written: was taken letter by letter
        rgb_bands = [b.strip() for b in rgb_bands.split(",")]
    if rgb_bands is not None:
        if img.modality == "ir":
            raise ValueError(f"{img.path}: rgb_bands {list(rgb_bands)} picks 3 bands for a colour composite, but an "
                             f"ir image has one band ({names[0]}), drawn through ir_cmap ('inferno' or 'grey')")
        idx = [band_at(names, str(b)) for b in rgb_bands]
        if len(idx) != 3 or None in idx:
            raise ValueError(f"{img.path}: rgb_bands {list(rgb_bands)} must name 3 of the image's bands {names}"
                             + "".join(f"; {b!r} names none" for b, i in zip(rgb_bands, idx) if i is None))
        return idx  # type: ignore[return-value]
    if img.modality == "msi" and names == [f"b{i + 1}" for i in range(len(names))] and len(names) in UNNAMED_RGB:
        return list(UNNAMED_RGB[len(names)])  # b4, b3, b2 of a PlanetScope B,G,R,NIR file drew its NIR as red
    found = colour_band_at(names)
    return found if found is not None else [min(i, len(names) - 1) for i in range(3)]


# unnamed msi bands (the reader's b1 … bN, the whole file) drawn as red, green, blue by their count as such files
# come: 4 blue, green, red, NIR (PlanetScope's 4, Sentinel-2's 10 m B02, B03, B04, B08 in order, as a model of those
# 4 bands takes them), 8 PlanetScope's (red b6, green b4, blue b2); other counts by Sentinel-2's (and Landsat 8's)
# numbers, b4, b3, b2 (colour_band_at), under 4 the first three
UNNAMED_RGB = {4: (2, 1, 0), 8: (5, 3, 1)}


def _inferno_lut() -> np.ndarray:
    """(256, 3) uint8: ``_INFERNO`` interpolated at each grey level."""
    x = np.linspace(0, len(_INFERNO) - 1, 256)
    lut = np.stack([np.interp(x, np.arange(len(_INFERNO)), _INFERNO[:, j]) for j in range(3)], -1)  # (256, 3)
    return lut.round().astype(np.uint8)


def to_display_rgb(img, rgb_bands: list[str] | None = None, ir_cmap: str = "inferno", ir_range=None) -> np.ndarray:
    """RSImage → uint8 (H, W, 3) for display (see module doc for each modality); ``rgb_bands``: the 3
    band names drawn as red, green and blue, as a list or comma-separated (``"B08,B04,B03"``); ``ir_range``: the
    [lo, hi] an ir band is drawn over (default ``_ir_range(img)``). Works a band at a time in uint8: its memory is
    the output and one float band beside the image."""
    if img.modality == "ir" and ir_cmap not in ("inferno", "grey"):
        raise ValueError(f"ir_cmap must be 'inferno' or 'grey', got {ir_cmap!r}")
    data, valid = img.data, img.valid  # (C, H, W) float32
    out = np.empty((*data.shape[1:], 3), np.uint8)  # (H, W, 3)
    if img.modality == "msi":  # one stretch for the three bands keeps the colour balance
        idx = _display_bands(img, rgb_bands)
        lo, hi = _limits(data, idx, valid, 2.0, 98.0)
        for j, i in enumerate(idx):
            out[..., j] = _to_uint8(data[i], lo, hi)
    elif img.modality == "optical" or rgb_bands is not None:  # each band by the reader's stretch (sar: dB)
        for j, i in enumerate(_display_bands(img, rgb_bands)):
            out[..., j] = _to_uint8(data[i])  # a grey band drawn as grey
    else:
        g = _to_uint8(data[0], *(ir_range or _ir_range(img)))  # (H, W): the reader's stretch, its dB or kelvin range where fixed
        out[:] = _inferno_lut()[g] if img.modality == "ir" and ir_cmap == "inferno" else g[..., None]
    if valid is not None:
        out[~valid] = 0
    return out


DIM_TOP = 0.5  # an ir image not stretched by the reader whose 98th percentile is below this is drawn stretched


def _ir_range(*imgs) -> tuple[float, float]:
    """[lo, hi] ir is drawn over: (0, 1), the reader's stretch; for a dim one it did not stretch (8-bit SIRST read as
    value/255, 98 % below ``DIM_TOP``: near-black) its 2-98 percentiles, for display; a pair's over both, alike."""
    lims = [(0.0, 1.0) if im.modality != "ir" or im.stretch is not None else _limits(  # RSImage.stretch: a window's
        im.data, [0], im.valid, 2.0, 98.0) for im in imgs]  # read says no note of it; kelvin: alike in every scene, kept
    lo, hi = min(a for a, _ in lims), max(b for _, b in lims)
    return (lo, hi) if lo < hi < DIM_TOP else (0.0, 1.0)


def _binned(img, k: int):
    """``img`` with each k × k block's finite pixels averaged (valid where its first pixel is), its last H % k rows
    and W % k columns left out (one NaN made its block NaN, drawn black whole); ``img`` itself for k = 1."""
    if k == 1:
        return img
    import dataclasses

    data = np.empty((len(img.data), h := img.data.shape[1] // k, w := img.data.shape[2] // k), np.float32)  # (C, h, w)
    for band, out in zip(img.data, data):  # (H, W) → (h, w), a band at a time
        with np.errstate(invalid="ignore"):  # inf and -inf in a block: NaN, redone below
            out[:] = (b := band[: h * k, : w * k].reshape(h, k, w, k)).mean(axis=(1, 3), dtype=np.float32)
        r, c = np.nonzero(~np.isfinite(out))  # the blocks holding a NaN (or inf) pixel: their finite pixels alone
        ok = np.isfinite(blk := b[r, :, c, :])  # (m, k, k)
        out[r, c] = np.divide(np.where(ok, blk, 0).sum(axis=(1, 2)), n := ok.sum(axis=(1, 2)),
                              out=np.full(n.shape, np.nan, np.float32), where=n > 0)  # none finite: NaN, drawn black
    valid = None if img.valid is None else img.valid[: h * k : k, : w * k : k]
    return dataclasses.replace(img, data=data, valid=valid)


def _with_legend(img, objects: list[dict], colour, fonts: list, notdef: dict, said: list[str]):
    """``img`` with a legend strip below it: each label's colour and object count, then ``said``
    (how many labels were left out where they overlapped, how many objects lie outside)."""
    from collections import Counter

    from PIL import Image, ImageDraw

    counts = Counter(obj.get("label") for obj in objects)
    items = [(f"{_label_text(label, 'unlabelled')} {n}", colour(label)) for label, n in counts.most_common()]
    items += [(f"({text})", None) for text in said]
    probe = ImageDraw.Draw(img)
    x_lo, t, _, b = probe.textbbox((0, 0), "Ag", font=fonts[0])
    h, pad = b - t, 6
    lines, line, width = [], [], pad
    for text, col in items:
        font, text = _fit(text, fonts, notdef)
        w = probe.textbbox((0, 0), text, font=font)[2] - x_lo + (h + 4 if col else 0) + 2 * pad
        if line and width + w > img.width:
            lines.append(line)
            line, width = [], pad
        line.append((text, col, width, font))
        width += w
    lines.append(line)
    canvas = Image.new("RGB", (img.width, img.height + len(lines) * (h + pad) + pad), (24, 24, 24))
    canvas.paste(img, (0, 0))
    draw = ImageDraw.Draw(canvas)
    for i, line in enumerate(lines):
        y = img.height + pad + i * (h + pad)
        for text, col, x, font in line:
            if col:
                draw.rectangle([x, y, x + h, y + h], fill=col)
                x += h + 4
            draw.text((x - x_lo, y - t), text, fill=(240, 240, 240), font=font)
    return canvas


def _tint(col: tuple, alpha):
    """An RGBA layer of colour ``col`` with the L image ``alpha`` as its opacity. Was: ``col`` pasted through
    ``alpha`` onto the clear fill layer, which blended the colour with that layer's black too: a 40 % fill drew
    0.4 × 0.4 of the colour (a red mask dark brown)."""
    from PIL import Image

    layer = Image.new("RGBA", alpha.size, (*col, 0))
    layer.putalpha(alpha)
    return layer


def _composite(canvas, layer, x: int, y: int) -> None:
    """``layer`` composited onto ``canvas`` (both RGBA) at (x, y), in place; a part left or above it cut off
    (older Pillow refuses a negative destination: a mask whose offset lies left of the image)."""
    cx, cy = max(0, -x), max(0, -y)
    if cx < layer.width and cy < layer.height:
        canvas.alpha_composite(layer, (max(0, x), max(0, y)), (cx, cy))


def draw_overlay(img, objects: list[dict], out_png, title: str | None = None, *, rgb_bands: list[str] | None = None,
                 ir_cmap: str = "inferno", max_side: int = 4096, min_side: int = 512, alpha: float = 0.4,
                 object_scale: float | tuple[float, float] = 1.0) -> Path:
    """Draw ``objects`` (scene pixel coordinates) on ``img`` and save a PNG; returns its path.

    Boxes, obbs, polygons and masks are outlined (polygons and masks also filled at ``alpha``), points
    are dots; each object is labelled (its score after; an unlabelled one's score alone); colours are per label.
    Where labels would overlap, the higher-scored one is drawn (``place_labels``) and a legend strip
    below the image gives each label's colour and count; objects wholly outside the image (and empty
    masks) are counted there too, not drawn. The image is scaled so its longer side lies in
    [min_side, max_side] (blocks of pixels averaged first where it shrinks 2× or more; a strip thinner than a
    label gets a margin below or right of it for its labels); ``title``
    is wrapped above it. ``object_scale``: the image's pixels per object pixel, one number or (x, y) for
    a read shrunk to other ratios across and down (a 4100x5 strip read as 1367x2), for objects of a scene
    drawn on its shrunk read or overview (``SceneReader.read_overview``). A box's corners may come in
    either order; a label may be a class id, or a list of labels (drawn ``"ship, boat"``). ValueError
    naming an object that is no geometry, whose coords are not finite, whose score is no number or
    whose label is no text, number or list of them.
    """
    fx, fy = _checked(objects, out_png, alpha, object_scale, max_side, min_side)
    W, H = img.width, img.height
    every, placed = _placed(objects, W / fx, H / fy)
    s = min(max_side / max(W, H), max(1.0, min_side / max(W, H)))
    out, hidden, *drawn = _panel(img, every, placed, (max(1, round(W * s)), max(1, round(H * s))), (fx, fy),
                                 rgb_bands=rgb_bands, ir_cmap=ir_cmap, alpha=alpha, max_side=max_side)
    return _finished(out, every, placed, hidden, titled(title, img, rgb_bands), *drawn, out_png)


def draw_pair_overlay(before, after, objects: list[dict], out_png, title: str | None = None, *,
                      captions: tuple[str, str] = ("before", "after"), rgb_bands: list[str] | None = None,
                      ir_cmap: str = "inferno", max_side: int = 4096, min_side: int = 512, alpha: float = 0.4,
                      object_scale: float | tuple[float, float] = 1.0) -> Path:
    """A bi-temporal pair's overlay: ``before`` left and ``after`` right, each under its caption, ``objects`` (in
    ``after``'s pixels, as a pair's answer gives them; ``object_scale`` as ``draw_overlay``'s, of ``after``) drawn
    on both, so the change is seen on each. ``before`` is drawn at ``after``'s size, as the model compares them (as
    covering the same ground); the two side by side are at most ``max_side`` wide and high (the caption strip above
    them, the title and legend as ``draw_overlay``'s, added). Was: the after image alone. ``rgb_bands`` must name
    bands of both (ValueError naming the one without)."""
    from PIL import Image, ImageDraw

    fx, fy = _checked(objects, out_png, alpha, object_scale, max_side, min_side)
    W, H, gap, rng = after.width, after.height, 8, _ir_range(before, after)  # ir: both drawn alike
    every, placed = _placed(objects, W / fx, H / fy)  # where each lies: the same on both, in after's scene pixels
    s = min(max(1, max_side - gap) / (2 * W), max_side / H, max(1.0, min_side / max(W, H)))
    size = (max(1, round(W * s)), max(1, round(H * s)))
    panels = [_panel(im, every, placed, size, scale, rgb_bands=rgb_bands, ir_cmap=ir_cmap, alpha=alpha,
                     max_side=max_side, ir_range=rng)
              for im, scale in ((before, (before.width * fx / W, before.height * fy / H)), (after, (fx, fy)))]
    (left, *_), (right, hidden, fonts, notdef, colour) = panels  # one colour a label on both: the same objects
    _, t, _, b = fonts[0].getbbox("Ag")
    top = b - t + 8
    out = Image.new("RGB", (left.width + gap + right.width, top + max(left.height, right.height)), (24, 24, 24))
    for x, panel, caption in ((0, left, captions[0]), (left.width + gap, right, captions[1])):
        out.paste(panel, (x, top))
        font, caption = _fit(caption, fonts, notdef)
        x_lo = ImageDraw.Draw(out).textbbox((0, 0), caption, font=font)[0]
        ImageDraw.Draw(out).text((x + 6 - x_lo, 4 - t), caption, fill=(240, 240, 240), font=font)
    return _finished(out, every, placed, hidden, titled(title, after, rgb_bands), fonts, notdef, colour, out_png)


def _checked(objects, out_png, alpha, object_scale, max_side: int, min_side: int) -> tuple[float, float]:
    """``object_scale`` as (x, y), once the overlay's arguments are checked (ValueError saying what is wrong)."""
    from PIL import Image

    if Path(out_png).suffix.lower() not in Image.registered_extensions():  # PIL would say so after the drawing
        raise ValueError(f"{out_png}: unknown image extension {Path(out_png).suffix or '(none)'!r}; "
                         "give e.g. overlay.png")
    if not 0 <= alpha <= 1:  # 40 (a percent) was numpy's "Python integer 10200 out of bounds for uint8"
        raise ValueError(f"alpha {alpha} must lie in [0, 1]: the opacity of mask and polygon fills")
    fx, fy = (object_scale, object_scale) if np.ndim(object_scale) == 0 else object_scale
    if not (fx > 0 and fy > 0 and min(max_side, min_side) >= 1):
        raise ValueError(f"object_scale {object_scale} must be above 0, max_side {max_side} and min_side "
                         f"{min_side} 1 or more")
    if isinstance(objects, dict):  # one object given alone: its keys were taken as objects
        raise ValueError(f"objects must be a list of object dicts, not one dict ({objects!r:.80})")
    return fx, fy


def _placed(objects: list[dict], w: float, h: float) -> tuple[list[dict], list[tuple]]:
    """The objects with their labels as drawn, and ``_where`` each lies in a scene of ``w`` x ``h`` object pixels."""
    labels = per_object(objects, _drawn_label)
    every = [o if o.get("label") is label else dict(o, label=label) for o, label in zip(objects, labels)]
    return every, per_object(every, lambda o: _where(o, w, h))


def _panel(img, every: list[dict], placed: list[tuple], size: tuple[int, int], scale: tuple[float, float], *,
           rgb_bands, ir_cmap: str, alpha: float, max_side: int, ir_range=None) -> tuple:
    """``img`` drawn at ``size`` (w, h) canvas pixels with the objects of ``every`` that ``placed`` has inside it
    (``scale``: its pixels per object pixel, x and y): (RGB image, labels left out where they overlapped, fonts,
    notdef, colour of a label)."""
    from PIL import Image, ImageDraw
    from scipy import ndimage

    from rsvlm.geometry.shapes import poly_rings

    (W, H), (fx, fy) = (img.width, img.height), scale
    inside = [(o, m) for o, (w, m) in zip(every, placed) if w == "inside"]  # the others are counted in the legend
    objects, masks = [o for o, _ in inside], [m for _, m in inside]  # masks: (array, (x0, y0), box) or None
    sw, sh = size[0] / W, size[1] / H  # canvas pixels per image pixel, across and down
    k = max(1, min(int(1 / max(sw, sh)), W, H))  # source pixels a side averaged before the resize: a huge scene's
    shown = Image.fromarray(to_display_rgb(_binned(img, k), rgb_bands, ir_cmap, ir_range))  # display is not made whole
    base = Image.new("RGB", size)
    if (sw, sh) != (1.0, 1.0):  # k × the binned size: the scene's last W % k columns (under a canvas pixel) stay black
        shown = shown.resize((max(1, round(shown.width * k * sw)), max(1, round(shown.height * k * sh))),
                             Image.Resampling.NEAREST if max(sw, sh) > 1 else Image.Resampling.BILINEAR)
    base.paste(shown, (0, 0))
    base = base.convert("RGBA")
    sx, sy = sw * fx, sh * fy  # from here on these map object coordinates to the canvas
    lw = max(2, round(max(base.size) / 400))
    fonts, notdef = _fonts(max(12, round(max(base.size) / 55))), {}
    _, t, _, b = fonts[0].getbbox("Ag")
    if min(base.size) < (row := b - t + 8):  # a strip (30000 x 20 drawn 4096 x 3): its labels were cut; a margin
        wide = max((fonts[0].getlength(_label_text(o.get("label"), "") + " 0.00") for o in objects), default=0)
        room = Image.new("RGBA", (base.width if base.width >= row else max(base.width, min(max_side, round(wide) + 8)),
                                  max(base.height, row)), (24, 24, 24, 255))  # right of or below it, the legend's colour
        room.paste(base, (0, 0))
        base = room
    colours: dict = {}
    colour = lambda label: colours.setdefault(label, _PALETTE[len(colours) % len(_PALETTE)])  # noqa: E731

    fill = Image.new("RGBA", base.size, (0, 0, 0, 0))  # semi-transparent layer: masks, polygon interiors
    a = int(round(alpha * 255))
    for obj, mask in zip(objects, masks):
        col = colour(obj.get("label"))
        if obj["kind"] == "mask":
            m, (x0, y0), _ = mask  # (h, w)
            size = (max(1, round(m.shape[1] * sx)), max(1, round(m.shape[0] * sy)))
            on = np.asarray(Image.fromarray(m.astype(np.uint8)).resize(size, Image.Resampling.NEAREST)) > 0  # (h', w')
            # its fill, and an opaque rim lw px wide: a fill alone hid on ground of its colour (a red roof)
            rim = on & ~ndimage.binary_erosion(on, np.ones((3, 3), bool), iterations=lw, border_value=0)
            mi = Image.fromarray(np.where(rim, np.uint8(255), on.astype(np.uint8) * np.uint8(a)))  # (h', w') alpha
            _composite(fill, _tint(col, mi), round(x0 * sx), round(y0 * sy))
        elif obj["kind"] == "poly" and len(obj["coords"]) >= 3:
            rings = [np.asarray(r, np.float64) * (sx, sy) for r in poly_rings(obj)]  # (n, 2) each, on the canvas
            (x0, y0), (x1, y1) = np.floor(rings[0].min(axis=0)), np.floor(rings[0].max(axis=0)) + 2
            x0, y0, x1, y1 = int(max(x0, 0)), int(max(y0, 0)), int(min(x1, base.width)), int(min(y1, base.height))
            if x1 <= x0 or y1 <= y0:
                continue
            mi = Image.new("L", (x1 - x0, y1 - y0), 0)  # its box only: one canvas a polygon took 0.14 s at 4096²
            mdraw = ImageDraw.Draw(mi)
            for k, ring in enumerate(rings):  # exterior filled, holes cut
                mdraw.polygon([(x - x0, y - y0) for x, y in ring.tolist()], fill=a if k == 0 else 0)
            _composite(fill, _tint(col, mi), x0, y0)
    out = Image.alpha_composite(base, fill)

    draw = ImageDraw.Draw(out)
    for obj in objects:
        col, kind, c = colour(obj.get("label")), obj["kind"], obj.get("coords")
        if kind == "box":  # corners in either order (a y-up source's box): PIL refused x1 < x0
            (x0, x1), (y0, y1) = sorted((c[0], c[2])), sorted((c[1], c[3]))
            draw.rectangle([x0 * sx, y0 * sy, x1 * sx, y1 * sy], outline=col, width=lw)
        elif kind in ("obb", "poly"):
            for ring in poly_rings(obj):
                pts = [(x * sx, y * sy) for x, y in ring]
                draw.line(pts + pts[:1], fill=col, width=lw, joint="curve")
        elif kind == "point":
            r = 2 * lw
            draw.ellipse([c[0] * sx - r, c[1] * sy - r, c[0] * sx + r, c[1] * sy + r], fill=col, outline=(0, 0, 0))
    labels = []  # (rect, text, colour, x_lo, t) in drawing priority: unscored first, then by score
    for k in sorted(range(len(objects)), key=lambda k: (-_score_or_inf(objects[k]), k)):
        obj = objects[k]
        if not (text := object_text(obj)):  # unlabelled and unscored: the table's "-", no label drawn
            continue
        x, y = _anchor(obj, (sx, sy), masks[k] and masks[k][2])
        font, text = _fit(text, fonts, notdef)
        x_lo, t, r, b = draw.textbbox((0, 0), text, font=font)
        x = max(0, min(x, out.width - (r - x_lo) - 4))  # keep the label inside the image
        y = max(0, y - (b - t) - 4)
        labels.append(((x, y, x + (r - x_lo) + 4, y + (b - t) + 4), text, colour(obj.get("label")), x_lo, t, font))
    kept = place_labels([rect for rect, *_ in labels])
    for (rect, text, col, x_lo, t, font), keep in zip(labels, kept):  # labels last, on top of every outline
        if keep:
            draw.rectangle(list(rect), fill=col)
            ink = (0, 0, 0) if sum(col) > 380 else (255, 255, 255)
            draw.text((rect[0] + 2 - x_lo, rect[1] + 2 - t), text, fill=ink, font=font)

    return out.convert("RGB"), len(kept) - sum(kept), fonts, notdef, colour


def _finished(out, every: list[dict], placed: list[tuple], hidden: int, title: str | None, fonts: list,
              notdef: dict, colour, out_png) -> Path:
    """``out`` (the drawn image) with its legend below (where some objects are not drawn: ``hidden`` labels that
    overlapped, objects ``placed`` outside or empty) and ``title`` above, saved to ``out_png``; its path."""
    from PIL import Image, ImageDraw

    where = [w for w, _ in placed]
    draw = ImageDraw.Draw(out)
    n = {("overlapping label", "overlapping labels"): hidden,
         ("object outside the image", "objects outside the image"): where.count("outside"),
         ("empty mask", "empty masks"): where.count("empty")}
    said = [f"{k} {what[k > 1]} not drawn" for what, k in n.items() if k]
    if said:
        out = _with_legend(out, every, colour, fonts, notdef, said)
    if title:  # wrapped to the image's width: a long question ran off its edge
        import textwrap

        font, title = _fit(title, fonts, notdef)
        flat = " ".join(title.splitlines())  # PIL measures no multiline text: a question of two lines failed
        per_char = draw.textlength(flat, font=font) / max(1, len(flat))
        width = max(8, int((out.width - 12) / max(per_char, 1.0)))
        lines = [w for part in title.splitlines() for w in textwrap.wrap(part, width) or [""]]  # its breaks kept
        x_lo, t, _, b = draw.textbbox((0, 0), flat, font=font)
        top = len(lines) * (b - t + 4) + 8
        canvas = Image.new("RGB", (out.width, out.height + top), (24, 24, 24))
        canvas.paste(out, (0, top))
        for k, line in enumerate(lines):
            ImageDraw.Draw(canvas).text((6 - x_lo, 6 - t + k * (b - t + 4)), line, fill=(240, 240, 240), font=font)
        out = canvas
    out_png = Path(out_png)
    out_png.parent.mkdir(parents=True, exist_ok=True)
    out.save(out_png)
    return out_png
