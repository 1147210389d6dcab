"""What the processor and ``ChatSession`` take as an image, turned into an ``ImageInput`` (``as_image_input``).

Taken: an ``ImageInput`` or ``Pixels``; a (C,H,W) NumPy array or torch tensor of floats scaled as ``rsvlm.io``'s
readers scale them (optical, sar, ir in [0, 1]; msi reflectance); an ``RSImage`` (``rsvlm.io.read_image``'s); a
file path (read by ``read_image``, its notes warned); an 8-bit PIL image (/ 255; grey repeated into R, G, B for
optical, a grey RGB read as one band of sar or ir, as the reader reads them). Anything else, and a PIL image without
a fixed scale (16-bit, float) or with transparent pixels, is a ValueError naming the argument and what to pass. An
``ImageInput`` may hold any of these as its ``array``; its ``modality`` and ``bands`` then say how to read it.
"""

from __future__ import annotations

import os
import re
import warnings
from contextlib import contextmanager

import numpy as np
import torch

from rsvlm.advice import for_python
from rsvlm.model.processor import ImageInput, Pixels

WHAT_TO_PASS = ("a (C,H,W) float array or tensor scaled as rsvlm.io's readers scale them (8-bit optical: / 255), "
                "a file path, a PIL image, rsvlm.io.read_image's RSImage, or an ImageInput")


def is_one_image(x) -> bool:
    """Whether ``x`` is one image (not a list of them): a path is one, though a str is iterable."""
    return isinstance(x, (ImageInput, Pixels, np.ndarray, torch.Tensor, str, os.PathLike)) or _is_pil(x) \
        or _is_rs_image(x)


def as_image_input(image, name: str = "image") -> ImageInput | Pixels:
    """``image`` (any of the module docstring's) as an ``ImageInput`` named ``name`` where it has no name of its own
    (the argument: ``images[0]``), or the ``Pixels`` given."""
    if isinstance(image, Pixels):
        return image
    if isinstance(image, ImageInput):
        own = image.name if image.name != "image" else name
        if isinstance(image.array, np.ndarray):
            return ImageInput(image.array, image.modality, image.bands, own)
        inferred = getattr(image, "_inferred", None) == image.modality  # ImageInput(path)'s: read as a bare path's
        return _read(image.array, own, None if inferred else image.modality, image.bands)  # (its notes warned)
    return _read(image, name, None, None)


@contextmanager
def python_advice(**how):
    """Re-raise a ValueError met inside with its CLI advice said as Python arguments (``for_python``, given ``how``):
    used where the Python API (``Processor.__call__``, ``ChatSession.ask``) reads and prepares a caller's images."""
    try:
        yield
    except ValueError as e:
        # no advice, or not one message (ContextError)
        if (said := for_python(str(e), **how)) == str(e) or len(e.args) != 1:
            raise
        try:
            again = type(e)(said)  # its type kept: rsvlm.io's ImageReadError
        except Exception:  # a subclass made otherwise: as it was
            raise e from None
        raise again.with_traceback(e.__traceback__) from None


def _read(x, name: str, modality: str | None, bands: list[str] | None) -> ImageInput:
    """``x``, not yet an ImageInput, read as one of ``modality`` (None: the reader's guess for a file, else optical)."""
    if x is None:
        raise ValueError(f"{name} is None: pass {WHAT_TO_PASS}")
    if isinstance(x, np.ndarray):
        return ImageInput(x, modality or "optical", bands, name)
    if isinstance(x, torch.Tensor):  # kept a tensor: its dtype says raw counts (np.asarray as float32 hid it)
        return ImageInput(x.detach().cpu(), modality or "optical", bands, name)
    if isinstance(x, (str, os.PathLike)):
        return from_file(os.fspath(x), name, modality, bands)
    if _is_rs_image(x):  # read as its file's modality; bands given name its channels, as an array's
        return ImageInput(x.data, _rs_modality(x, modality), list(bands or x.bands), x.path)
    if _is_pil(x):
        return ImageInput(_from_pil(x, name, modality or "optical"), modality or "optical", bands, name)
    if isinstance(x, (list, tuple)):  # nested numbers: their own dtype (integers are refused as raw counts)
        return ImageInput(np.asarray(x), modality or "optical", bands, name)
    raise ValueError(f"{name}: a {type(x).__name__} is no image: pass {WHAT_TO_PASS}")


def from_file(path: str, name: str, modality: str | None, bands: list[str] | None) -> ImageInput:
    """The image file ``path`` read by ``rsvlm.io.read_image`` (``modality`` None: inferred), its notes warned; an
    error's advice names ``ImageInput``'s arguments (``for_python``); a missing file is named as ``name``."""
    from rsvlm.io import read_image

    _exists(path, name)
    with python_advice():  # only the Python API passes a path: its advice names modality= / bands=
        img = read_image(path, modality=modality, bands=bands)
    for note in img.notes:  # what the reader assumed (a grey band repeated, a modality inferred…)
        warnings.warn(f"{path}: {for_python(note)}", stacklevel=caller_level())
    return ImageInput(img.data, img.modality, list(img.bands), img.path)


def modality_of(path: str, name: str, bands: list[str] | None) -> str:
    """The modality a read of the file ``path`` infers (``ImageInput(path)``'s), from its header and a sample
    (``rsvlm.io.SceneReader``: the pixels are not read); what the read would refuse is refused now (``from_file``)."""
    from rsvlm.io import SceneReader

    _exists(path, name)
    with python_advice(), SceneReader(path, None, bands, whole=True) as scene:  # whole: a scene too large, refused
        return scene.modality


def modality_given(x, modality: str | None, name: str, bands: list[str] | None) -> tuple[str, bool]:
    """``ImageInput``'s modality of ``x``, no array, and whether it was inferred: a path's given, or inferred as a
    bare path's (``modality_of``); an RSImage's own (``_rs_modality``); else as given, or optical."""
    if _is_rs_image(x):
        return _rs_modality(x, modality), False
    if modality is None and isinstance(x, (str, os.PathLike)):
        return modality_of(os.fspath(x), name, bands), True
    return modality or "optical", False


def _rs_modality(x, modality: str | None) -> str:
    """The RSImage ``x``'s modality; ``modality`` given, another is refused (its pixels are scaled as its own's)."""
    if modality not in (None, x.modality):
        raise ValueError(f"{x.path}: an RSImage read as {x.modality!r} given modality {modality!r}: its pixels are "
                         f"scaled as {x.modality} imagery; read the file as {modality} (rsvlm.io.read_image(path, "
                         f"modality={modality!r})), or leave the modality out")
    return x.modality


def _exists(path: str, name: str):
    """A missing local file refused, named as ``name``; GDAL's /vsi… paths (an archive's raster) and URLs (file:,
    https:) go to the reader, which reads or names them (refused here as "no file", /vsizip/… read by read_image)."""
    if not re.match(r"(?i)/vsi|[a-z][\w+.-]+:/", path) and not os.path.exists(path):
        raise FileNotFoundError(f"{name}: no file {path!r} (a path is read with rsvlm.io.read_image; pass "
                                f"an existing file, or the pixels: {WHAT_TO_PASS})")


def caller_level() -> int:
    """The ``stacklevel`` that points a warning raised by its caller at the first frame outside rsvlm and torch (the
    user's ``ImageInput(path)``, ``chat.ask(…, images=path)``, ``processor(text, [path])`` line; a fixed 4 pointed
    inside ``ChatSession.ask``)."""
    import sys

    ours = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep  # rsvlm/
    frame, level = sys._getframe(2), 2  # the warning's caller's caller
    def inside(code) -> bool:  # rsvlm's, torch's (no_grad's wrapper), a dataclass's generated __init__
        return (code.co_filename.startswith(ours) or f"{os.sep}torch{os.sep}" in code.co_filename
                or (code.co_filename == "<string>" and code.co_name == "__init__"))

    while frame is not None and inside(frame.f_code):
        frame, level = frame.f_back, level + 1
    return level


def _from_pil(img, name: str, modality: str) -> np.ndarray:
    """An 8-bit PIL image → (C,H,W) float32 in [0, 1]; (3,H,W) for an optical grey one, as the reader reads it."""
    mode = img.mode
    if mode not in ("1", "L", "P", "RGB", "RGBA", "LA", "PA", "CMYK", "YCbCr", "RGBX"):  # I;16, I, F: no scale
        raise ValueError(f"{name}: a PIL image of mode {mode!r} has no fixed scale: read its file with "
                         f"rsvlm.io.read_image (stretched as training's images were), or pass a (C,H,W) float "
                         f"array scaled to [0, 1]")
    if mode in ("RGBA", "LA", "PA") or (mode == "P" and "transparency" in img.info):
        if img.convert("RGBA").getextrema()[3][0] < 255:
            raise ValueError(f"{name}: a PIL image with transparent pixels (mode {mode}): read its file with "
                             f"rsvlm.io.read_image, which masks them as nodata, or drop the alpha "
                             f"(img.convert('RGB')) if its pixels there hold the scene")
    grey = mode in ("1", "L", "LA")
    arr = np.asarray(img.convert("L" if grey else "RGB"), dtype=np.float32) / 255.0  # (H,W) or (H,W,3)
    arr = arr[None] if arr.ndim == 2 else arr.transpose(2, 0, 1)  # (C,H,W)
    if modality in ("optical", "sar", "ir"):  # the reader's bands: grey into R, G, B; a grey RGB one sar/ir band
        from rsvlm.io.scaling import plan_bands  # (was 3 bands, refused as sar: "expects 2 bands, got 3")

        keep, _ = plan_bands(modality, len(arr), None, len(arr) == 3 and bool((arr == arr[:1]).all()), name)
        arr = arr[keep]
    return np.ascontiguousarray(arr)


def _is_pil(x) -> bool:
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - Pillow is a dependency
        return False
    return isinstance(x, Image.Image)


def _is_rs_image(x) -> bool:
    """An ``rsvlm.io.RSImage`` (by its fields: the check imports no reader)."""
    return all(hasattr(x, a) for a in ("data", "modality", "bands", "path")) and isinstance(x.data, np.ndarray)
