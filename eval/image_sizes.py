"""The ground truth's ``meta.width`` × ``meta.height`` against its images' own sizes, where the image files are
reachable (under ``--image-root``, else beside the ground truth, as ``rsvlm eval`` reads them): predicted
``objects`` are pixels, read against meta's size as the reference is, so a meta that is not the image's (images
resized after the set was made, a hand edit) scores another tool's pixel objects, in the image's own pixels, in the
wrong place."""

from __future__ import annotations

from pathlib import Path

from eval.counts import counted, their
from eval.inputs import Item, ScoreError


def header_size(path: Path) -> tuple[int, int] | str:
    """(width, height) of an image file from its header, read as rsvlm reads it (a GDAL archive member or subdataset
    name too: was gated on ``is_file()``, which such names are not); else why not, in the reader's words."""
    from rsvlm.io.image import image_size

    try:
        return image_size(path)
    except (ValueError, OSError) as e:  # ImageReadError is a ValueError
        return str(e) or f"not readable: {path}"


def file_size(path: Path) -> tuple[int, int] | None:
    """(width, height) of an image file from its header; None where it is not there or cannot be read."""
    return got if isinstance(got := header_size(path), tuple) else None


SAMPLE = 100  # records read at most, spread evenly over the set: a header each (~3-5 ms a GeoTIFF via rasterio)


def mismatches(items: list[Item], root: Path) -> tuple[int, list[str]]:
    """(records whose images were found, "ID: meta WxH, image FILE WxH" for each whose meta size is not an image's),
    of the records whose predictions give ``objects`` (the pixels scored), at most ``SAMPLE`` of them spread evenly
    over the set; each image's file, or its band files' finest (the grid rsvlm reads the coarser ones onto: a
    Sentinel-2 stack's 60 m B01 first was said to be no image of meta's size), read against ``root`` where
    relative, and each file once (a scene asked of by many records). Was every record's header: 500 GeoTIFF records
    spent 2.7 s of a 3.8 s detection run."""
    from rsvlm.data.records import image_paths

    sizes: dict[Path, tuple[int, int] | None] = {}
    checked, out = 0, []
    for it in _sample(items):
        w, h = it.record["meta"]["width"], it.record["meta"]["height"]
        try:
            images = image_paths(it.record, root)
        except (KeyError, TypeError):  # an image without a path: the records reader's to refuse
            continue
        found = []
        for files in images:
            for f in files:
                if f not in sizes:
                    sizes[f] = file_size(f)
            if read := [(f, sizes[f]) for f in files if sizes[f]]:
                found.append(max(read, key=lambda fs: fs[1][0] * fs[1][1]))
        checked += bool(found)
        if bad := next(((f, s) for f, s in found if s != (int(w), int(h))), None):
            f, (iw, ih) = bad
            out.append(f"{it.id}: meta {int(w)}x{int(h)}, image {f} {iw}x{ih}"
                       + (" (meta.width and meta.height swapped?)" if (ih, iw) == (int(w), int(h)) else ""))
    return checked, out


def _sizable(it: Item) -> bool:
    """Whether ``it``'s prediction gives ``objects`` and its record a numeric meta size and images."""
    meta = it.record.get("meta") or {}
    from eval.regions import is_number

    return (it.pred is not None and it.pred.get("objects") is not None and bool(it.record.get("images")) and all(
        is_number(meta.get(k)) for k in ("width", "height")))


def _sample(items: list[Item]) -> list[Item]:
    """The records ``mismatches`` reads, ``SAMPLE`` at most, evenly spread (a set resized whole shows in any)."""
    able = [it for it in items if _sizable(it)]
    step = len(able) / SAMPLE
    return able if len(able) <= SAMPLE else [able[int(i * step)] for i in range(SAMPLE)]


def image_root(args) -> tuple[Path, str]:
    """The folder the records' relative image paths start from, and it in words: ``--image-root`` (as rsvlm eval was
    given it; a set whose images lie elsewhere had no note), else the ``--gt`` file's, where rsvlm eval reads them."""
    if args.image_root:
        return Path(args.image_root), f"under --image-root {args.image_root}"
    return Path(args.gt).parent, "beside the ground truth"


def _size_of(record: dict, root: Path, sizes: dict[Path, tuple[int, int] | str]
             ) -> tuple[tuple[int, int], tuple[int, int] | None] | str:
    """(width, height) of ``record``'s first image whose header reads (its band files' finest, the grid rsvlm reads
    them onto), read under ``root`` (``sizes``: each file's, read once), and another image's size where it differs
    (a change pair's after image: which grid the reference is on is then unknown), else None; or why no image reads."""
    from rsvlm.data.records import image_paths

    try:
        images = image_paths(record, root)
    except (KeyError, TypeError):  # an image without a path
        return "no image named"
    got = []
    for files in images:
        for f in files:
            if f not in sizes:
                sizes[f] = header_size(f)
        read = [sizes[f] for f in files if isinstance(sizes[f], tuple)]
        got.append(max(read, key=lambda s: s[0] * s[1]) if read else sizes[files[0]])
    if not (sized := [g for g in got if isinstance(g, tuple)]):
        return got[0] if got else "no image named"
    return sized[0], next((g for g in sized[1:] if g != sized[0]), None)


def _has_size(rec: dict) -> bool:
    """Whether ``rec``'s meta gives a width and a height (what they are is ``answers.image_size``'s to check)."""
    meta = rec.get("meta") if isinstance(rec.get("meta"), dict) else {}
    return meta.get("width") is not None and meta.get("height") is not None


def with_sizes(records: list[dict], args) -> tuple[list[dict], int, list[str]]:
    """``records`` whose ``meta`` lacks ``width`` or ``height`` (rsvlm eval answers them: it reads the image) take their
    image's size, read under ``image_root(args)``; those whose image cannot be read either are left out. Returns the
    records kept, how many were left out, and notes naming both (a ScoreError where none is left). A meta size that
    is there but wrong (0, text) stays ``answers.image_size``'s error, naming its record."""
    from rsvlm.progress import bar

    root, where = image_root(args)
    sizes: dict[Path, tuple[int, int] | str] = {}  # each file's header read once (_size_of)
    kept, filled, left, differ, half = [], [], [], [], []
    n = sum(not _has_size(r) for r in records)  # each a header read: ~3-5 ms a GeoTIFF, a minute for 10,000 records
    for rec in bar(records, desc="image sizes", unit="record", disable=n < 500, leave=False):
        if _has_size(rec):
            kept.append(rec)
        elif isinstance(got := _size_of(rec, root, sizes), tuple):
            (w, h), other = got
            meta = rec["meta"] if isinstance(rec.get("meta"), dict) else {}
            # a meta of one size: was counted with the rest, which key lacked (and the given one replaced) unsaid
            if given := next(((k, meta[k], v) for k, v in (("width", w), ("height", h)) if meta.get(k) is not None),
                             None):
                k, was, now = given
                half.append(f"{rec['id']}: no meta.{'height' if k == 'width' else 'width'}, meta.{k} {was!r} "
                            + ("kept" if was == now else f"replaced by the image's {now}"))
            rec["meta"] = {**meta, "width": w, "height": h}
            kept.append(rec)
            filled.append(rec["id"])
            if other:  # a pair of two sizes (data_gen's converters refuse one): scored at the first's, said
                differ.append(f"{rec['id']}: {w}x{h}, then {other[0]}x{other[1]}")
        else:
            left.append(f"{rec['id']} ({got})")

    def unsized(outcome: str) -> str:
        return (f"{counted(len(left), 'record', 'has/have')} no meta.width/meta.height and no image file readable {where} (first: "
                f"{left[0]}): {their(len(left))} geometry cannot be put in pixels, {outcome}; give {their(len(left))} meta sizes, or "
                f"--image-root the folder {their(len(left))} images are under")

    if left and not kept:
        raise ScoreError(f"{args.gt}: {unsized('so none can be scored')}")
    pairs = (f"; {len(differ)} of them {'has' if len(differ) == 1 else 'have'} images of two sizes (first: {differ[0]}), scored at the first's: a "
             f"reference drawn on the other's grid scores in the wrong place, so give {their(len(differ))} meta sizes") if differ else ""
    pairs += (f"; {len(half)} of them {'gives' if len(half) == 1 else 'give'} one of the two (first: {half[0]}): give both" if half else "")
    notes = [f"{counted(len(filled), 'record', 'has/have')} no meta.width/meta.height and {'is' if len(filled) == 1 else 'are'} scored at {their(len(filled))} image's size, read "
             f"{where} (first: {filled[0]}){pairs}"] if filled else []
    return kept, len(left), notes + ([unsized(f"so {their(len(left), 'it is/they are')} left out of every score")] if left else [])


def size_note(items: list[Item], root: Path, where: str = "beside the ground truth") -> str | None:
    """A note naming the records whose ``meta.width`` × ``meta.height`` is not their image file's size, their images
    read under ``root`` (``where``, in words); None where none is (or no image file is reachable)."""
    checked, bad = mismatches(items, root)
    if not bad:
        return None
    n = sum(map(_sizable, items))
    of = f" (an even sample of the {n} whose predictions give objects)" if n > SAMPLE else ""
    return (f"{len(bad)} of the {counted(checked, 'record')}{of} whose images were found {where} {'gives' if len(bad) == 1 else 'give'} a "
            f"meta.width x meta.height other than the image's (first: {bad[0]}): predicted 'objects' are pixels "
            "read against meta's size, as the reference is, so objects in the image's own pixels (another tool's) "
            "score in the wrong place; write the images' sizes into meta for them (rsvlm eval's objects are in meta's "
            "pixels and score right as they are: answer again after such an edit)")


if __name__ == "__main__":  # python -m eval.image_sizes: no command line; say so, and which scripts have one
    from eval.__main__ import library_main

    raise SystemExit(library_main("image_sizes"))
