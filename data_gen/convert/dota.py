"""DOTA labelTxt → ``[det]`` (oriented and horizontal) and ``[ground]`` records.

Layout: ``--src`` is a DOTA split folder with ``images/`` and ``labelTxt/``, or one folder with
both the images and the ``.txt`` labels (a split folder whose labels are in a folder of another name, DOTA-v1.5's
``labelTxt-v1.5/DOTA-v1.5_train/``, is an error naming the ``--src`` and ``--images`` to give). A label line is ``x1 y1 x2 y2 x3 y3 x4 y4 class
[difficult]``; ``imagesource:`` and ``gsd:`` header lines are read past (a ``gsd:`` that is no number
is noted as ``unparsable_gsd``; DOTA's ``gsd:null``, no GSD known, is not). Quads
are kept as the 4 annotated corners (``<obb>``, corner order canonicalised by the codec), not
refitted to rectangles. Class names lose their hyphens (``small-vehicle`` → ``small vehicle``);
``--classes`` matches them whatever their case and whether written with ``-``, ``_`` or spaces
(``Small-Vehicle``, ``small_vehicle``, ``small vehicle``); a name no label line has is counted in the
notes (``--classes NAME: no annotation of this class``). Lines of the classes ``--classes`` leaves out are
no error: they are counted apart, per class, under ``filtered`` (``--classes: large vehicle``).

Bad lines (``--strict`` raises on the first, naming file and line): ``unparsable_line`` (7 numbers then words: a
mistyped field 8 where it starts as a number or the words after it name a DOTA or ``--classes`` class, any case, an
``s`` or ``es`` more or less, else a line short of a number), ``not_utf8``
(bytes that are not UTF-8, a Latin-1 class name; ``broken_utf16`` in a file read as UTF-16: its BOM or its NUL bytes said so),
``unknown_class`` (not a DOTA v1.0–v2.0 class, where ``--classes`` is not given), ``degenerate``
(quad area under 1 px²), plus ``missing_image`` per label file without an image, ``unreadable_image`` per image
that cannot be read to its end (truncated) and ``wrong_band_count`` per image that cannot be read as
``--modality`` (a label file without its image is not read: its lines are not counted as well). A label
file whose stem several images have (``P0001.png`` and ``P0001.jpg``) is read on the first in sort
order, counted in the notes as ``labels_matching_several_images``. Images no label file names get no record and are counted in the notes as
``images_without_label``; those whose label file holds no object are not read
(``images_without_objects_not_read``).

``difficult`` objects (a last field other than 0) are kept and flagged: each record whose answer
holds one lists its indices in ``meta["difficult"]`` (see ``data_gen.convert.detection``; a
``[ground]`` record about a difficult object is written and flagged ``[0]``), so that
``eval.detection`` can leave them out of #GT and out of the false positives as the DOTA devkit
does. Those some record holds are counted in the notes as ``difficult_objects`` (not those
then skipped, e.g. as ``mostly_outside_image``). ``--skip-difficult`` leaves them
out of the records instead, counted per class under ``filtered`` (``--skip-difficult: plane``) like
``--classes``: no bad annotation, so not under ``skipped`` and never raised by ``--strict``.

With ``--tile``, an object a tile border cuts with under ``--min-visible`` of its area in a tile is
kept there, clipped and flagged difficult the same way, as the devkit's ``ImgSplit`` writes it with
difficult 2 (notes: ``cut_objects_kept_difficult``); ``--drop-cut`` drops it from that tile instead.
``--skip-difficult`` is about the annotations' own flag and leaves these alone.
"""

from __future__ import annotations

import re
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
from data_gen.convert.text import read_lines, skip_undecodable
from rsvlm.progress import counted
from rsvlm.tokens import MODALITIES

DOTA_CLASSES = (
    "plane", "ship", "storage-tank", "baseball-diamond", "tennis-court", "basketball-court",
    "ground-track-field", "harbor", "bridge", "large-vehicle", "small-vehicle", "helicopter",
    "roundabout", "soccer-ball-field", "swimming-pool", "container-crane", "airport", "helipad",
)


def add_arguments(p) -> None:
    p.add_argument("--src", required=True, type=Path, help="DOTA split folder (images/, labelTxt/) or flat folder")
    p.add_argument("--images", type=Path, default=None, help="image folder when not beside the labels")
    p.add_argument("--classes", default=None,
                   help="comma-separated classes to keep, the others counted as filtered ('' = any; default: every "
                        "DOTA class, another skipped as unknown_class); case, '-', '_' and spaces do not matter")
    p.add_argument("--skip-difficult", action="store_true",
                   help="leave difficult objects out (default: keep them, flagged in meta.difficult)")
    p.add_argument("--modality", default="optical", choices=MODALITIES, help="modality of every image (default: optical)")
    add_det_arguments(p)


def object_lines(path: Path) -> list[str]:
    """The lines of labelTxt file ``path`` that give an object, unparsed (not blank, not its ``imagesource:`` or
    ``gsd:`` header): those of an image that is missing, counted without their problems."""
    return [ln for ln in map(str.strip, read_lines(path)) if ln and not ln.startswith(("imagesource:", "gsd:"))]


def parse_label_file(path: Path, out: Output, allowed, skip_difficult: bool):
    """(objects, gsd) of one labelTxt file; bad lines are reported to ``out``. ``allowed``: a
    ``filters.ClassFilter``, or None for any class."""
    objects, gsd = [], None  # gsd is read for callers; records do not carry it
    known = {clean_label(c) for c in DOTA_CLASSES}  # field 8's reading (_field_8_bad): --classes' as given, and lower
    if allowed is not None:
        known |= allowed.wanted | {clean_label(c.lower()) for c in allowed.given.values()}
    lines = read_lines(path)
    for n, line in enumerate(lines, 1):
        where = f"{path}:{n}"
        line = line.strip()
        if not line:
            continue
        if "\ufffd" in line:  # bytes that are not UTF-8 (a Latin-1 class name): it was written with a �
            skip_undecodable(out, lines, where, line[:80])
            continue
        if line.startswith("imagesource:"):
            continue
        if line.startswith("gsd:"):
            if line[4:].strip().lower() in ("null", "none", ""):  # DOTA's own "no GSD known": no problem to note
                continue
            try:
                gsd = float(line[4:])
            except ValueError:
                out.note("unparsable_gsd")
            continue
        parts = line.split()
        try:
            nums = [float(v) for v in parts[:8]]
            words = parts[8:]  # the class, then the difficult flag; a class may be words ("small vehicle")
            difficult = int(words.pop()) if len(words) > 1 and re.fullmatch(r"\d", words[-1]) else 0
            if not words or len(nums) < 8 or any(re.fullmatch(r"[-+.\d]+", w) for w in words):
                raise ValueError("fields missing, or a number among the class words")
            cls = " ".join(words)
        except ValueError:  # the line ends the detail, as before; what is wrong leads it
            why = _line_problem(parts, known)  # none for a line of no number at all: "not a label line" says itself
            out.skip("unparsable_line", where, f"{why}: {line[:80]}" if why else line[:80])
            continue
        if allowed is not None and allowed.leaves_out(cls, out, where):
            continue
        if difficult and skip_difficult:  # the user's choice, no bad line: counted apart, never raised
            out.filter("--skip-difficult", clean_label(cls))
            continue
        quad = [[nums[i], nums[i + 1]] for i in range(0, 8, 2)]
        if under_a_pixel(quad):  # corners in crossed order (a bow-tie) are the quad's: not "degenerate"
            out.skip("degenerate", where, "quad area < 1 px²")
            continue
        obj = {"kind": "obb", "label": clean_label(cls), "coords": quad, "src": where}
        if difficult:
            obj["difficult"] = True
        objects.append(obj)
    return objects, gsd


def _line_problem(parts: list[str], known: set[str] = frozenset()) -> str:
    """What is wrong with a label line split into ``parts``: fields separated by commas or semicolons (a CSV
    export's ``10,10,…,ship,0``), too few numbers (a triangle's 6), no class, or a number among the class words; ""
    for a line that starts with no number. Seven numbers then a word are one reading, not two (``_field_8_bad``)."""
    line = " ".join(parts)
    for sep, name, number in ((",", "commas", r"[-+]?[\d.]+"), (";", "semicolons", r"[-+]?[\d.,]*\d[\d.,]*")):
        # "10,10,…,ship,0" (a CSV export) or "10,5;10;…;ship;0" (one of a decimal-comma locale) read as one field:
        # "not a label line" said nothing of why; not a decimal comma's "10,5 20,5 …": "5 20" is no number
        fields = re.split(rf"\s*{sep}\s*", line)
        if len(fields) > 8 and all(re.fullmatch(number, w) for w in fields[:8]):
            point = " with decimal points" if any("," in w for w in fields[:8]) else ""
            return f"fields separated by {name}; DOTA separates x1 y1 … x4 y4 class difficult by spaces{point}"
    n = 0
    for w in parts[:8]:
        try:
            float(w)
        except ValueError:
            break
        n += 1
    if n == 0:
        return ""
    # "12 34 abc 56 …": not a short line; "1 … 7 small vehicle 0" is (no number between the 7 and the class)
    if n < 7 and len(parts) > 8 and _numbers(parts[n + 1:8] + parts[9:10]):
        return f"field {n + 1}, {parts[n]!r}, is no number (x1 y1 … x4 y4: 8 numbers before the class)"
    if n == 7 and _field_8_bad(parts, known):  # "1 … 7 abc ship 0": y4 mistyped, not a short line as well
        return f"field 8, {parts[7]!r}, is no number (x1 y1 … x4 y4: 8 numbers before the class)"
    if n < 8:
        return f"{n} numbers before the class, not 8 (4 corners x y)"
    if all(re.fullmatch(r"[-+.\d]+", w) for w in parts[8:]):  # "… 10 20 0": a difficult flag, no class before it
        return "no class after the 8 numbers"
    return "a number among the class words"


def _field_8_bad(parts: list[str], known: set[str]) -> bool:
    """Whether a line of 7 numbers then words reads as a mistyped y4 (field 8) before its class, not as a line short
    of a number whose class begins at field 8: field 8 starts as a number does (``2O``, ``1.2.3``, ``-.5x``; not a class
    named with a digit inside, FAIR1M's ``Boeing737``), or the words after it, not with it, are a known class
    (``known``: DOTA's and ``--classes``, cleaned; ``_is_known``: in any case, an ``s`` or ``es`` more or
    less). A line was said both ways ("7 numbers …; or field 8 … is no number"). Cannot: tell them apart where
    neither reading gives a known class (taken as short, unless field 8 starts as a number)."""
    words = parts[8:-1] if len(parts) > 9 and re.fullmatch(r"\d", parts[-1]) else parts[8:]
    if _is_known(parts[7:8] + words, known):  # "1 … 7 small vehicle 0"
        return False
    return bool(re.match(r"[-+]?\.?\d", parts[7])) or (bool(words) and _is_known(words, known))


def _is_known(words: list[str], known: set[str]) -> bool:
    """Whether ``words`` name a class of ``known`` (cleaned, ``clean_label``) whatever their case (``BOAT``, ``Boat``),
    or by a plural or singular of one more or less ``s`` / ``es`` (``boat`` of ``--classes boats``, ``buses`` of
    ``bus``). Cannot: tell other plurals (``ferries``, ``people``)."""
    text = " ".join(words)
    names = {clean_label(text), clean_label(text.lower())}  # "SmallVehicle" and "BoaTs" (clean_label splits at case)
    forms = {f for n in names for f in (n, n + "s", n + "es", *(n[:-len(e)] for e in ("s", "es") if n.endswith(e)))}
    return bool(forms & known)


def _numbers(words: list[str]) -> bool:
    """Whether every one of ``words`` (at least one) reads as a number."""
    return bool(words) and all(re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", w) for w in words)


def _label_folder_hint(src: Path, image_dir: Path) -> str:
    """Where ``src`` holds its labels in a folder of another name, what to give instead: DOTA-v1.5 and v2.0 ship
    ``labelTxt-v1.5/DOTA-v1.5_train/``, not ``labelTxt/`` (and a zip may unpack ``labeltxt/``); else ""."""
    if not src.is_dir():
        return ""
    tops = sorted(d for d in src.iterdir() if d.is_dir() and d.name.lower().startswith("labeltxt"))
    found = [d for top in tops for d in (top, *sorted(top.iterdir())) if d.is_dir()
             and files_with_suffix(d, ".txt", recursive=False)]
    if not found:
        return ""
    return (f"; {', '.join(str(d) for d in found)} hold{'s' if len(found) == 1 else ''} the label files: give "
            f"--src {found[0]} --images {image_dir}")


def _pairs_hint(folder: Path) -> str:
    """Where ``folder`` holds change pairs (LEVIR-CD's ``A/`` and ``B/``, or ``x_A.png`` beside ``x_B.png``), the
    converter that reads them; else "" (a user pointing dota at a change set was told only "no labelTxt files")."""
    names = {p.name for p in folder.iterdir()}
    pairs = {"A", "B"} <= names or any(n.rsplit(".", 1)[0].endswith("_A") and n.replace("_A.", "_B.", 1) in names
                                       for n in names)
    return f"; it holds change pairs: python -m data_gen convert levir-cd --src {folder}" if pairs else ""


def run(args, out: Output) -> None:
    opts = det_options(args)  # a usage error before any work
    src = Path(args.src)
    label_dir = src / "labelTxt" if (src / "labelTxt").is_dir() else src
    image_dir = args.images or (src / "images" if (src / "images").is_dir() else src)
    if not label_dir.is_dir():
        raise ConversionError(f"{label_dir}: not a folder")
    allowed = class_filter(",".join(DOTA_CLASSES) if args.classes is None else args.classes,
                           chosen=args.classes is not None)
    index = index_images(image_dir, out, every := {})  # every: each image once, for a refusal below
    files = files_with_suffix(label_dir, ".txt", recursive=False, out=out)  # P0001.TXT too
    if not files:
        xml = [p for p in files_with_suffix(label_dir, ".xml", recursive=False)
               if not p.name.lower().endswith(".aux.xml")]  # not GDAL's sidecars
        raise ConversionError(f"{label_dir}: no labelTxt files" + (_label_folder_hint(src, image_dir) or (
            f"; it holds {counted(len(xml), '.xml file')} ({xml[0].name}): VOC / DIOR annotations are read by "
            "python -m "
            f"data_gen convert voc --src {label_dir}" if xml else _pairs_hint(label_dir))
            + unlabelled_said([p for ps in every.values() for p in ps], image_dir, "labelTxt file",
                              out.progress)))  # label files found elsewhere: unsaid
    stems: dict[str, list[str]] = {}  # P0001.png beside a P0001.jpg: a label file fits one of them
    for p in sorted(set(index.values())):
        stems.setdefault(p.stem, []).append(p.name)
    named, missing, read = [], [], 0  # the images some label file names; the label files without theirs; read
    for path in out.bar(files, "dota", "label file"):  # an image without one is not counted
        image, read = find_image(index, path.stem, out), read + 1
        if image is None:  # before its lines: they were counted too (unknown_class…), the file once more
            out.missing_image(str(path), f"{path.stem}.*", image_dir, "--images" if args.images else None)
            missing.append(f"{path.stem}.*")
            unchecked(out, object_lines(path), "missing")  # lost with it: counted (unparsed), as an unreadable's are
            continue
        if len(names := stems.get(path.stem, [])) > 1:  # the other was images_without_label, the choice unsaid
            out.note("labels_matching_several_images")
            if out.notes["labels_matching_several_images"] == 1:
                out.note(f"first label file matching several images: {path.name} ({', '.join(names)}; "
                         f"{image.name} read)")
        objects, gsd = parse_label_file(path, out, allowed, args.skip_difficult)
        named.append(image)
        if nothing_to_write(out, objects, str(path)):
            continue
        size = readable_size(image, out, str(image), args.modality)
        if size is None:
            unchecked(out, objects)  # their lines' problems that need its size: unknown
            continue
        width, height = size
        emit_objects(out, rid=f"dota-{path.stem}", source="DOTA", file=path.name, image=image,
                     width=width, height=height, objects=objects, opts=opts, modality=args.modality,
                     forms=("obb", "box"))
    if out.left_out:  # --limit: a label file left unread still names its image, no unlabelled one
        named += [im for p in files if (im := index.get(p.stem)) is not None]
    note_unlabelled(out, index, named)
    warn_most_missing(out, len(missing), read, "label file", missing, image_dir, "the images of every label file "
                      "under --src", "--images" if args.images else None)
    if allowed is not None:
        allowed.note_unmatched(out, "label file")
