"""The direction words of a question or answer said of a mirror view of its image (``rsvlm.tta``):
per step of a view (``t`` transpose, ``h`` left-right flip, ``v`` top-bottom flip) the words it
mirrors (``SWAPS``), those it has no one-word image for (``UNMAPPED``; "upper left" as a corner is asked
of a transpose as "top left", ``_AS_TOP``, and said back as the plain answer spells it, ``upper_spelling``), the corner phrases a
transpose leaves in an unusual order ("left top": ``_CORNER`` puts them back), and the words a corner crop changes the meaning
of (``framing_words``), the "-hand" compounds a transpose says in one word (``HANDED``: "the right-hand
ship" is "the bottom ship", not "the bottom-hand ship"; ``hand_spelling``: said back with the plain answer's "-hand"), a side of
another thing a transpose says "above" or "below" (``_BESIDE``: "left of the pier" is "above the pier", not "top of the pier",
its top) and the phrases whose direction word is none
(``KEPT``: "a right-angled corner", "a top-down view"; "on top of" a thing, ``_ATOP``; "above 50%", "lower than the
pier", ``_LEVEL``; "right next to", "right away", ``_JUST``, ``_NOW``; "Is that right?", "all right", ``_CORRECT``; "the top 3
largest", ``_RANK``), and the sense of a rotation or a turn ("turn left", ``_TURNING``; a river's "left bank", ``_BANK``)
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
(rarely the image's); compass points in letters are the 16 in capitals ("N", "NW", "NNE"; "ne" or "Sw"
may be other words and are left alone; a lone letter joined to a word, "S-shaped", "N/A", is none, and
one is a point only where it reads as a direction, ``_DIRECTION``: "to the N", "E of the river", "a N-S
road", "an E – W runway", "facing N or S", not "Building E" or "<ref>Gate N</ref>"); a compass bearing
in degrees is not turned. "left" as a verb, a departure ("One ship left.", "A ship left the dock.", "The ship has left.": ``_departed``), and as remaining ("How much forest is left?": ``_remaining``), is no direction.
"""

from __future__ import annotations

import functools
import re


def _ward(*pairs: tuple[str, str]) -> dict[str, str]:
    """The "-ward" and "-wards" words of ``pairs`` (``("left", "right")``: leftward → rightward, …)."""
    return {f"{a}{end}": f"{b}{end}" for a, b in pairs for end in ("ward", "wards")}


HEADINGS = ("", "ern", "ernmost", "erly", "ward", "wards")  # the forms of a compass word: north, northern, northernmost, …


def _diagonal(*pairs: tuple[str, str]) -> dict[str, str]:
    """``pairs`` of intercardinal words in every form of ``HEADINGS`` (northwest → northeast,
    northwesterly → northeasterly, …)."""
    return {f"{a}{end}": f"{b}{end}" for a, b in pairs for end in HEADINGS}


SWAPS = {  # per step of a view, in the order t, h, v: the words it mirrors (both ways)
    "t": {"left": "top", "right": "bottom", "leftmost": "topmost", "rightmost": "bottommost", "west": "north",
          "east": "south", "western": "northern", "eastern": "southern", "westernmost": "northernmost",
          "easternmost": "southernmost", "horizontal": "vertical", "horizontally": "vertically",
          **_diagonal(("northeast", "southwest")),  # northwest, southeast: their own image
          "topright": "bottomleft",  # one-word corners: topleft, bottomright their own image
          **_ward(("left", "up"), ("right", "down"), ("west", "north"), ("east", "south")),
          "westerly": "northerly", "easterly": "southerly"},
    "h": {"left": "right", "leftmost": "rightmost", "west": "east", "western": "eastern",
          "westernmost": "easternmost", **_diagonal(("northwest", "northeast"), ("southwest", "southeast")),
          "topleft": "topright", "bottomleft": "bottomright",
          **_ward(("left", "right"), ("west", "east")), "westerly": "easterly"},
    "v": {"top": "bottom", "topmost": "bottommost", "upper": "lower", "uppermost": "lowermost",
          "above": "below", "north": "south", "northern": "southern", "northernmost": "southernmost",
          **_diagonal(("northwest", "southwest"), ("northeast", "southeast")),
          "topleft": "bottomleft", "topright": "bottomright",
          **_ward(("up", "down"), ("north", "south")), "northerly": "southerly"},
}
POINTS = ("N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE", "S", "SSW", "SW", "WSW", "W", "WNW", "NW", "NNW")  # 22.5°
TURNS = {"t": 12, "h": 0, "v": 8}  # a step takes point i of POINTS to TURNS[step] - i: N ↔ W under t, N ↔ S under v
COMPASS = {  # per step, the compass points in capitals it moves, matched in capitals only ("ne" may be another word)
    step: {p: POINTS[(turn - i) % 16] for i, p in enumerate(POINTS) if POINTS[(turn - i) % 16] != p}
    for step, turn in TURNS.items()}  # t: NW, SE their own image; h: N, S; v: E, W
# every step is a mirror: a view of an odd number of them turns the sense of a rotation, once (``swap_words``:
# step by step, an even view's "anticlockwise" came back "counterclockwise", no vote for the plain view's word);
# one way for the other spellings ("anticlockwise" → "clockwise"), "counter clockwise" two words too
ROTATION = {"clockwise": "counterclockwise", "counterclockwise": "clockwise",
            **{f"{a}{j}clockwise": "clockwise" for a in ("counter", "anti") for j in ("", " ", "-", "–")}}
UNMAPPED = {"t": ("above", "below", "upper", "lower", "uppermost", "lowermost")}  # no one-word image
FRAMED = ("centre", "center", "middle", "corner", "edge", "border", "side", "half", "quadrant", "largest",
          "smallest", "biggest", "nearest", "closest", "farthest", "furthest")  # besides SWAPS: words a crop changes the meaning of

HANDED = {f"{side}{sep}hand": side for side in ("left", "right") for sep in "- _"}  # before a transpose: no "top-hand"
KEPT = ("right angle", "right angles", "right-angle", "right-angled", "top-down", "bottom-up",  # no direction in them
        "right of way", "right-of-way",  # a corridor (a pipeline's, a railway's)
        "top view", "top views", "top-view")  # seen from above (it was a transpose's "left view")


# a lone compass letter, not one joined to a word ("S-shaped", "N/A", "U.S.", "B&W", "E.g."; "N-S" is two letters)
_LONE = r"(?<![.&'])(?<!\w\w[-/–])(?<![^\WNSEW][-/–])(?:{})(?![-/–](?:\w\w|[^\WNSEW])|['&]|\.\w)"


# a lone compass letter is a direction after these words ("to the N", "5 km E", "facing W") or before them
# ("N of the dock", "the W side"), joined to another ("N-S", "E/W"), listed with others ("N or S", "N, S, E or
# W": _LISTED), or alone ("N.", a short answer); else a name ("Building E")
_BEFORE = frozenset(("the", "a", "an", "to", "toward", "towards", "from", "in", "into", "at", "on", "its", "their",
                     "due", "far", "further", "farther", "furthest", "farthest", "facing", "faces", "face", "heading",
                     "heads", "head", "headed", "pointing", "points", "run", "runs", "running", "flow", "flows",
                     "flowing", "lie", "lies", "lying",
                     "km", "m", "mi", "nm", "miles", "metres", "meters", "kilometres", "kilometers"))
_AFTER = frozenset(("of", "side", "sides", "end", "ends", "edge", "part", "half", "corner", "bank", "shore",
                    "coast", "quadrant", "wing", "facing", "bound", "ward", "wards", "to"))
_DIRECTION = (re.compile(r"(?:^|[^\w-])([A-Za-z]+)\s+$"), re.compile(r"^\s+([A-Za-z]+)\b"),
              re.compile(r"\b[NSEW] ?[-/–] ?$"), re.compile(r"^ ?[-/–] ?[NSEW]\b"), re.compile(r"\w"))
_POINT = "(?:N|S|E|W|NE|NW|SE|SW|NNE|ENE|ESE|SSE|SSW|WSW|WNW|NNW)"
_LISTED = re.compile(rf"\b{_POINT}(?:\s*,\s*{_POINT})*,?\s+(?:or|and)\s+{_POINT}\b")  # "N or S", "N, S, E or W"


def _direction(text: str, start: int, end: int) -> bool:
    """Whether a lone compass letter at ``text[start:end]`` reads as a direction (``_BEFORE``, ``_AFTER``,
    joined to another letter, listed with other points, or no word beside it): "the ship in the N", "E of
    the river", "a N-S road", "facing N or S", "N."; not "Building E"."""
    head, tail = text[:start], text[end:]
    before, after = _DIRECTION[0].search(head), _DIRECTION[1].match(tail)
    return bool(before and before.group(1).lower() in _BEFORE or after and after.group(1).lower() in _AFTER
                or _DIRECTION[2].search(head) or _DIRECTION[3].match(tail)
                or not (_DIRECTION[4].search(head) or _DIRECTION[4].search(tail))
                or any(m.start() <= start and end <= m.end() for m in _LISTED.finditer(text)))


def _points(pattern: re.Pattern, text: str):
    """``pattern``'s matches in ``text``, but a lone compass letter that is no direction (``_direction``)."""
    return (m for m in pattern.finditer(text) if len(m.group(0)) > 1 or m.group(0) not in "NSEW"
            or _direction(text, m.start(), m.end()))


def frames(text: str) -> bool:
    """Whether ``text`` holds a word whose meaning a crop changes (``framing_words``; a compass letter as a
    direction only: "[ground] Building E" may be asked of a crop, "the ship in the E" not; "left" as a departure or
    as remaining and "right" as "just" name no side: "[det] the buildings left intact" may be)."""
    return any(not _sideless(m) for m in _points(framing_words(), text))


def _sideless(m: re.Match) -> bool:
    """Whether a "left" or "right" match names no side: "left" a departure or remaining (``_departed``,
    ``_remaining``), "right" meaning "just" or "correct" (``_just``)."""
    word, at = m.group(0).lower(), (m.string, m.start(), m.end())
    return word == "left" and (_departed(*at) or _remaining(*at)) or word == "right" and _just(*at)


_EDGE = (r"(?<![^\W_])", r"(?![^\W_])")  # a word's edges, an underscore one too ("top_left" is "top" "left")


def _words(words, capitals=()) -> re.Pattern:
    """A pattern of ``words`` whole in any case, longest first, and of ``capitals`` whole as written
    (a lone letter not joined to another word, ``_LONE``)."""
    lone = [c for c in capitals if len(c) == 1]
    alts = [f"(?i:{'|'.join(sorted(words, key=len, reverse=True))})",
            *sorted(set(capitals) - set(lone), key=len, reverse=True)]
    alts += [_LONE.format("|".join(sorted(lone)))] if lone else []
    return re.compile(rf"{_EDGE[0]}({'|'.join(alts)}){_EDGE[1]}")


def _side_words() -> set[str]:
    """Every word of ``SWAPS``, either side of a pair, of any step."""
    return {w for table in SWAPS.values() for pair in table.items() for w in pair}


@functools.cache
def framing_words() -> re.Pattern:
    """Any word of SWAPS, UNMAPPED or FRAMED, whole, in any case, or of COMPASS in capitals (built once, on first use)."""
    words = _side_words() | set(UNMAPPED["t"]) | set(FRAMED)
    return _words(words, {w for table in COMPASS.values() for pair in table.items() for w in pair})


@functools.cache
def _swapper(step: str) -> tuple[dict[str, str], re.Pattern]:
    """(word → its image, a pattern of those words) of a view's ``step``, both ways, its ``COMPASS``
    points too, and ``KEPT``'s phrases as they are (matched first: they are longer); ``"hand"``: ``HANDED`` one way, ``"rotation"``: ``ROTATION`` (built once per step, on first use)."""
    if step in ("hand", "rotation"):
        table = {"hand": HANDED, "rotation": ROTATION}[step]
        return table, _words(table)
    words, capitals = ({**t[step], **{b: a for a, b in t[step].items()}} for t in (SWAPS, COMPASS))
    words |= {w: w for w in KEPT}
    return {**words, **capitals}, _words(words, capitals)


def _cased(new: str, like: str) -> str:
    """``new`` in the case ``like`` is written in: all capitals ("NORTHERN", as "NE" stays), a leading
    capital, or as it is."""
    if like.isupper() and len(like) > 1:
        return new.upper()
    return new.capitalize() if like[:1].isupper() else new


# the words a one-word compound joins ("upper" and "lower" whole: "UpperMost" is "Upper" "Most", as "LowerMost")
_PARTS = re.compile(r"(north|south|east|west|left|right|top|bottom|upper|lower|up|down)")


def _camel(new: str, like: str) -> str:
    """``new`` with each of its parts (``_PARTS``: "north", "east", "erly") in the case of the part in its
    place in ``like``: "NorthEast" → "NorthWest", "SouthWesterly" → "NorthWesterly"; ``_cased`` where the
    two have not as many parts."""
    parts, old = _PARTS.split(new), _PARTS.split(like.lower())
    if len(parts) != len(old):
        return _cased(new, like)
    at, out = 0, []
    for n, o in zip(parts, old):
        out.append(_cased(n, like[at:at + len(o)]) if o else n)
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


# the sense of a turn, no side: "turn left", "turns to the right", "veer left or right", "bend to the left or to the
# right", "a left turn", "right-hand bend", the options of a which-way question after a stop ("Which way does the river
# bend, left or right?"); a mirror view (an odd number of steps) swaps it, a half or quarter turn keeps it (as
# ``ROTATION``); "turn left of" is a side, and so is "which way does it turn after the ship on the left or right?"
_TO, _OR = r"(?:(?:to|towards?)\s+(?:the\s+)?)?", r"\s*(?:,?\s*(?:or|and)\b|,|/)\s*"
_SENSE_END = r"(?![^\W_]|[-_]|\s+of\b)"  # an option's end: not "left-hand", "left_side" nor "left of" (a side)
# "which way" and the words before a turn's verb, none of place nor a determiner: "Which way does the river bend";
# not "Which way is the ship facing near the bend?" (a noun: the ship's heading is a side)
_WHICH = (r"(?<![^\W_])(?:which|what)\s+(?:way|direction)(?:\s+(?!(?:at|near|after|before|past|around|by|on|in|from|of"
          r"|beside|behind|along|across|into|through|over|under|towards?|to)\b)[\w'-]+)*?\s+"
          + "".join(rf"(?<!\b{d}\s)" for d in ("the", "a", "an", "this", "that", "its", "their")))
_TURN_WORD = (r"(?<![^\W_])(?:u-)?(?:turn|turns|turned|turning|bend|bends|bent|bending|veer|veers|veered|veering"
              r"|curve|curves|curved|curving|swerve|swerves|swerved|swerving|swing|swings|swung|swinging)(?![^\W_])")
_TURNING = (re.compile(rf"{_TURN_WORD}\s+{_TO}(left|right)(?:{_OR}{_TO}(left|right))?{_SENSE_END}", re.I),
            re.compile(r"(?<![^\W_])(left|right)(?:\s*(?:,|/|or|and)\s*(left|right))?(?:[- _]?hand)?[- ]"
                       r"(?:turns?|bends?|curves?|turning)(?![^\W_])", re.I),
            re.compile(rf"{_WHICH}{_TURN_WORD}[^.?!;,:]*?"
                       rf"(?:[,:–—]|\s-)\s*{_TO}(left|right){_OR}{_TO}(left|right){_SENSE_END}", re.I))


def _side_before(*more: str) -> re.Pattern:
    """A text's end whose last word makes a "left" or "right" after it a side, not "just" nor remaining (a
    determiner, "to", "far", "top", "turn", ... or ``more``: "the right next to", "top left intact"), or a corner's
    joiner ("top-right next to": the word before it is one)."""
    words = "|".join(("the", "to", "far", "top", "bottom", "upper", "lower", "and", "or", "its", "their", r"turn\w*", *more))
    return re.compile(rf"(?:(?<![^\W_])(?:{words})|[-_–])\s*$", re.I)


# "right" as "just" ("right next to the dock", "right behind the pier", "right there"), no side; "the right next to", "turn right behind" are
_JUST = (_side_before(r"veer\w*", "left"),
         re.compile(r"\s+(?:next\s+to|beside|behind|in\s+front\s+of|alongside|adjacent\s+to|against|by|along|across"
                    r"|in\s+the\s+(?:middle|centre|center)|away|now|here|there)\b", re.I))

# a verb of heading or moving (or "at", "on", "in", "from", "into") before "left" or "right" makes it a side, no "just"
# nor remaining: "planes face left", "ships moving right along the road", "the ship at right by the dock"
_TOWARDS = frozenset(("face", "faces", "facing", "point", "points", "pointing", "head", "heads", "heading", "headed",
                      "move", "moves", "moved", "moving", "go", "goes", "going", "drive", "drives", "driving", "travel",
                      "travels", "travelling", "traveling", "fly", "flies", "flying", "sail", "sails", "sailing", "lean",
                      "leans", "leaning", "tilted", "tilts", "oriented", "angled", "aligned", "drift", "drifts",
                      "drifting", "at", "on", "in", "from", "into"))


def _word_before(text: str, start: int) -> str:
    """The word before ``text[start:]``, lowercased ("" where none)."""
    m = re.search(r"([A-Za-z'-]+)\s*$", text[max(0, start - 40):start])
    return m.group(1).lower() if m else ""


# a river's left or right bank, named facing downstream, no side of the image: a mirror view swaps it (the river
# flows the other way round), a half or quarter turn keeps it, as a turn's sense ("the left and right banks" too)
# ("a bank of solar panels", a row of things, is no river's: its "left bank" is a side)
_OF_THINGS = (r"(?!\s+of\s+(?:[A-Za-z-]+\s+)?(?:panels|cells|arrays|modules|tanks|silos|containers|windows|lights"
              r"|lamps|batteries|pumps|machines|turbines|generators|transformers|trees|garages|boxes)(?![^\W_]))")
_BANK = re.compile(r"(?<![^\W_])(left|right)(?:[-_ ]?hand)?(?:\s+(?:and|or|&)\s+(left|right)(?:[-_ ]?hand)?)?"
                   rf"\s+(?:river\s*)?banks?(?![^\W_]){_OF_THINGS}", re.I)


def _sense(text: str, start: int, end: int, turning: bool = False) -> bool:
    """Whether "left"/"right" at ``text[start:end]`` is the sense of a turn (``_TURNING``) or a river's bank
    (``_BANK``), every one of them with ``turning`` (the answer to a turn's question, "Left."), no side."""
    return turning or any(m.start(g) == start for p in (*_TURNING, _BANK) for m in p.finditer(text) for g in (1, 2)
                          if m.start(g) >= 0)


# "right" as "correct", ending its clause after "that" or "this": "Is that right?", "That's right.", "Yes, this is right."
_CORRECT = (re.compile(r"(?<![^\W_])(?:that|this)(?:'s|’s|\s+is|\s+was)?\s+(?:quite\s+|exactly\s+|all\s+)?$", re.I),
            re.compile(r"\s*(?:$|[.!?,;:)])"),
            # "all right" ending its clause ("Is it all right?", "It is all right with the runway."; not "all left or
            # all right?"), a tag question ("Right?", "The ship is on the left, right?"; not "left, right?")
            re.compile(r"(?<![^\W_])(?<!\bor\s)(?<!\band\s)(?<!\bnor\s)all\s+$", re.I),
            re.compile(r"\s*(?:$|[.!?,;:)]|\s+(?:with|for|now|that|if)\b)", re.I),
            re.compile(r"(?:^|[.!?]\s*|(?<![^\W_])(?!(?i:left|right|top|bottom|upper|lower|or|and)\b)[A-Za-z']+\s*,\s*)$"),
            re.compile(r"\s*\?"))
# "right" as "at once", "at this moment", "in this place": "right away", "right now", "right here" (a verb of moving
# before it too: "Go right away."); "ships moving right away from the dock" is a side
_NOW = re.compile(r"\s+(?:now|here|away(?!\s+from\b))(?![^\W_])", re.I)


def _just(text: str, start: int, end: int) -> bool:
    """Whether "right" at ``text[start:end]`` means "just" (``_JUST``: "the car right next to the ship") or "correct"
    (``_CORRECT``: "Is that right?")."""
    if text[start:end].lower() != "right":
        return False
    if any(_CORRECT[i].search(text, 0, start) and _CORRECT[i + 1].match(text, end) for i in (0, 2, 4)):
        return True
    if _NOW.match(text, end) and _JUST[0].search(text, 0, start) is None:
        return True
    return (_JUST[1].match(text, end) is not None and _JUST[0].search(text, 0, start) is None
            and _word_before(text, start) not in _TOWARDS)


def _turn_senses(text: str, turning: bool = False) -> str:
    """``text`` with each turn's sense (``_sense``) the other way: "turn left" is "turn right" in a mirror."""
    swap = {"left": "right", "right": "left"}
    return re.sub(r"(?<![^\W_])(?i:left|right)(?![^\W_])", lambda m: _cased(swap[m.group(0).lower()], m.group(0))
                  if _sense(m.string, m.start(), m.end(), turning) else m.group(0), text)


# "Which way does the river bend?": its answer "Left." is a turn's sense, though the question names none
_WHICH_WAY = re.compile(rf"{_WHICH}(?:turn|turns|turning|bend|bends|bending|curve|curves|curving|veer|veers|veering"
                        r"|swerve|swerves|swing|swings)(?![^\W_])", re.I)


# "Which bank is it on?" (not "Which bank of panels ...?", ``_OF_THINGS``)
_WHICH_BANK = re.compile(rf"(?<![^\W_])(?:which|what)\s+(?:river\s*)?bank(?![^\W_]){_OF_THINGS}", re.I)


def turn_question(question: str | None) -> bool:
    """Whether ``question`` asks the sense of a turn ("Does the road turn left or right?", "Which way does the river
    bend?") or a river's bank ("Which bank is the ship on?", "Is it on the left or right bank?", ``_BANK``): its
    answer's "Left." is a sense too (``swap_words``'s ``turning``)."""
    return any(p.search(question or "") for p in (*_TURNING, _WHICH_WAY, _BANK, _WHICH_BANK))


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
    m = _first(_CORNER_HEAD, texts)
    return bool(m and m.group(1).lower() in _AS_TOP)


# "left" as a verb, a departure (the change captions' "One ship left.", "Two ships left, one arrived."), no side:
# after a count and one to three words, none of them one of place ("one ship on the left", "two ships top left"),
# at the end of its clause, or of its object's ("A ship left the dock."; "left of the road", "left side" are sides), its sentence holding no other direction
# word ("Two ships left, one right." are sides)
_COUNT = (r"(?:\d+|an?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|several|some|many|few|both|all"
          r"|the|these|those|this|that)")  # "The ship left.", "The ship has left the port."
_DEPART = (re.compile(rf"(?:^|[,:(]\s*|\b(?:and|but|while|then)\s+){_COUNT}\s+((?:[A-Za-z'-]+\s+){{1,3}})$", re.I),
           re.compile(r"(?:\s+(?:the|its|their|this|that|a|an)(?:\s+[A-Za-z'-]+){1,3}?)?"  # its object: "left the dock"
                      r"\s*(?:$|[.!?;,:)]|(?:and|but|while|then)\b)", re.I))
_PLACE = frozenset(("the", "to", "on", "at", "in", "of", "from", "into", "far", "near", "upper", "lower", "top",
                    "bottom", "middle", "centre", "center", "its", "their", "is", "are", "was", "were", "turn", "turns",
                    "turned", "go", "goes", "move", "moves", "moved", "facing", "faces", "pointing", "points",
                    "heading", "heads", "lie", "lies", "lying", "and", "or", "side", "sides",
                    "further", "farther", "furthest", "farthest", "most", "slightly", "bit",  # "the ship further left"
                    "located", "situated", "positioned", "placed", "parked", "moored", "docked", "visible", "seen",
                    "shown"))  # "the car parked left"


# "left" as remaining, no side: "buildings left intact", "debris left behind", "How much forest is left?", "Is there any
# water left?"; "the ship on the left behind the pier", "How many ships are left of the road?" are sides
_REMAINING = (re.compile(r"\s+(?:intact|standing|undamaged|untouched|unchanged|unharmed|behind|over)\b", re.I),
              _side_before("on"),
              re.compile(r"(?<![^\W_])(?:nothing|anything|something|much|little|many|any|none)(?:\s+[A-Za-z'-]+){0,3}?"
                         r"(?:\s+(?:is|are|was|were|still|remains?))*\s+$", re.I),
              re.compile(r"\s*(?:$|[.!?;,:)]|(?:after|now|today|in|on|at)\b)", re.I))

# "left of" a thing as what remains of it: "What is left of the fort?", "Nothing was left of the pier." (a transpose
# asked "What is above the fort?"); "How many ships are left of the road?" is a side
_REMAINS_OF = (re.compile(r"(?<![^\W_])(?:what|nothing|anything|something|much|little|all\s+that|none)\s+(?:is|was|remains)"
                          r"\s+(?:still\s+)?$", re.I), re.compile(r"\s+of\b", re.I))


def _remaining(text: str, start: int, end: int) -> bool:
    """Whether "left" at ``text[start:end]`` means remaining (``_REMAINING``): "the buildings left intact", "How much
    forest is left?"; not "the ship on the left behind the pier"."""
    head = text[max(0, start - 80):start]
    last = _word_before(text, start)
    if last in _TOWARDS or last in _PLACE and last not in ("is", "are", "was", "were"):
        return False  # "How many planes face left?", "Is any ship moving left?", "How many ships are at left?": a side
    return not _REMAINING[1].search(head) and bool(
        _REMAINING[0].match(text, end) or _REMAINING[2].search(head) and _REMAINING[3].match(text, end)
        or _REMAINS_OF[0].search(head) and _REMAINS_OF[1].match(text, end))


def _departed(text: str, start: int, end: int) -> bool:
    """Whether "left" at ``text[start:end]`` is a verb, a departure (``_DEPART``): "One ship left.", "Two ships
    left, one arrived.", "A ship left the dock."; not "the ship on the left", "left of the road", "top left", "Two ships left, one right."."""
    stops = [m.end() for m in re.finditer(r"[.!?;\n](?!\d)", text[:start])]
    head = text[stops[-1] if stops else 0:start]
    after = re.search(r"[.!?;\n](?!\d)", text[end:])
    counted = _DEPART[0].search(head.lstrip())
    return bool(counted and not _PLACE.intersection(counted.group(1).lower().split())
                and _DEPART[1].match(text, end)
                and not any(m.group(0).lower() != "left" for m in _sides().finditer(
                    head + text[end:end + after.start() if after else len(text)])))


@functools.cache
def _sides() -> re.Pattern:
    """Any word of ``SWAPS``, whole, in any case (built once, on first use)."""
    return _words(_side_words())


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


# a word ending "-est" that is none of a superlative, a compass word or a noun ("the top 3 west piers" is a lane): the
# whole word, as "lowest", "nearest", "shortest", "brightest" and "fastest" end in "west", "rest" and "test"
_NOT_SUPERLATIVE = (r"(?:north|south|mid)?(?:west|east)|forest|(?:un)?rest|nest|test|vest|quest|chest|crest|guest"
                    r"|pest|zest|interest|harvest|contest|protest|request|conquest|inquest|arrest|honest|modest"
                    r"|earnest|digest|manifest|suggest|invest|tempest")


# "top N" as a ranking, no side: "the top 3 largest ships", "top 5 ships by area" (not "by the pier", a place), "the
# top-3 ships", "the top few"; so "bottom N"; kept in every view ("top 3", "The top 2 lanes." with no such word after
# are a lane and turn); a "left"/"right" so ("the left 3 largest") would be asked of a transpose as the ranking: no
# one-word image there
_RANK = re.compile(r"(?<![^\W_])(?:top|bottom|left|right)(?=(?:-\d|(?:[- ]\d+|\s+(?:two|three|four|five|six|seven"
                   r"|eight|nine|ten|twelve|twenty|fifty|hundred|dozen))(?![^\W_])\s+(?:[A-Za-z'-]+\s+){0,2}?"
                   rf"(?:(?!(?:{_NOT_SUPERLATIVE})\b)[A-Za-z]+est|most|least|ranked|in\s+terms\s+of|according\s+to"
                   r"|by(?!\s+(?:the|a|an|this|that|these|those)\b))\b"
                   r"|\s+(?:few|several|handful)\b))", re.I)


def _ranked(text: str, start: int) -> bool:
    """Whether the "top" (or "left", ...) at ``text[start:]`` begins a ranking (``_RANK``; "-est" no compass word nor
    noun: "the top 3 west piers", "the top 3 forest patches" are lanes)."""
    return _RANK.match(text, start) is not None


def _beside(m: re.Match, turning: bool = False) -> str:
    """A transpose's "above" / "below" for a ``_BESIDE`` side of a thing, in the case of its first word; the
    match as it is where its "left" or "right" is a noun (``_NOUNED``, a corner's "top-left of"), names no side
    (``_sideless``: "What is left of the fort?", ``_REMAINS_OF``) or is a turn's sense (``_sense``)."""
    text, at = m.string, m.start(1)
    side = _LR.match(text, at)
    if (at == m.start() and (_word_before(text, at) in _NOUNED or text[at - 1:at] in ("-", "_", "–"))
            or _sideless(side) or _sense(text, at, side.end(), turning)):
        return m.group(0)
    return _cased({"left": "above", "right": "below"}[m.group(1).lower()], m.group(0).split()[0])


def _sub(text: str, step: str, said: dict[str, str] | None = None, turning: bool = False) -> str:
    """``text`` with ``step``'s words (``_swapper``) mapped, ``said`` overriding its table's images; a turn's sense
    (``_sense``, every left/right with ``turning``) and a left or right naming no side (``_sideless``) kept."""
    table, pattern = _swapper(step)
    table = {**table, **said} if said else table

    def sub(m: re.Match) -> str:
        word = m.group(0)
        if len(word) == 1 and word in "NSEW" and not _direction(m.string, m.start(), m.end()):
            return word  # a name ("Building E"), not a direction
        if word.lower() in ("left", "right", *HANDED) and (_sideless(m) or _sense(m.string, m.start(), m.end(), turning)):
            return word  # "One ship left.", "How much forest is left?", "right next to": no side; "turn left": a
            # sense, turned by a mirror alone (``_turn_senses``)
        if word.lower() in ("above", "below", "lower", "upper") and _LEVEL.match(m.string, m.start()):
            return word  # "above 50%", "below sea level": an amount, no side
        if word.lower() in ("top", "bottom") and _ranked(m.string, m.start()):
            return word  # "the top 3 largest ships": a ranking, no side
        if word.lower() == "top" and _ATOP[0].search(m.string, 0, m.start()) and _ATOP[1].match(m.string, m.end()):
            return word  # "panels on top of the building": above it, no side of the image
        new = table[word] if word in table else table[word.lower()]
        if word.istitle() and step != "rotation":  # "Top Left", "North-West": each word's capital kept
            return new.title()
        if not word.isupper() and any(c.isupper() for c in word[1:]):  # "NorthEast", "northEasterly"
            return _camel(new, word)
        return _cased(new, word)

    return pattern.sub(sub, text)


def swap_words(text: str, view: str, back: bool = False, counter: str | None = None,
               hand: str | None = None, upper: bool = False, turning: bool = False) -> str | None:
    """``text`` with each direction word mapped by ``view``'s steps (a leading capital kept; a
    transpose says "left-hand" as "top", and "left of it" as "above it", ``_BESIDE``), or
    with ``back`` from the view to the image (the steps undone in reverse order); None when it
    holds a word a step has no one-word image for ("above" under a transpose). A mirror's "clockwise" is said
    as ``counter`` (``counter_spelling``: "anticlockwise"; default "counterclockwise"); a transpose's "top side"
    said back as "left" ``hand`` "side" (``hand_spelling``: "-hand"; default "left side"), and its corner "top left"
    as "upper left" with ``upper`` (``upper_spelling``). The sense of a turn ("turn left", "a right turn"; every
    "left"/"right" with ``turning``, ``turn_question``: the answer "Left." to "Does the road turn left or right?") is
    turned as "clockwise" is: by a mirror view, not a half or quarter turn."""
    for step in ("vht" if back else "thv"):
        if step not in view:
            continue
        # "the upper left corner" asked as "the top left corner": no view skipped; said back so with ``upper`` alone
        # (its "upper" written back below): a label, said back with none, keeps no vote on the fused one (None)
        if step == "t" and (upper or not back):
            text = _respell(text, _AS_TOP)
        if any(not _LEVEL.match(m.string, m.start()) for w in UNMAPPED.get(step, ())
               for m in re.finditer(rf"{_EDGE[0]}{w}{_EDGE[1]}", text, flags=re.IGNORECASE)):
            return None
        if step == "t" and any(_ranked(text, m.start()) for m in _LR.finditer(text)):
            return None  # "the left 3 largest" would be asked as "the top 3 largest", a ranking
        if step == "t":  # "right-hand" → "bottom"; "left of it" → "above it" (not "top of it", its top)
            text = _BESIDE.sub(lambda m: _beside(m, turning), _sub(text, "hand"))
        text = _sub(text, step, turning=turning)
        if back and step == "t" and hand:  # the last step back: every left/right was a top/bottom
            text = _HANDS.sub(lambda m: m.group(0) + ("" if _sides().match(m.string[m.end():].lstrip())
                                                      or _departed(m.string, m.start(), m.end())
                                                      or _remaining(m.string, m.start(), m.end())
                                                      or _sense(m.string, m.start(), m.end(), turning)
                                                      or _just(m.string, m.start(), m.end()) else hand), text)
    if sum(s in view for s in "thv") % 2:  # a mirror: clockwise turns, and so does a turn's sense
        text = _turn_senses(_sub(text, "rotation", {"clockwise": counter} if counter else None), turning)
    if "t" not in view:
        return text
    text = _CORNER.sub(_corner, text)
    return _respell(text, {b: a for a, b in _AS_TOP.items()}) if back and upper else text


_GAP = r"[^\S\n]+|[^\S\n]*[-–_][^\S\n]*"  # a corner's joiner, with any spaces or tabs: "top  left", "north - west"
_CORNER = re.compile(rf"{_EDGE[0]}(?i:(left|right)({_GAP})(top|bottom)|(west|east)({_GAP})(north|south)"
                     rf"(ernmost|erly|ern|wards|ward)?){_EDGE[1]}")
# a corner's first word ("upper-left", "Top right"), said "top" of a transpose ("upper" has none) and back
_CORNER_HEAD = re.compile(rf"{_EDGE[0]}(?i:(upper|lower|top|bottom)(?=(?:{_GAP})(?:left|right){_EDGE[1]}))")
_AS_TOP = {"upper": "top", "lower": "bottom"}


def _respell(text: str, table: dict[str, str]) -> str:
    """``text`` with each corner's first word in ``table`` (``_AS_TOP``, or it inverted) as its image, in its case."""
    return _CORNER_HEAD.sub(lambda m: _cased(table[w], m.group(1)) if (w := m.group(1).lower()) in table
                            else m.group(1), text)


def _corner(m: re.Match) -> str:
    """A transpose's corner ("left top", "west-north", "east-northerly") in the usual order, each word in the case of the word in its place and
    the joiner as written ("left  top" → "top  left", "west-Southerly" → "south-Westerly"); a heading after a
    space is left alone ("west northerly": two words)."""
    a, gap, b = m.group(1, 2, 3) if m.group(1) else m.group(4, 5, 6)
    end = m.group(7) or ""
    if end and not gap.strip():
        return m.group(0)
    return f"{_cased(b.lower(), a)}{gap}{_cased(a.lower(), b)}{end}"
