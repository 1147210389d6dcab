"""LEVIR-CD change triples (before A, after B, binary label) → ``[change]`` records.

``--src`` is a LEVIR-CD split folder with ``A/``, ``B/`` and ``label/`` holding same-named
files, or one flat folder with ``NAME_A.png``, ``NAME_B.png`` and ``NAME_label.png`` (any case: ``NAME_LABEL.PNG``). A
dataset root whose split folders hold ``A/ B/ label/`` is an error naming the ``--src`` to give. Per pair
(or tile) two records with both images in time order:

* description: the number of changed regions (4-connected components of the label) and the
  changed share of the image, e.g. "3 building areas changed, covering 13.7% of the image." (of its
  labelled pixels where a 0/1 label's 255 leaves some void: "… of the labelled part of the image."; of those A and B
  hold data at where a GeoTIFF's nodata leaves some out: "… of the part of the image with data.") —
  LEVIR-CD labels do not say built or demolished, so neither does the text; "No change." when
  the label is empty;
* segmentation (label not empty): polygons of the changed areas, traced by
  ``rsvlm.geometry.mask_to_objects`` (``--form``/``--budget`` as in ``masks``).

A label is binary as LEVIR-CD ships it: 0 for no change and one other value (255, or 1) for
change. A label with more values (saved as JPEG, whose compression blurs 0/255 into 0…255, or
resampled) is thresholded at half its range, so that the noise is not change, and counted in the notes as
``labels_not_binary``; a 0/1 label's 255 is void (``label_pixels_ignored_255``), codes and instance ids give
every non-zero value for change, and a photo given as the label (an A or B image: it was thresholded into
"changes", unsaid) is ``label_not_a_mask``, naming the file and the share seen (``data_gen.convert.binmask``
says how each is told). A pair or tile over half of whose label is void gets no record (it was "No change."
of pixels nobody labelled), counted in the notes as ``windows_mostly_void``; pixels where a GeoTIFF A or B holds no
data are void alike, a window over half of them (``--max-nodata``) counted as ``windows_mostly_nodata``, and change
the label draws there is left out (``pairs_with_change_over_nodata``). A PNG or JPEG A or B with a black or white
collar is noted as ``images_with_constant_border`` (``collar.note_border``), each image once; one not looked at
(over 2**22 px and not decoded whole by the tiler) as ``images_not_looked_at_for_a_collar``.

Pairs without a label (an ``A`` image no label names) get no record and are counted in the notes
as ``images_without_label``; a ``B`` image neither a label nor an ``A`` image names, as
``b_images_without_a_or_label``. Bad inputs: ``missing_image`` (A or B absent), ``size_mismatch`` (A, B
and label not of one size), ``grid_mismatch`` (georeferenced A and B, a GeoTIFF or a PNG with a
sidecar, in different CRSs or with different transforms: their pixels are not the same places,
and a change mask over them means nothing), ``unreadable_image`` (A or B cannot be read to its end, as
in every converter), ``unreadable_label``, and ``wrong_band_count`` for an image
that cannot be read as ``--modality`` (``images.check_bands``). A pair of which only one image is
georeferenced is converted, counted in the notes as ``pairs_georeferenced_on_one_side``.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from data_gen import crop
from data_gen.convert.binmask import NotAMask, photo_of_image
from data_gen.convert.collar import note_border
from data_gen.convert.common import (
    IMAGE_EXTS,
    ConversionError,
    Output,
    first_of,
    make_meta,
    make_record,
    one_image,
    pick,
)
from data_gen.convert.filters import class_name
from data_gen.convert.images import WrongBands, check_bands, image_size
from data_gen.convert.labelread import read_binary_label
from data_gen.convert.lookup import by_lower_case, in_any_case, note_unlabelled
from data_gen.convert.masks import add_shape_arguments, seg_records, trace
from data_gen.convert.mostmissing import unlabelled_said
from data_gen.convert.options import check_tiling
from data_gen.crop import cropper, georef, tile_suffix
from data_gen.tiling import (
    MOSTLY,
    mostly_void,
    nodata_mask,
    note_near_copies,
    tile_progress,
    tile_windows,
)

DESCRIBE = ("What changed between the two images?", "Describe the changes from the first image to the second.",
            "Compare the two images and describe what changed.")
SEGMENT = ("Segment the {c} areas that changed.", "Outline every changed {c} area.",
           "Where did {c}s change between the two images?")


def add_arguments(p) -> None:
    p.add_argument("--src", required=True, type=Path, help="folder with A/ B/ label/, or flat *_A/_B/_label files")
    p.add_argument("--label", default="building", type=class_name, help="what the change mask marks")
    add_shape_arguments(p, "the change mask")


def find_triples(src: Path) -> list[tuple[str, Path | None, Path | None, Path]]:
    """(name, A, B, label) per label image; A or B None when absent. Files that are not images (a
    GDAL sidecar ``x.png.aux.xml``) are neither labels nor A or B images. Flat names are matched in any
    case (``T1_LABEL.PNG``, ``T1_a.png``: a dataset renamed on Windows was "no LEVIR-CD label files"), but
    where two labels differ only in case (``x``, ``X``: a case-sensitive disk) each takes its own case only
    (``X`` took ``x``'s A image, a pair of images that are no pair, unsaid)."""
    if (src / "label").is_dir():
        a, b = _stems(src / "A"), _stems(src / "B")
        labels = [(p.stem, p) for p in sorted((src / "label").iterdir()) if _image(p)]
        twice = _cased_twice(name for name, _ in labels)
        return [(name, _same(src / "A", p.name, a, name.lower() in twice),
                 _same(src / "B", p.name, b, name.lower() in twice), p) for name, p in labels]
    here = _stems(src)
    labels = [(p.stem[: -len("_label")], p) for p in sorted(src.iterdir())
              if _image(p) and p.stem.lower().endswith("_label")]
    twice = _cased_twice(name for name, _ in labels)
    return [(name, _first(here, f"{name}_A", name.lower() in twice), _first(here, f"{name}_B", name.lower() in twice),
             p) for name, p in labels]


def _cased_twice(names) -> set[str]:
    """The lower-case names among ``names`` that come in two cases or more (``x``, ``X``)."""
    cases: dict[str, set[str]] = {}
    for name in names:
        cases.setdefault(name.lower(), set()).add(name)
    return {low for low, seen in cases.items() if len(seen) > 1}


def _stems(folder: Path) -> dict[str, list[Path]]:
    """Lower-case stem → the images of ``folder`` of that stem, sorted (``by_lower_case``); empty where it is no
    folder. (A glob of the stem took ``[`` in ``tile [1]_A.png`` for a pattern, and matched case as given.)"""
    return by_lower_case((p for p in sorted(folder.iterdir()) if _image(p)), stem=True) if folder.is_dir() else {}


def _same(folder: Path, name: str, stems: dict[str, list[Path]], exact: bool = False) -> Path | None:
    p = folder / name
    return p if p.is_file() else _first(stems, Path(name).stem, exact)


def _first(stems: dict[str, list[Path]], stem: str, exact: bool = False) -> Path | None:
    """The image of ``stems`` (``_stems``) named ``stem``, of that case first (``x_A.png`` before ``x_A.tif``);
    else, unless ``exact``, the one name of another case (``T1_a.png`` for ``T1_A``), none where two differ."""
    return in_any_case(stems, stem, stem=True, exact=exact)


def _image(p: Path) -> bool:
    return p.is_file() and p.suffix.lower() in IMAGE_EXTS


def grid_difference(a: Path, b: Path, ga: dict, gb: dict, out: Output) -> str | None:
    """What differs between the pixel grids ``ga``, ``gb`` (``georef``) of images ``a`` and ``b`` of one
    size (CRS, or a transform coefficient by over a thousandth of a pixel), else None. A pair of which
    only one image is georeferenced cannot be compared: counted in the notes as
    ``pairs_georeferenced_on_one_side``."""
    if not ga or not gb:
        if ga or gb:
            out.note("pairs_georeferenced_on_one_side")
        return None
    return crop.grid_difference(ga, gb, f"A {a.name}", f"B {b.name}")


def describe(mask, label: str, void=None, nodata=None) -> str:
    """Change text from a bool mask (H, W): region count and changed share, of the pixels neither ``void`` (H, W)
    bool, unlabelled (a 0/1 label's 255: they counted as unchanged, 10% change over a half-void label was said 5%),
    nor ``nodata`` (H, W) bool, where A or B holds no data, marks: "of the labelled part of the image", "of the part
    of the image with data" (a Landsat collar is no unlabelled part), or both."""
    from scipy import ndimage

    _, n = ndimage.label(mask)
    if n == 0:
        return "No change."
    import numpy as np

    unlabelled, empty = (m is not None and bool(m.any()) for m in (void, nodata))
    left = [m for m, some in ((void, unlabelled), (nodata, empty)) if some]  # (H, W) bool each
    share = 100.0 * int(mask.sum()) / (mask.size - (int(np.logical_or.reduce(left).sum()) if left else 0))
    where = ("the labelled part of the image with data" if unlabelled and empty else "the labelled part of the image"
             if unlabelled else "the part of the image with data" if empty else "the image")
    return f"{n} {label} area{'s' if n > 1 else ''} changed, covering {share:.1f}% of {where}."


def _note_lone_afters(src: Path, befores: list[Path], used: list[Path], out: Output) -> None:
    """Count the B images that neither a label nor an A image names (``B/x.png`` alone, ``x_B.png`` without
    ``x_A`` or ``x_label``) in ``out``'s notes as ``b_images_without_a_or_label``: left out unsaid, where an A
    image without a label is counted (``images_without_label``)."""
    flat = not (src / "label").is_dir()
    afters = out.drop_macos_metadata(sorted(p for p in src.iterdir() if p.stem.lower().endswith("_b")) if flat
                                     else sorted((src / "B").glob("*.*")) if (src / "B").is_dir() else [])
    pair = {(p.stem[:-2] if flat else p.stem).lower() for p in befores}  # x_A and x_B (B/x and A/x) are a pair
    taken = {p.resolve() for p in used}
    lone = [p for p in afters if _image(p) and p.resolve() not in taken
            and (p.stem[:-2] if flat else p.stem).lower() not in pair]
    if lone:
        out.note("b_images_without_a_or_label", len(lone), first_of(lone))


def _nodata(a: Path, b: Path):
    """(H, W) bool: the pixels where the GeoTIFF A or B holds no data (``tiling.nodata_mask``), None where neither
    has any. A window over half of them gets no record (``windows_mostly_nodata``: a Landsat pair's collar was
    "No change."), and the changed share is of the others."""
    import numpy as np

    masks = [m for m in (nodata_mask(a), nodata_mask(b)) if m is not None and m.any()]
    return np.logical_or.reduce(masks) if masks else None


def run(args, out: Output) -> None:
    check_tiling(args.tile, args.overlap)
    src = Path(args.src)
    if not src.is_dir():
        raise ConversionError(f"{src}: not a folder")
    triples = [t for t in find_triples(src) if out.drop_macos_metadata([t[3]])]  # not ._x_label.png (a Mac's zip)
    if not triples:
        splits = sorted(d.name for d in src.iterdir() if (d / "label").is_dir())
        raise ConversionError(f"{src}: no LEVIR-CD label files (label/ or *_label.*)" + (
            f"; its folders {', '.join(splits)} hold A/ B/ label/: give one of them as --src, "
            f"once per split (--src {src / splits[0]})" if splits else "")
            + unlabelled_said([p for d in (src / "A", src / "B", src) if d.is_dir() for p in d.iterdir() if _image(p)
                               and (d != src or p.stem.lower().endswith(("_a", "_b")))], src, "label file",
                              out.progress))
    befores = out.drop_macos_metadata(sorted((src / "A").glob("*.*")) if (src / "label").is_dir() else
                                      sorted(p for p in src.iterdir() if p.stem.lower().endswith("_a")))
    note_unlabelled(out, {str(p): p for p in befores if _image(p)}, [a for _, a, _, _ in triples if a])
    _note_lone_afters(src, befores, [b for _, _, b, _ in triples if b], out)
    for name, a, b, lab in out.bar(triples, "levir-cd", "pair"):
        if a is None or b is None:
            out.missing_image(str(lab), f"{'A' if a is None else 'B'}/{name}.*" if (src / "label").is_dir()
                              else f"{name}_{'A' if a is None else 'B'}.*", src, "--src")
            continue
        mark = out.mark()  # the notes of a pair then skipped (labels_not_binary) are taken back with it
        try:
            # (H, W) as read: compared with A and B where not two values; (H, W) bool; void (H, W) bool or None
            raw, mask, void = read_binary_label(lab, out)
        except NotAMask as e:  # a photo given as the label was thresholded into "changes", unsaid
            out.skip("label_not_a_mask", str(lab), str(e))
            continue
        except ConversionError as e:
            out.skip("unreadable_label", str(lab), str(e))
            continue
        try:
            at = a  # the image skipped: a truncated B was skipped at the label's path, naming B
            (wa, ha) = image_size(a, out)
            check_bands(a, args.modality)
            at = b
            (wb, hb) = image_size(b, out)
            check_bands(b, args.modality)
        except ConversionError as e:  # the key every converter counts an unreadable image under
            out.take_back(mark)
            out.skip("wrong_band_count" if isinstance(e, WrongBands) else "unreadable_image", str(at), str(e))
            continue
        if not ((wa, ha) == (wb, hb) == mask.shape[::-1]):
            out.take_back(mark)
            out.skip("size_mismatch", str(lab), f"A {wa}x{ha}, B {wb}x{hb}, label {mask.shape[1]}x{mask.shape[0]} px")
            continue
        if why := photo_of_image(raw, [a, b], void):  # A or B stretched or darkened: it passed as a mask of changes
            out.take_back(mark)
            out.skip("label_not_a_mask", str(lab), why)
            continue
        geo = {"A": georef(a), "B": georef(b)}  # read once: compared here, carried by an untiled pair's records
        if (why := grid_difference(a, b, geo["A"], geo["B"], out)) is not None:
            out.take_back(mark)
            out.skip("grid_mismatch", str(lab), why)
            continue
        width, height = wa, ha
        nodata = _nodata(a, b)  # (H, W) bool or None: pixels A or B holds no data at, where no change can be seen
        if nodata is not None:  # left out as a 0/1 label's void is: no change drawn there (it made shares over 100%)
            if (mask & nodata).any():
                out.note("pairs_with_change_over_nodata")
                mask = mask & ~nodata
        windows = tile_windows(width, height, args.tile, args.overlap or 0)
        tiled = len(windows) > 1  # --tile just under the pair's size: near copies, said; over it: kept whole, said
        with one_image(out, "unreadable_image", str(lab)) as at, contextlib.ExitStack() as stack:  # each decoded once
            note_near_copies(out, windows, args.overlap or 0, lab.name, args.tile)  # a pair counted once, by its label
            crops = {}
            for tag, p in (("A", a), ("B", b)) if tiled else ():
                at[0] = str(p)  # skipped at the image that does not decode, not at the label
                crops[tag] = stack.enter_context(cropper(p))
            for tag, p in (("A", a), ("B", b)) if args.modality == "optical" else ():
                note_border(out, p, getattr(crops.get(tag), "image", None))  # a collar, read as unchanged land
            for win in tile_progress(windows, name, out.progress):
                subvoid, subnodata = (None if v is None else v[win.y0:win.y1, win.x0:win.x1] for v in (void, nodata))
                if mostly_void(subnodata, args.max_nodata):  # "No change." of pixels nobody saw
                    out.note("windows_mostly_nodata")
                    continue  # a label's void alone, or with nodata past --max-nodata's share of it (default: both 0.5)
                if mostly_void(subvoid) or (subvoid is not None and subnodata is not None
                                            and mostly_void(subvoid | subnodata, max(MOSTLY, args.max_nodata))):
                    out.note("windows_mostly_void")  # of pixels nobody labelled (some of them maybe nodata)
                    continue
                sub = mask[win.y0:win.y1, win.x0:win.x1]
                images = []
                for tag, p in (("A", a), ("B", b)):
                    at[0] = str(p)
                    if not tiled:
                        rel, extra = out.copy_image(p, f"{name}_{tag}{p.suffix}"), geo[tag]
                    else:
                        dst, rel = out.image_path(f"{name}_{win.x0}_{win.y0}_{tag}{tile_suffix(p)}")
                        extra = crops[tag](win, dst)  # a GeoTIFF tile's CRS and transform
                    images.append({"path": rel, "modality": args.modality, **extra})
                if tiled:
                    out.note("tiles")
                meta = make_meta("LEVIR-CD", lab.name, win.width, win.height, win.as_list())
                rid = f"levir-{name}" + (f"-{win.x0}-{win.y0}" if tiled else "")
                said = describe(sub, args.label, subvoid, subnodata)
                out.add(make_record(f"{rid}-describe", images, [(pick(DESCRIBE, rid), said)], "change", meta))
                if sub.any():
                    seg_records(out, trace(out, {args.label: sub}, args.form, args.budget, lab.name,
                                                (win.x0, win.y0)), rid=rid, images=images,
                                meta=meta, task="change", questions=SEGMENT)
                else:
                    out.note("pairs_without_change")
