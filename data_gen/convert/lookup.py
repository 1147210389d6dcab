"""Images found by name: every image under a folder indexed by file name and stem (``index_images``), an
annotation's name looked up in it (``find_image``, ``in_any_case``), and the images no annotation named counted
(``note_unlabelled``). Moved from ``common`` (its names still import from there). Cannot: tell apart two images
of one name in sub-folders (the first in sort order is taken, counted)."""

from __future__ import annotations

import re
from pathlib import Path

from data_gen.convert.common import IMAGE_EXTS, ConversionError, Output, first_of

FLAT_MASK = 0.5  # share of pixels in a 2x2 block of one value under which a file named as a mask is a photo
TEXTURED = 0.02  # share of a JPEG's 8x8 blocks of one level (dark or bright) not flat over which it is a photo
DIM = 0.5  # share of a JPEG's 8x8 blocks of neither level with no pixel over 127 over which it is a photo
SATURATED = 0.05  # share of a colour JPEG's pixels of a pure colour (a band over 223, another under 32) making it a label
PALETTE = 0.5  # share of such a JPEG's pixels whose every band is under 32 or over 223 that it needs too
MANY_PIXEL_CHECKS = 200  # files named as masks over which their pixels are read under a bar (1000 took 2.9-3.7 s)
MASK_NAME = re.compile(r"(.+?)[_-](?:pixels|masks?|labels?|gt|response|seg|instance_color_rgb)\d*", re.IGNORECASE)
# a label image's stem: its image's stem (group 1) plus a mask suffix, numbered or not (SIRST's _pixels0)


def index_images(folder: Path | list[Path], out: Output | None = None,
                 every: dict[str, list[Path]] | None = None) -> dict[str, Path]:
    """File name and stem → path for every image under ``folder`` (recursive), or under each of a list of
    folders in turn (DIOR's ``JPEGImages-trainval`` and ``-test``); a folder that
    does not exist raises ``ConversionError`` (else every image would be counted missing). A name
    found in several sub-folders maps to the first in sort order, counted in ``out``'s notes as
    ``ambiguous_image_names`` (annotations name files, not folders); ``every``, where given, is filled
    with file name → all its paths. Files in ``out``'s own folder,
    where ``--out`` lies under ``folder``, are not indexed (``Output.inputs_under``)."""
    folders = list(folder) if isinstance(folder, list | tuple) else [folder]
    for f in folders:
        if not Path(f).is_dir():
            raise ConversionError(f"{f}: " + ("a file, not an image folder" if Path(f).exists() else "no such image folder"))
    index: dict[str, Path] = {}
    files = [p for f in folders
             for p in (out.inputs_under(f) if out is not None else sorted(q for q in Path(f).rglob("*") if q.is_file()))]
    for p in files:
        if p.suffix.lower() in IMAGE_EXTS:
            if p.name in index and out is not None:
                out.note("ambiguous_image_names")
            index.setdefault(p.name, p)
            index.setdefault(p.stem, p)
            if every is not None:
                every.setdefault(p.name, []).append(p)
    return index


def every_image(folder: Path | list[Path], out: Output | None = None) -> list[Path]:
    """Every image under ``folder`` (``index_images``' folders), each once: two sub-folders' ``a.png`` are two, where
    ``index_images`` keeps the first. ``out``: this run's own ``--out`` left out (a tiled run's images under ``--src``
    were counted as unlabelled); its notes are counted again, so give it only where the run then stops."""
    index_images(folder, out, every := {})
    return [p for ps in every.values() for p in ps]


def masks_beside(files, among=None) -> dict[Path, str]:
    """Of ``files`` (resolved paths), each named as an image of ``among`` (default ``files``) in its folder plus a mask
    suffix (``MASK_NAME``), with that image's name: SIRST's ``Misc_100_pixels0.png`` → ``Misc_100.png``."""
    files = list(files)
    stems = {(p.parent, p.stem.lower()): p.name for p in (files if among is None else among)}
    return {p: im for p in files if (m := MASK_NAME.fullmatch(p.stem)) and (im := stems.get((p.parent, m[1].lower())))}


def not_a_mask(path: Path, image: Path) -> str:
    """Why ``path``, named as a mask of ``image`` beside it, is an image of its own: another size than ``image``, or
    under ``FLAT_MASK`` of its pixels (of 256 x 256 at its centre, at most 1024 rows down) in a 2x2 block of one
    value, every band (the real masks of ``../shared/realdata``: 0.99-1.00, JPEG'd at quality 5-95: 0.62-1.00; its 12
    photos: 0.00-0.31, the SIRST sky 0.25, Landsat 8's band 10 0.31; the centre, as a photo's corner may be its flat
    nodata collar; not below row 1024, as a PNG's or JPEG's rows above are decoded: an 8000 px mask's centre took
    266 ms, its top 1024² 75); "" where it
    may be a mask, or either cannot be read (the name decides; 2-22 ms a pair for the real ones, 4 s for 1000 pairs of
    512 px). A JPEG under ``FLAT_MASK`` that is two levels with noise, its blocks of one level flat (``_two_levels``: a mask of dense thin lines,
    1 px roads every 4-16 px, 0-51% flat at quality 5-95) is a mask, and so is a colour JPEG of pure colours
    (``_palette_colours``). Cannot: tell a flat photo (a blank tile, a cartoon) from a mask, nor such a JPEG at
    quality 5-15 (dense lines, 16-41% mid-grey) or a colour one of small regions (Potsdam-like, 6 classes in
    blobs of some 20 px, at quality 5-50) from a photo: such a mask is counted as an image, its example saying the share."""
    from rasterio.windows import Window

    from data_gen.convert.binmask import flat_pixels, lossy_file
    from data_gen.convert.images import open_raster

    try:
        with open_raster(image) as ds:
            size = (ds.width, ds.height)
        with open_raster(path) as ds:
            if (ds.width, ds.height) != size:
                return f"{ds.width} x {ds.height} px, not the size of {image.name} ({size[0]} x {size[1]})"
            w, h = min(ds.width, 256), min(ds.height, 256)  # its centre: a photo's corner may be a flat collar
            # on a JPEG's 16 px grid (its 8 px blocks, chroma's 16), which _two_levels reads block by block
            a = ds.read(window=Window((ds.width - w) // 32 * 16, min((ds.height - h) // 2, 1024) // 16 * 16, w, h))
    except Exception:  # noqa: BLE001 - unreadable: the name decides, as before
        return ""
    if min(a.shape[1:]) < 2:
        return ""
    share = float(flat_pixels(a).mean())
    if share >= FLAT_MASK or lossy_file(path) and (_two_levels(a) or _palette_colours(a)):
        return ""
    return f"{share:.0%} of its pixels in flat 2x2 blocks, a mask's are over {FLAT_MASK:.0%}"


def _two_levels(a) -> bool:
    """Whether ``a`` ((C, H, W) 8-bit, from a JPEG, its origin on the file's 16 px grid) is a 0/255 mask's two levels
    with JPEG noise about them: under ``NOT_A_MASK`` of its values mid-grey (32…223), some over 223, and its 8x8 blocks
    wholly dark (under 32) or wholly bright (over 223) flat within 4 (``TEXTURED``): a JPEG codes each block alone, so
    a mask's block away from its edges is one value, a dark photo's is its texture. A JPEG'd mask of 1 px lines every
    4-32 px, at quality 30-95: 0-8% mid-grey (at quality 5: 13-41%), 0-51% flat, so it was counted as an image, and
    none of such blocks textured; the photos of ``../shared/realdata`` JPEG'd at quality 30-95: 26-99% mid-grey (the
    HRSID SAR image, 26-29%, with none over 223). Darkened to a night scene (x0.12-0.3) beside a bright roof, 0.7%
    over 223, they are under 15% mid-grey, and were taken for masks: 5-100% of such blocks textured. A block of neither
    level holds some of the mask's bright pixels (over 127: 0-14% of them hold none, dense 1 px dots at quality 30),
    at most ``DIM`` of them none: a SAR sea's speckle (Rayleigh, mean 15-16, with a bright ship) JPEG'd at quality
    85-95 has no block of one level, 11-15% mid-grey, and was a "mask" for want of a block to find textured (99% of
    its blocks dim)."""
    import numpy as np

    from data_gen.convert.binmask import NOT_A_MASK

    if a.dtype != np.uint8 or float(((a > 31) & (a < 224)).mean()) >= NOT_A_MASK or not (a > 223).any():
        return False
    c, h, w = a.shape
    b = a[:, :h // 8 * 8, :w // 8 * 8].reshape(c, h // 8, 8, w // 8, 8).transpose(1, 3, 0, 2, 4).reshape(h // 8, w // 8, -1)
    level = (b < 32).all(-1) | (b > 223).all(-1)  # blocks of one level: a mask's are flat
    dim = ~level & (b.max(-1) < 128)  # of both levels or mid-grey, none bright: a mask's hold its objects' pixels
    return (float(((b.max(-1) - b.min(-1)) > 4)[level].sum()) <= TEXTURED * level.sum()
            and float(dim.sum()) <= DIM * (~level).sum())


def _palette_colours(a) -> bool:
    """Whether ``a`` ((C, H, W) 8-bit, from a JPEG) is a colour label of pure colours with JPEG noise about them: at
    least ``SATURATED`` of its pixels a pure colour (a band over 223, another under 32: red, blue, yellow, cyan) and
    ``PALETTE`` of them every band under 32 or over 223. A JPEG's chroma, coded at half size, textures such a
    label's blocks (3-44% of its blocks of one colour over 4 levels apart: ``_two_levels`` refused it), so a red,
    blue or yellow mask (the real masks recoloured, blobs) and Potsdam's six colours were counted as photos at
    quality 5-95. Measured at quality 5-95: such masks 9-81% pure and 48-98% of the 0/255 levels (a Potsdam-like
    label of 20 px blobs at quality 5-50 under 50%: still a photo); the photos of ``../shared/realdata``, darkened,
    false-colour or their saturation tripled and stretched, at most 2% pure; rendered through jet, hsv or red-yellow-
    green colour maps 0-100% pure but at most 39% of the levels (``tests/test_convert_tour82d.py``). Cannot: tell a
    photo's tile half black nodata collar, its saturation x6 and stretched, from one (Landsat 7's edge windows: 14-32%
    pure, 50-60% of the levels, 17 of 43080 windows of 13 photos x 15 variants x 8 qualities: a mask)."""
    import numpy as np

    if a.dtype != np.uint8 or a.shape[0] < 3:
        return False
    b = a[:3]
    pure = (b.max(0) > 223) & (b.min(0) < 32)  # (H, W)
    levels = ((b < 32) | (b > 223)).all(0)  # (H, W)
    return float(pure.mean()) >= SATURATED and float(levels.mean()) >= PALETTE


def photos_among(masks: dict[Path, str], progress: bool = True) -> dict[Path, str]:
    """Of ``masks`` (a file → the name of its image beside it: ``masks_beside``), those ``not_a_mask`` says are
    images, in sort order, with why. Over ``MANY_PIXEL_CHECKS`` of them they are read under ``rsvlm.progress.bar``
    (``files named as masks``, counting each ``file``; none where ``progress`` is False: ``--no-progress``): 1000 pairs
    of 512 px took 2.9-3.7 s on 2 loaded cores with no word, the converter's own bar ended."""
    from rsvlm.progress import bar

    files = sorted(masks)
    shown = bar(files, desc="files named as masks", unit="file",
                disable=not progress or len(files) <= MANY_PIXEL_CHECKS)
    return {p: why for p in shown if (why := not_a_mask(p, p.parent / masks[p]))}


def note_unlabelled(out: Output, index: dict[str, Path], used) -> None:
    """Count the images of ``index`` (``index_images``) that are not among ``used`` (paths: those
    an annotation named, and any label files in the same folder) in ``out``'s notes as
    ``images_without_label``: they get no record, and were left out without a word (a label
    folder a few files short went unnoticed; a test split without labels is no error). Files are told
    apart by their folder (symlinks followed) and name: images linked to one file are several images. One whose
    name is another image's stem plus a mask suffix in the same folder (``MASK_NAME``: SIRST's
    ``Misc_100_pixels0.png`` by ``Misc_100.png``) is a mask beside its image, counted apart as
    ``masks_beside_their_images_left_out``, unless its pixels say it is an image (``not_a_mask``: an image truly
    named ``x_gt.png`` beside ``x.png`` was counted as a mask), counted then under ``images_without_label`` and
    noted as ``images_named_as_masks``, naming why (``photos_among``: many are read under a bar). Cannot: tell a photo
    that is flat (a blank tile) from a mask."""
    def key(p) -> Path:
        return Path(p).parent.resolve() / Path(p).name

    left = {key(p) for p in index.values()} - {key(p) for p in used}
    masks = masks_beside(left, map(key, index.values()))
    if photos := photos_among(masks, out.progress):
        first = next(iter(photos))
        out.note("images_named_as_masks", len(photos), f"{first}: {photos[first]}; counted as an image without label")
        masks = {p: im for p, im in masks.items() if p not in photos}
    if masks:  # SIRST's Misc_100_pixels0.png beside Misc_100.png was an "image without label"
        first = min(masks)
        out.note("masks_beside_their_images_left_out", len(masks), f"{first} (beside {masks[first]})")
    if left := left - masks.keys():  # named by the first (notes_examples): a count alone left the user to find which
        out.note("images_without_label", len(left), first_of(sorted(left)))


def find_image(index: dict[str, Path], name: str, out: Output | None = None) -> Path | None:
    """Exact file name first, then the same stem with another extension (noted). A ``name`` with folders
    (a VOC ``<filename>`` or COCO ``file_name`` of ``JPEGImages/a.jpg``, or one written on Windows,
    ``C:\\data\\a.jpg``) is looked up by its last part: the index holds file names, and a Windows path
    was ``missing_image``."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    if name in index:
        return index[name]
    hit = index.get(Path(name).stem)
    if hit is not None and out is not None:
        out.note("image_found_by_stem")
    return hit


def by_lower_case(paths, stem: bool = False) -> dict[str, list[Path]]:
    """Each of ``paths``' file name (``stem``: its stem) in lower case → those paths, in order (``in_any_case``)."""
    found: dict[str, list[Path]] = {}
    for p in paths:
        found.setdefault((p.stem if stem else p.name).lower(), []).append(p)
    return found


def in_any_case(found: dict[str, list[Path]], name: str, stem: bool = False, exact: bool = False) -> Path | None:
    """The first path of ``found`` (``by_lower_case``) named ``name``; else, unless ``exact``, the one name of another
    case (``a.PNG`` for ``a.png``: a dataset made on Windows or macOS), None where two names differ only in case."""
    hits = found.get(name.lower(), [])
    names = [p.stem if stem else p.name for p in hits]
    if name in names:
        return hits[names.index(name)]
    return hits[0] if not exact and len(set(names)) == 1 else None
