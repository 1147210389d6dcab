"""What chat, predict and eval share: reading the images a user names, writing the standard question
of a task, and turning an answer into located objects. Finding and loading the model (``--model``,
``--device``, ``--dtype``): ``rsvlm.loading``; generating the answers themselves (batches, cut answers,
refusals, detection class by class): ``rsvlm.answering``. Those of ``rsvlm.answering`` chat, predict and eval
use, and ``rsvlm.loading``'s model finding and loading (not its dtype helpers), are importable from here too.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from rsvlm.answering import (  # noqa: F401  (chat, predict, eval and tests use them as inference.NAME)
    SHAPE_CLOSE,
    SHAPE_OPEN,
    Answer,
    PromptsRefused,
    answerer,
    answers_or_refusals,
    asks_detection,
    class_questions,
    context_note,
    context_of,
    cut_note,
    generate_answers,
    is_cut,
    is_past_context,
    join_shapes,
    last_question,
    no_det_classes,
    plural,
)
from rsvlm.data.conversation import PromptConfig, image_turn
from rsvlm.loading import bundled_model_dir, check_device, load_model, resolve_model_dir  # noqa: F401  (as inf.NAME)
from rsvlm.tokens import tagged  # noqa: F401  (chat, predict and eval use it as inf.tagged)

# Standard questions of `rsvlm predict --task T` when no --prompt is given.
DEFAULT_PROMPTS = {
    "cls": "[cls] What type of scene is this?",
    "vqa": "[vqa] What is in this image?",
    "cap": "[cap] Describe the image.",
    "count": "[count] How many ships are there?",  # a ship: the bundled model's; others: count_question
    "det": "[det] Detect every object.",
    "ground": "[ground] Where is the largest object?",
    "regcap": "[regcap] What is in the centre of the image?",
    "seg": "[seg] Segment every building. Answer with polygons.",  # as every trained [seg] question ends (or a grid mask)
    "change": "[change] What changed between the two images?",
}


@dataclass
class ImageSpec:
    """One image as the user named it: its files, modality, bands (all optional but the files)."""

    files: list[str]
    modality: str | None = None
    bands: list[str] | None = None
    notes: list[str] = field(default_factory=list)

    @classmethod
    def parse(cls, text: str, modality: str | None = None, bands: str | None = None) -> ImageSpec:
        """``a.tif`` or band files ``B02.jp2,B03.jp2`` (``band_files``)."""
        return cls(band_files(text), modality, [b.strip() for b in bands.split(",")] if bands else None)


def band_files(text: str) -> list[str]:
    """The files of an image as typed: ``a.tif`` or band files ``B02.jp2,B03.jp2`` (spaces around the commas
    allowed; a file whose own name holds a comma, ``scene,2020.tif``, is one file); ValueError when it names no
    file, or one of its band files is empty (``B02.jp2,,B03.jp2``: was dropped, the image a band short)."""
    whole = os.path.expanduser(text.strip())
    if "," in whole and os.path.isfile(whole):
        return [whole]
    files = [p.strip() for p in text.split(",")]
    if not any(files):
        raise ValueError(f"image {text!r} names no file")
    if "" in files:
        raise ValueError(f"image {text!r}: band file {files.index('') + 1} of {len(files)} is empty (two commas "
                         "together, or one at an end); give one file per band, comma-separated: B02.jp2,B03.jp2")
    return [os.path.expanduser(f) for f in files]


def image_specs(images: list[str], modalities: list[str] | None, bands: list[str] | None) -> list[ImageSpec]:
    """Pair each ``--image`` with its ``--modality`` / ``--bands`` (one given for all is shared); a ``--bands`` that
    is empty for every image is refused, one empty side of a pair is that image's bands unnamed; either given with no
    ``--image`` (chat's) is refused."""
    def nth(values, i, option):
        if not values:
            return None
        if len(values) not in (1, len(images)):
            raise ValueError(f"{len(values)} {option} values for {len(images)} --image arguments: give one for all "
                             f"or one per --image")
        return values[i] if len(values) > 1 else values[0]

    if not images and (given := [o for o, v in (("--modality", modalities), ("--bands", bands)) if v]):  # chat: dropped
        raise ValueError(f"{' and '.join(given)} given without --image: they describe an image; give it (--image "
                         "scene.tif --modality sar --bands VV,VH), or name them with /image in the chat (/image "
                         "scene.tif sar VV,VH)")
    if images and bands and not any(b.strip() for b in bands):  # --bands "$BANDS" unset: was no names, unsaid
        raise ValueError(f"--bands {bands[0]!r} names no band (an unset variable?): give the bands' names, "
                         "comma-separated (--bands VV,VH), or leave --bands out to read the file's own")
    return [ImageSpec.parse(p, nth(modalities, i, "--modality"), nth(bands, i, "--bands"))
            for i, p in enumerate(images)]


READ_MAX_SIDE = 2048  # a whole scene is read at most this large (4x+ any model's input; rsvlm.io.read_shrunk)


def open_spec(spec: ImageSpec, whole: bool = False, shrunk: int | None = None):
    """An open ``SceneReader`` on the image ``spec`` names (a file, or one file per band); ``whole``: the caller
    reads all of it, so a scene that does not fit in memory is refused before its stretch is computed."""
    from rsvlm.io import SceneReader

    return SceneReader(spec.files if len(spec.files) > 1 else spec.files[0], spec.modality, spec.bands, whole=whole,
                       shrunk=shrunk)  # read_shrunk(shrunk) decodes a large scene once (rsvlm.io.shared_read)


def read_spec(spec: ImageSpec, window=None, max_side: int | None = None):
    """The image ``spec`` names: ``window`` of it, or the whole scene (read shrunk to ``max_side``
    pixels a side when larger: ``SceneReader.read_shrunk``)."""
    shrunk = max_side if window is None else None  # the stretch's samples strided from that one read
    with open_spec(spec, whole=window is None and not max_side, shrunk=shrunk) as scene:
        return scene.read_shrunk(max_side) if window is None and max_side else scene.read(window)


def scene_wh(img) -> tuple[int, int]:
    """(width, height) of the pixels an RSImage's answers are given in: its own, or the scene's
    when it was read shrunk whole (``window`` None, ``scene_size`` larger than its data)."""
    return img.scene_size if img.window is None and img.scene_size else (img.width, img.height)


def read_scale(img) -> tuple[float, float]:
    """(x, y): what a length in ``scene_wh``'s pixels, which answers are given in, is multiplied by in ``img``'s
    own; below 1 where the scene was read shrunk, each axis its own (a 4100x5 strip is read 2048x2)."""
    w, h = scene_wh(img)
    return img.width / w, img.height / h


def pixel_box(coords, img) -> str | None:
    """The ``<box>`` of X1,Y1,X2,Y2 in ``img``'s pixels (``scene_wh``), as ``predict --region`` and chat's pixel
    hint write it; None where the box is no box of the image (outside it, or its corners reversed)."""
    from rsvlm import geometry

    (w, h), (x1, y1, x2, y2) = scene_wh(img), coords
    box = [{"kind": "box", "label": None, "coords": [x1, y1, x2, y2]}]
    return geometry.encode(box, width=w, height=h) if 0 <= x1 < x2 <= w and 0 <= y1 < y2 <= h else None


SHAPE_ADVICE = {  # how a shape of each kind is written, said where a question's shape of that kind is not
    "box": "a box is <box><loc_X1><loc_Y1><loc_X2><loc_Y2></box>, X1 < X2 and Y1 < Y2",
    "obb": "an oriented box is <obb>, its 4 corners <loc_X><loc_Y> in order around it, </obb> "
           "(rsvlm.geometry.encode writes the corners in order from pixels)",
    "point": "a point is <point><loc_X><loc_Y></point>",
    "poly": "a polygon is <poly>, 3 vertices <loc_X><loc_Y> or more in order around it, </poly>"}


def shape_problem(question: str) -> str | None:
    """Why a shape written in ``question`` (chat's, predict's ``--prompt``) is not one the model reads, or
    None: its coordinates as plain numbers, a location past 999 or outside any shape (``<loc_…>`` with no
    ``<box>`` around them), too few of them, a box's corners reversed (``geometry.decode``'s problems, read
    wherever a tag or location is written, as ``data.records`` reads a record's turns), and how a shape of
    its kind is written (``SHAPE_ADVICE``; a box's where no kind is named); any ``<mask>``, which only [seg]
    answers hold. Such a shape was asked as written, and answered about whatever the model made of it."""
    from rsvlm import geometry

    each = ", each a thousandth of the image's width or height (0-999)"
    if re.search(r"</?mask>", question):  # [seg]'s answer, no question's: its advice was a box's, as if mistyped
        return ("the question holds a <mask>, the grid a [seg] answer writes pixels in, not a shape a question gives: "
                f"write the region as a box or a polygon: {SHAPE_ADVICE['box']}; {SHAPE_ADVICE['poly']}{each}")
    if not geometry.codec.spells_tag(question) and not geometry.codec.plain_numbers(question):  # "a < b": no shape
        return None  # (<bbox>100,100,500,500</bbox>, another tool's plain numbers, is one: read as nothing)
    if not (problems := geometry.decode(question, 1000, 1000).problems):
        return None
    said = dict.fromkeys(re.sub(rf"; (?:ignored|dropped)$|{re.escape(geometry.codec.REPAIRED)}$", "", p) for p in problems)  # what an answer's get
    kinds = dict.fromkeys(re.findall(r"<(box|obb|point|poly)>", " ".join(said))) or {"box": None}  # what to write
    return (f"the question's geometry is not written as the model reads it ({'; '.join(said)}): "
            + "; ".join(SHAPE_ADVICE[k] for k in kinds) + each)


def question_problem(question: str, python: bool = False) -> str | None:
    """Why ``question`` (``tagged``'s; ``ChatSession.ask``'s) asks nothing the model can answer, or None: it is empty, a
    tag alone, a ``[regcap]`` without a box, or its shape is not as the model reads it (``shape_problem``). Chat and
    predict ask a tag alone as its ``DEFAULT_PROMPTS`` question, with a note; the library refuses it, naming that.
    How to write a box from pixels is said for chat (its corners typed as pixels: chat shows the box,
    ``advice.pixel_box_hint``), or with ``python`` for the library (``rsvlm.geometry.encode``)."""
    from rsvlm.tokens import opening_task, task_tag

    task = opening_task(question)
    box = ("<box><loc_X1><loc_Y1><loc_X2><loc_Y2></box>, each a thousandth of the image's width or height (0-999; "
           + ("rsvlm.geometry.encode writes it from pixels)" if python else
              "type its corners in pixels, X1,Y1,X2,Y2, to be shown its box)"))
    if not question.strip():
        return "the question is empty: write one, e.g. '[det] Detect all ships.' or 'What is in this image?'"
    if task and question.strip() == task_tag(task):  # [count] alone was answered with a box, [vqa] with a class
        return f"{question.strip()} alone asks nothing: write the question after it, e.g. {DEFAULT_PROMPTS[task]!r}"
    if task == "regcap" and not re.search(SHAPE_OPEN, question):  # the model drew a box of its own and described it
        return f"[regcap] asks about a region, and this question names none: write its box in it, {box}"
    return shape_problem(question)


def geojson_count(fc: dict, objects: list) -> str:
    """"N features", and how many objects had no shape to write (objects_to_geojson leaves out a
    polygon of under 3 vertices or of no area, and an empty mask)."""
    from rsvlm.progress import counted

    n, left = len(fc["features"]), len(objects) - len(fc["features"])
    return counted(n, "feature") + (f"; {counted(left, 'object')} without a shape left out" if left else "")


def image_label(img) -> str:
    """An RSImage's short name for messages: its file's name, or the first and last of its band
    files ("B02.jp2…B08.jp2 (4 files)"; the last alone read as if that file were the image)."""
    names = [Path(p).name for p in img.files]  # not path split on ", ": one file may be named "a, b.png"
    return names[0] if len(names) == 1 else f"{names[0]}…{names[-1]} ({len(names)} files)"


def image_labels(images: list) -> list[str]:
    """Each RSImage's name in notes (predict's, chat's pair captions): ``image_label``'s short name, or the path
    where two images share it (a change pair 2019/scene.tif, 2020/scene.tif), so that their notes differ."""
    short = [image_label(im) for im in images]
    return [im.path if short.count(name) > 1 else name for im, name in zip(images, short)]


def all_nodata(img) -> str | None:
    """Why an RSImage holds nothing to ask about (every pixel nodata: the file's nodata value or
    mask, a transparent alpha, non-finite values), or None."""
    if img.valid is None or img.valid.any():
        return None
    return (f"{img.path}: every pixel is nodata (the file's nodata value or mask, alpha 0, or non-finite "
            "values): nothing to ask about")


def model_input(img):
    """RSImage → the processor's ImageInput."""
    from rsvlm.model import ImageInput

    return ImageInput(img.data, img.modality, list(img.bands), name=img.path)


def record_inputs(record: dict, root, png_checked: set | None = None) -> list:
    """A canonical record's images, read (file or band files, relative to ``root``) as ImageInputs.
    ``png_checked``: PNGs found whole before, not checked again (``read_image``; training passes one)."""
    from rsvlm.data.records import image_paths
    from rsvlm.io import read_image

    return [model_input(read_image(files if len(files) > 1 else files[0], modality=im.get("modality"),
                                   bands=im.get("bands"), png_checked=png_checked))
            for files, im in zip(image_paths(record, root), record["images"])]


def user_text(question: str, images: list, first_turn: bool, prompt: PromptConfig | None = None) -> str:
    """The user's turn: image placeholders (written as ``prompt``, the model's format, says) on the
    turn that brings the images, then the question."""
    if not first_turn:
        return question
    return image_turn(question, [im.modality for im in images], prompt or PromptConfig())


def scale_gap(side: int, input_size: int, factor: int = 4) -> str | None:
    """How ``side`` px fit to the model's ``input_size`` px input is far from the scale it learnt: shrunk
    more than ``factor`` times (small objects vanish) or enlarged more than ``factor`` times; None when not.
    Shared by ``size_note`` (an untiled image) and ``predict_tiles.window_notes`` (``--tile``'s windows)."""
    if side > factor * input_size:
        return f"shrunk to the model's {input_size} px input, so small objects vanish"
    if factor * side < input_size:
        return (f"enlarged {input_size / side:.0f}x to the model's {input_size} px input, a scale it was not "
                "trained on")
    return None


RESIZED = {  # what StemConfig.resize does to an image far longer one way than the other
    "stretch": "squashed to the model's square {n} px input: shapes in it are distorted",
    "pad": "padded to the model's square {n} px input: it fills a strip {k:.0f}x thinner than the input",
    "crop": "cut to its centre square for the model's {n} px input: the rest is not seen"}


def aspect_gap(w: int, h: int, input_size: int, resize: str = "stretch", factor: int = 4) -> str | None:
    """How a ``w`` x ``h`` px image ``factor`` times or more longer one way than the other fits the model's square
    ``input_size`` px input (what the stem's ``resize`` does to it: ``RESIZED``); None when it is not that long.
    Shared by ``size_note`` and ``predict_tiles.window_notes``."""
    if max(w, h) < factor * min(w, h):
        return None
    k = max(w, h) / min(w, h)
    return f"{k:.0f}x longer one way than the other, {RESIZED.get(resize, RESIZED['stretch']).format(n=input_size, k=k)}"


def resize_of(processor, modality: str) -> str:
    """The ``StemConfig.resize`` of ``processor``'s stem for ``modality`` ("stretch" for a stand-in)."""
    return getattr(getattr(processor, "stems", {}).get(modality), "resize", "stretch")


def size_note(img, input_size: int, factor: int = 4, resize: str = "stretch", *, tiling: bool = True) -> str | None:
    """A hint when an untiled RSImage is far from the model's input: far larger (shrunk whole), far
    smaller (a 3x3 px image enlarged 32x), or ``factor`` times or more longer one way than the other
    (a 5x300 px strip; what becomes of it is the stem's ``resize``: ``RESIZED``). ``tiling`` False (an
    image of a change pair, which ``--tile`` refuses): a far larger one is told to be cropped, not tiled."""
    w, h = scene_wh(img)
    notes = []
    if max(w, h) > factor * input_size:
        way = (f"rsvlm predict --tile {input_size} looks at it window by window" if tiling else
               "crop it to the part that matters (a pair is not tiled)")
        notes.append(f"{w}x{h} px shrunk whole to the model's {input_size} px input, so small objects vanish; {way}")
    elif gap := scale_gap(max(w, h), input_size, factor):
        notes.append(f"{w}x{h} px {gap}")
    if strip := aspect_gap(w, h, input_size, resize, factor):  # a 5x300 px strip
        notes.append(f"{w}x{h} px is {strip}")
    return "; ".join(notes) or None


def pair_notes(before, after) -> list[str]:
    """What makes a bi-temporal pair of RSImages suspect: other modalities, sizes, CRS, ground.
    The model resizes both to its input and compares them cell by cell, so it cannot tell."""
    notes = []
    if _same_files(before.files, after.files):  # the same path given twice: nothing can have changed
        notes.append(f"both images of the pair are {after.path}: give the earlier scene first, the later second")
    if before.modality != after.modality:
        notes.append(f"the pair mixes modalities ({before.modality} and {after.modality}): the model compared "
                     f"images of one sensor only, so it reads the sensors' differences as change")
    (bw, bh), (aw, ah) = scene_wh(before), scene_wh(after)
    if (bw, bh) != (aw, ah):
        notes.append(f"the pair differs in size ({bw}x{bh} and {aw}x{ah}): "
                     f"both are resized to the model's input and compared as if they covered the same ground; "
                     f"shapes in the answer are in the second image's pixels")
    if before.crs and after.crs and before.transform and after.transform:
        if before.crs != after.crs:
            notes.append(f"the pair is in different CRS ({before.crs} and {after.crs}): reproject one onto the other")
        else:
            a, b = _map_bounds(before), _map_bounds(after)
            inter = max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
            union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
            if union > 0 and inter / union < 0.9:
                notes.append(f"the pair covers different ground (overlap {100 * inter / union:.0f} % of the "
                             f"union of their footprints): crop both to the common extent")
    return notes


def _same_files(a: list[str], b: list[str]) -> bool:
    """Whether two RSImages' ``files`` (each read already) name the same files."""
    return [os.path.realpath(x) for x in a] == [os.path.realpath(x) for x in b]


def _map_bounds(img) -> tuple[float, float, float, float]:
    """An RSImage's footprint on the map: its scene's corners (a scene read shrunk keeps the scene's
    transform, so its own width would cover a part of the ground)."""
    from rsvlm.io.georef import pixel_to_map

    w, h = scene_wh(img)
    corners = pixel_to_map(img, [[0, 0], [w, 0], [0, h], [w, h]])  # (4,2)
    (x0, y0), (x1, y1) = corners.min(axis=0), corners.max(axis=0)
    return float(x0), float(y0), float(x1), float(y1)


def locate(answer: str, img, scores: list[float] | None = None) -> dict:
    """Decode an answer's geometry on ``img`` (with ``scores``, see ``with_scores``); add map
    coordinates where it is georeferenced."""
    from rsvlm import geometry

    parsed = geometry.decode(answer, *scene_wh(img))
    problems = list(parsed.problems)
    objects = with_scores(parsed.objects, scores or [], answer)
    return {"answer": answer, "text": parsed.text, "objects": with_map_coords(objects, img, problems),
            "problems": problems}


def with_scores(objects: list[dict], scores: list[float], text: str | None = None) -> list[dict]:
    """Objects with ``"score"`` (``GenerateOutput.scores``: one per closed shape, in answer order)
    where there is one score per object and, given the answer's ``text``, every shape it opens is
    closed; unscored otherwise (a decoded hole merges two shapes; free decoding's unclosed shape
    is recovered without a score while a dropped closed one has one, which would shift the scores
    onto the wrong objects)."""
    if len(scores) != len(objects):
        return objects
    if text is not None and len(re.findall(SHAPE_OPEN, text)) != len(re.findall(SHAPE_CLOSE, text)):
        return objects
    return [{**o, "score": score_digits(s)} for o, s in zip(objects, scores)]


def score_digits(score: float) -> float:
    """``score`` to 6 significant digits: an owed box's score can be 1e-6 (the model's wish to stop,
    counted in full), which 6 decimals made 0.0, tied with every other such box."""
    return float(f"{score:.6g}")


def with_map_coords(objects: list[dict], img, problems: list[str]) -> list[dict]:
    """Objects with "map_coords" added where ``img`` is georeferenced (see rsvlm.io.georef)."""
    if not img.georeferenced:
        return [dict(o) for o in objects]
    from rsvlm.io.georef import objects_with_map_coords

    try:
        return objects_with_map_coords(objects, img)
    except ValueError as e:
        problems.append(f"map coordinates unavailable: {e}")
        return [dict(o) for o in objects]
