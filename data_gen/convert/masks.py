"""Image + label-mask datasets (LoveDA, iSAID, Potsdam, detectree, HRSID …) → ``[seg]`` records.

``--images`` and ``--labels`` are folders, or two files that pair as given; a label pairs with
the image of the same stem, after removing ``--label-suffix`` (in any case; default: any of ``_mask``, ``_label``, ``_labels``,
``_response``, ``_gt``, ``_instance_color_RGB``), or of that stem plus ``_img``, ``_image``, ``_sat`` or ``_rgb``
(detectree's ``X_img.tif`` / ``X_response.tif``, DeepGlobe's ``1_sat.jpg`` / ``1_mask.png``). Where images and labels
share one folder, only files with a label suffix are labels. The class map is ``--palette FILE`` (YAML or
JSON, UTF-8 or UTF-16 as Windows Notepad saves "Unicode": ``{class: value}`` where value is a grey level or ``[r, g, b]``, plus an optional
``_ignore: [values]``) or a ``--preset`` (below). Pixels of ignored values (background, no-data;
value 0 / black unless a class claims it) are not objects; pixels whose value is in no map are
``unknown_label_value`` (counted per image and value, or raised under ``--strict``); a colour label
under a palette of grey levels is ``unreadable_label``, named as such; a palette label's transparent
pixels (alpha 0) and those under a GeoTIFF's mask band are no class, whatever colour they hide
(``label_pixels_transparent``, in the notes; a pixel also at its GeoTIFF nodata value is counted there
alone, not again as ``label_pixels_nodata``). With
``--binary CLASS`` a mask of 0 and one other value marks CLASS where it is not 0; a 0/1 mask with 255 has 255
as void (an indexed mask whose grey palette has black at an index other than 0 is read by its greys, a
transparent pixel, alpha 0, of a PNG or a GeoTIFF alpha band, is no class, a colour GeoTIFF mask read by its brightest band);
codes and instance ids give every non-zero value; a noisy or resampled mask is thresholded, and a
photo given as the label is ``label_not_a_mask`` (``data_gen.convert.binmask`` says how each is told).

Per image (or tile) and class present: one ``[seg]`` record whose answer is
``rsvlm.geometry.mask_to_objects(class_mask, class, form, budget)`` encoded (``--form poly``,
``grid`` or ``both``). Polygons are the codec's simplified traces of the mask, so decoding gives
those polygons back within one bin, not the mask pixel for pixel (the tests report the IoU); one
under a bin wide or high is left out (``instances_smaller_than_a_bin``, in the notes). A grid is one
``<mask>`` per class whose cells the budget may make coarser than a pixel: a cell is on when half its
pixels are, so an instance under half a cell (a one-pixel speck) can vanish from it. Such instances
are counted in the notes as ``instances_lost_in_grid`` and the grid is written as the codec makes it
(dropping them first would shrink the budget, ``budget`` x instances, and lose more; a larger
``--budget`` or ``--form poly`` keeps them).
Pixels where a GeoTIFF image holds no data (its nodata value, mask band or alpha: ``tiling.nodata_mask``) are no
class: what the label draws there is left out, counted per class in pixels (``class_pixels_over_nodata: CLASS``) and
instances wholly there (``objects_over_nodata: CLASS``), the image once (``images_with_class_over_nodata``:
``masknotes.over_nodata``), and a window over half of them (``--max-nodata``) gets no record (``windows_mostly_nodata``,
``tiling.mostly_void``: the rule of ``levir-cd`` and the detection formats). A PNG or JPEG declares no nodata: a black
or white collar joining its edge is read as ground, noted as ``images_with_constant_border`` (``collar.note_border``)
with its pixels and how to declare it nodata (one not looked at: ``images_not_looked_at_for_a_collar``). Labels giving no record, none holding a class, are said with their
values and the class map's (``masknotes.no_class_said``: ``--preset loveda`` on a 0/1 mask).
Tiles crop image and mask alike: segmentation needs no border rule. A window with no class
present gets no record (counted in the notes as ``empty_images``); the image of a label none of
whose windows has one is not decoded (``images_without_objects_not_read``, not
``empty_images``): its header alone is read, a size unlike the label's skipped as ``size_mismatch``; its bytes go
unchecked, as no record would come of it.

Images under ``--images`` that no label pairs with get no record and are counted in the notes as
``images_without_label`` (a test split without masks is no error). Bad inputs: ``missing_image``
(a label without its image), ``size_mismatch``, ``grid_mismatch`` (a georeferenced label raster on another
CRS or transform than its georeferenced image, as ``levir-cd`` says of a pair), ``unreadable_image`` (an image that cannot be read to its
end: the key every converter uses), ``unreadable_label`` (a label mask that cannot be read), and
``wrong_band_count`` for an image that cannot be read as ``--modality`` (``images.check_bands``).
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

from data_gen.convert.binmask import NotAMask, photo_of_image
from data_gen.convert.collar import note_border
from data_gen.convert.common import ConversionError, Output, make_meta, make_record, one_image, pick
from data_gen.convert.detection import label_problem
from data_gen.convert.filters import class_name
from data_gen.convert.images import WrongBands, check_bands, image_size
from data_gen.convert.labelread import read_binary_label, read_label
from data_gen.convert.lookup import every_image
from data_gen.convert.masknotes import no_class_said, over_nodata
from data_gen.convert.maskpairs import (
    LABEL_SUFFIXES,
    less_suffix,
    no_suffix_hint,
    pair_files,
)
from data_gen.convert.mostmissing import unlabelled_said, warn_most_missing
from data_gen.convert.options import add_max_nodata, check_tiling, int_at_least, tile_size
from data_gen.convert.text import read_json, text_codec
from data_gen.crop import cropper, georef, grid_difference, tile_suffix
from data_gen.tiling import (
    mostly_void,
    nodata_mask,
    note_near_copies,
    tile_progress,
    tile_windows,
)
from rsvlm.tokens import MODALITIES

# class -> label value; None-valued classes are ignored pixels. Checked against: LoveDA's README
# (0 no-data, 1 background, 2 building … 7 agriculture); the ISPRS Potsdam legend; for iSAID, the RGB
# colours of its ``*_instance_color_RGB.png`` as mmsegmentation's iSAID converter reads them (PIL, RGB
# order; a BGR reader would see ship as (63, 0, 0)); HRSID as the masks in ../shared/realdata.
PRESETS: dict[str, dict[str, object]] = {
    "loveda": {"no-data": None, "background": None, "building": 2, "road": 3, "water": 4,
               "barren": 5, "forest": 6, "agriculture": 7},
    "potsdam": {"impervious surface": [255, 255, 255], "building": [0, 0, 255], "low vegetation": [0, 255, 255],
                "tree": [0, 255, 0], "car": [255, 255, 0], "clutter": [255, 0, 0]},
    "isaid": {"ship": [0, 0, 63], "storage tank": [0, 63, 63], "baseball diamond": [0, 63, 0],
              "tennis court": [0, 63, 127], "basketball court": [0, 63, 191], "ground track field": [0, 63, 255],
              "bridge": [0, 127, 63], "large vehicle": [0, 127, 127], "small vehicle": [0, 0, 127],
              "helicopter": [0, 0, 191], "swimming pool": [0, 0, 255], "roundabout": [0, 191, 127],
              "soccer ball field": [0, 127, 191], "plane": [0, 127, 255], "harbor": [0, 100, 155]},
    "hrsid": {"ship": [0, 255, 0]},
}
IGNORED_BY_DEFAULT = {"loveda": [0, 1], "potsdam": [], "isaid": [], "hrsid": []}  # plus black (0)
SEG = ("Segment every {c}.", "Outline every {c} in the image.", "Give the outline of each {c} area.")
GRID = " Answer with a grid mask."


def add_arguments(p) -> None:
    p.add_argument("--images", required=True, type=Path, help="image folder or file")
    p.add_argument("--labels", required=True, type=Path, help="label-mask folder or file")
    p.add_argument("--label-suffix", default=None, help="suffix of label stems (default: common ones)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--palette", type=Path, help="YAML/JSON {class: grey value or [r, g, b]}")
    g.add_argument("--preset", choices=sorted(PRESETS), help="built-in class map")
    g.add_argument("--binary", metavar="CLASS", type=class_name,
                   help="non-zero pixels are CLASS (0/1 or 0/255 masks; others, e.g. JPEG, thresholded at half range)")
    add_shape_arguments(p, "each mask")


def add_shape_arguments(p, what: str) -> None:
    """The options of how masks (``what``: "each mask", levir-cd's "the change mask") are written and tiled, shared by
    ``masks`` and ``levir-cd``: ``--form``, ``--budget``, ``--tile``, ``--overlap``, ``--modality``, ``--max-nodata``."""
    p.add_argument("--form", choices=("poly", "grid", "both"), default="poly",
                   help=f"how {what} is written: polygons, a run-length grid, or a record of each")
    p.add_argument("--budget", type=int_at_least(8), default=None, help="location tokens per answer (codec default)")
    p.add_argument("--tile", type=tile_size, default=None, help="cut images larger than this into tiles of this size (at least 32 px)")
    p.add_argument("--overlap", type=int_at_least(0), default=None,
                   help="tile overlap in pixels, at most half of --tile, only with it (default 0)")
    p.add_argument("--modality", default="optical", choices=MODALITIES, help="modality of every image (default: optical)")
    add_max_nodata(p)


def load_palette(args) -> tuple[dict[str, object], list]:
    """(class → value, ignored values) from ``--palette`` / ``--preset`` / ``--binary``."""
    if args.binary:
        return {args.binary: "nonzero"}, [0]
    if args.preset:
        table = PRESETS[args.preset]
        ignored = list(IGNORED_BY_DEFAULT[args.preset])
    elif args.palette:
        if args.palette.suffix.lower() in (".yaml", ".yml"):
            import yaml

            try:
                data = args.palette.read_bytes()  # UTF-8 (not the locale's: C is ASCII), or Notepad's UTF-16
                table = yaml.safe_load(data.decode(text_codec(data)))
            except (OSError, UnicodeDecodeError, yaml.YAMLError) as e:
                raise ConversionError(f"{args.palette}: cannot read palette ({e})") from e
        else:
            table = read_json(args.palette)
        if not isinstance(table, dict):
            raise ConversionError(f"{args.palette}: expected a mapping class → value")
        ignored = []
    else:
        raise ConversionError("masks: give --palette, --preset or --binary")
    table = dict(table)
    ignored += list(table.pop("_ignore", None) or [])
    classes = {str(c): v for c, v in table.items() if v is not None}
    if not classes:  # every pixel was then an unknown value, the run "no records written"
        raise ConversionError(f"{args.palette}: no class in the palette")
    checked: dict = {}
    for c in classes:  # "<ref>" was the codec's traceback at the first record; "_" a label of no word
        if (why := label_problem(c if re.search(r"[^\W_]", c) else "", checked)) is not None:
            raise ConversionError(f"{args.palette}: class {c!r}: {why}")
    rgb = any(isinstance(v, list) for v in classes.values())
    for c, v in [*classes.items(), *(("_ignore", v) for v in ignored)]:
        if not _label_value(v, rgb):
            want = "[r, g, b] (0-255)" if rgb else "a grey level (whole number from 0)"
            raise ConversionError(f"{args.palette}: {c}: {v!r} is not {want}; one palette is all grey "
                                  "levels or all [r, g, b]")
    seen: dict[str, str] = {}  # value → the class that has it: two classes of one value both got its pixels
    for c, v in classes.items():
        if (first := seen.setdefault(repr(v), c)) != c or v in ignored:
            raise ConversionError(f"{args.palette}: {c}: {v!r} is also "
                                  + (f"{first}'s value" if first != c else "under _ignore") + "; one value, one class")
    black = [0, 0, 0] if rgb else 0
    if black not in classes.values() and black not in ignored:
        ignored.append(black)
    return classes, ignored


def _label_value(v, rgb: bool) -> bool:
    """A grey level (int >= 0) or, in an RGB palette, ``[r, g, b]`` of 0-255 ints."""
    def level(x):
        return isinstance(x, int) and not isinstance(x, bool) and x >= 0

    return (isinstance(v, list) and len(v) == 3 and all(level(x) and x <= 255 for x in v)) if rgb else level(v)


def _unclaimed(nodata: float | list, classes: dict, rgb: bool) -> bool:
    """Whether a palette label's GeoTIFF nodata value is no class's (a class claiming it keeps it): under an
    [r, g, b] palette its colour, the colormap's ``[r, g, b]`` where ``read_label`` read one, else (v, v, v)."""
    colour = nodata if isinstance(nodata, list) else [nodata] * 3
    return (colour if rgb else nodata) not in list(classes.values())


def unknown_values(label, classes: dict[str, object], ignored: list, out: Output, where: str, void=None) -> set:
    """Count each value of ``label`` (H, W) or (H, W, 3) that no class claims nor is ignored, once
    per label image (it was once per tile, an overlapped pixel twice) as ``unknown_label_value``; pixels of
    ``void`` (H, W) bool (transparent ones) are none. Returns every value the label holds off ``void`` (grey levels,
    or (r, g, b) tuples), empty under ``--binary`` (``masknotes.no_class_said`` says them)."""
    import numpy as np

    if "nonzero" in classes.values():
        return set()  # --binary: every value but 0 is the class
    rgb = label.ndim == 3
    flat = label.reshape(-1, 3) if rgb else label.reshape(-1)
    if void is not None:
        flat = flat[~void.reshape(-1)]
    packed = rgb and flat.dtype == np.uint8  # one uint32 per colour: np.unique of rows is many times slower
    if packed:
        flat = (flat[:, 0].astype(np.uint32) << 16) | (flat[:, 1].astype(np.uint32) << 8) | flat[:, 2]
    values, counts = np.unique(flat, axis=0 if rgb and not packed else None, return_counts=True)
    known = {tuple(v) if isinstance(v, list) else v for v in (*classes.values(), *ignored)}
    keys = [(v >> 16, (v >> 8) & 255, v & 255) if packed else tuple(v) if rgb else v for v in values.tolist()]
    binary = not rgb and len(keys) == 2 and 0 in keys  # LEVIR-CD's 0/255 under --preset loveda: say what reads it
    for key, n in zip(keys, counts.tolist()):
        if key not in known:
            out.skip("unknown_label_value", where, f"value {key} on {n} pixels"
                     + (f"; a mask of 0 and {key} alone is read by --binary CLASS" if binary else ""))
    return set(keys)


def class_masks(label, classes: dict[str, object], void=None) -> dict:
    """class → bool mask (H, W) for the classes present in ``label`` (H, W) or (H, W, 3), none on ``void``
    (H, W) bool where given (a palette label's transparent pixels)."""
    import numpy as np

    rgb = label.ndim == 3
    masks = {}
    for c, v in classes.items():
        if v == "nonzero":
            m = (label != 0) if not rgb else np.any(label != 0, axis=-1)
        else:
            m = np.all(label == np.asarray(v), axis=-1) if rgb else (label == v)
        if void is not None:
            m &= ~void
        if m.any():
            masks[c] = m
    return masks


def trace(out: Output, masks: dict, form: str, budget: int | None, where: str = "",
          origin: tuple[int, int] = (0, 0)) -> list[tuple[str, str, list[dict]]]:
    """(class, form, objects) per class of ``masks`` and form (``--form both``: poly and grid), by
    ``rsvlm.geometry.mask_to_objects``. A polygon under one bin of the codec's 1000-bin grid wide or
    high is left out, counted in the notes as ``instances_smaller_than_a_bin`` (a one-pixel speck in
    a 3000 px image was written ``<poly><loc_2><loc_2>…</poly>``, a polygon of no area), and a class
    with nothing left as ``classes_too_small_to_trace``. Traced before the image is written, so that
    an image or tile with nothing to trace is not written (it was, and no record named it). ``where`` (the label
    file) and ``origin`` (the window's x0, y0 in it) name the first instance lost in a grid in ``notes_examples``."""
    from data_gen.convert.detection import collapses
    from rsvlm import geometry

    kw = {} if budget is None else {"budget": budget}
    traced = []
    for c, m in masks.items():
        h, w = m.shape
        for f in ("poly", "grid") if form == "both" else (form,):
            objs = geometry.mask_to_objects(m, c, form=f, **kw)
            kept = [o for o in objs if o["kind"] != "poly" or not collapses(o, w, h)]
            if len(kept) < len(objs):
                out.note("instances_smaller_than_a_bin", len(objs) - len(kept))
            if f == "grid" and (lost := lost_in_grid(m, objs, origin))[0]:
                out.note("instances_lost_in_grid", lost[0], f"{where}: {c}, {lost[1]}" if where else f"{c}, {lost[1]}")
            if kept:
                traced.append((c, f, kept))
            else:
                out.note("classes_too_small_to_trace")
    return traced


def lost_in_grid(mask, objs: list[dict], origin: tuple[int, int] = (0, 0)) -> tuple[int, str]:
    """How many 4-connected instances of ``mask`` (H, W) have no pixel in the grid ``objs``
    (``mask_to_objects(form="grid")``) decode to: specks under half a cell of a grid whose cells the
    budget makes coarser than a pixel (6 one-pixel gaps of detectree's non-tree mask at budget 32); and where the
    first (in ``instances``' order) lies, in px of the label (``origin``: the window's x0, y0), "" where none."""
    import numpy as np

    from rsvlm.geometry.masks import instances, objects_to_mask

    h, w = mask.shape
    lab, n = instances(mask)  # (H, W) int32, 0 = none
    hit = np.bincount(lab[objects_to_mask(objs, w, h)], minlength=n + 1)[1:]  # (n,) decoded pixels per instance
    if not (lost := np.flatnonzero(hit == 0)).size:
        return 0, ""
    ys, xs = np.nonzero(lab == lost[0] + 1)
    (x0, x1), (y0, y1) = ((int(a.min()) + o, int(a.max()) + o) for a, o in ((xs, origin[0]), (ys, origin[1])))
    at = f"x {x0}" + (f"-{x1}" if x1 > x0 else "") + f", y {y0}" + (f"-{y1}" if y1 > y0 else "")
    return int(lost.size), f"an instance of {ys.size} px at {at}, lost from the grid"


def seg_records(out: Output, traced: list[tuple[str, str, list[dict]]], *, rid: str, images: list[dict],
                meta: dict, task: str = "seg", questions=SEG) -> None:
    """One record per (class, form) of ``trace``'s output; the ``images`` list is given whole."""
    from rsvlm import geometry

    for c, f, objs in traced:
        answer = geometry.encode(objs, width=meta["width"], height=meta["height"])
        key = f"{rid}-{c.replace(' ', '_')}-{f}"
        q = pick(questions, key).format(c=c) + (GRID if f == "grid" else "")
        out.add(make_record(key, images, [(q, answer)], task, meta))


def run(args, out: Output) -> None:
    import numpy as np

    from rsvlm.io.large import header_size

    check_tiling(args.tile, args.overlap)
    classes, ignored = load_palette(args)
    rgb = any(isinstance(v, list) for v in classes.values())
    pairs = pair_files(Path(args.images), Path(args.labels), args.label_suffix, out, beside := {}, twins := {})
    if not pairs:
        images = Path(args.images)
        raise ConversionError(f"{args.labels}: no label images" + no_suffix_hint(images, Path(args.labels), args.label_suffix)
                              + ("" if images.resolve() == Path(args.labels).resolve() else unlabelled_said(
                                  every_image(images, out) if images.is_dir() else [images] * images.is_file(),
                                  images, "label image", out.progress)))
    no_class: set = set()  # the values of labels holding no class: said where no record comes of any
    missing, read = [], 0  # the images of labels not found; the labels read
    for image, lab in out.bar(pairs, "masks", "label image"):  # one per label, its image found or not
        read += 1
        if image is None and lab in twins:  # X.png and x.png: which is X_MASK's is not guessed
            out.skip("image_name_case_ambiguous", str(lab), f"its image could be any of {', '.join(map(str, twins[lab]))}, "
                     "names differing only in case: rename all but one")
            continue
        if image is None:
            suffixes = [args.label_suffix] if args.label_suffix else LABEL_SUFFIXES
            missing.append(f"{(stem := less_suffix(lab.stem, suffixes) or lab.stem)}.*")
            near = f"; its image {beside[lab.parent, stem]} lies beside it, in --labels" if (lab.parent, stem) in beside \
                else ""
            out.missing_image(str(lab), missing[-1], args.images, hint=near)
            continue
        mark = out.mark()  # the notes of a label then skipped with its image (labels_not_binary) go with it
        try:
            if args.binary:  # raw (H, W) as read: compared with the image where it passed as a mask of 3+ values
                raw, mask, void = read_binary_label(lab, out)
                label = mask.astype("uint8")  # (H, W) 0/1
            else:  # a transparent pixel (alpha 0) is no class, whatever colour it hides: void, counted
                label = read_label(lab, rgb, grey_levels=True, out=out, voids=(clear := []), nodata_at=(nodata := []),
                                   levels=None if rgb else {*classes.values(), *ignored})
                void = np.logical_or.reduce(clear) if clear else None  # (H, W) every void: alpha's, a mask band's
                if void is not None:
                    out.note("label_pixels_transparent", int(void.sum()))
                if nodata and _unclaimed(nodata[0][0], classes, rgb):  # its declared nodata: no class, not unknown
                    # (H, W) a pixel both transparent and at nodata is counted once, as transparent
                    own = nodata[0][1] if void is None else nodata[0][1] & ~void
                    void = nodata[0][1] if void is None else void | nodata[0][1]
                    if n := int(own.sum()):
                        out.note("label_pixels_nodata", n)
        except NotAMask as e:  # a photo thresholded into class pixels; it was a traceback-free "success"
            out.skip("label_not_a_mask", str(lab), str(e))
            continue
        except ConversionError as e:
            out.skip("unreadable_label", str(lab), str(e))
            continue
        height, width = label.shape[:2]
        windows = tile_windows(width, height, args.tile, args.overlap or 0)  # the image's, once sizes agree
        # which windows hold a class; their masks are made again one window at a time (kept for
        # every window, a large scene's tiles held a scene's worth of masks per class at once)
        present = [bool(class_masks(label[w.y0:w.y1, w.x0:w.x1], classes, _at(void, w))) for w in windows]
        if not any(present):  # nothing to write: the image's header alone is read, its pixels not decoded
            if (head := header_size(str(image))) and head[:2] != (width, height):  # it passed unchecked, unsaid
                out.take_back(mark)
                out.skip("size_mismatch", str(lab), f"label {width}x{height} px, image {head[0]}x{head[1]} px")
                continue
            no_class |= unknown_values(label, classes, ignored, out, str(lab), void)  # (empty under --binary)
            out.note("images_without_objects_not_read")
            continue
        try:
            size = image_size(image, out)  # read to its end: a truncated image is caught here, not in training
            check_bands(image, args.modality)
        except ConversionError as e:
            out.take_back(mark)
            out.skip("wrong_band_count" if isinstance(e, WrongBands) else "unreadable_image", str(lab), str(e))
            continue
        if size != (width, height):  # it said 'label (120, 170) vs image (120, 175)': rows first, unsaid
            out.take_back(mark)
            out.skip("size_mismatch", str(lab), f"label {width}x{height} px, image {size[0]}x{size[1]} px")
            continue
        if (geo := georef(image)) and (on := georef(lab)) and (why := grid_difference(geo, on, "image", "label")):
            out.take_back(mark)  # a label raster on another grid: its classes drawn on other places, unsaid
            out.skip("grid_mismatch", str(lab), f"{image.name}: {why}")
            continue
        if args.binary and (why := photo_of_image(raw, [image], void)):  # the image stretched or darkened: it passed
            out.take_back(mark)
            out.skip("label_not_a_mask", str(lab), why)
            continue
        nodata = nodata_mask(image)  # (H, W) bool or None: the image's fill, where no class can be seen
        if nodata is not None and nodata.any():
            over_nodata(out, class_masks(label, classes, void), nodata)  # left out: a class drawn on fill taught fill is it
            void = nodata if void is None else void | nodata
            present = [bool(class_masks(label[w.y0:w.y1, w.x0:w.x1], classes, _at(void, w))) for w in windows]
        unknown_values(label, classes, ignored, out, str(lab), void)
        if empty := present.count(False):
            out.note("empty_images", empty)
        tiled = len(windows) > 1  # --tile just under the image's size: near copies, said; over it: kept whole, said
        with one_image(out, "unreadable_image", str(lab)), \
                cropper(image) if tiled else contextlib.nullcontext() as crop:  # a PNG decoded once, not per tile
            note_near_copies(out, windows, args.overlap or 0, image.name, args.tile if any(present) else None)
            if args.modality == "optical":  # a PNG's collar: its classes read as ground; or why not looked at
                note_border(out, image, getattr(crop, "image", None))
            for win, has in zip(tile_progress(windows, image.name, out.progress), present):
                if not has:
                    continue
                if mostly_void(_at(nodata, win), args.max_nodata):  # its records would say only where data is
                    out.note("windows_mostly_nodata")
                    continue
                traced = trace(out, class_masks(label[win.y0:win.y1, win.x0:win.x1], classes, _at(void, win)),
                               args.form, args.budget, lab.name, (win.x0, win.y0))
                if not traced:  # every class too small to trace: nothing to write the image for
                    out.note("empty_images")
                    continue
                if not tiled:
                    rel, extra = out.copy_image(image), geo
                else:
                    dst, rel = out.image_path(f"{image.stem}_{win.x0}_{win.y0}{tile_suffix(image)}")
                    extra = crop(win, dst)
                    out.note("tiles")
                images = [{"path": rel, "modality": args.modality, **extra}]
                meta = make_meta("masks", lab.name, win.width, win.height, win.as_list())
                rid = f"seg-{image.stem}" + (f"-{win.x0}-{win.y0}" if tiled else "")
                seg_records(out, traced, rid=rid, images=images, meta=meta)
    warn_most_missing(out, len(missing), read, "label image", missing, args.images,
                      "the images of every label under --labels")
    if no_class and not out.tasks and not args.binary:  # "no records written (1 images_without_objects_not_read)"
        out.note(no_class_said(args, classes, ignored, no_class))


def _at(void, win):
    """``void`` (H, W) bool or None cut to the window ``win``."""
    return None if void is None else void[win.y0:win.y1, win.x0:win.x1]
