"""One decimated read of a large scene, shared by the reader's samples and its shrunk whole read.

A GeoTIFF without overviews is decoded whole by every decimated read of it: ``modality.plan``'s 256 px check,
``SceneReader.sample`` (1024 px, the stretch) and ``read_shrunk(2048)`` had decoded an 8000² uint16 file three
times (tiled 512: 9.9 s, once 3.0 s; ``bench/shrunk_read.py``). ``SharedRead`` reads the scene once at the shrunk
size, every band but the alpha, without a nodata value, and answers each of those reads from it:

    shared = SharedRead.of(src, 2048)            # None where sharing would change a pixel or save nothing
    raw, valid = shared.sample(1024, indexes, nodata)   # the 2048 read strided by 2, nodata masked as _read does
    raw, valid = shared.shrunk(2048, indexes, nodata)   # the very pixels and mask read_decimated(2048) gives

``shrunk`` is pixel for pixel what ``src.read_decimated`` gave. A smaller sample is the shared read strided by
``k`` (the centre pixel of each k x k block), not GDAL's own decimation at that size, which picks other source
pixels: a stretch taken from it differs a little from the old one (``bench/shrunk_read.py`` measures how much).
A scene no larger than the shrunk size is shared at full resolution (``whole``): its two samples and the whole read
itself (``SceneReader.read``, which ``read_shrunk`` gives it) had decoded a 1500 px GeoTIFF 3 times; so is one
``read_image`` reads whole, up to ``WHOLE_HELD`` px a side. Bands the reader leaves out by their metadata (an
incidence angle, a QA band: ``leave_out``) are not held. A read that would not fit in the memory free with its
scaling (``budget.check_need``) is not held: each is read from the file as before.
Cannot: share reads of files with overviews (their reads are cheap, and a coarser overview would not be the
stride of a finer one), band files resampled on read (the samples take them by nearest, the shrunk read
bilinear), PIL / tifffile sources (decoded whole once already) or complex I/Q pairs; those read as before.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from rsvlm.io.budget import SCALED_BYTES, check_need
from rsvlm.io.fills import nodata_valid
from rsvlm.io.gdal_source import RasterioSource
from rsvlm.io.sources import read_as_stored

WHOLE_HELD = 2048  # a scene read whole (``read_image``) no larger is held at full size: predict's READ_MAX_SIDE


@dataclass
class SharedRead:
    """``src`` read once at ``side`` pixels a side (``bands``: 0-based, every band but the alpha), kept until
    ``shrunk`` or ``release``; ``decodes`` counts the reads it made (1, or 0 before the first ask); ``scaled``: the
    bytes scaling a value takes beside the raw ones, as the reader counts them (``budget.scaling_bytes``); ``made``:
    the bands the read makes of the ``n`` held (3 of a grey band read as optical), as the reader knows them."""

    src: RasterioSource
    side: int
    bands: list[int]
    raw: np.ndarray | None = None  # (C, h, w), C = len(bands); read at the first ask
    valid: np.ndarray | None = None  # (h, w), the file's own mask (no nodata value applied), or None
    decodes: int = 0
    scaled: Callable[[], int] | None = None  # asked at the check: the modality may be guessed by then
    made: Callable[[int], int] | None = None  # likewise

    @classmethod
    def of(cls, src, side: int | None, whole: bool = False, scaled: Callable[[], int] | None = None,
           made: Callable[[int], int] | None = None) -> SharedRead | None:
        """A ``SharedRead`` of ``src`` at ``side``, or None where reads of it are left as they were: no ``side``, a
        scene no larger unless ``whole`` (then held at full resolution, ``full``, for the reader's whole read), or a
        source this cannot share (see the module). ``scaled``, ``made``: as the fields."""
        size = max(src.width, src.height)
        if not side or type(src) is not RasterioSource or size <= side and not whole:
            return None
        if any(hasattr(d, "src_dataset") for d in src.datasets):  # a band file resampled on read (regrid.onto_finest)
            return None
        if any(d.overviews(1) for d in src.datasets):  # JPEG 2000's resolution levels too: cheap decimated reads
            return None
        return cls(src, min(side, size), [i for i in range(src.count) if i != src.alpha_index], scaled=scaled, made=made)

    @property
    def full(self) -> bool:
        """Whether the shared read is the scene at full resolution (what ``read`` of it whole gives)."""
        return self.side == max(self.src.width, self.src.height)

    def holds(self, indexes: list[int]) -> bool:
        """Whether ``shrunk`` of ``indexes`` at this side gives the very array held, no copy: read already, of
        those bands in that order (the reader's memory check counts only what a read adds)."""
        return self.raw is not None and self._served(indexes) == list(range(len(self.bands)))

    def serves(self, indexes: list[int]) -> bool:
        """Whether ``shrunk`` of ``indexes`` at this side is made from the values held (a copy where not ``holds``:
        some bands, or one band thrice), which it drops before the read's scaling."""
        return self.raw is not None and self._served(indexes) is not None

    def leave_out(self, skip) -> None:
        """Hold no band of ``skip`` (0-based; the reader leaves them out by their metadata): not read where the read
        is yet to come; else dropped from it, one file's bands only (band files' masks take every file read)."""
        keep = [b for b in self.bands if b not in set(skip)]
        if not keep or keep == self.bands or self.raw is not None and len(self.src.datasets) > 1:
            return
        if self.raw is not None:
            self.raw = np.ascontiguousarray(self.raw[[self.bands.index(b) for b in keep]])
        self.bands = keep

    def _served(self, indexes: list[int]) -> list[int] | None:
        """Positions of ``indexes`` in ``bands``, or None where a read of them would differ: a band not read, or
        band files (several datasets) not all asked, whose masks a read of some of them leaves out."""
        if not self.side or not set(indexes) <= set(self.bands):  # (released: side 0)
            return None
        if len(self.src.datasets) > 1 and set(indexes) != set(self.bands):
            return None
        return [self.bands.index(i) for i in indexes]

    def _fits(self) -> bool:
        """Whether the shared read is held, or it and its scaling fit in the memory free (``budget.check_need``);
        else released, each read from the file as before, where the whole read is refused naming the file: a 2048²
        scene held at full size from the first sample had been decoded before any check. Its scaling is counted as
        ``scaled`` says (12 to 25 bytes a value by the modality and dtype), else 12: a flat 12 let a float32, sar or
        thermal scene be held that its whole read then refused, decoded for nothing. A read making more bands than
        held (``made``: a grey band read as optical, 3) counts the held values beside the read's copy and its
        scaling: the WorldView pan given optical was held at 42-43 bytes a pixel free, then refused (44 needed)."""
        if self.raw is not None:
            return True
        f = self.side / max(self.src.width, self.src.height)
        held, size = len(self.bands), np.dtype(self.src.dtype).itemsize
        made = self.made(held) if self.made else held
        per = (held if made == held else held + made) * size + made * (self.scaled() if self.scaled else SCALED_BYTES)
        try:
            check_need(max(1, round(self.src.width * f)) * max(1, round(self.src.height * f)) * per)
        except MemoryError:
            self.release()
            return False
        return True

    def _read(self):
        if self.raw is None:
            self.raw, self.valid = self.src.read_decimated(self.side, self.bands, None)
            self.decodes += 1
        return self.raw, self.valid

    def sample(self, max_side: int, indexes: list[int], nodata: float | None):
        """``read_as_stored(src, max_side, indexes, nodata)``: from the shared read strided by ``k`` (at most
        ``max_side`` a side) where it can serve it, else read from the file as before."""
        at = self._served(indexes) if max_side <= self.side or self.full else None
        if at is None or not self._fits():
            return read_as_stored(self.src, max_side, indexes, nodata)
        raw, valid = self._read()
        k = math.ceil(max(raw.shape[1:]) / max_side)
        o = (k - 1) // 2  # the centre of each k x k block
        raw = np.ascontiguousarray(raw[at, o::k, o::k])  # (C', h / k, w / k)
        valid = None if valid is None else np.ascontiguousarray(valid[o::k, o::k])
        return raw, nodata_valid(self.src, raw, valid, nodata)  # masked as RasterioSource._read masks it

    def shrunk(self, max_side: int, indexes: list[int], nodata: float | None):
        """``src.read_decimated(max_side, indexes, nodata)``: the shared read itself where ``max_side`` is its side
        (then released: read once, given once), else read from the file."""
        at = self._served(indexes) if max_side == self.side else None
        if at is None:
            return self.src.read_decimated(max_side, indexes, nodata)
        raw, valid = self._read()
        self.release()
        raw = raw if at == list(range(len(self.bands))) else raw[at]
        return raw, nodata_valid(self.src, raw, valid, nodata)  # masked as RasterioSource._read masks it

    def release(self):
        """Drop the shared read (its memory); later asks read from the file."""
        self.raw, self.valid, self.side = None, None, 0
