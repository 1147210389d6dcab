"""Pascal VOC / DIOR XML → ``[det]`` and ``[ground]`` records.

``--src`` holds the ``.xml`` files (searched recursively, any case of ``.xml``; a name several
sub-folders hold, as DIOR's ``Horizontal`` and ``Oriented Bounding Boxes`` do, is counted in the notes as
``same_xml_name_in_folders: A + B``, its records' ids renamed ``-dup2``), ``--images`` the images (default:
the sibling ``JPEGImages*`` folders, else those beside ``--src``'s folder, as DIOR's
``Annotations/Oriented Bounding Boxes`` has ``JPEGImages-trainval`` and ``JPEGImages-test``, all of them; else ``--src``). The image is the XML's ``<filename>``, else the
XML's stem with any image extension. Box forms per object:

* ``<bndbox>``: VOC's 1-based inclusive pixel indices, converted to pixel edges
  ``[xmin - 1, ymin - 1, xmax, ymax]`` (so a one-pixel box is one pixel wide);
* ``<robndbox>`` with ``x_left_top … y_left_bottom`` (DIOR-R): the 4 corners as given (``<obb>``);
* ``<robndbox>`` with ``cx cy w h angle`` (roLabelImg, angle in radians; one over 2π, degrees, is an
  ``unparsable_object``, and so is every such box of its file, whose angles under 2π are degrees too):
  corners from ``rsvlm.geometry.rbox_to_quad``.

Messages name an object by its place among the file's ``<object>`` elements, from 1 as DOTA's and RSIVQA's line
numbers are, and its ``<name>``: ``a.xml: object 2 (ship)`` is the second (it was ``object 1``).

Tags in an XML namespace (``<annotation xmlns="…">``) are read as the same tags without it.

A file whose objects include oriented boxes gives oriented and horizontal ``[det]`` records.
Objects with ``<difficult>1</difficult>`` (or ``true``/``yes``, any case; absent, empty, ``0``,
``false``, ``no``: not difficult; another value is an ``unparsable_object``) are kept and flagged: each record whose answer holds
one lists its indices in ``meta["difficult"]`` (see ``data_gen.convert.detection``), which
``eval.detection`` uses as VOC's evaluation does; those some record holds are counted in the
notes as ``difficult_objects``. ``--skip-difficult`` leaves them out instead, counted per class under
``filtered`` (``--skip-difficult: ship``): no bad annotation, so not under ``skipped`` and never raised by ``--strict``.
``<truncated>``, ``<pose>`` and ``<occluded>`` are not read (no record or score uses them).
Boxes are placed on the image file's own size; where the XML's ``<size>`` names another one
(annotated on a resized copy, or on a photo turned by its EXIF orientation, which readers ignore)
the file is counted in the notes as ``xml_size_differs_from_image`` (``…_swapped`` when width and
height are exchanged), since its boxes may not fit. Objects of the classes ``--classes`` leaves out
(matched whatever the case and ``-``/``_``/spaces) are no error: counted apart, per class, under
``filtered`` (``--classes: ship``); a name no object has is counted in the notes as ``--classes NAME:
no annotation of this class``. Bad annotations: ``unparsable_xml``,
``unparsable_object`` (missing or non-numeric box), ``non_finite_coordinates`` (``nan``, ``inf``), ``degenerate`` (no area,
or a ``<bndbox>`` whose ``xmax``/``ymax`` lies before its min: not reordered, as ``llava`` skips a swapped GeoChat box
and ``coco`` a negative ``bbox`` width), ``missing_image``,
``unreadable_image`` (truncated or not an image), ``wrong_band_count`` (cannot be read as
``--modality``). Images under ``--images`` no XML names are counted in the notes as
``images_without_label``; those whose XML holds no object are not read
(``images_without_objects_not_read``). An image that XML files of different names name (``a.xml`` and
its copy ``a_copy.xml``) gives the records of each, counted in the notes as ``images_named_by_several_xml``.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from pathlib import Path

from data_gen.convert.common import ConversionError, Output, clean_label, files_with_suffix
from data_gen.convert.detection import (
    add_det_arguments,
    det_options,
    emit_objects,
    nothing_to_write,
    unchecked,
    under_a_pixel,
)
from data_gen.convert.filters import class_filter
from data_gen.convert.images import readable_size
from data_gen.convert.lookup import find_image, index_images, note_unlabelled
from data_gen.convert.mostmissing import unlabelled_said, warn_most_missing
from data_gen.tiling import finite_coords
from rsvlm.progress import counted
from rsvlm.tokens import MODALITIES

DIOR_R_KEYS = ("x_left_top", "y_left_top", "x_right_top", "y_right_top",
               "x_right_bottom", "y_right_bottom", "x_left_bottom", "y_left_bottom")


def add_arguments(p) -> None:
    p.add_argument("--src", required=True, type=Path, help="folder of VOC/DIOR .xml annotations")
    p.add_argument("--images", type=Path, default=None, help="image folder")
    p.add_argument("--classes", default="",
                   help="comma-separated allowed classes ('' = any); case, '-', '_' and spaces do not matter")
    p.add_argument("--skip-difficult", action="store_true",
                   help="leave difficult objects out (default: keep them, flagged in meta.difficult)")
    p.add_argument("--modality", default="optical", choices=MODALITIES, help="modality of every image (default: optical)")
    add_det_arguments(p)


def _num(el, tag: str) -> float:
    """The number in ``el``'s child ``tag``; ValueError naming the tag where it is absent or empty (it
    was "'NoneType' object has no attribute 'text'")."""
    text = el.findtext(tag)
    if text is None or not text.strip():
        raise ValueError(f"no <{tag}> in <{el.tag}>")
    return float(text)


def degrees_angle(root) -> str | None:
    """The first ``<robndbox>`` ``<angle>`` of an XML that is over 2π (degrees, not roLabelImg's radians), or None.
    One such angle says the file's tool wrote degrees: its angles under 2π (a ship at 3°) are degrees too."""
    for rb in root.iter("robndbox"):
        try:
            if abs(a := float(rb.findtext("angle") or "nan")) > 2 * math.pi:
                return f"{a:g}"
        except ValueError:  # not a number: parse_object says so for its object
            continue
    return None


def parse_object(obj, get_rbox_to_quad, degrees: str | None = None):
    """(kind, coords) of one ``<object>``; raises ValueError / AttributeError when malformed. ``degrees``: an angle
    of the file over 2π (``degrees_angle``), which makes every ``cx cy w h angle`` box of it unreadable."""
    rb = obj.find("robndbox")
    if rb is not None:
        if rb.find("x_left_top") is not None:
            v = [_num(rb, k) for k in DIOR_R_KEYS]
            return "obb", [[v[i], v[i + 1]] for i in range(0, 8, 2)]
        cx, cy, w, h, a = (_num(rb, k) for k in ("cx", "cy", "w", "h", "angle"))
        if abs(a) > 2 * math.pi:  # roLabelImg's angle is in [0, π): 45 was turned by 45 rad, unsaid
            raise ValueError(f"<angle>{a:g}</angle> is over 2π: <robndbox> angles are radians, not degrees")
        if degrees is not None:  # 3 (degrees) was read as 3 rad beside the 45 refused: that box turned unsaid
            raise ValueError(f"<angle>{a:g}</angle> of a file whose angles are degrees (its <angle>{degrees}</angle> "
                             "is over 2π): <robndbox> angles are radians")
        return "obb", get_rbox_to_quad()(cx, cy, w, h, math.degrees(a))
    bb = obj.find("bndbox")
    if bb is None:  # it was "'NoneType' object has no attribute 'find'"
        raise ValueError("no <bndbox> or <robndbox>")
    x1, y1, x2, y2 = (_num(bb, k) for k in ("xmin", "ymin", "xmax", "ymax"))
    return "box", [x1 - 1, y1 - 1, x2, y2]


TRUE_FALSE = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False, "": False}


def _difficult(obj) -> bool | None:
    """Whether ``<difficult>`` says so: ``1``/``0`` as VOC writes it, ``true``/``false`` (any case) as some
    tools do (``true`` read as not difficult before); absent or empty: not; None for another value."""
    return TRUE_FALSE.get((obj.findtext("difficult") or "").strip().lower())


def _xml_size(root) -> tuple[int, int] | None:
    """(width, height) from ``<size>``, or None where it is absent, zero or not a number."""
    try:
        w, h = (int(float(root.findtext(f"size/{k}") or 0)) for k in ("width", "height"))
    except ValueError:
        return None
    return (w, h) if w > 0 and h > 0 else None


def _under_a_pixel(kind: str, c) -> bool:
    if kind == "box":
        return max(0.0, c[2] - c[0]) * max(0.0, c[3] - c[1]) < 1.0
    return under_a_pixel(c)  # a DIOR-R quad's corners in crossed order are still its corners


def note_shared_names(out: Output, src: Path, files: list[Path]) -> None:
    """Count in the notes, per set of sub-folders, the XML names that more than one sub-folder of ``src``
    holds (DIOR's ``Horizontal Bounding Boxes`` and ``Oriented Bounding Boxes`` annotate the same images
    under the same names): their records share ids, renamed ``-dup2`` (``--strict``: refused) where the
    note ``duplicate_ids_renamed`` alone did not say why."""
    folders: dict[str, set[str]] = {}
    for p in files:
        folders.setdefault(p.stem, set()).add(p.parent.relative_to(src).as_posix())
    for where in (sorted(f) for f in folders.values() if len(f) > 1):
        out.note(f"same_xml_name_in_folders: {' + '.join(where)} (one image annotated twice? --src one of them)")


def note_named_twice(out: Output, src: Path, named: dict[Path, list[Path]]) -> None:
    """Count in the notes the images that XML files of different names name (``a.xml`` and a copy
    ``a_copy.xml``): each gave records of its own, one image trained on twice, maybe with different
    answers, unsaid. DIOR's same-named XML in two folders is ``note_shared_names``'."""
    twice = {im: xs for im, xs in named.items() if len({x.stem for x in xs}) > 1}
    if twice:
        out.note("images_named_by_several_xml", len(twice))
        image, xmls = next(iter(twice.items()))
        out.note(f"first image named by several XML: {image.name} by "
                 f"{' + '.join(x.relative_to(src).as_posix() for x in xmls)}")


def default_image_dirs(src: Path) -> list[Path]:
    """The ``JPEGImages*`` folders beside ``src``, else beside its folder (DIOR's ``Annotations/Oriented
    Bounding Boxes`` has ``JPEGImages-trainval`` and ``JPEGImages-test`` two up), all of them; else ``src``.
    Files of that name (the downloaded ``.zip``) are passed over where a folder is there."""
    for parent in (src.parent, src.parent.parent):
        if cands := sorted(parent.glob("JPEGImages*")):
            return [c for c in cands if c.is_dir()] or cands[:1]  # a .zip alone: "a file, not an image folder"
    return [src]


def run(args, out: Output) -> None:
    def rbox():
        from rsvlm.geometry import rbox_to_quad

        return rbox_to_quad

    opts = det_options(args)  # a usage error before any work
    src = Path(args.src)
    if not src.is_dir():
        raise ConversionError(f"{src}: not a folder")
    image_dirs = [args.images] if args.images is not None else default_image_dirs(src)
    image_dir = " + ".join(str(d) for d in image_dirs)  # named by missing_image
    index = index_images(image_dirs, out, every := {})  # DIOR's JPEGImages-trainval and -test: the first alone left half missing
    allowed = class_filter(args.classes)
    files = [p for p in files_with_suffix(src, ".xml", out=out)  # 00001.XML too
             if not p.name.lower().endswith(".aux.xml")]  # not GDAL's sidecars
    if not files:
        txt = files_with_suffix(src / "labelTxt" if (src / "labelTxt").is_dir() else src, ".txt", recursive=False)
        raise ConversionError(f"{src}: no .xml files" + (  # a DOTA folder given to voc said no more
            f"; it holds {counted(len(txt), '.txt file')} ({txt[0].name}): if they are DOTA labelTxt files, python -m "
            f"data_gen convert dota --src {src} reads them" if txt else "")
            + unlabelled_said([p for ps in every.values() for p in ps], image_dir, ".xml file", out.progress))
    note_shared_names(out, src, files)
    named: dict[Path, list[Path]] = {}  # the images some XML names, and which
    missing, read = [], 0  # the images XML files name that are not found; the XML files parsed
    for path in out.bar(files, "voc", "XML file"):  # "image": dota's "read 1 of 2 images" counted its label files
        try:
            root = ET.parse(path).getroot()
        except ET.ParseError as e:  # "no element found: line 1, column 0" for an empty file
            out.skip("unparsable_xml", str(path), "empty file" if not path.read_bytes().strip() else str(e))
            continue
        read += 1
        for el in root.iter():  # <annotation xmlns="…">: its {ns}object tags were none, the image "without objects"
            el.tag = el.tag.rsplit("}", 1)[-1] if isinstance(el.tag, str) else el.tag
        objects, degrees = [], degrees_angle(root)
        for k, obj in enumerate(root.iter("object"), 1):  # from 1, as dota's and rsivqa's line numbers: 1 is the first
            name = (obj.findtext("name") or "").strip()
            where = f"{path}: object {k}" + (f" ({name})" if name else "")
            if not name:
                out.skip("unparsable_object", where, "no <name>")
                continue
            if allowed is not None and allowed.leaves_out(name, out, where):
                continue
            difficult = _difficult(obj)
            if difficult is None:
                out.skip("unparsable_object", where, f"<difficult>{obj.findtext('difficult')}</difficult>: "
                                                     "not 0/1 or true/false")
                continue
            if difficult and args.skip_difficult:  # the user's choice, no bad object: counted apart, never raised
                out.filter("--skip-difficult", clean_label(name))
                continue
            try:
                kind, coords = parse_object(obj, rbox, degrees)
            except (ValueError, AttributeError, TypeError) as e:
                out.skip("unparsable_object", where, f"bad box: {e}")
                continue
            if not finite_coords({"coords": coords}):  # nan / inf: "degenerate" by the comparisons below
                out.skip("non_finite_coordinates", where, f"{kind} {coords}")
                continue
            if _under_a_pixel(kind, coords) or kind == "box" and (coords[2] <= coords[0] or coords[3] <= coords[1]):
                swapped = kind == "box" and (coords[2] < coords[0] + 1 or coords[3] < coords[1] + 1)  # xmax < xmin
                out.skip("degenerate", where, f"{kind} {coords}" + (": xmax or ymax before xmin or ymin" if swapped else ""))
                continue
            o = {"kind": kind, "label": clean_label(name), "coords": coords, "src": where}
            if difficult:
                o["difficult"] = True
            objects.append(o)
        fname = (root.findtext("filename") or "").strip()
        image = find_image(index, fname, out) if fname else None
        image = image or find_image(index, path.stem, out)
        if image is None:
            out.missing_image(str(path), fname or f"{path.stem}.*", image_dir, "--images" if args.images else None)
            missing.append(fname or f"{path.stem}.*")
            unchecked(out, objects, "missing")  # lost with it: counted, as an unreadable image's are
            continue
        named.setdefault(image, []).append(path)
        if nothing_to_write(out, objects, str(path)):
            continue
        size = readable_size(image, out, str(image), args.modality)
        if size is None:
            unchecked(out, objects)  # their lines' problems that need its size: unknown
            continue
        width, height = size
        if (said := _xml_size(root)) and said != (width, height):
            out.note("xml_size_differs_from_image" + ("_swapped" if said == (height, width) else ""))
        forms = ("obb", "box") if any(o["kind"] == "obb" for o in objects) else ("box",)
        emit_objects(out, rid=f"voc-{path.stem}", source="VOC", file=path.relative_to(src).as_posix(), image=image, width=width,
                     height=height, objects=objects, opts=opts, modality=args.modality, forms=forms)
    if not out.left_out:  # --limit: the images unread XML files name are unknown, not unlabelled
        note_unlabelled(out, index, list(named))
    note_named_twice(out, src, named)
    warn_most_missing(out, len(missing), read, "XML file", missing, image_dir,
                      "the images of every XML file under --src", "--images" if args.images else None)
    if allowed is not None:
        allowed.note_unmatched(out, "XML file")
