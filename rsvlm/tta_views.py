"""The pixels of a test-time augmentation view (``rsvlm.tta``): an image array turned into a mirror
view and back (``flip_array``, ``unflip_array``), its size there (``view_size``), shapes moved into a
view (``to_view``) and back (``unflip``), and corner crops cut (``crop_window``, ``crop_view``; ``new_crop``) and
their shapes shifted back (``uncrop``). A view is a string of steps: ``t`` transpose first, then
``h`` left-right and ``v`` top-bottom flips; ``c0`` … ``c3`` are the corner crops.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from rsvlm.tta import FuseConfig


def as_arrays(images: list) -> list:
    """``images`` (one record's ``ImageInput``s) with each read once where it holds no array yet (a path, a PIL image,
    an RSImage, a tensor: ``image_args.as_image_input``): every view flips or crops those pixels and reads its size
    from them, rather than failing on a path's ``array`` (a str) or reading the file again per view."""
    from rsvlm.model.image_args import as_image_input

    out = [im if isinstance(im.array, np.ndarray) else as_image_input(im, im.name) for im in images]
    return [im if isinstance(a := im.array, np.ndarray) else  # a tensor: bfloat16 has no NumPy type (float32 then)
            replace(im, array=a.float().numpy() if a.is_floating_point() else a.numpy()) for im in out]


def crop_window(view: str, w: int, h: int, share: float) -> tuple[int, int, int, int]:
    """(x0, y0, width, height) of corner crop ``view`` (``c0`` … ``c3``) of a ``w`` × ``h`` image."""
    cw, ch, k = max(1, round(w * share)), max(1, round(h * share)), int(view[1:])
    return (w - cw if k % 2 else 0, h - ch if k >= 2 else 0, cw, ch)


def new_crop(view: str, cfg: FuseConfig, w: int, h: int) -> bool:
    """Whether corner crop ``view`` (of ``cfg.crop_share`` a side) of a ``w`` × ``h`` image shows what neither the
    whole image nor a crop before it in ``cfg.views`` does: at 6 px a side or under, 11/12 of it rounds to all of it,
    so each crop of a 3 × 3 px image was the image itself, asked four more times as if four views had found its boxes
    (and c0 and c1 of a 4 px wide strip were one)."""
    window, views = crop_window(view, w, h, cfg.crop_share), tuple(cfg.views)
    earlier = views[:views.index(view)] if view in views else views
    return window != (0, 0, w, h) and all(crop_window(v, w, h, cfg.crop_share) != window
                                          for v in earlier if v.startswith("c"))


def crop_view(images: list, view: str, share: float) -> list:
    """The ImageInputs cut to corner crop ``view`` (every image of a record alike: each at its own
    size, so a pair of two resolutions of one ground keeps covering the same ground); the model sees
    each crop at its full input size, so objects look ``1 / share`` times larger."""
    out = []
    for im in images:
        x0, y0, cw, ch = crop_window(view, im.array.shape[-1], im.array.shape[-2], share)
        out.append(replace(im, array=np.ascontiguousarray(im.array[..., y0 : y0 + ch, x0 : x0 + cw])))
    return out


def flip_array(a: np.ndarray, view: str) -> np.ndarray:
    """(…, H, W) array seen in ``view``: transposed for ``t``, then flipped along its last axis for
    ``h`` and the one before for ``v``; a contiguous copy."""
    if "t" in view:
        a = a.swapaxes(-1, -2)
    axes = tuple(ax for ax, flag in ((-1, "h" in view), (-2, "v" in view)) if flag)
    return _contiguous(np.flip(a, axes) if axes else a)


def _contiguous(a: np.ndarray) -> np.ndarray:
    """``a`` C-contiguous with no negative stride: numpy calls a flipped axis of length 1 contiguous as it is, and
    torch refuses its stride (a 1-pixel-wide image's left-right view could not be asked)."""
    return a.copy() if any(s < 0 for s in a.strides) else np.ascontiguousarray(a)


def unflip_array(a: np.ndarray, view: str) -> np.ndarray:
    """The inverse of ``flip_array``."""
    axes = tuple(ax for ax, flag in ((-1, "h" in view), (-2, "v" in view)) if flag)
    a = np.flip(a, axes) if axes else a
    return _contiguous(a.swapaxes(-1, -2) if "t" in view else a)


def view_size(view: str, w: int, h: int) -> tuple[int, int]:
    """(width, height) of a ``w`` × ``h`` image seen in ``view``."""
    return (h, w) if "t" in view else (w, h)


def _unmap_xy(points, view: str, w: int, h: int) -> list[list[float]]:
    """Points seen in ``view`` of a ``w`` × ``h`` image, in the image's own pixels."""
    wv, hv = view_size(view, w, h)
    out = []
    for x, y in points:
        x, y = (wv - x if "h" in view else x), (hv - y if "v" in view else y)
        out.append([y, x] if "t" in view else [x, y])
    return out


def _map_xy(points, view: str, w: int, h: int) -> list[list[float]]:
    """Points of a ``w`` × ``h`` image, in the pixels of its ``view`` (the inverse of ``_unmap_xy``)."""
    wv, hv = view_size(view, w, h)
    out = []
    for x, y in points:
        x, y = (y, x) if "t" in view else (x, y)
        out.append([wv - x if "h" in view else x, hv - y if "v" in view else y])
    return out


def _move(objects: list[dict], xy, mask) -> list[dict]:
    """Shapes with every point list passed through ``xy`` (boxes re-ordered to x1 < x2, y1 < y2)
    and every grid mask through ``mask`` (object → objects)."""
    from rsvlm.geometry.shapes import ordered_box, poly_rings

    out = []
    for o in objects:
        kind, c = o["kind"], o["coords"]
        if kind == "box":
            (x1, y1), (x2, y2) = xy([c[:2], c[2:]])
            out.append({**o, "coords": ordered_box([x1, y1, x2, y2])})
        elif kind == "point":
            out.append({**o, "coords": xy([c])[0]})
        elif kind in ("obb", "poly"):
            new = {**o, "coords": xy(c)}
            if o.get("rings") is not None:  # an array of rings too (its truth value is ambiguous)
                new["rings"] = [xy(r) for r in poly_rings(o)]
            out.append(new)
        elif kind == "mask":
            out += mask(o)
        else:
            out.append(o)
    return out


def to_view(objects: list[dict], view: str, w: int, h: int) -> list[dict]:
    """Shapes of a ``w`` × ``h`` image in the pixels of its ``view`` (the inverse of ``unflip``);
    a grid mask is rasterised, turned and re-encoded on the finest grid, so it covers the turned
    pixels exactly (its run lengths follow the view's rows, so it may cost a few more location
    tokens than it had; up to 999 cells a side, as every grid)."""
    if not view:
        return objects
    from rsvlm import geometry

    def mask(o: dict) -> list[dict]:
        m = flip_array(geometry.objects_to_mask([o], w, h), view)
        return geometry.mask_to_objects(m, o.get("label"), form="grid", budget=1 << 30)  # the full-resolution grid

    return _move(objects, lambda pts: _map_xy(pts, view, w, h), mask)


def top_left(o: dict) -> tuple[float, float]:
    """(top, left) of a shape's envelope, for reading order."""
    c = o["coords"]
    if o["kind"] == "mask":
        c = c["box"]
    if o["kind"] in ("box", "point", "mask"):
        return c[1], c[0]
    return min(p[1] for p in c), min(p[0] for p in c)


def unflip(objects: list[dict], view: str, w: int, h: int) -> list[dict]:
    """Shapes answered on ``view`` of a ``w`` × ``h`` image (decoded at ``view_size``), in the
    image's own pixels. Grid masks come back as full-size ``"mask"`` arrays
    (``geometry.objects_to_mask`` reads them)."""
    if not view:
        return objects
    from rsvlm import geometry

    def mask(o: dict) -> list[dict]:
        m = unflip_array(geometry.objects_to_mask([o], *view_size(view, w, h)), view)
        return [{"kind": "mask", "label": o.get("label"), "coords": o["coords"], "mask": m, "offset": (0, 0)}]

    return _move(objects, lambda pts: _unmap_xy(pts, view, w, h), mask)


def uncrop(objects: list[dict], window: tuple) -> list[dict]:
    """Boxes and obbs answered on crop ``window`` (decoded at its size), in the image's own pixels."""
    x0, y0 = window[:2]
    return _move(objects, lambda pts: [[x + x0, y + y0] for x, y in pts], lambda o: [])
