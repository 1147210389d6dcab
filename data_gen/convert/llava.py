"""LLaVA / GeoChat conversation JSON → rsvlm records.

``--src`` is a JSON array or JSONL of LLaVA records (``id``, ``image``, ``conversations``; ``messages`` of
role/content turns, ShareGPT's and OpenAI's, read as them, OpenAI's ``developer`` as ``system``, content given as text
and image parts too, ``_parts``; a
record lacking a field is skipped naming it); a file
that is one JSON object is one record, or (a wrapper such as ``{"data": [...]}``) an error naming its lists;
``--images`` is the folder the ``image`` paths are relative to (a path written on Windows, ``train\\a.png``, read
with ``/``, counted in the notes as ``windows_paths_read``; a file name of another case than the one file so named,
``a.PNG`` for ``a.png``, as that file: ``image_name_case_differs``). Images are copied to
``OUT/images``; ``"image": path`` means one image, a list several, and records already in rsvlm form
(``images``) pass through, ``band_files`` (one file per band) copied file by file; a GDAL name (``/vsizip/pack.zip/
B02.tif``, ``NETCDF:s1.nc:VV``) is read through its archive or file, copied whole, the name kept around the copy's
path (``/vsizip/images/pack.zip/B02.tif``; noted as ``gdal_names_read_from_their_copied_file``, the bytes copied
as ``gdal_files_copied_whole_bytes``; a network name, ``/vsicurl/…``, is ``missing_image`` saying so). An image's
modality is its own ``modality`` (any case; for ``"image"``, the record's ``modality``), else
``--modality``; with neither it is left out, unsaid, and inferred from the file wherever the records
are read (``rsvlm.data.modality``: training, ``rsvlm eval``, whose predictions carry it for the scorers),
counted in the notes as ``modality_left_to_inference``.
Not ``optical`` by default: a record's modality always wins over inference, so a SAR or thermal
GeoTIFF written down as optical would be read as optical everywhere.

GeoChat spellings are rewritten into DESIGN.md's grammar:

* task tags ``[refer]`` → ``[ground]``, ``[identify]`` → ``[regcap]``, ``[grounding]`` and
  ``[caption]`` → ``[cap]`` (a grounded caption: text with geometry); ``[vqa]`` stays;
* ``<p>phrase</p>`` → ``<ref>phrase</ref>``; the ``<delim>`` between boxes is dropped;
* ``{<x1><y1><x2><y2>|<θ>}`` (0–100 scale of the image's width and height) → ``<obb>``: the box
  turned by θ degrees about its centre, in pixels, counter-clockwise on screen as GeoChat's demo
  draws it (``cv2.getRotationMatrix2D(centre, θ, 1)``) and as ``eval.foreign`` reads GeoChat's
  answers (GeoChat documents no convention; this one makes its data and its answers agree).
  A rotated box partly off the image is written as its part on it, 4 vertices on the image (noted as
  ``obbs_clipped_at_image_edge``; one ``geometry.encode`` still clamps out of shape, ``obbs_clamped_at_image_edge``).
  θ absent or a multiple of 90 leaves the
  rectangle upright, which is written as the ``<box>`` it is (at 90 and 270 its width and height
  swapped about the centre). GeoChat writes most of its boxes ``|<90>`` (OpenCV's
  ``minAreaRect`` angle for an upright rectangle): those are ``[ground]`` answers in boxes, as
  DESIGN.md's ``[ground]`` gives them, not oriented boxes that are upright anyway.

The record's ``task`` is its own ``task`` field as ``rsvlm.tokens.task_name`` reads it (any case, a tag's brackets
read past: ``"DET"``, ``"[det]"``; one that is no rsvlm task's counted in the notes as ``unknown_task_left_out``,
the values given named in one more note), else the (rewritten) tag of the question ``rsvlm eval`` answers (its last;
GeoChat's ``[vqa]`` then ``[refer]`` is ``ground``), else its first user turn's, else ``--task`` (a
``det``, ``ground`` or ``seg`` one on answers holding no geometry counted in a note naming the first); with
none of these it is free chat (``task`` null). A record without ``<image>`` placeholders gets them in front of its
first user turn (noted).

Bad records, skipped whole (one bad box would corrupt the conversation): ``unparsable_record``,
``missing_image``, ``unparsable_box`` (braces that look like a box but are not one),
``box_out_of_range`` (outside 0–100), ``degenerate_box`` (no area, or ``x2 < x1`` / ``y2 < y1``: corners
swapped, skipped as ``voc`` skips such a ``<bndbox>``), ``placeholder_mismatch``, ``unreadable_image``
(truncated or not an image), ``unknown_modality`` (an image's own ``modality`` not one of rsvlm's),
``seg_answer_not_a_region`` (a ``seg`` record, by its own task or ``--task``, whose answer opens ``<box>``,
``<obb>`` or ``<point>``: a ``[seg]`` answer opens only ``<poly>`` or ``<mask>``, ``rsvlm.model.grammar.REGION``),
``invalid_record`` (one ``rsvlm.data.records`` would refuse: no gpt answer, an empty one…),
``wrong_band_count`` (an image that cannot be read as ``--modality``, where the image names none:
``images.check_bands``; an image's own modality passes as given, and a wrong one is the reader's
error wherever the record is read).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

from data_gen.convert.common import ConversionError, Output, make_meta, no_image
from data_gen.convert.images import MissingMember, WrongBands, check_bands, image_size
from data_gen.convert.lookup import by_lower_case, in_any_case
from data_gen.convert.mostmissing import warn_most_missing
from data_gen.convert.text import json_problem, text_codec
from rsvlm.progress import counted, plural
from rsvlm.tokens import GEOMETRY_TAGS, IMAGE_TOKEN, MODALITIES, TASKS, task_name

GEOMETRY_ANSWERS = ("det", "ground", "seg")  # tasks whose answers are geometry (DESIGN.md's table)
NO_GEOMETRY = "no_geometry_in_answers_tagged_{task}_by_--task"
SEVERAL = "several_images_left_untagged_by_--task_{task}"  # free chat of a pair, not a one-image task
TAG_MAP = {"refer": "ground", "identify": "regcap", "grounding": "cap", "caption": "cap"}
_TAG = re.compile(r"\[(refer|identify|grounding|caption)\]")
_NUM = r"\s*<\s*(-?\d+(?:\.\d+)?)\s*>\s*"
_BOX = re.compile(r"\{" + _NUM * 4 + r"(?:\|\s*<?\s*(-?\d+(?:\.\d+)?)\s*>?\s*)?\}")
_BOXLIKE = re.compile(r"\{\s*<[^{}]*>\s*[^{}]*\}")


class BadBox(ValueError):
    def __init__(self, reason: str, text: str, name: str = ""):
        super().__init__(f"{reason}: {text}")
        self.reason, self.text, self.name = reason, text, name  # name: a missing image's, as the record gives it


def add_arguments(p) -> None:
    p.add_argument("--src", required=True, type=Path, help="LLaVA/GeoChat JSON array or JSONL")
    p.add_argument("--images", required=True, type=Path, help="folder the image paths are relative to")
    p.add_argument("--modality", default=None, choices=MODALITIES,
                   help="modality of images that name none (default: none written; inferred from the file when read)")
    p.add_argument("--task", default=None, choices=TASKS, help="task of records that name none (default: free chat)")


def _visible_quad(quad: list, width: int, height: int) -> list | None:
    """The part of an oriented box ``quad`` (4 (x, y)) on the ``width`` × ``height`` image as 4 vertices there
    (``tiling.four_corners``), or None where the box lies on it. Clamping each vertex
    alone made another shape (a corner 15 px off moved the box's edge 9 px along the image's side)."""
    from shapely.geometry import Polygon, box

    from data_gen.tiling import four_corners

    if all(0 <= x <= width and 0 <= y <= height for x, y in quad):
        return None
    part = Polygon(quad).intersection(box(0, 0, width, height))
    return four_corners(part, (0, 0, width, height))


def rewrite_boxes(text: str, width: int, height: int, out: Output | None = None) -> str:
    """GeoChat ``{<x1><y1><x2><y2>|<θ>}`` → ``<box>``/``<obb>`` tokens; raises BadBox. A rotated box partly off
    the image is written as its part on it (``_visible_quad``), counted in ``out``'s notes as
    ``obbs_clipped_at_image_edge``; one whose shape ``geometry.encode`` still changes by clamping it, as
    ``obbs_clamped_at_image_edge``."""
    from rsvlm import geometry

    def one(m: re.Match) -> str:
        x1, y1, x2, y2 = (float(v) for v in m.groups()[:4])
        theta = float(m.group(5) or 0)
        if not all(0 <= v <= 100 for v in (x1, y1, x2, y2)):
            raise BadBox("box_out_of_range", m.group(0))
        if x2 < x1 or y2 < y1:  # it was reordered without a word, where voc and coco skip theirs
            raise BadBox("degenerate_box", f"{m.group(0)}: x2 or y2 before x1 or y1")
        x1, x2, y1, y2 = x1 * width / 100, x2 * width / 100, y1 * height / 100, y2 * height / 100
        if x2 - x1 <= 0 or y2 - y1 <= 0:
            raise BadBox("degenerate_box", m.group(0))
        if theta % 90 == 0:  # upright: a box, turned a quarter about its centre at 90 and 270
            if theta % 180:
                cx, cy, hw, hh = (x1 + x2) / 2, (y1 + y2) / 2, (x2 - x1) / 2, (y2 - y1) / 2
                x1, y1, x2, y2 = cx - hh, cy - hw, cx + hh, cy + hw
            obj = {"kind": "box", "label": None, "coords": [x1, y1, x2, y2]}
        else:
            # rbox_to_quad turns clockwise on screen; GeoChat's θ turns counter-clockwise
            quad = geometry.rbox_to_quad((x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1, -theta)
            if (part := _visible_quad(quad, width, height)) is not None:
                quad = part
                if out is not None:
                    out.note("obbs_clipped_at_image_edge")
            obj = {"kind": "obb", "label": None, "coords": quad}
        clamped: list[str] = []
        text = geometry.encode([obj], width=width, height=height, clamped=clamped)
        if clamped and out is not None:
            out.note("obbs_clamped_at_image_edge")
        return text

    out = _BOX.sub(one, text)
    left = _BOXLIKE.search(out)
    if left:
        raise BadBox("unparsable_box", left.group(0))
    return out


def rewrite_text(text: str, width: int, height: int, out: Output | None = None) -> str:
    text = _TAG.sub(lambda m: f"[{TAG_MAP[m.group(1)]}]", text)
    text = text.replace("<p>", "<ref>").replace("</p>", "</ref>").replace("<delim>", "")
    return rewrite_boxes(text, width, height, out)


def _records(path: Path, out: Output) -> list[tuple[str, object]]:
    """(where, raw record) for a JSON array or JSONL file; one without any is noted ``<file>: empty file``
    (or ``empty JSON array``), as rsivqa notes its empty files: the run's error named no file."""
    try:  # UTF-16 with its BOM (Notepad's "Unicode": it was "cannot read"), or without one, its NUL bytes
        data = path.read_bytes()  # saying so (each line was an unparsable_record), as the text converters read
        text = data.decode(text_codec(data))
    except (OSError, UnicodeDecodeError) as e:  # not UTF-8: it was a traceback
        raise ConversionError(f"{path}: cannot read ({e})") from e
    del data  # not kept beside its text while that is parsed (the file's size again at the peak)
    if not text.strip():
        out.note(f"{path}: empty file")
        return []
    if text.lstrip().startswith("["):
        try:
            rows = json.loads(text)
        except json.JSONDecodeError as e:
            raise ConversionError(f"{path}: not valid JSON ({json_problem(e)})") from e
        if not rows:
            out.note(f"{path}: empty JSON array")
        return [(f"{path}: record {i}", r) for i, r in enumerate(rows)]
    whole = _json_object(text)
    if whole is not None and "conversations" in whole:  # one record, maybe pretty-printed over many lines
        return [(f"{path}: record 0", whole)]
    if whole is not None:  # a wrapper: each of its lines read as a bad record
        lists = [k for k, v in whole.items() if isinstance(v, list)]
        raise ConversionError(f"{path}: one JSON object, not a JSON array or JSONL of records" + (
            f"; its {plural('list', len(lists))} under {', '.join(map(repr, lists[:3]))}: save the records list "
            "alone" if lists else ""))
    out = []
    for n, line in enumerate(_lines(text), 1):
        if line.strip():
            try:
                out.append((f"{path}:{n}", json.loads(line)))
            except json.JSONDecodeError as e:
                out.append((f"{path}:{n}", BadBox("unparsable_record", str(e))))
    return out


def _lines(text: str):
    """``text``'s lines one at a time, ended as the records reader ends them (``records.LINE_END``: CR LF,
    CR or LF): not ``splitlines()``, which also ends one at a U+2028 or U+0085 that a JSON string may hold
    as it is (``ensure_ascii=False``), so that record was two or three ``unparsable_record`` and the later
    lines numbered wrong; nor a list of them all beside the text. ``str.find``: a regex took 3 s a 128 MB file."""
    start, size = 0, len(text)
    while start < size:
        end = text.find("\n", start)
        end = size if end < 0 else end
        line = text[start:end].removesuffix("\r")
        start = end + 1
        yield from line.split("\r") if "\r" in line else (line,)  # a bare CR: an old Mac's line end


def _json_object(text: str) -> dict | None:
    """The file as one JSON object (pretty-printed over many lines, or one record on one line), else None."""
    try:
        obj = json.loads(text)
    except json.JSONDecodeError:
        return None
    return obj if isinstance(obj, dict) else None


def _image_file(folder: Path, name: str, out: Output, listings: dict | None = None) -> Path:
    """``folder / name``; a ``name`` written on Windows (``train\\a.png``), not a file as it is, with ``/``
    for its ``\\`` where that is one (counted in the notes as ``windows_paths_read``): it was
    ``missing_image``. A file name of another case than the one file of its folder so named (``a.PNG`` for
    ``a.png``: a dataset made on Windows or macOS, whose disks ignore case) is that file, counted in the notes
    as ``image_name_case_differs``; it was ``missing_image``. ``listings``: folder → lower-case name → its
    files, filled as folders are listed (once each)."""
    path = folder / name
    if path.is_file():
        return path
    posix = folder / name.replace("\\", "/")
    if "\\" in name and posix.is_file():
        out.note("windows_paths_read")
        return posix
    if listings is not None and posix.parent.is_dir():
        if posix.parent not in listings:
            listings[posix.parent] = by_lower_case(p for p in sorted(posix.parent.iterdir()) if p.is_file())
        if (hit := in_any_case(listings[posix.parent], posix.name)) is not None:
            out.note("image_name_case_differs")
            if "\\" in name:
                out.note("windows_paths_read")
            return hit
    return path


def convert_record(raw: dict, args, out: Output, where: str, listings: dict | None = None) -> dict:
    """One rsvlm record from one LLaVA/GeoChat record; raises BadBox / KeyError / TypeError. ``listings``:
    ``_image_file``'s folder listings, kept across records."""
    from rsvlm.data.image_names import gdal_container, resolve_name  # (rsvlm.io's checks: numpy, on use)
    from rsvlm.data.records import normalize_record, task_from_prompt, task_turn
    from rsvlm.io.checks import NETWORK, URL, check_image_path

    if "images" in raw:
        specs = [im if isinstance(im, dict) else {"path": im} for im in raw["images"]]
    else:
        img = raw.get("image")
        specs = [{"path": p} for p in (img if isinstance(img, list) else [img] if img else [])]
    images, size, pending = [], None, []  # pending: (entry, its key, files, containers), copied once it all reads
    for spec in specs:
        # any case; null or blank is unsaid, as the records loader reads it; a plain record's own beside "image"
        own = spec.get("modality") or ("images" not in raw and raw.get("modality") or None)
        own = own.strip().lower() if isinstance(own, str) else own
        modality = own or args.modality
        if modality is not None and modality not in MODALITIES:
            raise BadBox("unknown_modality", f"{spec.get('modality')!r} is not one of {', '.join(MODALITIES)}")
        bands = spec.get("band_files")  # one file per band wins, as rsvlm reads them
        files = bands or [spec["path"]]
        if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
            raise TypeError("images[].band_files is not a list of paths")
        for f in files:  # /vsicurl/…, /vsizip//vsis3/…/a.zip/…, https://…: was "no such image", the // folded
            if NETWORK.match(f) or URL.match(f):  # the reader's words: download it first …
                try:
                    check_image_path(f)
                except (FileNotFoundError, ValueError) as e:
                    raise BadBox("missing_image", str(e)) from e
        # a GDAL name (/vsizip/pack.zip/B02.tif, NETCDF:s1.nc:VV) is read through its container, which is copied
        gdal = [gdal_container(f, Path(args.images)) for f in files]  # (it was missing_image, all of them)
        srcs = [resolve_name(f, Path(args.images)) if g else _image_file(Path(args.images), f, out, listings)
                for f, g in zip(files, gdal)]
        for name, src, g in zip(files, srcs, gdal):  # all read before any is copied
            if g and not g[0].is_file():
                raise BadBox("missing_image", f"{name}: its file {g[0]} is not there", name)
            if not g and not src.is_file():
                # the path alone (imgs/train/a.png) left the user to work out which folder was searched
                raise BadBox("missing_image", no_image(str(src), None if Path(name).is_absolute() else args.images),
                             name)
            try:
                got = image_size(src, out)  # every image read through: a truncated one is skipped here
                if not bands and not own:  # --modality is ours to check; a record's own passes as given
                    check_bands(src, modality)
            except WrongBands as e:
                raise BadBox("wrong_band_count", str(e)) from e
            except MissingMember as e:  # /vsizip/pack.zip/b.png, which pack.zip does not hold
                raise BadBox("missing_image", str(e)) from e
            except ConversionError as e:
                raise BadBox("unreadable_image", str(e)) from e
            size = size or got
        if any(gdal):  # /vsizip/images/pack.zip/B02.tif: the copied archive's, relative to the records file
            out.note("gdal_names_read_from_their_copied_file")
        if bands and spec.get("path"):  # never read beside band_files; not copied
            out.note("path_beside_band_files_left_out")
        key = "band_files" if bands else "path"
        if modality is None:  # said in the stats: training and rsvlm eval infer it from the file
            out.note("modality_left_to_inference")
        images.append({**{k: v for k, v in spec.items() if k not in ("modality", "path")}, key: None,
                       **({"modality": modality} if modality else {})})
        pending.append((images[-1], key, srcs, gdal))
    width, height = size or (1, 1)
    convs, given = [], []
    turns = raw["conversations"] if "conversations" in raw or "messages" not in raw else raw["messages"]
    if not isinstance(turns, list):
        raise TypeError("conversations is not a list of turns")
    for turn in turns:  # role/content turns under "messages" (ShareGPT's, OpenAI's) as the records loader reads them
        if not isinstance(turn, dict):
            raise TypeError("a conversation turn is not a JSON object")
        role, value = turn.get("from", turn.get("role")), turn.get("value", turn.get("content"))
        if role is None:
            raise KeyError("from")
        if role == "developer":  # OpenAI's name of the system turn since its o1 models: invalid_record, unread
            role = "system"
            out.note("developer_role_read_as_system")
        value = _parts(value) if isinstance(value, list) else value
        if not isinstance(value, str):
            raise TypeError("conversation value is not a string")
        given.append(value)
        if images or role == "human":
            value = rewrite_text(value, width, height, out) if images else value
        convs.append({"from": role, "value": value})
    n_ph = sum(c["value"].count(IMAGE_TOKEN) for c in convs)
    if n_ph == 0 and images:
        first = next((c for c in convs if c["from"] in ("human", "user")), None)
        if first is None:  # no conversation at all: it was "unparsable_record (StopIteration())"
            raise BadBox("unparsable_record", "no human turn to hold the image placeholder")
        first["value"] = (IMAGE_TOKEN + "\n") * len(images) + first["value"]
        out.note("added_image_placeholder")
    elif n_ph != len(images):
        raise BadBox("placeholder_mismatch", f"{counted(n_ph, 'placeholder')}, {counted(len(images), 'image')}")
    # "DET", " [det] ": read by the one rule records and eval read a task by; one that is no task's (not "chat",
    # free chat's name) is counted by run, not dropped unsaid, and the prompt's tag or --task is taken
    task = task_name(raw.get("task"))
    task = task if task in TASKS else None
    task = task or task_from_prompt(task_turn(convs, raw.get("meta"))[1])  # the question eval answers, else the first
    raw_task = task
    if task is None and args.task and args.task != "change" and len(images) > 1:  # a [det] of two: of which?
        out.note(SEVERAL.format(task=args.task), example=str(raw["id"]))  # it was tagged so, unsaid
    elif task is None and args.task in GEOMETRY_ANSWERS and not any(
            f"<{g}>" in c["value"] for c in convs if c["from"] in ("gpt", "assistant") for g in GEOMETRY_TAGS[1:]):
        out.note(NO_GEOMETRY.format(task=args.task))  # a VQA answer tagged det by the flag: it was unsaid
    if task is None and not (args.task != "change" and len(images) > 1):
        task = args.task
    if task == "seg" and (shapes := _not_regions(convs)):  # [seg] opens <poly>/<mask> alone (grammar REGION)
        raise BadBox("seg_answer_not_a_region", f"its answer opens {', '.join(shapes)}, which a [seg] answer cannot "
                     "(only <poly> or <mask>: rsvlm.model.grammar REGION)" + (
                         "; tagged seg by --task: give boxes --task ground or det" if raw_task is None else ""))
    geochat = any(_TAG.search(v) or "{<" in v for v in given)  # as written, before rewrite_text
    meta = make_meta("GeoChat" if geochat else "LLaVA", Path(args.src).name, width, height)
    record = {"id": str(raw["id"]), "images": images, "conversations": convs, "task": task, "meta": meta}
    for entry, key, srcs, _ in pending:  # the names given stand in for their copies' (the check reads strings)
        entry[key] = [str(s) for s in srcs] if key == "band_files" else str(srcs[0])
    normalize_record(record, where)  # what the record loader would refuse (invalid_record), before any copying
    for entry, key, srcs, gdal in pending:  # the record read through: a 2 GB archive copied for a record skipped
        copied = [_copy(out, src, g) for src, g in zip(srcs, gdal)]  # later was deleted, copied again by the next
        entry[key] = copied if key == "band_files" else copied[0]
    return record


def _copy(out: Output, src: Path, container: tuple | None) -> str:
    """``src`` copied into images/ (``Output.copy_image``): a GDAL name's ``container`` (``gdal_container``) whole, the
    name written around the copy, its size counted once in the notes as ``gdal_files_copied_whole_bytes`` (a 2 GB
    archive of which one member is read was copied unsaid)."""
    if not container:
        return out.copy_image(src)
    if not out.has_copied(container[0]):
        out.note("gdal_files_copied_whole_bytes", container[0].stat().st_size)
    return f"{container[1]}{out.copy_image(container[0])}{container[2]}"


def unknown_task(value: object) -> bool:
    """Whether a record's ``task`` field names no rsvlm task (``"detect"``, ``"[]"``, ``7``): left out, counted. Absent,
    blank or ``"chat"`` (free chat's name) is no task given."""
    blank = value is None or isinstance(value, str) and not value.strip()
    return not blank and task_name(value) not in (*TASKS, "chat")


def note_unknown_tasks(out: Output, seen: Counter) -> None:
    """One note naming the ``task`` values ``unknown_task_left_out`` counts, the commonest first (a few; its count
    is how many values): the count alone said nothing of what to map."""
    if seen:
        shown = ", ".join(f"{v} ({n})" for v, n in seen.most_common(5))
        more = f" and {len(seen) - 5} more" if len(seen) > 5 else ""
        out.note(f"unknown_task_left_out, the tasks given: {shown}{more}", len(seen))


def run(args, out: Output) -> None:
    from rsvlm.data.records import RecordError

    if not Path(args.images).is_dir():
        raise ConversionError(f"{args.images}: no such image folder")
    listings: dict = {}  # folder → its files by lower-case name (_image_file), each listed once
    unknown: Counter = Counter()  # repr of each task value unknown_task_left_out counts -> records
    bare, first_bare = NO_GEOMETRY.format(task=args.task), None  # records --task tagged that hold no geometry
    named, missing = 0, []  # the records naming an image; the images of those missing theirs, as named
    for where, raw in out.bar(_records(Path(args.src), out), "llava", "record"):
        if isinstance(raw, BadBox):
            out.skip(raw.reason, where, raw.text)
            continue
        named += isinstance(raw, dict) and bool(raw.get("image") or raw.get("images"))
        mark = out.mark()  # a record skipped after its images were copied takes them back (and their notes)
        try:
            if not isinstance(raw, dict):
                raise TypeError("not a JSON object")
            rec = convert_record(raw, args, out, where, listings)  # RecordError: what the record loader would refuse
            given = raw.get("task")
        except BadBox as e:
            out.take_back(mark)
            out.skip(e.reason, where, e.text)
            if e.reason == "missing_image" and e.name and not Path(e.name).is_absolute():  # not looked for under
                missing.append(e.name)  # --images: an absolute path, a URL, an archive lacking the member
            continue
        except (KeyError, TypeError) as e:
            out.take_back(mark)  # KeyError('conversations') said no more of what was missing where
            out.skip("unparsable_record", where, _missing(e))
            continue
        except RecordError as e:
            out.take_back(mark)
            out.skip("invalid_record", where, str(e).removeprefix(f"{where} (id {raw['id']}): "))
            continue
        out.add(rec, where)
        if first_bare is None and out.notes[bare]:
            first_bare = rec["id"]
        if unknown_task(given):  # counted for the records written; named, a long one (a prompt pasted) by its head
            out.note("unknown_task_left_out")
            said = repr(given)
            unknown[said if len(said) <= 40 else said[:39] + "…"] += 1
    note_unknown_tasks(out, unknown)
    warn_most_missing(out, len(missing), named, "record", missing, args.images,
                      "the images of every record --src holds")
    if n := out.notes.pop(bare, 0):  # named by its first record: where to look
        out.note(f"{bare} (first: id {first_bare!r})", n)


def _parts(parts: list) -> str:
    """A turn's content given as parts (OpenAI's and Hugging Face chat templates' ``[{"type": "image"}, {"type":
    "text", "text": …}]``; OpenAI's Responses API's ``input_text`` / ``output_text`` and ``input_image``) as one text:
    text parts as written, an image part (``image``, ``image_url``, ``input_image``) an ``<image>`` placeholder where
    it stands, one part a line; any other part a TypeError naming its type (it was "conversation value is not a
    string", the record skipped)."""
    said = []
    for part in parts:
        kind = part.get("type") if isinstance(part, dict) else None
        if kind in ("text", "input_text", "output_text") and isinstance(part.get("text"), str):
            said.append(part["text"])
        elif kind in ("image", "image_url", "input_image"):
            said.append(IMAGE_TOKEN)
        else:
            raise TypeError(f"a content part of type {kind!r}: text and image parts are read (text, input_text, "
                            "output_text; image, image_url, input_image) "
                            "([{'type': 'image'}, {'type': 'text', 'text': '...'}])")
    return "\n".join(said)


def _not_regions(convs: list) -> list[str]:
    """The shapes other than regions (``<box>``, ``<obb>``, ``<point>``) that ``convs``' answers open, in tag order."""
    answers = [c["value"] for c in convs if c["from"] in ("gpt", "assistant")]
    return [f"<{g}>" for g in GEOMETRY_TAGS[1:4] if any(f"<{g}>" in a for a in answers)]


def _missing(e: KeyError | TypeError) -> str:
    """What a record that ``convert_record`` could not read lacks: ``no 'FIELD' field``, saying a LLaVA record's
    fields where FIELD is one (an images[] entry's 'path' is no record's field), else ``e``'s text (its repr where
    it has none: "TypeError('conversations is not a list of turns')" was said of every one)."""
    if not isinstance(e, KeyError) or not e.args:
        return str(e) or repr(e)
    fields = " (a LLaVA record has id, image, conversations of from/value turns)" if e.args[0] in (
        "id", "image", "conversations", "from") else ""
    return f"no {e.args[0]!r} field{fields}"
