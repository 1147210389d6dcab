"""The direction words of a question or answer said of a mirror view of its image (``rsvlm.tta``):
per step of a view (``t`` transpose, ``h`` left-right flip, ``v`` top-bottom flip) the words it
mirrors (``SWAPS``), those it has no one-word image for (``UNMAPPED``, all found by ``_unsaid``: "lower" or "higher"
said with a side too, ``_HEIGHT``, which a top-bottom flip says the other way; "upper left" as a corner is asked
of a transpose as "top left", ``AS_TOP``, and said back as the plain answer spells it, ``upper_spelling``), the corner phrases a
transpose leaves in an unusual order ("left top": ``tta_places.corners_in_order`` puts them back), and the words a corner crop changes the meaning
of (``framing_words``), the "-hand" compounds a transpose says in one word (``HANDED``: "the right-hand
ship" is "the bottom ship", not "the bottom-hand ship"; ``hand_spelling``: said back with the plain answer's "-hand"), a side of
another thing a transpose says "above" or "below" (``_BESIDE``: "left of the pier" is "above the pier", not "top of the pier",
its top) and the phrases whose direction word is none
(``KEPT``: "a right-angled corner", "a top-down view"; "on top of" a thing, ``_ATOP``; "above 50%", "lower than the
pier", ``_LEVEL``; "right next to", "right away", ``_JUST``, ``_NOW``; "Is that right?", "all right", ``_CORRECT``; "the top 3
largest", ``tta_lines.ranked``), and the sense of a rotation or a turn ("turn left", ``_TURNING``; a river's "left bank", ``_BANK``)
a view of an odd number of
steps turns (``ROTATION``: "clockwise" is "counterclockwise" in a mirror; a half or quarter turn, two steps, keeps
each word as written; ``counter_spelling``: which of "counterclockwise", "anticlockwise", ... a mirrored
"clockwise" is said as). ``swap_words`` maps a text into a view and back.

Words are matched in any case, each keeping the case it was written in ("north-East" under a
transpose is "south-West"), the two words of a corner joined by spaces, a hyphen or an en dash
("north west", "north-west", "north–west", "top  left", "north - west"), and every form of a heading ("westward", "leftwards", "northeasternmost",
"northerly", "northwesterly", "south-eastward").

Limits: English only: a question in another language keeps its direction words as they are, so a
mirror view asks it of another object (use no TTA there). Whole words and the compounds of ``HANDED``
and ``KEPT`` only, and the one-word corners ("TopLeft", "topleft": each capital kept, "TopRight", as "NorthEast" is
"NorthWest"; an underscore joins two words as a hyphen does, "top_left", "north_west"), "up" and "down" left alone
(rarely the image's; but as a way, "facing up", "further down", ``_UPDOWN``, no view but a left-right flip is asked); compass points in letters are the 16 in capitals ("N", "NW", "NNE"; "ne" or "Sw"
may be other words and are left alone; a lone letter joined to a word, "S-shaped", "N/A", is none, and
one is a point only where it reads as a direction, ``_DIRECTION``: "to the N", "E of the river", "a N-S
road", "an E – W runway", "facing N or S", not "Building E" or "<ref>Gate N</ref>"); a compass bearing
in degrees is not turned (a clock position is: "at 2 o'clock", ``tta_places.turn_clock``). "left" as a verb, a departure ("One ship left.", "A ship left the dock.", "The ship has left.": ``is_departed``), and as remaining ("How much forest is left?": ``is_remaining``), is no direction.

The word tables (``SWAPS``, ``COMPASS``, ``ROTATION``, ``UNMAPPED``, ``FRAMED``, ``HANDED``, ``KEPT``) and how a word
is matched (``whole_words``, ``is_direction``, ``cased``) are in ``rsvlm.tta_tables``; the "left" and "right" that name no
side (a turn's sense, a river's bank, "just", "correct", a departure, remaining: ``is_sense``, ``is_just``,
``is_departed``, ``is_remaining``, ``turn_question``) in ``rsvlm.tta_senses``; rankings and rows or columns ("the top 3
largest", "the third row": ``ranked``, ``turn_lines``, ``flip_lines``) in ``rsvlm.tta_lines``; corners and clock
positions ("left top" put back, ``corners_in_order``; "at 2 o'clock", ``turn_clock``) in ``rsvlm.tta_places``; this
module maps a text with them.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

from rsvlm.tta_lines import (
    NUMBERED_LINE,
    ORDINAL_LINE,
    TRAVEL_VERBS,
    bare_ordinal,
    counted_lines,
    counts_from,
    flip_lines,
    numbered,
    ordered,
    ranked,
    turn_lines,
)
from rsvlm.tta_places import AS_TOP, CORNER_HEAD, corners_in_order, respell, turn_clock
from rsvlm.tta_senses import (
    ALONG_PATH,
    along_question,
    corner_departures,
    is_departed,
    is_just,
    is_remaining,
    is_sense,
    is_sideless,
    side_pattern,
    turn_question,
    turn_senses,
    word_before,
)
from rsvlm.tta_tables import (
    COMPASS,
    EDGE,
    FRAMED,
    HANDED,
    KEPT,
    ROTATION,
    SWAPS,
    UNMAPPED,
    cased,
    is_direction,
    point_matches,
    side_words,
    whole_words,
)


def frames(text: str) -> bool:
    """Whether ``text`` holds a word whose meaning a crop changes (``framing_words``; a compass letter as a
    direction only: "[ground] Building E" may be asked of a crop, "the ship in the E" not; "left" as a departure or
    as remaining and "right" as "just" name no side: "[det] the buildings left intact" may be; a river's bank and a
    turn's sense, ``is_sense``, are named the same in a crop: "[det] the ships on the left bank" may be; a ranking,
    "the top 3 largest", ranks other things in a crop; so does "the first row", ``ORDINAL_LINE``, "row 3", or
    "the second ship", ``tta_lines.ordered``)."""
    return framing_word(text) is not None


def framing_word(text: str) -> str | None:
    """The first word of ``text`` whose meaning a crop changes (``frames``), as written; None where none."""
    found = next((m for m in point_matches(framing_words(), text) if not (
        is_sideless(m) or m.group(0).lower() in ("left", "right") and is_sense(text, m.start(), m.end()))), None)
    return (found or ORDINAL_LINE.search(text) or NUMBERED_LINE.search(text) or ordered(text) or [None])[0]


@functools.cache
def framing_words() -> re.Pattern:
    """Any word of SWAPS, UNMAPPED or FRAMED, whole, in any case, or of COMPASS in capitals (built once, on first use)."""
    words = side_words() | set(UNMAPPED["t"]) | set(FRAMED)
    return whole_words(words, {w for table in COMPASS.values() for pair in table.items() for w in pair})


@functools.cache
def _swapper(step: str) -> tuple[dict[str, str], re.Pattern]:
    """(word → its image, a pattern of those words) of a view's ``step``, both ways, its ``COMPASS``
    points too, and ``KEPT``'s phrases as they are (matched first: they are longer); ``"hand"``: ``HANDED`` one way, ``"rotation"``: ``ROTATION`` (built once per step, on first use)."""
    if step in ("hand", "rotation"):
        table = {"hand": HANDED, "rotation": ROTATION}[step]
        return table, whole_words(table)
    words, capitals = ({**t[step], **{b: a for a, b in t[step].items()}} for t in (SWAPS, COMPASS))
    words |= {w: w for w in KEPT} | ({"higher": "higher"} if step == "v" else {})  # "higher" turns with a side only
    return {**words, **capitals}, whole_words(words, capitals)


# the words a one-word compound joins ("upper" and "lower" whole: "UpperMost" is "Upper" "Most", as "LowerMost")
_PARTS = re.compile(r"(north|south|east|west|left|right|top|bottom|upper|lower|up|down)")


def _camel(new: str, like: str) -> str:
    """``new`` with each of its parts (``_PARTS``: "north", "east", "erly") in the case of the part in its
    place in ``like``: "NorthEast" → "NorthWest", "SouthWesterly" → "NorthWesterly"; ``cased`` where the
    two have not as many parts."""
    parts, old = _PARTS.split(new), _PARTS.split(like.lower())
    if len(parts) != len(old):
        return cased(new, like)
    at, out = 0, []
    for n, o in zip(parts, old):
        out.append(cased(n, like[at:at + len(o)]) if o else n)
        at += len(o)
    return "".join(out)


def _first(pattern: re.Pattern, texts, keep=lambda m: True) -> re.Match | None:
    """The first match of ``pattern`` in ``texts`` (None skipped) that ``keep`` takes: the plain answer's, else the
    question's, spelling of a word a view's answer is said back in (``counter_spelling``, ``hand_spelling``, ...)."""
    return next((m for t in texts if t for m in pattern.finditer(t) if keep(m)), None)


def counter_spelling(*texts: str | None) -> str:
    """The first spelling of the counter sense of a rotation in ``texts`` ("anticlockwise", "Anti-clockwise",
    "counter clockwise": lowercased), else "counterclockwise": what a mirror view's "clockwise" is said back as,
    so that the plain answer's "Anticlockwise." and a view's "Clockwise." are one answer in the vote."""
    m = _first(_swapper("rotation")[1], texts, lambda m: m.group(0).lower() != "clockwise")
    return m.group(0).lower() if m else "counterclockwise"


# a left or right before a word it qualifies ("left side", "right ship", a number: "left 3", a lane; not "left of", "left the dock", "left its
# berth", "top left", nor the right of "a right angle", ``KEPT``)
_HANDS = re.compile(r"(?<![^\W_])(?i:left|right)(?=[ \t]+(?!(?i:of|the|a|an|its|their|this|that|these|those|and|or|to|in"
                    r"|on|at|is|are|was|were|hand|angles?)\b)[A-Za-z0-9])")
_HAND = re.compile(r"(?<![^\W_])(?i:left|right)([-_ ]?(?i:hand))(?![^\W_])")  # its "-hand", as written


def hand_spelling(*texts: str | None) -> str | None:
    """The "-hand" (" hand", "-Hand") of the first "left-hand" or "right-hand" in ``texts``, else None: how a
    transposed view's "top side" is said back, so that the plain answer's "Left-hand side." and a view's are one
    answer in the vote."""
    return m.group(1) if (m := _first(_HAND, texts)) else None


def upper_spelling(*texts: str | None) -> bool:
    """Whether the first corner in ``texts`` is said "upper"/"lower" ("upper left", "Lower-right"), not "top"/"bottom":
    how a transposed view's "top left" is said back, so that the plain answer's "Upper left." and a view's are one
    answer in the vote (the view is asked "top left": "upper" has no one-word transpose)."""
    m = _first(CORNER_HEAD, texts)
    return bool(m and m.group(1).lower() in AS_TOP)


def spellings(plain: str | None, question: str | None, messages: list[dict] | None = None) -> dict:
    """How a view's answer is said back (``swap_words``' ``counter``, ``hand``, ``upper``, ``turning``, ``along`` and
    ``lines``): as the plain answer (``plain``), else ``question``, spells them: its counter sense ("Anticlockwise."
    and a mirror's "Clockwise." are one vote, ``counter_spelling``), its "-hand" ("Left-hand side." and a transpose's
    "Top side.", ``hand_spelling``) and its corners ("Upper left." and a transpose's "Top left.", ``upper_spelling``);
    whether ``question`` asks a turn's sense (``turn_question``: "Does the road turn left or right?", its "Left." a
    sense) or up or down along a thing (``along_question``: "… up or down the river?", its "Up." upstream); and the
    lines its bare ordinals count (``counted_lines``: "Which row …?", its "The first." a row); whether a turn of
    ``messages``, the conversation so far, counts from a side (``counts_from``: "The first." counts from there)."""
    said = (plain, question)
    return {"counter": counter_spelling(*said), "hand": hand_spelling(*said), "upper": upper_spelling(*said),
            "turning": turn_question(question), "along": along_question(question), "lines": counted_lines(question),
            "sided": counts_from(messages)}


# not "of" the image itself: "on top of the image", "on the left of the image" name its side (``_ATOP``, ``_BESIDE``)
_NOT_OF_IMAGE = r"(?!\s+(?:the|this|its)\s+(?:image|picture|photo|scene|frame|map|tile|view|crop)s?\b)"
# "on top of" a thing is above it (a roof's panels), no side; "on top of the image" is one
_ATOP = (re.compile(r"(?<![^\W_])on\s+(?:the\s+)?$", re.I),  # "on the top of the pier" too (was its "bottom")
         re.compile(rf"\s+of\b{_NOT_OF_IMAGE}", re.I))


# a side of another thing ("the ship left of the pier", "to the right of it", "on the left of the road"), which a
# transpose says "above" / "below" ("top of it" read as its top, "on the top of it" as on it, "to the bottom of" as
# down to it); not the image's own side ("on the left of the image": "on the top of the image"), nor a noun ("the
# far left of", "top left of", ``_NOUNED``), nor "right of way"
_BESIDE = re.compile(rf"(?<![^\W_])(?:(?:to|on)\s+the\s+)?(left|right)\s+of(?![^\W_])(?!\s+way\b){_NOT_OF_IMAGE}", re.I)
_NOUNED = frozenset(("the", "a", "an", "far", "extreme", "very", "top", "bottom", "upper", "lower", "north", "south",
                     "east", "west", "its", "their", "his", "her", "our", "your", "my", "this", "that"))
_LR = re.compile(r"(?i:left|right)")
# "above" / "below" an amount, no side: "cloud cover above 50%", "below sea level" (a top-bottom flip asked "above
# 50%" as "below 50%", the other question; a transpose skipped it); so "the upper limit"; and "lower than" a thing,
# a height as "higher than" (never turned) is ("Is the ship lower than the pier?" was "upper than" under v), and a
# predicate's "lower" ("Which building is lower?"): a side in the image is "below" it
_AMOUNT = (r"(?:[-+~≈<>]?\s*\d|(?:the\s+)?(?:average|mean|median|normal|threshold|limit|sea\s+level|ground\s+level|zero"
           r"|freezing|one|two|three|four|five|six|seven|eight|nine|ten|twenty|thirty|forty|fifty|hundred"
           r"|a\s+(?:hundred|thousand|third|quarter|half))(?![^\W_]))")
_AFTER_BE = "|".join(rf"(?<=\b{w}\s)" for w in ("is", "are", "was", "were", "be", "sits", "lies"))  # "... is lower"
_LEVEL = re.compile(rf"(?<![^\W_])(?:(?:lower|upper)(?=\s+(?:limit|bound)s?(?![^\W_]))|lower(?=\s+than(?![^\W_]))"
                    rf"|(?:{_AFTER_BE})lower(?=\s*(?:$|[.!?;,:)]|\s+or\b|\s+and\s+which\b))"
                    rf"|(?:above|below)(?=\s+{_AMOUNT}))", re.I)


# "lower" / "higher" (or "upper") said with a side, a place in the image, not a height: "lower and to the left", "higher,
# further right", "left and lower": a top-bottom flip says it "higher" ("upper and to the left" is no English), a
# transpose has no one-word image for it ("higher" was kept there: "higher and to the top")
# ("Which tower is higher, left or right?", a choice, and "the lower, left corner" are a height and a corner)
_SIDE_AFTER = (r"(?:further\s+|farther\s+|more\s+)?(?:(?:to|on|towards?)\s+(?:the\s+)?)?(?i:left|right)(?![^\W_])"
               r"(?!\s+or\s|\s*[-_]?\s*corners?(?![^\W_]))")
_HEIGHT = re.compile(rf"(?<![^\W_])(?:lower|higher|upper)(?=\s*(?:,\s*(?:and\s+)?|\s(?:and|or|but)\s+){_SIDE_AFTER})"
                     r"|(?:(?<=\bleft\sand\s)|(?<=\bright\sand\s)|(?<=\bleft,\s)|(?<=\bright,\s))"
                     r"(?:lower|higher|upper)(?![^\W_])", re.I)
_HEIGHT_V = {"lower": "higher", "higher": "lower", "upper": "lower"}


def _beside(m: re.Match, turning: bool = False) -> str:
    """A transpose's "above" / "below" for a ``_BESIDE`` side of a thing, in the case of its first word; the
    match as it is where its "left" or "right" is a noun (``_NOUNED``, a corner's "top-left of"), names no side
    (``is_sideless``: "What is left of the fort?", ``_REMAINS_OF``) or is a turn's sense (``is_sense``)."""
    text, at = m.string, m.start(1)
    side = _LR.match(text, at)
    if (at == m.start() and (word_before(text, at) in _NOUNED or text[at - 1:at] in ("-", "_", "–"))
            or is_sideless(side) or is_sense(text, at, side.end(), turning)):
        return m.group(0)
    return cased({"left": "above", "right": "below"}[m.group(1).lower()], m.group(0).split()[0])


def _sub(text: str, step: str, said: dict[str, str] | None = None, turning: bool = False) -> str:
    """``text`` with ``step``'s words (``_swapper``) mapped, ``said`` overriding its table's images; a turn's sense
    (``is_sense``, every left/right with ``turning``) and a left or right naming no side (``is_sideless``) kept."""
    table, pattern = _swapper(step)
    table = {**table, **said} if said else table

    def sub(m: re.Match) -> str:
        word = m.group(0)
        if len(word) == 1 and word in "NSEW" and not is_direction(m.string, m.start(), m.end()):
            return word  # a name ("Building E"), not a direction
        if word.lower() in ("left", "right", *HANDED) and (is_sideless(m) or is_sense(m.string, m.start(), m.end(), turning)):
            return word  # "One ship left.", "How much forest is left?", "right next to": no side; "turn left": a
            # sense, turned by a mirror alone (``turn_senses``)
        if step == "v" and word.lower() in _HEIGHT_V and _HEIGHT.match(m.string, m.start()):
            return cased(_HEIGHT_V[word.lower()], word)  # "lower and to the left": "higher" in a top-bottom flip
        if word.lower() in ("above", "below", "lower", "upper") and _LEVEL.match(m.string, m.start()):
            return word  # "above 50%", "below sea level": an amount, no side
        if word.lower() in ("top", "bottom") and ranked(m.string, m.start()):
            return word  # "the top 3 largest ships": a ranking, no side
        if word.lower() == "top" and _ATOP[0].search(m.string, 0, m.start()) and _ATOP[1].match(m.string, m.end()):
            return word  # "panels on top of the building": above it, no side of the image
        new = table[word] if word in table else table[word.lower()]
        if word.istitle() and step != "rotation":  # "Top Left", "North-West": each word's capital kept
            return new.title()
        if not word.isupper() and any(c.isupper() for c in word[1:]):  # "NorthEast", "northEasterly"
            return _camel(new, word)
        return cased(new, word)

    return pattern.sub(sub, text)


# "up" / "down" as a way in the image ("facing up", "pointing down or up", "further up", "pointing, up or down?", "flowing
# up", "Does the river flow up or down the image?",
# "facing either up or down", an answer "Up."): no word of the
# tables, as they are rarely the image's ("built-up", "up to 5", "moving down the river", "up or down the river",
# upstream or down, which no view turns); a top-bottom flip or a
# transpose asked it as written, of another way ("Is the ship facing up?" of a flipped ship), so those views are not
# asked of it (``swap_words`` None), a left-right flip keeps it
_IN_IMAGE = r"(?:in\s+)?the\s+(?:image|picture|frame|scene)\b"
_UPDOWN = re.compile(rf"(?:(?<![^\W_])(?:fac(?:e|es|ed|ing)|point(?:s|ed|ing)?|{TRAVEL_VERBS}"
                     r"|lean(?:s|ed|ing)?|tilt(?:s|ed|ing)?|oriented|angled|further|farther|more|straight"
                     r"|slop(?:e|es|ed|ing)|extend(?:s|ed|ing)?|lead(?:s|ing)?|led)"
                     r"(?:\s*[,:]\s*|\s+)\(?(?:either\s+)?|^\s*)"  # "pointing, up or down?", "facing (either) up"
                     r"(up|down)(?![^\W_]|-)(?=\s*(?:$|[.,;:!?)]|(?:or|and)(?![^\W_])|" + _IN_IMAGE + "))"
                     rf"(?!\s*(?:or|and)\s+(?:up|down){ALONG_PATH})", re.I)  # "up or down the river": along it
_OF_IMAGE = re.compile(rf"\s*{_IN_IMAGE}", re.I)  # "up the image", "up in the image": a way in it, whatever the question


def swap_words(text: str, view: str, back: bool = False, counter: str | None = None,
               hand: str | None = None, upper: bool = False, turning: bool = False, along: bool = False,
               lines: str | None = None, sided: bool = False) -> str | None:
    """``text`` with each direction word mapped by ``view``'s steps (a leading capital kept; a
    transpose says "left-hand" as "top", and "left of it" as "above it", ``_BESIDE``), or
    with ``back`` from the view to the image (the steps undone in reverse order); None when it
    holds a word a step has no one-word image for ("above" under a transpose, ``_unsaid``). A mirror's "clockwise" is said
    as ``counter`` (``counter_spelling``: "anticlockwise"; default "counterclockwise"); a transpose's "top side"
    said back as "left" ``hand`` "side" (``hand_spelling``: "-hand"; default "left side"), and its corner "top left"
    as "upper left" with ``upper`` (``upper_spelling``). The sense of a turn ("turn left", "a right turn"; every
    "left"/"right" with ``turning``, ``turn_question``: the answer "Left." to "Does the road turn left or right?") is
    turned as "clockwise" is: by a mirror view, not a half or quarter turn. "up" or "down" as a way ("facing up",
    ``_UPDOWN``) has no image but in a left-right flip: None for any other view, but with ``along`` (``along_question``:
    the answer "Up." to "Is the boat moving up or down the river?", upstream); nor has "row 3" in a flip across the
    rows (``tta_lines.numbered``). A clock position ("at 2 o'clock", ``tta_places.turn_clock``) turns with each step. A bare ordinal
    ("The first.") counts the ``lines`` ("row", "column") of the image the question asks for (``counted_lines``; None:
    those ``text`` asks for itself), counted from the other end in a flip across them (``flip_lines``); one counting
    things ("things": "Which ship …?") has no image in any mirror view, nor has "the second ship" (``ordered``), but
    with ``sided`` (``counts_from``: an earlier turn counted from a side, turned with the view): kept as written."""
    if view and not sided and (ordered(text, ones=lines is None) or (counted_lines(text) if lines is None else lines) == "things" and bare_ordinal(text, False)):
        return None  # "the second ship", "Which ship …, the first or the second?" "The second.": every view's own order
    if ("t" in view or "v" in view) and any(not along or _OF_IMAGE.match(text, m.end()) for m in _UPDOWN.finditer(text)):
        return None  # with ``along``, "Up." is upstream, but "moving up the image" a way in it still
    axis = lines and ({"row": "column", "column": "row"}.get(lines, lines) if "t" in view else lines)  # a flip's frame
    for step in ("vht" if back else "thv"):
        if step not in view:
            continue
        # "the upper left corner" asked as "the top left corner": no view skipped; said back so with ``upper`` alone
        # (its "upper" written back below): a label, said back with none, keeps no vote on the fused one (None)
        if step == "t" and (upper or not back):
            text = respell(text, AS_TOP)
        if step == "t" and next(_unsaid(text), None):
            return None
        if step == "t":  # "right-hand" → "bottom"; "left of it" → "above it" (not "top of it", its top); "top row" a column
            text = turn_lines(_BESIDE.sub(lambda m: _beside(m, turning), _sub(text, "hand")))
        if step != "t" and numbered(text, step):  # "row 3" under a top-bottom flip: its count from the bottom unknown
            return None
        if step != "t" and (counted_lines(text) if lines is None else axis) == "both" and bare_ordinal(text):
            return None  # "Which row and column …?" "The first.": a row's or a column's, one of which the flip counts back
        text = turn_clock(_sub(text, step, turning=turning), step)
        # "the third column": "the third-to-last" in a flip, and the answer "The third." to "Which column ...?"
        text = text if step == "t" else flip_lines(text, step, counted_lines(text) if lines is None else axis)
        if back and step == "t" and hand:  # the last step back: every left/right was a top/bottom
            text = _HANDS.sub(lambda m: m.group(0) + ("" if side_pattern().match(m.string[m.end():].lstrip())
                                                      or is_departed(m.string, m.start(), m.end())
                                                      or is_remaining(m.string, m.start(), m.end())
                                                      or is_sense(m.string, m.start(), m.end(), turning)
                                                      or is_just(m.string, m.start(), m.end()) else hand), text)
    if sum(s in view for s in "thv") % 2:  # a mirror: clockwise turns, and so does a turn's sense
        text = turn_senses(_sub(text, "rotation", {"clockwise": counter} if counter else None), turning)
    if "t" not in view:
        return text
    text = corners_in_order(text)
    return respell(text, {b: a for a, b in AS_TOP.items()}) if back and upper else text


def _unsaid(text: str) -> Iterator[re.Match]:
    """Each word of ``text`` a transpose has no one-word image for, so that ``swap_words`` skips it: "above", "lower"
    (``UNMAPPED``) but an amount's ("above 50%", ``_LEVEL``); "lower" or "higher" said with a side ("higher and to the
    left", ``_HEIGHT``); "left" before a ranking ("the left 3 largest" would be asked as "the top 3 largest", ``ranked``)."""
    for w in UNMAPPED["t"]:
        yield from (m for m in re.finditer(rf"{EDGE[0]}{w}{EDGE[1]}", text, flags=re.IGNORECASE)
                    if not _LEVEL.match(text, m.start()))
    yield from (m for m in (_HEIGHT.search(text),) if m)  # (one an amount's too: "left and lower limit")
    yield from (m for m in _LR.finditer(text) if ranked(text, m.start()))
    yield from corner_departures(text)  # "The car on the left left." would be said "… on the top left.", a corner


def unsaid_word(text: str, way: bool = False) -> str | None:
    """The first word of ``text``, as written, a transpose has no one-word image for (``_unsaid``; "up" or "down" as a
    way, ``_UPDOWN``, which a top-bottom flip has none for either: the first such with ``way``, a view but a transpose
    skipped; else "row 3", ``NUMBERED_LINE``, or a bare ordinal of a question asking of both rows and columns,
    ``bare_ordinal``, a flip skipped; objects counted in order, ``ordered``, every mirror view skipped): what a note says skipped the views; None where none."""
    found = [*_unsaid(respell(text, AS_TOP)), *_UPDOWN.finditer(text)]  # "upper left", a corner, is asked "top left"
    found += [*NUMBERED_LINE.finditer(text), *filter(None, [(n := counted_lines(text)) in ("both", "things")
                                                            and bare_ordinal(text, n == "both"),
                                                            ordered(text)])] if way else []
    found = [m for m in found if m.re is _UPDOWN] or found if way else found
    first = min(found, key=lambda m: m.start(m.lastindex or 0)) if found else None
    return first.group(first.lastindex or 0) if first else None


def unsaid_phrase(question: str | None, flip: bool) -> str:
    """The word of ``question`` that skipped its views (``unsaid_word``) and under which, for a note: "the question's
    'above' under a transpose"; ``flip``: a view but a transpose was skipped too."""
    word = unsaid_word(question or "", way=flip)
    said = f"the question's {word!r}" if word else "'up'" if flip else "'above'"
    things = word and (ordered(word) or counted_lines(question) == "things" and bare_ordinal(word, False)  # "the first or
                       or (m := ordered(question)) is not None and m.group(0) == word)  # …?", "Is the second damaged?"
    under = ("any mirror view, which counts them in another order: say from which side" if things
             else "a flip, which counts them from the other end" if flip and word and (word[:3].lower() in ("row", "col")
                                                                                  or bare_ordinal(word))
             else "a top-bottom flip or a transpose" if flip else "a transpose")  # "row 3": ``tta_lines.numbered``
    return f"{said} under {under}"
