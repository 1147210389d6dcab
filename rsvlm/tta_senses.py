"""The "left" and "right" of a text that name no side of the image (``rsvlm.tta_words`` keeps them as
written, or turns them as a mirror does): the sense of a turn ("turn left", "a right turn", ``_TURNING``) or a
river's bank (``_BANK``), which a mirror view swaps and a half or quarter turn keeps (``is_sense``,
``turn_senses``; ``turn_question``: a question whose answer "Left." is such a sense, but a side tied to another
thing, ``_PLACED``: "The left bank, left of the pier."); "right" as "just" or
"correct" ("right next to", "right away", "Is that right?": ``is_just``, ``_JUST``, ``_NOW``, ``_CORRECT``);
"left" as a verb, a departure ("One ship left.", "A ship left the dock.": ``is_departed``), and as remaining
("How much forest is left?": ``is_remaining``); ``is_sideless`` for any of these.
"""

from __future__ import annotations

import functools
import re

from rsvlm.tta_lines import MOVE_VERBS
from rsvlm.tta_tables import cased, side_words, whole_words


def is_sideless(m: re.Match) -> bool:
    """Whether a "left" or "right" match names no side: "left" a departure or remaining (``is_departed``,
    ``is_remaining``), "right" meaning "just" or "correct" (``is_just``)."""
    word, at = m.group(0).lower(), (m.string, m.start(), m.end())
    return word == "left" and (is_departed(*at) or is_remaining(*at)) or word == "right" and is_just(*at)


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
# sides (``_JUST[0]``); a place's word after it (``_JUST[1]``) makes it "just" after a verb of moving too ("The truck ran right
# next to the ship"), a path's (``_JUST[2]``) only after another word ("moored right behind the pier"; "ships moving right
# along the road", "sailed right past the pier" are sides: which is meant there this cannot tell)
_JUST = (_side_before(r"veer\w*", "left"),
         re.compile(r"\s+(?:next\s+to|beside|alongside|adjacent\s+to|in\s+front\s+of|against|near|between|outside|inside"
                    r"|opposite|above|below|under|underneath|beneath|on\s+top\s+of|up\s+(?:to|against)|here|there"
                    r"|in\s+the\s+(?:middle|centre|center))\b", re.I),
         re.compile(r"\s+(?:behind|by|along|across|away|past|over|through|into|around)\b", re.I))

# a verb of heading or moving (or "at", "on", "in", "from", "into") before "left" or "right" makes it a side, no "just"
# nor remaining: "planes face left", "ships moving right along the road", "the ship at right by the dock"; a verb of
# heading (these) even before a place's word: "planes face right next to the hangar", "heading right near the bridge"
_TOWARDS = frozenset(("face", "faces", "facing", "point", "points", "pointing", "lean", "leans", "leaning", "tilted",
                      "tilts", "oriented", "angled", "aligned", "head", "heads", "headed", "heading", "at", "on", "in",
                      "from", "into"))


def is_towards(word: str) -> bool:
    """Whether the lowercased ``word`` makes a "left" or "right" after it a side (``_TOWARDS``, or a verb of moving:
    ``tta_lines.MOVE_VERBS``, one list with the ways ``_still`` reads)."""
    return word in _TOWARDS or re.fullmatch(MOVE_VERBS, word) is not None


def word_before(text: str, start: int) -> str:
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


# a "left" or "right" that is a side even in the answer to a turn's or a bank's question: of another thing ("left of the
# pier"), a part of one ("the right side of the bridge", "its right-hand edge of the dock") or a corner ("top left",
# "left-top"); not of the river ("the left side of the river", "The left side.": its bank), but of a place on it ("left
# of the river mouth", "the river's mouth", "the river bend": a thing with sides of its own, ``_ON_RIVER``)
_ON_RIVER = (r"(?:\s*['’]s)?\s+(?:mouths?|deltas?|estuar(?:y|ies)|bends?|meanders?|confluences?|crossings?|islands?"
             r"|bridges?|dams?|ports?|harbou?rs?|locks?|ferr(?:y|ies)|sources?|outlets?|inlets?|junctions?|forks?|piers?"
             r"|docks?|quays?|wharfs?|wharves|weirs?|fords?)(?![^\W_])")
_PLACED = (re.compile(r"(?:[-_ ]?hand)?(?:(?:\s+(?:side|sides|edge|edges|corner|corners|half|part|end|ends|wing|quadrant))?"
                      r"\s+of\b(?!\s+(?:the\s+|this\s+|that\s+|its\s+)?(?:river|stream|creek|canal|channel|waterway)s?"
                      rf"(?![^\W_])(?!{_ON_RIVER}))"
                      r"|(?:\s+|\s*[-_–]\s*)(?:top|bottom|upper|lower)(?![^\W_])"
                      # the image's own part, "of" it unsaid ("runs to the right edge", "in the left half"; not "side":
                      # "The left side." of a river is its bank)
                      r"|\s+(?:edges?|borders?|margins?|corners?|half|halves|quadrants?|third)(?![^\W_])(?!\s+of\b))", re.I),
           re.compile(r"(?<![^\W_])(?:top|bottom|upper|lower)(?:\s+|\s*[-_–]\s*)$", re.I))


def is_sense(text: str, start: int, end: int, turning: bool = False) -> bool:
    """Whether "left"/"right" at ``text[start:end]`` is the sense of a turn (``_TURNING``) or a river's bank
    (``_BANK``), every one of them with ``turning`` (the answer to a turn's question, "Left.") but a side tied to
    a thing (``_PLACED``: "The left bank, left of the pier."), no side."""
    if turning and not (_PLACED[0].match(text, end) or _PLACED[1].search(text, max(0, start - 12), start)):
        return True  # 12: room for a corner's first word and its joiner before it ("bottom - left")
    return any(m.start(g) == start for p in (*_TURNING, _BANK) for m in p.finditer(text) for g in (1, 2)
               if m.start(g) >= 0)


# "right" as "correct", ending its clause, as pairs of (the text before it, the text after it): after "that" or "this"
# ("Is that right?", "That's right.", "Yes, this is right."), "you" ("You are right."), a claim's noun ("The count is
# right."; not "The ship is right.", which a small model may say of a side)
_CLAUSE_END = re.compile(r"\s*(?:$|[.!?,;:)])")
_QUITE = r"\s+(?:quite\s+|exactly\s+|absolutely\s+|all\s+)?$"
_CORRECT = ((re.compile(rf"(?<![^\W_])(?:(?:that|this)(?:'s|’s|\s+is|\s+was)?|you(?:'re|’re|\s+are|\s+were)"
                        rf"|(?:answer|count|number|total|label|caption|statement|description|estimate|guess)"
                        rf"\s+(?:is|was|seems|looks)){_QUITE}", re.I), _CLAUSE_END),
            # "all right" ending its clause ("Is it all right?", "It is all right with the runway."; not "all left or
            # all right?"), a tag question ("Right?", "The ship is on the left, right?"; not "left, right?")
            (re.compile(r"(?<![^\W_])(?<!\bor\s)(?<!\band\s)(?<!\bnor\s)all\s+$", re.I),
             re.compile(r"\s*(?:$|[.!?,;:)]|\s+(?:with|for|now|that|if)\b)", re.I)),
            (re.compile(r"(?:^|[.!?]\s*|(?<![^\W_])(?!(?i:left|right|top|bottom|upper|lower|or|and)\b)[A-Za-z']+\s*,\s*)$"),
             re.compile(r"\s*\?")))
# "right" as "at once", "at this moment", "in this place": "right away", "right now", "right here" (a verb of moving
# before it too: "Go right away."); "ships moving right away from the dock" is a side
_NOW = re.compile(r"\s+(?:now|here|away(?!\s+from\b))(?![^\W_])", re.I)


def is_just(text: str, start: int, end: int) -> bool:
    """Whether "right" at ``text[start:end]`` means "just" (``_JUST``: "the car right next to the ship") or "correct"
    (``_CORRECT``: "Is that right?")."""
    if text[start:end].lower() != "right":
        return False
    if any(before.search(text, 0, start) and after.match(text, end) for before, after in _CORRECT):
        return True
    if _JUST[0].search(text, 0, start) is not None:
        return False  # "the right next to", "turn right behind"
    word = word_before(text, start)
    return bool(_NOW.match(text, end) or _JUST[1].match(text, end) and word not in _TOWARDS
                or _JUST[2].match(text, end) and not is_towards(word))


def turn_senses(text: str, turning: bool = False) -> str:
    """``text`` with each turn's sense (``is_sense``) the other way: "turn left" is "turn right" in a mirror ("a lefthand
    turn" a "righthand" one)."""
    swap = {"left": "right", "right": "left"}
    return re.sub(r"(?<![^\W_])(?i:left|right)(?=(?i:hand)?(?![^\W_]))", lambda m: cased(swap[m.group(0).lower()], m.group(0))
                  if is_sense(m.string, m.start(), m.end(), turning) else m.group(0), text)


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


# "up or down the river" (the channel, the road, the hill): upstream or down, along it, no way in the image, whichever
# view the image is seen in (but "up or down the image", "the left side of the image", a side of it): ``tta_words._UPDOWN``
# reads no way there
ALONG_PATH = (r"\s+(?:the|a|an|this|that|its|their)\s+(?!(?:image|picture|photo|frame|scene|tile|view|crop|page|screen"
              r"|left|right|top|bottom|upper|lower|side|edge|border|middle|centre|center)\b)[A-Za-z]")
_ALONG = re.compile(rf"(?<![^\W_])(?:up|down)(?:\s+(?:or|and)\s+(?:up|down))?{ALONG_PATH}", re.I)


def along_question(question: str | None) -> bool:
    """Whether ``question`` asks "up" or "down" along a thing ("Is the boat moving up or down the river?", ``_ALONG``):
    its answer's "Up." is no way in the image (``swap_words``'s ``along``)."""
    return _ALONG.search(question or "") is not None


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
# those of _PLACE that are verb forms: first of two or more words after the count, an adjective ("The heading ship
# left the port.", "The parked car left."), no place; "The ship heading left", "The ship turned sharply left" are sides
_VERB_PLACE = _PLACE & frozenset(("turn", "turns", "turned", "go", "goes", "move", "moves", "moved", "facing", "faces",
                                  "pointing", "points", "heading", "heads", "lie", "lies", "lying", "located", "situated",
                                  "positioned", "placed", "parked", "moored", "docked", "visible", "seen", "shown"))


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


def is_remaining(text: str, start: int, end: int) -> bool:
    """Whether "left" at ``text[start:end]`` means remaining (``_REMAINING``): "the buildings left intact", "How much
    forest is left?"; not "the ship on the left behind the pier"."""
    head = text[max(0, start - 80):start]
    last = word_before(text, start)
    if is_towards(last) or last in _PLACE and last not in ("is", "are", "was", "were"):
        return False  # "How many planes face left?", "Is any ship moving left?", "How many ships are at left?": a side
    return not _REMAINING[1].search(head) and bool(
        _REMAINING[0].match(text, end) or _REMAINING[2].search(head) and _REMAINING[3].match(text, end)
        or _REMAINS_OF[0].search(head) and _REMAINS_OF[1].match(text, end))


# "left" as a verb after its subject's place ("The parked car on the left left the lot.", "Ships in the top right part
# of the image left."): a thing, a place phrase ending in a side, then "left" ending its clause or taking an object
# (after "top" or "bottom", as a transposed view says it, only taking one: "on the top left." is a corner)
_PLACED_SUBJECT = re.compile(r"[A-Za-z'-]+\s+(?:on|in|at|to|from)\s+the\s+(?:(?:far|top|bottom|upper|lower)\s+)?(?:(left|right)|top|bottom)"
                             r"(\s+(?:side|part|half|corner|edge)(?:\s+of\s+the\s+(?:image|scene|picture))?)?\s+$", re.I)
_LEFT_OBJECT = re.compile(r"\s+(?:the|its|their|this|that|these|those|a|an)\s+"
                          r"(?!(?:left|right|top|bottom|side|sides|edge|corner|half|part|middle|centre|center)\b)[A-Za-z]", re.I)
_DEPART_END = re.compile(r"\s*(?:$|[.!?;,:)]|(?:and|but|while|then)\b)", re.I)  # a verb's clause ends (a joiner too)


def is_departed(text: str, start: int, end: int) -> bool:
    """Whether "left" at ``text[start:end]`` is a verb, a departure (``_DEPART``): "One ship left.", "Two ships
    left, one arrived.", "A ship left the dock.", "The car on the left left the lot." (``_PLACED_SUBJECT``, its
    sentence may hold other sides); not "the ship on the left", "left of the road", "top left", "Two ships left, one
    right.". Not read: a subject placed otherwise ("The car by the left gate left."), which stays a side."""
    head = _clause_head(text, start)
    placed = _PLACED_SUBJECT.search(head)
    if placed and (_LEFT_OBJECT.match(text, end) or (placed.group(1) or placed.group(2)) and _DEPART_END.match(text, end)):
        return True  # "on the top left." is a corner, "on the top left the lot." (a transposed view's) and "in the top
        # part of the image left." (no corner: its noun came between) departures
    after = re.search(r"[.!?;\n](?!\d)", text[end:])
    counted = _DEPART[0].search(head.lstrip())
    words = counted.group(1).lower().split() if counted else ()
    placed = words[1:] if len(words) > 1 and words[0] in _VERB_PLACE else words  # "The heading ship": an adjective
    # "A truck drives left,": a verb of moving just before it (not "Two moving trucks left.", a departure)
    return bool(counted and not _PLACE.intersection(placed) and not is_towards(words[-1])
                and _DEPART[1].match(text, end)
                and not any(m.group(0).lower() != "left" for m in side_pattern().finditer(
                    head + text[end:end + after.start() if after else len(text)])))


def corner_departures(text: str) -> list[re.Match]:
    """Each "left" of ``text`` that is a departure ending its clause right after its subject's side ("The car on the
    left left.", ``is_departed``): a transpose says that side as "top" or "bottom", and "The car on the top left."
    reads as a corner, so the text has no image under one (it was asked, and said back, as the corner)."""
    return [m for m in re.finditer(r"(?<![^\W_])left(?![^\W_])", text, re.I)
            if (placed := _PLACED_SUBJECT.search(_clause_head(text, m.start()))) and placed.group(1)
            and not placed.group(2) and not _LEFT_OBJECT.match(text, m.end()) and _DEPART_END.match(text, m.end())]


def _clause_head(text: str, start: int) -> str:
    """``text`` before ``start``, from its sentence's start."""
    stops = [m.end() for m in re.finditer(r"[.!?;\n](?!\d)", text[:start])]
    return text[stops[-1] if stops else 0:start]


@functools.cache
def side_pattern() -> re.Pattern:
    """Any word of ``SWAPS``, whole, in any case (built once, on first use)."""
    return whole_words(side_words())
