"""The converters' option checks: argparse types, ``--tile`` / ``--overlap`` together, ``--max-nodata``, ``--limit``."""

from __future__ import annotations

from data_gen.convert.common import ConversionError


def int_at_least(lo: int):
    """An argparse ``type``: a whole number of at least ``lo`` (else a usage error naming the option)."""
    import argparse

    def parse(v: str) -> int:
        try:
            n = int(v)
        except ValueError:
            n = None
        if n is None or n < lo:
            raise argparse.ArgumentTypeError(f"needs a whole number of at least {lo}, got {v!r}")
        return n

    return parse


MIN_TILE = 32  # px: two patches of the bundled model's encoder (16 px, 96 px input) a side; CLIP's are 14


def tile_size(v: str) -> int:
    """An argparse ``type`` for ``--tile``: a whole number of at least ``MIN_TILE`` px. ``--tile 1`` was
    taken: it cut a 712 x 557 DOTA scene into 396,584 one-pixel windows, each an image the encoder scales
    up to its input, under one patch. ``256x128`` is refused as no size, said to be one: tiles are square."""
    import argparse
    import re

    try:
        n = int(v)
    except ValueError:
        wxh = re.fullmatch(r"\s*\d+\s*[xX×*,]\s*\d+\s*", v)  # 256x128: "no tile size" said not why
        square = " (tiles are square: one size, not width x height)" if wxh else ""
        raise argparse.ArgumentTypeError(f"needs a tile size, a whole number of px of at least {MIN_TILE}, "
                                         f"got {v!r}{square}") from None
    if n < MIN_TILE:
        raise argparse.ArgumentTypeError(
            f"a tile of {n} px is too small: give at least {MIN_TILE} px (each tile is a record image, scaled to "
            f"the encoder's input; DOTA's devkit cuts 1024 px tiles), or leave --tile out")
    return n


def fraction(v: str) -> float:
    """An argparse ``type``: a number from 0 to 1."""
    import argparse

    try:
        x = float(v)
    except ValueError:
        x = None
    if x is None or not 0 <= x <= 1:
        raise argparse.ArgumentTypeError(f"needs a number from 0 to 1, got {v!r}")
    return x


def add_max_nodata(p) -> None:
    """``--max-nodata``, the share of a window's pixels (a tile's, or an untiled image's) a GeoTIFF may hold no data
    at before it gets no record (``tiling.mostly_void``), for every converter that tiles."""
    from data_gen.tiling import MOSTLY

    p.add_argument("--max-nodata", type=fraction, default=MOSTLY, metavar="FRACTION",
                   help=f"give no record to an image or tile over this share nodata (default {MOSTLY:g}; 1 keeps every one "
                        "holding some data, e.g. a chip at the edge of a SpaceNet area whose objects lie in its data)")


def check_tiling(tile: int | None, overlap: int | None) -> None:
    """``--overlap`` (None: not given) needs ``--tile`` and must be at most half of it; ConversionError
    otherwise (without ``--tile`` nothing is tiled, and the overlap was ignored without a word; past
    half, windows start every few pixels and every pixel is written into many tiles:
    ``--tile 1024 --overlap 1000`` cuts a 20000 px DOTA-v2 scene into over 600,000 tiles of 1024 px)."""
    if overlap is not None and not tile:
        raise ConversionError(f"--overlap {overlap} is given without --tile: nothing is tiled "
                              "(add --tile SIZE, or leave --overlap out)")
    if tile and overlap is not None and overlap >= tile:
        raise ConversionError(f"--overlap {overlap} must be smaller than --tile {tile}")
    if tile and overlap is not None and 2 * overlap > tile:
        step = tile - overlap
        raise ConversionError(
            f"--overlap {overlap} is over half of --tile {tile}: windows would start every {step} px and each "
            f"pixel would be written into up to {(-(-tile // step)) ** 2} tiles; --overlap is the pixels neighbouring "
            f"tiles share, not the step (DOTA's devkit: --tile 1024 --overlap 200)")


def within_limit(out, items, desc: str, unit: str):
    """``Output.bar``'s ``items`` under ``out.limit`` (``--limit N``): as many as are left of it, the rest
    noted in ``unit``, the word for one item (``"label file"``: what was counted, not the images they name)."""
    import itertools

    from rsvlm.progress import counted

    room = max(0, out.limit - out.taken)
    if not hasattr(items, "__len__"):  # a stream (none of the converters' today): read no further than the limit
        def stream():
            it = iter(items)
            for item in itertools.islice(it, room):
                out.taken += 1
                yield item
            if next(it, None) is not None:
                out.left_out += 1
                out.note(f"--limit {out.limit}: {desc} read its first {counted(room, unit)}, the rest unread")
        return stream()
    kept = list(itertools.islice(items, room))
    out.taken += len(kept)
    if rest := len(items) - len(kept):
        out.left_out += rest
        out.note("inputs_left_out_by_limit", rest, f"--limit {out.limit}: {desc} read {len(kept)} of "
                                                    f"{counted(len(items), unit)}")
    return kept
