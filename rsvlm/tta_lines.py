"""Rankings, rows and columns in a question said of a mirror view (``rsvlm.tta_words``): "top N" as a ranking, no
side ("the top 3 largest ships", ``ranked``); a row or column named by its side ("the top row", "the second row from
the top", ``_LINE``) or by its place in order alone ("the third column", "the last row", "the 2nd-to-last row",
``ORDINAL_LINE``).

A transpose says a row a column and back (``turn_lines``: the third row counted from the top is the third column
counted from the left there); a left-right flip reverses the order of the columns, a top-bottom flip that of the rows
(``flip_lines``), so, with no count of them known, "the first" and "the last" swap, "the third" is "the third-to-last"
and back ("penultimate", "next-to-last" and "second last" are "the second"), and "the middle row" stays. A row or
column named by a number after it ("row 3", ``NUMBERED_LINE``) is a transpose's column 3; a flip across it is not asked
(``numbered``). One picked by a word before it ("which row", "each column", ``_PICKED``) is a transpose's column; a
bare ordinal ("The first.", ``_BARE``) counts the lines its question asks for (``counted_lines``), and a flip across
them counts it from the other end. Objects counted in order with no side ("the second ship", ``ordered``) have no
image in any mirror view, which counts them in another order: those views are not asked ("the second ship from the
left" turns).
"""

from __future__ import annotations

import re

from rsvlm.tta_tables import cased

# a word ending "-est" that is none of a superlative, a compass word or a noun ("the top 3 west piers" is a lane): the
# whole word, as "lowest", "nearest", "shortest", "brightest" and "fastest" end in "west", "rest" and "test"
_NOT_SUPERLATIVE = (r"(?:north|south|mid)?(?:west|east)|forest|(?:un)?rest|nest|test|vest|quest|chest|crest|guest"
                    r"|pest|zest|interest|harvest|contest|protest|request|conquest|inquest|arrest|honest|modest"
                    r"|earnest|digest|manifest|suggest|invest|tempest")


# "top N" as a ranking, no side: "the top 3 largest ships", "top 5 ships by area" (not "by the pier", a place), "the
# top-3 ships", "the top few"; so "bottom N"; kept in every view ("top 3", "The top 2 lanes." with no such word after
# are a lane and turn); a "left"/"right" so ("the left 3 largest") would be asked of a transpose as the ranking: no
# one-word image there; a "the" before the "-est" starts another phrase, the ones at the top its subject ("Are the
# top two the largest?" asks of the two at the top, as "Is the top one the largest?"; "the top 3 of the largest" ranks,
# "the top 3 ships of the largest harbour" is a place: "of the" only right after the number)
_UNITS = "one|two|three|four|five|six|seven|eight|nine"
# (not a bare "one", ``_UNITS[4:]``, the pronoun: "Is the top one the largest?" asks of the one at the top; "one hundred"
# is a number)
_NUMBER = (rf"(?:(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:[- ](?:{_UNITS}))?|ten|eleven|twelve"
           rf"|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|{_UNITS[4:]}"
           r"|(?:one\s+)?(?:hundred|thousand)"
           r"|dozen)")
_RANK = re.compile(r"(?<![^\W_])(?:top|bottom|left|right)(?=(?:-\d|(?:[- ]\d+|\s+" + _NUMBER + r")"
                   r"(?![^\W_])\s+(?:(?:of|among)\s+the\s+|(?:(?!(?:the|an?)\s)[A-Za-z'-]+\s+){0,2}?)"
                   rf"(?:(?!(?:{_NOT_SUPERLATIVE})\b)[A-Za-z]+est|most|least|ranked|in\s+terms\s+of|according\s+to"
                   r"|by(?!\s+(?:the|a|an|this|that|these|those)\b))\b"
                   r"|\s+(?:few|several|handful)\b))", re.I)


def ranked(text: str, start: int) -> bool:
    """Whether the "top" (or "left", ...) at ``text[start:]`` begins a ranking (``_RANK``; "-est" no compass word nor
    noun: "the top 3 west piers", "the top 3 forest patches" are lanes)."""
    return _RANK.match(text, start) is not None


# a row or column named by its side ("the top row", "the left-most column", "the top two rows", "the second row from the
# top"): a transpose's "left row" was no row of its view; the noun turns with the side, a row being a column there
_FROM_SIDE = (r"\s+(?:(?:counting\s+)?from|at|on|in|nearest|closest\s+to)\s+the\s+(?:very\s+|far\s+)?"
              r"(?:left|right|top|bottom)(?![^\W_])")  # "the row from the top", "the column at the far left"
_LINE = re.compile(r"(?<![^\W_])(?:((?:left|right|top|bottom)(?:[-_ ]?most)?(?:\s+(?:\d+|" + _NUMBER + r"))?(?:\s+|[-_]))"
                   rf"(rows?|columns?)|(rows?|columns?)(?={_FROM_SIDE}))(?![^\W_])", re.I)
_LINES = {"row": "column", "rows": "columns", "column": "row", "columns": "rows"}


# a row or column named by a number after it ("row 3", "rows 1 and 2", "column #4"; not an amount, "rows 10 m apart",
# ``_UNIT``): a transpose's "column 3"; a flip across the lines counts it from the other end, their count unknown: no
# image there (``numbered``: the view skipped)
_UNIT = r"(?![^\W_]|[.,]\d|\s*(?:%|(?:m|km|cm|ft|feet|foot|met(?:er|re)s?|px|pixels?|percent|degrees?)(?![^\W_])))"
NUMBERED_LINE = re.compile(rf"(?<![^\W_])(?:rows?|columns?)\s+(?:no\.?\s*|number\s+|#)?\d+{_UNIT}"
                           rf"(?:(?:\s*,\s*(?:(?:and|or)\s+)?|\s+(?:and|or|&|to)\s+|\s*[-–]\s*)\d+{_UNIT})*", re.I)


def numbered(text: str, step: str) -> bool:
    """Whether ``text`` names a line by a number after it (``NUMBERED_LINE``) that a flip ``step`` ("h": columns, "v":
    rows) counts from the other end: ``swap_words`` has no image for it there."""
    return any(m.group(0).lower().startswith({"h": "col", "v": "row"}[step]) and not _SIDED.match(text, m.end())
               for m in NUMBERED_LINE.finditer(text))  # "row 3 from the top": a flip's "from the bottom"


_SIDED = re.compile(r"\s+(?:counting\s+)?from\s+the\s+(?:very\s+|far\s+)?(?:left|right|top|bottom)(?![^\W_])", re.I)


# "of" things, a row made of them ("rows of containers", "which row of trees", "which row of the containers": a plural
# after the determiner), not of a place in the image ("which row of the parking lot", "of this grid", "of the image": a
# row of it, which a transpose turns; "of the red containers", an adjective first, is taken as a place too)
_PLURAL = r"[A-Za-z]+(?<![sui])s(?![^\W_])"  # "containers", "lots"; not "grass", "campus", "tennis"
_OF_THINGS = (r"\s+of(?![^\W_])(?!\s+(?:the|this|that|these|those|its|their|each|every)(?![^\W_])"
              rf"(?!\s+{_PLURAL}))")
# "of" a set pointed at ("which of the rows", "which of these ships"), and a second axis after the first ("which row
# and column", "rows/columns"): in ``_PICKED``, ``_ASKED`` and ``_WHICH_THING``
_OF_THESE = r"\s+of\s+(?:the|these|those)"
_AND = r"(?:\s*/\s*|\s+(?:and|or|&)\s+)"
# a verb after "which"/"what" ("which is", "what does"): no noun asked of
_VERB = r"is|are|was|were|has|have|had|do|does|did|can|could|would|will|should"


# a row or column of a grid picked by a word before it, no side nor place in order ("Which row has the most tanks?", "in
# each column", "the same row as the truck", "which of the rows", "of these rows"): a transpose's column, its "The first row." the
# image's first column; not a row of things, any way round ("rows of containers", "a row of trees", "in a row"), nor
# a compound ("What row spacing …?", "which row crops")
_PICKED = re.compile(r"(?<![^\W_])((?:which|what|each|every|per|same|other|different|adjacent|neighbou?ring|next)\s+"
                     rf"|(?:which|each|any|none|all|both|either|neither)(?:\s+one)?{_OF_THESE}\s+)(rows?|columns?)"
                     rf"(?:({_AND})(rows?|columns?))?"  # "which row and column": both turn
                     rf"(?![^\W_])(?!{_OF_THINGS}|\s+(?:spacing|crops?|houses?|boats?|widths?)(?![^\W_]))(?!{_FROM_SIDE})", re.I)


def turn_lines(text: str) -> str:
    """``text`` with each row a column and back, in its case, for a transpose: one named by its side (``_LINE``), by
    its place in order (``ORDINAL_LINE``: counted from the top, a row is counted from the left there), by a number
    (``NUMBERED_LINE``: "row 3" is "column 3") or picked by a word before it (``_PICKED``: "which row")."""
    text = _PICKED.sub(lambda m: m.group(1) + cased(_LINES[m.group(2).lower()], m.group(2))
                       + (m.group(3) + cased(_LINES[m.group(4).lower()], m.group(4)) if m.group(4) else ""), text)
    text = _LINE.sub(lambda m: m.group(0) if m.group(1) and ranked(m.string, m.start()) else  # "the top 3 rows by area"
                     (m.group(1) or "") + cased(_LINES[(w := m.group(2) or m.group(3)).lower()], w), text)
    text = NUMBERED_LINE.sub(lambda m: cased(_LINES[(n := m.group(0).split()[0]).lower()], n) + m.group(0)[len(n):], text)
    return ORDINAL_LINE.sub(lambda m: m.group(0)[:m.start("noun") - m.start()]
                            + cased(_LINES[m.group("noun").lower()], m.group("noun")), text)


_ORD = r"(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|\d+(?:st|nd|rd|th))"
_TO_LAST = re.compile(rf"({_ORD})(?:[- ]to)?[- ]last", re.I)  # "second-to-last", "second last": the second in a flip
_IN_ORDER = rf"(?:{_ORD}(?:(?:[- ]to)?[- ]last)?|penultimate|next[- ]to[- ]last|last)"  # counted from an end
_MIDDLE = ("middle", "centre", "center", "central")  # the middle one of things, or "Centre.": a place every view keeps
_ONE = rf"(?:{_IN_ORDER}|{'|'.join(_MIDDLE)})"
_EACH = re.compile(rf"(?<![^\W_]){_ONE}(?![^\W_])", re.I)
# a row or column by its place in order, no side after it ("the third column", "the last two rows", each of a list: "the
# first and second rows", "the 1st, 2nd or 3rd column"; not "the second row from the top", ``_LINE``)
ORDINAL_LINE = re.compile(rf"(?<![^\W_])(?P<ord>{_ONE}(?:(?:\s*,\s*(?:(?:and|or)\s+)?|\s+(?:and|or|&)\s+)(?:the\s+)?{_ONE})*)"
                          r"(?:\s+(?:\d+|" + _NUMBER + r"))?(?:\s+|[-_])(?P<noun>rows?|columns?)"
                          rf"(?![^\W_])(?!{_FROM_SIDE})", re.I)
_FLIPPED = {"first": "last", "1st": "last", "last": "first", "penultimate": "second", "next-to-last": "second"}


def _flipped(said: str) -> str:
    """An ordinal (``_ONE``) counted from the other end, in its case: "first" ↔ "last", "third" ↔ "third-to-last"."""
    low = re.sub(r"[- ]+", "-", said.lower())
    if low in _MIDDLE:
        return said
    if low in _FLIPPED:
        return cased(_FLIPPED[low], said)
    return k.group(1) if (k := _TO_LAST.fullmatch(said)) else f"{said}-to-last"


def flip_lines(text: str, step: str, axis: str = "") -> str:
    """``text`` with each ``ORDINAL_LINE`` column (``step`` "h") or row ("v") counted from the other end, in its case:
    "the first" and "the last" swap, "the third" is "the third-to-last" and back; the middle one stays. So each bare
    ordinal (``_BARE``: "The first.", "the first or the last?") where the lines it counts (``counted_lines``) are
    ``axis`` ("row", "column") and the step's."""
    line = {"h": "column", "v": "row"}[step]
    if axis == line:
        spans = [m.span() for m in ORDINAL_LINE.finditer(text)]  # "the first or the last row": turned below
        text = _BARE.sub(lambda m: m.group(0) if any(a <= m.start() < b for a, b in spans) or _said_first(m)
                         else _flipped(m.group(0)), text)
    return ORDINAL_LINE.sub(lambda m: m.group(0) if not m.group("noun").lower().startswith(line) else
                            _EACH.sub(lambda k: _flipped(k.group(0)), m.group("ord")) + m.group(0)[len(m.group("ord")):], text)


# an ordinal with no noun after it, "The first.", "the first or the last?", "the second-to-last one" (after "the", "or",
# "and", a comma or colon, or the text's start: "First." but not "First, count the rows", ``flip_lines``), which counts
# the lines a question asks for (``counted_lines``)
_BARE = re.compile(rf"(?:(?<=\bthe\s)|(?<=\bor\s)|(?<=\band\s)|(?<=[,:;(/.!?])|(?<=[,:;(/.!?]\s)|(?<=^)){_ONE}(?![^\W_])"
                   rf"(?=(?:\s+(?:ones?|\d+|{_NUMBER}))?\s*(?:$|[.,;:!?)]|(?:or|and|&)(?![^\W_])))", re.I | re.M)
# the lines a question asks for ("Which row has the most tanks?", "which of the columns"; not "which rows of tanks"), or
# asks of something else ("which ship": its answer's "The first." counts ships)
_ASKED = re.compile(rf"(?<![^\W_])(?:which|what)(?:\s+one)?(?:{_OF_THESE})?\s+(?:(rows?|columns?)"
                    rf"(?:{_AND}(rows?|columns?))?(?![^\W_])(?!{_OF_THINGS})"
                    rf"|(?!(?:{_VERB}|one|of|rows?|columns?)"
                    r"(?![^\W_]))[A-Za-z])", re.I)


_OPTION = re.compile(rf",\s*(?:the\s+)?{_ONE}(?![^\W_])", re.I)


def _said_first(m: re.Match) -> bool:
    """Whether a ``_BARE`` ordinal opens its sentence with a comma after it, no option after that: "First, count the
    rows" (not "First, second or last?")."""
    head = m.string[:m.start()].rstrip()
    return head[-1:] in ("", ".", "!", "?") and m.string.startswith(",", m.end()) and not _OPTION.match(m.string, m.end())


# nouns of no place in the image, whose order every view keeps: a pair's images, times, bands; a building's floor, a
# place in a ranking, the conversation's own parts (``_ORDERED``, ``_WHICH_THING``)
_UNPLACED = (r"images?|pictures?|photos?|scenes?|dates?|times?|acquisitions?|epochs?|frames?"
             r"|halves|half|quarters?|bands?|channels?|layers?|years?|months?|weeks?|days?|seasons?|periods?"
             r"|phases?|stages?|steps?|passes?|hours?|minutes?|decades?|centur(?:y|ies)|surveys?|visits?|floods?"
             r"|updates?|versions?|rounds?|orbits?|overpass(?:es)?"
             r"|floors?|stor(?:e?ys?|ies)|levels?|decks?|places?|things?|options?|choices?|answers?|questions?"
             r"|sentences?|words?|letters?|digits?|categor(?:y|ies)|class(?:es)?|types?|kinds?")


# things a question picks, a bare ordinal of it or its answer counting them ("Which ship is damaged, the first or the
# second?", "Which row of tanks is full, the first or the last?": rows of things, ``_OF_THINGS``); not a line of the
# image ("which row", "which of the rows"), nor what has no place in it ("which image", ``_UNPLACED``)
_WHICH_THING = re.compile(rf"(?<![^\W_])which(?:\s+one)?(?:{_OF_THESE})?\s+(?:(?:rows?|columns?)(?={_OF_THINGS})"
                          rf"|(?!(?:rows?|columns?|{_UNPLACED}|{_VERB}|one|of)(?![^\W_]))[A-Za-z]+(?![^\W_]))", re.I)
# an order in time ("the first to dock", "first ship to land"; not "to the pier", a place), which every view keeps
_TO_DO = r"to\s+(?!(?:the|its|their|this|that|a|an)(?![^\W_]))[A-Za-z]"
_IN_TIME = re.compile(rf"(?<![^\W_]){_ONE}\s+(?:[A-Za-z]+\s+)?{_TO_DO}", re.I)


def counted_lines(question: str | None) -> str:
    """The lines ("row", "column") a bare ordinal (``_BARE``) of ``question`` or of its answer counts: those it asks for
    ("Which row has the most tanks, the first or the last?", ``_ASKED``), or, where it asks of nothing else and holds
    no other ordinal, those of its ``ORDINAL_LINE``s ("Is the first or the last row busier?"); "both" where it asks of
    rows and columns ("Which row and column …?"); "things" where it picks things with no side said nor order in time
    (``_WHICH_THING``: "Which ship is damaged, the first or the second?", "Which row of tanks …?": "The second." counts
    them in the view's own order, no mirror view's); "" where none, or it asks of other things ("Which is the first
    ship to dock?")."""
    question = question or ""
    if _WHICH_THING.search(question) and not _SIDE_SAID.search(_still(question)) and not _IN_TIME.search(question):
        return "things"
    asked = list(_ASKED.finditer(question))
    axes = {g.lower().rstrip("s") for m in asked for g in m.group(1, 2) if g}
    if not asked:
        lines = list(ORDINAL_LINE.finditer(question))
        if all(any(m.start() <= k.start() < m.end() for m in lines) for k in _EACH.finditer(question)):
            axes = {m.group("noun").lower().rstrip("s") for m in lines}
    if any(m.group(1) is None for m in asked) or not axes:
        return ""
    return axes.pop() if len(axes) == 1 else "both"  # "Which row and column …?": "The first." counts either


def bare_ordinal(text: str, middle: bool = True) -> re.Match | None:
    """The first bare ordinal of ``text`` (``_BARE``: "The first.", not "the first row" nor "First, count …"; not "The
    middle one." nor "Centre." without ``middle``: where it counts things, a place every mirror view keeps); None
    where none: what a flip cannot count back where the question asks of both rows and columns."""
    spans = [m.span() for m in ORDINAL_LINE.finditer(text)]
    return next((m for m in _BARE.finditer(text) if not any(a <= m.start() < b for a, b in spans) and not _said_first(m)
                 and (middle or m.group(0).lower() not in _MIDDLE)), None)


def ordinal_why(text: str, lines: str | None) -> str | None:
    """Why a view's answer ``text`` has no image back where an order is why: a bare ordinal to a question asking of both
    rows and columns (``lines`` "both", ``counted_lines``) or of things ("things"), or objects counted in order with no
    side (``ordered``: "The second ship."); None where that is not why."""
    if lines == "both" and (m := bare_ordinal(text)):
        return (f"its {m.group(0)!r} may count rows or columns (the question asks of both), one of which the view "
                "counts from the other end")
    m = bare_ordinal(text, middle=False) if lines == "things" else None
    return (m := m or ordered(text, ones=False)) and (f"its {m.group(0)!r} counts the objects in the view's own order, not the "
                                          "image's (no side said)")


# the lines things are counted along ("the first ship in the row"), one table: a row, a column or a line is read in the
# view's own order (a left-right flip's first is the image's last: ``ordered``, no mirror view asked), a queue or a
# convoy from its front, the same in every view ("the first car in the queue", "the first car in line": kept as written)
LINES_OF_THINGS = {"row": "read", "column": "read", "line": "read", "queue": "front", "convoy": "front"}
_FRONTED = "|".join(f"{noun}s?" for noun, how in LINES_OF_THINGS.items() if how == "front")
_NOT_FRONTED = (r"(?!\s+(?:in|of|along|on)\s+(?:(?:the|a|an|each|this|that|its)\s+(?:[A-Za-z0-9-]+\s+)?"
                rf"(?:{_FRONTED})|line)(?![^\W_]))")  # in a queue, "in line": counted from its front (kept)


# objects counted in order with no side said ("the second ship", "the last plane"; not "the second ship from the left",
# "the second largest", "the first row", "the second image" of a pair, "the middle ship", which every view keeps; nor an
# order in time, "the first ship to dock", nor along a queue, ``LINES_OF_THINGS``)
_ORDERED = re.compile(rf"(?<![^\W_])the\s+{_IN_ORDER}\s+"
                      # "the first two ships", "the first 10 ships": the noun said too (a number is no noun: "the
                      # first two images" is no "the first two"; no capture group: ``unsaid_word`` reads ``lastindex``)
                      rf"(?:(?:\d+|{_NUMBER})\s+)?(?!{_NUMBER}(?![^\W_]))"
                      rf"(?!(?:rows?|columns?|{_UNPLACED}|ones?|most|least|[A-Za-z]+est|and|or|of|to|in|on|at)(?![^\W_]))"
                      rf"[A-Za-z]+(?![^\W_])(?!\s+{_TO_DO})"  # "to dock": a time (``_IN_TIME``)
                      # counted from a thing ("the second ship from the pier": the same in every view) or a side (turned)
                      r"(?!,?\s+(?:counting\s+)?from(?![^\W_]))" + _NOT_FRONTED, re.I)
# "the second one", counted in order as "the second ship" is, where the text names no row, column nor a thing of no place
# ("Is the first image cloudier than the second one?", ``_UNPLACED``: kept as written)
_ORDERED_ONE = re.compile(rf"(?<![^\W_])the\s+{_IN_ORDER}\s+ones?(?![^\W_])(?!\s+{_TO_DO})"
                          r"(?!,?\s+(?:counting\s+)?from(?![^\W_]))" + _NOT_FRONTED, re.I)
# an order with no noun after it in a question: "Is the second damaged?" (one word, then the sentence ends: its noun
# unsaid; was read as a noun "damaged"), "Which ship is first in the line?" (not "first in line", a queue's front, "first
# to dock", a time, nor "Which one is first?", either): counted in the view's own order, as "the second ship" is
_AFTER_VERB = "".join(rf"(?<=\b{v}\s)|" for v in ("is", "are", "was", "were", "comes", "come", "came"))[:-1]
_NOUNLESS = re.compile(rf"(?:(?:{_AFTER_VERB})the\s+{_IN_ORDER}(?=\s+(?!(?:rows?|columns?|{_UNPLACED}|ones?|most|least"
                       rf"|[A-Za-z]+est)(?![^\W_]))[A-Za-z]+\s*(?:[?.!]|$))|(?:{_AFTER_VERB})(?:the\s+)?{_IN_ORDER}"
                       r"(?=\s+(?:in|of|along|on)\s+(?:the|this|that|its|each)\s+(?:[A-Za-z-]+\s+)?"
                       r"(?:rows?|columns?|lines?)(?![^\W_])))", re.I | re.M)
# not the "<image>" token, nor the "optical image: <image>" that names its modality (``annotate_modality``: chat, predict)
_TOKEN = r"(?<![^\W_])(?<!<)(?:{})(?![^\W_])(?!:\s*<image>)"
_NOUNLESS_ELSE = re.compile(_TOKEN.format(_UNPLACED) + r"|(?:which|what)\s+(?:rows?|columns?)", re.I)
_NAMED_ELSE = re.compile(_TOKEN.format(rf"rows?|columns?|{_UNPLACED}"), re.I)
_SIDE_SAID = re.compile(r"(?:from|counting)\s+(?:the\s+)?(?:very\s+|far\s+)?(?:left|right|top|bottom|north|south|east"
                        r"|west)|(?:left|right|top|bottom)[-_ ]?most|left\s+to\s+right|right\s+to\s+left"
                        r"|top\s+to\s+bottom|bottom\s+to\s+top|(?:left|right|north|south|east|west)\s+of|above|below"
                        # "on the left", "at the top", "in the upper half": counted among those there, turned as before
                        r"|(?:on|at|in|to|towards?|near)\s+the\s+(?:very\s+|far\s+)?(?:left|right|top|bottom|upper|lower"
                        r"|north|south|east|west)(?![^\W_])", re.I)


# a motion from or to a side ("sailing from left to right", "moving left to right", "crossing the image from the top to
# the bottom", "a plane flying to the left"): a way, no order counted (``_still`` blanks it before an order is looked
# for: "Is the second ship sailing from left to right?" counts the ships in no said order, every mirror view its own)
# verbs of travel, a way said after them ("moving up", "sailing from left to right"; ``tta_words._UPDOWN`` too)
TRAVEL_VERBS = (r"mov(?:e|es|ed|ing)|go(?:es|ing)?|head(?:s|ed|ing)?|flow(?:s|ed|ing)?|run(?:s|ning)?|ran"
                r"|travel(?:s|led|ling|ed|ing)?|drift(?:s|ed|ing)?|sail(?:s|ed|ing)?|fl(?:y|ies|ying|ew|own)"
                r"|driv(?:e|es|en|ing)|drove")
# and more verbs of moving, which make a "left" or "right" after them a side too (``tta_senses.is_towards``)
MOVE_VERBS = (rf"{TRAVEL_VERBS}|went|taxi(?:s|es|ed|ing)?|cross(?:es|ed|ing)?|pass(?:es|ed|ing)?|walk(?:s|ed|ing)?"
              r"|steam(?:s|ed|ing)?|cruis(?:e|es|ed|ing)|roll(?:s|ed|ing)?")
_MOVING = (rf"{MOVE_VERBS}|stream(?:s|ed|ing)?|blow(?:s|n|ing)?|blew|com(?:e|es|ing)|came"
           r"|arriv(?:e|es|ed|ing)|approach(?:es|ed|ing)?|turn(?:s|ed|ing)?|veer(?:s|ed|ing)?|swerv(?:e|es|ed|ing)"
           r"|motion|movement|traffic")
_A_SIDE = r"(?:the\s+)?(?:very\s+|far\s+)?(?:left|right|top|bottom|north|south|east|west)(?![^\W_])"
_MOTION = re.compile(rf"(?<![^\W_])(?:{_MOVING})(?![^\W_])(?:\s+(?!(?:count|number|list|order)\w*\b)[A-Za-z'-]+){{0,3}}?"
                     rf"\s+(?:from\s+{_A_SIDE}(?:\s+(?:to|towards?)\s+{_A_SIDE})?|{_A_SIDE}\s+to\s+{_A_SIDE}"
                     rf"|(?:to|towards?)\s+{_A_SIDE}(?!\s+of(?![^\W_])))", re.I)  # "moving to the left of the pier": a place


def _still(text: str) -> str:
    """``text`` with each motion from or to a side (``_MOTION``) blanked, its length kept: what an order is looked for in;
    one opening its sentence as a clause of its own ("Going from left to right, is the second building taller?") is
    the order things are read in, kept."""
    return _MOTION.sub(lambda m: m.group(0) if _OPENS.search(text, 0, m.start()) and text.startswith(",", m.end())
                       else " " * len(m.group(0)), text)


_OPENS = re.compile(r"(?:^|[.!?:;\n]|<image>)\s*(?:\[\w+\]\s*)?$")  # a sentence's start ("<image>\n[vqa] Going …")


# a side counted from ("counting from the left", "the second from the left", "Count the ships from the top", "left to
# right"): objects counted in order in a later turn count from there (``counts_from``); a side said after no count nor
# order is a place ("20 m from the left bank", "the wind from the north"), not an order
_FROM = r"from\s+(?:the\s+)?(?:very\s+|far\s+)?(?:left|right|top|bottom|north|south|east|west)"
_FROM_SIDE_SAID = re.compile(rf"(?<![^\W_])(?:(?:{_IN_ORDER}|count(?:s|ed|ing)?|number(?:s|ed|ing)?|list(?:s|ed|ing)?"
                             rf"|order(?:s|ed|ing)?)(?:\s+[A-Za-z]+){{0,3}}?,?\s+{_FROM}|left\s+to\s+right"
                             r"|right\s+to\s+left|top\s+to\s+bottom|bottom\s+to\s+top)(?![^\W_])", re.I)


def counts_from(messages: list[dict] | None) -> bool:
    """Whether a turn of ``messages`` (user or assistant) counts from a side ("counting from the left", "The second from
    the left.", "left to right"): a later turn's "the first or the second?" counts from there, the side turned with its
    view, so every mirror view says it as written (``swap_words``' ``sided``). A side named with no count ("the
    leftmost", "on the left"), or said as a place ("20 m from the left bank", "the wind from the north"), sets no
    order: not so."""
    return any(m.get("role") != "system" and isinstance(m.get("content"), str) and _FROM_SIDE_SAID.search(_still(m["content"]))
               for m in messages or ())


def ordered(text: str, ones: bool = True) -> re.Match | None:
    """The first object of ``text`` counted in order with no side said (``_ORDERED``: "the second ship"; with ``ones``,
    a question's, "the second one" where it names no image, band nor line, ``_ORDERED_ONE``: an answer's is read as its
    question asks, ``counted_lines``; the sentence says none, ``_SIDE_SAID``: "from the left", "leftmost", "left to
    right", but a motion, ``_still``: "sailing from left to right"): a mirror view counts them
    in another order, so ``swap_words`` has no image for it in any; None where none, or where ``text`` counts from a
    side in any sentence ("Count the ships from the left. Is the second damaged?", ``counts_from``: turned as said)."""
    still = _still(text)  # "sailing from left to right" counts nothing
    if _FROM_SIDE_SAID.search(still):
        return None
    spans = [m.span() for m in ORDINAL_LINE.finditer(text)]  # "the last two rows": lines, turned
    nounless = () if not ones or _NOUNLESS_ELSE.search(text) else _NOUNLESS.finditer(text)  # "Which image is first?"
    ones = () if not ones or _NAMED_ELSE.search(text) else _ORDERED_ONE.finditer(text)  # "Is the second one damaged?"
    for m in sorted([*nounless, *ones, *_ORDERED.finditer(text)], key=lambda m: m.start()):
        if any(a < m.end() and m.start() < b for a, b in spans):
            continue
        start = max(text.rfind(c, 0, m.start()) for c in ".?!\n") + 1
        ends = [e for c in ".?!\n" if (e := text.find(c, m.end())) >= 0]
        if not _SIDE_SAID.search(still, start, min(ends, default=len(text))):
            return m
    return None
