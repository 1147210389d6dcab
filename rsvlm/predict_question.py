"""The question ``rsvlm predict`` asks: its task settled from ``--task`` or ``--prompt``'s tag (``settle_task``),
``--region``'s ``[regcap]`` box (``region_question``) and the question as the model learnt it (``asked_question``)."""

from __future__ import annotations

import math
import re
import sys

from rsvlm import inference as inf
from rsvlm.advice import pixel_box_hint
from rsvlm.progress import plural
from rsvlm.tokens import opening_task


def region_question(args, image) -> str | None:
    """The ``[regcap]`` question with ``--region`` as its box (in ``{box}``'s place, or after it), None where
    the question is ``--prompt``'s or the task's own; a ValueError where the region is missing (``--prompt`` holds
    no shape: ``inference.question_problem``'s rule; the default
    question named none: the model drew a box), outside the image, beside a region ``--prompt`` names, or with another task (a
    ``--prompt`` opening with another task's tag is that task, or ``settle_task`` refused it beside ``--task regcap``)."""
    if args.region is None:
        if args.task == "regcap" and not (args.prompt and re.search(inf.SHAPE_OPEN, args.prompt)):  # as the library's
            # question_problem: an <obb>, <point> or <poly> region was refused here, asked there
            raise ValueError(f"{named_task(args)} asks about a region: " + (
                "with --tile, give it as a <box> in --prompt, read in each tile's frame (--region is of the whole "
                "image)" if args.tile else "give it as --region X1,Y1,X2,Y2 in the image's pixels (or a <box> in "
                "--prompt)"))  # --region with --tile is refused: it was the one way out named
        return None
    (w, h), (x1, y1, x2, y2) = inf.scene_wh(image), args.region
    if args.task != "regcap":  # predict refuses it before the image is read; asked_question called on its own
        raise ValueError(f"--region is for --task regcap; {named_task(args)} asks about none")  # the task: as given
    if (box := inf.pixel_box(args.region, image)) is None:  # X1 < X2, Y1 < Y2: cli_values.region
        raise ValueError(f"--region {x1:g},{y1:g},{x2:g},{y2:g} lies outside the {w}x{h} image {inf.image_label(image)} "
                         f"(X1,Y1,X2,Y2 in its pixels: 0 <= X1 < X2 <= {w}, 0 <= Y1 < Y2 <= {h})")  # named no image
    q = args.prompt or "[regcap] What is in {box}?"
    if shape := re.search(f"{inf.SHAPE_OPEN}.*?{inf.SHAPE_CLOSE}", q):  # was asked with both regions in it
        raise ValueError(f"--prompt names a region of its own ({shape.group(0)}) and --region gives another: a run asks "
                         "about one region; leave --region out, or write {box} in --prompt in its place")
    return q.replace("{box}", box) if "{box}" in q else f"{q.rstrip()} {box}"


def _spoken(word: str) -> str:
    """``word`` as a question says it: lower case, ``-``, ``_`` and spaces as one space (``Small-Vehicle``)."""
    return re.sub(r"[\s_-]+", " ", word.strip().lower())


def _names(said: str, cls: str) -> re.Match | None:
    """Where the spoken question ``said`` first names the spoken class (or word) ``cls``, singular or plural, as whole
    words; None where it does not."""
    return re.search(rf"\b(?:{re.escape(cls)}|{re.escape(plural(cls))})\b", said)


def count_question(classes: list[str]) -> str:
    """``--task count``'s (and ``[count]`` alone's) question for a model whose ``prompt.det_classes`` are
    ``classes``: of ships where it knows them (the bundled model), else of its first class (a model of buildings alone
    was asked of ships); ``DEFAULT_PROMPTS``' where it lists none, as its classes cannot be told."""
    spoken = [_spoken(c) for c in classes]
    return inf.DEFAULT_PROMPTS["count"] if not spoken or "ship" in spoken else \
        f"[count] How many {plural(spoken[0])} are there?"  # data_gen's phrasings.COUNT[0]


def count_hint(question: str, classes: list[str]) -> str:
    """How to ask of another of ``classes`` than the one ``question`` names, and which they are."""
    said, spoken = _spoken(question), [_spoken(c) for c in classes]
    if not spoken:
        return "name what to count in the question (the model's classes: none listed (prompt.det_classes in its config.yaml))"
    other = next((c for c in spoken if not _names(said, c)), None)
    return (f"name another in the question ('[count] How many {plural(other)} are there?'; the model's classes: "
            f"{', '.join(map(plural, spoken))})" if other else f"the model's one class: {plural(spoken[0])}")


def count_note(question: str, classes: list[str], default: bool) -> str | None:
    """What to say of a ``[count]`` ``question`` (None for any other): every count question the model learnt names a
    class ("How many ships are there?"; it answered "How many objects are there?", the standard question once, with
    a guess), so ``default`` (the task's standard question was asked) says the class asked and ``classes`` (the
    model's ``prompt.det_classes``) the others; a question naming none of ``classes`` (singular or plural, whole
    words, in any case, ``-`` and ``_`` read as spaces) is warned of, naming the nearest class (``closest_class``)."""
    if opening_task(question) != "count":
        return None
    if default:
        return (f"note: [count] asks how many of one class, as the model learnt it: asked {question!r}; "
                f"{count_hint(question, classes)}")
    said, spoken = _spoken(question), [_spoken(c) for c in classes]
    if not spoken or any(_names(said, c) for c in spoken):
        return None
    word, near = closest_class(said, spoken)  # the example was the model's first class, whatever was asked
    reads = f"{word!r} is nearest its {plural(near)}: ask " if near else "ask one, e.g. "
    return (f"warning: {question!r} names none of the model's classes ({', '.join(map(plural, spoken))}): {reads}"
            f"'[count] How many {plural(near or spoken[0])} are there?'; every [count] question it learnt names one "
            "of them, and its count of other things is a guess")


def change_region_note(question: str) -> str | None:
    """What to say of a ``[change]`` question holding a shape ("What changed in <box>…?"), else None: every
    [change] question the model learnt is of the whole pair (data_gen's ``CHANGE_CAPTION``, ``CHANGE_SEG``), so it
    may answer of the whole pair; it was asked unsaid. Cannot tell whether the answer heeded the region."""
    if opening_task(question) != "change" or not re.search(inf.SHAPE_OPEN, question):
        return None
    return ("note: [change] with a region is no phrasing the model learnt (each of its [change] questions is of the "
            "whole pair: '[change] What changed between the two images?'), so its answer may be of the whole pair; "
            "crop both images to the region to ask of it alone")

# words a question may use for a model's class (spoken, singular), keyed by the class: only a model that has the key
# is offered it ("cars": its small vehicles), so a model whose "tank" is an armoured vehicle is not offered its tanks
# for "storage tanks" or "silos" (one table of groups offered any member of a group for any other)
CLASS_WORDS = {
    "small vehicle": ("car", "automobile", "sedan", "van", "taxi", "pickup", "suv"),
    "large vehicle": ("truck", "lorry", "bus", "trailer", "tractor"),
    "vehicle": ("car", "automobile", "van", "truck", "lorry", "bus"),  # DIOR's one vehicle class
    "car": ("automobile", "sedan", "taxi"),  # not "van": a model with both
    "truck": ("lorry",),  # not "bus" nor "trailer"
    "plane": ("airplane", "aeroplane", "aircraft", "airliner", "jet"),
    "airplane": ("plane", "aeroplane", "aircraft", "airliner", "jet"),  # DIOR's
    "ship": ("boat", "vessel", "ferry", "yacht", "tanker", "warship"),
    "storage tank": ("tank", "oil tank", "silo"),
    "storagetank": ("storage tank", "tank", "oil tank", "silo"),  # DIOR's
    "building": ("house", "roof", "rooftop"),
    "swimming pool": ("pool",),
    "helicopter": ("chopper",),
}


def closest_class(said: str, spoken: list[str]) -> tuple[str | None, str | None]:
    """The word of the spoken question ``said`` that most likely means one of the spoken classes ``spoken``, and
    that class: a word ``CLASS_WORDS`` gives for one of ``spoken`` ("cars": small vehicle, "planes": airplane; the
    one said first), else the counted noun ("How many planess ...") close in spelling to one (difflib); (noun or
    None, None) where none is near. Knows no word outside ``CLASS_WORDS``, and cannot tell a car from a small
    vehicle that is a van."""
    from rsvlm.near import near_names

    found = [(m.start(), m.group(0), cls) for cls in spoken for w in CLASS_WORDS.get(cls, ())
             if (m := _names(said, w))]
    if found:  # "How many cars are near the boats?": the cars
        return min(found)[1:]
    m = re.search(r"(?:how many|count(?: the| all)?|number of)\s+([a-z][a-z ]*?)(?=\s+(?:are|is|can|do|does|were|in|"
                  r"on|there|you)\b|[^a-z ]|$)", said)
    if m is None:
        return None, None
    noun = m.group(1).strip()
    forms = {form: cls for cls in spoken for form in (cls, plural(cls))}
    near = near_names(noun, forms, cutoff=0.75, slips=False)  # a slip in 3 letters (cat: car) is another word
    return noun, forms[near[0]] if near else None


def settle_task(args) -> str | None:
    """``args.task`` from the task tag ``--prompt`` opens with where ``--task`` is not given (``regcap`` for a
    ``--region`` with a ``--prompt`` of no tag); why the task cannot be settled (neither names one, an unknown
    tag, a tag other than ``--task``'s), else None."""
    try:
        tag = opening_task(inf.tagged(args.prompt, sys.getfilesystemencoding())) if args.prompt else None
    except ValueError as e:  # [detect]: asked_question says it where --task is given
        if args.task is None:
            return f"--prompt: {e}"
        tag = None
    if args.task is None:
        if tag is None and getattr(args, "region", None) is not None:  # --region is regcap's alone
            args.task, args.task_given_as = "regcap", "--region's [regcap]"
            return None
        if tag is None:
            return (f"give --task ({', '.join(inf.DEFAULT_PROMPTS)}), or a --prompt that opens with a task tag "
                    "(--prompt '[det] Detect all ships.')")
        args.task, args.task_given_as = tag, f"--prompt's [{tag}]"
    elif tag is not None and tag != args.task:  # was a warning, the [cls] answer then read as --task det's
        return (f"--task {args.task} and --prompt's [{tag}] name two tasks: leave --task out (the tag names the "
                f"task), or open --prompt with [{args.task}]")
    return None


def text_advice(error: str, args) -> str:
    """``error`` (``VLM.check_context``'s, ending "a shorter text") with the text named as the user gave it: "a
    shorter --prompt" where they gave one; else the task's own short question is not what to shorten."""
    if not error.endswith("; use a shorter text"):  # "fewer images or a shorter text" stands as it is
        return error
    return error.removesuffix("a shorter text") + ("a shorter --prompt" if args.prompt else
                                                    "an LLM with a longer context (the task's question is short)")


def named_task(args) -> str:
    """The task as the user gave it, for messages: ``--task det``, or ``--prompt's [det]`` (``settle_task``)."""
    return getattr(args, "task_given_as", None) or f"--task {args.task}"


def asked_question(args, image, say) -> str:
    """The question put to the model: ``--prompt`` (a task tag alone, ``[det]``, is that task's standard
    question, as in chat), ``--region``'s (``region_question``) or ``--task``'s standard one, its tag
    written as the model learnt it and ``--task``'s put before a question opening with none (a tag other
    than ``--task``'s is ``settle_task``'s to refuse, first). Says (``say``) where the detection options go
    unused; a ValueError naming the option otherwise."""
    m = re.fullmatch(r"\s*\[(\w+)\]\s*", args.prompt or "")
    alone = m.group(1).lower() if m and m.group(1).lower() in inf.DEFAULT_PROMPTS else None
    given = args.prompt
    if alone:  # was asked as the bare tag: [count] was answered with a box, [vqa] with a class (chat says so too)
        args.prompt = None  # settle_task made it --task's (or refused another)
    question = region_question(args, image) or args.prompt or inf.DEFAULT_PROMPTS[args.task]
    if args.region is None and "{box}" in question:  # "[vqa] What is in {box}?" was asked as typed, about nothing
        raise ValueError("--prompt holds {box}, the place --region's box is written in, and no --region is given: "
                         + ("with --tile, write the region's <box> in --prompt, read in each tile's frame (--region "
                            "is of the whole image)" if args.tile else "--task regcap --region X1,Y1,X2,Y2 (in the "
                            "image's pixels) asks about a region, or write its <box> in --prompt"))
    if args.region and max(args.region) <= 1 and math.prod(inf.scene_wh(image)) > 100:  # 0.1,0.1,0.5,0.5: fractions
        # read as pixels; a tiny image's top-left pixel (1% of it or more: 0,0,1,1 of a 4x4 chip) may well be meant
        say(f"warning: --region {','.join(f'{v:g}' for v in args.region)} is in pixels: it lies within the top-left "
            f"pixel of the {'x'.join(map(str, inf.scene_wh(image)))} image; for fractions of the image, multiply "
            "them by its width and height")
    try:  # a tag as the model learnt it ([DET]Find → [det] Find: it read the other as plain characters)
        question = inf.tagged(question, sys.getfilesystemencoding())  # argv's bytes: the file system's encoding
    except ValueError as e:
        raise ValueError(f"--prompt: {e}") from None
    if why := inf.shape_problem(question):  # <box>10,10,50,50</box> was asked as written: an answer about nothing
        # --region is refused for any task but [regcap]: it was offered for a [vqa] question too
        raise ValueError(f"--prompt: {why}" + ("; --region X1,Y1,X2,Y2 gives a [regcap] box in pixels"
                         if (opening_task(question) or args.task) == "regcap" else pixel_box_hint(question, image)))
    if alone:  # [count]'s class is the model's (count_question), said once it is loaded (count_note)
        say(f"note: --prompt {given.strip()!r} is a task tag alone: asked as the task's standard question, "
            + ("of one of the model's classes" if alone == "count" else repr(question)))
    if opening_task(question) is None:  # "[1] of the ships?" opens with no tag: one is put before it
        question = f"[{args.task}] {question}"
    ignored = [o for o, on in (("--min-objects", args.min_objects), ("--det-by-class", args.det_by_class)) if on]
    if ignored and args.task != "det":  # was silent; now in --out's notes too (was a bare print in cli.main)
        say(f"warning: {' and '.join(ignored)} ignored: {named_task(args)} asks no [det] question")
    return question


_KIND_WORDS = {"obb": "oriented box", "poly": "polygon"}  # a title's words for a kind's tag


def _shape_words(obj: dict) -> str:
    """One decoded shape in pixels, as a title reads it: ``box 100,50,300,200 px``, ``point (12,40) px``,
    ``oriented box (10,5) (40,5) (40,20) (10,20) px``, ``polygon (…) px`` (was the kind's tag: "obb", "poly")."""
    c = obj["coords"]
    if obj["kind"] == "box":
        return f"box {','.join(f'{v:.0f}' for v in c)} px"
    if obj["kind"] == "point":
        return f"point ({c[0]:.0f},{c[1]:.0f}) px"
    ring = c[0] if c and isinstance(c[0][0], list) else c  # a poly's outer ring
    shown = " ".join(f"({x:.0f},{y:.0f})" for x, y in ring[:6])
    return f"{_KIND_WORDS.get(obj['kind'], obj['kind'])} {shown}{f' … ({len(ring)} vertices)' if len(ring) > 6 else ''} px"


def pixel_question(question: str, img, region=None, pair: bool = False) -> str:
    """``question`` as an overlay's title writes it: each shape's tokens (``<box><loc_140>…</box>``, which the
    user never typed) as its pixels in ``img`` (``inference.scene_wh``), ``region`` (``--region``'s X1,Y1,X2,Y2) as
    typed; ``pair``: said to be in the after image's pixels, the same place drawn on both (``asked_regions``' label
    was that long sentence). A mask's grid, and a span that decodes to no one shape, stay tokens."""
    from rsvlm import geometry

    w, h = inf.scene_wh(img)

    def words(m: re.Match) -> str:
        if region is not None:
            return f"box {','.join(f'{v:g}' for v in region)} px"
        objs = geometry.decode(m.group(0), w, h).objects
        return _shape_words(objs[0]) if len(objs) == 1 and objs[0]["kind"] != "mask" else m.group(0)

    said, n = re.subn(f"{inf.SHAPE_OPEN}.*?{inf.SHAPE_CLOSE}", words, question)
    return f"{said} (in the after image's pixels, drawn on both)" if pair and n else said
