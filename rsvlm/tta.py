"""Mirror views of an image: answer on each, map the answers back, fuse (test-time augmentation);
the same views as training augmentation (``data.augment``, ``map_text``).

    fused = tta.fused_answers(generate, messages, images, plain_answers, tta.FuseConfig(views=tta.DIHEDRAL))

``VIEWS`` (``--tta flip``) are the identity, the left-right flip ``h``, the top-bottom flip ``v``
and both ``hv`` (a half turn); ``DIHEDRAL`` (``--tta dihedral``) adds the four transposed (``t``
first, then the flips): every symmetry of a square. Every image of a record is turned alike (a
change pair stays registered), and the question's direction words are mapped to match
(``rsvlm.tta_words``: left/right, leftmost/rightmost, west/east for ``h``; top/bottom, topmost/bottommost,
upper/lower, above/below, north/south for ``v``; left/top, right/bottom, west/north, east/south
for ``t``), so "the leftmost ship" still names the same ship. Shapes come back through the
inverse map (``unflip``; a view's pixels, crops too, are ``rsvlm.tta_views``'s, its messages
``rsvlm.tta_text``'s, importable here), and ``rsvlm.fusion.fuse`` makes one answer of them (its docstring says how, by
what the answers hold).

``CROPS`` (``--tta crops``; ``dihedral+crops`` with the eight mirror views) are the four corner
crops of ``crop_share`` of each side, seen by the model at its full input size; they are asked
for ``[det]`` and ``[ground]`` questions with no word of position or relative size
(``croppable``: a crop changes what "the leftmost", "the largest", "in the top half" or "how many" mean), their
boxes shifted back and those on an inner edge of the crop dropped, then fused as above. A crop's
``[ground]`` answer owes no shape under the grammar (``crop_messages``: the object may be outside the
crop), and one without is no vote.

Limits: the swapped words are English, whole words only (``rsvlm.tta_words``); an answer with text
besides its shapes keeps the identity view's answer (the caller need not run the other views for
it); a view whose answer has problems (but a shape the decoder repaired, fused: ``repaired_note``) counts as finding
nothing, one of another shape kind (boxes to ``[seg]``) and an empty one are no vote (``Fused.note`` counts such views); a question a view cannot say (``above`` under a
transpose) skips that view; crops are not asked where the conversation holds shapes or the answer is
a polygon or mask; the views assume the scene has no handedness the model relies on (sun azimuth and
shadows, text on the ground). Measured in
docs/default-model/test-time-augmentation.md ("Test-time augmentation").
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Integral, Real

from rsvlm.answer_words import says_none
from rsvlm.fusion import Fused, asked_kind, cut_by, fusable, fuse, other_kinds, outvoted, vote, voted_out
from rsvlm.geometry.codec import CAPTION_DROPPED
from rsvlm.tta_lead import asks_several, majority_kind, skipped_note
from rsvlm.tta_lines import ordinal_why
from rsvlm.tta_senses import along_question, turn_question  # noqa: F401 (importable here)
from rsvlm.tta_tables import COMPASS, FRAMED, SWAPS, UNMAPPED  # noqa: F401 (tables: importable here)
from rsvlm.tta_text import (  # noqa: F401 (importable here: the views' messages)
    CROPS_FOR,
    SPAN,
    crop_messages,
    croppable,
    crops_barred,
    flip_view,
    labels_back,
    map_text,
    plain_words_note,
    repaired_note,
    shapes_only,
    unfused_note,
    unrepaired,
    view_messages,
)
from rsvlm.tta_views import (  # noqa: F401 (importable here, as the other views' pixels)
    as_arrays,
    crop_view,
    crop_window,
    flip_array,
    new_crop,
    to_view,
    top_left,
    uncrop,
    unflip,
    unflip_array,
    view_size,
)
from rsvlm.tta_words import (  # noqa: F401 (importable here)
    counter_spelling,
    frames,
    framing_words,
    hand_spelling,
    spellings,
    swap_words,
    unsaid_phrase,
    unsaid_word,
    upper_spelling,
)

VIEWS = ("", "h", "v", "hv")  # the identity and the mirror images: ``rsvlm eval --tta flip``
DIHEDRAL = VIEWS + ("t", "th", "tv", "thv")  # and transposed: all 8 symmetries of a square (``dihedral``)
CROPS = ("c0", "c1", "c2", "c3")  # corner crops, top left, top right, bottom left, bottom right: detection only
NONE = "None."  # a fused answer where no shape is kept: what the model answers where it finds none
_WHOLE = ("min_views", "text_words", "budget")  # ``FuseConfig``'s counts: whole numbers, the rest any real number
MODES = {"flip": VIEWS, "dihedral": DIHEDRAL, "crops": ("",) + CROPS, "dihedral+crops": DIHEDRAL + CROPS}


@dataclass
class FuseConfig:
    views: tuple[str, ...] = VIEWS  # the identity first; one of MODES
    agree: float = 0.3  # single shapes: IoU with the medoid to be averaged with it
    cluster_iou: float = 0.5  # several shapes: IoU with a cluster's first member to join it
    contain: float = 0.6  # …and two clusters of no common view join where the smaller lies this much inside the other
    min_views: int = 1  # several shapes: views that must find one to keep it (its score says how many did)
    min_share: float = 0.5  # masks: share of the views that must cover a pixel to keep it
    min_piece: float = 0.1  # masks: a kept piece's least share of the smallest view instance it overlaps, and the
    # share of its 8-connected shape under which a polygon's piece meeting it at a corner is joined to it (0: off)
    text_words: int = 4  # text answers of at most this many words: the most common answer of the views (0: off)
    budget: int = 32  # location tokens per instance when a fused mask is re-encoded
    crop_share: float = 11 / 12  # crop views: the share of each side a corner crop keeps (88 of 96 px)
    point_reach: float = 4 / 96  # points: the share of each side two must be within to agree (4 of 96 px)
    smooth_px: float = 1.0  # fused polygons: Douglas-Peucker tolerance through the pixel staircases (0: traced as is)

    def __post_init__(self):
        """``views`` may be a mode's name (``"dihedral"``); a ValueError for views no mode has, or
        without the identity first (the plain answer is that view's: one left out went unasked), and
        for shares, counts and thresholds out of their range."""
        if isinstance(self.views, str):
            if self.views not in MODES:
                raise ValueError(f"FuseConfig.views: unknown mode {self.views!r} (known: {', '.join(MODES)})")
            self.views = MODES[self.views]
        views, known = tuple(self.views), DIHEDRAL + CROPS
        if not views or views[0] != "" or len(set(views)) < len(views) or not set(views) <= set(known):
            raise ValueError(f"FuseConfig.views: {views!r} must be the identity '' first, then other views of "
                             f"{known[1:]!r}, each once (or a mode's name: {', '.join(MODES)})")
        self.views = views
        typed = [f"{k} {v!r} ({'a whole number' if k in _WHOLE else 'a number'})" for k, v in vars(self).items()
                 if k != "views" and (isinstance(v, bool) or not isinstance(v, Integral if k in _WHOLE else Real))]
        if typed:  # 2.5 views, "3" (a string from a config file), True: refused by name, not cut short or compared
            raise TypeError(f"FuseConfig: {', '.join(typed)}: give each field as its type (min_views=2, not '2')")
        bad = [f"{k} {v!r}" for k, v, ok in (
            ("agree", self.agree, 0 <= self.agree <= 1), ("cluster_iou", self.cluster_iou, 0 <= self.cluster_iou <= 1),
            ("contain", self.contain, 0 < self.contain <= 1), ("min_views", self.min_views, self.min_views >= 1),
            ("min_share", self.min_share, 0 < self.min_share <= 1), ("min_piece", self.min_piece, 0 <= self.min_piece <= 1),
            ("text_words", self.text_words, self.text_words >= 0), ("budget", self.budget, self.budget >= 1),
            ("crop_share", self.crop_share, 0 < self.crop_share < 1), ("point_reach", self.point_reach, 0 < self.point_reach <= 1),
            ("smooth_px", self.smooth_px, 0 <= self.smooth_px < float("inf"))) if not ok]
        if bad:
            raise ValueError(f"FuseConfig: {', '.join(bad)} out of range (IoUs in [0, 1], min_views and budget at "
                             "least 1, min_share, contain and point_reach in (0, 1], crop_share in (0, 1): 1 is the whole image, "
                             "no crop; min_piece in [0, 1], text_words and smooth_px at least 0)")


def asks_all(messages: list[dict]) -> bool:
    """Whether the last question asks for every object (``[det]``), however few a view found."""
    from rsvlm.inference import asks_detection

    return asks_detection(messages)


def _unfused(dec, shapes: bool, text: str = "") -> str | None:
    """Why a view's decoded answer (``text``) is left out of the fusion though it said something; None where
    it is fused or found nothing (no words, or none in words: ``answer_words.says_none``). ``shapes``: a shape answer
    (of any kind: ``fusion.other_kinds`` leaves out another once all are in), else a text answer."""
    if problems := unrepaired(dec):  # a shape repaired (a crossing <obb>'s corners swapped) is fused: repaired_note
        # "its label: <ref>… (286 characters) reads as a caption (two sentences), …": said once (was twice)
        return f"its label: {problems[0]}" if problems[0].endswith(CAPTION_DROPPED) else f"its geometry does not parse ({problems[0]})"
    if not shapes:
        return "it holds shapes" if dec.objects else None
    if dec.objects and not shapes_only(dec):
        return "it holds text besides its shapes"
    return None if dec.objects or not text.strip() or says_none(text) else "it answers in words, neither shapes nor none"


def fused_answers(generate, messages: list[list[dict]], images: list[list], first: list[tuple[str, list[float]]],
                  cfg: FuseConfig | None = None, notes: dict[int, str] | None = None,
                  on_views=None, unasked: set[int] | None = None, frame: str = "image",
                  no_views: dict[int, str] | None = None) -> list[Fused | None]:
    """Per record, its answer fused over ``cfg.views`` (``Fused``), or None where the identity
    answer (``first``) is neither shapes only nor short text (``cfg.text_words``), or holds shapes
    ``fusion.fuse`` cannot join (``fusable``: boxes with obbs); no other view is asked for those. The identity
    answer to a ``[det]`` question that holds no shape ("None.") is fused as shapes: the other views
    (crops too) may find what it missed, each shape scored by the share of the views that found it;
    where none is kept its answer stays as answered, a Fused still (``objects`` ``[]``, the plain text), so that
    its ``note`` and ``unasked`` say the views left out or not asked.
    ``generate(messages, images) -> [(text, scores)]`` answers a batch; it is called once per other
    view, for the records that view can say. Give it no ``min_objects`` push (``inference.answerer``'s
    ``0``): a corner crop holding none of the objects, or each view padding to N, made up objects.
    Shapes carry ``"score"`` where the answers had one per shape; a view's text answer, and a shape's
    label (``labels_back``), has its direction words mapped back before the vote. A fused answer is ``cut`` where the plain one or any view's was (``inference.Answer.cut``; ``cut_known`` so), ``past_context``
    likewise (``Answer.past_context``: a view's prompt and answer can run longer; ``past_views`` names
    the views whose answers did), its ``note`` counts the view answers left out (``_unfused``: geometry that does not parse, ...)
    and the shapes fused as decoding repaired them (``repaired_note``: a reversed ``<box>``), its ``voted_out`` why "None."
    replaced the plain answer's shapes (``fusion.voted_out``: too few views agreed on any), and its ``unasked``
    the views not asked of it (``skipped_note``: "above" under a transpose, a crop of a ``[count]`` question).

    A view whose prompt ``generate`` refuses (ValueError: a view's words or shapes can take a token more than the plain
    prompt, past the LLM's context) is asked record by record; a record it still refuses keeps its plain answer (None),
    and ``notes``, where given, says why under its index. ``frame``: an image's name in notes ("tile window").
    ``on_views``, where given, is called before any view is asked with the tuple of other views that will be asked of
    any record, in order (a refusal aside; none where no plain answer is fused, no crop the question or answer rules
    out, ``croppable``, or that shows nothing new, ``new_crop``): what a progress count ("view k of N") is out of.
    ``unasked``, where given, gets the index of each record of which no other view was asked, none refused
    (``no_view_note`` says why): the records whose answer is None, none refused, where fused. ``no_views``, where
    given, gets that ``no_view_note`` under each such index, of the pixels read here (``no_view_note`` of an
    ``ImageInput`` holding a path reads the file again, its read warnings given again)."""
    from rsvlm import geometry
    from rsvlm.answering import is_cut_known, last_question, last_task
    from rsvlm.inference import is_cut, is_past_context, with_scores

    cfg = cfg or FuseConfig()
    images = [as_arrays(ims) for ims in images]  # a path read once, not per view (nor its ``array`` taken for pixels)
    todo, views, fixed = _plain_views(messages, images, first, cfg)  # (record, w, h, shapes?); answers and repairs per view
    if on_views is not None:
        on_views(tuple(v for v in cfg.views[1:]
                       if any(_asks(v, messages[i], w, h, sh, views[i][0], cfg) for i, w, h, sh in todo)))
    windows = {i: [(0, 0, w, h)] for i, w, h, _ in todo}  # per record, the part of the image each of its views saw
    cut = {i: is_cut(a) + is_cut_known(a) for i, a in enumerate(first)}  # 1: cut, 2: known to be (``Answer.cut_known``)
    past = {i: is_past_context(a) for i, a in enumerate(first)}
    refused: dict[int, str] = {}  # record → why a view of it could not be asked
    left: dict[int, list[tuple[str, str]]] = {}  # record → (view, why) of each answer left out of its fusion
    worded: dict[int, list] = {}  # record → (view, words said back) of each answer in words to a plain one of shapes
    n_asked: dict[int, int] = {}  # record → other views answered
    past_views: dict[int, list[str]] = {}  # record → the other views whose answers ran past the context
    skipped: dict[int, list[str]] = {}  # record → the other views not asked of it (_view_of: its words, a crop)
    seen: dict[int, list[str]] = {}  # record → the other views whose shapes (or []) are in views[record], in order
    # a text answer's words are said back as the plain answer, else the last question, spells them (tta_words.spellings)
    spelt = {i: spellings(views[i][0], last_question(messages[i]), messages[i]) for i, _, _, sh in todo if not sh}
    for view in cfg.views[1:] if todo else ():
        asked = [(i, w, h, shapes, v) for i, w, h, shapes in todo if i not in refused
                 and (v := _view_of(images[i], messages[i], view, w, h, shapes, views[i][0], cfg)) is not None]
        for i in {t[0] for t in todo} - {a[0] for a in asked} - refused.keys():  # this view not asked of it
            skipped.setdefault(i, []).append(view)
        out = _ask_view(generate, asked, view, refused)
        for (i, w, h, shapes, _), answer in zip(asked, out):
            if answer is None:
                continue
            text, scores = answer
            cut[i] = max(cut[i], is_cut(answer) + is_cut_known(answer))
            past[i] = past[i] or is_past_context(answer)
            if is_past_context(answer):
                past_views.setdefault(i, []).append(view)
            n_asked[i] = n_asked.get(i, 0) + 1
            if view.startswith("c"):
                x0, y0, cw, ch = crop_window(view, w, h, cfg.crop_share)
                dec = geometry.decode(text, cw, ch)
                if why := _unfused(dec, True, text):  # of another kind: fusion.other_kinds, once every view answered
                    left.setdefault(i, []).append((view, why))
                fixed[i] += [] if why else [(f"view {view!r}", p) for p in dec.problems]  # repairs alone (_unfused)
                shifted = uncrop(with_scores(dec.objects, scores, text), (x0, y0, cw, ch))
                kept = [o for o in shifted if not cut_by(o, (x0, y0, cw, ch), w, h)]
                views[i].append(kept if shapes_only(dec) else [])
                seen.setdefault(i, []).append(view)
                windows[i].append((x0, y0, cw, ch))
                continue
            dec = geometry.decode(text, *view_size(view, w, h))
            if why := _unfused(dec, shapes, text):
                left.setdefault(i, []).append((view, why))
            if shapes and why == "it answers in words, neither shapes nor none":  # voted where most are: majority_kind
                said = swap_words(text.strip(), view, back=True, **spellings(None, last_question(messages[i]), messages[i]))
                worded.setdefault(i, []).extend([] if said is None else [(view, said)])
            fixed[i] += [] if why or not shapes else [(f"view {view!r}", p) for p in dec.problems]
            if shapes:
                said = unflip(with_scores(dec.objects, scores, text), view, w, h) if shapes_only(dec) else []
                views[i].append(labels_back(said, view))
                seen.setdefault(i, []).append(view)
                windows[i].append((0, 0, w, h))
            elif why:
                pass  # left out, and counted above
            elif not text.strip():  # no answer: voted, several such outvoted the plain one to an empty answer
                left.setdefault(i, []).append((view, "it is empty"))
            elif (said := swap_words(text.strip(), view, back=True, **spelt[i])) is not None:
                views[i].append(said)
            else:
                why = ordinal_why(text, spelt[i]["lines"]) or "a direction word of it has no one-word image back"
                left.setdefault(i, []).append((view, why))
        asked = out = v = _ = None  # this view's batch copies dropped before the next view's are made (2 at once, not 3)
    if notes is not None:
        notes.update(refused)
    none = [i for i in range(len(first)) if i not in refused and not n_asked.get(i)]  # no other view asked of it
    if unasked is not None:
        unasked.update(none)
    if no_views is not None:
        no_views.update({i: no_view_note(messages[i], images[i], first[i], cfg, frame) for i in none})
    fused: list[Fused | None] = [None] * len(first)
    for i, w, h, shapes in todo:
        if i in refused or (len(views[i]) == 1 and i not in left):  # no other view was asked (see croppable)
            continue
        asked = asked_kind(last_question(messages[i]))  # "Use oriented boxes.": 7 of 8 views' obbs lead the plain boxes
        # one object asked: a view's several shapes are no vote (fusion.lone), not where several are ("the two ships")
        one = last_task(messages[i]) == "ground" and not asks_several(last_question(messages[i]))
        if shapes and (other := other_kinds(views[i], seen.get(i, []), asked, one)):  # the plain answer's kind, or most views' to a "None."
            left[i] = sorted(left.get(i, []) + other, key=lambda lo: cfg.views.index(lo[0]))
            fixed[i] = [f for f in fixed[i] if f[0] not in {f"view {v!r}" for v, _ in other}]  # no vote: no repair said
        lost = outvoted(views[i], asked) if shapes else None  # the plain answer's boxes left out: said, counted
        said = {"cut": cut[i] > 0, "cut_known": cut[i] > 1, "past_context": past[i], "past_views": tuple(past_views.get(i, ())),
                "answers": 1 + n_asked.get(i, 0), "left_out": len(left.get(i, ())) + bool(lost),
                "note": "; ".join(filter(None, [lost, unfused_note(left[i], n_asked[i], shapes) if i in left else None,
                                                 repaired_note(fixed[i]) if shapes else None])) or None,
                "unasked": skipped_note(skipped.get(i, []), len(cfg.views) - 1, last_question(messages[i]),
                                        crops_barred(messages[i], w, h, shapes, views[i][0], cfg, frame) or CROPS_FOR)}
        if led := majority_kind(views[i][0], worded.get(i, []), said["answers"], last_task(messages[i]),
                                last_question(messages[i])):
            fused[i] = Fused(led[0], **{**said, "note": led[1], "left_out": said["answers"] - len(worded[i])})
            continue  # 7 of 8 views' words outvoted the plain answer's boxes: those led, unsaid
        if not shapes:
            fused[i] = Fused(vote(views[i], task=last_task(messages[i])), **said)
            continue
        objs = fuse(views[i], w, h, cfg, windows[i], many=asks_all(messages[i]), asked=asked, one=one)  # None: none found
        if not objs and not views[i][0]:  # a [det] "None." no view's shape changed: kept as answered, notes said
            fused[i] = Fused(first[i][0], [], **said)
        elif objs is not None:  # (None for plain shapes only where fuse cannot join them: _not_fused asks none)
            # replaced: said (outvoted "None." no answer left out); named apart from ``worded``, which the next record reads
            if not views[i][0] and (words_note := plain_words_note(first[i][0], len(objs))):
                said.update(note="; ".join(filter(None, [words_note, said["note"]])), left_out=said["left_out"] + (not says_none(first[i][0])))
            if views[i][0] and not objs:  # the plain answer's shapes voted out: "None.", said why
                said["voted_out"] = voted_out(views[i], cfg, asked)
            fused[i] = Fused(geometry.encode(objs, w, h) or NONE, objs, **said)
    return fused


def no_view_note(messages: list[dict], images: list, first: tuple, cfg: FuseConfig, frame: str = "image") -> str:
    """Why ``fused_answers`` asked no other view of one record (``on_views`` got none), the plain answer
    (``first``, to ``messages`` about ``images``, a ``frame``) standing: for predict and chat to say. Not one of
    ``fused_answers``' ``notes``, which eval counts as refused prompts."""
    from rsvlm import geometry
    from rsvlm.answering import last_question

    mode = next((f"--tta {name}" for name, views in MODES.items() if views == cfg.views), "--tta")
    if not images:  # a text-only record (eval): _plain_views skips it
        return f"{mode}: no view asked of this question (it holds no image); the plain answer stands"
    h, w = (images := as_arrays(images))[-1].array.shape[-2:]  # the answer's frame, as _plain_views reads it
    why = _not_fused(messages, dec := geometry.decode(first[0], w, h), first[0], cfg)
    if why is None and not all(v.startswith("c") for v in cfg.views[1:]):  # fused, yet no view could be asked of it
        said = unsaid_word(q := last_question(messages) or "", way=True) and f": {unsaid_phrase(q, True)}"
        why = f"a turn of the conversation cannot be said in a mirror view{said or ''}"
    elif why is None:  # crops alone: the question or its answer is not for them, or the image too small
        why = crops_barred(messages, w, h, bool(dec.objects) or asks_all(messages), dec.objects, cfg, frame) or CROPS_FOR
        if why == CROPS_FOR:
            why += ", in a conversation whose turns hold no shape; a short text answer is voted over mirror views"
    return f"{mode}: no view asked of this question ({why}); the plain answer stands"


def _not_fused(messages: list[dict], dec, text: str, cfg: FuseConfig) -> str | None:
    """Why a plain answer (``text``, ``dec`` its ``geometry.decode``) is not fused, or None where it is: shapes
    only that ``fusion.fuse`` can join, a ``[det]`` "None." (another view may find some), or short text."""
    if shapes_only(dec):
        return None if fusable(dec.objects) else ("its answer mixes kinds of shape that fusion cannot join "
                                                  "(boxes with oriented boxes)")
    if problems := unrepaired(dec):  # a repaired shape is fused (repaired_note)
        return f"its answer's geometry does not parse ({problems[0]})"
    if dec.objects:
        return "its answer holds text besides its shapes"
    if asks_all(messages) or 0 < len(text.split()) <= cfg.text_words:
        return None
    return f"only shapes and answers of at most {cfg.text_words} words are fused" if text.strip() else "its answer is empty"


def _plain_views(messages: list[list[dict]], images: list[list], first: list,
                 cfg: FuseConfig) -> tuple[list[tuple[int, int, int, bool]], dict[int, list], dict[int, list]]:
    """(record, width, height, shapes?) of each plain answer fused (``_not_fused``: shapes only, a ``[det]``
    "None.", or short text, about an image), and per such record the answers of its views so far: the plain
    one's shapes or text; and its shapes decoding repaired so far, ("the plain answer", problem) each."""
    from rsvlm import geometry
    from rsvlm.inference import with_scores

    todo, views, fixed = [], {}, {}
    for i, (text, scores) in enumerate(first):
        if not images[i]:  # a conversation without an image has no views
            continue
        h, w = images[i][-1].array.shape[-2:]  # the answer's frame: a pair's later image (inference.pair_notes)
        dec = geometry.decode(text, w, h)
        if _not_fused(messages[i], dec, text, cfg):  # boxes with obbs too (every view was asked, the plain answer kept)
            continue
        shapes = bool(dec.objects) or asks_all(messages[i])  # shapes only, or "None." to a [det] question
        todo.append((i, w, h, shapes))
        views[i] = [with_scores(dec.objects, scores, text) if dec.objects else [] if shapes else text.strip()]
        fixed[i] = [("the plain answer", p) for p in dec.problems]
    return todo, views, fixed


def _asks(view: str, messages: list[dict], w: int, h: int, shapes: bool, plain, cfg: FuseConfig) -> bool:
    """Whether a record is asked ``view`` (``plain``: its plain answer's shapes, or text): a crop ``crops_barred`` does
    not bar that shows something new (``new_crop``); a mirror view where every turn can be said in it."""
    if view.startswith("c"):
        return not (crops_barred(messages, w, h, shapes, plain, cfg) or "").startswith(CROPS_FOR) and new_crop(view, cfg, w, h)
    return view_messages(messages, view, w, h) is not None


def _view_of(images: list, messages: list[dict], view: str, w: int, h: int, shapes: bool, plain,
             cfg: FuseConfig) -> tuple[list, list] | None:
    """(ImageInputs, messages) of a record seen in ``view``: a crop's, or a mirror view's (``flip_view``);
    None where the record is not asked ``view`` (``_asks``; a mirror view's turns mapped once)."""
    if not view.startswith("c"):
        return flip_view(images, messages, view)
    if not _asks(view, messages, w, h, shapes, plain, cfg):
        return None
    return crop_view(images, view, cfg.crop_share), crop_messages(messages, crop_window(view, w, h, cfg.crop_share))


def _ask_view(generate, asked: list[tuple], view: str, refused: dict[int, str]) -> list:
    """``generate``'s answers to ``asked`` (``(record, w, h, shapes, (images, messages))`` each) in
    ``view``: one batch, or where it raises ValueError, record by record, a refused record's answer
    None and its reason in ``refused``."""
    from rsvlm.inference import answers_or_refusals

    out, why = answers_or_refusals(generate, [v[1] for *_, v in asked], [v[0] for *_, v in asked])
    for j, e in why.items():
        refused[asked[j][0]] = (f"test-time augmentation left out: view {view!r} could not be asked ({e}); "
                                "the plain answer is kept")
    return out
