"""The turns of a conversation said of a view of its image (``rsvlm.tta``): a mirror view's
messages (``flip_view``, ``map_text``: direction words through ``rsvlm.tta_words``, shapes through
``rsvlm.tta_views``), a crop's (``crop_messages``, and ``croppable``: whether a crop keeps the
question's meaning; ``crops_barred``: why not every crop is asked), whether an answer is shapes only (``shapes_only``;
a shape ``geometry.decode`` repaired counts, ``unrepaired``), a view's labels said of the image (``labels_back``), and
the ``Fused.note`` parts (``unfused_note``, ``repaired_note``, ``plain_words_note``). All importable from ``rsvlm.tta``."""

from __future__ import annotations

import re
from dataclasses import replace
from fractions import Fraction
from typing import TYPE_CHECKING

from rsvlm.geometry.codec import REPAIRED  # noqa: F401  re-exported: rsvlm.tta's name for it
from rsvlm.tta_lines import counts_from
from rsvlm.tta_views import crop_window, flip_array, new_crop, to_view, top_left, view_size
from rsvlm.tta_words import frames, framing_word, swap_words

if TYPE_CHECKING:
    from rsvlm.tta import FuseConfig

CROPS_FOR = "crops are only for [det]/[ground] questions with no position words, whose answer is boxes"  # croppable


def croppable(messages: list[dict]) -> bool:
    """Whether a crop leaves the last question's meaning alone: a ``[det]`` or ``[ground]`` question
    with no word of position or relative size ("the leftmost ship", "the largest ship", "every ship in
    the top half" may be other ships in a crop; "the ship", "the white ship", "every ship" are not), in a conversation
    whose turns hold no shape (a crop is asked the turns as they are, and a shape said of the whole
    image, an earlier answer's boxes in a chat or a box in the question, would point elsewhere in it)."""
    from rsvlm.inference import last_question
    from rsvlm.tokens import opening_task

    if any(m["role"] != "system" and SPAN.search(str(m.get("content"))) for m in messages):
        return False
    text = last_question(messages)  # "the ships in the top half": another half of a crop
    return opening_task(text) in ("det", "ground") and not frames(text)


def crops_barred(messages: list[dict], w: int, h: int, shapes: bool, plain, cfg: FuseConfig,
                 frame: str = "image") -> str | None:
    """Why not every crop of ``cfg.views`` is asked of a record (``plain``: its plain answer's shapes,
    or text): its question changes its meaning in a crop (``croppable``) or its shapes are no boxes (a crop's masks
    cannot be shifted back), ``CROPS_FOR`` (and which, ``_uncropped``); or its ``w`` × ``h`` image is too small for each crop to show something
    new (``new_crop``: a 3 × 3 px image's crops were the image itself; ``frame``: what the note calls the image, a
    "tile window" with ``--tile``). None: every crop is asked."""
    from rsvlm.fusion import BOXLIKE

    if not (shapes and croppable(messages) and {o["kind"] for o in plain} <= set(BOXLIKE)):
        return CROPS_FOR + _uncropped(messages)
    if all(new_crop(v, cfg, w, h) for v in cfg.views if v.startswith("c")):
        return None
    cw, ch = crop_window("c0", w, h, cfg.crop_share)[2:]
    share = Fraction(cfg.crop_share).limit_denominator(100)  # 11/12, not 0.917
    share = share if abs(float(share) - cfg.crop_share) < 1e-9 else f"{cfg.crop_share:.3g}"
    return (f"the {w}x{h} px {frame} is too small for distinct corner crops ({share} of each side, {cw}x{ch} px, "
            f"repeats the whole {frame} or another crop)")


def _uncropped(messages: list[dict]) -> str:
    """Which of ``CROPS_FOR``'s reasons bars crops from a conversation, said after it and a colon ("" where another: not a
    ``[det]``/``[ground]`` question, or an answer of no boxes): a turn holds a shape, in whole-image coordinates (a
    ``[regcap]`` question's box: a crop would caption another region), or a ``[det]``/``[ground]`` question holds a word
    whose meaning a crop changes (``framing_word``: "north", "leftmost", "largest")."""
    from rsvlm.inference import last_question
    from rsvlm.tokens import opening_task

    question = last_question(messages)
    if not any(m["role"] != "system" and SPAN.search(str(m.get("content"))) for m in messages):
        word = framing_word(question) if opening_task(question) in ("det", "ground") else None
        return f": the question's {word!r} may name other objects in a crop, which shows part of the image" if word else ""
    if opening_task(question) == "regcap" and SPAN.search(question):
        return (": a [regcap] question's box is in whole-image coordinates, and in a crop, seen at the model's full "
                "input size, it would mark another region")
    return ": a turn of the conversation holds a shape in whole-image coordinates, which would point elsewhere in a crop"


def crop_messages(messages: list[dict], window: tuple[int, int, int, int]) -> list[dict]:
    """``messages`` with the last question marked as asked of ``window`` (x0, y0, width, height) of the
    image (``answering.WINDOW``): a ``[ground]`` question owes a shape about the whole image only, and
    in a crop what it asks for may be outside (``answering.owes_shape``)."""
    from rsvlm.answering import WINDOW

    i = max(k for k, m in enumerate(messages) if m["role"] == "user")
    return [*messages[:i], {**messages[i], WINDOW: tuple(window)}, *messages[i + 1:]]


def flip_view(images: list, messages: list[dict], view: str) -> tuple[list, list[dict]] | None:
    """(ImageInputs seen in ``view``, messages said of it: every user and assistant turn through
    ``map_text``, so direction words and any shape in a question move too), or None when a turn
    cannot be said in that view. The system message is left as it is."""
    h, w = images[-1].array.shape[-2:]  # shapes are said in a pair's later image's pixels, as answers are
    msgs = view_messages(messages, view, w, h)
    return None if msgs is None else ([replace(im, array=flip_array(im.array, view)) for im in images], msgs)


def view_messages(messages: list[dict], view: str, w: int, h: int) -> list[dict] | None:
    """``flip_view``'s messages, of a ``w`` × ``h`` image; None where a turn cannot be said in ``view``. An answer is
    read as its question asks (``tta_words.spellings``): "Left." to "Does the road turn left or right?" a turn's sense,
    "Up." to "… up or down the river?" upstream, "The first." to "Which row …?" a row."""
    from rsvlm.tta_words import spellings

    msgs, question = [], None
    for k, m in enumerate(messages):
        if m["role"] != "system" and isinstance(m.get("content"), str):  # "the first" after "from the left": as written
            said = spellings(None, question, messages[:k]) if m["role"] == "assistant" else {"sided": counts_from(messages[:k])}
            if (text := map_text(m["content"], view, w, h, said)) is None:
                return None
            question = m["content"] if m["role"] == "user" else question
            m = {**m, "content": text}
        msgs.append(m)
    return msgs


def unrepaired(decoded) -> list[str]:
    """A ``geometry.decode`` result's problems but its repairs (``REPAIRED``: a reversed ``<box>``'s or a crossing
    ``<obb>``'s corners swapped; the shape is the one its corners say, fused as any other, ``repaired_note``)."""
    return [p for p in decoded.problems if not p.endswith(REPAIRED)]


def repaired_note(fixed: list[tuple[str, str]]) -> str | None:
    """The ``Fused.note`` part on the shapes fused as repaired (``unrepaired``), ``(whose, problem)`` each; None: none."""
    if not fixed:
        return None
    from rsvlm.progress import counted

    (whose, problem), n = fixed[0], len(fixed)  # (rsvlm eval tells a note of repairs alone by its start: keep it)
    return (f"test-time augmentation: {counted(n, 'shape')} repaired on decoding, fused as repaired, "
            f"{'each a full vote' if n != 1 else 'a full vote'} (first: {whose}: {problem})")


_REPAIRED_HEAD = r"test-time augmentation: \d+ shapes? repaired on decoding"  # repaired_note's start
NONE_REPLACED = "test-time augmentation: the plain answer said none"  # plain_words_note's of a none outvoted
# a note that says no answer was left out: a plain none outvoted, shapes repaired, or both
REPAIRED_ONLY = re.compile(rf"(?:{re.escape(NONE_REPLACED)}[^;]*(?:; |$))?(?:{_REPAIRED_HEAD}|$)")


def views_left_out(note: str | None, left_out: int | None = None) -> bool:
    """Whether a fused answer left answers out (view answers, or a plain answer of words replaced): ``left_out``
    (``Fused.left_out``, a row's or a tile's ``"tta_left_out"``) where given, else read from its ``Fused.note`` (a row's
    ``"tta_note"``, as rows written before ``left_out`` was) by its wording: more than that shapes were repaired on
    decoding and fused as repaired (``repaired_note``, which ends a note)."""
    if left_out is not None:
        return left_out > 0
    return bool(note) and not REPAIRED_ONLY.match(note)


def note_parts(note: str) -> list[str]:
    """A ``Fused.note``'s parts (each said "test-time augmentation: …", joined by "; "), for predict and chat to say a
    line each: as one line, the prefix was said again mid-line."""
    return re.split(r"; (?=test-time augmentation: )", note)


def unfused_note(left: list[tuple[str, str]], n: int, shapes: bool) -> str:
    """The ``Fused.note`` on ``left`` ((view, why) each) of ``n`` other views' answers left out of the fusion: the first's
    why, and every other view left out by name (was the first alone: 'v' and 'hv' went unnamed)."""
    view, why = left[0]
    kinds = sum(w.startswith("it holds another kind of shape") for _, w in left)  # no vote (``fusion.fuse``), not a view of none
    lone = sum(w.endswith("asks for one object, as the plain answer gives") for _, w in left)  # ``fusion.lone``: no vote
    counted = ("left out of the vote" if not shapes or kinds + lone == len(left) else "each counted as finding nothing"
               + (f" but {kinds} of another kind of shape, no vote" if kinds else "")
               + (f"{' and' if kinds else ' but'} {lone} of several shapes, no vote" if lone else ""))
    return (f"test-time augmentation: {len(left)} of {n} other view answer{'s' * (n != 1)} could not be fused, {counted} "
            f"(first: view {view!r}: {why}){', the others: ' * (len(left) > 1)}{', '.join(repr(v) for v, _ in left[1:])}")


def plain_words_note(text: str, found: int = 0) -> str | None:
    """The ``Fused.note`` on a ``[det]`` plain answer with no shape that the views' ``found`` shapes replace: one of
    words that is neither empty nor a worded none (``answer_words.says_none``), left out; a none ("None."), outvoted,
    where ``found`` (no answer left out: ``REPAIRED_ONLY`` reads it so); else None."""
    from rsvlm.answer_words import says_none
    from rsvlm.progress import counted

    if not text.strip() or says_none(text) and not found:
        return None
    said = text.strip()[:60] + "…" * (len(text.strip()) > 60)  # cut, said so (was cut with no mark)
    if says_none(text):  # a note's parts are joined by "; " (``REPAIRED_ONLY`` reads them)
        return (f"{NONE_REPLACED} ({said.replace(';', ',')!r}), but the other views found some: "
                f"{counted(found, 'shape')} fused in its place")
    return (f"test-time augmentation: the plain answer {said!r} holds no shape and does not say it found none; "
            "counted as finding nothing, the views' shapes answer")


def shapes_only(decoded) -> bool:
    """Whether a ``geometry.decode`` result is shapes (with their ``<ref>`` labels) and nothing else (a shape it
    repaired counts: ``unrepaired``)."""
    if not decoded.objects or unrepaired(decoded):
        return False
    rest = decoded.text
    for o in decoded.objects:
        if o.get("label"):
            rest = rest.replace(o["label"], "", 1)
    return not rest.strip(" \t\n,.;:")


SPAN = re.compile(r"(?:<poly>.*?</poly>)+|<(box|obb|point|mask)>.*?</\1>", re.DOTALL)  # a poly with its holes


def map_text(text: str, view: str, w: int, h: int, said: dict | None = None) -> str | None:
    """A turn of a conversation about a ``w`` × ``h`` image as said of its ``view``: direction
    words mapped (``swap_words``) and every shape moved. An answer that is shapes only is
    re-encoded whole, each label's shapes in reading order (top to bottom, then left to right) as
    the instruction builders write them; shapes inside other text are moved one by one. None where
    ``swap_words`` is; ``said``: ``swap_words``' keywords (an answer's, as its question asks: ``spellings``)."""
    from rsvlm import geometry

    if not view:
        return text
    wv, hv = view_size(view, w, h)
    dec = geometry.decode(text, w, h)
    if shapes_only(dec):
        if swap_words(dec.text, view, **(said or {})) is None:
            return None
        objs = to_view(dec.objects, view, w, h)
        labels = list(dict.fromkeys(o.get("label") for o in objs))
        order = sorted(range(len(objs)), key=lambda i: (labels.index(objs[i].get("label")),
                                                        *top_left(objs[i])))
        return geometry.encode([objs[i] for i in order], wv, hv)
    text = swap_words(text, view, **(said or {}))
    if text is None:
        return None

    def move(m: re.Match) -> str:
        span = geometry.decode(m.group(0), w, h)
        return geometry.encode(to_view(span.objects, view, w, h), wv, hv) if span.objects else m.group(0)

    return SPAN.sub(move, text)


def labels_back(objects: list[dict], view: str) -> list[dict]:
    """Shapes answered on mirror ``view`` with their labels' direction words said of the image ("the
    rightmost ship" of the ``h`` view is the image's "the leftmost ship": one object, not two); a label
    with a word that has no one-word image back (``swap_words``) is no vote on the fused label (None)."""
    return [{**o, "label": swap_words(o["label"], view, back=True)} if o.get("label") else o for o in objects]
